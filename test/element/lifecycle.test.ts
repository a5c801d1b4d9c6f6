import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { fileOf, memoryAdapter, removeUploaders, stateOf, uploader } from '../helpers/element-fixture.js';

const KiB = 1024;

/** Resolves after `ms`; used to show that nothing more happens in that time. */
const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lifecycle', () => {
  afterEach(removeUploaders);

  it('pauses its uploads when removed from the page and keeps their checkpoints', async () => {
    const adapter = memoryAdapter({ delayMs: 30 });
    const el = await uploader(adapter, html`<multi-cloud-uploader part-size="1024" concurrency="1"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(64 * KiB, 'leaving.bin')]);
    el.start();
    await waitUntil(() => adapter.attempts.length >= 3, 'no parts sent', { timeout: 5000 });
    el.remove();
    await waitUntil(() => el.files[0].state === 'paused', 'removal did not pause', { timeout: 5000 });
    const sent = adapter.attempts.length;
    await quiet(300);
    expect(adapter.attempts.length).to.equal(sent);
    const records = await el.manager.findResumable();
    expect(records.map((record) => record.file.name)).to.deep.equal(['leaving.bin']);
  });

  it('keeps uploading when moved within the page', async () => {
    const adapter = memoryAdapter({ delayMs: 20 });
    const el = await uploader(adapter, html`<multi-cloud-uploader no-resume part-size="1024" concurrency="1"></multi-cloud-uploader>`);
    const elsewhere = await fixture<HTMLElement>(html`<section></section>`);
    await el.addFiles([fileOf(16 * KiB, 'moving.bin')]);
    el.start();
    await stateOf(el, 'uploading');
    elsewhere.append(el);
    await quiet(100);
    expect(el.files[0].state).to.equal('uploading');
    await stateOf(el, 'done');
    expect(adapter.stored.get('moving.bin')?.byteLength).to.equal(16 * KiB);
  });

  it('stops everything on destroy(), keeping checkpoints for a later visit', async () => {
    const adapter = memoryAdapter({ delayMs: 30 });
    const el = await uploader(adapter, html`<multi-cloud-uploader multiple part-size="1024" concurrency="2"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(32 * KiB, 'one.bin', undefined, 1), fileOf(32 * KiB, 'two.bin', undefined, 2)]);
    el.start();
    await waitUntil(() => adapter.attempts.length >= 4, 'no parts sent', { timeout: 5000 });
    const manager = el.manager;
    el.destroy();
    await waitUntil(() => manager.tasks.every((task) => task.state === 'paused'), 'destroy did not stop the files', { timeout: 5000 });
    const sent = adapter.attempts.length;
    await quiet(300);
    expect(adapter.attempts.length).to.equal(sent);
    expect(el.files).to.have.length(0);
    const records = await manager.findResumable();
    expect(records.map((record) => record.file.name).sort()).to.deep.equal(['one.bin', 'two.bin']);
  });
});
