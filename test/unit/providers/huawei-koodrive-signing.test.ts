import { expect } from '@open-wc/testing';
import { createKooDriveHandler, KooDriveUpstreamError, signKooDriveRequest, toKooDriveDate } from '../../../src/server/huawei-koodrive-handler.js';
import type { KooDriveAction, KooDriveHandlerOptions } from '../../../src/server/huawei-koodrive-handler.js';
import { KooDriveEmulator } from '../../../src/emulators/huawei-koodrive-emulator.js';

const APP = { appId: 'a378test', appSecret: 'test-app-secret' };
const USER = '1505084218764547200';
const T0 = Date.UTC(2024, 0, 4, 2, 54, 0);
const BASE = 'https://app.example/api/kd';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function read(response: Response): Promise<Answer> {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('KooDrive app authentication', () => {
  let clock: number;
  let emulator: KooDriveEmulator;
  let logged: unknown[];

  function handler(overrides: Partial<KooDriveHandlerOptions> = {}) {
    return createKooDriveHandler({
      ...APP,
      userId: USER,
      apiEndpoint: 'https://kd.example/emu',
      basePath: '/api/kd',
      now: () => clock,
      fetch: (request) => emulator.handle(request),
      onError: (error) => logged.push(error),
      ...overrides,
    });
  }

  /** What onError got about KooDrive's refusals, in full. */
  function loggedBodies(): string[] {
    return logged.filter((error): error is KooDriveUpstreamError => error instanceof KooDriveUpstreamError).map((error) => error.body);
  }

  function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
    return new Request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  const createBody = { fileName: 'a.bin', fileType: '45', parentFolder: ['root'], length: 10, uploadMode: 'multipart', uploadType: 1, autoRename: 2 };

  beforeEach(() => {
    logged = [];
    clock = T0;
    emulator = new KooDriveEmulator({ basePath: '/emu', apps: { [APP.appId]: APP.appSecret }, origin: 'https://kd.example', now: () => clock });
  });

  it('signs the note\'s example call to a known signature (computed apart with Node\'s crypto)', async () => {
    const headers = await signKooDriveRequest({
      method: 'POST',
      url: 'https://cn.myhuaweicloud-koodrive.com/koodrive/ose/v1/files/complete',
      body: JSON.stringify({ fileId: 'FnkL1QhXj8muHBuSWCHtFFY8Azue44Snr' }),
      ...APP,
      userId: USER,
      now: T0,
    });
    expect(headers).to.deep.equal({
      Authorization:
        'HMAC-SHA256 AppId=a378test,SignedHeaders=host;x-date;x-user-id,Signature=2cd73f18e5cd1e270748b851f3614267c553b3e10888b2c9c45800e503bc74d6',
      'X-Date': '20240104T025400Z',
      'X-User-Id': USER,
    });
    expect(toKooDriveDate(T0 + 999)).to.equal('20240104T025400Z');
  });

  it('forwards a signed create the emulator accepts, and KooDrive\'s answer comes back unchanged', async () => {
    const { status, body } = await read(await handler()(post('/koodrive/ose/v1/files/create', createBody)));
    expect(status).to.equal(200);
    expect(body.code).to.equal(0);
    expect(body.fileId).to.be.a('string');
    expect(body.uploadId).to.be.a('string');
  });

  it('is refused by the emulator when signed with the wrong AppSecret (APIGW.0303, HTTP 401), the details only in onError', async () => {
    const { status, body } = await read(await handler({ appSecret: 'wrong' })(post('/koodrive/ose/v1/files/create', createBody)));
    expect(status).to.equal(401);
    expect(body.error_code).to.equal('APIGW.0303');
    expect(body.error_msg).to.not.match(/verify signature fail|kd\.example|x-user-id/);
    expect(JSON.stringify(body)).to.not.contain(USER);
    expect(loggedBodies()).to.have.length(1);
    expect(loggedBodies()[0]).to.match(/verify signature fail/);
  });

  it('is refused for an unknown AppId, and when the X-Date is over 15 minutes old or in the future', async () => {
    const unknownApp = await read(await handler({ appId: 'other' })(post('/koodrive/ose/v1/files/create', createBody)));
    expect([unknownApp.status, unknownApp.body.error_code]).to.deep.equal([401, 'APIGW.0303']);
    expect(loggedBodies()[0]).to.match(/app not found/);

    const signStale = handler({ now: () => clock - 15 * 60_000 - 1000 });
    const stale = await read(await signStale(post('/koodrive/ose/v1/files/create', createBody)));
    expect([stale.status, stale.body.error_code]).to.deep.equal([401, 'APIGW.0303']);
    expect(stale.body.error_msg).to.match(/signature expired/);

    const signAhead = handler({ now: () => clock + 5000 });
    const ahead = await read(await signAhead(post('/koodrive/ose/v1/files/create', createBody)));
    // The adapter reads "expired" to sign again at once.
    expect(ahead.body.error_msg).to.match(/expired/);

    const withinWindow = handler({ now: () => clock - 14 * 60_000 });
    expect((await withinWindow(post('/koodrive/ose/v1/files/create', createBody))).status).to.equal(200);
  });

  it('is refused when the body, the user or the signed header list differ from what was signed', async () => {
    const url = 'https://kd.example/emu/koodrive/ose/v1/files/create';
    const body = JSON.stringify(createBody);
    const signed = await signKooDriveRequest({ method: 'POST', url, body, ...APP, userId: USER, now: clock });
    const send = (headers: Record<string, string>, sent = body) =>
      emulator.handle(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: sent })).then(read);

    expect((await send(signed)).status).to.equal(200);
    expect((await send(signed, body.replace('a.bin', 'b.bin'))).body.error_code).to.equal('APIGW.0303');
    expect((await send({ ...signed, 'X-User-Id': '42' })).body.error_code).to.equal('APIGW.0303');
    const withoutUser = signed.Authorization!.replace('host;x-date;x-user-id', 'host;x-date');
    expect((await send({ ...signed, Authorization: withoutUser })).body.error_msg).to.match(/x-date and x-user-id/);
    expect((await send({ ...signed, 'X-Date': '2024-01-04T02:54:00Z' })).body.error_msg).to.match(/x-date format/);
    expect((await send({})).body.error_code).to.equal('APIGW.0301');
  });

  it('accepts an unsigned payload only when both sides agree on it', async () => {
    emulator = new KooDriveEmulator({ basePath: '/emu', apps: { [APP.appId]: APP.appSecret }, origin: 'https://kd.example', now: () => clock, payloadHash: 'unsigned' });
    expect((await handler({ payloadHash: 'unsigned' })(post('/koodrive/ose/v1/files/create', createBody))).status).to.equal(200);
    expect((await handler()(post('/koodrive/ose/v1/files/create', createBody))).status).to.equal(401);
  });

  it('checks its input: unknown routes, methods, fields and malformed values never reach KooDrive', async () => {
    const sign = handler();
    const cases: Array<[Request, number, string]> = [
      [post('/koodrive/ose/v1/files/delete', {}), 404, 'not-found'],
      [new Request(`${BASE}/koodrive/ose/v1/files/create`), 405, 'method-not-allowed'],
      [post('/koodrive/ose/v1/files/create', { ...createBody, owner: 'x' }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/create', { ...createBody, length: -1 }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/create', { ...createBody, sha256: 'abc' }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/create', { ...createBody, multiParts: [{ partNumber: 1, partSize: 10, hashCtx: [1, 2, -3] }] }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/multipart/uploadUrl', { fileId: '../x', multiParts: [{ partNumber: 1, partSize: 1 }] }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/complete', { fileId: 'F1', sha256: 'z'.repeat(64) }), 400, 'invalid-field'],
      [post('/koodrive/ose/v1/files/complete', [1]), 400, 'invalid-json'],
      [new Request(`${BASE}/koodrive/ose/v1/files/complete`, { method: 'POST', body: '{"fileId":"F1"}' }), 415, 'unsupported-media-type'],
    ];
    for (const [request, status, code] of cases) {
      const answer = await read(await sign(request));
      expect([answer.status, (answer.body.error as { code: string }).code], request.url).to.deep.equal([status, code]);
    }
    expect(emulator.stats.create).to.equal(0);
  });

  it('refuses a page without a user (401 unauthenticated), caps the size and forces the folder', async () => {
    const anonymous = await read(await handler({ userId: () => undefined })(post('/koodrive/ose/v1/files/create', createBody)));
    expect([anonymous.status, (anonymous.body.error as { code: string }).code]).to.deep.equal([401, 'unauthenticated']);

    const capped = await read(await handler({ maxFileSize: 5 })(post('/koodrive/ose/v1/files/create', createBody)));
    expect([capped.status, (capped.body.error as { code: string }).code]).to.deep.equal([413, 'file-too-large']);

    emulator = new KooDriveEmulator({ basePath: '/emu', apps: { [APP.appId]: APP.appSecret }, origin: 'https://kd.example', now: () => clock, folders: ['uploads'] });
    const forced = await read(await handler({ parentFolder: 'uploads' })(post('/koodrive/ose/v1/files/create', { ...createBody, parentFolder: ['elsewhere'] })));
    expect(forced.body.parentFolder).to.deep.equal(['uploads']);
  });

  it('answers preflights with exactly its method and headers, and CORS headers only for the allowed origins', async () => {
    const preflight = (sign: ReturnType<typeof handler>) =>
      sign(
        new Request(`${BASE}/koodrive/ose/v1/files/create`, {
          method: 'OPTIONS',
          headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-anything' },
        }),
      );
    const closed = await preflight(handler());
    expect([closed.status, closed.headers.get('access-control-allow-origin')]).to.deep.equal([204, null]);
    expect((await handler()(post('/koodrive/ose/v1/files/create', createBody))).headers.get('access-control-allow-origin')).to.equal(null);

    const open = await preflight(handler({ allowedOrigins: '*', allowedHeaders: ['X-Session'] }));
    expect(open.headers.get('access-control-allow-origin')).to.equal('*');
    expect(open.headers.get('access-control-allow-methods')).to.equal('POST, OPTIONS');
    expect(open.headers.get('access-control-allow-headers')).to.equal('content-type, authorization, language, x-traceid, x-session');
    // A page cannot forge its Origin header, so a request from this test page carries none: not in the list.
    const listed = await handler({ allowedOrigins: ['https://app.example'] })(post('/koodrive/ose/v1/files/create', createBody));
    expect(listed.headers.get('access-control-allow-origin')).to.equal(null);
    expect(listed.headers.get('vary')).to.equal('Origin');
  });

  it('passes KooDrive\'s Retry-After on, exposed to cross-origin pages', async () => {
    emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 503, retryAfter: '4' });
    const busy = await handler({ allowedOrigins: '*' })(post('/koodrive/ose/v1/files/create', createBody));
    expect([busy.status, busy.headers.get('retry-after')]).to.deep.equal([503, '4']);
    expect(busy.headers.get('access-control-expose-headers')).to.equal('Retry-After');
    expect(((await busy.json()) as { error_code: string }).error_code).to.equal('APIGW.0202');
  });

  it('answers 502 when KooDrive cannot be reached, without leaking the upstream URL', async () => {
    const sign = handler({ fetch: () => Promise.reject(new TypeError('fetch failed')) });
    const answer = await read(await sign(post('/koodrive/ose/v1/files/create', createBody)));
    expect([answer.status, (answer.body.error as { code: string }).code]).to.deep.equal([502, 'storage-unreachable']);
    expect(JSON.stringify(answer.body)).to.not.contain('kd.example');
    expect(logged).to.have.length(1);
  });

  describe('authorize and principals', () => {
    const SECRET = 'koodrive-unit-binding-secret-0123456789abcdef';
    const tenBytes = { ...createBody, multiParts: [{ partNumber: 1, partSize: 10 }] };

    function as(principal: string | boolean, overrides: Partial<KooDriveHandlerOptions> = {}) {
      return handler({ secret: SECRET, authorize: () => principal, ...overrides });
    }

    it('hands authorize what each call asks, the folder being the one the file goes into', async () => {
      const actions: KooDriveAction[] = [];
      const sign = handler({
        parentFolder: 'root',
        authorize: (_request, action) => {
          actions.push(action);
          return true;
        },
      });
      const created = await read(await sign(post('/koodrive/ose/v1/files/create', { ...tenBytes, parentFolder: ['elsewhere', 'x'] })));
      const fileId = created.body.fileId as string;
      await sign(post('/koodrive/ose/v1/files/multipart/uploadUrl', { fileId, multiParts: [{ partNumber: 1, partSize: 10 }] }));
      await sign(post('/koodrive/ose/v1/files/complete', { fileId }));
      expect(actions).to.deep.equal([
        { kind: 'create', fileName: 'a.bin', length: 10, parentFolder: 'root' },
        { kind: 'sign-part', fileId, partNumbers: [1] },
        { kind: 'complete', fileId },
      ]);
    });

    it('refuses with 403 forbidden when authorize says no, before KooDrive is called', async () => {
      const answer = await read(await as(false)(post('/koodrive/ose/v1/files/create', tenBytes)));
      expect([answer.status, (answer.body.error as { code: string }).code]).to.deep.equal([403, 'forbidden']);
      expect(emulator.stats.create).to.equal(0);
    });

    it('binds the file id to the principal, maps the principal to a KooDrive user, and refuses every other principal', async () => {
      const users: Array<string | undefined> = [];
      const userId = (_request: Request, principal: string | undefined) => {
        users.push(principal);
        return USER;
      };
      const created = await read(await as('alice', { userId })(post('/koodrive/ose/v1/files/create', tenBytes)));
      const bound = created.body.fileId as string;
      const [fileId] = emulator.pending().map((upload) => upload.fileId);
      expect(bound).to.match(new RegExp(`^${fileId}\\.[A-Za-z0-9_-]{22}$`));

      const renewed = await read(await as('alice')(post('/koodrive/ose/v1/files/multipart/uploadUrl', { fileId: bound, multiParts: [{ partNumber: 1, partSize: 10 }] })));
      expect(renewed.status).to.equal(200);
      expect(users).to.deep.equal(['alice']);

      for (const [principal, id] of [['mallory', bound], ['alice', fileId], ['alice', `${fileId}.${'A'.repeat(22)}`]] as const) {
        const refused = await read(await as(principal)(post('/koodrive/ose/v1/files/complete', { fileId: id })));
        expect([refused.status, (refused.body.error as { code: string }).code], `${principal} ${id}`).to.deep.equal([403, 'forbidden']);
      }
      expect(emulator.stats.complete).to.equal(0);
    });

    it('treats a principal without the secret option as a configuration error (500, details to onError)', async () => {
      const answer = await read(await handler({ authorize: () => 'alice' })(post('/koodrive/ose/v1/files/create', tenBytes)));
      expect([answer.status, (answer.body.error as { code: string }).code]).to.deep.equal([500, 'internal-error']);
      expect(String(logged[0])).to.match(/secret/);
      expect(emulator.stats.create).to.equal(0);
      expect(() => handler({ secret: 'short' })).to.throw(TypeError);
    });
  });

  describe('upstream answers', () => {
    it('gives 504 upstream-timeout when KooDrive does not answer within upstreamTimeoutMs', async () => {
      const hanging = (request: Request) =>
        new Promise<Response>((_resolve, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
      const answer = await read(await handler({ upstreamTimeoutMs: 50, fetch: hanging })(post('/koodrive/ose/v1/files/create', createBody)));
      expect([answer.status, (answer.body.error as { code: string }).code]).to.deep.equal([504, 'upstream-timeout']);
    });

    it('does not follow redirects, and answers 502 for one, for a non-JSON page and for JSON without a KooDrive code', async () => {
      const redirects: RequestRedirect[] = [];
      const answers = [
        new Response(null, { status: 302, headers: { location: 'http://10.0.0.7/internal' } }),
        new Response('<html>bad gateway at gw-7.internal</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
        new Response(JSON.stringify({ detail: 'stack at gw-7.internal' }), { status: 500, headers: { 'content-type': 'application/json' } }),
      ];
      for (const upstream of answers) {
        const sign = handler({
          fetch: async (request) => {
            redirects.push(request.redirect);
            return upstream;
          },
        });
        const answer = await read(await sign(post('/koodrive/ose/v1/files/create', createBody)));
        expect([answer.status, (answer.body.error as { code: string }).code]).to.deep.equal([502, 'bad-storage-response']);
        expect(JSON.stringify(answer.body)).to.not.match(/10\.0\.0\.7|gw-7/);
      }
      expect(redirects).to.deep.equal(['manual', 'manual', 'manual']);
      expect(loggedBodies()).to.have.length(3);
    });

    it('passes a KooDrive refusal on as its code with a message of its own', async () => {
      const created = await read(await handler()(post('/koodrive/ose/v1/files/complete', { fileId: 'F1' })));
      expect(created.status).to.equal(400);
      expect(created.body).to.deep.equal({ code: '13000401', msg: 'KooDrive refused the call (13000401).' });
      expect(loggedBodies()[0]).to.contain('13000401');
    });
  });
});
