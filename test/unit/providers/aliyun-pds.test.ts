import { expect } from '@open-wc/testing';
import { createAliyunPdsAdapter, parseAliyunPdsError, readCrc64 } from '../../../src/providers/aliyun-pds.js';
import type { AliyunPdsAdapterOptions, AliyunPdsSession } from '../../../src/providers/aliyun-pds.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import type { AdapterContext } from '../../../src/core/adapter.js';
import { UploadError } from '../../../src/core/errors.js';

function response(status: number, text: string, headers: Record<string, string> = {}, url = 'https://d1.api.aliyunpds.com/v2/file/create'): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, text, url, headers: { get: (name) => lower[name.toLowerCase()] ?? null } };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => response(status, JSON.stringify(body), headers);
const xml = (status: number, code: string, message: string) =>
  response(status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R1</RequestId></Error>`, {}, 'https://data.aliyunpds.com/x');

/**
 * A context whose `send` answers from a script and records what the adapter sent; non-2xx answers go through the
 * adapter's own parseError, as the engine does.
 */
function scriptedContext(script: HttpResponse[], digests: Record<string, unknown>, size = 3 * 1024 * 1024) {
  const sent: HttpRequest[] = [];
  let parse: (r: HttpResponse, q: HttpRequest) => UploadError = () => new UploadError('bad-response', 'unset');
  const ctx: AdapterContext = {
    file: { name: 'a.bin', size, type: '', lastModified: 0 },
    blob: new Blob([new Uint8Array(size)]),
    plan: { partSize: 1024 * 1024, partCount: Math.max(1, Math.ceil(size / (1024 * 1024))) },
    signal: new AbortController().signal,
    async send(request, options) {
      sent.push(request);
      const answer = script.shift();
      if (!answer) throw new Error(`No scripted answer for ${request.method} ${request.url}`);
      if ((answer.status >= 200 && answer.status < 300) || options?.acceptStatus?.includes(answer.status)) return answer;
      throw parse(answer, request);
    },
    async digest(name, partNumber) {
      const value = digests[partNumber === undefined ? name : `${name}#${partNumber}`];
      if (value === undefined) throw new Error(`digest ${name} ${partNumber ?? ''} not scripted`);
      return value as string | number[];
    },
  };
  return { ctx, sent, bind: (fn: typeof parse) => (parse = fn) };
}

const created = (extra: Record<string, unknown> = {}) =>
  json(200, {
    file_id: 'F1',
    upload_id: 'U1',
    rapid_upload: false,
    file_name: 'a.bin',
    part_info_list: [1, 2, 3].map((n) => ({ part_number: n, upload_url: `https://data.aliyunpds.com/o?partNumber=${n}&Signature=s`, content_type: '' })),
    ...extra,
  });

describe('Aliyun PDS adapter (pure logic)', () => {
  const base: AliyunPdsAdapterOptions = { endpoint: 'https://d1.api.aliyunpds.com/', driveId: '1', getToken: () => 'T1' };

  describe('parseAliyunPdsError', () => {
    const cases: Array<[string, HttpResponse, string, boolean]> = [
      ['expired token', json(401, { code: 'AccessTokenExpired', message: 'AccessToken is expired.' }), 'url-expired', true],
      ['invalid token', json(401, { code: 'AccessTokenInvalid', message: 'x' }), 'auth-failed', false],
      ['share token', json(401, { code: 'ShareLinkTokenInvalid', message: 'x' }), 'auth-failed', false],
      ['upload gone (prefix)', json(404, { code: 'NotFound.UploadId.Expired', message: 'x' }), 'not-found', false],
      ['file gone', json(404, { code: 'NotFound.File', message: 'x' }), 'not-found', false],
      ['out of range', json(400, { code: 'InvalidParameterOutOfRange', message: 'name too long' }), 'limit-exceeded', false],
      ['crc mismatch', json(400, { code: 'InvalidParameter.Crc64Hash', message: 'x' }), 'hash-mismatch', false],
      ['context mismatch', json(400, { code: 'InvalidParameter.ParallelSha1Ctx', message: 'x' }), 'hash-mismatch', false],
      ['missing parameter', json(400, { code: 'InvalidParameterMissing', message: 'x' }), 'provider-rejected', false],
      ['no parallel', json(400, { code: 'InvalidParameterNotSupported.ParallelUpload', message: 'x' }), 'provider-rejected', false],
      ['already exists', json(409, { code: 'AlreadyExist.File', message: 'x' }), 'provider-rejected', false],
      ['throttled', json(429, { code: 'TooManyRequests', message: 'x' }, { 'Retry-After': '3' }), 'rate-limited', true],
      ['gateway timeout', response(504, '', { 'x-ca-error-code': 'D504TO', 'x-ca-error-message': 'timeout' }), 'server-error', true],
      ['no permission, code unknown', json(403, { code: 'SomethingForbidden', message: 'x' }), 'auth-failed', false],
      ['URL expired', xml(403, 'AccessDenied', 'Request has expired.'), 'url-expired', true],
      ['URL refused', xml(403, 'AccessDenied', 'Denied.'), 'auth-failed', false],
      ['bad signature', xml(403, 'SignatureDoesNotMatch', 'x'), 'auth-failed', false],
      ['upload gone at the storage', xml(404, 'NoSuchUpload', 'x'), 'not-found', false],
      ['out of order', xml(400, 'PartNotSequential', 'x'), 'provider-rejected', false],
      ['storage error', xml(500, 'InternalError', 'x'), 'server-error', true],
      ['no body at all', response(502, ''), 'server-error', true],
    ];
    for (const [what, answer, code, retryable] of cases) {
      it(`maps ${what} to ${code}`, () => {
        const error = parseAliyunPdsError(answer);
        expect(error.code).to.equal(code);
        expect(error.retryable).to.equal(retryable);
        expect(error.provider?.id).to.equal('aliyun-pds');
      });
    }

    it('keeps the provider\'s code, message and request id, and the Retry-After', () => {
      const error = parseAliyunPdsError(json(429, { code: 'TooManyRequests', message: 'slow' }, { 'x-ca-request-id': 'REQ', 'Retry-After': '3' }));
      expect(error.provider).to.deep.equal({ id: 'aliyun-pds', code: 'TooManyRequests', message: 'slow', requestId: 'REQ' });
      expect(error.retryAfter).to.equal('3');
      expect(parseAliyunPdsError(xml(404, 'NoSuchUpload', 'gone')).provider?.requestId).to.equal('R1');
    });

    it('never puts a query string into a message', () => {
      const error = parseAliyunPdsError(response(418, 'teapot', {}, 'https://data.aliyunpds.com/o'));
      expect(error.message).to.contain('https://data.aliyunpds.com/o').and.not.contain('?');
    });
  });

  it('reads crc64_hash exactly, as a string or a bare number', () => {
    expect(readCrc64('{"crc64_hash":"11051210869376104954"}')).to.equal('11051210869376104954');
    expect(readCrc64('{"size":1,"crc64_hash": 11051210869376104954,"x":1}')).to.equal('11051210869376104954');
    expect(readCrc64('{"size":1}')).to.equal(undefined);
  });

  // Seed 000 (CompleteFile), its answer: `"crc64_hash": 3574582125365864400,` at the top and, further down,
  // `"streams_info": { "key": { "crc64_hash": "", …` — only the file's own, top-level one is the file's CRC.
  it('reads the top-level crc64_hash, not the one inside streams_info (seed 000)', () => {
    const seedShape = '{"drive_id":1,"crc64_hash": 3574582125365864400,"streams_info":{"key":{"crc64_hash":"","size":0}}}';
    expect(readCrc64(seedShape)).to.equal('3574582125365864400');
    const nestedFirst = '{"streams_info":{"key":{"crc64_hash":"123","size":0}},"name":"a \\"crc64_hash\\": 9","crc64_hash":"3574582125365864400"}';
    expect(readCrc64(nestedFirst)).to.equal('3574582125365864400');
    expect(readCrc64('{"streams_info":{"key":{"crc64_hash":"123"}}}')).to.equal(undefined);
  });

  it('refuses to build without endpoint, getToken or driveId', () => {
    expect(() => createAliyunPdsAdapter({ ...base, endpoint: undefined })).to.throw(/endpoint/);
    expect(() => createAliyunPdsAdapter({ ...base, getToken: undefined })).to.throw(/getToken/);
    expect(() => createAliyunPdsAdapter({ ...base, driveId: undefined })).to.throw(/driveId/);
  });

  it('declares pre_hash, content_hash, SHA-1 contexts and CRC-64 as the note says, each only when used', () => {
    const file = { name: 'a', size: 1, type: '', lastModified: 0 };
    const all = createAliyunPdsAdapter({ ...base, parallelUpload: true }).digests(file);
    expect(all.map((s) => [s.name, s.algorithm, s.encoding, s.scope, s.when])).to.deep.equal([
      ['pre_hash', 'sha1', 'hex-upper', 'prefix', 'before-create'],
      ['content_hash', 'sha1', 'hex-upper', 'file', 'before-create'],
      ['sha1_ctx', 'sha1', 'state-words', 'state-before-part', 'before-part'],
      ['crc64_hash', 'crc64', 'decimal', 'file', 'before-complete'],
    ]);
    expect(all[0]?.prefixLength).to.equal(1024);
    expect(createAliyunPdsAdapter({ ...base, rapidUpload: false, crc64Hash: false }).digests(file)).to.deep.equal([]);
    expect(createAliyunPdsAdapter(base).limits.partSizeMultiple).to.equal(64);
  });

  it('creates with pre_hash, then with content_hash after PreHashMatched, with a Bearer token fetched once', async () => {
    let tokens = 0;
    const adapter = createAliyunPdsAdapter({ ...base, getToken: async () => `T${++tokens}`, checkNameMode: 'auto_rename' });
    const { ctx, sent, bind } = scriptedContext([json(409, { code: 'PreHashMatched', message: 'x' }), created()], {
      pre_hash: 'AAAA'.repeat(10),
      content_hash: 'BBBB'.repeat(10),
    });
    bind(adapter.parseError);
    const result = await adapter.create(ctx);
    expect(result).to.deep.equal({ kind: 'session', session: { fileId: 'F1', uploadId: 'U1', parallel: false } });
    const bodies = sent.map((request) => JSON.parse(request.body as string));
    expect(sent[0]?.url).to.equal('https://d1.api.aliyunpds.com/v2/file/create');
    expect(sent.map((request) => request.headers?.['Authorization'])).to.deep.equal(['Bearer T1', 'Bearer T1']);
    expect(bodies[0]).to.deep.include({ drive_id: '1', parent_file_id: 'root', name: 'a.bin', type: 'file', size: 3 * 1024 * 1024, check_name_mode: 'auto_rename', pre_hash: 'AAAA'.repeat(10) });
    expect(bodies[0].part_info_list).to.deep.equal([{ part_number: 1 }, { part_number: 2 }, { part_number: 3 }]);
    expect(bodies[1]).to.deep.include({ content_hash: 'BBBB'.repeat(10), content_hash_name: 'sha1' });
    expect(bodies[1]).to.not.have.property('pre_hash');
  });

  it('finishes at create when PDS answers rapid_upload', async () => {
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: true });
    const { ctx, bind } = scriptedContext([json(409, { code: 'PreHashMatched' }), json(200, { file_id: 'F9', file_name: 'a.bin', rapid_upload: true })], {
      pre_hash: 'A'.repeat(40),
      content_hash: 'C'.repeat(40),
    });
    bind(adapter.parseError);
    expect(await adapter.create(ctx)).to.deep.equal({
      kind: 'done',
      result: { fileId: 'F9', name: 'a.bin', driveId: '1', rapid: true, contentHash: 'C'.repeat(40) },
    });
  });

  it('asks for parallel mode with part 1\'s empty context, and falls back to serial when the domain lacks it', async () => {
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false, parallelUpload: true });
    const { ctx, sent, bind } = scriptedContext([json(400, { code: 'InvalidParameterNotSupported.ParallelUpload' }), created()], { 'sha1_ctx#1': [] });
    bind(adapter.parseError);
    const result = await adapter.create(ctx);
    const bodies = sent.map((request) => JSON.parse(request.body as string));
    expect(bodies[0].parallel_upload).to.equal(true);
    expect(bodies[0].part_info_list[0]).to.deep.equal({ part_number: 1, parallel_sha1_ctx: { h: [], part_offset: 0 } });
    expect(bodies[1]).to.not.have.property('parallel_upload');
    expect(result.kind === 'session' && result.session.parallel).to.equal(false);
    expect(adapter.sequentialParts?.({ fileId: 'F1', uploadId: 'U1', parallel: false })).to.equal(true);
  });

  it('in parallel mode, gets each later part\'s URL with its SHA-1 context and offset', async () => {
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false, parallelUpload: true, crc64Hash: false });
    const words = [1, 2, 3, 4, 5];
    const { ctx, sent, bind } = scriptedContext(
      [
        created(),
        json(200, { part_info_list: [{ part_number: 2, upload_url: 'https://data.aliyunpds.com/o?partNumber=2&Signature=t', content_type: '' }] }),
        response(200, '', { ETag: '"E2"' }),
      ],
      { 'sha1_ctx#1': [], 'sha1_ctx#2': words },
    );
    bind(adapter.parseError);
    const start = await adapter.create(ctx);
    const session = (start as { session: AliyunPdsSession }).session;
    const receipt = await adapter.uploadPart(ctx, session, { partNumber: 2, offset: 1024 * 1024, size: 1024 * 1024, blob: ctx.blob.slice(0, 1024 * 1024) });
    expect(receipt).to.deep.equal({ partNumber: 2, size: 1024 * 1024, etag: '"E2"' });
    expect(JSON.parse(sent[1]?.body as string)).to.deep.equal({
      drive_id: '1',
      file_id: 'F1',
      upload_id: 'U1',
      part_info_list: [{ part_number: 2, parallel_sha1_ctx: { h: words, part_offset: 1024 * 1024 } }],
    });
    expect(sent[2]?.url).to.contain('Signature=t');
    expect(sent[2]?.headers).to.equal(undefined);
  });

  it('drops a token PDS calls expired, so the retry asks getToken again', async () => {
    let tokens = 0;
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false, getToken: () => `T${++tokens}` });
    const { ctx, sent, bind } = scriptedContext([json(401, { code: 'AccessTokenExpired' }), created()], {});
    bind(adapter.parseError);
    const refused = await adapter.create(ctx).catch((e: unknown) => e);
    expect((refused as UploadError).code).to.equal('url-expired');
    await adapter.create(ctx);
    expect(sent.map((request) => request.headers?.['Authorization'])).to.deep.equal(['Bearer T1', 'Bearer T2']);
  });

  it('fails with auth-failed when getToken throws or returns nothing', async () => {
    for (const getToken of [() => Promise.reject(new Error('backend down')), () => '']) {
      const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false, getToken });
      const { ctx } = scriptedContext([], {});
      const error = (await adapter.create(ctx).catch((e: unknown) => e)) as UploadError;
      expect(error.code).to.equal('auth-failed');
      expect(error.retryable).to.equal(false);
    }
  });

  it('fails clearly when check_name_mode refuse finds the name taken', async () => {
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false, checkNameMode: 'refuse' });
    const { ctx, bind } = scriptedContext([json(200, { exist: true, file_id: 'F0' })], {});
    bind(adapter.parseError);
    const error = (await adapter.create(ctx).catch((e: unknown) => e)) as UploadError;
    expect(error.code).to.equal('provider-rejected');
    expect(error.message).to.contain('"a.bin"');
  });

  it('completes with the CRC-64 and the part ETags, and refuses a stored file whose CRC differs', async () => {
    const adapter = createAliyunPdsAdapter({ ...base, rapidUpload: false });
    const session = { fileId: 'F1', uploadId: 'U1', parallel: false };
    const receipts = [{ partNumber: 1, size: 3 * 1024 * 1024, etag: '"E1"' }];
    const good = scriptedContext([response(200, '{"file_id":"F1","name":"a.bin","size":3145728,"content_hash":"AB","crc64_hash":4771638537580897241}')], {
      crc64_hash: '4771638537580897241',
    });
    good.bind(adapter.parseError);
    expect(await adapter.complete(good.ctx, session, receipts)).to.deep.equal({
      fileId: 'F1',
      name: 'a.bin',
      driveId: '1',
      rapid: false,
      contentHash: 'AB',
      crc64Hash: '4771638537580897241',
    });
    expect(JSON.parse(good.sent[0]?.body as string)).to.deep.equal({
      drive_id: '1',
      file_id: 'F1',
      upload_id: 'U1',
      crc64_hash: '4771638537580897241',
      part_info_list: [{ part_number: 1, etag: '"E1"' }],
    });
    const lost = scriptedContext(
      [json(404, { code: 'NotFound.UploadId', message: 'gone' }), response(200, '{"file_id":"F1","name":"a.bin","size":3145728,"status":"available","crc64_hash":"4771638537580897241"}')],
      { crc64_hash: '4771638537580897241' },
    );
    lost.bind(adapter.parseError);
    expect((await adapter.complete(lost.ctx, session, receipts))['crc64Hash']).to.equal('4771638537580897241');
    expect(lost.sent.map((request) => [request.url.split('/').pop(), JSON.parse(request.body as string).file_id])).to.deep.equal([
      ['complete', 'F1'],
      ['get', 'F1'],
    ]);
    const bad = scriptedContext([response(200, '{"file_id":"F1","size":3145728,"crc64_hash":"1"}')], { crc64_hash: '4771638537580897241' });
    bad.bind(adapter.parseError);
    expect(((await adapter.complete(bad.ctx, session, receipts).catch((e: unknown) => e)) as UploadError).code).to.equal('hash-mismatch');
  });
});
