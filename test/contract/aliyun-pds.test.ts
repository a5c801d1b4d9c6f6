import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { http } from 'msw';
import { createStore, entries } from 'idb-keyval';
import { sha1 } from 'hash-wasm';
import { AliyunPdsEmulator } from '../../src/emulators/aliyun-pds-emulator.js';
import { emulatorHandlers } from '../../src/emulators/msw.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createAliyunPdsAdapter } from '../../src/providers/aliyun-pds.js';
import type { AliyunPdsAdapterOptions, AliyunPdsSession } from '../../src/providers/aliyun-pds.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import { fileWithBytes, makeBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome as upload, leavePageAfter } from '../helpers/manager-events.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const KiB = 1024;
const PART = 256 * KiB;
const BASE = '/emulator/aliyun-pds';
const QUIRKS_BASE = '/emulator/aliyun-pds-quirks';

let skewMs = 0;
const emulator = new AliyunPdsEmulator({ basePath: BASE, now: () => Date.now() + skewMs });
// A domain that prints crc64_hash as a bare number and wants a Content-Type on part PUTs.
const quirks = new AliyunPdsEmulator({ basePath: QUIRKS_BASE, crc64Encoding: 'number', partContentType: 'application/octet-stream' });
const worker = setupWorker(...emulatorHandlers(emulator), ...emulatorHandlers(quirks));

function fileOf(size: number, name = 'contract.bin', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed);
}

describe('Aliyun PDS adapter against the strict emulator (in the page)', () => {
  let dbName: string;
  let waits: number[];
  let tokensAsked: number;
  const managers: UploadManager[] = [];

  function adapterWith(options: Partial<AliyunPdsAdapterOptions> = {}, on: AliyunPdsEmulator = emulator): ProviderAdapter<AliyunPdsSession> {
    return createAliyunPdsAdapter({
      endpoint: `${location.origin}${on.basePath}`,
      driveId: '1',
      getToken: () => {
        tokensAsked += 1;
        return on.issueToken().access_token;
      },
      ...options,
    });
  }

  function setup(adapterOptions: Partial<AliyunPdsAdapterOptions> = {}, options: Partial<UploadManagerOptions> = {}, adapter?: ProviderAdapter) {
    const manager = new UploadManager({
      adapter: adapter ?? adapterWith(adapterOptions),
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: PART,
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-pds-${crypto.randomUUID()}`;
    waits = [];
    tokensAsked = 0;
    skewMs = 0;
    emulator.reset();
    quirks.reset();
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });

  describe('serial mode', () => {
    it('uploads the parts strictly in order, completes with a verified CRC-64, and stores the file byte for byte', async () => {
      const { file, bytes } = fileOf(5 * PART + 77);
      const { result, error } = await upload(setup({}, { concurrency: 4 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      expect(emulator.stats.partNumbersReceived).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(emulator.stats.refusals).to.deep.equal([]);
      expect(emulator.stats.crc64Checked).to.equal(1);
      expect(result).to.deep.include({ name: 'contract.bin', rapid: false, contentHash: (await sha1(bytes)).toUpperCase() });
      expect(tokensAsked).to.equal(1);
    });

    it('uploads an empty file', async () => {
      const { result, error } = await upload(setup(), new File([], 'empty.txt'));
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(new Uint8Array(0));
    });

    it('is refused part by part (PartNotSequential) when parts go out of order', async () => {
      const base = adapterWith({ rapidUpload: false });
      const unordered: ProviderAdapter<AliyunPdsSession> = { ...base, sequentialParts: () => false };
      emulator.faults.delay(300, { operation: 'UploadPart', partNumber: 1 });
      const { error } = await upload(setup({}, { concurrency: 3 }, unordered), fileOf(4 * PART).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.provider?.code).to.equal('PartNotSequential');
      expect(emulator.stats.refusals.some((r) => r.code === 'PartNotSequential' && r.partNumber !== 1)).to.equal(true);
      expect(emulator.stats.complete).to.equal(0);
      // The held part 1 still reaches the emulator after the upload failed; it must land before the next test's reset.
      while (!emulator.stats.partNumbersReceived.includes(1)) await new Promise((resolve) => setTimeout(resolve, 50));
    });

    it('takes a part PDS stored before the connection broke (409 PartAlreadyExist) from list_uploaded_parts', async () => {
      const fault = emulator.faults.dropConnection(2, { afterBytes: PART });
      const { file, bytes } = fileOf(3 * PART + 5);
      const { result, error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(fault.fired).to.equal(1);
      expect(emulator.stats.refusals.map((r) => r.code)).to.deep.equal(['PartAlreadyExist']);
      expect(emulator.stats.listUploadedParts).to.equal(1);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });
    it('finishes when complete took effect but its answer was lost, by asking PDS for the file', async () => {
      const fault = emulator.faults.dropConnection({ operation: 'CompleteFile' }, { afterBytes: 1_000_000 });
      const { file, bytes } = fileOf(2 * PART + 3);
      const { result, error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(fault.fired).to.equal(1);
      expect(emulator.stats.complete).to.equal(1);
      expect(emulator.stats.refusals).to.deep.equal([{ operation: 'CompleteFile', code: 'NotFound.UploadId' }]);
      expect(result!['crc64Hash']).to.match(/^\d+$/);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });
  });

  describe('parallel mode', () => {
    it('sends each later part\'s SHA-1 context with get_upload_url, uploads concurrently, and the emulator verifies the chain', async () => {
      const { file, bytes } = fileOf(6 * PART + 1000);
      const { result, error } = await upload(setup({ parallelUpload: true }, { concurrency: 4 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      expect(emulator.stats.getUploadUrl).to.be.within(1, 6);
      expect(emulator.stats.partNumbersReceived.sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
      expect(result!['contentHash']).to.equal((await sha1(bytes)).toUpperCase());
    });

    it('asks get_upload_url once for every part whose SHA-1 context the hashing has already reached', async () => {
      // Part 1 (its URL came with create) is held back until the whole file is hashed.
      emulator.faults.delay(1000, { operation: 'UploadPart', partNumber: 1 });
      const { file, bytes } = fileOf(6 * PART + 1000, 'batch.bin');
      const { result, error } = await upload(setup({ parallelUpload: true, rapidUpload: false }, { concurrency: 2 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      // Part 2's lane asked while part 1 was held; by the time the second lane is free again every context is known.
      expect(emulator.stats.getUploadUrl).to.be.at.most(2);
    });

    it('falls back to serial when the domain answers ParallelUpload not supported', async () => {
      emulator.setParallelUpload(false);
      const { file, bytes } = fileOf(3 * PART + 9);
      const { result, error } = await upload(setup({ parallelUpload: true }, { concurrency: 4 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.stats.parallelRefused).to.equal(1);
      expect(emulator.stats.partNumbersReceived).to.deep.equal([1, 2, 3, 4]);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('fails with hash-mismatch when a part\'s SHA-1 context is wrong', async () => {
      const base = adapterWith({ parallelUpload: true, rapidUpload: false });
      const lying: ProviderAdapter<AliyunPdsSession> = {
        ...base,
        uploadPart: (ctx, session, part) =>
          base.uploadPart(
            { ...ctx, digest: async (name, n) => (name === 'sha1_ctx' && n === 3 ? [1, 2, 3, 4, 5] : ctx.digest(name, n)) },
            session,
            part,
          ),
      };
      const { error } = await upload(setup({}, { concurrency: 1 }, lying), fileOf(4 * PART).file);
      expect(error?.code).to.equal('hash-mismatch');
      expect(error?.provider?.code).to.equal('InvalidParameter.ParallelSha1Ctx');
    });
  });

  describe('rapid upload', () => {
    it('finishes a second upload of the same bytes at create, sending no part', async () => {
      const { bytes } = fileOf(3 * PART + 11);
      const first = await upload(setup(), new File([bytes], 'one.bin', { lastModified: 1 }));
      expect(first.error).to.equal(undefined);
      const partsBefore = emulator.stats.uploadPart;

      const second = await upload(setup(), new File([bytes], 'two.bin', { lastModified: 2 }));
      expect(second.error).to.equal(undefined);
      expect(second.result).to.deep.include({ rapid: true, name: 'two.bin', contentHash: (await sha1(bytes)).toUpperCase() });
      expect(emulator.stats.uploadPart).to.equal(partsBefore);
      expect(emulator.stats.preHashMatched).to.equal(1);
      expect(emulator.stats.rapidUploads).to.equal(1);
      expect(emulator.storedBytes(second.result!.fileId as string)).to.deep.equal(bytes);
    });

    it('uploads normally, with content_hash checked at complete, when only the first KiB matches', async () => {
      const first = fileOf(2 * PART, 'one.bin', 3);
      await upload(setup(), first.file);
      const tail = makeBytes(2 * PART, 4);
      tail.set(first.bytes.subarray(0, 1024));
      const second = await upload(setup(), new File([tail], 'two.bin', { lastModified: 2 }));
      expect(second.error).to.equal(undefined);
      expect(second.result!['rapid']).to.equal(false);
      expect(emulator.stats.preHashMatched).to.equal(1);
      expect(emulator.storedBytes(second.result!.fileId as string)).to.deep.equal(tail);
    });

    it('can be turned off: the same bytes are sent again and no pre_hash is asked', async () => {
      const { bytes } = fileOf(2 * PART);
      await upload(setup({ rapidUpload: false }), new File([bytes], 'one.bin', { lastModified: 1 }));
      const second = await upload(setup({ rapidUpload: false }), new File([bytes], 'two.bin', { lastModified: 2 }));
      expect(second.result!['rapid']).to.equal(false);
      expect(emulator.stats.uploadPart).to.equal(4);
      expect(emulator.stats.preHashMatched).to.equal(0);
    });
  });

  it('renames or refuses a taken name as checkNameMode says', async () => {
    await upload(setup({ rapidUpload: false }), fileOf(PART, 'same.bin', 1).file);
    const renamed = await upload(setup({ rapidUpload: false, checkNameMode: 'auto_rename' }), fileOf(PART, 'same.bin', 2).file);
    expect(renamed.result!['name']).to.equal('same(1).bin');
    const refused = await upload(setup({ rapidUpload: false, checkNameMode: 'refuse' }), fileOf(PART, 'same.bin', 3).file);
    expect(refused.error?.code).to.equal('provider-rejected');
    expect(refused.error?.retryable).to.equal(false);
  });

  describe('expiry', () => {
    for (const parallelUpload of [false, true]) {
      it(`renews URLs the emulator's clock has run out (${parallelUpload ? 'parallel' : 'serial'})`, async () => {
        const manager = setup({ parallelUpload }, { concurrency: 1 });
        // Create's URLs are minted before this jump, so they are 16 minutes old when the first part goes out.
        manager.addEventListener('task-state', (event) => {
          if (event.detail.state === 'uploading') skewMs = 16 * 60_000;
        });
        const { file, bytes } = fileOf(3 * PART);
        const { result, error } = await upload(manager, file);
        expect(error).to.equal(undefined);
        expect(emulator.stats.refusals.map((r) => [r.code, r.partNumber])).to.deep.equal([['AccessDenied', 1]]);
        expect(waits).to.deep.equal([]);
        expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      });
    }

    it('asks getToken again when PDS says the access token expired', async () => {
      emulator.faults.expireUrls({ operation: 'CompleteFile' });
      const { error } = await upload(setup(), fileOf(2 * PART).file);
      expect(error).to.equal(undefined);
      expect(tokensAsked).to.equal(2);
      expect(waits).to.deep.equal([]);
      expect(emulator.stats.refusals.map((r) => r.code)).to.deep.equal(['AccessTokenExpired']);
    });
  });

  describe('resume after a reload', () => {
    for (const parallelUpload of [false, true]) {
      it(`${parallelUpload ? 'parallel' : 'serial'}: lists the parts page by page and sends only the missing ones; no URL or token in IndexedDB`, async () => {
        const { file, bytes } = fileOf(8 * PART + 3);
        const options = { parallelUpload, listPageSize: 2 };
        const first = setup(options, { concurrency: 1 });
        await first.addFiles([file]);
        first.start();
        await leavePageAfter(first, 3 * PART);

        const records = await entries(createStore(dbName, 'checkpoints'));
        expect(records).to.have.length(1);
        const stored = JSON.stringify(records[0]?.[1]);
        expect(stored).to.not.match(/Signature|Expires|\?|token|Bearer/i);
        expect(stored).to.contain('"uploadId"');

        const before = [...emulator.stats.partNumbersReceived];
        expect(before.length).to.be.within(3, 8);
        const second = setup(options, { concurrency: 1 });
        const [task] = await second.addFiles([file]);
        const done = once(second, 'task-complete');
        second.start();
        const { result } = await done;
        expect(task?.resumed).to.equal(true);
        expect(emulator.stats.listUploadedParts).to.equal(Math.ceil(before.length / 2));
        const resent = emulator.stats.partNumbersReceived.slice(before.length);
        expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
        expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(emulator.storedBytes(result.fileId as string)).to.deep.equal(bytes);
      });
    }

  });

  describe('error classes', () => {
    it('auth: a token PDS does not know fails with auth-failed, without retrying', async () => {
      const { error } = await upload(setup({ getToken: () => 'forged' }), fileOf(PART).file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.provider?.code).to.equal('AccessTokenInvalid');
      expect(waits).to.deep.equal([]);
    });

    it('hash mismatch: a wrong crc64_hash is refused at complete', async () => {
      const base = adapterWith();
      const corrupt: ProviderAdapter<AliyunPdsSession> = {
        ...base,
        complete: (ctx, session, receipts) =>
          base.complete({ ...ctx, digest: async (name, n) => (name === 'crc64_hash' ? '12345' : ctx.digest(name, n)) }, session, receipts),
      };
      const { error } = await upload(setup({}, {}, corrupt), fileOf(2 * PART).file);
      expect(error?.code).to.equal('hash-mismatch');
      expect(error?.provider?.code).to.equal('InvalidParameter.Crc64Hash');
      expect(emulator.stats.complete).to.equal(0);
    });

    it('limit: a name over 1024 bytes is refused as limit-exceeded', async () => {
      const { error } = await upload(setup(), fileOf(PART, `${'名'.repeat(400)}.bin`).file);
      expect(error?.code).to.equal('limit-exceeded');
      expect(error?.provider?.code).to.equal('InvalidParameterOutOfRange');
    });

    it('not found: a drive that does not exist', async () => {
      const { error } = await upload(setup({ driveId: '404' }), fileOf(PART).file);
      expect(error?.code).to.equal('not-found');
      expect(error?.provider?.code).to.equal('NotFound.Drive');
    });

    it('server: a 500 on a part and a 503 with Retry-After on create are retried', async () => {
      emulator.faults.failPart(2, { status: 500 });
      emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 503, retryAfter: '2' });
      const { file, bytes } = fileOf(3 * PART);
      const { result, error } = await upload(setup(), file);
      expect(error).to.equal(undefined);
      expect(waits).to.have.length(2);
      expect(waits).to.include(2000);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('server: a gateway that keeps timing out fails with server-error after the retries', async () => {
      emulator.faults.failRequest({ operation: 'CompleteFile' }, { status: 504, times: 5 });
      const { error } = await upload(setup({}, { retryPolicy: { retries: 2 } }), fileOf(PART).file);
      expect(error?.code).to.equal('server-error');
      expect(error?.provider?.code).to.equal('D504TO');
      expect(waits).to.have.length(2);
    });
  });

  it('fails with cors-blocked when the part ETag is not readable', async () => {
    // What the page sees when the data domain's CORS rule does not expose ETag.
    worker.use(
      http.put(`*${BASE}/oss/*`, async ({ request }) => {
        const response = await emulator.handle(request);
        const headers = new Headers(response.headers);
        headers.delete('ETag');
        return new Response(response.body, { status: response.status, headers });
      }),
    );
    try {
      const { error } = await upload(setup(), fileOf(2 * PART).file);
      expect(error?.code).to.equal('cors-blocked');
      expect(error?.message).to.contain('ETag');
      expect(emulator.stats.complete).to.equal(0);
    } finally {
      worker.resetHandlers();
    }
  });

  it('sends the part Content-Type PDS returns and reads a crc64_hash printed as a bare number', async () => {
    const { file, bytes } = fileOf(3 * PART + 1);
    const { result, error } = await upload(setup({}, {}, adapterWith({}, quirks)), file);
    expect(error).to.equal(undefined);
    expect(quirks.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(quirks.stats.crc64Checked).to.equal(1);
    expect(result!['crc64Hash']).to.match(/^\d{15,20}$/);
  });
});

describeAdapterContract('aliyun-pds', ADAPTER_HARNESSES['aliyun-pds']!);
