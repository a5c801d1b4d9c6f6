import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { http } from 'msw';
import { createStore, entries } from 'idb-keyval';
import { TencentCosV4Emulator } from '../../src/emulators/tencent-cos-v4-emulator.js';
import type { TencentCosV4EmulatorOptions } from '../../src/emulators/tencent-cos-v4-emulator.js';
import { emulatorHandlers } from '../../src/emulators/msw.js';
import { createCosV4SignatureHandler } from '../../src/server/tencent-cos-v4-handler.js';
import type { CosV4SignatureHandlerOptions } from '../../src/server/tencent-cos-v4-handler.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { cosV4SignatureFromBackend, createTencentCosV4Adapter } from '../../src/providers/tencent-cos-v4.js';
import type { TencentCosV4AdapterOptions, TencentCosV4Session } from '../../src/providers/tencent-cos-v4.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import { fileWithBytes } from '../helpers/make-blob.js';
import { uploadOutcome as upload, leavePageAfter } from '../helpers/manager-events.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const APP_ID = '1250000000';
const BUCKET = 'mcubucket';
const KEYS = { secretId: 'AKIDCOSV4CONTRACT000', secretKey: 'cos-v4-contract-secret' };
const BASE_PATH = '/emulator/tencent-cos-v4';
const SIGNER_PATH = '/api/tencent-cos-v4';
/** The note's §4 vector: these exact uploadparts must reach init. */
const NOTE_UPLOADPARTS =
  '[{"offset":0,"datalen":1048576,"datasha":"87fbbab92239b2453c6dbf50e76535beecac4896"},' +
  '{"offset":1048576,"datalen":1048576,"datasha":"accdc1ac9faf2e20c96b0d227575d9b40f13fe55"},' +
  '{"offset":2097152,"datalen":524288,"datasha":"43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d"}]';

/** Shifts the emulator's and the signer's clock together, for expiry tests. */
let clockShiftMs = 0;
const now = () => Date.now() + clockShiftMs;

function emulatorWith(options: Partial<TencentCosV4EmulatorOptions> = {}): TencentCosV4Emulator {
  return new TencentCosV4Emulator({ basePath: BASE_PATH, appId: APP_ID, bucket: BUCKET, credentials: KEYS, now, ...options });
}

function signerWith(options: Partial<CosV4SignatureHandlerOptions> = {}) {
  return createCosV4SignatureHandler({ appId: APP_ID, bucket: BUCKET, ...KEYS, expiresIn: 60, basePath: SIGNER_PATH, now, ...options });
}

const emulator = emulatorWith();
const signer = signerWith();
const worker = setupWorker(
  ...emulatorHandlers(emulator),
  http.all(`*${SIGNER_PATH}/*`, ({ request }) => signer(request)),
);

function fileOf(size: number, name = 'contract.bin', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed);
}

describe('Tencent COS v4 adapter against the strict emulator and the signature handler (in the page)', () => {
  let dbName: string;
  let waits: number[];
  let signatureCalls: number;
  const managers: UploadManager[] = [];
  const endpoint = (bucket = BUCKET) => `${location.origin}${BASE_PATH}/files/v2/${APP_ID}/${bucket}`;

  function adapterWith(options: Partial<TencentCosV4AdapterOptions> = {}): ProviderAdapter<TencentCosV4Session> {
    const fetchSignature = cosV4SignatureFromBackend(`${location.origin}${SIGNER_PATH}/signature`);
    return createTencentCosV4Adapter({
      endpoint: endpoint(),
      getSignature: (request) => {
        // Counted for files: the folder's own signature (op=create) is asked once per adapter, tested on its own.
        if (!request.path.endsWith('/')) signatureCalls += 1;
        return fetchSignature(request);
      },
      directory: 'uploads/',
      singleUploadThreshold: 0,
      ...options,
    });
  }

  function setup(adapterOptions: Partial<TencentCosV4AdapterOptions> = {}, options: Partial<UploadManagerOptions> = {}, adapter?: ProviderAdapter) {
    const manager = new UploadManager({
      adapter: adapter ?? adapterWith(adapterOptions),
      checkpointStore: new CheckpointStore({ dbName }),
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  /** Starts an upload, pauses it once `bytes` are sent, and drops the manager as a reload would. */
  async function uploadUntil(manager: UploadManager, file: File, bytes: number) {
    await manager.addFiles([file]);
    manager.start();
    await leavePageAfter(manager, bytes);
  }

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-cos-${crypto.randomUUID()}`;
    waits = [];
    signatureCalls = 0;
    clockShiftMs = 0;
    emulator.reset();
  });
  afterEach(async () => {
    worker.resetHandlers();
    await releaseManagers(managers, dbName);
  });

  // Seed 002 (结束上传分片): "前置条件:指定目录已存在" — the target directory must exist before the upload.
  describe('folders (seed 002: 指定目录已存在)', () => {
    it('creates the file\'s folder once (op=create), then uploads into it; the emulator refuses a missing folder', async () => {
      expect(emulator.directories()).to.deep.equal([]);
      const adapter = adapterWith();
      const first = await upload(setup({}, {}, adapter), fileOf(2 * MiB, 'one.bin').file);
      const second = await upload(setup({}, {}, adapter), fileOf(2 * MiB, 'two.bin', 2).file);
      expect([first.error, second.error]).to.deep.equal([undefined, undefined]);
      expect(emulator.directories()).to.deep.equal(['uploads/']);
      expect(emulator.storedBytes('uploads/two.bin')).to.have.length(2 * MiB);

      const refused = await upload(setup({ directory: 'elsewhere/', createDirectory: false }), fileOf(MiB, 'three.bin').file);
      expect([refused.error?.code, refused.error?.provider?.code]).to.deep.equal(['not-found', '-166']);
    });

    it('takes a folder that exists already (-178) as made, and leaves the folders above the file\'s own to you', async () => {
      expect((await upload(setup(), fileOf(MiB, 'made.bin').file)).error).to.equal(undefined);
      // A new page's adapter does not know the folder is there: COS says so (-178), which is what it wanted.
      const { error } = await upload(setup(), fileOf(MiB, 'kept.bin', 3).file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes('uploads/kept.bin')).to.have.length(MiB);
      const deep = await upload(setup({ directory: 'a/b/' }), fileOf(MiB, 'deep.bin').file);
      expect([deep.error?.code, deep.error?.provider?.code]).to.deep.equal(['not-found', '-166']);
      expect(emulator.directories()).to.deep.equal(['uploads/']);
    });
  });

  describe('modes', () => {
    it('uploads the note\'s vector in 3 parallel slices, with its exact sha and uploadparts at init', async () => {
      const { file, bytes } = fileOf(2_621_440, 'vector.bin', 1);
      const { result, error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats.initForms).to.have.length(1);
      expect(emulator.stats.initForms[0]).to.deep.equal({
        op: 'upload_slice_init',
        filesize: '2621440',
        slice_size: '1048576',
        sha: '43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d',
        uploadparts: NOTE_UPLOADPARTS,
        insertOnly: '1',
      });
      expect(emulator.storedBytes('uploads/vector.bin')).to.deep.equal(bytes);
      expect([...emulator.stats.partNumbersReceived].sort()).to.deep.equal([1, 2, 3]);
      expect(emulator.stats.finish).to.equal(1);
      expect(result).to.deep.include({
        key: 'uploads/vector.bin',
        fileId: `/${APP_ID}/${BUCKET}/uploads/vector.bin`,
        location: `http://${BUCKET}-${APP_ID}.cossh.myqcloud.com/uploads/vector.bin`,
      });
      expect(signatureCalls).to.equal(1);
      expect(emulator.pending()).to.deep.equal([]);
    });

    it('uses slices above the 20 MiB default threshold and one op=upload below it, empty files included', async () => {
      const big = fileOf(20 * MiB + 5, 'big.bin');
      const first = await upload(setup({ singleUploadThreshold: undefined }), big.file);
      expect(first.error).to.equal(undefined);
      expect(emulator.stats.data).to.equal(21);
      expect(emulator.storedBytes('uploads/big.bin')).to.deep.equal(big.bytes);

      const small = fileOf(3 * MiB + 1, 'small.bin');
      const second = await upload(setup({ singleUploadThreshold: undefined }), small.file);
      expect(second.error).to.equal(undefined);
      expect(emulator.stats.upload).to.equal(1);
      expect(emulator.stats.init).to.equal(1);
      expect(emulator.storedBytes('uploads/small.bin')).to.deep.equal(small.bytes);

      const empty = await upload(setup(), new File([], 'empty.txt'));
      expect(empty.error).to.equal(undefined);
      expect(emulator.storedBytes('uploads/empty.txt')).to.deep.equal(new Uint8Array(0));
    });

    it('sends neither sha nor uploadparts with hashing off, and finishes without sha', async () => {
      const { file, bytes } = fileOf(2 * MiB + 9, 'plain.bin');
      const { error } = await upload(setup({ hashing: false }), file);
      expect(error).to.equal(undefined);
      expect(Object.keys(emulator.stats.initForms[0]!)).to.deep.equal(['op', 'filesize', 'slice_size', 'insertOnly']);
      expect(emulator.storedBytes('uploads/plain.bin')).to.deep.equal(bytes);
    });

    it('finishes at once on a rapid-upload hit: no slice is sent', async () => {
      const { file, bytes } = fileOf(3 * MiB + 1, 'copy.bin');
      await emulator.putObject('elsewhere/original.bin', bytes);
      const manager = setup();
      const states: string[] = [];
      manager.addEventListener('task-state', (event) => states.push(event.detail.state));
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(result).to.deep.include({ rapid: true, key: 'uploads/copy.bin' });
      expect(emulator.stats.rapid).to.equal(1);
      expect(emulator.stats.data).to.equal(0);
      expect(states).to.include('hashing');
      expect(emulator.storedBytes('uploads/copy.bin')).to.deep.equal(bytes);
    });

    it('sends slices one at a time in order when init says serial_upload', async () => {
      const serial = emulatorWith({ serialUpload: true });
      worker.use(...emulatorHandlers(serial));
      // Held back so that a parallel sender would deliver slice 2 first, which the serial emulator refuses.
      serial.faults.delay(200, { operation: 'upload_slice_data', partNumber: 1 });
      const { file, bytes } = fileOf(4 * MiB + 3, 'serial.bin');
      const { error } = await upload(setup({}, { concurrency: 4 }), file);
      expect(error).to.equal(undefined);
      expect(serial.stats.partNumbersReceived).to.deep.equal([1, 2, 3, 4, 5]);
      expect(serial.storedBytes('uploads/serial.bin')).to.deep.equal(bytes);
    });

    it('sends the signature as the sign query parameter when asked', async () => {
      const { file, bytes } = fileOf(2 * MiB, 'query.bin');
      const { error } = await upload(setup({ signatureIn: 'query' }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes('uploads/query.bin')).to.deep.equal(bytes);
    });

    it('overwrites an existing file with insertOnly 0, and refuses to with the default (-177)', async () => {
      await emulator.putObject('uploads/exists.bin', new Uint8Array([1, 2, 3]));
      const { file, bytes } = fileOf(2 * MiB, 'exists.bin');
      const refused = await upload(setup(), file);
      expect(refused.error?.code).to.equal('provider-rejected');
      expect(refused.error?.provider?.code).to.equal('-177');
      const { error } = await upload(setup({ insertOnly: 0 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes('uploads/exists.bin')).to.deep.equal(bytes);
    });
  });

  describe('resume', () => {
    it('resumes after a reload through upload_slice_list, sending only the missing slices, with no signature in IndexedDB', async () => {
      const { file, bytes } = fileOf(8 * MiB + 5, 'resume.bin');
      await uploadUntil(setup({}, { concurrency: 1 }), file, 3 * MiB);

      const records = await entries(createStore(dbName, 'checkpoints'));
      expect(records).to.have.length(1);
      const stored = JSON.stringify(records[0]![1]);
      expect(stored).to.contain('"session"');
      expect(stored).to.not.match(/sign|authorization|\?|myqcloud/i);

      const before = [...emulator.stats.partNumbersReceived];
      const listsBefore = emulator.stats.list;
      const second = setup({}, { concurrency: 1 });
      const { result, error } = await upload(second, file);
      expect(error).to.equal(undefined);
      expect(second.tasks[0]!.resumed).to.equal(true);
      expect(emulator.stats.list - listsBefore).to.equal(1);
      expect(emulator.stats.init).to.equal(1);
      const resent = emulator.stats.partNumbersReceived.slice(before.length);
      expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
      expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
    });

    it('on -4019 lists the unfinished session of the same sha and resumes it, even without a checkpoint', async () => {
      const { file, bytes } = fileOf(6 * MiB + 7, 'lost.bin');
      await uploadUntil(setup({}, { concurrency: 1 }), file, 2 * MiB);
      const before = [...emulator.stats.partNumbersReceived];
      expect(emulator.pending()).to.have.length(1);

      dbName = `mcu-contract-cos-${crypto.randomUUID()}`;
      const { result, error } = await upload(setup({ listBeforeInit: false }), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats.initForms).to.have.length(2);
      const resent = emulator.stats.partNumbersReceived.slice(before.length);
      expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
      expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
    });

    it('finds the unfinished session by listing before init, so no init is sent at all', async () => {
      const { file, bytes } = fileOf(5 * MiB, 'listed.bin');
      await uploadUntil(setup({}, { concurrency: 1 }), file, 2 * MiB);
      dbName = `mcu-contract-cos-${crypto.randomUUID()}`;
      const { error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats.initForms).to.have.length(1);
      expect(emulator.storedBytes('uploads/listed.bin')).to.deep.equal(bytes);
    });
  });

  describe('errors', () => {
    it('auth: the signer binds each signature to its object, so one asked for another path is refused (-63)', async () => {
      const fetchSignature = cosV4SignatureFromBackend(`${location.origin}${SIGNER_PATH}/signature`);
      const elsewhere = adapterWith({ getSignature: () => fetchSignature({ path: 'uploads/other.bin' }) });
      const { error } = await upload(setup({}, {}, elsewhere), fileOf(2 * MiB, 'mine.bin').file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.provider?.code).to.equal('-63');
      expect(emulator.storedBytes('uploads/mine.bin')).to.equal(undefined);
    });

    it('auth: a signature made with the wrong SecretKey fails with auth-failed (-97), not retried', async () => {
      worker.use(http.all(`*${SIGNER_PATH}/*`, ({ request }) => signerWith({ secretKey: 'wrong' })(request)));
      const { error } = await upload(setup(), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.provider?.code).to.equal('-97');
      expect(waits).to.deep.equal([]);
    });

    it('expired: COS answering -59 twice costs two fresh signatures and no wait', async () => {
      const fault = emulator.faults.expireUrls({ operation: 'upload_slice_data', times: 2 });
      const { error } = await upload(setup({}, { concurrency: 1 }), fileOf(3 * MiB, 'twice.bin').file);
      expect(error).to.equal(undefined);
      expect(fault.fired).to.equal(2);
      expect(signatureCalls).to.equal(3);
      expect(waits).to.deep.equal([]);
    });

    it('hash mismatch: big-endian states are refused at the first slice with -4016', async () => {
      const base = adapterWith();
      const bigEndian: ProviderAdapter<TencentCosV4Session> = {
        ...base,
        create: (ctx) =>
          base.create({
            ...ctx,
            digest: async (name, partNumber) => {
              const value = (await ctx.digest(name, partNumber)) as string;
              if (name !== 'datasha') return value;
              return value.replace(/[0-9a-f]{8}/g, (word) => word.match(/../g)!.reverse().join(''));
            },
          }),
      };
      const { error } = await upload(setup({}, { retryPolicy: { retries: 1 } }, bigEndian), fileOf(3 * MiB, 'be.bin', 1).file);
      expect(error?.code).to.equal('hash-mismatch');
      expect(error?.provider?.code).to.equal('-4016');
      expect(emulator.stats.data).to.equal(0);
    });

    it('limit: a slice size the strict bucket refuses fails with limit-exceeded (-284)', async () => {
      worker.use(...emulatorHandlers(emulatorWith({ sliceSizes: [MiB] })));
      const { error } = await upload(setup({ sliceSize: 2 * MiB }), fileOf(5 * MiB).file);
      expect(error?.code).to.equal('limit-exceeded');
      expect(error?.provider?.code).to.equal('-284');
    });

    it('limit: a slice size COS answers differently stops the upload and names the option', async () => {
      worker.use(...emulatorHandlers(emulatorWith({ grantedSliceSize: 2 * MiB })));
      const { error } = await upload(setup(), fileOf(5 * MiB).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.message).to.contain('sliceSize');
    });

    it('not found: a bucket that does not exist fails with not-found (-133)', async () => {
      worker.use(http.all(`*${SIGNER_PATH}/*`, ({ request }) => signerWith({ bucket: 'nobucket' })(request)));
      const { error } = await upload(setup({ endpoint: endpoint('nobucket') }), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('not-found');
      expect(error?.provider?.code).to.equal('-133');
    });

    it('server: a 500 and a 503 with Retry-After are retried; a dropped connection too', async () => {
      emulator.faults.failRequest({ operation: 'upload_slice_data', partNumber: 2 }, { status: 500 });
      emulator.faults.failRequest({ operation: 'upload_slice_finish' }, { status: 503, retryAfter: '2' });
      const drop = emulator.faults.dropConnection({ operation: 'upload_slice_data', partNumber: 3 });
      const { file, bytes } = fileOf(3 * MiB + 1, 'flaky.bin');
      const { error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(drop.fired).to.equal(1);
      expect(waits).to.have.length(3);
      expect(waits).to.include(2000);
      expect(emulator.storedBytes('uploads/flaky.bin')).to.deep.equal(bytes);
    });

    it('server: a 500 that persists fails with server-error after the retries', async () => {
      emulator.faults.failRequest({ operation: 'upload_slice_init' }, { status: 500, times: Infinity });
      const { error } = await upload(setup({}, { retryPolicy: { retries: 2 } }), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('server-error');
      expect(error?.provider?.code).to.equal('-195');
      expect(waits).to.have.length(2);
    });

    it('conflict: an unfinished upload of other content at the path fails with -4020', async () => {
      const first = fileOf(3 * MiB, 'same-name.bin', 1);
      await uploadUntil(setup({}, { concurrency: 1 }), first.file, MiB);
      dbName = `mcu-contract-cos-${crypto.randomUUID()}`;
      const { error } = await upload(setup(), fileOf(3 * MiB, 'same-name.bin', 2).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.provider?.code).to.equal('-4020');
    });

    it('CORS: a page origin the bucket rule does not list fails with cors-blocked (-121)', async () => {
      const strict = emulatorWith({ allowedOrigins: ['https://other.example'] });
      // msw's worker hands over the request without the Origin header the browser sent. A page may not set Origin on
      // a Request, but a standalone Headers may hold it, so the request is given such headers as its own property.
      worker.use(
        http.all(`*${BASE_PATH}/*`, ({ request }) => {
          const headers = new Headers(request.headers);
          headers.set('origin', location.origin);
          Object.defineProperty(request, 'headers', { value: headers });
          return strict.handle(request);
        }),
      );
      const { error } = await upload(setup(), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('cors-blocked');
      expect(error?.provider?.code).to.equal('-121');
    });
  });
});

describeAdapterContract('tencent-cos-v4', ADAPTER_HARNESSES['tencent-cos-v4']!);
