import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { http } from 'msw';
import { createStore, entries } from 'idb-keyval';
import { TusEmulator } from '../../src/emulators/tus-emulator.js';
import type { TusEmulatorOptions } from '../../src/emulators/tus-emulator.js';
import { emulatorHandlers } from '../../src/emulators/msw.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createTusAdapter } from '../../src/providers/tus.js';
import type { TusAdapterOptions, TusSession } from '../../src/providers/tus.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import { fileWithBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome as upload } from '../helpers/manager-events.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const KiB = 1024;

function emulatorAt(basePath: string, options: Omit<TusEmulatorOptions, 'basePath'> = {}): TusEmulator {
  return new TusEmulator({ basePath, ...options });
}

/** Every extension: parallel partial uploads and checksums. */
const full = emulatorAt('/emulator/tus');
/** No concatenation: one upload, chunk by chunk, with checksums. */
const plain = emulatorAt('/emulator/tus-plain', { extensions: ['creation', 'termination', 'checksum'] });
/** Core and creation only, as @tus/server with @tus/file-store. */
const bare = emulatorAt('/emulator/tus-bare', { extensions: ['creation', 'termination'] });
const guarded = emulatorAt('/emulator/tus-auth', { requireToken: true, extensions: ['creation', 'termination', 'checksum'] });
const small = emulatorAt('/emulator/tus-small', { maxSize: 1 * MiB });
const emulators = [full, plain, bare, guarded, small];
const worker = setupWorker(...emulators.flatMap(emulatorHandlers));

function fileOf(size: number, name = 'contract.bin', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed);
}

function endpointOf(emulator: TusEmulator): string {
  return `${location.origin}${emulator.basePath}`;
}

describe('tus adapter against the strict emulator (in the page)', () => {
  let dbName: string;
  let waits: number[];
  let retried: UploadError[];
  const managers: UploadManager[] = [];

  function setup(
    emulator: TusEmulator,
    adapterOptions: TusAdapterOptions = {},
    options: Partial<UploadManagerOptions> = {},
    adapter?: ProviderAdapter,
  ): UploadManager {
    const manager = new UploadManager({
      adapter: adapter ?? createTusAdapter({ endpoint: endpointOf(emulator), ...adapterOptions }),
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: 1 * MiB,
      retryHooks: {
        wait: async (ms) => void waits.push(ms),
        onRetry: (error) => void retried.push(error),
        random: () => 0,
      },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Starts a file, pauses it once `reached` holds, and disposes the manager, as a reload would. Requests the pause
   * broke off may still land in the emulator, so it waits a moment for them before the test looks.
   */
  async function uploadUntil(manager: UploadManager, file: File, reached: () => boolean | Promise<boolean>): Promise<void> {
    await manager.addFiles([file]);
    manager.start();
    while (!(await reached())) await sleep(20);
    const paused = once(manager, 'task-state', (d) => d.state === 'paused');
    manager.pause();
    await paused;
    manager.dispose();
    await sleep(200);
  }

  async function storedRecords(): Promise<string[]> {
    return (await entries(createStore(dbName, 'checkpoints'))).map(([, record]) => JSON.stringify(record));
  }

  /** True once the checkpoint holds at least one part receipt. */
  const hasReceipt = async () => (await storedRecords()).some((record) => record.includes('"partNumber"'));

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-tus-${crypto.randomUUID()}`;
    waits = [];
    retried = [];
    for (const emulator of emulators) emulator.reset();
  });
  afterEach(async () => {
    worker.resetHandlers();
    await releaseManagers(managers, dbName);
  });

  it('creates one upload with length and metadata, and PATCHes each part at its offset with a SHA-1 checksum', async () => {
    const { file, bytes } = fileOf(3 * MiB + 5);
    const { result, error } = await upload(setup(plain), file);
    expect(error).to.equal(undefined);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(plain.stats.create).to.equal(1);
    expect(plain.stats.head).to.equal(0);
    expect(plain.stats.maxConcurrentPatches).to.equal(1);
    expect(plain.stats.patches.map(({ offset, length, checksum }) => [offset, length, checksum])).to.deep.equal([
      [0, MiB, 'sha1'],
      [MiB, MiB, 'sha1'],
      [2 * MiB, MiB, 'sha1'],
      [3 * MiB, 5, 'sha1'],
    ]);
    const [stored] = plain.pending();
    expect(stored.metadata).to.deep.equal({ filename: 'contract.bin', filetype: 'application/octet-stream' });
    expect(result!.location).to.equal(`${endpointOf(plain)}/${result!.fileId as string}`);
  });

  it('uploads parts in parallel as partial uploads and concatenates them in order when the server offers it', async () => {
    full.faults.delay(400, { operation: 'Patch', times: 6 });
    const { file, bytes } = fileOf(5 * MiB + 1, 'parallel.bin');
    const { result, error } = await upload(setup(full, {}, { concurrency: 3 }), file);
    expect(error).to.equal(undefined);
    expect(full.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(full.stats).to.include({ create: 0, partialCreate: 6, concatenate: 1 });
    expect(full.stats.maxConcurrentPatches).to.be.greaterThan(1);
    expect(full.stats.patches.every((patch) => patch.offset === 0 && patch.checksum === 'sha1')).to.equal(true);
    const final = full.pending().find((stored) => stored.concat === 'final')!;
    expect(final.parts).to.have.length(6);
    expect(final.metadata.filename).to.equal('parallel.bin');
  });

  it('keeps to core and creation on a server without checksum or concatenation, and hashes nothing at all', async () => {
    const adapter = createTusAdapter({ endpoint: endpointOf(bare) });
    const { file, bytes } = fileOf(2 * MiB + 9);
    const manager = setup(bare, {}, {}, adapter);
    const hashed: number[] = [];
    manager.addEventListener('task-progress', (event) => void hashed.push(event.detail.progress.bytesHashed ?? 0));
    const { result, error } = await upload(manager, file);
    expect(error).to.equal(undefined);
    expect(hashed.length).to.be.greaterThan(0);
    expect(Math.max(...hashed)).to.equal(0);
    expect(bare.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(bare.stats.patches.map((patch) => patch.checksum)).to.deep.equal([undefined, undefined, undefined]);
    expect(adapter.digests({ name: 'next.bin', size: 10, type: '', lastModified: 0 })).to.deep.equal([]);
  });

  it('falls back to one plain upload without checksums when the server refuses OPTIONS', async () => {
    full.faults.failRequest({ operation: 'Options' }, { status: 405 });
    const { file, bytes } = fileOf(2 * MiB + 9);
    const { result, error } = await upload(setup(full), file);
    expect(error).to.equal(undefined);
    expect(full.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(full.stats).to.include({ create: 1, partialCreate: 0 });
    expect(full.stats.patches.every((patch) => patch.checksum === undefined)).to.equal(true);
  });

  it('uploads a 0-byte file with one creation and no PATCH', async () => {
    const { result, error } = await upload(setup(plain), new File([], 'empty.txt'));
    expect(error).to.equal(undefined);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(new Uint8Array(0));
    expect(plain.stats.patch).to.equal(0);
  });

  it('answers a 409 offset conflict by asking the server (HEAD) and sending only what it lacks', async () => {
    const { file, bytes } = fileOf(3 * MiB, 'conflict.bin');
    let patches = 0;
    worker.use(
      http.patch(`*${plain.basePath}/*`, async ({ request }) => {
        patches += 1;
        if (patches === 2) {
          // Another writer appends 256 KiB of this part first, so the adapter's offset is stale.
          const sneaked = await plain.handle(
            new Request(request.url, {
              method: 'PATCH',
              headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(MiB), 'Content-Type': 'application/offset+octet-stream' },
              body: bytes.slice(MiB, MiB + 256 * KiB),
            }),
          );
          expect(sneaked.status).to.equal(204);
        }
        return plain.handle(request);
      }),
    );
    const { result, error } = await upload(setup(plain), file);
    expect(error).to.equal(undefined);
    expect(retried.map((e) => [e.code, e.status])).to.deep.equal([['provider-rejected', 409]]);
    expect(plain.stats.head).to.equal(1);
    expect(plain.stats.patches.map(({ offset, length, checksum }) => [offset, length, checksum])).to.deep.equal([
      [0, MiB, 'sha1'],
      [MiB, 256 * KiB, undefined],
      [MiB + 256 * KiB, 768 * KiB, undefined],
      [2 * MiB, MiB, 'sha1'],
    ]);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('continues a part from the server\'s offset after the connection broke mid-body', async () => {
    const fault = bare.faults.dropConnection({ operation: 'Patch', partNumber: 2 }, { afterBytes: 300 * KiB });
    const { file, bytes } = fileOf(3 * MiB + 1, 'dropped.bin');
    const { result, error } = await upload(setup(bare), file);
    expect(error).to.equal(undefined);
    expect(fault.fired).to.equal(1);
    expect(retried.map((e) => e.code)).to.deep.equal(['network']);
    expect(bare.stats.head).to.equal(1);
    expect(bare.stats.patches.map(({ offset, length }) => [offset, length])).to.deep.equal([
      [0, MiB],
      [MiB, 300 * KiB],
      [MiB + 300 * KiB, MiB - 300 * KiB],
      [2 * MiB, MiB],
      [3 * MiB, 1],
    ]);
    expect(bare.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('sends a whole chunk again, with its checksum, when a checksummed PATCH broke (the server keeps none of it)', async () => {
    plain.faults.dropConnection({ operation: 'Patch', partNumber: 2 }, { afterBytes: 300 * KiB });
    const { file, bytes } = fileOf(2 * MiB, 'dropped-checked.bin');
    const { result, error } = await upload(setup(plain), file);
    expect(error).to.equal(undefined);
    expect(plain.stats.patches.map(({ offset, length, checksum }) => [offset, length, checksum])).to.deep.equal([
      [0, MiB, 'sha1'],
      [MiB, MiB, 'sha1'],
    ]);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('retries a chunk the server refused with 460 Checksum Mismatch, and fails with hash-mismatch if it persists', async () => {
    const base = createTusAdapter({ endpoint: endpointOf(plain) });
    let corruptions = 1;
    const flaky: ProviderAdapter<TusSession> = {
      ...base,
      uploadPart: (ctx, session, part) =>
        base.uploadPart(
          {
            ...ctx,
            digest: async (name, n) => (part.partNumber === 2 && corruptions-- > 0 ? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' : ctx.digest(name, n)),
          },
          session,
          part,
        ),
    };
    const { file, bytes } = fileOf(3 * MiB);
    const { result, error } = await upload(setup(plain, {}, {}, flaky), file);
    expect(error).to.equal(undefined);
    expect(retried.map((e) => [e.code, e.status])).to.deep.equal([['hash-mismatch', 460]]);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);

    corruptions = Infinity;
    const again = await upload(setup(plain, {}, { retryPolicy: { retries: 2 } }, flaky), fileOf(3 * MiB, 'other.bin', 8).file);
    expect(again.error?.code).to.equal('hash-mismatch');
    expect(again.error?.status).to.equal(460);
  });

  it('terminates every partial upload on cancel in concatenation mode, having made no more than the lanes in flight', async () => {
    const delay = full.faults.delay(300, { operation: 'Patch', times: 10 });
    const manager = setup(full, {}, { concurrency: 2 });
    const [task] = await manager.addFiles([fileOf(4 * MiB).file]);
    manager.start();
    while (delay.fired === 0) await sleep(20);
    await manager.cancel(task.id);
    expect(full.stats.partialCreate).to.be.within(1, 2);
    expect(full.stats.terminate).to.equal(full.stats.partialCreate);
    expect(full.pending()).to.deep.equal([]);
  });

  it('makes each partial upload when a lane frees up to send its part, not all at once, and joins them byte for byte', async () => {
    const { file, bytes } = fileOf(6 * MiB + 5, 'lanes.bin');
    full.faults.delay(50, { operation: 'Patch', times: 20 });
    const log: string[] = [];
    let made = 0;
    let patched = 0;
    let mostAhead = 0;
    worker.use(
      http.all(`*${full.basePath}*`, async ({ request }) => {
        const partial = request.method === 'POST' && request.headers.get('Upload-Concat') === 'partial';
        if (partial) {
          made++;
          // Partial uploads made but not yet filled: at most one per lane.
          mostAhead = Math.max(mostAhead, made - patched);
        }
        if (partial || request.method === 'PATCH') log.push(request.method);
        const response = await full.handle(request);
        if (request.method === 'PATCH' && response.ok) patched++;
        return response;
      }),
    );
    const manager = setup(full, {}, { concurrency: 2 });
    const { result, error } = await upload(manager, file);
    expect(error).to.equal(undefined);
    expect(made).to.equal(7);
    expect(mostAhead).to.be.at.most(2);
    expect(log.lastIndexOf('POST')).to.be.greaterThan(log.indexOf('PATCH'));
    expect(full.stats.concatenate).to.equal(1);
    expect(full.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('resumes after a reload from the upload URL in IndexedDB and the server\'s offset (HEAD), sending no byte twice', async () => {
    const { file, bytes } = fileOf(4 * MiB + 3, 'resume.bin');
    await uploadUntil(setup(plain, {}, { concurrency: 1 }), file, () => (plain.pending()[0]?.offset ?? 0) >= 2 * MiB);
    const [record] = await storedRecords();
    expect(record).to.contain(`"url":"${endpointOf(plain)}/`);
    expect(record).to.not.match(/\?|token|authorization/i);
    const patchesBefore = plain.stats.patches.length;
    let offsetOnHead: number | undefined;
    worker.use(
      http.head(`*${plain.basePath}/*`, async ({ request }) => {
        const response = await plain.handle(request);
        offsetOnHead = Number(response.headers.get('Upload-Offset'));
        return response;
      }),
    );

    const second = setup(plain, {}, { concurrency: 1 });
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task.resumed).to.equal(true);
    expect(plain.stats.create).to.equal(1);
    expect(plain.stats.head).to.equal(1);
    expect(offsetOnHead).to.be.at.least(2 * MiB);
    expect(plain.stats.patches.slice(patchesBefore)[0].offset).to.equal(offsetOnHead);
    expect(plain.stats.bytesReceived).to.equal(file.size);
    expect(plain.storedBytes(result.fileId as string)).to.deep.equal(bytes);
  });

  it('continues a partial upload made before the reload from its offset, and makes no second one for that part', async () => {
    const { file, bytes } = fileOf(4 * MiB, 'half-made.bin', 11);
    full.faults.delay(1500, { operation: 'Patch', times: 4 });
    await uploadUntil(setup(full, {}, { concurrency: 2 }), file, async () => full.stats.partialCreate >= 2 && (await storedRecords()).join().includes('"partials"'));
    expect(await hasReceipt()).to.equal(false);
    const [record] = await storedRecords();
    const partials = (JSON.parse(record) as { session: TusSession & { partials?: Record<string, string> } }).session.partials ?? {};
    const madeBefore = Object.keys(partials).length;
    expect(madeBefore).to.be.within(1, 2);

    const { result, error } = await upload(setup(full, {}, { concurrency: 2 }), file);
    expect(error).to.equal(undefined);
    expect(full.stats.partialCreate).to.equal(4);
    expect(full.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(full.pending().filter((stored) => stored.concat === 'partial').length).to.equal(4);
  });

  it('terminates a partial upload made before the reload when the resumed upload is canceled', async () => {
    const { file } = fileOf(4 * MiB, 'left-behind.bin', 12);
    full.faults.delay(1500, { operation: 'Patch', times: 4 });
    await uploadUntil(setup(full, {}, { concurrency: 2 }), file, async () => full.stats.partialCreate >= 1 && (await storedRecords()).join().includes('"partials"'));
    expect(full.pending().length).to.be.greaterThan(0);

    const second = setup(full, {}, { concurrency: 2 });
    const [task] = await second.addFiles([file]);
    await second.cancel(task.id);
    expect(full.pending()).to.deep.equal([]);
  });

  it('resumes partial uploads after a reload, re-sending none that the server holds in full', async () => {
    const { file, bytes } = fileOf(6 * MiB, 'resume-parallel.bin');
    full.faults.delay(100, { operation: 'Patch', times: 20 });
    const finishedCount = () => full.pending().filter((u) => u.offset === u.length).length;
    await uploadUntil(setup(full, {}, { concurrency: 2 }), file, async () => finishedCount() >= 2 && (await hasReceipt()));
    const finished = new Set(full.pending().filter((u) => u.offset === u.length).map((u) => u.id));
    expect(finished.size).to.be.within(2, 4);
    const patchesBefore = full.stats.patches.length;
    const madeBefore = full.stats.partialCreate;
    const [record] = await storedRecords();
    const checkpoint = JSON.parse(record) as { receipts: Array<{ url?: string }>; session: { partials?: Record<string, string> } };
    const saved = checkpoint.receipts;
    const begun = Object.keys(checkpoint.session.partials ?? {}).length;
    expect(saved.length).to.be.at.least(1);
    expect(saved.every((receipt) => receipt.url?.startsWith(`${endpointOf(full)}/`))).to.equal(true);

    const second = setup(full, {}, { concurrency: 2 });
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task.resumed).to.equal(true);
    // Only the parts not begun before the reload get a partial upload; those in flight continue where they were.
    expect(full.stats.partialCreate - madeBefore).to.equal(6 - begun);
    expect(full.stats.head).to.be.at.least(saved.length);
    expect(full.stats.patches.slice(patchesBefore).filter((patch) => finished.has(patch.id))).to.deep.equal([]);
    expect(full.storedBytes(result.fileId as string)).to.deep.equal(bytes);
  });

  it('keeps the upload URL out of IndexedDB with noPersistUploadUrl, and starts over after a reload', async () => {
    const { file, bytes } = fileOf(3 * MiB, 'private.bin');
    await uploadUntil(setup(plain, { noPersistUploadUrl: true }, { concurrency: 1 }), file, hasReceipt);
    const [record] = await storedRecords();
    expect(record).to.not.contain(`${plain.basePath}/`);

    const second = setup(plain, { noPersistUploadUrl: true });
    const warning = once(second, 'warning');
    const { result, error } = await upload(second, file);
    expect(error).to.equal(undefined);
    expect((await warning).error.code).to.equal('not-found');
    expect(plain.stats.create).to.equal(2);
    expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('keeps a Location with a query string in memory only, never in IndexedDB', async () => {
    worker.use(
      http.post(`*${plain.basePath}`, async ({ request }) => {
        const response = await plain.handle(request);
        const headers = new Headers(response.headers);
        headers.set('Location', `${headers.get('Location')}?sig=abc`);
        return new Response(null, { status: response.status, headers });
      }),
    );
    const manager = setup(plain, {}, { concurrency: 1 });
    const { file, bytes } = fileOf(2 * MiB + 1);
    await manager.addFiles([file]);
    const done = once(manager, 'task-complete');
    const saved = once(manager, 'task-progress', (d) => d.progress.bytesSent >= MiB).then(storedRecords);
    manager.start();
    const { result } = await done;
    expect((await saved).join()).to.not.contain('sig=');
    expect(result.location).to.not.contain('sig=');
    expect(plain.storedBytes(result.fileId as string)).to.deep.equal(bytes);
  });

  describe('error classes', () => {
    it('auth: a token the server never accepted fails with auth-failed, without retrying', async () => {
      const { error } = await upload(setup(guarded, { getToken: () => 'not-a-token' }), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.status).to.equal(401);
      expect(waits).to.deep.equal([]);
    });

    it('expired: an expired token is fetched again and the request resent at once, without counting a failure', async () => {
      let fetched = 0;
      const fault = guarded.faults.expireUrls({ operation: 'Patch', times: 2 });
      const { file, bytes } = fileOf(3 * MiB);
      const getToken = () => {
        fetched += 1;
        return guarded.issueToken();
      };
      const { result, error } = await upload(setup(guarded, { getToken }), file);
      expect(error).to.equal(undefined);
      expect(fault.fired).to.equal(2);
      expect(fetched).to.equal(3);
      expect(retried.map((e) => e.code)).to.deep.equal(['url-expired', 'url-expired']);
      expect(waits).to.deep.equal([]);
      expect(guarded.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('limit: a file over Tus-Max-Size is refused before creation, and a 413 maps to limit-exceeded', async () => {
      const first = await upload(setup(small), fileOf(2 * MiB).file);
      expect(first.error?.code).to.equal('file-too-large');
      expect(small.stats.create).to.equal(0);

      small.faults.failRequest({ operation: 'Options' }, { status: 404 });
      const second = await upload(setup(small), fileOf(2 * MiB, 'other.bin', 9).file);
      expect(second.error?.code).to.equal('limit-exceeded');
      expect(second.error?.status).to.equal(413);
    });

    it('not found: an upload gone before its first part was confirmed is made anew, without failing', async () => {
      const { file, bytes } = fileOf(2 * MiB, 'early.bin', 5);
      plain.faults.delay(400, { operation: 'Patch' });
      await uploadUntil(setup(plain, {}, { concurrency: 1 }), file, () => plain.stats.create === 1);
      expect(await hasReceipt()).to.equal(false);
      plain.reset();
      const { result, error } = await upload(setup(plain), file);
      expect(error).to.equal(undefined);
      expect(plain.stats.create).to.equal(1);
      expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('not found: an upload that expired mid-way surfaces as not-found (410 Gone), never as a retried error', async () => {
      plain.faults.expireUrls({ operation: 'Patch', partNumber: 2 });
      const manager = setup(plain);
      const seen: UploadError[] = [];
      manager.addEventListener('warning', (event) => void seen.push(event.detail.error));
      const { error } = await upload(manager, fileOf(3 * MiB).file);
      if (error) seen.push(error);
      expect(seen.map((e) => [e.code, e.status])).to.deep.include(['not-found', 410]);
      expect(retried).to.deep.equal([]);
    });

    it('not found: an upload that expires twice mid-way starts over each time, with a warning each, and completes', async () => {
      plain.faults.expireUrls({ operation: 'Patch', partNumber: 2 });
      const manager = setup(plain, {}, { concurrency: 1 });
      const seen: UploadError[] = [];
      manager.addEventListener('warning', (event) => {
        seen.push(event.detail.error);
        if (seen.length === 1) plain.faults.expireUrls({ operation: 'Patch', partNumber: 3 });
      });
      const { file, bytes } = fileOf(3 * MiB + 1, 'twice.bin', 13);
      const { result, error } = await upload(manager, file);
      expect(error).to.equal(undefined);
      expect(seen.map((e) => e.code)).to.deep.equal(['not-found', 'not-found']);
      expect(plain.stats.create).to.equal(3);
      expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    });

    it('server: waits as long as a 503 Retry-After asks, and gives up with server-error on a lasting 500', async () => {
      plain.faults.failRequest({ operation: 'Patch', partNumber: 2 }, { status: 503, retryAfter: '2' });
      const { file, bytes } = fileOf(3 * MiB);
      const { result, error } = await upload(setup(plain), file);
      expect(error).to.equal(undefined);
      expect(waits).to.deep.equal([2000]);
      expect(plain.storedBytes(result!.fileId as string)).to.deep.equal(bytes);

      plain.faults.failRequest({ operation: 'Patch' }, { status: 500, times: Infinity });
      const lasting = await upload(setup(plain, {}, { retryPolicy: { retries: 1 } }), fileOf(2 * MiB, 'other.bin', 3).file);
      expect(lasting.error?.code).to.equal('server-error');
      expect(lasting.error?.retryable).to.equal(true);
    });

    it('cors: fails with cors-blocked, naming the header, when Upload-Offset is not readable', async () => {
      worker.use(
        http.patch(`*${plain.basePath}/*`, async ({ request }) => {
          const response = await plain.handle(request);
          const headers = new Headers(response.headers);
          headers.delete('Upload-Offset');
          return new Response(null, { status: response.status, headers });
        }),
      );
      const { error } = await upload(setup(plain), fileOf(2 * MiB).file);
      expect(error?.code).to.equal('cors-blocked');
      expect(error?.retryable).to.equal(false);
      expect(error?.message).to.contain('Upload-Offset');
    });
  });
});

describeAdapterContract('tus', ADAPTER_HARNESSES['tus']!);
