import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { createStore, entries } from 'idb-keyval';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createMetaStudioAdapter } from '../../src/providers/huawei-metastudio.js';
import type { MetaStudioAdapterOptions, MetaStudioSession } from '../../src/providers/huawei-metastudio.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import type { UploadState } from '../../src/core/types.js';
import { fileWithBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome } from '../helpers/manager-events.js';
import { METASTUDIO_TEST, metaStudioWorld, type SeenRequest } from '../helpers/huawei-metastudio-setup.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const world = metaStudioWorld();
const { emulator } = world;
const worker = setupWorker(...world.handlers);

function fileOf(size: number, name = 'contract.png', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed, '');
}

/** A File whose reads on the page are counted: nothing may read a file that is refused when added. */
class CountingFile extends File {
  reads = 0;
  override slice(...args: Parameters<Blob['slice']>): Blob {
    this.reads++;
    return super.slice(...args);
  }
  override stream(): ReturnType<Blob['stream']> {
    this.reads++;
    return super.stream();
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    this.reads++;
    return super.arrayBuffer();
  }
}

describe('Huawei MetaStudio adapter against the strict emulator, through the shipped handler (in the page)', () => {
  let dbName: string;
  let waits: number[];
  let seen: SeenRequest[];
  let timeline: string[];
  const inFlight = new Set<string>();
  const managers: UploadManager[] = [];

  function setup(adapterOptions: Partial<MetaStudioAdapterOptions> = {}, options: Partial<UploadManagerOptions> = {}, adapter?: ProviderAdapter) {
    const manager = new UploadManager({
      adapter: adapter ?? createMetaStudioAdapter({ endpoint: world.endpoint, ...adapterOptions }),
      checkpointStore: new CheckpointStore({ dbName }),
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  /** A page that started `file`, paused while its PUT was under way (the PUT must be delayed), and went away. */
  async function pausedMidPut(file: File): Promise<void> {
    const first = setup();
    await first.addFiles([file]);
    first.start();
    await once(first, 'task-state', (d) => d.state === 'uploading');
    await new Promise((r) => setTimeout(r, 200));
    first.pause();
    await once(first, 'task-state', (d) => d.state === 'paused');
    first.dispose();
  }

  const pageRequests = () => seen.filter((r) => r.path.startsWith(METASTUDIO_TEST.apiPath) || r.path.includes('/obs/'));

  before(async () => {
    await worker.start({ quiet: true, onUnhandledRequest: 'bypass' });
    worker.events.on('request:end', ({ requestId }) => void inFlight.delete(requestId));
    worker.events.on('request:start', ({ request, requestId }) => {
      inFlight.add(requestId);
      const url = new URL(request.url);
      seen.push({ method: request.method, path: url.pathname, headers: Object.fromEntries(request.headers) });
      if (url.pathname.startsWith(METASTUDIO_TEST.apiPath)) timeline.push(`request:${request.method}`);
    });
  });
  after(() => {
    worker.events.removeAllListeners();
    worker.stop();
  });
  beforeEach(() => {
    dbName = `mcu-metastudio-${crypto.randomUUID()}`;
    waits = [];
    seen = [];
    timeline = [];
    emulator.reset();
    world.clock.skewMs = 0;
    world.useHandler();
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
    // A paused page's proxied PUT goes on inside the handler; it must land before the next test arms its faults.
    for (let waited = 0; inFlight.size > 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    inFlight.clear();
  });

  it('hashes the whole file first, then creates the asset and file, PUTs it once with Content-MD5 and Content-Type, and confirms CREATED', async () => {
    // The note's test vector: 2,621,440 generator bytes from seed 1 have file_md5 tM+9q6NqM7xQ6mfGOdsdEw==.
    const { file, bytes } = fileOf(2_621_440, 'vector.png', 1);
    const manager = setup();
    const states: UploadState[] = [];
    manager.addEventListener('task-state', (e) => {
      states.push(e.detail.state);
      timeline.push(`state:${e.detail.state}`);
    });
    manager.addEventListener('task-progress', (e) => {
      if (e.detail.progress.bytesHashed === file.size && !timeline.includes('hashed')) timeline.push('hashed');
    });
    const { result, error } = await uploadOutcome(manager, file);

    expect(error).to.equal(undefined);
    expect(states).to.deep.equal(['hashing', 'uploading', 'completing', 'done']);
    expect(timeline.indexOf('hashed')).to.be.greaterThan(-1).and.lessThan(timeline.indexOf('request:POST'));
    const stored = emulator.fileRecord(result!.fileId as string)!;
    expect(stored.fileMd5).to.equal('tM+9q6NqM7xQ6mfGOdsdEw==');
    expect(stored.state).to.equal('UPLOADED');
    expect(stored.category).to.equal('MAIN');
    expect(stored.fileType).to.equal('png');
    expect(emulator.storedBytes(stored.fileId)).to.deep.equal(bytes);
    expect(result!.assetId).to.equal(stored.assetId);

    const calls = pageRequests().filter((r) => r.path.startsWith(METASTUDIO_TEST.apiPath));
    expect(calls.map((r) => `${r.method} ${r.path.slice(METASTUDIO_TEST.apiPath.length)}`)).to.deep.equal([
      'POST /assets',
      'POST /files',
      `PUT /files/${stored.fileId}/content`,
      `POST /files/${stored.fileId}/complete`,
    ]);
    const put = calls[2]!;
    expect(put.headers['content-md5']).to.equal('tM+9q6NqM7xQ6mfGOdsdEw==');
    expect(put.headers['content-type']).to.equal('image/png');
    expect(emulator.stats).to.deep.include({ createAsset: 1, createFile: 1, putObject: 1 });
    expect(emulator.stats.confirmations).to.deep.equal(['CREATED']);
  });

  it('sends the Content-Type of the doc\'s table for each file type, octet-stream otherwise', async () => {
    const cases: Array<[string, string]> = [
      ['clip.mp4', 'video/mp4'],
      ['photo.JPG', 'image/jpeg'],
      ['song.mp3', 'audio/mp3'],
      ['voice.wav', 'audio/wav'],
      ['anim.gif', 'image/gif'],
      ['model.fbx', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) {
      const { result, error } = await uploadOutcome(setup(), fileOf(1000, name).file);
      expect(error, name).to.equal(undefined);
      const put = seen.find((r) => r.method === 'PUT' && r.path.endsWith(`${result!.fileId as string}/content`));
      expect(put?.headers['content-type'], name).to.equal(type);
    }
    expect(emulator.stats.putObject).to.equal(cases.length);
  });

  it('PUTs straight to the OBS upload URL in direct mode, with the URL asked of the handler and never stored', async () => {
    const { file, bytes } = fileOf(300_000, 'direct.mp4');
    const { result, error } = await uploadOutcome(setup({ directUpload: true }), file);
    expect(error).to.equal(undefined);
    const fileId = result!.fileId as string;
    expect(emulator.storedBytes(fileId)).to.deep.equal(bytes);
    const methods = pageRequests().map((r) => `${r.method} ${r.path.includes('/obs/') ? 'OBS' : r.path.slice(METASTUDIO_TEST.apiPath.length)}`);
    expect(methods).to.deep.equal(['POST /assets', 'POST /files', `GET /files/${fileId}/upload-url`, 'PUT OBS', `POST /files/${fileId}/complete`]);
    const obsPut = pageRequests().find((r) => r.path.includes('/obs/'))!;
    expect(obsPut.headers['content-type']).to.equal('video/mp4');
  });

  // Seed 003 (CreateFile): "资产类型为VIDEO时,包含MAIN、COVER" and "一个资产中MAIN文件只有一个,且必须有一个".
  it('uploads into a given asset with a given category, MAIN first, and maps a second MAIN file to MSS.10001008', async () => {
    const assetId = emulator.createAsset('course', 'VIDEO');
    const early = await uploadOutcome(setup({ assetId, assetFileCategory: 'COVER' }), fileOf(2000, 'early.jpg').file);
    expect(early.error?.code, 'a COVER before the asset has its MAIN').to.equal('provider-rejected');
    const main = await uploadOutcome(setup({ assetId }), fileOf(2000, 'main.mp4').file);
    expect(main.error).to.equal(undefined);
    const cover = await uploadOutcome(setup({ assetId, assetFileCategory: 'COVER' }), fileOf(2000, 'cover.jpg').file);
    expect(cover.error).to.equal(undefined);
    expect(emulator.fileRecord(cover.result!.fileId as string)).to.deep.include({ assetId, category: 'COVER', state: 'UPLOADED' });
    expect(emulator.stats.createAsset).to.equal(0);

    const second = await uploadOutcome(setup({ assetId }), fileOf(2000, 'again.mp4', 9).file);
    expect(second.error?.code).to.equal('provider-rejected');
    expect(second.error?.provider?.code).to.equal('MSS.10001008');
    expect(second.error?.message).to.contain('MAIN');
  });

  it('authenticates with an IAM token too, and fetches a new token once when MetaStudio says it expired', async () => {
    const staticToken = await uploadOutcome(setup(), fileOf(1000, 'a.png').file);
    world.useHandler({ auth: { token: METASTUDIO_TEST.staticToken } });
    const withStatic = await uploadOutcome(setup(), fileOf(1000, 'b.png').file);
    expect([staticToken.error, withStatic.error]).to.deep.equal([undefined, undefined]);

    const tokens = [emulator.issueToken(-1), emulator.issueToken()];
    let asked = 0;
    world.useHandler({ auth: { token: async () => tokens[asked++]! } });
    const refreshed = await uploadOutcome(setup(), fileOf(1000, 'c.png').file);
    expect(refreshed.error).to.equal(undefined);
    expect(asked).to.equal(2);
    expect(waits).to.deep.equal([]);
  });

  it('refuses a file over 5 GiB when it is added, before any byte is read or any request is sent', async () => {
    const MiBBlob = new Blob([new Uint8Array(MiB)]);
    // Blobs made of other blobs reference them: 5 GiB + 1 MiB without 5 GiB of memory.
    const huge = new CountingFile(Array<Blob>(5 * 1024 + 1).fill(MiBBlob), 'huge.mp4');
    expect(huge.size).to.equal(5 * GiB + MiB);
    const manager = setup();
    const rejected = once(manager, 'task-rejected');
    const tasks = await manager.addFiles([huge]);
    const { error } = await rejected;
    expect(tasks).to.deep.equal([]);
    expect(error.code).to.equal('file-too-large');
    expect(error.message).to.contain('5368709120');
    expect(huge.reads).to.equal(0);
    expect(pageRequests()).to.deep.equal([]);

    const exactly = new CountingFile(Array<Blob>(5 * 1024).fill(MiBBlob), 'exactly-5-gib.mp4');
    const accepted = await setup({}, { autoStart: false }).addFiles([exactly]);
    expect(accepted).to.have.length(1);
    expect(exactly.reads).to.equal(0);
  });

  it('refuses names outside the documented rules with a clear error, and takes fileType for a name without extension', async () => {
    const manager = setup();
    const refusals: Array<{ code: string; message: string }> = [];
    manager.addEventListener('task-rejected', (e) => refusals.push({ code: e.detail.error.code, message: e.detail.error.message }));
    await manager.addFiles([fileOf(10, `${'n'.repeat(253)}.png`).file, fileOf(10, 'README').file, fileOf(10, `${'😀'.repeat(252)}.png`).file]);
    expect(refusals.map((r) => r.code)).to.deep.equal(['provider-rejected', 'file-type-rejected']);
    expect(refusals[0]!.message).to.contain('at most 256');
    expect(refusals[1]!.message).to.contain('fileType');

    const { result, error } = await uploadOutcome(setup({ fileType: 'txt' }), fileOf(500, 'README').file);
    expect(error).to.equal(undefined);
    expect(emulator.fileRecord(result!.fileId as string)?.fileType).to.equal('txt');
  });

  it('has a wrong Content-MD5 refused by OBS (BadDigest), retries, then fails with hash-mismatch and confirms FAILED', async () => {
    const base = createMetaStudioAdapter({ endpoint: world.endpoint });
    const wrongMd5: ProviderAdapter<MetaStudioSession> = {
      ...base,
      create: (ctx) => base.create({ ...ctx, digest: async () => 'AAAAAAAAAAAAAAAAAAAAAA==' }),
    };
    const manager = setup({}, { retryPolicy: { retries: 2 } }, wrongMd5);
    const settled = once(manager, 'queue-complete');
    const { error } = await uploadOutcome(manager, fileOf(4000, 'bad.png').file);
    await settled;
    expect(error?.code).to.equal('hash-mismatch');
    expect(error?.provider?.code).to.equal('BadDigest');
    expect(waits).to.have.length(2);
    expect(emulator.stats.putObject).to.equal(0);
    const [stored] = emulator.listFiles();
    expect(stored!.state).to.equal('FAILED');
    expect(stored!.storedSize).to.equal(null);
    expect(emulator.stats.confirmations).to.deep.equal(['FAILED']);
  });

  it('confirms CANCELLED when the upload is canceled during the PUT', async () => {
    emulator.faults.delay(400, { operation: 'PutObject' });
    const manager = setup();
    const [task] = await manager.addFiles([fileOf(50_000, 'cancel.png').file]);
    manager.start();
    await once(manager, 'task-state', (d) => d.state === 'uploading');
    await new Promise((r) => setTimeout(r, 100));
    await manager.cancel(task!.id);
    expect(task!.state).to.equal('canceled');
    expect(emulator.stats.confirmations).to.deep.equal(['CANCELLED']);
    expect(emulator.listFiles().map((f) => f.state)).to.deep.equal(['CANCELLED']);
    expect(await entries(createStore(dbName, 'checkpoints'))).to.deep.equal([]);
  });

  it('resumes after a reload within 24 h on the same file, sending the whole file again, with no URL or token in IndexedDB', async () => {
    emulator.faults.delay(1500, { operation: 'PutObject' });
    const { file, bytes } = fileOf(200_000, 'resume.png');
    await pausedMidPut(file);

    const records = await entries(createStore(dbName, 'checkpoints'));
    expect(records).to.have.length(1);
    const stored = JSON.stringify((records[0]![1] as { session: unknown }).session);
    expect(stored).to.not.match(/AccessKeyId|Signature|Expires=|\?|token|https?:/i);
    expect(stored).to.contain('"fileId"');

    const second = setup();
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task!.resumed).to.equal(true);
    expect(emulator.stats.createFile).to.equal(1);
    expect(result.fileId).to.equal(JSON.parse(stored).fileId);
    expect(emulator.storedBytes(result.fileId as string)).to.deep.equal(bytes);
    expect(emulator.stats.confirmations).to.deep.equal(['CREATED']);
  });

  it('starts over in a new file when the upload URL expired (resumed after 25 h), without counting a failure', async () => {
    emulator.faults.delay(1500, { operation: 'PutObject' });
    const { file, bytes } = fileOf(200_000, 'late.png');
    await pausedMidPut(file);
    const [old] = emulator.listFiles();

    world.clock.skewMs = 25 * 60 * 60 * 1000;
    const second = setup();
    const { result, error } = await uploadOutcome(second, file);
    expect(error).to.equal(undefined);
    expect(result!.fileId).to.not.equal(old!.fileId);
    expect(emulator.fileRecord(old!.fileId)?.state).to.equal('DELETED');
    expect(emulator.fileRecord(result!.fileId as string)).to.deep.include({ state: 'UPLOADED', assetId: old!.assetId });
    expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(emulator.stats.createFile).to.equal(2);
    expect(waits).to.deep.equal([]);
  });

  it('creates a new file (in a new asset of its own) when the handler forgot the upload after a restart', async () => {
    emulator.faults.delay(1500, { operation: 'PutObject' });
    const { file, bytes } = fileOf(100_000, 'restart.png');
    await pausedMidPut(file);
    const [old] = emulator.listFiles();

    world.useHandler();
    const { result, error } = await uploadOutcome(setup(), file);
    expect(error).to.equal(undefined);
    expect(result!.fileId).to.not.equal(old!.fileId);
    expect(result!.assetId).to.not.equal(old!.assetId);
    expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
    expect(emulator.stats.createAsset).to.equal(2);
  });

  it('with a secret, keeps no record: the sealed upload_ref in the checkpoint resumes after a reload and a handler restart', async () => {
    world.useHandler({ secret: METASTUDIO_TEST.secret });
    emulator.faults.delay(1500, { operation: 'PutObject' });
    const { file, bytes } = fileOf(150_000, 'sealed.png');
    await pausedMidPut(file);

    const records = await entries(createStore(dbName, 'checkpoints'));
    expect(records).to.have.length(1);
    const session = (records[0]![1] as { session: MetaStudioSession }).session;
    expect(session.uploadRef).to.match(/^[A-Za-z0-9_-]{100,}$/);
    expect(JSON.stringify(session)).to.not.match(/AccessKeyId|Signature|Expires=|\?|https?:/i);

    // Another instance with the same secret, as after a restart or behind a load balancer.
    world.useHandler({ secret: METASTUDIO_TEST.secret });
    const second = setup();
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task!.resumed).to.equal(true);
    expect(result.fileId).to.equal(session.fileId);
    expect(emulator.stats).to.deep.include({ createAsset: 1, createFile: 1 });
    expect(emulator.storedBytes(session.fileId)).to.deep.equal(bytes);
    const routes = pageRequests().filter((r) => r.path.startsWith(`${METASTUDIO_TEST.apiPath}/files/`)).map((r) => `${r.method} ${r.path}`);
    expect(routes).to.include(`PUT ${METASTUDIO_TEST.apiPath}/files/${session.uploadRef}/content`);
    expect(routes).to.include(`POST ${METASTUDIO_TEST.apiPath}/files/${session.uploadRef}/complete`);
    expect(routes.some((route) => route.includes(session.fileId))).to.equal(false);
  });

  it('re-creates the file at once when OBS says the URL expired mid-session', async () => {
    const fault = emulator.faults.expireUrls({ operation: 'PutObject' });
    const { file, bytes } = fileOf(30_000, 'expire.png');
    const { result, error } = await uploadOutcome(setup(), file);
    expect(error).to.equal(undefined);
    expect(fault.fired).to.equal(1);
    expect(waits).to.deep.equal([]);
    expect(emulator.stats.createFile).to.equal(2);
    expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  it('retries a dropped PUT connection and a MetaStudio 500, then succeeds', async () => {
    emulator.faults.dropConnection({ operation: 'PutObject' }, { afterBytes: 1000 });
    emulator.faults.failRequest({ operation: 'ConfirmFileUpload' }, { status: 500 });
    const { file, bytes } = fileOf(60_000, 'flaky.png');
    const { result, error } = await uploadOutcome(setup(), file);
    expect(error).to.equal(undefined);
    expect(waits).to.have.length(2);
    expect(emulator.storedBytes(result!.fileId as string)).to.deep.equal(bytes);
  });

  describe('one error per class', () => {
    it('auth: the handler\'s AK/SK is refused (MSS.00000001) → auth-failed, not retried', async () => {
      world.useHandler({ auth: { accessKey: METASTUDIO_TEST.credentials.accessKey, secretKey: 'wrong' } });
      const { error } = await uploadOutcome(setup(), fileOf(1000, 'auth.png').file);
      expect(error?.code).to.equal('auth-failed');
      expect(error?.provider?.code).to.equal('MSS.00000001');
      expect(error?.provider?.requestId).to.match(/^[0-9a-f]{32}$/);
      expect(waits).to.deep.equal([]);
    });

    it('expired: a token that stays expired ends as url-expired after the re-tries', async () => {
      world.useHandler({ auth: { token: async () => emulator.issueToken(-1) } });
      const { error } = await uploadOutcome(setup(), fileOf(1000, 'expired.png').file);
      expect(error?.code).to.equal('url-expired');
      expect(error?.provider?.code).to.equal('APIGW.0307');
    });

    it('limit: a COVER over 5,242,880 bytes (MSS.10001007) → limit-exceeded', async () => {
      const assetId = emulator.createAsset('clip', 'VIDEO');
      const { error } = await uploadOutcome(setup({ assetId, assetFileCategory: 'COVER' }), fileOf(5_242_881, 'big-cover.png').file);
      expect(error?.code).to.equal('limit-exceeded');
      expect(error?.provider?.code).to.equal('MSS.10001007');
    });

    // Seed 003: "资产类型为IMAGE时,包含MAIN" and "一个资产中MAIN文件只有一个,且必须有一个".
    it('refuses before any request a category a new asset cannot start with: COVER for an image, anything but MAIN', async () => {
      const cover = await uploadOutcome(setup({ assetFileCategory: 'COVER' }), fileOf(1000, 'cover.png').file);
      expect([cover.error?.code, cover.error?.message]).to.deep.equal(['provider-rejected', 'A IMAGE asset takes MAIN files, not COVER; choose another `assetFileCategory`.']);
      const other = await uploadOutcome(setup({ assetFileCategory: 'OTHER' }), fileOf(1000, 'notes.txt').file);
      expect(other.error?.message).to.contain('must have a MAIN file');
      expect(emulator.stats).to.deep.include({ createAsset: 0, createFile: 0 });
    });

    it('not found: an unknown asset (MSS.10001001) → not-found', async () => {
      const { error } = await uploadOutcome(setup({ assetId: 'f'.repeat(32) }), fileOf(1000, 'lost.png').file);
      expect(error?.code).to.equal('not-found');
      expect(error?.provider?.code).to.equal('MSS.10001001');
    });

    it('server: MetaStudio failing every CreateFile (MSS.00000004) → server-error after the retries', async () => {
      emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 500, times: Infinity });
      const { error } = await uploadOutcome(setup({}, { retryPolicy: { retries: 3 } }), fileOf(1000, 'down.png').file);
      expect(error?.code).to.equal('server-error');
      expect(error?.provider?.code).to.equal('MSS.00000004');
      expect(waits).to.have.length(3);
    });

    it('category: a category the asset type does not allow (MSS.00000003) → provider-rejected', async () => {
      const assetId = emulator.createAsset('card', 'BUSINESS_CARD_TEMPLET');
      const { error } = await uploadOutcome(setup({ assetId, assetFileCategory: 'PAGE' }), fileOf(1000, 'page.png').file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.provider?.code).to.equal('MSS.00000003');
    });
  });
});

describeAdapterContract('huawei-metastudio', ADAPTER_HARNESSES['huawei-metastudio']!);
