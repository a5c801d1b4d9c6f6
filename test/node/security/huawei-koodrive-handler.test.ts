import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KooDriveEmulator } from '../../../src/emulators/huawei-koodrive-emulator.js';
import { createKooDriveHandler, KOODRIVE_PATHS, KooDriveUpstreamError } from '../../../src/server/huawei-koodrive-handler.js';
import type { KooDriveHandlerOptions } from '../../../src/server/huawei-koodrive-handler.js';
import { listen } from '../helpers/listen.js';
import type { Listening } from '../helpers/listen.js';
import { assertError, call, postJson } from '../helpers/answer.js';

// The attacks of issue 9 on createKooDriveHandler, each over real HTTP against the strict KooDrive emulator.

const APP = { appId: 'a378security', appSecret: 'koodrive-security-app-secret' };
const USER = '1505084218764547200';
const SECRET = 'koodrive-security-binding-secret-0123456789abcdef';
const EMULATOR_BASE = '/emu';
const EVIL = 'https://evil.example';

let emulator: KooDriveEmulator;
let emulatorServer: Listening;
const servers: Listening[] = [];
let logged: unknown[];

/** The principal is the bearer token, as an app's session lookup would give it; no token is refused. */
const bearerPrincipal = (request: Request): string | false =>
  request.headers.get('authorization')?.replace(/^Bearer /, '') || false;

async function serveHandler(options: Partial<KooDriveHandlerOptions> = {}): Promise<string> {
  const server = await listen(
    createKooDriveHandler({
      ...APP,
      userId: USER,
      apiEndpoint: `${emulatorServer.url}${EMULATOR_BASE}`,
      authorize: bearerPrincipal,
      secret: SECRET,
      onError: (error) => logged.push(error),
      ...options,
    }),
  );
  servers.push(server);
  return server.url;
}

/** A stand-in upstream on a loopback port that answers every request with `answer`. */
async function serveUpstream(answer: (request: Request) => Response | Promise<Response>): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = await listen(async (request) => {
    hits.push(new URL(request.url).pathname);
    return answer(request);
  });
  servers.push(server);
  return { url: server.url, hits };
}

const createBody = {
  fileName: 'victim.bin',
  fileType: '45',
  parentFolder: ['root'],
  length: 10,
  uploadMode: 'multipart',
  uploadType: 1,
  autoRename: 2,
  multiParts: [{ partNumber: 1, partSize: 10 }],
};
const onePart = [{ partNumber: 1, partSize: 10 }];

async function createFile(api: string, as: string): Promise<string> {
  const created = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, as);
  assert.equal(created.status, 200, created.text);
  return created.json.fileId;
}

function upstreamLog(): string {
  return logged
    .filter((error): error is KooDriveUpstreamError => error instanceof KooDriveUpstreamError)
    .map((error) => error.body)
    .join('\n');
}

before(async () => {
  emulatorServer = await listen((request) => emulator.handle(request));
});
after(async () => {
  await Promise.all([emulatorServer, ...servers.splice(0)].map((server) => server.close()));
});
beforeEach(() => {
  logged = [];
  emulator = new KooDriveEmulator({ basePath: EMULATOR_BASE, apps: { [APP.appId]: APP.appSecret }, origin: emulatorServer.url });
});

describe('createKooDriveHandler: uploads belong to the principal that created them', () => {
  it('refuses another principal on uploadUrl and complete with the very answer an id that never existed gets', async () => {
    const api = await serveHandler();
    const victimId = await createFile(api, 'alice');
    const unknownId = `FnkL1QhXj8muHBuSWCHtFFY8Azue44Snr.${'Q'.repeat(22)}`;
    for (const [path, body] of [
      [KOODRIVE_PATHS.uploadUrl, (fileId: string) => ({ fileId, multiParts: onePart })],
      [KOODRIVE_PATHS.complete, (fileId: string) => ({ fileId })],
    ] as const) {
      const foreign = await postJson(`${api}${path}`, body(victimId), 'mallory');
      const unknown = await postJson(`${api}${path}`, body(unknownId), 'mallory');
      assertError(foreign, 403, 'forbidden');
      assert.deepEqual([unknown.status, unknown.text], [foreign.status, foreign.text]);
    }
    assert.deepEqual([emulator.stats.uploadUrl, emulator.stats.complete], [0, 0]);
    const own = await postJson(`${api}${KOODRIVE_PATHS.uploadUrl}`, { fileId: victimId, multiParts: onePart }, 'alice');
    assert.equal(own.status, 200, own.text);
  });

  it('refuses a forged binding and the bare KooDrive id, even for the principal that created the file', async () => {
    const api = await serveHandler();
    const bound = await createFile(api, 'alice');
    const fileId = bound.slice(0, bound.lastIndexOf('.'));
    assert.equal(emulator.pending()[0]?.fileId, fileId);
    const flipped = bound.slice(0, -1) + (bound.endsWith('A') ? 'B' : 'A');
    for (const forged of [fileId, `${fileId}.${'A'.repeat(22)}`, flipped, `${bound}.${'A'.repeat(22)}`]) {
      assertError(await postJson(`${api}${KOODRIVE_PATHS.complete}`, { fileId: forged }, 'alice'), 403, 'forbidden');
    }
    assert.equal(emulator.stats.complete, 0);
  });

  it('refuses every call authorize refuses, before KooDrive is asked', async () => {
    const api = await serveHandler();
    assertError(await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody), 403, 'forbidden');
    assert.equal(emulator.stats.create, 0);
  });
});

describe('createKooDriveHandler: KooDrive\'s answers reach the page without internal details', () => {
  it('passes a gateway refusal on as its code only: no internal host, no X-User-Id, no canonical request', async () => {
    const api = await serveHandler({ appSecret: 'not-the-app-secret' });
    const refused = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, 'alice');
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json.error_code, 'APIGW.0303');
    const internalHost = new URL(emulatorServer.url).host;
    for (const secret of [internalHost, USER, 'x-user-id', 'canonicalRequest', EMULATOR_BASE]) {
      assert.ok(!refused.text.includes(secret), `the page got ${secret}: ${refused.text}`);
    }
    assert.match(upstreamLog(), /verify signature fail/);
    assert.ok(upstreamLog().includes(internalHost));
  });

  it('answers 502 for an upstream error page or unknown JSON, the details to onError only', async () => {
    for (const [type, body] of [
      ['application/json', '{"message":"upstream connect error to 10.20.30.40:8443 for user 1505084218764547200"}'],
      ['text/html', '<h1>502</h1> gw-7.internal.example 10.20.30.40'],
    ]) {
      const upstream = await serveUpstream(() => new Response(body, { status: 503, headers: { 'content-type': type } }));
      const api = await serveHandler({ apiEndpoint: upstream.url });
      const answer = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, 'alice');
      assertError(answer, 502, 'bad-storage-response');
      assert.doesNotMatch(answer.text, /10\.20\.30\.40|gw-7|1505084218764547200/);
    }
    assert.match(upstreamLog(), /10\.20\.30\.40/);
  });
});

describe('createKooDriveHandler: no simple cross-site write, no CORS by default', () => {
  it('refuses a text/plain body (what a cross-site form can send) with 415 and calls nothing', async () => {
    const api = await serveHandler({ authorize: () => true });
    const answer = await call(`${api}${KOODRIVE_PATHS.create}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(createBody),
    });
    assertError(answer, 415, 'unsupported-media-type');
    assert.equal(emulator.stats.create, 0);
  });

  it('refuses a cross-site POST from an origin not allowed (403), lets a listed one in, and sends no CORS headers unasked', async () => {
    const api = await serveHandler({ authorize: () => true, allowedOrigins: ['https://app.example'] });
    const crossSite = (origin: string) => ({ origin, 'sec-fetch-site': 'cross-site' });
    const evil = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, undefined, crossSite(EVIL));
    assertError(evil, 403, 'origin-not-allowed');
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    assert.equal(emulator.stats.create, 0);
    const app = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, undefined, crossSite('https://app.example'));
    assert.equal(app.status, 200, app.text);
    assert.equal(app.headers.get('access-control-allow-origin'), 'https://app.example');

    const closed = await serveHandler({ authorize: () => true });
    const preflight = await call(`${closed}${KOODRIVE_PATHS.create}`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assertError(await postJson(`${closed}${KOODRIVE_PATHS.create}`, createBody, undefined, crossSite(EVIL)), 403, 'origin-not-allowed');
  });
});

describe('createKooDriveHandler: bounded upstream calls', () => {
  it('gives up on a KooDrive that does not answer: 504 upstream-timeout after upstreamTimeoutMs', { timeout: 10_000 }, async () => {
    const upstream = await serveUpstream((request) => new Promise<Response>((resolve) => request.signal.addEventListener('abort', () => resolve(new Response(null)))));
    const api = await serveHandler({ apiEndpoint: upstream.url, upstreamTimeoutMs: 300 });
    const started = performance.now();
    const answer = await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, 'alice');
    assertError(answer, 504, 'upstream-timeout');
    assert.ok(performance.now() - started < 5_000);
  });

  it('does not follow a redirect from upstream: 502, and the redirect target is never called', async () => {
    const target = await serveUpstream(() => Response.json({ code: 0, fileId: 'F1', uploadId: 'U1' }));
    const upstream = await serveUpstream(() => new Response(null, { status: 307, headers: { location: `${target.url}/elsewhere` } }));
    const api = await serveHandler({ apiEndpoint: upstream.url });
    assertError(await postJson(`${api}${KOODRIVE_PATHS.create}`, createBody, 'alice'), 502, 'bad-storage-response');
    assert.equal(upstream.hits.length, 1);
    assert.deepEqual(target.hits, []);
  });
});
