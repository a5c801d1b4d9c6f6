import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { http } from 'msw';
import { createStore, entries } from 'idb-keyval';
import { KooDriveEmulator } from '../../src/emulators/huawei-koodrive-emulator.js';
import { emulatorHandlers } from '../../src/emulators/msw.js';
import { createKooDriveHandler } from '../../src/server/huawei-koodrive-handler.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createKooDriveAdapter } from '../../src/providers/huawei-koodrive.js';
import type { KooDriveAdapterOptions, KooDriveSession } from '../../src/providers/huawei-koodrive.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import type { UploadState } from '../../src/core/types.js';
import { fileWithBytes, makeBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome as upload, leavePageAfter } from '../helpers/manager-events.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const BASE = '/emulator/huawei-koodrive';
const SMALL_BASE = '/emulator/huawei-koodrive-small';
const API = '/api/huawei-koodrive';
const BAD_API = '/api/huawei-koodrive-bad';
const BOUND_API = '/api/huawei-koodrive-bound';
const TOKEN_API = '/api/huawei-koodrive-token';
const APP = { appId: 'a378contract', appSecret: 'contract-app-secret' };
const USER = '1505084218764547200';

const emulator = new KooDriveEmulator({ basePath: BASE, apps: { [APP.appId]: APP.appSecret }, recycledFolders: ['trash'] });
// A nearly full drive, for the quota error.
const small = new KooDriveEmulator({ basePath: SMALL_BASE, apps: {}, quotaBytes: MiB });
/** What the handlers reported to onError: KooDrive's refusals in full, which the page gets as codes only. */
const handlerLog: unknown[] = [];
const onError = (error: unknown) => void handlerLog.push(error);
const handler = createKooDriveHandler({ ...APP, userId: USER, apiEndpoint: `${location.origin}${BASE}`, basePath: API, onError });
// The shipped handler on the reference's path: the user's token, sent as `Bearer+{access_token}`.
const tokensForwarded: string[] = [];
const tokenHandler = createKooDriveHandler({
  accessToken: () => {
    const token = emulator.issueToken(USER);
    tokensForwarded.push(token);
    return token;
  },
  apiEndpoint: `${location.origin}${BASE}`,
  basePath: TOKEN_API,
  onError,
});
// The same shipped handler holding the wrong AppSecret: the emulator must refuse what it signs.
const badHandler = createKooDriveHandler({
  ...APP,
  appSecret: 'not-the-app-secret',
  userId: USER,
  apiEndpoint: `${location.origin}${BASE}`,
  basePath: BAD_API,
  onError,
});
// The handler as deployed with users: every file id the page holds is bound to the principal "alice".
const boundHandler = createKooDriveHandler({
  ...APP,
  userId: USER,
  apiEndpoint: `${location.origin}${BASE}`,
  basePath: BOUND_API,
  authorize: () => 'alice',
  secret: 'koodrive-contract-binding-secret-0123456789',
  onError,
});
const worker = setupWorker(
  ...emulatorHandlers(emulator),
  ...emulatorHandlers(small),
  http.all(`*${API}/*`, ({ request }) => handler(request)),
  http.all(`*${BAD_API}/*`, ({ request }) => badHandler(request)),
  http.all(`*${BOUND_API}/*`, ({ request }) => boundHandler(request)),
  http.all(`*${TOKEN_API}/*`, ({ request }) => tokenHandler(request)),
);

function fileOf(size: number, name = 'contract.bin', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed);
}

/**
 * The adapter, and the part numbers it is asked to upload: what a resumed uploader sends, whatever requests of the
 * paused one the server is still finishing.
 */
function observed(adapter: ProviderAdapter<KooDriveSession>): { adapter: ProviderAdapter<KooDriveSession>; sent: number[] } {
  const sent: number[] = [];
  return {
    sent,
    adapter: {
      ...adapter,
      uploadPart: (ctx, session, part) => {
        sent.push(part.partNumber);
        return adapter.uploadPart(ctx, session, part);
      },
    },
  };
}

describe('Huawei KooDrive adapter against the strict emulator (in the page)', () => {
  let dbName: string;
  let waits: number[];
  let tokensAsked: number;
  const managers: UploadManager[] = [];

  function viaHandler(options: KooDriveAdapterOptions = {}): ProviderAdapter<KooDriveSession> {
    return createKooDriveAdapter({ endpoint: `${location.origin}${API}`, ...options });
  }

  function withToken(options: KooDriveAdapterOptions = {}, on = emulator): ProviderAdapter<KooDriveSession> {
    return createKooDriveAdapter({
      endpoint: `${location.origin}${on.basePath}`,
      getToken: () => {
        tokensAsked += 1;
        return on.issueToken(USER);
      },
      ...options,
    });
  }

  function setup(adapter: ProviderAdapter = viaHandler(), options: Partial<UploadManagerOptions> = {}) {
    const manager = new UploadManager({
      adapter,
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: 5 * MiB,
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  function states(manager: UploadManager): UploadState[] {
    const seen: UploadState[] = [];
    manager.addEventListener('task-state', (event) => seen.push(event.detail.state));
    return seen;
  }

  /** The part numbers the checkpoint holds receipts for: what a resume must not send again. */
  async function savedParts(): Promise<number[]> {
    const [[, record]] = (await entries(createStore(dbName, 'checkpoints'))) as [[unknown, { receipts: Array<{ partNumber: number }> }]];
    return record.receipts.map((receipt) => receipt.partNumber).sort((a, b) => a - b);
  }

  function missing(partCount: number, saved: number[]): number[] {
    return Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !saved.includes(n));
  }

  async function pauseAfter(manager: UploadManager, file: File, bytes: number): Promise<void> {
    await manager.addFiles([file]);
    manager.start();
    await leavePageAfter(manager, bytes);
  }

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-koodrive-${crypto.randomUUID()}`;
    waits = [];
    tokensAsked = 0;
    handlerLog.length = 0;
    emulator.reset();
    small.reset();
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });

  describe('modes', () => {
    it('serial, through the app-auth handler: parts in order to create\'s URLs, SHA-256 at create and complete', async () => {
      const manager = setup();
      const seen = states(manager);
      const { file, bytes } = fileOf(12 * MiB + 3);
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      expect(result).to.deep.equal({ fileId: result!.fileId, fileName: 'contract.bin' });
      expect(emulator.stats.partNumbersReceived).to.deep.equal([1, 2, 3]);
      expect([emulator.stats.uploadUrl, emulator.stats.completeWithSha256]).to.deep.equal([0, 1]);
      expect(seen).to.include('hashing');
    });

    it('serial with rapid upload off: no hashing before the first part, the SHA-256 still checked at complete', async () => {
      const manager = setup(viaHandler({ rapidUpload: false }));
      const seen = states(manager);
      const { file, bytes } = fileOf(11 * MiB, 'overlap.bin', 8);
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(seen).to.not.include('hashing');
      expect(emulator.stats.completeWithSha256).to.equal(1);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('parallel: offsets and hashCtx per part, several parts in flight, the chain verified at complete', async () => {
      // Part 1 held back: the later parts overtake it, which serial order would refuse.
      emulator.faults.delay(800, { operation: 'UploadPart', partNumber: 1 });
      const manager = setup(viaHandler({ mode: 'parallel' }), { concurrency: 4 });
      const { file, bytes } = fileOf(21 * MiB + 100, 'parallel.bin', 9);
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      expect([...emulator.stats.partNumbersReceived].sort()).to.deep.equal([1, 2, 3, 4, 5]);
      expect(emulator.stats.partNumbersReceived[0]).to.not.equal(1);
    });

    // Before, this test waited for task-complete alone: a failed upload left it waiting out its timeout, which read as a
    // hang (issue 14). A failure now ends it with the error.
    it('parallel without rapid upload: creates before the file is hashed, not after', async () => {
      const base = viaHandler({ mode: 'parallel', rapidUpload: false });
      let hashedAtCreate: number | undefined;
      let manager: UploadManager | undefined;
      const timed: ProviderAdapter<KooDriveSession> = {
        ...base,
        create: async (ctx) => {
          const created = await base.create(ctx);
          hashedAtCreate = manager?.tasks[0]?.progress.bytesHashed;
          return created;
        },
      };
      manager = setup(timed, { concurrency: 4 });
      const size = 96 * MiB;
      const { file, bytes } = fileOf(size, 'early.bin', 22);
      const seen = states(manager);
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(seen).to.not.include('hashing');
      // Before, create waited for the context of the last part, 88 MiB in.
      expect(hashedAtCreate).to.be.below(size / 2);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    // Seed 004: "Token authentication is used to call KooDrive APIs … The format is Bearer+{access_token}"; the
    // emulator takes only that spelling, so a handler or page sending "Bearer <token>" fails here.
    it('the handler\'s documented path: the user\'s token as Bearer+{access_token}, no app signature', async () => {
      tokensForwarded.length = 0;
      const { file, bytes } = fileOf(6 * MiB, 'token.bin', 12);
      const { result, error } = await upload(setup(createKooDriveAdapter({ endpoint: `${location.origin}${TOKEN_API}` })), file);
      expect(error).to.equal(undefined);
      expect(tokensForwarded).to.have.length(2);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
      const spaced = await upload(setup(withToken({ bearerSeparator: ' ' })), fileOf(MiB, 'spaced.bin', 13).file);
      expect(spaced.error?.provider?.code, 'Bearer <token> is not the documented spelling').to.equal('APIGW.0301');
    });

    it('Bearer: calls KooDrive directly with the page\'s token, and fetches a new one when the gateway says it expired', async () => {
      const fault = emulator.faults.expireUrls({ operation: 'Complete' });
      const { file, bytes } = fileOf(6 * MiB, 'bearer.bin', 10);
      const { result, error } = await upload(setup(withToken()), file);
      expect(error).to.equal(undefined);
      expect(fault.fired).to.equal(1);
      expect(tokensAsked).to.equal(2);
      expect(waits).to.deep.equal([]);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('with a principal: the page holds only bound file ids, serial and parallel, parts and renewed URLs included', async () => {
      for (const mode of ['serial', 'parallel'] as const) {
        // One URL per uploadUrl call: every part after the first needs a call with the bound id.
        const adapter = createKooDriveAdapter({ endpoint: `${location.origin}${BOUND_API}`, mode, urlBatchSize: 1 });
        const fault = emulator.faults.expireUrls({ operation: 'UploadPart', partNumber: 2 });
        // Other bytes per mode, or the second would be a rapid upload.
        const { file, bytes } = fileOf(11 * MiB, `bound-${mode}.bin`, mode === 'serial' ? 12 : 13);
        const { result, error } = await upload(setup(adapter), file);
        expect(error).to.equal(undefined);
        expect(fault.fired).to.equal(1);
        const bound = result!.fileId as string;
        const [fileId, mac] = [bound.slice(0, bound.lastIndexOf('.')), bound.slice(bound.lastIndexOf('.') + 1)];
        expect(mac).to.match(/^[A-Za-z0-9_-]{22}$/);
        expect(emulator.storedBytes(fileId)).to.deep.equal(bytes);
      }
    });

    it('an empty file is one empty part', async () => {
      const { result, error } = await upload(setup(), new File([], 'empty.txt'));
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(new Uint8Array(0));
    });
  });

  describe('rapid upload and names', () => {
    it('sends no part for bytes KooDrive already holds (rapid upload), in either mode', async () => {
      const { file, bytes } = fileOf(7 * MiB, 'first.bin', 11);
      const first = await upload(setup(), file);
      expect(first.error).to.equal(undefined);
      const partsBefore = emulator.stats.uploadPart;

      const again = new File([bytes], 'again.bin', { lastModified: 5 });
      const second = await upload(setup(viaHandler({ mode: 'parallel' })), again);
      expect(second.result).to.deep.include({ rapid: true, fileName: 'again.bin' });
      expect(emulator.stats.uploadPart).to.equal(partsBefore);
      expect(emulator.storedBytes(second.result!.fileId as string)).to.deep.equal(bytes);
    });

    it('renames on a name conflict (2), refuses it (3), and reports the identical file as existing (4)', async () => {
      const { file, bytes } = fileOf(6 * MiB, 'report.bin', 12);
      await upload(setup(), file);

      const other = new File([makeBytes(6 * MiB, 13)], 'report.bin', { lastModified: 6 });
      const renamed = await upload(setup(), other);
      expect(renamed.result?.fileName).to.match(/^report_\d{8}_\d{6}\.bin$/);

      const refused = await upload(setup(viaHandler({ autoRename: 3 })), new File([makeBytes(6 * MiB, 14)], 'report.bin'));
      expect([refused.error?.code, refused.error?.provider?.code, refused.error?.retryable]).to.deep.equal(['provider-rejected', '13000405', false]);

      const before = emulator.listFiles().length;
      const same = await upload(setup(viaHandler({ autoRename: 4 })), new File([bytes], 'report.bin', { lastModified: 7 }));
      expect(same.result).to.deep.include({ exist: true, rapid: true });
      expect(emulator.listFiles()).to.have.length(before);
    });
  });

  describe('resume', () => {
    it('resumes serial after a reload from the checkpoint, sending only the missing parts to renewed URLs', async () => {
      const { file, bytes } = fileOf(20 * MiB + 5, 'resume.bin', 15);
      await pauseAfter(setup(), file, 10 * MiB);

      const records = await entries(createStore(dbName, 'checkpoints'));
      expect(records).to.have.length(1);
      const record = records[0]![1] as { session: KooDriveSession; receipts: unknown[] };
      expect(JSON.stringify(record)).to.not.match(/X-Amz-|Signature|\?|token/i);
      expect(JSON.stringify([record.session, record.receipts])).to.not.match(/https?:/);
      expect(record.session.fileId).to.be.a('string');
      const saved = await savedParts();
      expect(saved.length).to.be.at.least(2);

      const resumed = observed(viaHandler());
      const second = setup(resumed.adapter);
      const [task] = await second.addFiles([file]);
      const done = once(second, 'task-complete');
      second.start();
      const { result } = await done;
      expect(task!.resumed).to.equal(true);
      // A part in flight at the pause may have reached KooDrive without its receipt reaching the checkpoint; with no
      // listing to ask, it is sent again, and nothing the checkpoint holds is.
      expect(resumed.sent).to.deep.equal(missing(5, saved));
      expect(emulator.stats.uploadUrl).to.be.at.least(1);
      expect(emulator.storedBytes(result.fileId as string)).to.deep.equal(bytes);
    });

    it('resumes parallel after a reload, the missing parts\' contexts hashed again from the saved state', async () => {
      emulator.faults.delay(200, { operation: 'UploadPart', times: 10 });
      const { file, bytes } = fileOf(25 * MiB, 'resume-parallel.bin', 16);
      await pauseAfter(setup(viaHandler({ mode: 'parallel' }), { concurrency: 2 }), file, 10 * MiB);
      const [[, record]] = (await entries(createStore(dbName, 'checkpoints'))) as [[unknown, { session: KooDriveSession }]];
      expect(record.session.hashCtx).to.equal(undefined);
      const saved = await savedParts();

      const resumed = observed(viaHandler({ mode: 'parallel' }));
      const second = setup(resumed.adapter, { concurrency: 2 });
      const [task] = await second.addFiles([file]);
      const done = once(second, 'task-complete');
      second.start();
      const { result } = await done;
      expect(task!.resumed).to.equal(true);
      expect([...resumed.sent].sort((a, b) => a - b)).to.deep.equal(missing(5, saved));
      expect(emulator.storedBytes(result.fileId as string)).to.deep.equal(bytes);
    });
  });

  describe('one test per error class', () => {
    it('auth: a handler signing with the wrong AppSecret is refused (APIGW.0303) and not retried', async () => {
      const { error } = await upload(setup(createKooDriveAdapter({ endpoint: `${location.origin}${BAD_API}` })), fileOf(6 * MiB).file);
      expect([error?.code, error?.provider?.code, error?.retryable, error?.status]).to.deep.equal(['auth-failed', 'APIGW.0303', false, 401]);
      expect(waits).to.deep.equal([]);
      expect(emulator.stats.create).to.equal(0);
    });

    it('expired: an app signature outside its 15-minute window is signed again at once', async () => {
      const fault = emulator.faults.expireUrls({ operation: 'CreateFile' });
      const { error } = await upload(setup(), fileOf(6 * MiB, 'window.bin', 18).file);
      expect(error).to.equal(undefined);
      expect([fault.fired, emulator.stats.create]).to.deep.equal([1, 1]);
      expect(waits).to.deep.equal([]);
    });

    it('hash mismatch: a wrong sha256 is refused by complete (13000402)', async () => {
      const base = viaHandler({ rapidUpload: false });
      const lying: ProviderAdapter<KooDriveSession> = {
        ...base,
        complete: (ctx, session, receipts) =>
          base.complete({ ...ctx, digest: async (name, n) => (name === 'sha256' ? 'f'.repeat(64) : ctx.digest(name, n)) }, session, receipts),
      };
      const { error } = await upload(setup(lying), fileOf(11 * MiB, 'lie.bin', 19).file);
      expect([error?.code, error?.provider?.code, error?.retryable]).to.deep.equal(['hash-mismatch', '13000402', false]);
      expect(emulator.listFiles()).to.deep.equal([]);
    });

    it('hash mismatch: a parallel part context that does not chain is refused by complete (13000402)', async () => {
      const base = viaHandler({ mode: 'parallel', rapidUpload: false });
      const lying: ProviderAdapter<KooDriveSession> = {
        ...base,
        uploadPart: (ctx, session, part) =>
          base.uploadPart(
            { ...ctx, digest: async (name, n) => (name === 'hashCtx' && n === 2 ? [1, 2, 3, 4, 5, 6, 7, 8] : ctx.digest(name, n)) },
            session,
            part,
          ),
      };
      const { error } = await upload(setup(lying), fileOf(11 * MiB, 'chain.bin', 20).file);
      expect([error?.code, error?.provider?.code]).to.deep.equal(['hash-mismatch', '13000402']);
      // KooDrive's own words stay on the server.
      expect(error?.provider?.message).to.not.contain('hashCtx');
      expect(handlerLog.map(String).join('\n')).to.contain('hashCtx');
    });

    it('limit: a drive without room refuses create (13000311)', async () => {
      const { error } = await upload(setup(withToken({}, small)), fileOf(2 * MiB, 'big.bin').file);
      expect([error?.code, error?.provider?.code, error?.retryable]).to.deep.equal(['limit-exceeded', '13000311', false]);
    });

    it('not found: a checkpointed upload KooDrive forgot (13000401) starts over with a warning', async () => {
      const { file, bytes } = fileOf(12 * MiB, 'forgotten.bin', 21);
      await pauseAfter(setup(), file, 5 * MiB);
      emulator.reset();

      const second = setup();
      const warning = once(second, 'warning');
      const { result, error } = await upload(second, file);
      expect([(await warning).error.code, (await warning).error.provider?.code]).to.deep.equal(['not-found', '13000401']);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('not found: a parent folder in the recycle bin (13000404) is refused with a readable message', async () => {
      const { error } = await upload(setup(viaHandler({ parentFolder: 'trash' })), fileOf(1000).file);
      expect([error?.code, error?.provider?.code]).to.deep.equal(['provider-rejected', '13000404']);
      expect(error?.message).to.match(/recycle bin/);
    });

    it('server: a 503 with Retry-After is waited out; a part failing every time ends as server-error', async () => {
      const fault = emulator.faults.failRequest({ operation: 'Complete' }, { status: 503, retryAfter: '2' });
      const first = await upload(setup(), fileOf(6 * MiB, 'busy.bin', 22).file);
      expect(first.error).to.equal(undefined);
      expect(fault.fired).to.equal(1);
      expect(waits).to.deep.equal([2000]);

      emulator.faults.failPart(1, { status: 500, times: Infinity });
      const second = await upload(setup(undefined, { retryPolicy: { retries: 2 } }), fileOf(6 * MiB, 'down.bin', 23).file);
      expect([second.error?.code, second.error?.provider?.code, second.error?.retryable]).to.deep.equal(['server-error', 'InternalError', true]);
    });
  });
});

describeAdapterContract('huawei-koodrive', ADAPTER_HARNESSES['huawei-koodrive']!);
