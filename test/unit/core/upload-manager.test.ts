import { expect } from '@open-wc/testing';
import { createStore, set } from 'idb-keyval';
import { UploadManager } from '../../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../../src/core/upload-manager.js';
import { CheckpointStore } from '../../../src/checkpoints/checkpoint-store.js';
import { fingerprintFile } from '../../../src/core/fingerprint.js';
import { UploadError, UploadErrorCode } from '../../../src/core/errors.js';
import type { PartReceipt } from '../../../src/core/adapter.js';
import { createMemoryAdapter } from '../../helpers/memory-adapter.js';
import type { MemoryAdapter, MemoryAdapterOptions } from '../../helpers/memory-adapter.js';
import { once } from '../../helpers/manager-events.js';
import { releaseManagers } from '../../helpers/manager-fixture.js';

const KiB = 1024;

function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

function fileOf(size: number, name = 'f.bin', seed = 1): File {
  return new File([bytesOf(size, seed)], name, { type: 'application/octet-stream', lastModified: 1_700_000_000_000 });
}


const managers: UploadManager[] = [];
let dbName: string;

function setup(adapterOptions: MemoryAdapterOptions = {}, options: Partial<UploadManagerOptions> = {}, adapter?: MemoryAdapter) {
  const memory = adapter ?? createMemoryAdapter({ limits: { defaultPartSize: 16 * KiB }, ...adapterOptions });
  const manager = new UploadManager({
    adapter: memory,
    checkpointStore: new CheckpointStore({ dbName }),
    retryHooks: { wait: async () => {} },
    ...options,
  });
  managers.push(manager);
  return { manager, memory };
}

describe('UploadManager', () => {
  beforeEach(() => {
    dbName = `mcu-test-${crypto.randomUUID()}`;
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });

  it('uploads a file through the states queued → uploading → completing → done, bytes exact', async () => {
    const { manager, memory } = setup();
    const states: string[] = [];
    manager.addEventListener('task-state', (e) => states.push(e.detail.state));
    const file = fileOf(50 * KiB);
    const [task] = await manager.addFiles([file]);
    expect(task.state).to.equal('queued');
    const complete = once(manager, 'task-complete');
    manager.start();
    const { result } = await complete;
    expect(states).to.deep.equal(['uploading', 'completing', 'done']);
    expect(result.key).to.equal('f.bin');
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(50 * KiB));
    expect(task.progress.bytesSent).to.equal(50 * KiB);
  });

  it('keeps parts in flight across all files within the global limit', async () => {
    const { manager, memory } = setup({ delayMs: 20 }, { concurrency: 3 });
    await manager.addFiles([fileOf(80 * KiB, 'a'), fileOf(80 * KiB, 'b', 2), fileOf(80 * KiB, 'c', 3)]);
    const done = once(manager, 'queue-complete');
    manager.start();
    await done;
    expect(memory.concurrency.max).to.equal(3);
    expect(memory.stored.size).to.equal(3);
  });

  it('sends parts one at a time when the provider requires order', async () => {
    const memory = createMemoryAdapter({ delayMs: 5, limits: { defaultPartSize: 16 * KiB } });
    memory.sequentialParts = () => true;
    const { manager } = setup({}, { concurrency: 4 }, memory);
    await manager.addFiles([fileOf(80 * KiB)]);
    const done = once(manager, 'task-complete');
    manager.start();
    await done;
    expect(memory.concurrency.max).to.equal(1);
    expect(memory.attempts).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('pauses mid-upload and resumes without resending finished parts', async () => {
    const { manager, memory } = setup({ delayMs: 30 }, { concurrency: 1 });
    const [task] = await manager.addFiles([fileOf(80 * KiB)]);
    manager.start();
    await once(manager, 'task-progress', (d) => d.progress.bytesSent >= 32 * KiB);
    manager.pause();
    await once(manager, 'task-state', (d) => d.state === 'paused');
    const sentBeforePause = new Set(memory.attempts);
    const attemptsAtPause = memory.attempts.length;
    const done = once(manager, 'task-complete');
    manager.resume();
    await done;
    const afterResume = memory.attempts.slice(attemptsAtPause);
    // The part in flight when paused is sent again; finished ones are not.
    expect(afterResume.filter((n) => sentBeforePause.has(n)).length).to.be.at.most(1);
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(80 * KiB));
    expect(task.state).to.equal('done');
  });

  it('cancels: aborts the provider upload and forgets the checkpoint', async () => {
    const store = new CheckpointStore({ dbName });
    const { manager, memory } = setup({ delayMs: 30 }, { concurrency: 1, checkpointStore: store });
    const [task] = await manager.addFiles([fileOf(80 * KiB)]);
    manager.start();
    await once(manager, 'task-progress', (d) => d.progress.bytesSent > 0);
    await manager.cancel(task.id);
    expect(task.state).to.equal('canceled');
    expect(memory.aborted).to.have.length(1);
    expect(await store.list()).to.deep.equal([]);
  });

  it('retries a part that fails transiently, then completes', async () => {
    const { manager, memory } = setup({ failPart: 2, failTimes: 2 });
    await manager.addFiles([fileOf(50 * KiB)]);
    const done = once(manager, 'task-complete');
    manager.start();
    await done;
    expect(memory.attempts.filter((n) => n === 2)).to.have.length(3);
  });

  it('fails with the typed error on a permanent refusal, and retry() continues from the parts already sent', async () => {
    const { manager, memory } = setup({ failPart: 3, failTimes: 1, failCode: 'provider-rejected' }, { concurrency: 1 });
    const [task] = await manager.addFiles([fileOf(64 * KiB)]);
    const failed = once(manager, 'task-error');
    manager.start();
    const { error } = await failed;
    expect(error.code).to.equal('provider-rejected');
    expect(error.retryable).to.equal(false);
    expect(task.state).to.equal('failed');
    const done = once(manager, 'task-complete');
    manager.retry(task.id);
    await done;
    expect(memory.attempts).to.deep.equal([1, 2, 3, 3, 4]);
  });

  /** A page that uploaded about half of `file` through `adapter`, one part at a time, paused and went away. */
  async function leftHalfway(adapter: MemoryAdapter, file: File): Promise<void> {
    const first = setup({}, { concurrency: 1 }, adapter).manager;
    await first.addFiles([file]);
    first.start();
    await once(first, 'task-progress', (d) => d.progress.bytesSent >= 48 * KiB);
    first.pause();
    await once(first, 'task-state', (d) => d.state === 'paused');
    first.dispose();
  }

  it('resumes after a reload: a new manager on the same IndexedDB sends only the missing parts', async () => {
    const memory = createMemoryAdapter({ delayMs: 20, limits: { defaultPartSize: 16 * KiB } });
    const file = fileOf(96 * KiB);
    await leftHalfway(memory, file);
    const sentBefore = memory.attempts.length;
    const stored = [...[...memory.parts.values()][0].keys()];

    const second = setup({}, { concurrency: 1 }, memory).manager;
    const resumable = await second.findResumable();
    expect(resumable).to.have.length(1);
    expect(resumable[0].file.name).to.equal('f.bin');
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    await done;
    expect(task.resumed).to.equal(true);
    const resent = memory.attempts.slice(sentBefore);
    expect(resent.some((n) => stored.includes(n))).to.equal(false);
    expect(resent.length).to.equal(6 - stored.length);
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(96 * KiB));
  });

  it('keeps no checkpoint while a one-part upload runs, nor after it is done', async () => {
    const store = new CheckpointStore({ dbName });
    const { manager, memory } = setup({ delayMs: 300 }, { checkpointStore: store });
    await manager.addFiles([fileOf(8 * KiB)]);
    const done = once(manager, 'task-complete');
    manager.start();
    while (memory.concurrency.now === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.list()).to.deep.equal([]);
    expect(memory.concurrency.now, 'the part is still in flight').to.equal(1);
    await done;
    expect(await store.list()).to.deep.equal([]);
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(8 * KiB));
  });

  it('writes a paused one-part upload\'s checkpoint before it says paused; a new manager goes on with that session', async () => {
    const held: MemoryAdapterOptions = { holdPart: 1, limits: { defaultPartSize: 16 * KiB } };
    const memory = createMemoryAdapter(held);
    const file = fileOf(8 * KiB);
    const first = setup({}, {}, memory).manager;
    await first.addFiles([file]);
    first.start();
    while (memory.attempts.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    first.pause();
    await once(first, 'task-state', (d) => d.state === 'paused');
    first.dispose();
    const [record] = await new CheckpointStore({ dbName }).list();
    expect(record?.file.name).to.equal('f.bin');
    const [uploadId] = memory.parts.keys();
    expect(record?.session).to.deep.equal({ uploadId });

    held.holdPart = undefined;
    const second = setup({}, {}, memory).manager;
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    await done;
    expect(task.resumed).to.equal(true);
    expect(memory.parts.has(uploadId)).to.equal(false);
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(8 * KiB));
    expect(await new CheckpointStore({ dbName }).list()).to.deep.equal([]);
  });

  it('keeps a one-part upload that failed for good in the checkpoints, for a later visit', async () => {
    const store = new CheckpointStore({ dbName });
    const { manager } = setup({ failPart: 1, failCode: 'provider-rejected' }, { checkpointStore: store });
    await manager.addFiles([fileOf(8 * KiB)]);
    const failed = once(manager, 'task-error');
    manager.start();
    await failed;
    expect((await store.list()).map((record) => record.file.name)).to.deep.equal(['f.bin']);
  });

  /** A checkpoint store whose receipt writes wait until the test opens the gate. */
  function gatedReceipts(): { store: CheckpointStore; open: () => void; asked: number[] } {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const asked: number[] = [];
    class GatedStore extends CheckpointStore {
      override async addReceipt(fingerprint: string, receipt: PartReceipt): Promise<void> {
        asked.push(receipt.partNumber);
        await gate;
        return super.addReceipt(fingerprint, receipt);
      }
    }
    return { store: new GatedStore({ dbName }), open, asked };
  }

  it('sends a one-lane upload\'s next part while the last receipt is written, and counts a part stored only once it is', async () => {
    const { store, open, asked } = gatedReceipts();
    const memory = createMemoryAdapter({ limits: { defaultPartSize: 16 * KiB } });
    memory.sequentialParts = () => true;
    const { manager } = setup({}, { checkpointStore: store }, memory);
    const [task] = await manager.addFiles([fileOf(64 * KiB)]);
    const done = once(manager, 'task-complete');
    manager.start();
    try {
      for (let waited = 0; waited < 10_000 && asked.length < 4; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(asked, 'every part sent before the first receipt was written').to.deep.equal([1, 2, 3, 4]);
      expect(memory.attempts).to.deep.equal([1, 2, 3, 4]);
      expect(task.progress.bytesStored).to.equal(0);
      expect(task.progress.bytesSent).to.equal(64 * KiB);
      expect(task.state).to.equal('uploading');
    } finally {
      open();
    }
    await done;
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(64 * KiB));
    expect(await store.list()).to.deep.equal([]);
  });

  it('says paused only once the receipts of the parts sent are in the checkpoint', async () => {
    const { store, open } = gatedReceipts();
    const memory = createMemoryAdapter({ holdPart: 3, limits: { defaultPartSize: 16 * KiB } });
    memory.sequentialParts = () => true;
    const { manager } = setup({}, { checkpointStore: store }, memory);
    const [task] = await manager.addFiles([fileOf(64 * KiB)]);
    manager.start();
    const paused = once(manager, 'task-state', (d) => d.state === 'paused');
    try {
      for (let waited = 0; waited < 10_000 && memory.attempts.length < 3; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
      manager.pause();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(task.state, 'waiting for the receipts').to.equal('uploading');
    } finally {
      open();
    }
    await paused;
    const [record] = await store.list();
    expect(record?.receipts.map((receipt) => receipt.partNumber)).to.deep.equal([1, 2]);
  });

  it('resumes from its own receipts, with a warning, when the store cannot list parts', async () => {
    const memory = createMemoryAdapter({ delayMs: 20, limits: { defaultPartSize: 16 * KiB } });
    let listings = 0;
    const unlisting: MemoryAdapter = {
      ...memory,
      async listParts() {
        listings++;
        throw new UploadError(UploadErrorCode.ProviderRejected, 'No ListParts here.', { status: 405, unsupported: true });
      },
    };
    const file = fileOf(96 * KiB);
    await leftHalfway(unlisting, file);
    const sentBefore = memory.attempts.length;
    const stored = [...[...memory.parts.values()][0].keys()];

    const second = setup({}, { concurrency: 1 }, unlisting).manager;
    const warning = once(second, 'warning');
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    await done;
    expect(task.resumed).to.equal(true);
    expect(listings).to.equal(1);
    expect((await warning).error.unsupported).to.equal(true);
    const resent = memory.attempts.slice(sentBefore);
    expect(resent.some((n) => stored.includes(n))).to.equal(false);
    expect(resent.length).to.be.at.most(6 - stored.length + 1);
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(96 * KiB));
  });

  it('lets only one of two tabs upload the same file', async () => {
    const memory = createMemoryAdapter({ delayMs: 20, limits: { defaultPartSize: 16 * KiB } });
    const a = setup({}, {}, memory).manager;
    const b = setup({}, {}, memory).manager;
    const file = fileOf(64 * KiB);
    await a.addFiles([file]);
    await b.addFiles([file]);
    const aDone = once(a, 'task-complete');
    a.start();
    await once(a, 'task-state', (d) => d.state === 'uploading');
    const bError = once(b, 'task-error');
    b.start();
    expect((await bError).error.code).to.equal('in-use');
    await aDone;
  });

  it('without resume, lets two tabs upload the same file: there is no checkpoint for them to share', async () => {
    const memory = createMemoryAdapter({ delayMs: 20, limits: { defaultPartSize: 16 * KiB } });
    const a = setup({}, { resume: false }, memory).manager;
    const b = setup({}, { resume: false }, memory).manager;
    const file = fileOf(64 * KiB);
    await a.addFiles([file]);
    await b.addFiles([file]);
    const done = Promise.all([once(a, 'task-complete'), once(b, 'task-complete')]);
    const failed = Promise.race([once(a, 'task-error'), once(b, 'task-error')]).then((detail) => detail.error.code);
    a.start();
    await once(a, 'task-state', (d) => d.state === 'uploading');
    b.start();
    expect(await Promise.race([done.then(() => 'both done'), failed])).to.equal('both done');
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(64 * KiB));
  });

  it('refuses files over max-file-size or outside accept before any request', async () => {
    const { manager, memory } = setup({}, { maxFileSize: 10, accept: 'image/*,.txt' });
    const rejected: UploadError[] = [];
    manager.addEventListener('task-rejected', (e) => rejected.push(e.detail.error));
    const added = await manager.addFiles([
      new File(['x'.repeat(11)], 'big.txt', { type: 'text/plain' }),
      new File(['x'], 'a.pdf', { type: 'application/pdf' }),
      new File(['x'], 'ok.txt', { type: 'text/plain' }),
      new File(['x'], 'p.png', { type: 'image/png' }),
    ]);
    expect(rejected.map((e) => e.code)).to.deep.equal(['file-too-large', 'file-type-rejected']);
    expect(added.map((t) => t.file.name)).to.deep.equal(['ok.txt', 'p.png']);
    expect(memory.attempts).to.deep.equal([]);
  });

  it('refuses a file over the provider\'s own limits when it is added, before reading it', async () => {
    const { manager, memory } = setup({ limits: { maxFileSize: 100, allowsEmptyFile: false } });
    const rejected: UploadError[] = [];
    manager.addEventListener('task-rejected', (e) => rejected.push(e.detail.error));
    const added = await manager.addFiles([fileOf(101, 'big.bin'), new File([], 'empty.bin'), fileOf(100, 'fits.bin')]);
    expect(rejected.map((e) => e.code)).to.deep.equal(['file-too-large', 'file-empty']);
    expect(added.map((t) => t.file.name)).to.deep.equal(['fits.bin']);
    expect(memory.attempts).to.deep.equal([]);
  });

  it('tells the provider when an upload failed for good', async () => {
    const { manager, memory } = setup({ failPart: 1, failCode: 'provider-rejected' });
    await manager.addFiles([fileOf(20 * KiB)]);
    const failed = once(manager, 'task-error');
    manager.start();
    await failed;
    await new Promise((r) => setTimeout(r, 0));
    expect(memory.failed).to.have.length(1);
  });

  it('uploads a 0-byte file as an empty object', async () => {
    const { manager, memory } = setup();
    await manager.addFiles([new File([], 'empty.txt')]);
    const done = once(manager, 'task-complete');
    manager.start();
    await done;
    expect(memory.stored.get('empty.txt')).to.deep.equal(new Uint8Array(0));
  });

  it('discards a corrupt checkpoint with a warning and starts fresh', async () => {
    const { manager, memory } = setup();
    const file = fileOf(40 * KiB);
    const { fingerprint } = await fingerprintFile(file, `${memory.id}|${memory.target}`);
    await set(fingerprint, { version: 1, fingerprint, plan: 'garbage' }, createStore(dbName, 'checkpoints'));
    const warning = once(manager, 'warning');
    const done = once(manager, 'task-complete');
    await manager.addFiles([file]);
    manager.start();
    expect((await warning).error.code).to.equal('checkpoint-corrupt');
    await done;
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(40 * KiB));
  });

  it('goes on without resume when IndexedDB is full, and says so', async () => {
    const base = createStore(`${dbName}-full`, 'checkpoints');
    const full = new CheckpointStore({
      customStore: (mode, callback) =>
        mode === 'readwrite' ? Promise.reject(new DOMException('full', 'QuotaExceededError')) : base(mode, callback),
    });
    const { manager, memory } = setup({}, { checkpointStore: full });
    const warning = once(manager, 'warning');
    const done = once(manager, 'task-complete');
    await manager.addFiles([fileOf(40 * KiB)]);
    manager.start();
    expect((await warning).error.code).to.equal('storage-full');
    await done;
    expect(memory.stored.get('f.bin')).to.deep.equal(bytesOf(40 * KiB));
    indexedDB.deleteDatabase(`${dbName}-full`);
  });

  it('pauses when the browser goes offline and continues by itself when it is back', async () => {
    const { manager } = setup({ delayMs: 30 }, { concurrency: 1 });
    const [task] = await manager.addFiles([fileOf(80 * KiB)]);
    manager.start();
    await once(manager, 'task-state', (d) => d.state === 'uploading');
    window.dispatchEvent(new Event('offline'));
    await once(manager, 'task-state', (d) => d.state === 'paused');
    const done = once(manager, 'task-complete');
    window.dispatchEvent(new Event('online'));
    await done;
    expect(task.state).to.equal('done');
  });

  it('starts a batch first added, first started, and says the queue is complete once', async () => {
    const { manager } = setup({}, { concurrency: 2 });
    const names = Array.from({ length: 12 }, (_, i) => `file-${String(i).padStart(2, '0')}`);
    await manager.addFiles(names.map((name, i) => fileOf(KiB + i, name, i + 1)));
    const started: string[] = [];
    manager.addEventListener('task-state', (e) => {
      if (e.detail.state === 'uploading') started.push(manager.getTask(e.detail.taskId)!.file.name);
    });
    let completions = 0;
    manager.addEventListener('queue-complete', () => completions++);
    const done = once(manager, 'queue-complete');
    manager.start();
    await done;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).to.deep.equal(names);
    expect(completions).to.equal(1);
  });

  it('keeps overall progress right through removals, cancels and clear()', async () => {
    const { manager } = setup();
    const sizes = [10 * KiB, 20 * KiB, 30 * KiB, 40 * KiB];
    const tasks = await manager.addFiles(sizes.map((size, i) => fileOf(size, `p${i}`, i + 1)));
    expect(manager.progress).to.include({ bytesSent: 0, bytesTotal: 100 * KiB });
    const done = once(manager, 'queue-complete');
    manager.start(tasks[0]!.id);
    manager.start(tasks[1]!.id);
    await done;
    expect(manager.progress).to.include({ bytesSent: 30 * KiB, bytesTotal: 100 * KiB });
    await manager.cancel(tasks[2]!.id);
    expect(manager.progress).to.include({ bytesSent: 30 * KiB, bytesTotal: 70 * KiB });
    await manager.remove(tasks[0]!.id);
    expect(manager.getTask(tasks[0]!.id)).to.equal(undefined);
    expect(manager.progress).to.include({ bytesSent: 20 * KiB, bytesTotal: 60 * KiB });
    manager.clear();
    expect(manager.tasks.map((task) => task.id)).to.deep.equal([tasks[3]!.id]);
    expect(manager.progress).to.include({ bytesSent: 0, bytesTotal: 40 * KiB });
  });
});
