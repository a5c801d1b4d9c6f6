import { expect } from '@open-wc/testing';
import {
  TUS_LIMITS,
  createTusAdapter,
  encodeTusMetadata,
  parseTusError,
  readTusCapabilities,
} from '../../../src/providers/tus.js';
import type { TusAdapterOptions, TusSession } from '../../../src/providers/tus.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import type { AdapterContext, ProviderAdapter } from '../../../src/core/adapter.js';
import { UploadError } from '../../../src/core/errors.js';

const MiB = 1024 * 1024;

function response(status: number, headers: Record<string, string> = {}, text = ''): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { status, text, url: 'https://tus.example/files/abc', headers: { get: (name) => lower[name.toLowerCase()] ?? null } };
}

/** A context whose `send` answers from `answer` and, like the engine, throws the adapter's error for non-2xx. */
function context(
  adapter: ProviderAdapter<TusSession>,
  answer: (request: HttpRequest) => HttpResponse,
  size = 20 * MiB,
): { ctx: AdapterContext; sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  const file = { name: 'plan.pdf', size, type: 'application/pdf', lastModified: 1 };
  const ctx: AdapterContext = {
    file,
    blob: new Blob([new Uint8Array(size)]),
    plan: adapter.planParts!(file, 8 * MiB),
    signal: new AbortController().signal,
    digest: async (name, partNumber) => `digest-of-${name}-${partNumber}`,
    send: async (request, options) => {
      sent.push(request);
      const answered = answer(request);
      if ((answered.status >= 200 && answered.status < 300) || options?.acceptStatus?.includes(answered.status)) return answered;
      throw adapter.parseError(answered, request);
    },
  };
  return { ctx, sent };
}

const OFFERS_ALL = {
  'Tus-Version': '1.0.0',
  'Tus-Extension': 'creation,termination,checksum,concatenation',
  'Tus-Checksum-Algorithm': 'md5,sha1',
};

function tusServer(offers: Record<string, string> = OFFERS_ALL) {
  let next = 0;
  return (request: HttpRequest): HttpResponse => {
    if (request.method === 'OPTIONS') return response(204, offers);
    if (request.method === 'POST') return response(201, { Location: `/files/u${++next}` });
    if (request.method === 'PATCH') {
      const offset = Number(request.headers?.['Upload-Offset']);
      return response(204, { 'Upload-Offset': String(offset + (request.body as Blob).size) });
    }
    if (request.method === 'HEAD') return response(200, { 'Upload-Offset': '0' });
    return response(204);
  };
}

function adapterWith(options: TusAdapterOptions = {}): ProviderAdapter<TusSession> {
  return createTusAdapter({ endpoint: 'https://tus.example/files/', ...options });
}

describe('tus error mapping', () => {
  const cases: Array<[number, string, boolean]> = [
    [400, 'provider-rejected', false],
    [401, 'auth-failed', false],
    [403, 'auth-failed', false],
    [404, 'not-found', false],
    [405, 'provider-rejected', false],
    [409, 'provider-rejected', true],
    [410, 'not-found', false],
    [412, 'provider-rejected', false],
    [413, 'limit-exceeded', false],
    [415, 'provider-rejected', false],
    [423, 'server-error', true],
    [429, 'rate-limited', true],
    [460, 'hash-mismatch', true],
    [500, 'server-error', true],
    [501, 'provider-rejected', false],
    [502, 'server-error', true],
    [503, 'server-error', true],
    [504, 'server-error', true],
  ];
  for (const [status, code, retryable] of cases) {
    it(`maps HTTP ${status} to ${code}${retryable ? ', retryable' : ''}`, () => {
      const error = parseTusError(response(status, {}, 'Server says no\n'));
      expect(error.code).to.equal(code);
      expect(error.retryable).to.equal(retryable);
      expect(error.status).to.equal(status);
      expect(error.provider).to.deep.equal({ id: 'tus', code: String(status), message: 'Server says no' });
      expect(error.message).to.not.contain('Server says no');
    });
  }

  it('names the versions a 412 server offers, keeps Retry-After, and strips queries from unknown statuses', () => {
    expect(parseTusError(response(412, { 'Tus-Version': '0.2.2' })).message).to.contain('0.2.2');
    expect(parseTusError(response(503, { 'Retry-After': '7' })).retryAfter).to.equal('7');
    const odd = parseTusError({ ...response(418), url: 'https://tus.example/files/abc?token=secret' });
    expect(odd.code).to.equal('provider-rejected');
    expect(odd.message).to.not.contain('secret');
  });
});

describe('tus metadata and capabilities', () => {
  it('writes Upload-Metadata as Base64 of UTF-8, as the spec example shows', () => {
    expect(encodeTusMetadata({ filename: 'world_domination_plan.pdf', is_confidential: '' })).to.equal(
      'filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==',
    );
    expect(encodeTusMetadata({ filename: 'é', filetype: 'a/b' })).to.equal('filename w6k=,filetype YS9i');
  });

  it('reads OPTIONS headers, and treats a refused OPTIONS or hidden headers as not discovered', () => {
    const found = readTusCapabilities(response(204, { ...OFFERS_ALL, 'Tus-Max-Size': '1000', 'Tus-Extension': 'Creation, Checksum' }));
    expect(found).to.deep.equal({
      discovered: true,
      versions: ['1.0.0'],
      extensions: ['creation', 'checksum'],
      checksumAlgorithms: ['md5', 'sha1'],
      maxSize: 1000,
    });
    expect(readTusCapabilities(response(405, OFFERS_ALL)).discovered).to.equal(false);
    expect(readTusCapabilities(response(204, {})).discovered).to.equal(false);
  });

  it('refuses bad options at once', () => {
    expect(() => createTusAdapter({})).to.throw(/endpoint/);
    expect(() => adapterWith({ metadata: { 'bad key': 'x' } })).to.throw(TypeError);
    expect(() => adapterWith({ metadata: { 'a,b': 'x' } })).to.throw(TypeError);
  });
});

describe('tus part planning', () => {
  const file = (size: number) => ({ name: 'f', size, type: '', lastModified: 0 });

  it('keeps a file to 32 partial uploads while concatenation may be used, growing the part size', () => {
    const plan = adapterWith().planParts!(file(1024 * MiB), 8 * MiB);
    expect(plan).to.deep.equal({ partSize: 32 * MiB, partCount: 32 });
    expect(adapterWith({ maxConcatParts: 4 }).planParts!(file(100 * MiB), 8 * MiB).partCount).to.equal(4);
  });

  it('plans freely with concatenation off, and never below the 64 KiB floor', () => {
    expect(adapterWith({ concatenation: 'never' }).planParts!(file(1024 * MiB), 8 * MiB)).to.deep.equal({ partSize: 8 * MiB, partCount: 128 });
    expect(adapterWith().planParts!(file(1 * MiB), 1000).partSize).to.equal(TUS_LIMITS.minPartSize);
    expect(adapterWith().planParts!(file(0), undefined)).to.deep.equal({ partSize: 8 * MiB, partCount: 1 });
  });
});

describe('tus requests', () => {
  it('discovers with OPTIONS, then creates one upload with length and metadata in plain mode', async () => {
    const adapter = adapterWith({ concatenation: 'never', metadata: { album: 'Ferien' } });
    const { ctx, sent } = context(adapter, tusServer());
    const created = await adapter.create(ctx);
    expect(sent.map((r) => r.method)).to.deep.equal(['OPTIONS', 'POST']);
    expect(sent[0].headers).to.not.have.property('Tus-Resumable');
    expect(sent[1].url).to.equal('https://tus.example/files/');
    expect(sent[1].headers).to.include({
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(20 * MiB),
      'Upload-Metadata': `filename ${btoa('plan.pdf')},filetype ${btoa('application/pdf')},album ${btoa('Ferien')}`,
    });
    expect(created).to.deep.equal({
      kind: 'session',
      session: { mode: 'plain', ref: (created as { session: TusSession }).session.ref, url: 'https://tus.example/files/u1', checksum: 'sha1', terminate: true },
    });
    expect(adapter.sequentialParts!((created as { session: TusSession }).session)).to.equal(true);
  });

  it('sends each part as one PATCH at its offset with Upload-Checksum, and no HEAD while the offset is known', async () => {
    const adapter = adapterWith({ concatenation: 'never' });
    const { ctx, sent } = context(adapter, tusServer());
    const { session } = (await adapter.create(ctx)) as { session: TusSession };
    const blob = ctx.blob;
    const receipt1 = await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: 8 * MiB, blob: blob.slice(0, 8 * MiB) });
    const receipt2 = await adapter.uploadPart(ctx, session, { partNumber: 2, offset: 8 * MiB, size: 8 * MiB, blob: blob.slice(8 * MiB, 16 * MiB) });
    const patches = sent.filter((r) => r.method === 'PATCH');
    expect(sent.map((r) => r.method)).to.deep.equal(['OPTIONS', 'POST', 'PATCH', 'PATCH']);
    expect(patches.map((r) => r.headers?.['Upload-Offset'])).to.deep.equal(['0', String(8 * MiB)]);
    expect(patches[1].headers).to.include({
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Checksum': 'sha1 digest-of-part-checksum-2',
      'Tus-Resumable': '1.0.0',
    });
    expect(receipt1).to.deep.equal({ partNumber: 1, size: 8 * MiB, offset: 8 * MiB });
    expect(receipt2.offset).to.equal(16 * MiB);
  });

  it('makes each partial upload when its part is sent, names it in the receipt, and joins them in part order at complete', async () => {
    const adapter = adapterWith();
    const { ctx, sent } = context(adapter, tusServer());
    const { session } = (await adapter.create(ctx)) as { session: TusSession };
    expect(session.mode).to.equal('concat');
    expect(adapter.sequentialParts!(session)).to.equal(false);
    expect(sent.filter((r) => r.method === 'POST')).to.deep.equal([]);
    const blob = new Blob([new Uint8Array(20 * MiB)]);
    const receipts = [];
    for (const [partNumber, offset, size] of [[3, 16 * MiB, 4 * MiB], [1, 0, 8 * MiB], [2, 8 * MiB, 8 * MiB]]) {
      receipts.push(await adapter.uploadPart(ctx, session, { partNumber, offset, size, blob: blob.slice(offset, offset + size) }));
      const [post, patch] = sent.slice(-2);
      expect([post.method, post.headers?.['Upload-Concat'], post.headers?.['Upload-Length'], patch.method]).to.deep.equal(['POST', 'partial', String(size), 'PATCH']);
    }
    expect(receipts.map((r) => [r.partNumber, r.url])).to.deep.equal([
      [3, 'https://tus.example/files/u1'],
      [1, 'https://tus.example/files/u2'],
      [2, 'https://tus.example/files/u3'],
    ]);
    const result = await adapter.complete(ctx, session, [receipts[1], receipts[2], receipts[0]]);
    const final = sent[sent.length - 1];
    expect(final.headers?.['Upload-Concat']).to.equal('final;https://tus.example/files/u2 https://tus.example/files/u3 https://tus.example/files/u1');
    expect(final.headers).to.not.have.property('Upload-Length');
    expect(final.headers?.['Upload-Metadata']).to.contain(`filename ${btoa('plan.pdf')}`);
    expect(result).to.deep.equal({ location: 'https://tus.example/files/u4', fileId: 'u4' });
  });

  it('joins partial uploads named by saved receipts after a reload, and terminates them on abort', async () => {
    const before = adapterWith();
    const first = context(before, tusServer());
    const { session } = (await before.create(first.ctx)) as { session: TusSession };
    const blob = new Blob([new Uint8Array(20 * MiB)]);
    const saved = [
      await before.uploadPart(first.ctx, session, { partNumber: 1, offset: 0, size: 8 * MiB, blob: blob.slice(0, 8 * MiB) }),
      await before.uploadPart(first.ctx, session, { partNumber: 2, offset: 8 * MiB, size: 8 * MiB, blob: blob.slice(8 * MiB, 16 * MiB) }),
    ];
    const reloaded = adapterWith();
    const { ctx, sent } = context(reloaded, (request) =>
      request.method === 'HEAD' ? response(200, { 'Upload-Offset': String(8 * MiB), 'Upload-Length': String(8 * MiB) }) : tusServer()(request),
    );
    const listed = await reloaded.listParts!({ ...ctx, receipts: saved }, session);
    expect(listed.map((r) => [r.partNumber, r.url])).to.deep.equal([
      [1, 'https://tus.example/files/u1'],
      [2, 'https://tus.example/files/u2'],
    ]);
    await reloaded.abort!({ ...ctx, receipts: saved }, session);
    expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.url)).to.deep.equal(['https://tus.example/files/u1', 'https://tus.example/files/u2']);
  });

  it('terminates an upload whose creation POST came back after a pause or cancel, and stops with the abort reason', async () => {
    const adapter = adapterWith({ concatenation: 'never' });
    const controller = new AbortController();
    const reason = { reason: 'cancel' };
    const { ctx, sent } = context(adapter, (request) => {
      if (request.method === 'POST') controller.abort(reason);
      return tusServer()(request);
    });
    const outcome = await adapter.create({ ...ctx, signal: controller.signal }).catch((thrown: unknown) => thrown);
    expect(outcome).to.equal(reason);
    expect(sent.map((r) => [r.method, r.url])).to.deep.equal([
      ['OPTIONS', 'https://tus.example/files/'],
      ['POST', 'https://tus.example/files/'],
      ['DELETE', 'https://tus.example/files/u1'],
    ]);
  });

  it('declares no digest once it knows the server lacks the checksum extension, and sends no Upload-Checksum', async () => {
    const adapter = adapterWith({ concatenation: 'never' });
    const file = { name: 'f', size: 10, type: '', lastModified: 0 };
    expect(adapter.digests(file)).to.have.length(1);
    const { ctx, sent } = context(adapter, tusServer({ 'Tus-Version': '1.0.0', 'Tus-Extension': 'creation,termination' }));
    const { session } = (await adapter.create(ctx)) as { session: TusSession };
    expect(session).to.not.have.property('checksum');
    expect(adapter.digests(file)).to.deep.equal([]);
    await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: 8 * MiB, blob: ctx.blob.slice(0, 8 * MiB) });
    expect(sent[sent.length - 1].headers).to.not.have.property('Upload-Checksum');
    expect(adapterWith({ checksum: 'none' }).digests(file)).to.deep.equal([]);
  });

  it('refuses a server that speaks another tus version, and a file over Tus-Max-Size', async () => {
    const old = adapterWith();
    const first = context(old, tusServer({ 'Tus-Version': '0.2.2' }));
    const error = await old.create(first.ctx).catch((thrown: unknown) => thrown);
    expect((error as UploadError).code).to.equal('provider-rejected');
    expect((error as UploadError).message).to.contain('0.2.2');

    const small = adapterWith();
    const second = context(small, tusServer({ ...OFFERS_ALL, 'Tus-Max-Size': '1000' }));
    const tooLarge = await small.create(second.ctx).catch((thrown: unknown) => thrown);
    expect((tooLarge as UploadError).code).to.equal('file-too-large');
    expect(second.sent.map((r) => r.method)).to.deep.equal(['OPTIONS']);
  });

  it('calls a 401 for a token that worked before expired (and fetches a new one), but a never-accepted token auth-failed', async () => {
    let issued = 0;
    const adapter = adapterWith({ concatenation: 'never', getToken: () => `t${++issued}` });
    let refuse = false;
    const server = tusServer();
    const { ctx, sent } = context(adapter, (request) => (refuse ? response(401, {}, 'no') : server(request)));
    const { session } = (await adapter.create(ctx)) as { session: TusSession };
    expect(sent[1].headers?.Authorization).to.equal('Bearer t1');
    refuse = true;
    const part = { partNumber: 1, offset: 0, size: 8 * MiB, blob: ctx.blob.slice(0, 8 * MiB) };
    const expired = (await adapter.uploadPart(ctx, session, part).catch((thrown: unknown) => thrown)) as UploadError;
    expect(expired.code).to.equal('url-expired');
    const fresh = (await adapter.uploadPart(ctx, session, part).catch((thrown: unknown) => thrown)) as UploadError;
    expect(sent[sent.length - 1].headers?.Authorization).to.equal('Bearer t2');
    expect(fresh.code).to.equal('auth-failed');
  });

  it('keeps a Location with a query string out of the session, in memory only', async () => {
    const adapter = adapterWith({ concatenation: 'never' });
    const server = tusServer();
    const { ctx } = context(adapter, (request) =>
      request.method === 'POST' ? response(201, { Location: 'https://tus.example/files/u9?sig=abc' }) : server(request),
    );
    const { session } = (await adapter.create(ctx)) as { session: TusSession };
    expect(JSON.stringify(session)).to.not.contain('sig=');
    const receipt = await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: 8 * MiB, blob: ctx.blob.slice(0, 8 * MiB) });
    expect(receipt.offset).to.equal(8 * MiB);
  });
});
