import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TencentCosV4Emulator } from '../../../src/emulators/tencent-cos-v4-emulator.js';
import { createCosV4SignatureHandler } from '../../../src/server/tencent-cos-v4-handler.js';
import type { CosV4SignatureHandlerOptions } from '../../../src/server/tencent-cos-v4-handler.js';
import { listen } from '../helpers/listen.js';
import type { Listening } from '../helpers/listen.js';
import { type Answer, assertError as assertHandlerError, call, postJson } from '../helpers/answer.js';

// The attacks of issue 9 on createCosV4SignatureHandler, each over real HTTP: signatures from the handler are tried
// against the strict COS v4 emulator, which checks `f` as COS does.

const APP_ID = '1250000000';
const BUCKET = 'securitybucket';
const KEYS = { secretId: 'AKIDCOSV4SECURITY0000', secretKey: 'cos-v4-security-secret' };
const EMULATOR_BASE = '/cos';
const EVIL = 'https://evil.example';

let emulator: TencentCosV4Emulator;
let emulatorServer: Listening;
const servers: Listening[] = [];

/** The principal is the bearer token, as an app's session lookup would give it; no token is refused. */
const bearerPrincipal = (request: Request): string | false =>
  request.headers.get('authorization')?.replace(/^Bearer /, '') || false;

async function serveSigner(options: Partial<CosV4SignatureHandlerOptions> = {}): Promise<string> {
  const server = await listen(
    createCosV4SignatureHandler({ appId: APP_ID, bucket: BUCKET, ...KEYS, pathPrefix: 'uploads', onError: () => undefined, ...options }),
  );
  servers.push(server);
  return `${server.url}/signature`;
}

/** Asks the handler for a signature as the page's adapter does. */
const askSignature = postJson;

function assertError(answer: Answer, status: number, code: string): void {
  assertHandlerError(answer, status, code);
  assert.equal(answer.json?.signature, undefined);
}

/** Writes `path` in one `op=upload` with `signature`, as a page holding it could; answers COS's `{code, message}`. */
async function writeWith(signature: string, path: string): Promise<{ code: number; message: string }> {
  const form = new FormData();
  form.set('op', 'upload');
  form.set('insertOnly', '0');
  form.set('filecontent', new Blob(['attacker bytes']), 'x.bin');
  const url = `${emulatorServer.url}${EMULATOR_BASE}/files/v2/${APP_ID}/${BUCKET}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const response = await fetch(url, { method: 'POST', headers: { authorization: signature }, body: form });
  return (await response.json()) as { code: number; message: string };
}

before(async () => {
  emulatorServer = await listen((request) => emulator.handle(request));
});
after(async () => {
  await Promise.all([emulatorServer, ...servers.splice(0)].map((server) => server.close()));
});
beforeEach(() => {
  emulator = new TencentCosV4Emulator({ basePath: EMULATOR_BASE, appId: APP_ID, bucket: BUCKET, credentials: KEYS, directories: ['uploads/', 'uploads/alice/'] });
});

describe('createCosV4SignatureHandler: not a signing oracle by default', () => {
  it('answers {} with 400, not a bucket-wide signature, even with pathPrefix set', async () => {
    const signer = await serveSigner();
    assertError(await askSignature(signer, {}), 400, 'invalid-key');
  });

  it('signs one object only: its signature cannot write another user\'s path or the bucket root', async () => {
    const signer = await serveSigner();
    const granted = await askSignature(signer, { path: 'uploads/alice/a.bin' });
    assert.equal(granted.status, 200, granted.text);
    for (const other of ['uploads/bob/a.bin', 'root.bin', 'uploads/alice/other.bin']) {
      assert.equal((await writeWith(granted.json.signature, other)).code, -63, other);
      assert.equal(emulator.storedBytes(other), undefined);
    }
    assert.equal((await writeWith(granted.json.signature, 'uploads/alice/a.bin')).code, 0);
  });

  it('keeps pathPrefix a directory: uploads-admin/ is not under uploads', async () => {
    const signer = await serveSigner();
    assertError(await askSignature(signer, { path: 'uploads-admin/x.bin' }), 403, 'key-outside-prefix');
  });

  it('keeps each principal in its own directory below pathPrefix', async () => {
    const signer = await serveSigner({ authorize: bearerPrincipal });
    assert.equal((await askSignature(signer, { path: 'uploads/alice/a.bin' }, 'alice')).status, 200);
    for (const path of ['uploads/bob/a.bin', 'uploads/alice2/a.bin', 'uploads/a.bin']) {
      assertError(await askSignature(signer, { path }, 'alice'), 403, 'forbidden');
    }
    assertError(await askSignature(signer, { path: 'uploads-admin/alice/a.bin' }, 'alice'), 403, 'key-outside-prefix');
  });

  it('signs nothing for 200 anonymous requests when authorize refuses anonymous callers', async () => {
    const signer = await serveSigner({ authorize: bearerPrincipal });
    const bodies = [{}, { path: 'uploads/x.bin' }];
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => askSignature(signer, bodies[i % 2])));
    assert.equal(answers.filter((answer) => answer.json?.signature !== undefined).length, 0);
    assert.ok(answers.every((answer) => answer.status === 400 || answer.status === 403));
  });
});

describe('createCosV4SignatureHandler: no simple cross-site request, no CORS by default', () => {
  it('refuses a text/plain body (what a cross-site form can send) with 415', async () => {
    const signer = await serveSigner();
    const answer = await call(signer, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"path":"uploads/x.bin"}' });
    assertError(answer, 415, 'unsupported-media-type');
  });

  it('refuses a cross-site POST from an origin not allowed, and answers no CORS headers unless origins are listed', async () => {
    const signer = await serveSigner();
    const crossSite = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const answer = await askSignature(signer, { path: 'uploads/x.bin' }, undefined, crossSite);
    assertError(answer, 403, 'origin-not-allowed');
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    const preflight = await call(signer, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);

    const listed = await serveSigner({ allowedOrigins: ['https://app.example'] });
    const allowed = await askSignature(listed, { path: 'uploads/x.bin' }, undefined, { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
  });
});
