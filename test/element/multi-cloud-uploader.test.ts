import { expect, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { McuErrorEvent, McuProgressEvent } from '../../src/element/events.js';
import { UploadError } from '../../src/core/errors.js';
import { fileOf, memoryAdapter, part, removeUploaders, rowButton, stateOf, uploader } from '../helpers/element-fixture.js';
import { makeBytes } from '../helpers/make-blob.js';
import { styles } from '../../src/element/multi-cloud-uploader.styles.js';

const KiB = 1024;
const XSS_NAME = '<img src=x onerror=alert(1)>.txt';

describe('<multi-cloud-uploader>', () => {
  afterEach(removeUploaders);

  describe('attributes', () => {
    it('passes concurrency, part-size and auto-start to the manager, and later changes too', async () => {
      const el = await uploader(
        memoryAdapter(),
        html`<multi-cloud-uploader no-resume concurrency="2" part-size="32768" auto-start></multi-cloud-uploader>`,
      );
      expect(el.manager.options).to.include({ concurrency: 2, partSize: 32768, autoStart: true, resume: false });
      el.setAttribute('concurrency', '3');
      el.removeAttribute('part-size');
      await el.updateComplete;
      expect(el.manager.options.concurrency).to.equal(3);
      expect(el.manager.options.partSize).to.equal(undefined);
    });

    it('refuses a file outside accept with mcu-error file-type-rejected', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume accept="image/*,.pdf"></multi-cloud-uploader>`);
      expect(part(el, 'drop-zone').querySelector('input[type="file"]')!.getAttribute('accept')).to.equal('image/*,.pdf');
      const refused = oneEvent(el, 'mcu-error');
      const tasks = await el.addFiles([fileOf(10, 'notes.txt', 'text/plain')]);
      const { detail } = await refused;
      expect(tasks).to.have.length(0);
      expect(detail.error).to.be.instanceOf(UploadError);
      expect(detail.error.code).to.equal('file-type-rejected');
      expect(detail.file.name).to.equal('notes.txt');
      expect(detail.taskId).to.equal(undefined);
      expect(await el.addFiles([fileOf(10, 'scan.pdf')])).to.have.length(1);
    });

    it('refuses a file over max-file-size with mcu-error file-too-large', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume max-file-size="100"></multi-cloud-uploader>`);
      const refused = oneEvent(el, 'mcu-error');
      await el.addFiles([fileOf(101)]);
      expect((await refused).detail.error.code).to.equal('file-too-large');
      expect(el.files).to.have.length(0);
      expect(part(el, 'drop-zone').textContent).to.include('100 bytes');
    });

    it('takes one file per selection unless multiple, and no more than max-files', async () => {
      const single = await uploader(memoryAdapter());
      const errors: McuErrorEvent[] = [];
      single.addEventListener('mcu-error', (event) => errors.push(event));
      await single.addFiles([fileOf(1, 'a'), fileOf(1, 'b')]);
      expect(single.files.map((task) => task.file.name)).to.deep.equal(['a']);
      expect(errors.map((event) => [event.detail.file.name, event.detail.error.code])).to.deep.equal([['b', 'limit-exceeded']]);

      const capped = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple max-files="2"></multi-cloud-uploader>`);
      await capped.addFiles([fileOf(1, 'a')]);
      await capped.addFiles([fileOf(1, 'b'), fileOf(1, 'c')]);
      expect(capped.files.map((task) => task.file.name)).to.deep.equal(['a', 'b']);
    });

    it('reflects disabled and disables the browse button', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume disabled></multi-cloud-uploader>`);
      expect(el.hasAttribute('disabled')).to.equal(true);
      expect(part<HTMLButtonElement>(el, 'browse-button').disabled).to.equal(true);
    });
  });

  describe('uploading', () => {
    it('fires mcu-file-added, mcu-progress and mcu-complete with the result, and stores the bytes', async () => {
      const adapter = memoryAdapter();
      const el = await uploader(adapter, html`<multi-cloud-uploader no-resume part-size="16384"></multi-cloud-uploader>`);
      const file = fileOf(100 * KiB, 'data.bin');
      const added = oneEvent(el, 'mcu-file-added');
      const progress: McuProgressEvent[] = [];
      el.addEventListener('mcu-progress', (event) => progress.push(event));
      const [task] = await el.addFiles([file]);
      const addedEvent = await added;
      expect(addedEvent.detail).to.deep.equal({ taskId: task.id, file });
      expect(addedEvent.bubbles && addedEvent.composed).to.equal(true);

      const complete = oneEvent(el, 'mcu-complete');
      el.start();
      const { detail } = await complete;
      expect(detail.taskId).to.equal(task.id);
      expect(detail.file).to.equal(file);
      expect(detail.result).to.include({ key: 'data.bin', location: 'memory://test/data.bin' });
      expect(adapter.stored.get('data.bin')).to.deep.equal(makeBytes(100 * KiB));

      await waitUntil(() => progress.some((event) => event.detail.overall.bytesSent === 100 * KiB));
      const last = progress.at(-1)!.detail;
      expect(last.overall.bytesTotal).to.equal(100 * KiB);
      expect(progress.flatMap((event) => event.detail.files.map((entry) => entry.taskId))).to.include(task.id);
    });

    it('fires mcu-progress at most once per animation frame', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume part-size="1024" concurrency="4"></multi-cloud-uploader>`);
      let frame = 0;
      let counting = true;
      const tick = () => {
        frame++;
        if (counting) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const frames: number[] = [];
      el.addEventListener('mcu-progress', () => frames.push(frame));
      await el.addFiles([fileOf(64 * KiB)]);
      const complete = oneEvent(el, 'mcu-complete');
      el.start();
      await complete;
      await waitUntil(() => frames.length > 0);
      counting = false;
      expect(new Set(frames).size).to.equal(frames.length);
    });

    it('carries the UploadError in mcu-error when a part fails for good', async () => {
      const el = await uploader(memoryAdapter({ failPart: 1, failCode: 'provider-rejected' }));
      const [task] = await el.addFiles([fileOf(10 * KiB, 'broken.bin')]);
      const failed = oneEvent(el, 'mcu-error');
      el.start();
      const { detail } = await failed;
      expect(detail.taskId).to.equal(task.id);
      expect(detail.file.name).to.equal('broken.bin');
      expect(detail.error).to.be.instanceOf(UploadError);
      expect(detail.error.code).to.equal('provider-rejected');
      await stateOf(el, 'failed');
      expect(part(el, 'file-status').textContent).to.include('The storage service refused the upload.');
      expect(el.matches(':state(error)')).to.equal(true);
      expect(rowButton(el, 'retry')).to.exist;
    });
  });

  describe('file rows', () => {
    it('shows a markup-looking file name as text', async () => {
      const el = await uploader(memoryAdapter());
      await el.addFiles([fileOf(5, XSS_NAME)]);
      await el.updateComplete;
      expect(part(el, 'file-name').textContent).to.equal(XSS_NAME);
      expect(el.shadowRoot!.querySelector('img')).to.equal(null);
      expect(el.querySelector('img')).to.equal(null);
    });

    it('gives each file a progressbar named after it, with its value', async () => {
      const el = await uploader(memoryAdapter());
      await el.addFiles([fileOf(4 * KiB, 'report.pdf')]);
      await el.updateComplete;
      const bar = part<HTMLProgressElement>(el, 'file-progress');
      expect(bar).to.be.instanceOf(HTMLProgressElement);
      expect(bar.getAttribute('aria-label')).to.equal('\u2068report.pdf\u2069');
      expect([bar.value, bar.max]).to.deep.equal([0, 100]);
      const complete = oneEvent(el, 'mcu-complete');
      el.start();
      await complete;
      await el.updateComplete;
      expect(part<HTMLProgressElement>(el, 'file-progress').value).to.equal(100);
      expect(part(el, 'file-status').textContent).to.include('Uploaded');
    });

    it('pauses, resumes and cancels a file from its buttons', async () => {
      const el = await uploader(memoryAdapter({ delayMs: 40 }), html`<multi-cloud-uploader no-resume part-size="1024" concurrency="1"></multi-cloud-uploader>`);
      await el.addFiles([fileOf(64 * KiB)]);
      el.start();
      await stateOf(el, 'uploading');
      expect(rowButton(el, 'resume')).to.equal(null);
      expect(rowButton(el, 'pause')!.getAttribute('aria-label')).to.equal('Pause \u2068photo.bin\u2069');

      rowButton(el, 'pause')!.click();
      await stateOf(el, 'paused');
      expect(el.matches(':state(paused)')).to.equal(true);
      expect(rowButton(el, 'pause')).to.equal(null);
      const sentWhilePaused = el.files[0].progress.bytesSent;

      rowButton(el, 'resume')!.click();
      await waitUntil(() => el.files[0].progress.bytesSent > sentWhilePaused, 'no bytes after resume', { timeout: 5000 });
      expect(el.matches(':state(uploading)')).to.equal(true);

      rowButton(el, 'cancel')!.click();
      await stateOf(el, 'canceled');
      expect(rowButton(el, 'remove')).to.exist;
      rowButton(el, 'remove')!.click();
      await waitUntil(() => el.files.length === 0);
      await el.updateComplete;
      expect(part(el, 'file-list').hidden).to.equal(true);
    });

    it('pauses and resumes every file from the toolbar', async () => {
      const el = await uploader(memoryAdapter({ delayMs: 40 }), html`<multi-cloud-uploader no-resume multiple part-size="1024"></multi-cloud-uploader>`);
      await el.addFiles([fileOf(32 * KiB, 'a'), fileOf(32 * KiB, 'b')]);
      await el.updateComplete;
      const toolbarButton = (text: string) =>
        [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('.toolbar button')].find((b) => b.textContent!.trim() === text);
      expect(toolbarButton('Resume all')).to.equal(undefined);
      toolbarButton('Start upload')!.click();
      await waitUntil(() => el.files.every((task) => task.state === 'uploading'));
      await el.updateComplete;
      toolbarButton('Pause all')!.click();
      await waitUntil(() => el.files.every((task) => task.state === 'paused'));
      await el.updateComplete;
      toolbarButton('Resume all')!.click();
      await waitUntil(() => el.files.every((task) => task.state === 'uploading' || task.state === 'done'));
    });
  });

  describe('input', () => {
    it('opens the real file input from the focusable browse button where there is no File System Access picker', async () => {
      const picker = Object.getOwnPropertyDescriptor(window, 'showOpenFilePicker');
      Object.defineProperty(window, 'showOpenFilePicker', { value: undefined, configurable: true });
      after(() => {
        if (picker) Object.defineProperty(window, 'showOpenFilePicker', picker);
      });
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
      el.focus();
      expect(el.shadowRoot!.activeElement).to.equal(part(el, 'browse-button'));
      const input = el.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]')!;
      expect(input.multiple).to.equal(true);
      const opened = oneEvent(input, 'click');
      part(el, 'browse-button').click();
      await opened;
    });

    it('adds chosen, dropped and pasted files', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
      const transfer = (name: string) => {
        const data = new DataTransfer();
        data.items.add(fileOf(3, name));
        return data;
      };
      const input = el.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]')!;
      input.files = transfer('chosen.bin').files;
      input.dispatchEvent(new Event('change'));

      const zone = part(el, 'drop-zone');
      zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer('dropped.bin'), bubbles: true, cancelable: true }));
      expect(el.matches(':state(dragover)')).to.equal(true);
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer('dropped.bin'), bubbles: true, cancelable: true }));
      expect(el.matches(':state(dragover)')).to.equal(false);

      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer('pasted.bin'), bubbles: true, cancelable: true }));
      await waitUntil(() => el.files.length === 3);
      expect(el.files.map((task) => task.file.name)).to.have.members(['chosen.bin', 'dropped.bin', 'pasted.bin']);
      expect(input.value).to.equal('');
    });

    it('ignores drops with no-drop', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume no-drop></multi-cloud-uploader>`);
      const data = new DataTransfer();
      data.items.add(fileOf(3));
      const drop = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
      part(el, 'drop-zone').dispatchEvent(drop);
      expect(drop.defaultPrevented).to.equal(false);
      expect(el.files).to.have.length(0);
    });
  });

  describe('resume offer', () => {
    it('lists an interrupted upload and drops the row when the same file is chosen again', async () => {
      const adapter = memoryAdapter({ delayMs: 40 });
      const first = await uploader(adapter, html`<multi-cloud-uploader part-size="1024" concurrency="1"></multi-cloud-uploader>`);
      const file = fileOf(16 * KiB, 'big.iso');
      await first.addFiles([file]);
      first.start();
      await waitUntil(() => first.files[0].progress.bytesSent >= 2 * KiB, 'no progress', { timeout: 5000 });
      first.pauseAll();
      await stateOf(first, 'paused');
      first.remove();

      const second = await uploader(adapter, html`<multi-cloud-uploader part-size="1024"></multi-cloud-uploader>`);
      await waitUntil(() => second.shadowRoot!.querySelector('[data-state="interrupted"]'), 'no interrupted row', { timeout: 5000 });
      expect(part(second, 'file-name').textContent).to.equal('big.iso');
      expect(part(second, 'file-status').textContent).to.include('Interrupted');
      expect(part<HTMLProgressElement>(second, 'file-progress').value).to.be.greaterThan(0);

      await second.addFiles([new File([file], 'big.iso', { type: file.type, lastModified: file.lastModified })]);
      await second.updateComplete;
      expect(second.shadowRoot!.querySelector('[data-state="interrupted"]')).to.equal(null);
      const complete = oneEvent(second, 'mcu-complete');
      second.start();
      await complete;
      expect(second.files[0].resumed).to.equal(true);
      expect(adapter.stored.get('big.iso')).to.deep.equal(makeBytes(16 * KiB));
    });

    it('dismisses an interrupted upload', async () => {
      const adapter = memoryAdapter({ delayMs: 40 });
      const first = await uploader(adapter, html`<multi-cloud-uploader part-size="1024" concurrency="1"></multi-cloud-uploader>`);
      await first.addFiles([fileOf(8 * KiB, 'old.bin')]);
      first.start();
      await waitUntil(() => first.files[0].progress.bytesSent > 0, 'no progress', { timeout: 5000 });
      first.pauseAll();
      await stateOf(first, 'paused');
      first.remove();

      const second = await uploader(adapter, html`<multi-cloud-uploader></multi-cloud-uploader>`);
      await waitUntil(() => rowButton(second, 'dismiss'), 'no dismiss button', { timeout: 5000 });
      expect(rowButton(second, 'dismiss')!.getAttribute('aria-label')).to.equal('Dismiss \u2068old.bin\u2069');
      rowButton(second, 'dismiss')!.click();
      await second.updateComplete;
      expect(second.shadowRoot!.querySelector('[data-state="interrupted"]')).to.equal(null);
      expect(part(second, 'file-list').hidden).to.equal(true);
    });
  });

  describe('localisation', () => {
    it('follows lang, falls back to English, and takes overrides', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume lang="zh-CN"></multi-cloud-uploader>`);
      expect(part(el, 'browse-button').textContent!.trim()).to.equal('选择文件');
      el.lang = 'fr';
      await waitUntil(() => part(el, 'browse-button').textContent!.trim() === 'Browse files', 'lang change not followed');
      el.translation = { browse: 'Pick' };
      await el.updateComplete;
      expect(part(el, 'browse-button').textContent!.trim()).to.equal('Pick');
    });

    it('words sizes in the language', async () => {
      const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume lang="zh-CN"></multi-cloud-uploader>`);
      await el.addFiles([fileOf(1500)]);
      await el.updateComplete;
      expect(part(el, 'file-size').textContent).to.equal('1.5 kB');
      expect(part(el, 'file-status').textContent).to.equal('等待中');
    });
  });

  describe('accessibility', () => {
    it('is accessible when empty', async () => {
      const el = await uploader(memoryAdapter());
      await expect(el).to.be.accessible();
    });

    it('is accessible while uploading', async () => {
      const el = await uploader(memoryAdapter({ delayMs: 5000 }));
      await el.addFiles([fileOf(10 * KiB, XSS_NAME)]);
      el.start();
      await stateOf(el, 'uploading');
      await expect(el).to.be.accessible();
    });

    it('is accessible when paused', async () => {
      const el = await uploader(memoryAdapter({ delayMs: 5000 }));
      await el.addFiles([fileOf(10 * KiB)]);
      el.start();
      await stateOf(el, 'uploading');
      el.pause(el.files[0].id);
      await stateOf(el, 'paused');
      await expect(el).to.be.accessible();
    });

    it('is accessible after an error', async () => {
      const el = await uploader(memoryAdapter({ failPart: 1, failCode: 'auth-failed' }));
      await el.addFiles([fileOf(10 * KiB)]);
      el.start();
      await stateOf(el, 'failed');
      await expect(el).to.be.accessible();
    });

    it('announces what happened in a polite live region', async () => {
      const el = await uploader(memoryAdapter());
      const region = el.shadowRoot!.querySelector('[aria-live="polite"]')!;
      await el.addFiles([fileOf(10, 'memo.txt')]);
      await el.updateComplete;
      expect(region.textContent).to.equal('\u2068memo.txt\u2069 added.');
    });
  });

  describe('styling', () => {
    it('defines every private token it uses and uses every one it defines', () => {
      const text = styles.cssText;
      const defined = new Set([...text.matchAll(/(--_[\w-]+)\s*:/g)].map((match) => match[1]));
      const used = new Set([...text.matchAll(/var\((--_[\w-]+)/g)].map((match) => match[1]));
      expect([...used].filter((name) => !defined.has(name)), 'undefined').to.deep.equal([]);
      expect([...defined].filter((name) => !used.has(name)), 'unused').to.deep.equal([]);
      for (const token of ['--mcu-accent-color', '--mcu-radius', '--mcu-drop-zone-border']) expect(text).to.include(`var(${token}`);
    });

    it('takes its looks from the public custom properties', async () => {
      const el = await uploader(memoryAdapter());
      el.style.setProperty('--mcu-accent-color', 'rgb(1, 2, 3)');
      el.style.setProperty('--mcu-radius', '3px');
      el.style.setProperty('--mcu-drop-zone-border', '4px solid rgb(4, 5, 6)');
      const button = getComputedStyle(part(el, 'browse-button'));
      expect(button.backgroundColor).to.equal('rgb(1, 2, 3)');
      expect(button.borderTopLeftRadius).to.equal('3px');
      const zone = getComputedStyle(part(el, 'drop-zone'));
      expect([zone.borderTopWidth, zone.borderTopStyle, zone.borderTopColor]).to.deep.equal(['4px', 'solid', 'rgb(4, 5, 6)']);
    });
  });
});
