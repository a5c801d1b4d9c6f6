import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IflytekOstEmulator } from '../../src/emulators/iflytek-ost-emulator.js';
import type { IflytekOstEmulatorOptions } from '../../src/emulators/iflytek-ost-emulator.js';
import { createIflytekOstHandler } from '../../src/server/iflytek-ost-handler.js';
import type { IflytekOstAction, IflytekOstHandlerOptions, IflytekOstUpstreamRequest } from '../../src/server/iflytek-ost-handler.js';
import { listen } from './helpers/listen.js';
import { concatBytes } from '../../src/emulators/checksums.js';

// createIflytekOstHandler's principals, buffered digests and form parsing, over real HTTP against the strict emulator
// where the service matters, and in-process where the exact chunking of the page's body does.

const CREDENTIALS = { appId: 'nodeapp', apiKey: 'node-api-key', apiSecret: 'node-api-secret' };
const SECRET = 'iflytek-node-test-secret-0123456789abcdef';
const BOUNDARY = 'mcuNodeBoundary';
const encoder = new TextEncoder();

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const bearerPrincipal = (request: Request): string | false => request.headers.get('authorization')?.replace(/^Bearer /, '') || false;

async function serveEmulator(options: Partial<IflytekOstEmulatorOptions> = {}): Promise<{ emulator: IflytekOstEmulator; url: string }> {
  const emulator = new IflytekOstEmulator({ basePath: '/ost', credentials: CREDENTIALS, minSliceSize: 1, ...options });
  const server = await listen((request) => emulator.handle(request));
  closers.push(() => server.close());
  return { emulator, url: `${server.url}/ost` };
}

async function serveProxy(upstream: string, options: Partial<IflytekOstHandlerOptions> = {}): Promise<string> {
  const server = await listen(createIflytekOstHandler({ ...CREDENTIALS, upstream, ...options }));
  closers.push(() => server.close());
  return server.url;
}

function formHead(fields: Array<[string, string]>, filename = 'x.bin'): Uint8Array<ArrayBuffer> {
  return encoder.encode(
    fields.map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
}

const CLOSING = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);

function form(fields: Array<[string, string]>, data: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes([formHead(fields), data, CLOSING]);
}

function bytesOf(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

async function post(url: string, body: Uint8Array<ArrayBuffer> | string, type: string, as?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': type };
  if (as !== undefined) headers.authorization = `Bearer ${as}`;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, json: await response.json() };
}

const postJson = (url: string, body: unknown, as?: string) => post(url, JSON.stringify(body), 'application/json', as);
const postForm = (url: string, body: Uint8Array<ArrayBuffer>, as?: string) => post(url, body, `multipart/form-data; boundary=${BOUNDARY}`, as);

/** The handler in-process with a `send` that keeps every upstream call, its body read in full, and answers `code` 0. */
function captured(options: Partial<IflytekOstHandlerOptions> = {}) {
  const calls: Array<{ call: IflytekOstUpstreamRequest; body: Uint8Array }> = [];
  const handler = createIflytekOstHandler({
    ...CREDENTIALS,
    upstream: 'https://upload-ost-api.xfyun.cn',
    send: async (call) => {
      calls.push({ call, body: new Uint8Array(await new Response(call.body as BodyInit).arrayBuffer()) });
      return Response.json({ code: 0, sid: 'ost1', message: 'success', data: { url: 'https://files.example/a', upload_id: 'up_1' } });
    },
    ...options,
  });
  return { handler, calls };
}

/** A form request whose body arrives in chunks of `chunkSize` bytes. */
function chunkedRequest(path: string, body: Uint8Array, chunkSize: number, declare = true): Request {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      controller.enqueue(body.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  if (declare) headers['content-length'] = String(body.length);
  return new Request(`https://app.example${path}`, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
}

async function sha256Digest(bytes: Uint8Array): Promise<string> {
  return `SHA-256=${Buffer.from(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)).toString('base64')}`;
}

describe('createIflytekOstHandler', () => {
  describe('principals', () => {
    it('binds an upload to its principal statelessly: any instance holding the secret serves it, byte for byte', async () => {
      const { emulator, url } = await serveEmulator();
      const options = { authorize: bearerPrincipal, secret: SECRET };
      const [first, second] = [await serveProxy(url, options), await serveProxy(url, options)];
      const init = await postJson(`${first}/file/mpupload/init`, {}, 'alice');
      const uploadId: string = init.json.data.upload_id;
      assert.match(uploadId, /^up_\d{24}\.[A-Za-z0-9_-]{22}$/);
      const slices = [bytesOf(1000, 1), bytesOf(1000, 2), bytesOf(17, 3)];
      for (const [index, slice] of slices.entries()) {
        const api = index % 2 === 0 ? second : first;
        const answer = await postForm(`${api}/file/mpupload/upload`, form([['upload_id', uploadId], ['slice_id', String(index + 1)]], slice), 'alice');
        assert.equal(answer.json.code, 0, JSON.stringify(answer.json));
      }
      const done = await postJson(`${second}/file/mpupload/complete`, { upload_id: uploadId }, 'alice');
      assert.equal(done.json.code, 0);
      assert.deepEqual(emulator.storedBytes(String(done.json.data.url).split('/').pop()!), concatBytes(slices));

      const otherSecret = await serveProxy(url, { authorize: bearerPrincipal, secret: `${SECRET}-rotated` });
      const refused = await postJson(`${otherSecret}/file/mpupload/cancel`, { upload_id: uploadId }, 'alice');
      assert.deepEqual([refused.status, refused.json.error.code], [403, 'forbidden']);
    });

    it('passes upload ids through unchanged when authorize names no principal, as before', async () => {
      const { emulator, url } = await serveEmulator();
      const api = await serveProxy(url, { authorize: () => true });
      const init = await postJson(`${api}/file/mpupload/init`, {});
      assert.equal(init.json.data.upload_id, emulator.pending()[0]!.uploadId);
      assert.equal((await postJson(`${api}/file/mpupload/cancel`, { upload_id: init.json.data.upload_id })).json.code, 0);
    });

    it('asks authorize with the action each route names, and refuses them all with the same 403 before any upstream call', async () => {
      const actions: IflytekOstAction[] = [];
      const { handler, calls } = captured({
        authorize: (_request, action) => {
          actions.push(action);
          return false;
        },
      });
      const api = await listen(handler);
      closers.push(() => api.close());
      const answers = [
        await postForm(`${api.url}/file/upload`, form([['request_id', 'r1']], bytesOf(10, 1))),
        await postJson(`${api.url}/file/mpupload/init`, { request_id: 'r2' }),
        await postForm(`${api.url}/file/mpupload/upload`, form([['upload_id', 'up_7.abc'], ['slice_id', '2']], bytesOf(10, 1))),
        await postJson(`${api.url}/file/mpupload/complete`, { upload_id: 'up_7.abc' }),
        await postJson(`${api.url}/file/mpupload/cancel`, { upload_id: 'up_7.abc' }),
      ];
      assert.deepEqual(actions, [
        { kind: 'upload' },
        { kind: 'init' },
        { kind: 'upload-slice', uploadId: 'up_7.abc', sliceId: 2 },
        { kind: 'complete', uploadId: 'up_7.abc' },
        { kind: 'cancel', uploadId: 'up_7.abc' },
      ]);
      for (const answer of answers) assert.deepEqual(answer, { status: 403, json: { error: { code: 'forbidden', message: 'This request is not allowed.' } } });
      assert.equal(calls.length, 0);
    });

    it('reports a principal without a secret to onError as a TypeError, answering 500, and sends nothing upstream', async () => {
      const errors: unknown[] = [];
      const { handler, calls } = captured({ authorize: () => 'alice', onError: (error) => errors.push(error) });
      const answer = await handler(new Request('https://app.example/file/mpupload/init', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
      assert.equal(answer.status, 500);
      assert.deepEqual(await answer.json(), { error: { code: 'internal-error', message: 'Internal server error.' } });
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof TypeError);
      assert.match((errors[0] as Error).message, /secret/);
      assert.equal(calls.length, 0);
    });

    it('checks its options when created', () => {
      const create = (options: Partial<IflytekOstHandlerOptions>) => () => createIflytekOstHandler({ ...CREDENTIALS, ...options });
      assert.throws(create({ secret: 'too-short' }), TypeError);
      assert.throws(create({ maxBufferedBytes: 0 }), RangeError);
      assert.throws(create({ idleTimeoutMs: -1 }), RangeError);
      assert.throws(create({ allowedHeaders: ['x-app session'] }), TypeError);
    });
  });

  describe('"body" digests', () => {
    it('signs the SHA-256 of the rebuilt form, read into one buffer, for every size around the hash\'s block edges and any chunking', async () => {
      const { handler, calls } = captured({ multipartDigest: 'body' });
      for (const size of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100_003]) {
        for (const chunkSize of [1, 7, 64, 65_536]) {
          if (size > 1000 && chunkSize < 64) continue;
          const data = bytesOf(size, size + 1);
          const answer = await handler(chunkedRequest('/file/mpupload/upload', form([['upload_id', 'up_1'], ['slice_id', '3'], ['request_id', 'r']], data), chunkSize));
          assert.equal(answer.status, 200, await answer.text());
          const { call, body } = calls.pop()!;
          assert.ok(call.body instanceof Uint8Array, 'read whole');
          assert.equal(call.headers['content-length'], String(body.length));
          assert.equal(call.headers.digest, await sha256Digest(body), `size ${size}, chunks of ${chunkSize}`);
          const expected = form([['app_id', CREDENTIALS.appId], ['request_id', 'r'], ['upload_id', 'up_1'], ['slice_id', '3']], data);
          assert.deepEqual(body, expected);
        }
      }
    });

    it('passes the strict emulator\'s digest check for slices and the single upload over HTTP', async () => {
      const { emulator, url } = await serveEmulator({ strictDigest: true });
      const api = await serveProxy(url, { multipartDigest: 'body' });
      const single = bytesOf(300_001, 9);
      const one = await postForm(`${api}/file/upload`, form([], single));
      assert.equal(one.json.code, 0, JSON.stringify(one.json));
      assert.deepEqual(emulator.storedBytes(String(one.json.data.url).split('/').pop()!), single);
      const uploadId = (await postJson(`${api}/file/mpupload/init`, {})).json.data.upload_id;
      assert.equal((await postForm(`${api}/file/mpupload/upload`, form([['upload_id', uploadId], ['slice_id', '1']], single))).json.code, 0);
      assert.equal((await postJson(`${api}/file/mpupload/complete`, { upload_id: uploadId })).json.code, 0);
      assert.equal(emulator.stats.refused.length, 0);
    });

    it('grows its buffer for a body without Content-Length up to maxBufferedBytes (413 beyond), and refuses one longer or shorter than declared', async () => {
      const { handler, calls } = captured({ multipartDigest: 'body', maxBufferedBytes: 3 * 1024 * 1024 });
      const fits = form([], bytesOf(2 * 1024 * 1024 + 5, 1));
      const chunked = await handler(chunkedRequest('/file/upload', fits, 65_536, false));
      assert.equal(chunked.status, 200, await chunked.text());
      const { call, body } = calls.pop()!;
      assert.deepEqual([call.headers['content-length'], call.headers.digest], [String(body.length), await sha256Digest(body)]);
      assert.deepEqual(body.subarray(body.length - fits.length + formHead([]).length), fits.subarray(formHead([]).length));

      const over = await handler(chunkedRequest('/file/upload', form([], bytesOf(3 * 1024 * 1024, 2)), 65_536, false));
      assert.deepEqual([over.status, ((await over.json()) as any).error.code], [413, 'body-too-large']);
      const small = form([], bytesOf(100, 1));
      const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
      for (const declared of [small.length - 1, small.length + 1]) {
        const answer = await handler(
          new Request('https://app.example/file/upload', { method: 'POST', headers: { ...headers, 'content-length': String(declared) }, body: small }),
        );
        assert.deepEqual([answer.status, ((await answer.json()) as any).error.code], [400, 'invalid-form'], `declared ${declared}`);
      }
      assert.equal(calls.length, 0);
    });
  });

  describe('time limits', () => {
    /** A form request that sends `first`, then one more byte every `everyMs` (never, when undefined), and never ends. */
    function trickle(first: Uint8Array, everyMs?: number): Request {
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          if (!sent) {
            sent = true;
            controller.enqueue(first);
            return;
          }
          await new Promise((resolve) => everyMs !== undefined && setTimeout(resolve, everyMs));
          controller.enqueue(new Uint8Array(1));
        },
      });
      const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
      return new Request('https://app.example/file/mpupload/upload', { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
    }

    it('cuts off a page that stalls before data with 408, before anything goes upstream', async () => {
      const { handler, calls } = captured({ idleTimeoutMs: 100 });
      const answer = await handler(trickle(formHead([['upload_id', 'up_1'], ['slice_id', '1']]).subarray(0, 30)));
      assert.deepEqual([answer.status, ((await answer.json()) as any).error.code], [408, 'request-timeout']);
      assert.equal(calls.length, 0);
    });

    it('cuts off a slice that keeps trickling past totalTimeoutMs with 408', async () => {
      const { handler, calls } = captured({ idleTimeoutMs: 1000, totalTimeoutMs: 300 });
      const started = Date.now();
      const answer = await handler(trickle(formHead([['upload_id', 'up_1'], ['slice_id', '1']]), 20));
      assert.deepEqual([answer.status, ((await answer.json()) as any).error.code], [408, 'request-timeout']);
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
      assert.equal(calls.length, 0, 'the upstream call was broken off');
    });
  });

  describe('form parsing', () => {
    it('forwards the same rebuilt form however the page\'s body is chunked', async () => {
      const { handler, calls } = captured();
      const data = bytesOf(5000, 4);
      const body = form([['request_id', 'req-1'], ['upload_id', 'up_9'], ['slice_id', '12']], data);
      const expected = concatBytes([formHead([['app_id', CREDENTIALS.appId], ['request_id', 'req-1'], ['upload_id', 'up_9'], ['slice_id', '12']]), data, CLOSING]);
      for (const chunkSize of [1, 2, 3, 5, 13, 64, 1000, body.length]) {
        const answer = await handler(chunkedRequest('/file/mpupload/upload', body, chunkSize));
        assert.equal(answer.status, 200, await answer.text());
        const { call, body: sent } = calls.pop()!;
        assert.deepEqual(sent, expected, `chunks of ${chunkSize}`);
        assert.equal(call.headers['content-length'], String(expected.length));
        assert.equal(call.headers.digest, await sha256Digest(new Uint8Array(0)));
      }
    });

    it('refuses, at any chunking, a field after data, a form that never closes, and a head that never ends', async () => {
      const { handler, calls } = captured();
      const late = concatBytes([formHead([]), bytesOf(300, 5), encoder.encode(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="x"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`)]);
      const open = concatBytes([formHead([]), bytesOf(300, 6)]);
      const endless = encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="request_id"\r\n\r\n${'r'.repeat(70_000)}`);
      for (const chunkSize of [1, 3, 50, 100_000]) {
        for (const [body, message] of [
          [late, /last field/],
          [open, /closing boundary/],
          [endless, /too long/],
        ] as const) {
          const answer = await handler(chunkedRequest('/file/upload', body, chunkSize));
          const json = (await answer.json()) as any;
          assert.deepEqual([answer.status, json.error.code], [400, 'invalid-form'], `chunks of ${chunkSize}: ${JSON.stringify(json)}`);
          assert.match(json.error.message, message);
        }
      }
      assert.equal(calls.length, 0, 'every upstream call was broken off');
    });
  });
});
