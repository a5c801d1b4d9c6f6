import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { IflytekOstEmulator } from '../../../src/emulators/iflytek-ost-emulator.js';
import { createIflytekOstHandler } from '../../../src/server/iflytek-ost-handler.js';
import type { IflytekOstHandlerOptions } from '../../../src/server/iflytek-ost-handler.js';
import { listen } from '../helpers/listen.js';
import type { Listening } from '../helpers/listen.js';
import { type Answer, assertError, call, postJson } from '../helpers/answer.js';
import { concatBytes } from '../../../src/emulators/checksums.js';

// The attacks of issue 9 on createIflytekOstHandler, over real HTTP against the strict iFlytek emulator or a sink
// that counts what reaches it; only the parser's CPU cost is measured in-process, where the chunking is exact.

const CREDENTIALS = { appId: 'secapp', apiKey: 'sec-api-key', apiSecret: 'sec-api-secret' };
const SECRET = 'iflytek-security-test-secret-0123456789';
const BOUNDARY = 'mcuSecurityBoundary';
const EVIL = 'https://evil.example';
const KiB = 1024;
const MiB = 1024 * KiB;
const encoder = new TextEncoder();

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The principal is the bearer token, as an app's session lookup would give it; no token is refused. */
const bearerPrincipal = (request: Request): string | false => request.headers.get('authorization')?.replace(/^Bearer /, '') || false;

async function serveProxy(upstream: string, options: Partial<IflytekOstHandlerOptions> = {}): Promise<string> {
  const server = await listen(createIflytekOstHandler({ ...CREDENTIALS, upstream, onError: () => undefined, ...options }));
  closers.push(() => server.close());
  return server.url;
}

async function serveEmulator(): Promise<{ emulator: IflytekOstEmulator; url: string }> {
  // Slices of a few bytes keep the tests small; the emulator's other checks stay as strict as ever.
  const emulator = new IflytekOstEmulator({ basePath: '/ost', credentials: CREDENTIALS, minSliceSize: 1 });
  const server: Listening = await listen((request) => emulator.handle(request));
  closers.push(() => server.close());
  return { emulator, url: `${server.url}/ost` };
}

/** What reached the sink, and how many of the sockets that carried a call are still open. */
interface Sink {
  url: string;
  requests: Array<{ path: string; headers: IncomingMessage['headers']; bytes: number }>;
  openSockets(): number;
}

/**
 * An upstream that records each call and answers it with `respond` once its body is in (`'hang'`: never). Only
 * sockets that carried a call count: Node's fetch opens a spare idle one after it drops a connection.
 */
async function startSink(respond: (path: string, res: ServerResponse) => void | 'hang'): Promise<Sink> {
  const carrying = new Set<Socket>();
  const requests: Sink['requests'] = [];
  const server: Server = createServer((req, res) => {
    const record = { path: req.url ?? '', headers: req.headers, bytes: 0 };
    requests.push(record);
    if (!req.socket.destroyed) {
      carrying.add(req.socket);
      req.socket.once('close', () => carrying.delete(req.socket));
    }
    req.on('data', (chunk: Buffer) => (record.bytes += chunk.length));
    req.on('end', () => respond(record.path, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ost`, requests, openSockets: () => carrying.size };
}

function okAnswer(_path: string, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 0, sid: 'sink', message: 'success', data: { url: 'https://files.example/x', upload_id: 'up_1' } }));
}

/** A multipart body as a browser builds it: `fields` in order, then `data`, then the closing boundary. */
function form(fields: Array<[string, string]>, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = fields.map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('');
  const parts = [
    encoder.encode(`${head}--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    encoder.encode(`\r\n--${BOUNDARY}--\r\n`),
  ];
  return concatBytes(parts);
}

const postForm = (url: string, body: Uint8Array<ArrayBuffer>, init: { as?: string; headers?: Record<string, string> } = {}): Promise<Answer> =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...init.headers },
    body,
    ...(init.as !== undefined && { as: init.as }),
  });

/** `promise`, or a failure naming `what` after `ms`: the old handler never answered these at all. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createIflytekOstHandler under attack', () => {
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('refuses another principal\'s slice, complete and cancel with 403, the same answer as for a forged or unknown id', async () => {
    const { emulator, url } = await serveEmulator();
    const api = await serveProxy(url, { authorize: bearerPrincipal, secret: SECRET });
    const init = await postJson(`${api}/file/mpupload/init`, {}, 'alice');
    assert.equal(init.json?.code, 0, init.text);
    const aliceId: string = init.json.data.upload_id;
    const [pending] = emulator.pending();
    assert.match(aliceId, new RegExp(`^${pending!.uploadId}\\.[A-Za-z0-9_-]{22}$`), 'the page gets the service id bound to its principal');
    assert.equal((await postForm(`${api}/file/mpupload/upload`, form([['upload_id', aliceId], ['slice_id', '1']], new Uint8Array(8)), { as: 'alice' })).json?.code, 0);

    const forged = `${pending!.uploadId}.AAAAAAAAAAAAAAAAAAAAAA`;
    const unknown = `up_${'9'.repeat(24)}.AAAAAAAAAAAAAAAAAAAAAA`;
    const attempts: Array<[string, (id: string) => Promise<Answer>]> = [
      ['slice', (id) => postForm(`${api}/file/mpupload/upload`, form([['upload_id', id], ['slice_id', '2']], new Uint8Array(8)), { as: 'bob' })],
      ['complete', (id) => postJson(`${api}/file/mpupload/complete`, { upload_id: id }, 'bob')],
      ['cancel', (id) => postJson(`${api}/file/mpupload/cancel`, { upload_id: id }, 'bob')],
    ];
    for (const [name, attempt] of attempts) {
      const answers = [await attempt(aliceId), await attempt(forged), await attempt(unknown), await attempt(pending!.uploadId)];
      for (const answer of answers) assertError(answer, 403, 'forbidden');
      assert.equal(new Set(answers.map((answer) => answer.text)).size, 1, `${name}: one answer whether or not the upload exists`);
    }
    // Alice herself cannot use the bare service id either: only what the proxy handed out opens it.
    assertError(await postJson(`${api}/file/mpupload/cancel`, { upload_id: pending!.uploadId }, 'alice'), 403, 'forbidden');

    assert.deepEqual(emulator.pending(), [{ uploadId: pending!.uploadId, sliceIds: [1] }]);
    assert.deepEqual(emulator.stats.sliceIdsReceived, [1]);
    assert.equal(emulator.stats.complete + emulator.stats.cancel, 0);
    const done = await postJson(`${api}/file/mpupload/complete`, { upload_id: aliceId }, 'alice');
    assert.equal(done.json?.code, 0, done.text);
  });

  it('refuses a cross-site multipart form POST (a CORS-simple request) with 403 before anything goes upstream', async () => {
    const sink = await startSink(okAnswer);
    const crossSite = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const body = form([['request_id', 'evil1']], new Uint8Array(16));
    assertError(await postForm(`${await serveProxy(sink.url)}/file/upload`, body, { headers: crossSite }), 403, 'origin-not-allowed');
    const listed = await serveProxy(sink.url, { allowedOrigins: ['https://app.example'] });
    assertError(await postForm(`${listed}/file/upload`, body, { headers: crossSite }), 403, 'origin-not-allowed');
    assertError(
      await postForm(`${listed}/file/mpupload/upload`, form([['upload_id', 'up_1'], ['slice_id', '1']], new Uint8Array(16)), { headers: crossSite }),
      403,
      'origin-not-allowed',
    );
    assert.equal(sink.requests.length, 0);
    const allowed = await postForm(`${listed}/file/upload`, body, { headers: { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(allowed.json?.code, 0, allowed.text);
  });

  it('answers text/plain to a JSON route with 415 unsupported-media-type, sending nothing upstream', async () => {
    const sink = await startSink(okAnswer);
    const api = await serveProxy(sink.url);
    for (const route of ['init', 'complete', 'cancel']) {
      const answer = await call(`${api}/file/mpupload/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ request_id: 'r1', upload_id: 'up_1' }),
      });
      assertError(answer, 415, 'unsupported-media-type');
    }
    assert.equal(sink.requests.length, 0);
  });

  it('cuts a slow-loris slice off with 408 after idleTimeoutMs and closes its upstream socket', async () => {
    const sink = await startSink(okAnswer);
    const api = new URL(await serveProxy(sink.url, { idleTimeoutMs: 300 }));
    const whole = form([['upload_id', 'up_1'], ['slice_id', '1']], new Uint8Array(4 * MiB));
    // The head and a few bytes of data, then nothing: the request says 4 MiB and more are coming.
    const sent = whole.subarray(0, whole.length - 4 * MiB - `\r\n--${BOUNDARY}--\r\n`.length + 5);
    const socket = connect(Number(api.port), '127.0.0.1');
    closers.push(async () => void socket.destroy());
    const started = Date.now();
    const raw = within(
      5000,
      'the stalled slice',
      new Promise<string>((resolve, reject) => {
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      }),
    );
    socket.write(
      `POST /file/mpupload/upload HTTP/1.1\r\nHost: ${api.host}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
        `Content-Length: ${whole.length}\r\n\r\n`,
    );
    socket.write(sent);
    await within(3000, 'the slice reaching upstream', until(() => sink.openSockets() === 1 && sink.requests.length === 1, 3000, 'upstream call'));
    const answer = await raw;
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"request-timeout"/);
    assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
    await until(() => sink.openSockets() === 0, 2000, 'the upstream socket closed');
  });

  it('refuses with 413, sending nothing upstream, a form in "body" mode larger than maxBufferedBytes', async () => {
    const sink = await startSink(okAnswer);
    const api = await serveProxy(sink.url, { multipartDigest: 'body', maxBufferedBytes: MiB });
    assertError(await postForm(`${api}/file/mpupload/upload`, form([['upload_id', 'up_1'], ['slice_id', '1']], new Uint8Array(MiB + 1))), 413, 'body-too-large');
    assertError(await postForm(`${api}/file/upload`, form([], new Uint8Array(2 * MiB))), 413, 'body-too-large');
    assert.equal(sink.requests.length, 0);
    const fits = await postForm(`${api}/file/upload`, form([], new Uint8Array(MiB - 4 * KiB)));
    assert.equal(fits.json?.code, 0, fits.text);
    assert.equal(sink.requests.length, 1);
  });

  it('never follows a redirect from the service with the page\'s slice: 502, and the redirect target gets nothing', async () => {
    const elsewhere = await startSink(okAnswer);
    const redirecting = await startSink((_path, res) => void res.writeHead(307, { location: `${elsewhere.url}/stolen` }).end());
    const errors: unknown[] = [];
    const api = await serveProxy(redirecting.url, { onError: (error) => errors.push(error) });
    const answer = await postForm(`${api}/file/mpupload/upload`, form([['upload_id', 'up_1'], ['slice_id', '1']], new Uint8Array(64 * KiB)));
    assert.equal(answer.status, 502, answer.text);
    assert.equal(redirecting.requests.length, 1);
    assert.equal(elsewhere.requests.length, 0);
    assert.equal(errors.length, 1);
  });

  it('answers 504 when the service does not answer a JSON call within upstreamTimeoutMs', async () => {
    const sink = await startSink(() => 'hang');
    const api = await serveProxy(sink.url, { upstreamTimeoutMs: 300 });
    const started = Date.now();
    assertError(await within(5000, 'init', postJson(`${api}/file/mpupload/init`, {})), 504, 'upstream-timeout');
    assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
    await until(() => sink.openSockets() === 0, 2000, 'the upstream socket closed');
  });

  it('keeps internal hosts of a failing service from the page and gives them to onError', async () => {
    const answers: Record<string, [number, string, string]> = {
      '/ost/file/mpupload/init': [503, 'application/json', '{"message":"no healthy upstream: ost-store.corp.internal:8443"}'],
      '/ost/file/mpupload/complete': [500, 'application/json', '{"code":10002,"message":"dial tcp 10.20.30.40:9000: refused","sid":"ost9"}'],
      '/ost/file/mpupload/cancel': [502, 'text/html', '<html><body>Bad gateway: ost-store.corp.internal</body></html>'],
    };
    const sink = await startSink((path, res) => {
      const [status, type, body] = answers[path]!;
      res.writeHead(status, { 'content-type': type, 'retry-after': '3' });
      res.end(body);
    });
    const errors: unknown[] = [];
    const api = await serveProxy(sink.url, { onError: (error) => errors.push(error) });
    const init = await postJson(`${api}/file/mpupload/init`, {});
    const complete = await postJson(`${api}/file/mpupload/complete`, { upload_id: 'up_1' });
    const cancel = await postJson(`${api}/file/mpupload/cancel`, { upload_id: 'up_1' });
    assertError(init, 502, 'bad-storage-response');
    assert.deepEqual([complete.status, complete.json], [500, { code: 10002, message: 'The upload service failed.', sid: 'ost9' }]);
    assertError(cancel, 502, 'bad-storage-response');
    for (const answer of [init, complete, cancel]) assert.doesNotMatch(answer.text, /corp\.internal|10\.20\.30\.40/);
    assert.equal(errors.length, 3);
    assert.match(String(errors.map((error) => (error as Error).message)), /corp\.internal.*10\.20\.30\.40.*corp\.internal/s);
  });

  it('parses the form head in linear time: 60 KB of head in 1-byte chunks costs about what 60 KB of slice bytes do', async () => {
    // In-process, so that every chunk arrives as sent. Against the same head in one chunk (~1 ms) any 1-byte chunking
    // costs ~100× in stream plumbing alone, parser or not, so the baseline is the same bytes in the same number of
    // chunks carried as slice bytes after a one-chunk head: a linear head parser costs no more than that (×0.5 here),
    // the old one, which scanned the head from its start on every chunk, ×7 under the test runner and ×50 outside it.
    const handler = createIflytekOstHandler({
      ...CREDENTIALS,
      upstream: 'http://upstream.invalid/ost',
      send: async (request) => {
        await new Response(request.body as ReadableStream<Uint8Array>).arrayBuffer();
        return new Response('{"code":0,"sid":"s","message":"success","data":{"url":"https://files.example/x"}}');
      },
    });
    const padding = `X-Padding: ${'p'.repeat(60_000)}\r\n`;
    const head = encoder.encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="request_id"\r\n\r\nr1\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="x.bin"\r\n${padding}Content-Type: application/octet-stream\r\n\r\n`,
    );
    const slice = new Uint8Array(head.length).fill(0x61);
    const closing = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);
    const chunked = (...parts: Array<[Uint8Array, number]>) =>
      parts.flatMap(([bytes, size]) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
    const send = async (chunks: Uint8Array[]) => {
      let next = 0;
      const body = new ReadableStream<Uint8Array>({ pull: (controller) => (next < chunks.length ? controller.enqueue(chunks[next++]!) : controller.close()) });
      const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const init = { method: 'POST', body, duplex: 'half', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(length) } };
      const response = await handler(new Request('http://proxy.test/file/upload', init as RequestInit));
      assert.equal(response.status, 200, await response.clone().text());
      await response.text();
    };
    const cpuPerRun = async (chunks: Uint8Array[], runs: number) => {
      await send(chunks);
      const start = process.cpuUsage();
      for (let run = 0; run < runs; run++) await send(chunks);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / runs;
    };
    const headInBytes = chunked([head, 1], [slice, slice.length], [closing, closing.length]);
    const sliceInBytes = chunked([head, head.length], [slice, 1], [closing, closing.length]);
    const headCost = await cpuPerRun(headInBytes, 3);
    const sliceCost = await cpuPerRun(sliceInBytes, 3);
    const oneChunk = await cpuPerRun(chunked([head, head.length], [slice, slice.length], [closing, closing.length]), 20);
    const ratio = headCost / sliceCost;
    console.log(
      `head in 1-byte chunks ${(headCost / 1000).toFixed(1)} ms, slice bytes in 1-byte chunks ${(sliceCost / 1000).toFixed(1)} ms, ` +
        `all in 3 chunks ${(oneChunk / 1000).toFixed(1)} ms; ratio ${ratio.toFixed(2)}`,
    );
    assert.ok(ratio <= 2, `the head cost ${ratio.toFixed(1)}× what the same bytes cost as slice bytes`);
  });
});
