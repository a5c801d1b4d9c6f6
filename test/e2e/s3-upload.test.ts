import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createS3Adapter } from '../../src/providers/s3.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import { makeBytes } from '../helpers/make-blob.js';
import { diskFile, e2eServers, emulatorAdmin, emulatorObject, firstDifferenceFromFile } from '../helpers/e2e.js';
import { once, leavePageAfter } from '../helpers/manager-events.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

interface Stats {
  uploadPart: number;
  complete: number;
  listParts: number;
  partNumbersReceived: number[];
}


/** Uploads through the element as a page would, resolving with mcu-complete's result or mcu-error's error. */
async function uploadThroughElement(endpoint: string, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader provider="s3" endpoint=${endpoint} part-size=${String(8 * MiB)} no-resume></multi-cloud-uploader>`,
  );
  return elementOutcome(el, file);
}

describe('S3 end to end over real HTTP', function () {
  this.timeout(180_000);
  let file64: Promise<File> | undefined;
  const managers: UploadManager[] = [];
  let dbName: string;

  // Disk-backed, as a picked file is: in-page Blobs this large run into Chromium's blob memory cap.
  const random64 = () => (file64 ??= diskFile(64 * MiB + 17, 'big-64.bin'));

  beforeEach(async () => {
    dbName = `mcu-e2e-${crypto.randomUUID()}`;
    await emulatorAdmin('reset', { method: 'POST' }).catch(() => undefined);
    await fetch(`${(await e2eServers()).emulatorUrl}/__admin/s3/faults`, { method: 'DELETE' });
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });
  after(() => {
    file64 = undefined;
  });

  it('uploads a 64 MiB random file through <multi-cloud-uploader> to s3rver, byte for byte', async () => {
    const { s3rverApiUrl, s3rverUrl, s3rverBucket } = await e2eServers();
    const file = await random64();
    const { result, error } = await uploadThroughElement(s3rverApiUrl, file);
    expect(error).to.equal(undefined);
    const key = result!.key as string;
    const stored = new Uint8Array(await (await fetch(`${s3rverUrl}/${s3rverBucket}/${key.split('/').map(encodeURIComponent).join('/')}`)).arrayBuffer());
    expect(await firstDifferenceFromFile(stored, file)).to.equal(-1);
  });

  it('sends small files as POST forms with a Content-MD5 field to s3rver and to the strict emulator, byte for byte', async () => {
    const { s3rverApiUrl, s3rverUrl, s3rverBucket, apiUrl } = await e2eServers();
    const files = [new File([makeBytes(3 * MiB + 5, 11)], 'small one.bin'), new File([], 'empty.txt', { type: 'text/plain' })];
    for (const file of files) {
      const viaS3rver = await uploadThroughElement(s3rverApiUrl, file);
      expect(viaS3rver.error).to.equal(undefined);
      const key = viaS3rver.result!.key as string;
      const path = key.split('/').map(encodeURIComponent).join('/');
      expect(viaS3rver.result!.location).to.equal(`${s3rverUrl}/${s3rverBucket}/${path}`);
      const stored = new Uint8Array(await (await fetch(`${s3rverUrl}/${s3rverBucket}/${path}`)).arrayBuffer());
      expect(await firstDifferenceFromFile(stored, file)).to.equal(-1);

      const viaEmulator = await uploadThroughElement(apiUrl, file);
      expect(viaEmulator.error).to.equal(undefined);
      expect(await firstDifferenceFromFile(await emulatorObject(viaEmulator.result!.key as string), file)).to.equal(-1);
    }
    expect(await emulatorAdmin('stats')).to.deep.include({ postObject: 2, putObject: 0, create: 0 });
  });

  it('uploads the same file through <multi-cloud-uploader> to the strict emulator, byte for byte', async () => {
    const { apiUrl } = await e2eServers();
    const file = await random64();
    const { result, error } = await uploadThroughElement(apiUrl, file);
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await emulatorObject(result!.key as string), file)).to.equal(-1);
    const stats = await emulatorAdmin<Stats>('stats');
    expect(stats.uploadPart).to.equal(9);
  });

  it('resumes after a reload: a new manager on the same IndexedDB sends only the missing parts', async () => {
    const { apiUrl } = await e2eServers();
    const file = await diskFile(40 * MiB + 3, 'resume.bin');
    const make = () => {
      const manager = new UploadManager({
        adapter: createS3Adapter({ endpoint: apiUrl }),
        checkpointStore: new CheckpointStore({ dbName }),
        partSize: 5 * MiB,
        concurrency: 2,
      });
      managers.push(manager);
      return manager;
    };
    const first = make();
    await first.addFiles([file]);
    first.start();
    await leavePageAfter(first, 15 * MiB);
    const before = (await emulatorAdmin<Stats>('stats')).partNumbersReceived;
    expect(before.length).to.be.within(1, 8);

    const second = make();
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    const stats = await emulatorAdmin<Stats>('stats');
    const resent = stats.partNumbersReceived.slice(before.length);
    expect(task.resumed).to.equal(true);
    expect(stats.listParts).to.equal(1);
    expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
    expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await firstDifferenceFromFile(await emulatorObject(result.key as string), file)).to.equal(-1);
  });

  it('survives a connection dropped mid-body and a 503 with Retry-After', async () => {
    const { apiUrl } = await e2eServers();
    await emulatorAdmin('faults', { method: 'POST', body: { kind: 'drop', partNumber: 2, afterBytes: 1 * MiB } });
    await emulatorAdmin('faults', { method: 'POST', body: { kind: 'fail', partNumber: 3, status: 503, retryAfter: '1' } });
    const waits: number[] = [];
    const manager = new UploadManager({
      adapter: createS3Adapter({ endpoint: apiUrl }),
      resume: false,
      partSize: 5 * MiB,
      retryHooks: { wait: async (ms) => void waits.push(ms) },
    });
    managers.push(manager);
    const file = await diskFile(16 * MiB, 'faults.bin');
    await manager.addFiles([file]);
    const done = once(manager, 'task-complete');
    manager.start();
    const { result } = await done;
    const faults = await emulatorAdmin<Array<{ kind: string; fired: number }>>('faults');
    expect(faults.map((f) => [f.kind, f.fired])).to.deep.equal([['drop', 1], ['fail', 1]]);
    expect(waits).to.include(1000);
    expect(await firstDifferenceFromFile(await emulatorObject(result.key as string), file)).to.equal(-1);
  });

  it('aborts a stalled part after the stall window and sends it again', async () => {
    const { apiUrl } = await e2eServers();
    await emulatorAdmin('faults', { method: 'POST', body: { kind: 'delay', operation: 'UploadPart', partNumber: 1, ms: 4000, times: 1 } });
    const errors: string[] = [];
    const manager = new UploadManager({
      adapter: createS3Adapter({ endpoint: apiUrl }),
      resume: false,
      partSize: 5 * MiB,
      transport: { stallTimeoutMs: 1000 },
      retryHooks: { wait: async () => {}, onRetry: (error) => void errors.push(error.code) },
    });
    managers.push(manager);
    const file = await diskFile(6 * MiB, 'stall.bin');
    await manager.addFiles([file]);
    const done = once(manager, 'task-complete');
    manager.start();
    const { result } = await done;
    expect(errors).to.include('timeout');
    expect(await firstDifferenceFromFile(await emulatorObject(result.key as string), file)).to.equal(-1);
  });

  it('fails with file-unreadable, not a hang or blind retries, when the file changes on disk mid-upload', async () => {
    const { apiUrl } = await e2eServers();
    const root = await navigator.storage.getDirectory();
    const handle = await root.getFileHandle(`changing-${crypto.randomUUID()}.bin`, { create: true });
    const writable = await handle.createWritable();
    await writable.write(makeBytes(16 * MiB, 14));
    await writable.close();
    const file = await handle.getFile();
    await emulatorAdmin('faults', { method: 'POST', body: { kind: 'delay', operation: 'UploadPart', partNumber: 2, ms: 1500 } });
    const manager = new UploadManager({
      adapter: createS3Adapter({ endpoint: apiUrl, checksum: 'none' }),
      resume: false,
      partSize: 5 * MiB,
      concurrency: 1,
      retryHooks: { wait: async () => {} },
    });
    managers.push(manager);
    await manager.addFiles([file]);
    const failed = once(manager, 'task-error');
    manager.start();
    await once(manager, 'task-progress', (d) => d.progress.bytesSent >= 5 * MiB);
    const rewrite = await handle.createWritable();
    await rewrite.write(makeBytes(16 * MiB, 15));
    await rewrite.close();
    const { error } = await failed;
    expect(error.code).to.equal('file-unreadable');
    await root.removeEntry(handle.name);
  });

  it('reports an unreachable backend as a network error after retrying', async () => {
    const manager = new UploadManager({
      adapter: createS3Adapter({ endpoint: 'http://127.0.0.1:9/api' }),
      resume: false,
      retryPolicy: { retries: 2 },
      retryHooks: { wait: async () => {} },
    });
    managers.push(manager);
    await manager.addFiles([new File([makeBytes(6 * MiB, 13)], 'nowhere.bin')]);
    const failed = once(manager, 'task-error');
    manager.start();
    const { error } = await failed;
    expect(error.code).to.equal('network');
    expect(error.message).to.not.contain('?');
  });
});
