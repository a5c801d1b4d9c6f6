// The attacks of issue 9 on createMetaStudioHandler, each over real HTTP against the MetaStudio emulator or a small
// server standing in for OBS or MetaStudio.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetaStudioEmulator } from '../../../src/emulators/huawei-metastudio-emulator.js';
import { createMetaStudioHandler, memoryUploadStore } from '../../../src/server/huawei-metastudio-handler.js';
import type { MetaStudioHandlerOptions } from '../../../src/server/huawei-metastudio-handler.js';
import { listen, type Listening } from '../helpers/listen.js';

const PROJECT = 'psecurity';
const KEYS = { accessKey: 'AKSECURITY', secretKey: 'security-sk' };
const SECRET = 'security-sealing-secret-0123456789abcdefghij';
const HOUR = 60 * 60 * 1000;

/**
 * A stand-in upstream that counts connections (in all, and those still open that carried a request: an HTTP client may
 * open a spare idle one), requests and body bytes, and answers as told.
 */
interface Sink {
  url: string;
  carrying: Set<unknown>;
  connections: number;
  requests: string[];
  received: number;
  close(): Promise<void>;
}

async function startSink(answer: (req: IncomingMessage, res: ServerResponse, sink: Sink) => void): Promise<Sink> {
  const sink: Sink = { url: '', carrying: new Set(), connections: 0, requests: [], received: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    sink.requests.push(`${req.method} ${req.url}`);
    sink.carrying.add(req.socket);
    req.socket.on('close', () => void sink.carrying.delete(req.socket));
    req.on('data', (chunk: Buffer) => void (sink.received += chunk.byteLength));
    answer(req, res, sink);
  });
  server.on('connection', () => void sink.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/** Reads the whole body, then answers 200 as OBS does. */
function storeAll(req: IncomingMessage, res: ServerResponse): void {
  req.on('end', () => res.writeHead(200, { etag: '"sink"' }).end());
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; ) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function codeOf(answer: Answer): string | undefined {
  return (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code;
}

// Bounded, so that a handler without time limits fails here instead of hanging the run.
describe('MetaStudio handler under attack', { timeout: 20_000 }, () => {
  const closing: Array<{ close(): Promise<void> }> = [];
  let emulator: MetaStudioEmulator;
  let upstream: Listening;

  /** The emulator on a port of its own; its upload URLs point at `uploadOrigin` (itself by default). */
  async function startEmulator(uploadOrigin?: string, now?: () => number): Promise<{ emulator: MetaStudioEmulator; endpoint: string }> {
    let served: MetaStudioEmulator | undefined;
    const server = await listen((request) => served!.handle(request));
    closing.push(server);
    served = new MetaStudioEmulator({
      basePath: '/ms',
      projectId: PROJECT,
      credentials: KEYS,
      origin: uploadOrigin ?? server.url,
      ...(now && { now }),
    });
    return { emulator: served, endpoint: `${server.url}/ms` };
  }

  /** The handler on a port, talking to `endpoint`; `errors` collects what reached `onError`. */
  async function handler(endpoint: string, options: Partial<MetaStudioHandlerOptions> = {}) {
    const errors: unknown[] = [];
    const server = await listen(
      createMetaStudioHandler({
        endpoint,
        projectId: PROJECT,
        auth: KEYS,
        allowedUploadHosts: [new URL(endpoint).host],
        secret: SECRET,
        authorize: (request) => {
          const user = request.headers.get('x-user');
          return user === 'mallory' ? false : (user ?? false);
        },
        onError: (error) => errors.push(error),
        ...options,
      }),
    );
    closing.push(server);
    return { url: server.url, errors };
  }

  function json(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<Response> {
    return fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  async function createFile(url: string, user: string, size = 1000, md5 = 'AAAAAAAAAAAAAAAAAAAAAA==', assetId = emulator.createAsset('a', 'VIDEO')) {
    const response = await json(`${url}/files`, {
      file_name: 'x.mp4', file_md5: md5, file_size: size, file_type: 'mp4', asset_id: assetId, asset_file_category: 'MAIN',
    }, { 'x-user': user });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as { file_id: string; upload_ref?: string };
  }

  /** Every file route asked by `user` about `ref`, with each answer. */
  async function everyFileRoute(url: string, ref: string, user: string): Promise<Answer[]> {
    const headers = { 'x-user': user };
    return Promise.all([
      fetch(`${url}/files/${ref}/content`, { method: 'PUT', headers: { ...headers, 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': 'video/mp4' }, body: new Uint8Array(1000) }).then(answerOf),
      json(`${url}/files/${ref}/complete`, { state: 'CREATED' }, headers).then(answerOf),
      fetch(`${url}/files/${ref}`, { method: 'DELETE', headers }).then(answerOf),
      fetch(`${url}/files/${ref}/upload-url`, { headers }).then(answerOf),
    ]);
  }

  before(async () => {
    ({ emulator } = await startEmulator());
    upstream = closing[0] as Listening;
  });
  afterEach(() => emulator.reset());
  after(async () => {
    for (const server of closing) await server.close();
  });

  it('answers another principal, a forged ref, an unknown ref and a refused user alike (403), and leaves the file alone', async () => {
    const { url } = await handler(`${upstream.url}/ms`);
    const { file_id: fileId, upload_ref: ref } = await createFile(url, 'alice');
    assert.ok(ref);
    const forged = `${ref.slice(0, 40)}${ref[40] === 'A' ? 'B' : 'A'}${ref.slice(41)}`;
    const unknown = Buffer.from(randomBytes(ref.length)).toString('base64url').slice(0, ref.length);

    const answers = [
      ...(await everyFileRoute(url, ref, 'bob')),
      ...(await everyFileRoute(url, forged, 'alice')),
      ...(await everyFileRoute(url, unknown, 'bob')),
      ...(await everyFileRoute(url, ref, 'mallory')),
      ...(await everyFileRoute(url, unknown, 'mallory')),
    ];
    const seen = new Set(answers.map((answer) => `${answer.status} ${answer.text}`));
    assert.deepEqual([...seen], [`403 ${JSON.stringify({ error: { code: 'forbidden', message: 'This request is not allowed.' } })}`]);
    assert.equal(emulator.fileRecord(fileId)?.state, 'CREATING');
    assert.deepEqual(emulator.stats, { ...emulator.stats, putObject: 0, deleteFile: 0, confirmations: [] });
  });

  it('refuses a ref once it expired, a day after its upload URL', async () => {
    let now = Date.now();
    const { emulator: clocked, endpoint } = await startEmulator(undefined, () => now);
    const { url } = await handler(endpoint, { now: () => now });
    const { upload_ref: ref } = await createFile(url, 'alice', 1000, undefined, clocked.createAsset('e', 'VIDEO'));
    now += 25 * HOUR;
    const [put, , deleted] = await everyFileRoute(url, ref!, 'alice');
    assert.deepEqual([put!.status, codeOf(put!)], [410, 'upload-expired']);
    // Within the day after expiry the page may still clean up.
    assert.equal(deleted!.status, 200);
    now += 24 * HOUR;
    const late = await everyFileRoute(url, ref!, 'alice');
    assert.deepEqual(late.map((answer) => [answer.status, codeOf(answer)]), Array(4).fill([403, 'forbidden']));
  });

  it('binds records of a server-side store to their principal too', async () => {
    const { url } = await handler(`${upstream.url}/ms`, { secret: undefined, store: memoryUploadStore() });
    const { file_id: fileId, upload_ref: ref } = await createFile(url, 'alice');
    assert.equal(ref, undefined);
    const foreign = await everyFileRoute(url, fileId, 'bob');
    assert.deepEqual(foreign.map((answer) => [answer.status, codeOf(answer)]), Array(4).fill([403, 'forbidden']));
    const refused = await everyFileRoute(url, fileId, 'mallory');
    const refusedUnknown = await everyFileRoute(url, 'f'.repeat(32), 'mallory');
    assert.deepEqual(refused.map((answer) => answer.text), refusedUnknown.map((answer) => answer.text));
    assert.equal(emulator.stats.deleteFile, 0);
  });

  it('takes JSON only: a text/plain POST (a cross-site form) gets 415 and creates nothing', async () => {
    const { url } = await handler(`${upstream.url}/ms`);
    const body = JSON.stringify({ asset_name: 'n', asset_type: 'IMAGE' });
    const answer = await answerOf(await fetch(`${url}/assets`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-user': 'alice' }, body }));
    assert.deepEqual([answer.status, codeOf(answer)], [415, 'unsupported-media-type']);
    assert.equal(emulator.stats.createAsset, 0);
  });

  it('refuses a cross-site write from an origin it does not allow, and answers no CORS by default', async () => {
    const { url } = await handler(`${upstream.url}/ms`);
    const attack = await answerOf(await json(`${url}/assets`, { asset_name: 'n', asset_type: 'IMAGE' }, {
      'x-user': 'alice', origin: 'https://evil.test', 'sec-fetch-site': 'cross-site',
    }));
    assert.deepEqual([attack.status, codeOf(attack)], [403, 'origin-not-allowed']);
    assert.equal(attack.headers.get('access-control-allow-origin'), null);
    assert.equal(emulator.stats.createAsset, 0);
    const preflight = await fetch(`${url}/files`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-anything' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);

    const { url: allowing } = await handler(`${upstream.url}/ms`, { allowedOrigins: ['https://app.test'] });
    const listed = await json(`${allowing}/assets`, { asset_name: 'n', asset_type: 'IMAGE' }, {
      'x-user': 'alice', origin: 'https://app.test', 'sec-fetch-site': 'cross-site',
    });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('access-control-allow-origin'), 'https://app.test');
  });

  it('cuts a PUT that stalls (slow loris) after idleTimeoutMs with 408, and closes its OBS connection', async () => {
    const obs = await startSink(storeAll);
    closing.push(obs);
    const { emulator: stalled, endpoint } = await startEmulator(obs.url);
    const { url } = await handler(endpoint, { allowedUploadHosts: [new URL(obs.url).host], idleTimeoutMs: 300 });
    const { upload_ref: ref } = await createFile(url, 'alice', 100_000, undefined, stalled.createAsset('s', 'VIDEO'));

    const target = new URL(`${url}/files/${ref}/content`);
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const put = httpRequest(target, {
        method: 'PUT',
        headers: { 'x-user': 'alice', 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': 'video/mp4', 'content-length': '100000' },
      });
      put.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      put.on('error', reject);
      // A few bytes, then nothing: the socket stays open as long as the server lets it.
      put.write(Buffer.alloc(10));
    });
    assert.equal(status, 408);
    assert.ok(Date.now() - started >= 300);
    assert.deepEqual(obs.requests.map((line) => line.split(' ')[0]), ['PUT'], 'the PUT reached OBS');
    assert.ok(await until(() => obs.carrying.size === 0, 1000), 'the OBS connection of the PUT is still open');
    assert.ok(obs.received <= 10);
  });

  it('never passes on more than file_size bytes: a longer body is refused with 413', async () => {
    const obs = await startSink(storeAll);
    closing.push(obs);
    const { emulator: sized, endpoint } = await startEmulator(obs.url);
    const { url } = await handler(endpoint, { allowedUploadHosts: [new URL(obs.url).host] });
    const { upload_ref: ref } = await createFile(url, 'alice', 64 * 1024, undefined, sized.createAsset('s', 'VIDEO'));
    const headers = { 'x-user': 'alice', 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': 'video/mp4' };

    const declared = await answerOf(await fetch(`${url}/files/${ref}/content`, { method: 'PUT', headers, body: new Uint8Array(64 * 1024 + 1) }));
    assert.deepEqual([declared.status, codeOf(declared)], [413, 'body-too-large']);
    assert.equal(obs.connections, 0);

    // Chunked, so no Content-Length tells the handler in advance.
    const chunks = [new Uint8Array(48 * 1024), new Uint8Array(48 * 1024)];
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await answerOf(await fetch(`${url}/files/${ref}/content`, { method: 'PUT', headers, body, duplex: 'half' } as RequestInit));
    assert.deepEqual([streamed.status, codeOf(streamed)], [413, 'body-too-large']);
    assert.ok(obs.received <= 64 * 1024, `OBS received ${obs.received} bytes`);
  });

  it('treats a redirect from OBS as an upstream failure (502) and never follows it', async () => {
    const elsewhere = await startSink(storeAll);
    const obs = await startSink((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/stolen` }).end());
    closing.push(elsewhere, obs);
    const { emulator: redirecting, endpoint } = await startEmulator(obs.url);
    const { url, errors } = await handler(endpoint, { allowedUploadHosts: [new URL(obs.url).host] });
    const { upload_ref: ref } = await createFile(url, 'alice', 1000, undefined, redirecting.createAsset('r', 'VIDEO'));
    const answer = await answerOf(await fetch(`${url}/files/${ref}/content`, {
      method: 'PUT',
      headers: { 'x-user': 'alice', 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': 'video/mp4' },
      body: new Uint8Array(1000),
    }));
    assert.equal(answer.status, 502);
    assert.equal(elsewhere.connections, 0);
    assert.equal(errors.length, 1);
  });

  it('pins the upload URL to OBS hosts by default: any other URL is refused (502, onError) and never fetched', async () => {
    const obs = await startSink(storeAll);
    closing.push(obs);
    const { emulator: local, endpoint } = await startEmulator(obs.url);
    const { url, errors } = await handler(endpoint, { allowedUploadHosts: undefined });
    const response = await json(`${url}/files`, {
      file_name: 'x.mp4', file_md5: 'AAAAAAAAAAAAAAAAAAAAAA==', file_size: 10, file_type: 'mp4', asset_id: local.createAsset('p', 'VIDEO'), asset_file_category: 'MAIN',
    }, { 'x-user': 'alice' });
    const answer = await answerOf(response);
    assert.deepEqual([answer.status, codeOf(answer)], [502, 'bad-storage-response']);
    assert.ok(!answer.text.includes('127.0.0.1'));
    assert.equal(obs.connections, 0);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /allowedUploadHosts/);
    assert.doesNotMatch(String(errors[0]), /Signature|AccessKeyId|Expires/);

    for (const [uploadOrigin, allowed] of [
      ['https://obs.cn-north-4.myhuaweicloud.com', true],
      ['https://my-bucket.obs.ap-southeast-1.myhuaweicloud.com', true],
      ['http://obs.cn-north-4.myhuaweicloud.com', false],
      ['https://obs.cn-north-4.myhuaweicloud.com.evil.test', false],
      ['https://obs-cn-north-4.myhuaweicloud.com.cn', false],
    ] as const) {
      const { emulator: pinned, endpoint: pinnedEndpoint } = await startEmulator(uploadOrigin);
      const { url: pinnedUrl } = await handler(pinnedEndpoint, { allowedUploadHosts: undefined });
      const created = await json(`${pinnedUrl}/files`, {
        file_name: 'x.mp4', file_md5: 'AAAAAAAAAAAAAAAAAAAAAA==', file_size: 10, file_type: 'mp4', asset_id: pinned.createAsset('p', 'VIDEO'), asset_file_category: 'MAIN',
      }, { 'x-user': 'alice' });
      assert.equal(created.status, allowed ? 200 : 502, uploadOrigin);
    }
  });

  it('sends a failing token() to onError and the page a bare 500', async () => {
    const failure = new Error('IAM at http://iam.internal.example:5000 refused the account');
    const { url, errors } = await handler(`${upstream.url}/ms`, { auth: { token: async () => { throw failure; } } });
    const answer = await answerOf(await json(`${url}/assets`, { asset_name: 'n', asset_type: 'IMAGE' }, { 'x-user': 'alice' }));
    assert.deepEqual([answer.status, codeOf(answer)], [500, 'internal-error']);
    assert.ok(!answer.text.includes('iam.internal'));
    assert.deepEqual(errors, [failure]);
  });

  it('passes MetaStudio\'s errors on without the hosts and URLs they name, the details to onError', async () => {
    const leaky = await startSink((req, res) => {
      if (req.url?.endsWith('/digital-assets')) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': 'req-leak' }).end(JSON.stringify({
          error_code: 'MSS.00000003',
          error_msg: 'Invalid parameter from http://10.0.3.7:8080/internal/assets?token=abc via metastudio-core.svc.cluster.local (10.0.3.8:9090)',
          internal_trace: 'gw-7.internal.example',
        }));
      } else {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>nginx upstream gw-7.internal.example:8443 failed</html>');
      }
    });
    closing.push(leaky);
    const { url, errors } = await handler(`${leaky.url}/ms`);
    const refused = await answerOf(await json(`${url}/assets`, { asset_name: 'n', asset_type: 'IMAGE' }, { 'x-user': 'alice' }));
    assert.equal(refused.status, 400);
    const body = JSON.parse(refused.text) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['error_code', 'error_msg', 'request_id']);
    assert.equal(body.error_code, 'MSS.00000003');
    assert.equal(body.request_id, 'req-leak');
    assert.match(body.error_msg!, /^Invalid parameter from /);
    assert.doesNotMatch(refused.text, /10\.0\.3|cluster\.local|token=abc|internal/);

    const gateway = await answerOf(await json(`${url}/files/${'x'.repeat(10)}/complete`, { state: 'CREATED' }, { 'x-user': 'alice' }));
    assert.equal(gateway.status, 403);
    const broken = await answerOf(await json(`${url}/files`, {
      file_name: 'x.mp4', file_md5: 'AAAAAAAAAAAAAAAAAAAAAA==', file_size: 10, file_type: 'mp4', asset_id: 'a1', asset_file_category: 'MAIN',
    }, { 'x-user': 'alice' }));
    assert.equal(broken.status, 502);
    assert.doesNotMatch(broken.text, /gw-7|internal|nginx/);
    assert.equal(errors.length, 2);
    assert.match(String(errors[0]), /10\.0\.3\.7/);
    assert.doesNotMatch(String(errors[0]), /token=abc/);
  });

  it('gives up on a MetaStudio that does not answer after upstreamTimeoutMs (504)', async () => {
    const silent = await startSink(() => undefined);
    closing.push(silent);
    const { url } = await handler(`${silent.url}/ms`, { upstreamTimeoutMs: 300 });
    const started = Date.now();
    const answer = await answerOf(await json(`${url}/assets`, { asset_name: 'n', asset_type: 'IMAGE' }, { 'x-user': 'alice' }));
    assert.deepEqual([answer.status, codeOf(answer)], [504, 'upstream-timeout']);
    assert.ok(Date.now() - started < 3000);
    assert.ok(await until(() => silent.carrying.size === 0, 1000));
  });
});
