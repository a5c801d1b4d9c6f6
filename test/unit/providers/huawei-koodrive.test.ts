import { expect } from '@open-wc/testing';
import {
  createKooDriveAdapter,
  KOODRIVE_LIMITS,
  kooDriveFileName,
  kooDriveFileType,
  parseKooDriveError,
} from '../../../src/providers/huawei-koodrive.js';
import type { KooDriveAdapterOptions, KooDriveSession } from '../../../src/providers/huawei-koodrive.js';
import type { AdapterContext, Part, ProviderAdapter } from '../../../src/core/adapter.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import { UploadError } from '../../../src/core/errors.js';
import { planParts } from '../../../src/core/part-plan.js';

const MiB = 1024 * 1024;

function response(status: number, body: unknown, url = 'https://kd.example/koodrive/ose/v1/files/create'): HttpResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, text, url, headers: { get: (name) => (name.toLowerCase() === 'retry-after' ? '7' : null) } };
}

describe('KooDrive adapter', () => {
  describe('error mapping', () => {
    it('maps every business code of the note\'s §5 to a code, a retry decision and a readable message', () => {
      const expected: Record<string, [string, boolean]> = {
        '13000102': ['provider-rejected', false],
        '13000301': ['provider-rejected', false],
        '13000304': ['provider-rejected', false],
        '13000305': ['provider-rejected', false],
        '13000309': ['not-found', false],
        '13000311': ['limit-exceeded', false],
        '13000401': ['not-found', false],
        '13000402': ['hash-mismatch', false],
        '13000403': ['server-error', true],
        '13000404': ['provider-rejected', false],
        '13000405': ['provider-rejected', false],
        '13000409': ['provider-rejected', false],
        '13000410': ['auth-failed', false],
        '13000412': ['provider-rejected', false],
      };
      for (const [code, [uploadCode, retryable]] of Object.entries(expected)) {
        // The reference types `code` as a string in tables and a number in examples; both must map.
        for (const sent of [code, Number(code)]) {
          const error = parseKooDriveError(response(400, { code: sent, msg: 'detail' }));
          expect([error.code, error.retryable], code).to.deep.equal([uploadCode, retryable]);
          expect(error.provider).to.deep.equal({ id: 'huawei-koodrive', code, message: 'detail' });
          expect(error.message).to.not.equal('detail');
        }
      }
    });

    it('maps the gateway: expired token or signature window → url-expired, bad credentials → auth-failed, 5xx and 429 retried', () => {
      const gateway = (status: number, code: string, msg = 'x') => parseKooDriveError(response(status, { error_code: code, error_msg: msg, request_id: 'r1' }));
      expect(gateway(401, 'APIGW.0307').code).to.equal('url-expired');
      expect(gateway(401, 'APIGW.0303', 'Incorrect app authentication information: signature expired, signature time:x').code).to.equal('url-expired');
      const badSignature = gateway(401, 'APIGW.0303', 'Incorrect app authentication information: verify signature fail');
      expect([badSignature.code, badSignature.retryable, badSignature.provider?.requestId]).to.deep.equal(['auth-failed', false, 'r1']);
      expect(gateway(401, 'APIGW.0301').code).to.equal('auth-failed');
      expect([gateway(503, 'APIGW.0202').code, gateway(503, 'APIGW.0202').retryable]).to.deep.equal(['server-error', true]);
      const throttled = gateway(429, 'APIGW.0308');
      expect([throttled.code, throttled.retryAfter]).to.deep.equal(['rate-limited', '7']);
      expect(gateway(418, 'APIGW.9999').code).to.equal('provider-rejected');
    });

    it('maps the storage\'s XML on part PUTs, and redacts the presigned query from fallback messages', () => {
      const url = 'https://obs.example/key';
      const xml = (status: number, code: string, message: string) =>
        parseKooDriveError(response(status, `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>q</RequestId></Error>`, url));
      expect(xml(403, 'AccessDenied', 'Request has expired').code).to.equal('url-expired');
      expect(xml(403, 'AccessDenied', 'Access Denied').code).to.equal('auth-failed');
      expect(xml(403, 'SignatureDoesNotMatch', 'x').message).to.match(/size differs/);
      expect(xml(404, 'NoSuchUpload', 'x').code).to.equal('not-found');
      expect(xml(400, 'InvalidPartOrder', 'x').code).to.equal('provider-rejected');
      expect([xml(500, 'InternalError', 'x').code, xml(500, 'InternalError', 'x').retryable]).to.deep.equal(['server-error', true]);
      const unknown = parseKooDriveError(response(502, 'bad gateway', 'https://obs.example/key?X-Amz-Signature=abc'));
      expect(unknown.code).to.equal('server-error');
      expect(unknown.message).to.not.contain('X-Amz-Signature');
      const handler = parseKooDriveError(response(401, { error: { code: 'unauthenticated', message: 'Sign in before uploading.' } }));
      expect([handler.code, handler.provider?.code]).to.deep.equal(['auth-failed', 'unauthenticated']);
    });
  });

  describe('names and types', () => {
    it('replaces the characters KooDrive refuses and keeps the extension when cutting to 80 characters', () => {
      expect(kooDriveFileName('a<b>c|d:e"f*g?h/i.txt')).to.equal('a_b_c_d_e_f_g_h_i.txt');
      expect(kooDriveFileName('..')).to.equal('file');
      const long = kooDriveFileName(`${'名'.repeat(100)}.tar.gz`);
      expect([...long]).to.have.length(80);
      expect(long.endsWith('.gz')).to.equal(true);
      expect(kooDriveFileName('ok.txt')).to.equal('ok.txt');
    });

    it('derives the carrier edition\'s fileType from the MIME type', () => {
      const of = (type: string) => kooDriveFileType({ name: 'x', size: 1, type, lastModified: 0 });
      expect(['image/png', 'video/mp4', 'audio/mpeg', 'application/msword', 'application/vnd.ms-excel',
        'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'application/zip',
        'application/vnd.android.package-archive', 'text/plain', ''].map(of)).to.deep.equal(
        ['15', '20', '30', '26', '27', '28', '35', '40', '45', '45']);
    });
  });

  describe('requests', () => {
    const size = 12 * MiB + 100;
    const blob = new Blob([new Uint8Array(size)]);
    const file = { name: 'big:file.bin', size, type: 'application/zip', lastModified: 1 };
    let sent: HttpRequest[];
    let answer: (request: HttpRequest) => HttpResponse;

    function context(adapter: ProviderAdapter<KooDriveSession>, digests: Record<string, string | number[]> = {}): AdapterContext {
      return {
        file,
        blob,
        plan: planParts(size, KOODRIVE_LIMITS, 5 * MiB),
        signal: new AbortController().signal,
        send: async (request) => {
          sent.push(request);
          const reply = answer(request);
          if (reply.status >= 200 && reply.status < 300) return reply;
          throw adapter.parseError(reply, request);
        },
        digest: async (name, partNumber) => digests[partNumber === undefined ? name : `${name}#${partNumber}`] ?? `missing ${name}`,
      };
    }

    function partOf(partNumber: number): Part {
      const offset = (partNumber - 1) * 5 * MiB;
      const end = Math.min(offset + 5 * MiB, size);
      return { partNumber, offset, size: end - offset, blob: blob.slice(offset, end) };
    }

    const urlFor = (n: number, generation = 1) => `https://obs.example/key?partNumber=${n}&X-Amz-Signature=s${generation}`;
    const created = (parts: number[]) => ({
      code: 0,
      fileId: 'F1',
      uploadId: 'U1',
      fileName: 'big_file.bin',
      multiParts: parts.map((n) => ({ partNumber: n, uploadUrl: urlFor(n) })),
    });

    beforeEach(() => {
      sent = [];
      answer = (request) => (request.method === 'PUT' ? response(200, '') : response(200, created([1, 2, 3])));
    });

    function adapter(options: KooDriveAdapterOptions = {}) {
      return createKooDriveAdapter({ endpoint: 'https://app.example/api/kd/', ...options });
    }

    it('creates a serial upload with the whole plan and the sha256 (rapid upload on), and PUTs to create\'s URLs', async () => {
      const kd = adapter();
      const ctx = context(kd, { sha256: 'ab'.repeat(32) });
      const result = await kd.create(ctx);
      expect(result.kind).to.equal('session');
      const session = (result as { session: KooDriveSession }).session;
      expect(session).to.deep.equal({ fileId: 'F1', uploadId: 'U1', fileName: 'big_file.bin', mode: 'serial' });
      expect(JSON.stringify(session)).to.not.contain('http');
      expect(kd.sequentialParts?.(session)).to.equal(true);
      expect(sent[0]?.url).to.equal('https://app.example/api/kd/koodrive/ose/v1/files/create');
      expect(JSON.parse(sent[0]?.body as string)).to.deep.equal({
        fileName: 'big_file.bin',
        fileType: '35',
        parentFolder: ['root'],
        length: size,
        sha256: 'ab'.repeat(32),
        uploadMode: 'multipart',
        uploadType: 1,
        autoRename: 2,
        multiParts: [
          { partNumber: 1, partSize: 5 * MiB },
          { partNumber: 2, partSize: 5 * MiB },
          { partNumber: 3, partSize: 2 * MiB + 100 },
        ],
        mimeType: 'application/zip',
      });
      const receipt = await kd.uploadPart(ctx, session, partOf(3));
      expect(receipt).to.deep.equal({ partNumber: 3, size: 2 * MiB + 100 });
      expect(sent[1]).to.deep.include({ method: 'PUT', url: urlFor(3) });
      expect(sent[1]?.headers).to.equal(undefined);
      await kd.complete(ctx, session, [receipt]);
      expect(JSON.parse(sent[2]?.body as string)).to.deep.equal({ fileId: 'F1', sha256: 'ab'.repeat(32) });
    });

    it('declares the SHA-256 before create with rapid upload, before complete without, and hashCtx in parallel mode', () => {
      expect(adapter().digests(file).map((spec) => [spec.name, spec.scope, spec.when])).to.deep.equal([['sha256', 'file', 'before-create']]);
      expect(adapter({ rapidUpload: false }).digests(file).map((spec) => spec.when)).to.deep.equal(['before-complete']);
      expect(adapter({ mode: 'parallel', sha256Encoding: 'hex-upper' }).digests(file)).to.deep.equal([
        { name: 'sha256', algorithm: 'sha256', encoding: 'hex-upper', scope: 'file', when: 'before-create' },
        { name: 'hashCtx', algorithm: 'sha256', encoding: 'state-words', scope: 'state-before-part', when: 'before-part' },
      ]);
      expect(() => adapter({ autoRename: 4, rapidUpload: false })).to.throw(/rapidUpload/);
      expect(() => createKooDriveAdapter({})).to.throw(/endpoint/);
    });

    it('creates a parallel upload without waiting for contexts, then asks for the URLs with offsets and contexts in one call', async () => {
      const kd = adapter({ mode: 'parallel', rapidUpload: false });
      const words = (n: number) => Array.from({ length: 8 }, (_, i) => n * 10 + i);
      const ctx = context(kd, { 'hashCtx#2': words(2), 'hashCtx#3': words(3) });
      answer = () => response(200, { ...created([]), multiParts: undefined });
      const { session } = (await kd.create(ctx)) as { session: KooDriveSession };
      const body = JSON.parse(sent[0]?.body as string) as Record<string, unknown>;
      expect(body.sha256).to.equal(undefined);
      expect(body).to.not.have.property('multiParts');
      expect(session).to.not.have.property('hashCtx');
      expect(kd.sequentialParts?.(session)).to.equal(false);

      answer = (request) =>
        request.method === 'PUT' ? response(200, '') : response(200, { code: 0, multiParts: [1, 2, 3].map((n) => ({ partNumber: n, uploadUrl: urlFor(n, 2) })) });
      await Promise.all([1, 2, 3].map((n) => kd.uploadPart(ctx, session, partOf(n))));
      const renewals = sent.filter((request) => request.url.endsWith('/uploadUrl'));
      expect(renewals).to.have.length(1);
      expect(JSON.parse(renewals[0]?.body as string)).to.deep.equal({
        fileId: 'F1',
        multiParts: [
          { partNumber: 1, partSize: 5 * MiB, partOffset: 0 },
          { partNumber: 2, partSize: 5 * MiB, partOffset: 5 * MiB, hashCtx: words(2) },
          { partNumber: 3, partSize: 2 * MiB + 100, partOffset: 10 * MiB, hashCtx: words(3) },
        ],
      });
      expect(sent.filter((request) => request.method === 'PUT').map((request) => request.url).sort()).to.deep.equal([1, 2, 3].map((n) => urlFor(n, 2)));
    });

    it('leaves out of a URL call the parallel parts whose context the hashing has not reached', async () => {
      const kd = adapter({ mode: 'parallel', rapidUpload: false });
      const words = (n: number) => Array.from({ length: 8 }, (_, i) => n * 10 + i);
      let reachPart3!: () => void;
      const part3Hashed = new Promise<void>((resolve) => (reachPart3 = resolve));
      const base = context(kd, { 'hashCtx#2': words(2) });
      const ctx: AdapterContext = {
        ...base,
        digest: (name, n) => (name === 'hashCtx' && n === 3 ? part3Hashed.then(() => words(3)) : base.digest(name, n)),
      };
      answer = () => response(200, { ...created([]), multiParts: undefined });
      const { session } = (await kd.create(ctx)) as { session: KooDriveSession };
      answer = (request) => {
        if (request.method === 'PUT') return response(200, '');
        const asked = (JSON.parse(request.body as string) as { multiParts: Array<{ partNumber: number }> }).multiParts;
        return response(200, { code: 0, multiParts: asked.map(({ partNumber }) => ({ partNumber, uploadUrl: urlFor(partNumber, 2) })) });
      };
      const first = Promise.all([1, 2].map((n) => kd.uploadPart(ctx, session, partOf(n))));
      const third = kd.uploadPart(ctx, session, partOf(3));
      await first;
      reachPart3();
      await third;
      const asked = sent
        .filter((request) => request.url.endsWith('/uploadUrl'))
        .map((request) => (JSON.parse(request.body as string) as { multiParts: Array<{ partNumber: number }> }).multiParts.map((part) => part.partNumber));
      expect(asked).to.deep.equal([[1, 2], [3]]);
    });

    it('drops an expired part URL so that the retry asks uploadUrl for a fresh one', async () => {
      const kd = adapter();
      const ctx = context(kd, { sha256: 'ab'.repeat(32) });
      const { session } = (await kd.create(ctx)) as { session: KooDriveSession };
      answer = () => response(403, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      const expired = await kd.uploadPart(ctx, session, partOf(1)).catch((error: unknown) => error);
      expect((expired as UploadError).code).to.equal('url-expired');
      answer = (request) =>
        request.method === 'PUT' ? response(200, '') : response(200, { code: 0, multiParts: [1, 2, 3].map((n) => ({ partNumber: n, uploadUrl: urlFor(n, 2) })) });
      await kd.uploadPart(ctx, session, partOf(1));
      expect(sent.slice(-2).map((request) => request.url)).to.deep.equal(['https://app.example/api/kd/koodrive/ose/v1/files/multipart/uploadUrl', urlFor(1, 2)]);
    });

    it('finishes without a session on rapid upload or an identical existing file', async () => {
      const kd = adapter({ autoRename: 4 });
      answer = () => response(200, { code: 0, fileId: 'F9', fileName: 'big_file.bin', rapidUpload: true });
      expect(await kd.create(context(kd, { sha256: 'cd'.repeat(32) }))).to.deep.equal({
        kind: 'done',
        result: { fileId: 'F9', fileName: 'big_file.bin', rapid: true },
      });
      answer = () => response(200, { code: '0', fileId: 'F8', fileName: 'big_file.bin', exist: true, rapidUpload: false });
      expect(await kd.create(context(kd, { sha256: 'cd'.repeat(32) }))).to.deep.equal({
        kind: 'done',
        result: { fileId: 'F8', fileName: 'big_file.bin', rapid: true, exist: true },
      });
      expect(JSON.parse(sent[1]?.body as string).autoRename).to.equal(4);
    });

    it('treats a 2xx answer with a non-zero code as the error it names', async () => {
      const kd = adapter();
      answer = () => response(200, { code: '13000311', msg: 'no space' });
      const error = await kd.create(context(kd, { sha256: 'ab'.repeat(32) })).catch((thrown: unknown) => thrown);
      expect((error as UploadError).code).to.equal('limit-exceeded');
    });

    it('in Bearer mode sends the token from getToken, and fetches a new one after the gateway calls it expired', async () => {
      let issued = 0;
      const kd = adapter({ endpoint: 'https://kd.example', getToken: async () => `tok${++issued}`, language: 'en-US' });
      const ctx = context(kd, { sha256: 'ab'.repeat(32) });
      const { session } = (await kd.create(ctx)) as { session: KooDriveSession };
      // Seed 004: "The format is Bearer+{access_token}".
      expect(sent[0]?.headers).to.deep.include({ Authorization: 'Bearer+tok1', language: 'en-US' });
      answer = () => response(401, { error_code: 'APIGW.0307', error_msg: 'The token must be updated.' });
      expect(((await kd.complete(ctx, session, []).catch((e: unknown) => e)) as UploadError).code).to.equal('url-expired');
      answer = () => response(200, { code: 0, msg: 'success.' });
      await kd.complete(ctx, session, []);
      expect(sent.map((request) => request.headers?.Authorization)).to.deep.equal(['Bearer+tok1', 'Bearer+tok1', 'Bearer+tok2']);
      expect(issued).to.equal(2);

      const spaced = adapter({ endpoint: 'https://kd.example', getToken: () => 'tok', bearerSeparator: ' ' });
      await spaced.complete(context(spaced, { sha256: 'ab'.repeat(32) }), session, []);
      expect(sent.at(-1)?.headers?.Authorization).to.equal('Bearer tok');
      const failing = adapter({ getToken: () => Promise.reject(new Error('offline')) });
      const error = await failing.complete(context(failing, { sha256: 'ab'.repeat(32) }), session, []).catch((e: unknown) => e);
      expect([(error as UploadError).code, (error as UploadError).retryable]).to.deep.equal(['auth-failed', false]);
    });
  });
});
