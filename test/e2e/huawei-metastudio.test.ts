import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import { createMetaStudioAdapter } from '../../src/providers/huawei-metastudio.js';
import type { MetaStudioAdapterOptions } from '../../src/providers/huawei-metastudio.js';
import { HashClient } from '../../src/hashing/hash-client.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import type { UploadState } from '../../src/core/types.js';
import { diskFile, e2eServers, firstDifferenceFromFile } from '../helpers/e2e.js';
import { metaStudioAdmin, metaStudioObject } from '../helpers/huawei-metastudio-e2e.js';
import { once } from '../helpers/manager-events.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

interface Stats {
  createAsset: number;
  createFile: number;
  putObject: number;
  confirmations: string[];
  putOrigins: Array<string | null>;
}

interface Timed {
  result?: UploadResult;
  error?: UploadError;
  /** Milliseconds from start() to each state's entry. */
  at: Partial<Record<UploadState, number>>;
}

/** Uploads through the element as a page would, timing each state the file enters. */
async function uploadThroughElement(file: File, adapterOptions: Partial<MetaStudioAdapterOptions> = {}): Promise<Timed> {
  const { emulatorUrl } = await e2eServers();
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader provider="huawei-metastudio" endpoint=${`${emulatorUrl}/api/huawei-metastudio`}
      .adapterOptions=${adapterOptions} no-resume></multi-cloud-uploader>`,
  );
  const at: Timed['at'] = {};
  let started = 0;
  el.manager.addEventListener('task-state', (e) => void (at[e.detail.state] = performance.now() - started));
  const outcome = new Promise<Timed>((resolve) => {
    el.addEventListener('mcu-complete', (e) => resolve({ result: e.detail.result, at }));
    el.addEventListener('mcu-error', (e) => resolve({ error: e.detail.error, at }));
  });
  await el.addFiles([file]);
  started = performance.now();
  el.start();
  return outcome;
}

describe('Huawei MetaStudio end to end over real HTTP, through the shipped handler', function () {
  this.timeout(180_000);
  let file64: Promise<File> | undefined;
  const managers: UploadManager[] = [];

  // Disk-backed, as a picked file is: in-page Blobs this large run into Chromium's blob memory cap.
  const random64 = () => (file64 ??= diskFile(64 * MiB + 17, 'metastudio-64.mp4'));

  beforeEach(() => metaStudioAdmin('reset', { method: 'POST' }));
  afterEach(async () => {
    await releaseManagers(managers);
  });
  after(() => {
    file64 = undefined;
  });

  it('uploads a 64 MiB random file through <multi-cloud-uploader>, the PUT proxied by the handler, byte for byte', async () => {
    const file = await random64();
    const hashClient = new HashClient();
    const hashStart = performance.now();
    const run = hashClient.start({
      blob: file,
      plan: { partSize: file.size, partCount: 1 },
      specs: [{ name: 'md5', algorithm: 'md5', encoding: 'base64', scope: 'file', when: 'before-create' }],
    });
    const md5 = await run.digest('md5');
    const hashAlone = performance.now() - hashStart;
    hashClient.terminate();

    const { result, error, at } = await uploadThroughElement(file);
    expect(error).to.equal(undefined);
    const fileId = result!.fileId as string;
    expect(await firstDifferenceFromFile(await metaStudioObject(fileId), file)).to.equal(-1);
    const stored = await metaStudioAdmin<{ state: string; fileMd5: string; fileType: string }>(`files/${fileId}`);
    expect(stored).to.deep.include({ state: 'UPLOADED', fileMd5: md5, fileType: 'mp4' });
    const stats = await metaStudioAdmin<Stats>('stats');
    expect(stats).to.deep.include({ createAsset: 1, createFile: 1, putObject: 1 });
    expect(stats.confirmations).to.deep.equal(['CREATED']);
    // The handler sent the PUT from the server: no page origin.
    expect(stats.putOrigins).to.deep.equal([null]);

    const hashPhase = at.uploading! - (at.hashing ?? 0);
    const uploadPhase = at.done! - at.uploading!;
    console.log(
      `[huawei-metastudio 64 MiB] hash alone ${hashAlone.toFixed(0)} ms; in the upload: hashing phase ${hashPhase.toFixed(0)} ms ` +
        `(hash, then asset + CreateFile) + upload phase ${uploadPhase.toFixed(0)} ms (PUT + confirm) = ` +
        `${(hashPhase + uploadPhase).toFixed(0)} ms; wall ${at.done!.toFixed(0)} ms`,
    );
  });

  it('PUTs straight to the emulated OBS upload URL from the page in direct mode', async () => {
    const file = await random64();
    const { result, error } = await uploadThroughElement(file, { directUpload: true });
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await metaStudioObject(result!.fileId as string), file)).to.equal(-1);
    const stats = await metaStudioAdmin<Stats>('stats');
    expect(stats.putOrigins).to.deep.equal([location.origin]);
  });

  it('confirms CANCELLED when the upload is canceled during the PUT', async () => {
    const { emulatorUrl } = await e2eServers();
    await metaStudioAdmin('faults', { method: 'POST', body: { kind: 'delay', operation: 'PutObject', ms: 3000 } });
    const manager = new UploadManager({ adapter: createMetaStudioAdapter({ endpoint: `${emulatorUrl}/api/huawei-metastudio` }), resume: false });
    managers.push(manager);
    const [task] = await manager.addFiles([await diskFile(8 * MiB, 'cancel-me.png')]);
    manager.start();
    await once(manager, 'task-state', (d) => d.state === 'uploading');
    await new Promise((r) => setTimeout(r, 300));
    await manager.cancel(task!.id);
    expect(task!.state).to.equal('canceled');
    const files = await metaStudioAdmin<Array<{ state: string }>>('files');
    expect(files.map((f) => f.state)).to.deep.equal(['CANCELLED']);
  });

  it('starts over in a new file, deleting the old one, when OBS says the upload URL expired', async () => {
    const { emulatorUrl } = await e2eServers();
    await metaStudioAdmin('faults', { method: 'POST', body: { kind: 'expire', operation: 'PutObject' } });
    const manager = new UploadManager({ adapter: createMetaStudioAdapter({ endpoint: `${emulatorUrl}/api/huawei-metastudio` }), resume: false });
    managers.push(manager);
    const file = await diskFile(3 * MiB + 5, 'expiring.wav');
    await manager.addFiles([file]);
    const done = once(manager, 'task-complete');
    manager.start();
    const { result } = await done;
    const files = await metaStudioAdmin<Array<{ fileId: string; state: string }>>('files');
    expect(files.map((f) => f.state)).to.deep.equal(['DELETED', 'UPLOADED']);
    expect(result.fileId).to.equal(files[1]!.fileId);
    expect(await firstDifferenceFromFile(await metaStudioObject(result.fileId as string), file)).to.equal(-1);
  });
});
