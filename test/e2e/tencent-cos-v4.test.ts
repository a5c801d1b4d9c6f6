import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import { createTencentCosV4Adapter } from '../../src/providers/tencent-cos-v4.js';
import type { TencentCosV4AdapterOptions } from '../../src/providers/tencent-cos-v4.js';
import type { UploadResult } from '../../src/core/adapter.js';
import { diskFile, firstDifferenceFromFile } from '../helpers/e2e.js';
import { cosV4Admin, cosV4E2eOptions, cosV4Object, type CosV4E2eStats } from '../helpers/tencent-cos-v4-e2e.js';
import { once, leavePageAfter } from '../helpers/manager-events.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { useManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

describe('Tencent COS v4 end to end over real HTTP', function () {
  this.timeout(180_000);
  const managerWith = useManagers('mcu-e2e-cos', () => cosV4Admin('reset', { method: 'POST' }));

  async function manager(options: Partial<TencentCosV4AdapterOptions> = {}, concurrency = 3): Promise<UploadManager> {
    return managerWith({ adapter: createTencentCosV4Adapter({ ...(await cosV4E2eOptions()), ...options }), concurrency });
  }

  async function upload(made: UploadManager, file: File): Promise<UploadResult> {
    await made.addFiles([file]);
    const done = once(made, 'task-complete');
    made.start();
    return (await done).result;
  }

  /** Starts an upload, pauses it once `bytes` are sent, and drops the manager as a reload would. */
  async function uploadUntil(made: UploadManager, file: File, bytes: number): Promise<number[]> {
    await made.addFiles([file]);
    made.start();
    await leavePageAfter(made, bytes);
    return (await cosV4Admin<CosV4E2eStats>('stats')).partNumbersReceived;
  }

  it('uploads a 48 MiB random file through <multi-cloud-uploader> and the signature handler, byte for byte', async () => {
    const options = await cosV4E2eOptions();
    const file = await diskFile(48 * MiB + 17, 'cos-48.bin');
    const el = await fixture<MultiCloudUploader>(
      html`<multi-cloud-uploader provider="tencent-cos-v4" endpoint=${options.endpoint} .adapterOptions=${{ getSignature: options.getSignature }} no-resume></multi-cloud-uploader>`,
    );
    const { result, error } = await elementOutcome(el, file);
    expect(error).to.equal(undefined);
    expect(result!.key).to.equal('cos-48.bin');
    expect(await firstDifferenceFromFile(await cosV4Object('cos-48.bin'), file)).to.equal(-1);
    const stats = await cosV4Admin<CosV4E2eStats>('stats');
    expect(stats.data).to.equal(49);
    expect(stats.finish).to.equal(1);
    expect(JSON.parse(stats.initForms[0]!['uploadparts']!)).to.have.length(49);
  });

  it('resumes after a reload: a new manager on the same IndexedDB lists the slices and sends only the missing ones', async () => {
    const file = await diskFile(24 * MiB + 3, 'cos-resume.bin');
    const before = await uploadUntil(await manager({}, 2), file, 8 * MiB);
    expect(before.length).to.be.within(1, 24);

    const second = await manager({}, 2);
    const result = await upload(second, file);
    const stats = await cosV4Admin<CosV4E2eStats>('stats');
    const resent = stats.partNumbersReceived.slice(before.length);
    expect(second.tasks[0]!.resumed).to.equal(true);
    expect(stats.list).to.equal(1);
    expect(stats.init).to.equal(1);
    expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
    expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await firstDifferenceFromFile(await cosV4Object(result.key as string), file)).to.equal(-1);
  });

  it('resumes through -4019 with no checkpoint left: init names the unfinished session, the list gives its slices', async () => {
    const file = await diskFile(22 * MiB + 5, 'cos-4019.bin');
    const before = await uploadUntil(await manager({ listBeforeInit: false }, 1), file, 6 * MiB);
    managerWith.forgetCheckpoints();

    const result = await upload(await manager({ listBeforeInit: false }), file);
    const stats = await cosV4Admin<CosV4E2eStats>('stats');
    expect(stats.initForms).to.have.length(2);
    expect(stats.list).to.equal(1);
    const resent = stats.partNumbersReceived.slice(before.length);
    expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
    expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(await firstDifferenceFromFile(await cosV4Object(result.key as string), file)).to.equal(-1);
  });

  it('rapid upload: the same bytes under another name finish at init, with no slice sent', async () => {
    const file = await diskFile(21 * MiB, 'cos-rapid-a.bin');
    await upload(await manager(), file);
    const sent = (await cosV4Admin<CosV4E2eStats>('stats')).data;

    const copy = new File([file], 'cos-rapid-b.bin', { lastModified: file.lastModified });
    const result = await upload(await manager(), copy);
    const stats = await cosV4Admin<CosV4E2eStats>('stats');
    expect(result.rapid).to.equal(true);
    expect(stats.rapid).to.equal(1);
    expect(stats.data).to.equal(sent);
    expect(await firstDifferenceFromFile(await cosV4Object('cos-rapid-b.bin'), file)).to.equal(-1);
  });

  it('survives a connection dropped mid-slice and a 503, and sends a small file in one op=upload', async () => {
    await cosV4Admin('faults', { method: 'POST', body: { kind: 'drop', partNumber: 2 } });
    await cosV4Admin('faults', { method: 'POST', body: { kind: 'fail', partNumber: 3, status: 503, retryAfter: '0' } });
    const file = await diskFile(21 * MiB + 1, 'cos-faults.bin');
    const result = await upload(await manager(), file);
    const faults = await cosV4Admin<Array<{ fired: number }>>('faults');
    expect(faults.map((fault) => fault.fired)).to.deep.equal([1, 1]);
    expect(await firstDifferenceFromFile(await cosV4Object(result.key as string), file)).to.equal(-1);

    const small = await diskFile(3 * MiB + 7, 'cos-small.bin');
    await upload(await manager(), small);
    expect((await cosV4Admin<CosV4E2eStats>('stats')).upload).to.equal(1);
    expect(await firstDifferenceFromFile(await cosV4Object('cos-small.bin'), small)).to.equal(-1);
  });
});
