import { expect } from '@open-wc/testing';
import { UploadManager } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createS3Adapter } from '../../src/providers/s3.js';
import { makeBytes } from '../helpers/make-blob.js';
import { e2eServers, firstDifference } from '../helpers/e2e.js';
import { adminRoute, storedBytesOf } from '../helpers/emulator-admin.js';
import { once } from '../helpers/manager-events.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

interface S3Stats {
  create: number;
  abort: number;
}

/**
 * A pause or cancel that comes while the provider is creating the upload: the store may make it all the same, so the
 * creating request is not cut off, and what it made is aborted (cancel) or continued (pause), never left behind.
 */
describe('stopping while the upload is being created (S3 against the strict emulator, over real HTTP)', function () {
  this.timeout(60_000);
  const managers: UploadManager[] = [];
  let dbName: string;

  beforeEach(async () => {
    dbName = `mcu-create-in-flight-${crypto.randomUUID()}`;
    await adminRoute('s3', 'reset', { method: 'POST' });
    await adminRoute('s3', 'faults', { method: 'POST', body: { kind: 'slow-answer', operation: 'CreateMultipartUpload', ms: 1500 } });
  });
  afterEach(() => releaseManagers(managers, dbName));

  async function started(name: string): Promise<{ manager: UploadManager; taskId: string; bytes: Uint8Array }> {
    const manager = new UploadManager({
      adapter: createS3Adapter({ endpoint: `${(await e2eServers()).emulatorUrl}/api` }),
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: 5 * MiB,
    });
    managers.push(manager);
    const bytes = makeBytes(12 * MiB, 7);
    const [task] = await manager.addFiles([new File([bytes], name, { lastModified: 1_700_000_000_000 })]);
    const uploading = once(manager, 'task-state', (detail) => detail.state === 'uploading');
    manager.start();
    await uploading;
    // The store has made the upload by now and holds its answer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { manager, taskId: task!.id, bytes };
  }

  it('cancel: the upload the store made meanwhile is aborted', async () => {
    const { manager, taskId } = await started('cancel-while-creating.bin');
    await manager.cancel(taskId);
    expect(manager.getTask(taskId)?.state).to.equal('canceled');
    const stats = await adminRoute<S3Stats>('s3', 'stats');
    expect(stats.create).to.equal(1);
    expect(stats.abort).to.equal(1);
    expect(await adminRoute('s3', 'uploads')).to.deep.equal([]);
  });

  it('pause: the upload the store made meanwhile is the one continued on resume', async () => {
    const { manager, taskId, bytes } = await started('pause-while-creating.bin');
    const paused = once(manager, 'task-state', (detail) => detail.state === 'paused');
    manager.pause(taskId);
    await paused;
    const complete = once(manager, 'task-complete');
    manager.resume(taskId);
    const { result } = await complete;
    const stats = await adminRoute<S3Stats>('s3', 'stats');
    expect(stats.create).to.equal(1);
    expect(await adminRoute('s3', 'uploads')).to.deep.equal([]);
    expect(firstDifference(await storedBytesOf('s3', `objects/${encodeURIComponent(String(result.key))}`), bytes)).to.equal(-1);
  });
});
