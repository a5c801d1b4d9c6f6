import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { createIflytekOstAdapter } from '../../src/providers/iflytek-ost.js';
import { diskFile, firstDifferenceFromFile } from '../helpers/e2e.js';
import { once, leavePageAfter } from '../helpers/manager-events.js';
import { iflytekOstAdmin, iflytekOstEndpoint, iflytekOstFile, savedSliceIds } from '../helpers/iflytek-ost-e2e.js';
import type { IflytekOstStats } from '../helpers/iflytek-ost-e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { useManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

describe('iFlytek OST end to end: element → signing proxy → emulator over real HTTP', function () {
  this.timeout(180_000);
  const managerWith = useManagers('mcu-e2e-ost', () => iflytekOstAdmin('reset', { method: 'POST' }));

  async function manager(options: { concurrency?: number; resume?: boolean } = {}) {
    const endpoint = await iflytekOstEndpoint();
    return managerWith({ adapter: createIflytekOstAdapter({ endpoint }), partSize: 5 * MiB, retryHooks: { wait: async () => {} }, ...options });
  }

  // Chromium reports upload progress about every 50 ms: a 16 MiB slice takes longer than that through the proxy even
  // on an idle machine, where a 5 MiB one could be sent between two reports.
  const SLICE = 16 * MiB;

  it('uploads a 40 MiB random file through <multi-cloud-uploader> in form-data slices, byte for byte, with progress inside slices', async () => {
    const endpoint = await iflytekOstEndpoint();
    const file = await diskFile(40 * MiB + 17, 'ost-40.bin');
    const el = await fixture<MultiCloudUploader>(
      html`<multi-cloud-uploader provider="iflytek-ost" endpoint=${endpoint} part-size=${String(SLICE)} no-resume></multi-cloud-uploader>`,
    );
    const inside: number[] = [];
    // The manager's own events carry every XHR progress event; mcu-progress is throttled to animation frames.
    el.manager.addEventListener('task-progress', (event) => {
      const { bytesSent } = event.detail.progress;
      if (bytesSent % SLICE !== 0 && bytesSent < file.size) inside.push(bytesSent);
    });
    const { result, error } = await elementOutcome(el, file);
    expect(error).to.equal(undefined);
    const stats = await iflytekOstAdmin<IflytekOstStats>('stats');
    expect(stats).to.include({ single: 0, init: 1, upload: 3, complete: 1 });
    expect([...stats.sliceIdsReceived].sort((a, b) => a - b)).to.deep.equal([1, 2, 3]);
    expect(await firstDifferenceFromFile(await iflytekOstFile(result!.url), file)).to.equal(-1);
    // The URL the service returned serves the assembled bytes too.
    const served = new Uint8Array(await (await fetch(result!.url as string)).arrayBuffer());
    expect(await firstDifferenceFromFile(served, file)).to.equal(-1);
    expect(inside.length, 'XHR reports upload progress for FormData bodies').to.be.greaterThan(0);
  });

  it('sends a small file in one /file/upload request through the streaming proxy', async () => {
    const file = await diskFile(3 * MiB + 5, 'ost-small.bin');
    const created = await manager({ resume: false });
    await created.addFiles([file]);
    const done = once(created, 'task-complete');
    created.start();
    const { result } = await done;
    expect(await iflytekOstAdmin<IflytekOstStats>('stats')).to.include({ single: 1, init: 0, upload: 0 });
    expect(await firstDifferenceFromFile(await iflytekOstFile(result.url), file)).to.equal(-1);
  });

  it('resumes after a reload: a new manager on the same IndexedDB sends only the missing slices', async () => {
    const file = await diskFile(40 * MiB + 3, 'ost-resume.bin');
    const first = await manager({ concurrency: 2 });
    await first.addFiles([file]);
    first.start();
    await leavePageAfter(first, 15 * MiB);
    const saved = await savedSliceIds(managerWith.dbName);
    expect(saved.length).to.be.within(1, 8);
    const before = (await iflytekOstAdmin<IflytekOstStats>('stats')).sliceIdsReceived;

    const second = await manager({ concurrency: 2 });
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    const stats = await iflytekOstAdmin<IflytekOstStats>('stats');
    const resent = stats.sliceIdsReceived.slice(before.length);
    expect(task!.resumed).to.equal(true);
    expect(stats.init).to.equal(1);
    // Exactly the slices the checkpoint did not hold. A slice whose answer the pause cut off counts as missing, and
    // the service may still have been storing it when the stats were read, so it can appear twice.
    expect(resent.filter((id) => saved.includes(id))).to.deep.equal([]);
    expect([...new Set(resent)].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9].filter((id) => !saved.includes(id)));
    expect(await firstDifferenceFromFile(await iflytekOstFile(result.url), file)).to.equal(-1);
  });

  it('cancel calls mpupload/cancel on the service', async () => {
    await iflytekOstAdmin('faults', { method: 'POST', body: { kind: 'delay', operation: 'UploadPart', ms: 400, times: 20 } });
    const created = await manager({ resume: false });
    const [task] = await created.addFiles([await diskFile(30 * MiB, 'ost-cancel.bin')]);
    created.start();
    await once(created, 'task-state', (d) => d.state === 'uploading');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await created.cancel(task!.id);
    const stats = await iflytekOstAdmin<IflytekOstStats>('stats');
    expect(stats.cancel).to.equal(1);
    expect(stats.complete).to.equal(0);
    expect(await iflytekOstAdmin('uploads')).to.deep.equal([]);
  });

  it('survives a slice dropped mid-body, a gateway 500, and a stale date (signed again at once)', async () => {
    await iflytekOstAdmin('faults', { method: 'POST', body: { kind: 'drop', partNumber: 2 } });
    await iflytekOstAdmin('faults', { method: 'POST', body: { kind: 'fail', partNumber: 3, status: 500 } });
    await iflytekOstAdmin('faults', { method: 'POST', body: { kind: 'expire', operation: 'Complete' } });
    const errors: string[] = [];
    const endpoint = await iflytekOstEndpoint();
    const created = managerWith({
      adapter: createIflytekOstAdapter({ endpoint }),
      resume: false,
      partSize: 5 * MiB,
      retryHooks: { wait: async () => {}, onRetry: (error) => void errors.push(error.code) },
    });
    const file = await diskFile(21 * MiB, 'ost-faults.bin');
    await created.addFiles([file]);
    const done = once(created, 'task-complete');
    created.start();
    const { result } = await done;
    const faults = await iflytekOstAdmin<Array<{ kind: string; fired: number }>>('faults');
    expect(faults.map((fault) => [fault.kind, fault.fired])).to.deep.equal([
      ['drop', 1],
      ['fail', 1],
      ['expire', 1],
    ]);
    expect(errors).to.include.members(['server-error', 'url-expired']);
    expect(await firstDifferenceFromFile(await iflytekOstFile(result.url), file)).to.equal(-1);
  });
});
