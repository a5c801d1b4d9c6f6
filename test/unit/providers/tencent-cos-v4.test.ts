import { expect } from '@open-wc/testing';
import { UploadError } from '../../../src/core/errors.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import { HashClient } from '../../../src/hashing/hash-client.js';
import type { AdapterContext, FileDescription, PartPlan } from '../../../src/core/adapter.js';
import {
  createTencentCosV4Adapter,
  parseCosV4Error,
  type TencentCosV4AdapterOptions,
  type TencentCosV4Session,
} from '../../../src/providers/tencent-cos-v4.js';
import { cosV4Original, signCosV4 } from '../../../src/server/tencent-cos-v4-handler.js';
import { makeBlob } from '../../helpers/make-blob.js';

const MiB = 1024 * 1024;
const ENDPOINT = 'https://sh.file.myqcloud.com/files/v2/1250000000/examplebucket';

/** The note's §4 uploadparts for its 2,621,440-byte vector, byte for byte as JSON. */
const NOTE_UPLOADPARTS =
  '[{"offset":0,"datalen":1048576,"datasha":"87fbbab92239b2453c6dbf50e76535beecac4896"},' +
  '{"offset":1048576,"datalen":1048576,"datasha":"accdc1ac9faf2e20c96b0d227575d9b40f13fe55"},' +
  '{"offset":2097152,"datalen":524288,"datasha":"43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d"}]';
const NOTE_SHA = '43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d';

function signature(lifetime: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signCosV4(
    'SECRETEXAMPLE',
    cosV4Original({ appId: '1250000000', bucket: 'examplebucket', secretId: 'AKIDEXAMPLE', currentTime: now, expiresAt: now + lifetime, rand: 7 }),
  );
}

function reply(status: number, body: unknown): HttpResponse {
  return { status, text: JSON.stringify(body), url: ENDPOINT, headers: { get: () => null } };
}

const ok = (data: Record<string, unknown> = {}) => reply(200, { code: 0, message: 'SUCCESS', data });

interface Harness {
  ctx: AdapterContext;
  sent: HttpRequest[];
  forms: Array<Record<string, string>>;
}

/** An AdapterContext over a real hash run; `answer` plays COS, and non-2xx answers go through the adapter's parseError as the engine does. */
function harness(
  adapter: ReturnType<typeof createTencentCosV4Adapter>,
  blob: Blob,
  name: string,
  answer: (form: Record<string, string>, request: HttpRequest) => HttpResponse,
): Harness {
  const file: FileDescription = { name, size: blob.size, type: '', lastModified: 1 };
  const plan: PartPlan = adapter.planParts!(file, undefined);
  const specs = adapter.digests(file);
  const run = specs.length > 0 ? new HashClient().start({ blob, plan, specs }) : undefined;
  const sent: HttpRequest[] = [];
  const forms: Array<Record<string, string>> = [];
  const ctx: AdapterContext = {
    file,
    blob,
    plan,
    signal: new AbortController().signal,
    digest: (digestName, partNumber) => run!.digest(digestName, partNumber),
    async send(request, options) {
      sent.push(request);
      const form = Object.fromEntries(
        [...(request.body as FormData)].map(([key, value]) => [key, typeof value === 'string' ? value : `<blob ${value.size}>`]),
      );
      forms.push(form);
      const response = answer(form, request);
      if ((response.status >= 200 && response.status < 300) || options?.acceptStatus?.includes(response.status)) return response;
      throw adapter.parseError(response, request);
    },
  };
  return { ctx, sent, forms };
}

function adapterWith(options: Partial<TencentCosV4AdapterOptions> = {}) {
  let calls = 0;
  const adapter = createTencentCosV4Adapter({
    endpoint: ENDPOINT,
    getSignature: async () => {
      calls += 1;
      return signature(3600);
    },
    singleUploadThreshold: 0,
    directory: 'dir/',
    // The folder call is the contract suite's; these answer the file calls only.
    createDirectory: false,
    ...options,
  });
  return { adapter, calls: () => calls };
}

describe('Tencent COS v4 adapter', () => {
  it('sends init with filesize, slice_size, sha and exactly the note\'s uploadparts, computed by the worker', async () => {
    const { adapter } = adapterWith();
    const { ctx, sent, forms } = harness(adapter, makeBlob(2_621_440), 'a.bin', (form) =>
      form['op'] === 'upload_slice_list' ? reply(404, { code: -197, message: 'none' }) : ok({ session: 's-1', slice_size: MiB, offset: 0 }),
    );
    const created = await adapter.create(ctx);
    expect(created).to.deep.equal({
      kind: 'session',
      session: { mode: 'slice', path: 'dir/a.bin', session: 's-1', sliceSize: MiB, serial: false, hashed: true },
    });
    expect(forms.map((form) => form['op'])).to.deep.equal(['upload_slice_list', 'upload_slice_init']);
    expect(forms[1]).to.deep.equal({
      op: 'upload_slice_init',
      filesize: '2621440',
      slice_size: '1048576',
      sha: NOTE_SHA,
      uploadparts: NOTE_UPLOADPARTS,
      insertOnly: '1',
    });
    expect(sent[1]!.url).to.equal(`${ENDPOINT}/dir/a.bin`);
    expect(sent[1]!.method).to.equal('POST');
    expect(sent[1]!.headers?.['Authorization']).to.match(/^[A-Za-z0-9+/]+=*$/);
  });

  it('declares the hashes as the note says: before init for slices, before the request for a single upload, none when off', () => {
    const big: FileDescription = { name: 'a', size: 30 * MiB, type: '', lastModified: 1 };
    const small: FileDescription = { ...big, size: 5 * MiB };
    const adapter = createTencentCosV4Adapter({ endpoint: ENDPOINT, getSignature: async () => 'x' });
    expect(adapter.digests(big)).to.deep.equal([
      { name: 'sha', algorithm: 'sha1', encoding: 'hex', scope: 'file', when: 'before-create' },
      { name: 'datasha', algorithm: 'sha1', encoding: 'state-hex-le', scope: 'state-after-part', when: 'before-create' },
    ]);
    expect(adapter.digests(small)).to.deep.equal([{ name: 'sha', algorithm: 'sha1', encoding: 'hex', scope: 'file', when: 'before-part' }]);
    expect(createTencentCosV4Adapter({ endpoint: ENDPOINT, getSignature: async () => 'x', hashing: false }).digests(big)).to.deep.equal([]);
  });

  it('plans 1 MiB slices above 20 MiB whatever part size is asked, and one request below', () => {
    const adapter = createTencentCosV4Adapter({ endpoint: ENDPOINT, getSignature: async () => 'x' });
    const file = (size: number): FileDescription => ({ name: 'a', size, type: '', lastModified: 1 });
    expect(adapter.planParts!(file(20 * MiB - 1), 8 * MiB)).to.deep.equal({ partSize: 20 * MiB - 1, partCount: 1 });
    expect(adapter.planParts!(file(0), undefined)).to.deep.equal({ partSize: 1, partCount: 1 });
    expect(adapter.planParts!(file(20 * MiB + 1), 8 * MiB)).to.deep.equal({ partSize: MiB, partCount: 21 });
    const capped = createTencentCosV4Adapter({ endpoint: ENDPOINT, getSignature: async () => 'x', maxFileSize: MiB });
    expect(() => capped.planParts!(file(MiB + 1), undefined)).to.throw(UploadError).with.property('code', 'file-too-large');
  });

  it('refuses options it cannot work with', () => {
    expect(() => createTencentCosV4Adapter({ getSignature: async () => 'x' })).to.throw(/endpoint/);
    expect(() => createTencentCosV4Adapter({ endpoint: ENDPOINT })).to.throw(/getSignature/);
    expect(() => createTencentCosV4Adapter({ endpoint: `${ENDPOINT}?sign=x`, getSignature: async () => 'x' })).to.throw(/query/);
    expect(() => createTencentCosV4Adapter({ endpoint: ENDPOINT, getSignature: async () => 'x', sliceSize: 5 * MiB })).to.throw(/sliceSize/);
  });

  it('finishes at once on a rapid-upload hit, keeping no query string', async () => {
    const { adapter } = adapterWith();
    const { ctx, forms } = harness(adapter, makeBlob(3 * MiB), 'r.bin', (form) =>
      form['op'] === 'upload_slice_list'
        ? reply(404, { code: -197 })
        : ok({
            access_url: 'http://examplebucket-1250000000.file.myqcloud.com/dir/r.bin',
            resource_path: '/1250000000/examplebucket/dir/r.bin',
            source_url: 'http://examplebucket-1250000000.cossh.myqcloud.com/dir/r.bin?x=1',
            url: 'http://sh.file.myqcloud.com/files/v2/1250000000/examplebucket/dir/r.bin',
          }),
    );
    const created = await adapter.create(ctx);
    expect(forms).to.have.length(2);
    expect(created.kind).to.equal('done');
    const result = (created as { result: Record<string, unknown> }).result;
    expect(result['rapid']).to.equal(true);
    expect(result['fileId']).to.equal('/1250000000/examplebucket/dir/r.bin');
    expect(result['location']).to.equal('http://examplebucket-1250000000.cossh.myqcloud.com/dir/r.bin');
  });

  it('on -4019 lists the unfinished session, adopts it, and sends only the slices COS lacks', async () => {
    const { adapter } = adapterWith();
    const blob = makeBlob(3 * MiB);
    let sha = '';
    const { ctx, forms } = harness(adapter, blob, 'resume.bin', (form) => {
      if (form['op'] === 'upload_slice_init') {
        sha = form['sha']!;
        return reply(409, { code: -4019, message: 'same sha unfinished' });
      }
      if (form['op'] === 'upload_slice_list' && sha === '') return reply(404, { code: -197 });
      if (form['op'] === 'upload_slice_list') {
        return ok({ session: 'old', slice_size: MiB, filesize: 3 * MiB, sha: `${sha}_x`, listparts: [{ offset: 0, datalen: MiB }, { offset: 2 * MiB, datalen: MiB }] });
      }
      return ok({ session: 'old', offset: Number(form['offset']) });
    });
    const created = await adapter.create(ctx);
    const session = (created as { session: TencentCosV4Session }).session;
    expect(session).to.deep.include({ mode: 'slice', session: 'old' });
    const receipts = [];
    for (let partNumber = 1; partNumber <= 3; partNumber++) {
      const offset = (partNumber - 1) * MiB;
      receipts.push(await adapter.uploadPart(ctx, session, { partNumber, offset, size: MiB, blob: blob.slice(offset, offset + MiB) }));
    }
    const dataForms = forms.filter((form) => form['op'] === 'upload_slice_data');
    expect(dataForms.map((form) => form['offset'])).to.deep.equal([String(MiB)]);
    expect(dataForms[0]).to.deep.include({ session: 'old', filecontent: `<blob ${MiB}>` });
    expect(receipts.map((receipt) => receipt.partNumber)).to.deep.equal([1, 2, 3]);
  });

  it('does not adopt a listed session whose filesize is not the same number (as the JS SDK)', async () => {
    const { adapter } = adapterWith();
    const { ctx } = harness(adapter, makeBlob(3 * MiB), 'x.bin', (form) =>
      form['op'] === 'upload_slice_init'
        ? reply(409, { code: -4019 })
        : ok({ session: 'old', slice_size: MiB, filesize: String(3 * MiB), listparts: [] }),
    );
    const error = await adapter.create(ctx).catch((thrown: unknown) => thrown as UploadError);
    expect(error).to.be.instanceOf(UploadError);
    expect((error as UploadError).code).to.equal('provider-rejected');
    expect((error as UploadError).provider?.code).to.equal('-4019');
  });

  it('refuses a session whose slice_size differs from the planned one, and honours serial_upload', async () => {
    const { adapter } = adapterWith();
    const other = harness(adapter, makeBlob(3 * MiB), 'x.bin', (form) =>
      form['op'] === 'upload_slice_list' ? reply(404, {}) : ok({ session: 's', slice_size: 2 * MiB }),
    );
    const error = (await adapter.create(other.ctx).catch((thrown: unknown) => thrown)) as UploadError;
    expect(error.code).to.equal('provider-rejected');
    expect(error.message).to.contain('sliceSize');

    const serial = harness(adapter, makeBlob(3 * MiB), 'y.bin', (form) =>
      form['op'] === 'upload_slice_list' ? reply(404, {}) : ok({ session: 's', slice_size: MiB, serial_upload: 1 }),
    );
    const created = (await adapter.create(serial.ctx)) as { session: TencentCosV4Session };
    expect(adapter.sequentialParts!(created.session)).to.equal(true);
  });

  it('reuses a signature until it nears expiry, and fetches a new one after COS says -59', async () => {
    let lifetime = 3600;
    let calls = 0;
    const adapter = createTencentCosV4Adapter({
      endpoint: ENDPOINT,
      getSignature: async () => {
        calls += 1;
        return signature(lifetime);
      },
      hashing: false,
      singleUploadThreshold: 0,
    });
    let expire = false;
    const blob = makeBlob(2 * MiB);
    const { ctx, sent } = harness(adapter, blob, 'sig.bin', () => (expire ? reply(403, { code: -59, message: 'expired' }) : ok({})));
    const session: TencentCosV4Session = { mode: 'slice', path: 'sig.bin', session: 's', sliceSize: MiB, serial: false, hashed: false };
    const part = { partNumber: 1, offset: 0, size: MiB, blob: blob.slice(0, MiB) };
    await adapter.uploadPart(ctx, session, part);
    await adapter.uploadPart(ctx, session, part);
    expect(calls).to.equal(1);
    expect(sent[0]!.headers?.['Authorization']).to.equal(sent[1]!.headers?.['Authorization']);

    expire = true;
    const error = (await adapter.uploadPart(ctx, session, part).catch((thrown: unknown) => thrown)) as UploadError;
    expect(error.code).to.equal('url-expired');
    expect(error.retryable).to.equal(true);
    expire = false;
    await adapter.uploadPart(ctx, session, part);
    expect(calls).to.equal(2);

    // A bucket-wide signature (empty f) serves every path; one with 10 s left is not reused.
    await adapter.uploadPart(ctx, { ...session, path: 'other.bin' }, part);
    expect(calls).to.equal(2);
    lifetime = 10;
    expire = true;
    await adapter.uploadPart(ctx, session, part).catch(() => undefined);
    expire = false;
    await adapter.uploadPart(ctx, session, part);
    await adapter.uploadPart(ctx, session, part);
    expect(calls).to.equal(4);
  });

  it('puts the signature into a sign query parameter when asked, and keeps it out of error messages', async () => {
    const { adapter } = adapterWith({ signatureIn: 'query', hashing: false });
    const blob = makeBlob(2 * MiB);
    const { ctx, sent } = harness(adapter, blob, 'q.bin', (_form, request) => ({
      ...reply(500, { code: -195, message: 'internal' }),
      url: request.url.split('?')[0]!,
    }));
    const session: TencentCosV4Session = { mode: 'slice', path: 'q.bin', session: 's', sliceSize: MiB, serial: false, hashed: false };
    const error = (await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: MiB, blob: blob.slice(0, MiB) }).catch((e: unknown) => e)) as UploadError;
    expect(sent[0]!.url).to.match(/\/q\.bin\?sign=[A-Za-z0-9%]+$/);
    expect(sent[0]!.headers?.['Authorization']).to.equal(undefined);
    expect(error.code).to.equal('server-error');
    expect(error.message).to.not.contain('sign=');
  });

  it('treats an HTTP 200 that carries a negative code as the error it names', async () => {
    const { adapter } = adapterWith({ hashing: false });
    const blob = makeBlob(2 * MiB);
    const { ctx } = harness(adapter, blob, 'h.bin', () => reply(200, { code: -4016, message: 'sha mismatch' }));
    const session: TencentCosV4Session = { mode: 'slice', path: 'h.bin', session: 's', sliceSize: MiB, serial: false, hashed: false };
    const error = (await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: MiB, blob: blob.slice(0, MiB) }).catch((e: unknown) => e)) as UploadError;
    expect(error.code).to.equal('hash-mismatch');
    expect(error.retryable).to.equal(true);
  });
});

describe('COS v4 error mapping', () => {
  const form = (op: string): HttpRequest => {
    const body = new FormData();
    body.append('op', op);
    return { method: 'POST', url: ENDPOINT, body };
  };
  const cases: Array<[number, number, string, boolean]> = [
    [-47, 403, 'auth-failed', false],
    [-48, 403, 'auth-failed', false],
    [-59, 403, 'url-expired', true],
    [-61, 403, 'auth-failed', false],
    [-63, 403, 'auth-failed', false],
    [-70, 403, 'auth-failed', false],
    [-71, 503, 'rate-limited', true],
    [-97, 403, 'auth-failed', false],
    [-121, 403, 'cors-blocked', false],
    [-133, 404, 'not-found', false],
    [-175, 400, 'provider-rejected', false],
    [-177, 409, 'provider-rejected', false],
    [-195, 500, 'server-error', true],
    [-196, 503, 'server-error', true],
    [-5997, 503, 'server-error', true],
    [-197, 404, 'not-found', false],
    [-284, 400, 'limit-exceeded', false],
    [-4019, 409, 'provider-rejected', false],
    [-4020, 409, 'provider-rejected', false],
    [-5965, 400, 'provider-rejected', false],
    [-5999, 400, 'provider-rejected', false],
    [-29094, 400, 'provider-rejected', false],
  ];
  for (const [code, status, expected, retryable] of cases) {
    it(`maps ${code} to ${expected}`, () => {
      const error = parseCosV4Error(reply(status, { code, message: 'provider says' }), form('upload_slice_init'));
      expect(error.code).to.equal(expected);
      expect(error.retryable).to.equal(retryable);
      expect(error.status).to.equal(status);
      expect(error.provider).to.deep.equal({ id: 'tencent-cos-v4', code: String(code), message: 'provider says' });
      expect(error.message).to.not.equal('provider says');
    });
  }

  it('retries a slice or single upload whose SHA-1 failed, but not a finish', () => {
    const body = { code: -4016, message: 'sha' };
    expect(parseCosV4Error(reply(409, body), form('upload_slice_data')).retryable).to.equal(true);
    expect(parseCosV4Error(reply(409, body), form('upload')).retryable).to.equal(true);
    expect(parseCosV4Error(reply(409, body), form('upload_slice_finish')).retryable).to.equal(false);
    expect(parseCosV4Error(reply(409, body), form('upload_slice_finish')).code).to.equal('hash-mismatch');
  });

  it('falls back on the HTTP status for an unknown code or a body that is not JSON', () => {
    expect(parseCosV4Error(reply(502, { code: -1 })).code).to.equal('server-error');
    const html: HttpResponse = { status: 403, text: '<html>', url: `${ENDPOINT}/a?sign=secret`, headers: { get: () => null } };
    const error = parseCosV4Error(html);
    expect(error.code).to.equal('auth-failed');
    expect(error.message).to.not.contain('secret');
  });
});
