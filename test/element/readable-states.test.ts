import { expect, html, waitUntil } from '@open-wc/testing';
import { fileOf, memoryAdapter, part, removeUploaders, rowButton, stateOf, uploader } from '../helpers/element-fixture.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';

const KiB = 1024;

function rowOf(el: MultiCloudUploader, state: string): HTMLElement | null {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="file"][data-state="${state}"]`);
}

function statusOf(row: HTMLElement): string {
  return row.querySelector('[part~="file-status"]')!.textContent!.trim();
}

describe('states a person can read', () => {
  afterEach(removeUploaders);

  it('shows a refused file as a row with the reason in words, in English and in Chinese, until dismissed', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple max-file-size="100" accept=".bin"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(101, 'huge.bin'), fileOf(10, 'notes.txt', 'text/plain')]);
    await el.updateComplete;
    const rows = [...el.shadowRoot!.querySelectorAll<HTMLElement>('[data-state="refused"]')];
    expect(rows.map((row) => [row.querySelector('[part~="file-name"]')!.textContent, statusOf(row)])).to.deep.equal([
      ['huge.bin', 'Not added · The file is too large.'],
      ['notes.txt', 'Not added · This type of file is not accepted.'],
    ]);
    expect(el.files).to.have.length(0);

    el.lang = 'zh-CN';
    await waitUntil(() => statusOf(rowOf(el, 'refused')!).startsWith('未添加'), 'no Chinese reason');
    expect(statusOf(rowOf(el, 'refused')!)).to.equal('未添加 · 文件太大。');

    rowButton(el, 'dismiss')!.click();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelectorAll('[data-state="refused"]')).to.have.length(1);
  });

  it('shows a file refused for a full list with the limit', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple max-files="1"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(1, 'a.bin'), fileOf(1, 'b.bin')]);
    await el.updateComplete;
    expect(statusOf(rowOf(el, 'refused')!)).to.equal('Not added · Only one file can be added.');
  });

  it('says a failing part is retrying, with the countdown and the attempt, and shows no speed meanwhile', async () => {
    const el = await uploader(
      memoryAdapter({ failPart: 1, failTimes: 3, failCode: 'server-error' }),
      html`<multi-cloud-uploader no-resume part-size="1024"></multi-cloud-uploader>`,
    );
    await el.addFiles([fileOf(4 * KiB)]);
    el.start();
    await el.updateComplete;
    const seen = new Set<string>();
    await waitUntil(
      () => {
        const text = part(el, 'file-status').textContent!.trim();
        if (text.startsWith('Retrying')) seen.add(text);
        return el.files[0].state === 'done';
      },
      'never finished',
      { timeout: 10_000, interval: 20 },
    );
    expect([...seen].length).to.be.greaterThan(0);
    for (const text of seen) {
      expect(text).to.match(/^Retrying in \d+ sec, attempt [1-3] of 5$/);
      expect(text).not.to.match(/\/s|left/);
    }
    expect([...seen].some((text) => text.endsWith('attempt 2 of 5') || text.endsWith('attempt 3 of 5'))).to.equal(true);
    await el.updateComplete;
    expect(part(el, 'file-status').textContent!.trim()).to.equal('Uploaded');
  });

  it('says so in Chinese too', async () => {
    const el = await uploader(
      memoryAdapter({ failPart: 1, failTimes: 2, failCode: 'server-error' }),
      html`<multi-cloud-uploader no-resume lang="zh-CN" part-size="1024"></multi-cloud-uploader>`,
    );
    await el.addFiles([fileOf(2 * KiB)]);
    el.start();
    await el.updateComplete;
    let seen = '';
    await waitUntil(
      () => {
        const text = part(el, 'file-status').textContent!.trim();
        if (text.includes('后重试')) seen = text;
        return el.files[0].state === 'done';
      },
      'never finished',
      { timeout: 10_000, interval: 20 },
    );
    expect(seen).to.match(/^\d+秒后重试,第 [12] 次,共 5 次$/);
  });

  it('keeps the bytes already stored on a paused row, without speed or time left', async () => {
    const el = await uploader(memoryAdapter({ delayMs: 30 }), html`<multi-cloud-uploader no-resume part-size="1024" concurrency="1"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(64 * KiB)]);
    el.start();
    await waitUntil(() => (el.files[0].progress.bytesStored ?? 0) >= 8 * KiB, 'nothing stored', { timeout: 5000 });
    const storedBeforePause = el.files[0].progress.bytesStored!;
    el.pause(el.files[0].id);
    await stateOf(el, 'paused');
    const stored = el.files[0].progress.bytesStored!;
    expect(stored).to.be.at.least(storedBeforePause);
    const bar = part<HTMLProgressElement>(el, 'file-progress');
    expect(bar.value).to.equal(Math.floor((stored / (64 * KiB)) * 100));
    expect(bar.value).to.be.greaterThan(0);
    const text = part(el, 'file-status').textContent!.trim();
    expect(text).to.match(/^Paused · [\d.]+ kB of 65\.5 kB saved$/);
  });

  it('tells what to do on a failed row', async () => {
    const rejected = await uploader(memoryAdapter({ failPart: 1, failCode: 'provider-rejected' }));
    await rejected.addFiles([fileOf(1 * KiB)]);
    rejected.start();
    await stateOf(rejected, 'failed');
    expect(part(rejected, 'file-status').textContent!.trim()).to.equal(
      'Failed · The storage service refused the upload. · Try again later, or tell the site owner.',
    );

    const unreadable = await uploader(memoryAdapter({ failPart: 1, failCode: 'file-unreadable' }));
    await unreadable.addFiles([fileOf(1 * KiB)]);
    unreadable.start();
    await stateOf(unreadable, 'failed');
    expect(part(unreadable, 'file-status').textContent).to.include('Add the file again.');
  });

  it('shows overall progress with how many files are uploaded', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
    await el.addFiles([fileOf(2 * KiB, 'a.bin'), fileOf(2 * KiB, 'b.bin')]);
    await el.updateComplete;
    expect(part(el, 'summary').textContent).to.include('0 of 2 uploaded');
    el.start();
    await waitUntil(() => el.files.every((task) => task.state === 'done'));
    await el.updateComplete;
    expect(part(el, 'summary').textContent!.trim()).to.equal('2 of 2 uploaded · 4.1 kB of 4.1 kB');
    expect(part<HTMLProgressElement>(el, 'overall-progress').value).to.equal(100);
    expect(rowOf(el, 'done')!.querySelector('[part~="file-status"] svg')).to.exist;
  });

  it('shows a thumbnail for an image, made off the main thread, and a type icon otherwise', async () => {
    const canvas = new OffscreenCanvas(300, 200);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#0a7';
    context.fillRect(0, 0, 300, 200);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
    await el.addFiles([new File([png], 'green.png', { type: 'image/png' }), fileOf(10, 'notes.pdf', 'application/pdf')]);
    await waitUntil(() => el.shadowRoot!.querySelector('[part~="file-thumbnail"] img'), 'no thumbnail', { timeout: 5000 });
    const image = el.shadowRoot!.querySelector<HTMLImageElement>('[part~="file-thumbnail"] img')!;
    await image.decode();
    expect(image.src).to.match(/^blob:/);
    expect([image.naturalWidth, image.naturalHeight]).to.deep.equal([96, 96]);
    expect(image.alt).to.equal('');
    const thumbnails = [...el.shadowRoot!.querySelectorAll('[part~="file-thumbnail"]')];
    expect(thumbnails[1].querySelector('svg')).to.exist;
  });
});

describe('speed and time left', () => {
  afterEach(removeUploaders);

  it('are shown only while bytes move: a part the store holds leaves "Uploading · N%" alone', async () => {
    const el = await uploader(
      memoryAdapter({ delayMs: 250, holdPart: 5 }),
      html`<multi-cloud-uploader no-resume part-size="16384" concurrency="1"></multi-cloud-uploader>`,
    );
    await el.addFiles([fileOf(96 * KiB, 'stalls.bin')]);
    el.start();
    await el.updateComplete;
    const statuses: string[] = [];
    await waitUntil(
      () => {
        statuses.push(part(el, 'file-status').textContent!.trim());
        return (el.files[0].progress.bytesStored ?? 0) >= 64 * KiB && /^Uploading · \d+%$/.test(statuses.at(-1)!);
      },
      'the stalled upload kept showing a speed',
      { timeout: 10_000, interval: 100 },
    );
    expect(statuses.some((text) => /kB\/s · \d+ sec left$/.test(text)), 'no speed while bytes moved').to.equal(true);
    // The engine still holds the last speed it measured; the row no longer shows it.
    expect(el.files[0].progress.speed).to.be.greaterThan(0);
    expect(part(el, 'summary').textContent).not.to.match(/\/s|left/);
  });
});
