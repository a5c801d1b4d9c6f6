import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { http } from 'msw';
import { IflytekOstEmulator } from '../../src/emulators/iflytek-ost-emulator.js';
import type { IflytekOstEmulatorOptions } from '../../src/emulators/iflytek-ost-emulator.js';
import { createIflytekOstHandler } from '../../src/server/iflytek-ost-handler.js';
import type { IflytekOstHandlerOptions } from '../../src/server/iflytek-ost-handler.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createIflytekOstAdapter } from '../../src/providers/iflytek-ost.js';
import type { IflytekOstAdapterOptions, IflytekOstSession } from '../../src/providers/iflytek-ost.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import { fileWithBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome, leavePageAfter } from '../helpers/manager-events.js';
import { handSign } from '../helpers/iflytek-ost-signing.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const CREDENTIALS = { appId: 'contractapp', apiKey: 'contract-api-key', apiSecret: 'contract-api-secret' };
const EMULATOR_PATH = '/emulator/iflytek-ost';
const API_PATH = '/api/iflytek-ost';
const utf8 = new TextEncoder();

let emulator = new IflytekOstEmulator({ basePath: EMULATOR_PATH, credentials: CREDENTIALS });
let handlerOptions: Partial<IflytekOstHandlerOptions> = {};
/** What the proxy reported to `onError`: details it keeps from the page. */
let proxyErrors: unknown[] = [];

/** The shipped proxy in the page; a page's fetch cannot set `date`, so it reaches the emulator through handleRaw. */
function proxy(): (request: Request) => Promise<Response> {
  return createIflytekOstHandler({
    ...CREDENTIALS,
    upstream: `${location.origin}${EMULATOR_PATH}`,
    basePath: API_PATH,
    send: (call) => emulator.handleRaw(call),
    onError: (error) => void proxyErrors.push(error),
    ...handlerOptions,
  });
}

const worker = setupWorker(
  http.all(`*${API_PATH}/*`, ({ request }) => proxy()(request)),
  http.all(`*${EMULATOR_PATH}/*`, ({ request }) => emulator.handle(request)),
);

function fileOf(size: number, name = 'speech.wav', seed = 11): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed, 'audio/wav');
}

function fileIdOf(url: unknown): string {
  return String(url).split('/').pop()!;
}

describe('iFlytek OST adapter through the signing proxy against the strict emulator (in the page)', () => {
  let dbName: string;
  let waits: number[];
  const managers: UploadManager[] = [];

  function useEmulator(options: Partial<IflytekOstEmulatorOptions>) {
    emulator = new IflytekOstEmulator({ basePath: EMULATOR_PATH, credentials: CREDENTIALS, ...options });
  }

  function setup(adapterOptions: IflytekOstAdapterOptions = {}, options: Partial<UploadManagerOptions> = {}, adapter?: ProviderAdapter) {
    const manager = new UploadManager({
      adapter: adapter ?? createIflytekOstAdapter({ endpoint: `${location.origin}${API_PATH}`, ...adapterOptions }),
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: 5 * MiB,
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-ost-${crypto.randomUUID()}`;
    waits = [];
    handlerOptions = {};
    proxyErrors = [];
    useEmulator({});
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });

  describe('modes', () => {
    it('sends a small file in one /file/upload form-data request; the returned URL serves it', async () => {
      const { file, bytes } = fileOf(1000, 'hello.wav');
      const { result, error } = await uploadOutcome(setup(), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats).to.include({ single: 1, init: 0, upload: 0, complete: 0 });
      expect(result!.url).to.equal(result!.location);
      const served = new Uint8Array(await (await fetch(result!.url as string)).arrayBuffer());
      expect(served).to.deep.equal(bytes);
    });

    it('uploads a large file: init, form-data slices 1..N, complete; stored byte for byte', async () => {
      const { file, bytes } = fileOf(21 * MiB + 3);
      const { result, error } = await uploadOutcome(setup(), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats).to.include({ single: 0, init: 1, upload: 5, complete: 1 });
      expect([...emulator.stats.sliceIdsReceived].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(emulator.storedBytes(fileIdOf(result!.url))).to.deep.equal(bytes);
      expect(result!.uploadId).to.match(/^up_\d+$/);
    });

    it('takes the multipart threshold as an option: a 3 MiB file goes up as one short slice', async () => {
      const { file, bytes } = fileOf(3 * MiB);
      const { result, error } = await uploadOutcome(setup({ multipartThreshold: MiB }), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats).to.include({ single: 0, init: 1, upload: 1, complete: 1 });
      expect(emulator.storedBytes(fileIdOf(result!.url))).to.deep.equal(bytes);
    });

    it('sends slices in parallel by default, and one at a time in ascending order with sequentialSlices', async () => {
      emulator.faults.delay(60, { operation: 'UploadPart', times: 100 });
      const parallel = await uploadOutcome(setup({}, { concurrency: 3 }), fileOf(21 * MiB, 'a.wav').file);
      expect(parallel.error).to.equal(undefined);
      expect(emulator.stats.maxConcurrentSlices).to.be.greaterThan(1);

      useEmulator({});
      emulator.faults.delay(60, { operation: 'UploadPart', times: 100 });
      const serial = await uploadOutcome(setup({ sequentialSlices: true }, { concurrency: 3 }), fileOf(21 * MiB, 'b.wav', 12).file);
      expect(serial.error).to.equal(undefined);
      expect(emulator.stats.maxConcurrentSlices).to.equal(1);
      expect(emulator.stats.sliceIdsReceived).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });

  describe('the emulator\'s own checks', () => {
    const initUrl = () => `${location.origin}${EMULATOR_PATH}/file/mpupload/init`;
    const initBody = JSON.stringify({ request_id: 'r-1', app_id: CREDENTIALS.appId });

    async function callInit(sign: Partial<Parameters<typeof handSign>[0]>, drop?: string) {
      const headers = await handSign({
        ...CREDENTIALS,
        host: location.host,
        date: new Date().toUTCString(),
        requestLine: `POST ${EMULATOR_PATH}/file/mpupload/init HTTP/1.1`,
        body: initBody,
        ...sign,
      });
      if (drop) delete headers[drop];
      const response = await emulator.handleRaw({ url: initUrl(), method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: initBody });
      return { status: response.status, body: (await response.json()) as { code?: number; message: string; data?: { upload_id: string } } };
    }

    it('accepts a correctly hand-signed call', async () => {
      const { status, body } = await callInit({});
      expect(status).to.equal(200);
      expect(body.code).to.equal(0);
      expect(body.data!.upload_id).to.match(/^up_/);
    });

    it('refuses a bad signature, an unknown key, a wrong headers list, a signed path that differs, or no authorization', async () => {
      expect(await callInit({ apiSecret: 'not-the-secret' })).to.deep.equal({ status: 401, body: { message: 'HMAC signature does not match' } });
      expect(await callInit({ requestLine: `POST ${EMULATOR_PATH}/file/mpupload/cancel HTTP/1.1` })).to.deep.equal({
        status: 401,
        body: { message: 'HMAC signature does not match' },
      });
      expect(await callInit({ apiKey: 'someone-else' })).to.deep.equal({ status: 401, body: { message: 'HMAC signature cannot be verified' } });
      expect(await callInit({ headersList: 'host date request-line' })).to.deep.equal({
        status: 401,
        body: { message: 'HMAC signature cannot be verified' },
      });
      expect(await callInit({}, 'authorization')).to.deep.equal({ status: 401, body: { message: 'Unauthorized' } });
      expect(await callInit({}, 'digest')).to.deep.equal({ status: 401, body: { message: 'HMAC signature cannot be verified' } });
      expect(emulator.stats.init).to.equal(0);
    });

    it('refuses a date more than 300 s from its clock, or not in RFC 1123 form', async () => {
      const stale = await callInit({ date: new Date(Date.now() - 301_000).toUTCString() });
      expect(stale.status).to.equal(403);
      expect(stale.body.message).to.contain('a valid date or x-date header is required');
      const future = await callInit({ date: new Date(Date.now() + 301_000).toUTCString() });
      expect(future.status).to.equal(403);
      const iso = await callInit({ date: new Date().toISOString() });
      expect(iso.status).to.equal(403);
      const fine = await callInit({ date: new Date(Date.now() - 200_000).toUTCString() });
      expect(fine.body.code).to.equal(0);
    });

    it('accepts the note\'s worked example byte for byte', async () => {
      const noted = new IflytekOstEmulator({
        basePath: '',
        credentials: { appId: 'appid123', apiKey: 'key123', apiSecret: 'secret456' },
        now: () => Date.parse('Tue, 01 Jul 2025 08:00:00 GMT'),
        strictDigest: true,
      });
      const response = await noted.handleRaw({
        url: 'https://upload-ost-api.xfyun.cn/file/mpupload/init',
        method: 'POST',
        headers: {
          host: 'upload-ost-api.xfyun.cn',
          date: 'Tue, 01 Jul 2025 08:00:00 GMT',
          digest: 'SHA-256=3IUSmAf9s2m82ghN98GC/oWo6L/iawi6A31NE+nbp0Q=',
          authorization:
            'api_key="key123", algorithm="hmac-sha256", headers="host date request-line digest", signature="0aEHW/UHBgw5ElbtnlAHabJv1X7bITrIToYhYbw9Vx0="',
          'content-type': 'application/json',
        },
        body: '{"request_id":"202507010800001","app_id":"appid123","cloud_id":"0"}',
      });
      const body = (await response.json()) as { code: number; sid: string; data: { upload_id: string } };
      expect(body.code).to.equal(0);
      expect(body.sid).to.match(/^ost/);
      expect(body.data.upload_id).to.match(/^up_\d{24}$/);
    });

    it('accepts any digest by default (the demo\'s empty-string digest), and only the body\'s with strictDigest', async () => {
      const demoStyle = await callInit({ digest: 'SHA256=SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' });
      expect(demoStyle.body.code).to.equal(0);
      useEmulator({ strictDigest: true });
      const strictEmpty = await callInit({ digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' });
      expect(strictEmpty).to.deep.equal({ status: 401, body: { message: 'HMAC signature does not match' } });
      expect((await callInit({})).body.code).to.equal(0);
    });

    it('checks app_id against the key\'s application and requires request_id', async () => {
      const call = async (fields: Record<string, string>) => {
        const body = JSON.stringify(fields);
        const headers = await handSign({
          ...CREDENTIALS,
          host: location.host,
          date: new Date().toUTCString(),
          requestLine: `POST ${EMULATOR_PATH}/file/mpupload/init HTTP/1.1`,
          body,
        });
        const response = await emulator.handleRaw({ url: initUrl(), method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
        return (await response.json()) as { code: number; message: string; sid: string };
      };
      const otherApp = await call({ request_id: 'r', app_id: 'another-app' });
      expect(otherApp.code).to.equal(10001);
      expect(otherApp.sid).to.be.a('string');
      expect((await call({ app_id: CREDENTIALS.appId })).code).to.equal(10001);
      expect((await call({ request_id: 'same', app_id: CREDENTIALS.appId })).code).to.equal(0);
      expect((await call({ request_id: 'same', app_id: CREDENTIALS.appId })).code, 'reuse is allowed by default').to.equal(0);
      useEmulator({ rejectReusedRequestId: true });
      expect((await call({ request_id: 'same', app_id: CREDENTIALS.appId })).code).to.equal(0);
      expect((await call({ request_id: 'same', app_id: CREDENTIALS.appId })).code).to.equal(10001);
    });

    it('checks slice ids, slice sizes, contiguity and closed sessions itself, not only through the proxy', async () => {
      useEmulator({ minSliceSize: 10 });
      const call = async (path: string, body: FormData | Record<string, string>) => {
        const encoded = body instanceof FormData ? new Response(body) : undefined;
        const bytes = encoded ? new Uint8Array(await encoded.arrayBuffer()) : utf8.encode(JSON.stringify(body));
        const contentType = encoded ? encoded.headers.get('content-type')! : 'application/json';
        const headers = await handSign({
          ...CREDENTIALS,
          host: location.host,
          date: new Date().toUTCString(),
          requestLine: `POST ${EMULATOR_PATH}${path} HTTP/1.1`,
          body: bytes,
        });
        const response = await emulator.handleRaw({
          url: `${location.origin}${EMULATOR_PATH}${path}`,
          method: 'POST',
          headers: { ...headers, 'content-type': contentType },
          body: bytes,
        });
        return (await response.json()) as { code: number; message: string; data?: Record<string, string> };
      };
      const base = { app_id: CREDENTIALS.appId, request_id: 'hand' };
      const slice = (uploadId: string, sliceId: string | undefined, size: number) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(base)) form.append(name, value);
        form.append('upload_id', uploadId);
        if (sliceId !== undefined) form.append('slice_id', sliceId);
        if (size >= 0) form.append('data', new Blob([new Uint8Array(size)]), 'x.bin');
        return call('/file/mpupload/upload', form);
      };
      const uploadId = (await call('/file/mpupload/init', base)).data!.upload_id!;
      expect((await slice(uploadId, '0', 20)).message).to.contain('slice_id');
      expect((await slice(uploadId, undefined, 20)).message).to.contain('sliceId must not be empty');
      expect((await slice(uploadId, '10001', 20)).code).to.equal(10001);
      expect((await slice(uploadId, '1.5', 20)).code).to.equal(10001);
      expect((await slice(uploadId, '1', -1)).message).to.contain('data must not be empty');
      expect((await slice('up_000', '1', 20)).code).to.equal(10005);
      expect((await call('/file/mpupload/complete', { ...base, upload_id: uploadId })).message).to.contain('no slice');
      expect((await slice(uploadId, '1', 20)).code).to.equal(0);
      expect((await slice(uploadId, '3', 20)).code).to.equal(0);
      expect((await call('/file/mpupload/complete', { ...base, upload_id: uploadId })).message).to.contain('slice 2 is missing');
      expect((await slice(uploadId, '2', 5)).code).to.equal(0);
      expect((await call('/file/mpupload/complete', { ...base, upload_id: uploadId })).message).to.contain('slice 2 is smaller than 10');
      expect((await slice(uploadId, '2', 10)).code, 'a re-sent slice replaces the old one').to.equal(0);
      const done = await call('/file/mpupload/complete', { ...base, upload_id: uploadId });
      expect(done.code).to.equal(0);
      expect(emulator.storedBytes(fileIdOf(done.data!.url))).to.have.length(50);
      expect((await slice(uploadId, '4', 20)).code).to.equal(10005);
      expect((await call('/file/mpupload/complete', { ...base, upload_id: uploadId })).code).to.equal(10005);
      expect((await call('/file/mpupload/cancel', { ...base, upload_id: uploadId })).code).to.equal(10005);
      const other = (await call('/file/mpupload/init', base)).data!.upload_id!;
      expect((await call('/file/mpupload/cancel', { ...base, upload_id: other })).code).to.equal(0);
      expect((await slice(other, '1', 20)).code).to.equal(10005);
      const tooSmallForm = new FormData();
      tooSmallForm.append('request_id', 'r');
      tooSmallForm.append('data', new Blob(['x']), 'x.bin');
      expect((await call('/file/upload', tooSmallForm)).message, 'app_id missing').to.contain('app_id');
    });
  });

  describe('errors, one per class', () => {
    it('auth: a proxy with the wrong APISecret fails with auth-failed at once, not retried', async () => {
      handlerOptions = { apiSecret: 'wrong-secret' };
      const { error } = await uploadOutcome(setup(), fileOf(21 * MiB).file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.retryable).to.equal(false);
      expect(error?.provider).to.include({ id: 'iflytek-ost', message: 'HMAC signature does not match' });
      expect(waits).to.deep.equal([]);
    });

    it('expired: a stale date is signed again at once; a backend clock that stays wrong fails with url-expired', async () => {
      const fault = emulator.faults.expireUrls({ operation: 'UploadPart', times: 2 });
      const { file, bytes } = fileOf(21 * MiB);
      const ok = await uploadOutcome(setup(), file);
      expect(ok.error).to.equal(undefined);
      expect(fault.fired).to.equal(2);
      expect(waits).to.deep.equal([]);
      expect(emulator.storedBytes(fileIdOf(ok.result!.url))).to.deep.equal(bytes);

      handlerOptions = { now: () => Date.now() - 10 * 60_000 };
      const { error } = await uploadOutcome(setup(), fileOf(1000, 'late.wav').file);
      expect(error?.code).to.equal('url-expired');
      expect(error?.status).to.equal(403);
      expect(error?.message).to.contain('clock');
    });

    it('hash mismatch: with strictDigest a body whose digest was not signed is refused (the real body digest passes)', async () => {
      useEmulator({ strictDigest: true });
      const { error } = await uploadOutcome(setup(), fileOf(1000, 'demo-digest.wav').file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.message).to.contain('digest');

      handlerOptions = { multipartDigest: 'body' };
      const { file, bytes } = fileOf(21 * MiB + 1, 'real-digest.wav');
      const { result, error: none } = await uploadOutcome(setup(), file);
      expect(none).to.equal(undefined);
      expect(emulator.storedBytes(fileIdOf(result!.url))).to.deep.equal(bytes);
    });

    it('limit: slices under 5 MiB are refused at complete (10001), the proxy\'s body limit answers limit-exceeded', async () => {
      const base = createIflytekOstAdapter({ endpoint: `${location.origin}${API_PATH}`, multipartThreshold: 0 });
      const tooSmall: ProviderAdapter<IflytekOstSession> = { ...base, planParts: (file) => ({ partSize: MiB, partCount: Math.ceil(file.size / MiB) }) };
      const small = await uploadOutcome(setup({}, {}, tooSmall), fileOf(3 * MiB).file);
      expect(small.error?.code).to.equal('provider-rejected');
      expect(small.error?.provider?.code).to.equal('10001');
      expect(small.error?.message).to.contain('smaller than 5242880');
      expect(emulator.stats.upload).to.equal(3);

      handlerOptions = { maxBodyBytes: MiB };
      const large = await uploadOutcome(setup(), fileOf(6 * MiB, 'big.wav').file);
      expect(large.error?.code).to.equal('limit-exceeded');
      expect(large.error?.status).to.equal(413);
    });

    it('limit: a file over the service\'s single-upload limit is refused with 10001', async () => {
      useEmulator({ singleUploadLimit: MiB });
      const { error } = await uploadOutcome(setup({ multipartThreshold: 2 * MiB }), fileOf(MiB + 1).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.message).to.contain('use multipart upload');
    });

    it('limit: an empty file is refused when added, before any request', async () => {
      const manager = setup();
      const rejected = once(manager, 'task-rejected');
      await manager.addFiles([new File([], 'empty.wav')]);
      expect((await rejected).error.code).to.equal('file-empty');
      expect(emulator.stats.refused).to.deep.equal([]);
    });

    it('not found: an upload the service expired (10005) is started over with a warning', async () => {
      const { file, bytes } = fileOf(21 * MiB);
      const first = setup({}, { concurrency: 1 });
      await first.addFiles([file]);
      first.start();
      await leavePageAfter(first, 5 * MiB);
      const [gone] = emulator.pending();
      expect(emulator.expireUpload(gone!.uploadId)).to.equal(true);

      const second = setup();
      const warning = once(second, 'warning');
      const { result, error } = await uploadOutcome(second, file);
      const warned = (await warning).error as UploadError;
      expect(warned.code).to.equal('not-found');
      expect(warned.provider?.code).to.equal('10005');
      expect(error).to.equal(undefined);
      expect(emulator.stats.init).to.equal(2);
      expect(emulator.storedBytes(fileIdOf(result!.url))).to.deep.equal(bytes);
    });

    it('not found: an upload idle past the service\'s lifetime answers 10005', async () => {
      let clock = Date.now();
      useEmulator({ sessionIdleMs: 60_000, now: () => clock });
      const adapter = createIflytekOstAdapter({ endpoint: `${location.origin}${API_PATH}`, multipartThreshold: 5 * MiB });
      const delayed: ProviderAdapter<IflytekOstSession> = {
        ...adapter,
        uploadPart: (ctx, session, part) => {
          if (part.partNumber === 2) clock += 61_000;
          return adapter.uploadPart(ctx, session, part);
        },
      };
      handlerOptions = { now: () => clock };
      const warnings: UploadError[] = [];
      const manager = setup({}, { concurrency: 1 }, delayed);
      manager.addEventListener('warning', (event) => warnings.push(event.detail.error));
      const { error } = await uploadOutcome(manager, fileOf(11 * MiB).file);
      expect(warnings.map((w) => w.provider?.code), 'it starts over a bounded number of times').to.deep.equal(['10005', '10005', '10005']);
      expect(error?.code, 'each new upload expired too').to.equal('not-found');
    });

    // Seed 001: "10002 | 操作s3出错 | 提交工单", "10007 | 推送任务失败 | 提交工单": file a ticket, so not tried again, and a
    // complete that failed to push its task is not sent twice.
    it('server: 10002 on a slice and 10007 at complete fail at once (seed: 提交工单), complete sent once', async () => {
      const fault = emulator.faults.failPart(2, { status: 10002 });
      const first = await uploadOutcome(setup({ multipartThreshold: 5 * MiB }), fileOf(11 * MiB).file);
      expect([first.error?.code, first.error?.retryable, first.error?.provider?.code]).to.deep.equal(['server-error', false, '10002']);
      expect(fault.fired).to.equal(1);
      expect(waits).to.deep.equal([]);

      emulator.faults.failRequest({ operation: 'Complete' }, { status: 10007, times: Infinity });
      const { error } = await uploadOutcome(setup({ multipartThreshold: 5 * MiB }), fileOf(11 * MiB, 'x.wav', 3).file);
      expect([error?.code, error?.retryable, error?.provider?.code]).to.deep.equal(['server-error', false, '10007']);
      expect(emulator.faults.list().at(-1)!.fired, 'complete is sent once').to.equal(1);
      expect(waits).to.deep.equal([]);
    });

    it('server: an HTTP 503 with Retry-After is honoured; a service code under a non-200 status still maps', async () => {
      emulator.faults.failRequest({ operation: 'Init' }, { status: 503, retryAfter: '2' });
      const ok = await uploadOutcome(setup({ multipartThreshold: 5 * MiB }), fileOf(11 * MiB).file);
      expect(ok.error).to.equal(undefined);
      expect(waits).to.deep.equal([2000]);
      expect(proxyErrors.map(String), 'a 5xx\'s own message goes to onError, not to the page').to.have.length(1);
      expect(String(proxyErrors[0])).to.contain('HTTP 503').and.to.contain('Service Unavailable');

      useEmulator({ failureStatus: 400 });
      emulator.faults.failRequest({ operation: 'Init' }, { status: 10001 });
      const { error } = await uploadOutcome(setup({ multipartThreshold: 5 * MiB }), fileOf(11 * MiB, 'y.wav', 4).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.status).to.equal(400);
      expect(error?.provider?.code).to.equal('10001');
    });
  });

  describe('the proxy validates what the page sends', () => {
    async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
      const response = await fetch(`${location.origin}${API_PATH}${path}`, { method: 'POST', body, headers });
      return { status: response.status, body: (await response.json()) as { error?: { code: string }; code?: number } };
    }

    function form(fields: Array<[string, string | Blob]>): FormData {
      const data = new FormData();
      for (const [name, value] of fields) {
        if (typeof value === 'string') data.append(name, value);
        else data.append(name, value, 'x.bin');
      }
      return data;
    }

    it('refuses app_id, cloud_id and unknown fields, a bad slice_id, data before other fields, and a missing data', async () => {
      const blob = new Blob(['0123456789']);
      expect((await post('/file/upload', form([['app_id', 'x'], ['data', blob]]))).body.error?.code).to.equal('invalid-field');
      expect((await post('/file/upload', form([['cloud_id', '0'], ['data', blob]]))).body.error?.code).to.equal('invalid-field');
      expect((await post('/file/upload', form([['colour', 'red'], ['data', blob]]))).body.error?.code).to.equal('invalid-field');
      expect((await post('/file/upload', form([['request_id', 'a b'], ['data', blob]]))).body.error?.code).to.equal('invalid-request-id');
      const slice = (id: string) => form([['upload_id', 'up_1'], ['slice_id', id], ['data', blob]]);
      expect((await post('/file/mpupload/upload', slice('0'))).body.error?.code).to.equal('invalid-part-number');
      expect((await post('/file/mpupload/upload', slice('10001'))).body.error?.code).to.equal('invalid-part-number');
      expect((await post('/file/upload', form([['data', blob], ['request_id', 'late']]))).body.error?.code).to.equal('invalid-form');
      expect((await post('/file/upload', form([['request_id', 'r']]))).body.error?.code).to.equal('invalid-field');
      expect(emulator.stats.refused).to.deep.equal([]);
      expect(emulator.stats.single).to.equal(0);
    });

    it('refuses JSON with foreign fields or a bad upload_id, and answers 404/405 and CORS preflights', async () => {
      const json = { 'content-type': 'application/json' };
      expect((await post('/file/mpupload/init', JSON.stringify({ app_id: 'x' }), json)).body.error?.code).to.equal('invalid-field');
      expect((await post('/file/mpupload/complete', JSON.stringify({}), json)).body.error?.code).to.equal('invalid-upload-id');
      expect((await post('/file/mpupload/cancel', JSON.stringify({ upload_id: '../x' }), json)).body.error?.code).to.equal('invalid-upload-id');
      expect((await post('/file/list', '{}', json)).status).to.equal(404);
      expect((await fetch(`${location.origin}${API_PATH}/file/upload`)).status).to.equal(405);
      // A page cannot set Origin itself; '*' answers whatever origin a real preflight would carry.
      const preflightRequest = () =>
        new Request(`${location.origin}${API_PATH}/file/upload`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } });
      const closed = await proxy()(preflightRequest());
      expect(closed.status).to.equal(204);
      expect(closed.headers.get('access-control-allow-origin'), 'no CORS unless allowedOrigins is set').to.equal(null);
      handlerOptions = { allowedOrigins: '*', allowedHeaders: ['X-App-Session'] };
      const preflight = await proxy()(preflightRequest());
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal('*');
      expect(preflight.headers.get('access-control-allow-methods')).to.equal('POST, OPTIONS');
      expect(preflight.headers.get('access-control-allow-headers')).to.equal('content-type, authorization, x-app-session');
      handlerOptions = {};
      const init = await post('/file/mpupload/init', JSON.stringify({}), json);
      expect(init.body.code).to.equal(0);
    });

    // Seed 001 lists cloud_id ("云唯一标识(0代表公有云)") for /file/upload and init only; complete and cancel list
    // request_id, app_id and upload_id.
    it('adds app_id itself, cloud_id to init only, and signs the real SHA-256 of JSON bodies', async () => {
      handlerOptions = { cloudId: '0' };
      useEmulator({ strictDigest: true });
      const seen: Array<{ headers: Record<string, string>; body: unknown }> = [];
      const inner = emulator;
      handlerOptions.send = async (call) => {
        seen.push({ headers: call.headers, body: JSON.parse(new TextDecoder().decode(call.body as Uint8Array)) });
        return inner.handleRaw(call);
      };
      const response = await fetch(`${location.origin}${API_PATH}/file/mpupload/init`, {
        method: 'POST',
        body: JSON.stringify({ request_id: 'mine-1' }),
        headers: { 'content-type': 'application/json' },
      });
      const initAnswer = (await response.json()) as { code: number; data: { upload_id: string } };
      expect(initAnswer.code).to.equal(0);
      expect(seen[0]!.body).to.deep.equal({ request_id: 'mine-1', app_id: CREDENTIALS.appId, cloud_id: '0' });
      const uploadId = initAnswer.data.upload_id;
      await fetch(`${location.origin}${API_PATH}/file/mpupload/cancel`, {
        method: 'POST',
        body: JSON.stringify({ request_id: 'mine-2', upload_id: uploadId }),
        headers: { 'content-type': 'application/json' },
      });
      expect(seen[1]!.body).to.deep.equal({ request_id: 'mine-2', app_id: CREDENTIALS.appId, upload_id: uploadId });
      expect(seen[0]!.headers).to.have.keys(['host', 'date', 'digest', 'authorization', 'content-type', 'content-length', 'accept']);
      expect(seen[0]!.headers.authorization).to.match(/^api_key="contract-api-key", algorithm="hmac-sha256", headers="host date request-line digest", signature="[A-Za-z0-9+/]{43}="$/);
    });
  });
});

describeAdapterContract('iflytek-ost', ADAPTER_HARNESSES['iflytek-ost']!);
