import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulatorServer } from '../../../src/emulators/node-server.js';
import type { EmulatorServer } from '../../../src/emulators/node-server.js';
import { createS3Handler } from '../../../src/server/s3-handler.js';
import type { S3Action, S3HandlerOptions } from '../../../src/server/s3-handler.js';
import { listen } from '../helpers/listen.js';
import type { Listening } from '../helpers/listen.js';
import { assertError, call, postJson } from '../helpers/answer.js';
import { emulatorS3Options } from '../helpers/s3-emulator-options.js';

// The attacks of issue 9 on createS3Handler, each over real HTTP against the strict S3 emulator.

const MiB = 1024 * 1024;
const EVIL = 'https://evil.example';

let emulator: EmulatorServer;
const servers: Listening[] = [];

/** The principal is the bearer token, as an app's session lookup would give it; no token is refused. */
const bearerPrincipal = (request: Request): string | false =>
  request.headers.get('authorization')?.replace(/^Bearer /, '') || false;

async function serveHandler(options: Partial<S3HandlerOptions> = {}): Promise<string> {
  const server = await listen(
    createS3Handler({
      ...emulatorS3Options(emulator),
      keyPrefix: 'uploads',
      onError: () => undefined,
      ...options,
    }),
  );
  servers.push(server);
  return server.url;
}

const uploadUrl = (api: string, uploadId: string, rest = '') => `${api}/s3/multipart/${encodeURIComponent(uploadId)}${rest}`;
const keyQuery = (key: string) => `key=${encodeURIComponent(key)}`;

async function createUpload(api: string, as?: string): Promise<{ key: string; uploadId: string }> {
  const created = await postJson(`${api}/s3/multipart`, { filename: 'victim.bin', type: 'application/octet-stream', size: 6 * MiB }, as);
  assert.equal(created.status, 200, created.text);
  return created.json;
}

async function putPart(api: string, upload: { key: string; uploadId: string }, partNumber: number, bytes: Uint8Array<ArrayBuffer>, as?: string) {
  const signed = await call(`${uploadUrl(api, upload.uploadId, `/${partNumber}`)}?${keyQuery(upload.key)}`, as === undefined ? {} : { as });
  assert.equal(signed.status, 200, signed.text);
  const put = await fetch(signed.json.url, { method: 'PUT', body: bytes });
  assert.equal(put.status, 200, await put.text());
  return put.headers.get('etag') as string;
}

const fill = (length: number, byte: number) => new Uint8Array(length).fill(byte);

/** Sends a POST Object form: the answer's fields, with `override` laid over them, then the file. */
function postForm(params: { url: string; fields: Record<string, string> }, file: Uint8Array<ArrayBuffer>, override: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...params.fields, ...override })) form.append(name, value);
  form.append('file', new Blob([file]));
  return fetch(params.url, { method: 'POST', body: form });
}

/** An object's type and bytes as the emulator serves them to anyone holding a GET URL. */
async function storedObject(key: string): Promise<{ type: string | null; bytes: Uint8Array } | undefined> {
  const response = await fetch(await emulator.s3.presign({ method: 'GET', key, expiresIn: 60 }));
  if (response.status === 404) return undefined;
  return { type: response.headers.get('content-type'), bytes: new Uint8Array(await response.arrayBuffer()) };
}

before(async () => {
  emulator = await startEmulatorServer();
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await emulator.close();
});
beforeEach(() => emulator.s3.reset());

describe('createS3Handler: uploads are bound to the principal that created them', () => {
  let api: string;
  const seen: S3Action[] = [];
  before(async () => {
    api = await serveHandler({
      authorize: (request, action) => {
        seen.push(action);
        return bearerPrincipal(request);
      },
    });
  });

  it("refuses another principal's sign, batch, list, complete and abort with 403, leaving the victim's upload whole", async () => {
    const victim = await createUpload(api, 'alice');
    assert.match(victim.key, /^uploads\/alice\/[0-9a-f-]{36}\/victim\.bin$/);
    const victimBytes = [fill(5 * MiB, 1), fill(MiB, 2)];
    const etags = [await putPart(api, victim, 1, victimBytes[0] as Uint8Array<ArrayBuffer>, 'alice')];

    const attempts = [
      await call(`${uploadUrl(api, victim.uploadId, '/2')}?${keyQuery(victim.key)}`, { as: 'mallory' }),
      await call(`${uploadUrl(api, victim.uploadId, '/batch')}?${keyQuery(victim.key)}&partNumbers=1,2`, { as: 'mallory' }),
      await call(`${uploadUrl(api, victim.uploadId)}?${keyQuery(victim.key)}`, { as: 'mallory' }),
      await postJson(`${uploadUrl(api, victim.uploadId, '/complete')}?${keyQuery(victim.key)}`, { parts: [{ PartNumber: 1, ETag: etags[0] }] }, 'mallory'),
      await call(`${uploadUrl(api, victim.uploadId)}?${keyQuery(victim.key)}`, { method: 'DELETE', as: 'mallory' }),
    ];
    for (const attempt of attempts) assertError(attempt, 403, 'forbidden');
    assert.equal(new Set(attempts.map((attempt) => attempt.text)).size, 1, 'every refusal is the same answer');
    assert.equal(emulator.s3.stats.abort, 0);
    assert.equal(emulator.s3.stats.listParts, 0);
    assert.deepEqual(
      emulator.s3.pending().map((upload) => [upload.key, upload.partNumbers]),
      [[victim.key, [1]]],
    );

    etags.push(await putPart(api, victim, 2, victimBytes[1] as Uint8Array<ArrayBuffer>, 'alice'));
    const completed = await postJson(
      `${uploadUrl(api, victim.uploadId, '/complete')}?${keyQuery(victim.key)}`,
      { parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) },
      'alice',
    );
    assert.equal(completed.status, 200, completed.text);
    const stored = await storedObject(victim.key);
    assert.deepEqual(stored?.bytes, new Uint8Array([...(victimBytes[0] as Uint8Array), ...(victimBytes[1] as Uint8Array)]));
  });

  it("signs a single PUT again for the key an earlier answer named, only in the principal's own directory", async () => {
    const first = await call(`${api}/s3/params?method=PUT&filename=once.bin&type=application/octet-stream&size=3`, { as: 'alice' });
    assert.equal(first.status, 200, first.text);
    const again = await call(
      `${api}/s3/params?method=PUT&filename=once.bin&type=application/octet-stream&size=3&${keyQuery(first.json.key)}`,
      { as: 'alice' },
    );
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.key, first.json.key);
    assert.equal((await fetch(again.json.url, { method: 'PUT', body: fill(3, 7), headers: again.json.headers })).status, 200);
    assert.deepEqual((await storedObject(first.json.key))?.bytes, fill(3, 7));

    const stolen = await call(
      `${api}/s3/params?method=PUT&filename=once.bin&type=application/octet-stream&size=3&${keyQuery(first.json.key)}`,
      { as: 'mallory' },
    );
    assertError(stolen, 403, 'forbidden');
    const outside = await call(`${api}/s3/params?method=PUT&filename=x.bin&size=3&${keyQuery('uploads/other.bin')}`, { as: 'alice' });
    assertError(outside, 403, 'forbidden');
  });

  it("signs a POST policy again for the key an earlier answer named, only in the principal's own directory", async () => {
    const first = await call(`${api}/s3/params?filename=once.bin&size=3`, { as: 'alice' });
    assert.equal(first.status, 200, first.text);
    const again = await call(`${api}/s3/params?filename=once.bin&size=3&${keyQuery(first.json.key)}`, { as: 'alice' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.fields.key, first.json.key);
    assert.equal((await postForm(again.json, fill(3, 7))).status, 204);
    assert.deepEqual((await storedObject(first.json.key))?.bytes, fill(3, 7));
    assertError(await call(`${api}/s3/params?filename=once.bin&size=3&${keyQuery(first.json.key)}`, { as: 'mallory' }), 403, 'forbidden');
    assertError(await call(`${api}/s3/params?filename=x.bin&size=3&${keyQuery('uploads/other.bin')}`, { as: 'alice' }), 403, 'forbidden');
  });

  it('holds a POST policy to its one key, type and declared size: a form that changes any of them stores nothing', async () => {
    const params = await call(`${api}/s3/params?filename=a.bin&type=image/png&size=5`, { as: 'alice' });
    assert.equal(params.status, 200, params.text);
    const elsewhere = `${params.json.key.slice(0, params.json.key.lastIndexOf('/'))}/other.bin`;
    for (const [change, override, file] of [
      ['another key', { key: elsewhere }, fill(5, 1)],
      ['another type', { 'Content-Type': 'text/html' }, fill(5, 1)],
      ['an extra field', { 'x-amz-meta-note': 'hi' }, fill(5, 1)],
      ['a longer file', {}, fill(6, 1)],
      ['a shorter file', {}, fill(4, 1)],
    ] as const) {
      const refused = await postForm(params.json, file, override);
      assert.ok(refused.status === 403 || refused.status === 400, `${change}: ${refused.status}`);
    }
    assert.equal(await storedObject(params.json.key), undefined);
    assert.equal(await storedObject(elsewhere), undefined);
    assert.equal((await postForm(params.json, fill(5, 1))).status, 204);
    assert.equal((await storedObject(params.json.key))?.type, 'image/png');
  });

  it('gives a stranger the same answer for an upload that does not exist as for one that does', async () => {
    const victim = await createUpload(api, 'alice');
    const existing = await call(`${uploadUrl(api, victim.uploadId)}?${keyQuery(victim.key)}`, { as: 'mallory' });
    const unknownUpload = await call(`${uploadUrl(api, 'no-such-upload')}?${keyQuery(victim.key)}`, { as: 'mallory' });
    const unknownKey = await call(`${uploadUrl(api, 'no-such-upload')}?${keyQuery('uploads/alice/nothing/here.bin')}`, { as: 'mallory' });
    assertError(existing, 403, 'forbidden');
    assert.equal(unknownUpload.text, existing.text);
    assert.equal(unknownKey.text, existing.text);
    assert.equal(emulator.s3.stats.listParts, 0, 'S3 was never asked');
  });

  it('answers authorize refusing with the same 403 whether or not the upload exists', async () => {
    const victim = await createUpload(api, 'alice');
    const existing = await call(`${uploadUrl(api, victim.uploadId)}?${keyQuery(victim.key)}`);
    const missing = await call(`${uploadUrl(api, `${victim.uploadId}x`)}?${keyQuery(`${victim.key}x`)}`);
    assertError(existing, 403, 'forbidden');
    assert.equal(missing.text, existing.text);
    const created = await postJson(`${api}/s3/multipart`, { filename: 'a.bin', size: 1 });
    assertError(created, 403, 'forbidden');
    assert.equal(emulator.s3.stats.create, 1);
  });

  it("keeps a principal's keys out of another principal's directory, even one that starts with its name", async () => {
    const alice2 = await createUpload(api, 'alice2');
    const answer = await call(`${uploadUrl(api, alice2.uploadId, '/1')}?${keyQuery(alice2.key)}`, { as: 'alice' });
    assertError(answer, 403, 'forbidden');
    const dotted = await createUpload(api, '..');
    assert.match(dotted.key, /^uploads\/%2E%2E\//);
  });

  it('asks authorize with what each call does', async () => {
    seen.length = 0;
    const upload = await createUpload(api, 'alice');
    await call(`${uploadUrl(api, upload.uploadId, '/batch')}?${keyQuery(upload.key)}&partNumbers=2,1`, { as: 'alice' });
    await call(`${api}/s3/params?method=PUT&filename=s.txt&type=text/plain&size=3`, { as: 'alice' });
    assert.deepEqual(seen, [
      { kind: 'create', filename: 'victim.bin', type: 'application/octet-stream', size: 6 * MiB, metadata: {} },
      { kind: 'sign-part', key: upload.key, uploadId: upload.uploadId, partNumbers: [2, 1] },
      { kind: 'sign-put', filename: 's.txt', type: 'text/plain', size: 3, metadata: {} },
    ]);
  });
});

describe('createS3Handler: no cross-site writes, no CORS unless asked', () => {
  let api: string;
  before(async () => {
    api = await serveHandler();
  });

  it('refuses a text/plain POST (what a cross-site form or no-cors fetch sends) with 415 even for allowed origins, creating nothing', async () => {
    const open = await serveHandler({ allowedOrigins: '*' });
    const form = { 'content-type': 'text/plain', origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const body = JSON.stringify({ filename: 'a.bin', type: 'text/plain' });
    assertError(await call(`${open}/s3/multipart`, { method: 'POST', headers: form, body }), 415, 'unsupported-media-type');
    const complete = await call(`${uploadUrl(open, 'u1', '/complete')}?key=uploads/a`, { method: 'POST', headers: form, body: '{"parts":[]}' });
    assertError(complete, 415, 'unsupported-media-type');
    assertError(await call(`${api}/s3/multipart`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body }), 415, 'unsupported-media-type');
    assert.equal(emulator.s3.stats.create, 0);
  });

  it('refuses a cross-site JSON POST from an origin it does not allow with 403, creating nothing', async () => {
    const headers = { 'content-type': 'application/json', origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const created = await call(`${api}/s3/multipart`, { method: 'POST', headers, body: JSON.stringify({ filename: 'a.bin' }) });
    assertError(created, 403, 'origin-not-allowed');
    const aborted = await call(`${uploadUrl(api, 'x')}?key=uploads/a`, { method: 'DELETE', headers });
    assertError(aborted, 403, 'origin-not-allowed');
    assert.equal(emulator.s3.stats.create, 0);
  });

  it('sends no Access-Control-Allow-Origin by default, and a preflight echoes no method or header', async () => {
    const answer = await call(`${api}/s3/params?method=PUT&filename=a.txt`, { headers: { origin: EVIL } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    const preflight = await call(`${api}/s3/multipart`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'x-evil' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-methods'), null);
    assert.equal(preflight.headers.get('access-control-allow-headers'), null);
  });

  it('grants a listed origin only the methods of the route and the headers it reads', async () => {
    const listed = await serveHandler({ allowedOrigins: ['https://app.example'], allowedHeaders: ['X-CSRF-Token'] });
    const preflight = await call(`${listed}/s3/multipart`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'x-evil' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type, authorization, x-csrf-token');
    const evil = await call(`${listed}/s3/multipart`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
  });
});

describe('createS3Handler: signs no more than the call needs', () => {
  it('ignores a key the page asks for when there is no principal: an anonymous page never chooses its key', async () => {
    const api = await serveHandler();
    const answer = await call(`${api}/s3/params?method=PUT&filename=a.bin&size=1&${keyQuery('uploads/someone-elses.bin')}`);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.key, /^uploads\/[0-9a-f-]{36}\/a\.bin$/);
  });

  it("treats keyPrefix as a directory: 'uploads' never covers 'uploads-admin/'", async () => {
    const api = await serveHandler({ keyPrefix: 'uploads' });
    for (const key of ['uploads-admin/x', 'uploads', 'uploadsx/y']) {
      assertError(await call(`${uploadUrl(api, 'u1', '/1')}?${keyQuery(key)}`), 400, 'key-outside-prefix');
    }
    const inside = await call(`${uploadUrl(api, 'u1', '/1')}?${keyQuery('uploads/x')}`);
    assert.equal(inside.status, 200, inside.text);
  });

  it('caps batch signing at maxBatchSize (default 100) with 400 too-many-parts', async () => {
    const api = await serveHandler();
    const numbers = (count: number) => Array.from({ length: count }, (_, index) => index + 1).join(',');
    const batch = (count: number, url = api) => call(`${uploadUrl(url, 'u1', '/batch')}?key=uploads/x&partNumbers=${numbers(count)}`);
    assertError(await batch(101), 400, 'too-many-parts');
    const hundred = await batch(100);
    assert.equal(hundred.status, 200, hundred.text);
    assert.equal(Object.keys(hundred.json.presignedUrls).length, 100);
    const larger = await serveHandler({ maxBatchSize: 1000 });
    assert.equal((await batch(1000, larger)).status, 200);
    assertError(await batch(1001, larger), 400, 'too-many-parts');
    assert.throws(() => createS3Handler({ bucket: 'b', region: 'r', maxBatchSize: 1001 }), RangeError);
  });

  it('needs a declared size for create and presigned PUT when maxFileSize is set; a POST policy bounds it itself', async () => {
    const api = await serveHandler({ maxFileSize: 1000 });
    assertError(await postJson(`${api}/s3/multipart`, { filename: 'a.bin' }), 400, 'size-required');
    assertError(await call(`${api}/s3/params?method=PUT&filename=a.bin`), 400, 'size-required');
    assertError(await call(`${api}/s3/params?method=PUT&filename=a.bin&size=1001`), 413, 'file-too-large');
    assert.equal(emulator.s3.stats.create, 0);
    const policy = await call(`${api}/s3/params?filename=a.bin`);
    assert.equal(policy.status, 200, policy.text);
    const conditions = JSON.parse(atob(policy.json.fields.Policy)).conditions;
    assert.deepEqual(conditions.find((condition: unknown) => Array.isArray(condition)), ['content-length-range', 0, 1000]);
    const sized = await call(`${api}/s3/params?filename=a.bin&size=10`);
    assert.deepEqual(JSON.parse(atob(sized.json.fields.Policy)).conditions.find(Array.isArray), ['content-length-range', 10, 10]);
  });

  it('signs Content-Length into a single PUT: a longer body is refused and nothing is stored', async () => {
    const api = await serveHandler();
    const params = await call(`${api}/s3/params?method=PUT&filename=a.bin&size=5`);
    assert.equal(params.status, 200, params.text);
    assert.equal(new URL(params.json.url).searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host');
    const longer = await fetch(params.json.url, { method: 'PUT', body: fill(6, 7), headers: params.json.headers });
    assert.equal(longer.status, 403, await longer.text());
    assert.equal(await storedObject(params.json.key), undefined);
    const exact = await fetch(params.json.url, { method: 'PUT', body: fill(5, 7), headers: params.json.headers });
    assert.equal(exact.status, 200, await exact.text());
  });

  it('stores types a browser would run from the bucket origin as application/octet-stream', async () => {
    const api = await serveHandler();
    for (const type of ['text/html', 'TEXT/HTML; charset=utf-8', 'image/svg+xml', 'application/xhtml+xml', 'text/javascript', 'application/xml', 'text/xml']) {
      const params = await call(`${api}/s3/params?method=PUT&filename=a&type=${encodeURIComponent(type)}&size=4`);
      assert.deepEqual(params.json.headers, { 'content-type': 'application/octet-stream' }, type);
      const put = await fetch(params.json.url, { method: 'PUT', body: fill(4, 60), headers: { 'content-type': type } });
      assert.equal(put.status, 403, `${type}: the signed type is the only one S3 accepts`);
      assert.equal((await fetch(params.json.url, { method: 'PUT', body: fill(4, 60), headers: params.json.headers })).status, 200);
      assert.equal((await storedObject(params.json.key))?.type, 'application/octet-stream', type);
    }
    const created = await postJson(`${api}/s3/multipart`, { filename: 'a.svg', type: 'image/svg+xml' });
    const uploads = emulator.s3.pending();
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]?.key, created.json.key);
    const policy = await call(`${api}/s3/params?filename=a.html&type=text/html`);
    assert.equal(policy.json.fields['Content-Type'], 'application/octet-stream');
    const plain = await call(`${api}/s3/params?method=PUT&filename=a&type=image/png&size=1`);
    assert.deepEqual(plain.json.headers, { 'content-type': 'image/png' });
  });

  it('refuses types outside allowedContentTypes with 415 type-not-allowed, and stores an active type it names exactly', async () => {
    const api = await serveHandler({ allowedContentTypes: ['image/*', 'image/svg+xml', 'application/pdf'] });
    assertError(await call(`${api}/s3/params?filename=a&type=text/plain`), 415, 'type-not-allowed');
    assertError(await postJson(`${api}/s3/multipart`, { filename: 'a', type: 'text/html' }), 415, 'type-not-allowed');
    assertError(await postJson(`${api}/s3/multipart`, { filename: 'a' }), 415, 'type-not-allowed');
    assert.equal(emulator.s3.stats.create, 0);
    const svg = await call(`${api}/s3/params?method=PUT&filename=a&type=image/svg%2Bxml&size=1`);
    assert.deepEqual(svg.json.headers, { 'content-type': 'image/svg+xml' });
    const png = await call(`${api}/s3/params?method=PUT&filename=a&type=image/png&size=1`);
    assert.deepEqual(png.json.headers, { 'content-type': 'image/png' });
    const onlyByWildcard = await serveHandler({ allowedContentTypes: ['image/*'] });
    const wildSvg = await call(`${onlyByWildcard}/s3/params?method=PUT&filename=a&type=image/svg%2Bxml&size=1`);
    assert.deepEqual(wildSvg.json.headers, { 'content-type': 'application/octet-stream' });
  });
});

describe('createS3Handler: bounded time, nothing internal in answers', () => {
  it('answers 504 upstream-timeout when S3 does not answer within upstreamTimeoutMs', async () => {
    const api = await serveHandler({ upstreamTimeoutMs: 300 });
    emulator.s3.faults.delay(3000, { operation: 'CreateMultipartUpload' });
    const started = Date.now();
    const answer = await postJson(`${api}/s3/multipart`, { filename: 'slow.bin' });
    assertError(answer, 504, 'upstream-timeout');
    assert.ok(Date.now() - started < 2500, `answered after ${Date.now() - started} ms`);
  });

  it('answers a storage failure with a generic 502 and gives the details to onError only', async () => {
    const errors: unknown[] = [];
    const api = await serveHandler({ onError: (error) => errors.push(error) });
    // The SDK tries a 5xx again (three attempts by default); every attempt fails here.
    emulator.s3.faults.failRequest({ operation: 'CreateMultipartUpload' }, { status: 500, times: 10 });
    const answer = await postJson(`${api}/s3/multipart`, { filename: 'a.bin' });
    assertError(answer, 502, 'InternalError');
    assert.equal(answer.json.error.message, 'The storage service failed to handle the request.');
    assert.equal(errors.length, 1);
    const unreachable = await serveHandler({ endpoint: 'http://127.0.0.1:9/internal-store', onError: (error) => errors.push(error) });
    const gone = await postJson(`${unreachable}/s3/multipart`, { filename: 'a.bin' });
    assertError(gone, 502, 'storage-unreachable');
    assert.doesNotMatch(gone.text, /127\.0\.0\.1:9|internal-store/);
    assert.equal(errors.length, 2);
  });

  it('answers a malformed Host header with 400 invalid-host', async () => {
    const api = await serveHandler();
    const { port } = new URL(api);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /s3/params?filename=a HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n');
      });
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /"code":"invalid-host"/);
  });
});
