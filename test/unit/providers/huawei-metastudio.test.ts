import { expect } from '@open-wc/testing';
import {
  createMetaStudioAdapter,
  fileTypeFromName,
  metaStudioContentType,
  metaStudioNameProblem,
  parseMetaStudioError,
} from '../../../src/providers/huawei-metastudio.js';
import type { MetaStudioSession } from '../../../src/providers/huawei-metastudio.js';
import type { AdapterContext, FileDescription } from '../../../src/core/adapter.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import { UploadError } from '../../../src/core/errors.js';
import { HashClient } from '../../../src/hashing/hash-client.js';
import { makeBlob } from '../../helpers/make-blob.js';

const GiB = 1024 * 1024 * 1024;

function response(status: number, text: string, headers: Record<string, string> = {}, url = 'https://backend.test/api/x?sig=secret'): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, text, url, headers: { get: (name) => lower[name.toLowerCase()] ?? null } };
}

function mss(code: string, status = 400): HttpResponse {
  return response(status, JSON.stringify({ error_code: code, error_msg: `message of ${code}` }), { 'X-Request-Id': 'req-1' });
}

function describeFile(size: number, name = 'a.png'): FileDescription {
  return { name, size, type: '', lastModified: 0 };
}

/** A context whose `send` records requests and answers from a script, as the engine's transport would. */
function fakeContext(answer: (request: HttpRequest) => HttpResponse, file = describeFile(10)) {
  const sent: HttpRequest[] = [];
  const ctx: AdapterContext = {
    file,
    blob: new Blob([new Uint8Array(file.size)]),
    plan: { partSize: file.size, partCount: 1 },
    signal: new AbortController().signal,
    digest: async () => 'tM+9q6NqM7xQ6mfGOdsdEw==',
    async send(request, options) {
      sent.push(request);
      const reply = answer(request);
      if ((reply.status >= 200 && reply.status < 300) || options?.acceptStatus?.includes(reply.status)) return reply;
      throw parseMetaStudioError(reply);
    },
  };
  return { ctx, sent };
}

const SESSION: MetaStudioSession = {
  fileId: 'file1',
  assetId: 'asset1',
  fileMd5: 'tM+9q6NqM7xQ6mfGOdsdEw==',
  fileType: 'png',
  contentType: 'image/png',
  category: 'MAIN',
  expiresAt: Date.now() + 10 * 60 * 60 * 1000,
  ownAsset: true,
};

describe('Huawei MetaStudio adapter: errors', () => {
  it('maps every MSS code of the note to a code, a retry decision and a readable message', () => {
    const expected: Array<[string, number, string, boolean]> = [
      ['MSS.00000001', 401, 'auth-failed', false],
      ['MSS.00000002', 400, 'provider-rejected', false],
      ['MSS.00000003', 400, 'provider-rejected', false],
      ['MSS.00000004', 502, 'server-error', true],
      ['MSS.00010008', 400, 'auth-failed', false],
      ['MSS.00010009', 400, 'auth-failed', false],
      ['MSS.10000002', 400, 'provider-rejected', false],
      ['MSS.10000003', 400, 'provider-rejected', false],
      ['MSS.10001001', 400, 'not-found', false],
      ['MSS.10001003', 400, 'file-type-rejected', false],
      ['MSS.10001004', 400, 'not-found', false],
      ['MSS.10001007', 400, 'limit-exceeded', false],
      ['MSS.10001008', 400, 'provider-rejected', false],
      ['MSS.10001009', 400, 'provider-rejected', false],
      ['APIGW.0307', 401, 'url-expired', true],
      ['APIGW.0308', 429, 'rate-limited', true],
      ['APIGW.0301', 401, 'auth-failed', false],
    ];
    for (const [providerCode, status, code, retryable] of expected) {
      const error = parseMetaStudioError(mss(providerCode, status));
      expect([error.code, error.retryable], providerCode).to.deep.equal([code, retryable]);
      expect(error.provider, providerCode).to.deep.include({ id: 'huawei-metastudio', code: providerCode, requestId: 'req-1' });
      expect(error.message, providerCode).to.not.contain('sig=secret');
    }
  });

  it('maps OBS XML errors of the PUT, telling an expired URL from a refused one', () => {
    const xml = (code: string, message: string) =>
      response(code === 'BadDigest' ? 400 : 403, `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>obs-9</RequestId></Error>`);
    const expired = parseMetaStudioError(xml('AccessDenied', 'Request has expired'));
    expect([expired.code, expired.provider?.requestId]).to.deep.equal(['url-expired', 'obs-9']);
    expect(parseMetaStudioError(xml('AccessDenied', 'Access Denied')).code).to.equal('auth-failed');
    const signature = parseMetaStudioError(xml('SignatureDoesNotMatch', 'x'));
    expect(signature.code).to.equal('auth-failed');
    expect(signature.message).to.contain('Content-Type');
    const digest = parseMetaStudioError(xml('BadDigest', 'x'));
    expect([digest.code, digest.retryable]).to.deep.equal(['hash-mismatch', true]);
  });

  it('maps the handler\'s own errors and falls back on the status, without the URL\'s query', () => {
    const handler = (code: string, status: number) => response(status, JSON.stringify({ error: { code, message: `said ${code}` } }));
    expect(parseMetaStudioError(handler('unknown-file', 404)).code).to.equal('not-found');
    expect(parseMetaStudioError(handler('upload-expired', 410)).code).to.equal('url-expired');
    expect(parseMetaStudioError(handler('forbidden', 403)).code).to.equal('auth-failed');
    expect(parseMetaStudioError(handler('upstream-unreachable', 502)).retryable).to.equal(true);
    const odd = parseMetaStudioError(handler('invalid-field', 400));
    expect(odd.code).to.equal('provider-rejected');
    expect(odd.message).to.equal('The request to https://backend.test/api/x was refused (HTTP 400) invalid-field: said invalid-field');
    const html = parseMetaStudioError(response(503, '<html>down</html>', { 'Retry-After': '7' }));
    expect([html.code, html.retryAfter]).to.deep.equal(['server-error', '7']);
  });
});

describe('Huawei MetaStudio adapter: planning, names and hashes', () => {
  const adapter = createMetaStudioAdapter({ endpoint: '/api/huawei-metastudio/' });

  it('plans one part of the whole file up to 5 GiB and refuses more, or nothing', () => {
    expect(adapter.planParts!(describeFile(5 * GiB), undefined)).to.deep.equal({ partSize: 5 * GiB, partCount: 1 });
    expect(adapter.planParts!(describeFile(1), 8 * 1024 * 1024)).to.deep.equal({ partSize: 1, partCount: 1 });
    expect(() => adapter.planParts!(describeFile(5 * GiB + 1), undefined)).to.throw(UploadError).with.property('code', 'file-too-large');
    expect(() => adapter.planParts!(describeFile(0), undefined)).to.throw(UploadError).with.property('code', 'file-empty');
    const smaller = createMetaStudioAdapter({ endpoint: '/api', maxFileSize: 1000 });
    expect(() => smaller.planParts!(describeFile(1001), undefined)).to.throw(UploadError).with.property('code', 'file-too-large');
    expect(createMetaStudioAdapter({ endpoint: '/api', maxFileSize: 10 * GiB }).limits.maxFileSize).to.equal(5 * GiB);
    expect(adapter.target).to.equal('/api/huawei-metastudio');
  });

  it('takes names of 1–256 characters (code points) and needs a file type', () => {
    expect(metaStudioNameProblem(`${'😀'.repeat(252)}.png`)).to.equal(undefined);
    expect(metaStudioNameProblem(`${'😀'.repeat(253)}.png`)).to.contain('257 characters');
    expect(metaStudioNameProblem('')).to.contain('needs a file name');
    expect(fileTypeFromName('Photo.JPG')).to.equal('jpg');
    expect(fileTypeFromName('archive.tar.gz')).to.equal('gz');
    expect(fileTypeFromName('.bashrc')).to.equal('');
    expect(fileTypeFromName('README')).to.equal('');
    expect(fileTypeFromName('dot.')).to.equal('');
    expect(() => adapter.planParts!(describeFile(5, 'README'), undefined)).to.throw(UploadError).with.property('code', 'file-type-rejected');
    const typed = createMetaStudioAdapter({ endpoint: '/api', fileType: (file) => (file.name === 'README' ? 'txt' : 'bin') });
    expect(typed.planParts!(describeFile(5, 'README'), undefined)).to.deep.equal({ partSize: 5, partCount: 1 });
    expect(() => createMetaStudioAdapter({ endpoint: '/api', fileType: 'x'.repeat(65) }).planParts!(describeFile(5), undefined))
      .to.throw(UploadError).with.property('code', 'file-type-rejected');
  });

  it('chooses the Content-Type of the doc\'s table', () => {
    const table = ['gif', 'jpeg', 'jpg', 'JPG', 'png', 'mp4', 'mp3', 'wav', 'webp', 'pptx'].map(metaStudioContentType);
    expect(table).to.deep.equal([
      'image/gif', 'image/jpeg', 'image/jpeg', 'image/jpeg', 'image/png', 'video/mp4', 'audio/mp3', 'audio/wav',
      'application/octet-stream', 'application/octet-stream',
    ]);
  });

  it('asks for the whole-file MD5 in Base64 before create, and the worker gives the note\'s vector', async () => {
    const specs = adapter.digests(describeFile(2_621_440));
    expect(specs).to.deep.equal([{ name: 'file-md5', algorithm: 'md5', encoding: 'base64', scope: 'file', when: 'before-create' }]);
    const client = new HashClient();
    try {
      const run = client.start({ blob: makeBlob(2_621_440), plan: { partSize: 2_621_440, partCount: 1 }, specs });
      expect(await run.digest('file-md5')).to.equal('tM+9q6NqM7xQ6mfGOdsdEw==');
    } finally {
      client.terminate();
    }
  });
});

describe('Huawei MetaStudio adapter: requests', () => {
  const endpoint = 'https://app.test/api/ms';
  const ok = (body: unknown = {}) => response(200, JSON.stringify(body), {}, endpoint);

  it('creates the asset, then the file with the documented fields, keeping no URL in the session', async () => {
    const adapter = createMetaStudioAdapter({ endpoint, headers: { Authorization: 'Bearer app' }, newAsset: { assetType: 'IMAGE', tags: ['t'] } });
    const { ctx, sent } = fakeContext((request) =>
      request.url.endsWith('/assets') ? ok({ asset_id: 'a1' }) : ok({ file_id: 'f1', asset_id: 'a1', content_type: 'image/png', expires_at: 123 }),
    );
    const created = await adapter.create(ctx);
    expect(created).to.deep.equal({
      kind: 'session',
      session: { assetId: 'a1', ownAsset: true, fileMd5: 'tM+9q6NqM7xQ6mfGOdsdEw==', fileType: 'png', contentType: 'image/png', category: 'MAIN', fileId: 'f1', expiresAt: 123 },
    });
    expect(sent.map((r) => `${r.method} ${r.url}`)).to.deep.equal([`POST ${endpoint}/assets`, `POST ${endpoint}/files`]);
    expect(JSON.parse(sent[0]!.body as string)).to.deep.equal({ asset_name: 'a.png', asset_type: 'IMAGE', tags: ['t'] });
    expect(JSON.parse(sent[1]!.body as string)).to.deep.equal({
      file_name: 'a.png', file_md5: 'tM+9q6NqM7xQ6mfGOdsdEw==', file_size: 10, file_type: 'png', asset_id: 'a1', asset_file_category: 'MAIN',
    });
    expect(sent[1]!.headers).to.deep.include({ Authorization: 'Bearer app', 'Content-Type': 'application/json' });
  });

  it('reuses the asset it made for this file when create is retried', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    let files = 0;
    const { ctx, sent } = fakeContext((request) => {
      if (request.url.endsWith('/assets')) return ok({ asset_id: 'a1' });
      return ++files === 1 ? mss('MSS.00000004', 502) : ok({ file_id: 'f1', asset_id: 'a1', content_type: 'image/png', expires_at: 1 });
    });
    await adapter.create(ctx).catch(() => undefined);
    await adapter.create(ctx);
    expect(sent.filter((r) => r.url.endsWith('/assets'))).to.have.length(1);
  });

  it('PUTs through the handler by default and confirms CREATED with the file the receipt names', async () => {
    const adapter = createMetaStudioAdapter({ endpoint, autoMetaAnalysis: true });
    const { ctx, sent } = fakeContext(() => response(200, '', { ETag: '"abc"' }, endpoint));
    const blob = ctx.blob;
    const receipt = await adapter.uploadPart(ctx, SESSION, { partNumber: 1, offset: 0, size: 10, blob });
    expect(receipt).to.deep.equal({ partNumber: 1, size: 10, fileId: 'file1', assetId: 'asset1', etag: '"abc"' });
    expect(sent[0]).to.deep.include({ method: 'PUT', url: `${endpoint}/files/file1/content`, body: blob });
    expect(sent[0]!.headers).to.deep.equal({ 'Content-MD5': SESSION.fileMd5, 'Content-Type': 'image/png' });
    expect(await adapter.complete(ctx, SESSION, [receipt])).to.deep.equal({ fileId: 'file1', assetId: 'asset1', state: 'CREATED' });
    expect(JSON.parse(sent[1]!.body as string)).to.deep.equal({ state: 'CREATED', auto_meta_analysis: true });
  });

  it('asks the handler for the upload URL in direct mode and PUTs there', async () => {
    const adapter = createMetaStudioAdapter({ endpoint, directUpload: true });
    const obs = 'https://obs.test/b/k.png?AccessKeyId=A&Expires=9&Signature=S';
    const { ctx, sent } = fakeContext((request) =>
      request.method === 'GET'
        ? ok({ upload_url: obs, expires_at: 9000, headers: { 'Content-MD5': SESSION.fileMd5, 'Content-Type': 'image/png' } })
        : response(200, '', {}, obs),
    );
    await adapter.uploadPart(ctx, SESSION, { partNumber: 1, offset: 0, size: 10, blob: ctx.blob });
    expect(sent.map((r) => `${r.method} ${r.url}`)).to.deep.equal([`GET ${endpoint}/files/file1/upload-url`, `PUT ${obs}`]);
  });

  it('replaces a file whose URL expired: deletes it, creates another, and PUTs there; an expired PUT marks it for the retry', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    let created = 0;
    let expireNextPut = true;
    const { ctx, sent } = fakeContext((request) => {
      if (request.method === 'DELETE') return ok();
      if (request.url.endsWith('/files')) return ok({ file_id: `new${++created}`, asset_id: 'asset1', content_type: 'image/png', expires_at: Date.now() + 86_400_000 });
      if (expireNextPut) {
        expireNextPut = false;
        return response(403, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      }
      return response(200, '');
    });
    const part = { partNumber: 1, offset: 0, size: 10, blob: ctx.blob };
    const old = { ...SESSION, expiresAt: Date.now() - 1 };
    const thrown = await adapter.uploadPart(ctx, old, part).catch((error: UploadError) => error);
    expect(thrown).to.be.instanceOf(UploadError).with.property('code', 'url-expired');
    const receipt = await adapter.uploadPart(ctx, old, part);
    expect(receipt.fileId).to.equal('new2');
    expect(sent.map((r) => `${r.method} ${r.url.slice(endpoint.length)}`)).to.deep.equal([
      'DELETE /files/file1',
      'POST /files',
      'PUT /files/new1/content',
      'DELETE /files/new1',
      'POST /files',
      'PUT /files/new2/content',
    ]);
    expect(JSON.parse(sent[1]!.body as string)).to.deep.include({ asset_id: 'asset1', file_md5: SESSION.fileMd5 });
  });

  it('names the file by the handler\'s upload_ref on every route when it answers one, and reports the real file_id', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    const { ctx, sent } = fakeContext((request) => {
      if (request.url.endsWith('/assets')) return ok({ asset_id: 'a1' });
      if (request.url.endsWith('/files')) return ok({ file_id: 'f1', asset_id: 'a1', content_type: 'image/png', expires_at: Date.now() + 86_400_000, upload_ref: 'sealed-REF_1' });
      return ok();
    });
    const created = await adapter.create(ctx);
    if (created.kind !== 'session') throw new Error('expected a session');
    expect(created.session).to.deep.include({ fileId: 'f1', uploadRef: 'sealed-REF_1' });
    const receipt = await adapter.uploadPart(ctx, created.session, { partNumber: 1, offset: 0, size: 10, blob: ctx.blob });
    expect(receipt).to.deep.include({ fileId: 'f1', uploadRef: 'sealed-REF_1' });
    expect(await adapter.complete(ctx, created.session, [receipt])).to.deep.equal({ fileId: 'f1', assetId: 'a1', state: 'CREATED' });
    await adapter.abort!(ctx, created.session);
    expect(sent.slice(2).map((r) => `${r.method} ${r.url.slice(endpoint.length)}`)).to.deep.equal([
      'PUT /files/sealed-REF_1/content',
      'POST /files/sealed-REF_1/complete',
      'POST /files/sealed-REF_1/complete',
    ]);
  });

  it('moves an expired file of its own into a new asset when the handler refuses the old ref (403), using the new ref', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    const { ctx, sent } = fakeContext((request) => {
      if (request.method === 'DELETE') return response(403, JSON.stringify({ error: { code: 'forbidden', message: 'no' } }));
      if (request.url.endsWith('/assets')) return ok({ asset_id: 'a2' });
      if (request.url.endsWith('/files')) return ok({ file_id: 'f2', asset_id: 'a2', content_type: 'image/png', expires_at: Date.now() + 86_400_000, upload_ref: 'ref2' });
      return response(200, '');
    });
    const old = { ...SESSION, uploadRef: 'ref1', expiresAt: Date.now() - 1 };
    const receipt = await adapter.uploadPart(ctx, old, { partNumber: 1, offset: 0, size: 10, blob: ctx.blob });
    expect(receipt).to.deep.include({ fileId: 'f2', uploadRef: 'ref2', assetId: 'a2' });
    expect(sent.map((r) => `${r.method} ${r.url.slice(endpoint.length)}`)).to.deep.equal([
      'DELETE /files/ref1',
      'POST /assets',
      'POST /files',
      'PUT /files/ref2/content',
    ]);
  });

  it('reports CANCELLED on abort and FAILED on failure for the file in use', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    const { ctx, sent } = fakeContext(() => ok());
    await adapter.abort!(ctx, SESSION);
    await adapter.fail!(ctx, SESSION, new UploadError('hash-mismatch', 'x'));
    expect(sent.map((r) => [r.url, JSON.parse(r.body as string)])).to.deep.equal([
      [`${endpoint}/files/file1/complete`, { state: 'CANCELLED' }],
      [`${endpoint}/files/file1/complete`, { state: 'FAILED' }],
    ]);
  });

  it('says clearly when the backend answers something other than JSON', async () => {
    const adapter = createMetaStudioAdapter({ endpoint });
    const { ctx } = fakeContext(() => response(200, '<html></html>', {}, `${endpoint}/assets`));
    const error = await adapter.create(ctx).catch((thrown: UploadError) => thrown);
    expect(error).to.be.instanceOf(UploadError).with.property('code', 'bad-response');
  });

  it('needs an endpoint', () => {
    expect(() => createMetaStudioAdapter({})).to.throw(/endpoint/);
  });
});
