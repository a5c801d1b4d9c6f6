import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import { createTusAdapter } from '../../src/providers/tus.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import type { TusEmulatorStats } from '../../src/emulators/tus-emulator.js';
import { diskFile, e2eServers, firstDifferenceFromFile } from '../helpers/e2e.js';
import { once } from '../helpers/manager-events.js';
import {
  tusEmulatorAdmin,
  tusEmulatorFile,
  tusServerFile,
  tusServerHas,
  tusServerHoldPosts,
  tusServerRequests,
  tusServerUpload,
} from '../helpers/tus-e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { useManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

/** Uploads through the element as a page would, resolving with mcu-complete's result or mcu-error's error. */
async function uploadThroughElement(endpoint: string, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader provider="tus" endpoint=${endpoint} part-size=${String(8 * MiB)} no-resume></multi-cloud-uploader>`,
  );
  return elementOutcome(el, file);
}

describe('tus end to end over real HTTP', function () {
  this.timeout(180_000);
  // Registered first, so held POSTs are let go before useManagers' afterEach releases the managers.
  afterEach(() => tusServerHoldPosts(false));
  const managerWith = useManagers('mcu-e2e-tus', async () => {
    await tusEmulatorAdmin('reset', { method: 'POST' });
    await tusServerRequests(true);
  });

  function manager(endpoint: string, options: { resume?: boolean; concurrency?: number } = {}): UploadManager {
    return managerWith({ adapter: createTusAdapter({ endpoint }), partSize: 8 * MiB, retryHooks: { wait: async () => {} }, ...options });
  }

  it('uploads a 64 MiB random file through <multi-cloud-uploader> to a real @tus/server, byte for byte', async () => {
    const { tusUrl } = await e2eServers();
    const file = await diskFile(64 * MiB + 17, 'big-64.bin');
    const { result, error } = await uploadThroughElement(tusUrl, file);
    expect(error).to.equal(undefined);
    const id = result!.fileId as string;
    expect(result!.location).to.equal(`${tusUrl}/${id}`);
    expect(await firstDifferenceFromFile(await tusServerFile(id), file)).to.equal(-1);
    const record = await tusServerUpload(id);
    expect(record.size).to.equal(file.size);
    expect(record.metadata).to.include({ filename: 'big-64.bin' });
    // @tus/file-store offers neither concatenation nor checksums: one upload, one PATCH per 8 MiB part, in order.
    const requests = await tusServerRequests();
    expect(requests.filter((r) => r.method === 'POST').map((r) => r.uploadLength)).to.deep.equal([file.size]);
    expect(requests.filter((r) => r.method === 'PATCH').map((r) => [r.uploadOffset, r.status])).to.deep.equal(
      Array.from({ length: 9 }, (_, i) => [i * 8 * MiB, 204]),
    );
  });

  it('uploads through <multi-cloud-uploader> to the tus emulator in parallel partial uploads with SHA-1 checksums, byte for byte', async () => {
    const { emulatorUrl } = await e2eServers();
    const file = await diskFile(24 * MiB + 5, 'parallel.bin');
    const { result, error } = await uploadThroughElement(`${emulatorUrl}/emulator/tus`, file);
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await tusEmulatorFile(result!.fileId as string), file)).to.equal(-1);
    const stats = await tusEmulatorAdmin<TusEmulatorStats>('stats');
    expect(stats).to.include({ create: 0, partialCreate: 4, concatenate: 1 });
    expect(stats.patches.map((patch) => patch.checksum)).to.deep.equal(['sha1', 'sha1', 'sha1', 'sha1']);
  });

  it('resumes after a reload from the real server\'s offset: a new manager on the same IndexedDB sends only what it lacks', async () => {
    const { tusUrl } = await e2eServers();
    const file = await diskFile(40 * MiB + 3, 'resume.bin');
    const first = manager(tusUrl, { concurrency: 1 });
    await first.addFiles([file]);
    first.start();
    await once(first, 'task-progress', (d) => d.progress.bytesSent >= 12 * MiB);
    const paused = once(first, 'task-state', (d) => d.state === 'paused');
    first.pause();
    await paused;
    first.dispose();
    const id = (await tusServerRequests(true)).find((r) => r.method === 'PATCH')!.path.split('/').pop()!;

    const second = manager(tusUrl, { concurrency: 1 });
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task.resumed).to.equal(true);
    expect(result.fileId).to.equal(id);
    const after = await tusServerRequests();
    expect(after.filter((r) => r.method === 'POST')).to.deep.equal([]);
    // @tus/server holds the broken-off PATCH until the HEAD asks for its lock, then reports what that PATCH wrote.
    expect(after[0].method).to.equal('HEAD');
    const patches = after.filter((r) => r.method === 'PATCH');
    expect(patches[0].uploadOffset).to.be.at.least(8 * MiB);
    expect(patches.every((r) => r.status === 204)).to.equal(true);
    // Each PATCH starts where the previous one ended and the last ends at the file's end: no byte was sent twice.
    const ends = patches.map((r) => r.uploadOffset! + r.contentLength!);
    expect(patches.slice(1).map((r) => r.uploadOffset)).to.deep.equal(ends.slice(0, -1));
    expect(ends[ends.length - 1]).to.equal(file.size);
    expect(await firstDifferenceFromFile(await tusServerFile(id), file)).to.equal(-1);
  });

  /** The ids of every upload the real server made since the log was cleared, and whether each is still there. */
  async function uploadsLeft(): Promise<string[]> {
    const made = (await tusServerRequests()).filter((r) => r.method === 'POST' && r.location).map((r) => r.location!.split('/').pop()!);
    const left: string[] = [];
    for (const id of made) if (await tusServerHas(id)) left.push(id);
    return left;
  }

  it('leaves nothing on the real server when canceled before the upload was created', async () => {
    const { tusUrl } = await e2eServers();
    const uploader = manager(tusUrl, { resume: false });
    const [task] = await uploader.addFiles([await diskFile(4 * MiB, 'cancel-early.bin')]);
    uploader.start();
    await uploader.cancel(task.id);
    expect(task.state).to.equal('canceled');
    expect((await tusServerRequests()).filter((r) => r.method === 'POST')).to.deep.equal([]);
  });

  it('terminates an upload the real server made after the cancel, while the creation POST was in flight', async () => {
    const { tusUrl } = await e2eServers();
    await tusServerHoldPosts(true);
    const uploader = manager(tusUrl, { resume: false });
    const [task] = await uploader.addFiles([await diskFile(4 * MiB, 'cancel-creating.bin')]);
    uploader.start();
    while (!(await tusServerRequests()).some((r) => r.method === 'POST')) await new Promise((resolve) => setTimeout(resolve, 20));
    const canceled = uploader.cancel(task.id);
    // The server makes the upload only after the page gave up on it, as a slow creation would.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await tusServerHoldPosts(false)).to.equal(1);
    await canceled;
    expect(task.state).to.equal('canceled');
    const requests = await tusServerRequests();
    const [post] = requests.filter((r) => r.method === 'POST');
    expect(post.status).to.equal(201);
    const id = post.location!.split('/').pop()!;
    expect(requests.filter((r) => r.method === 'DELETE').map((r) => [r.path, r.status])).to.deep.equal([[`/files/${id}`, 204]]);
    expect(requests.filter((r) => r.method === 'PATCH')).to.deep.equal([]);
    expect(await uploadsLeft()).to.deep.equal([]);
  });

  it('terminates the upload on the real server when canceled after creation, mid-upload', async () => {
    const { tusUrl } = await e2eServers();
    const uploader = manager(tusUrl, { resume: false });
    const [task] = await uploader.addFiles([await diskFile(32 * MiB, 'cancel.bin')]);
    uploader.start();
    await once(uploader, 'task-progress', (d) => d.progress.bytesSent >= 9 * MiB);
    await uploader.cancel(task.id);
    const requests = await tusServerRequests();
    const deletion = requests.find((r) => r.method === 'DELETE');
    expect(deletion?.status).to.equal(204);
    expect(await uploadsLeft()).to.deep.equal([]);
  });

  it('survives a connection to the emulator dropped mid-body and a 503 with Retry-After', async () => {
    const { emulatorUrl } = await e2eServers();
    await tusEmulatorAdmin('faults', { method: 'POST', body: { kind: 'drop', operation: 'Patch', times: 1, afterBytes: 1 * MiB } });
    await tusEmulatorAdmin('faults', { method: 'POST', body: { kind: 'fail', operation: 'Patch', status: 503, retryAfter: '1' } });
    const uploader = manager(`${emulatorUrl}/emulator/tus`, { resume: false });
    const file = await diskFile(16 * MiB + 1, 'faults.bin');
    await uploader.addFiles([file]);
    const done = once(uploader, 'task-complete');
    uploader.start();
    const { result } = await done;
    const faults = await tusEmulatorAdmin<Array<{ kind: string; fired: number }>>('faults');
    expect(faults.map((f) => [f.kind, f.fired])).to.deep.equal([['drop', 1], ['fail', 1]]);
    expect(await firstDifferenceFromFile(await tusEmulatorFile(result.fileId as string), file)).to.equal(-1);
  });
});
