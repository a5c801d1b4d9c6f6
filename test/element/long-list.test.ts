import { expect, html, waitUntil } from '@open-wc/testing';
import { fileOf, memoryAdapter, part, removeUploaders, uploader } from '../helpers/element-fixture.js';

describe('a long list', () => {
  afterEach(removeUploaders);

  it('scrolls, and past a few hundred files draws only the rows near view', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
    const files = Array.from({ length: 1000 }, (_, index) => fileOf(1, `photo-${String(index).padStart(4, '0')}.bin`));
    await el.addFiles(files);
    await el.updateComplete;
    const list = part(el, 'file-list');
    const rows = () => [...list.querySelectorAll('[part~="file"]')].map((row) => row.querySelector('[part~="file-name"]')!.textContent);
    await waitUntil(() => list.hasAttribute('data-virtual'), 'not windowed');
    expect(rows().length).to.be.within(1, 100);
    expect(rows()[0]).to.equal('photo-0000.bin');
    await waitUntil(() => list.scrollHeight > list.clientHeight * 50, 'the rows not drawn take no room');
    expect(getComputedStyle(list).overflowY).to.equal('auto');
    expect(part(el, 'summary').textContent).to.include('0 of 1,000 uploaded');

    list.scrollTop = list.scrollHeight;
    await waitUntil(() => rows().includes('photo-0999.bin'), 'the last row never came into view', { timeout: 5000 });
    expect(rows()).not.to.include('photo-0000.bin');
    const last = [...list.querySelectorAll<HTMLElement>('[part~="file"]')].at(-1)!;
    const listBox = list.getBoundingClientRect();
    const lastBox = last.getBoundingClientRect();
    expect(lastBox.bottom).to.be.at.most(listBox.bottom + 1);
    expect(lastBox.top).to.be.at.least(listBox.top - 1);

    list.scrollTop = list.scrollHeight / 2;
    await waitUntil(() => rows().includes('photo-0500.bin') || rows().includes('photo-0499.bin'), 'the middle never came into view', {
      timeout: 5000,
    });
  });

  it('follows a change of row height: the spacers stand for the new height', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume multiple></multi-cloud-uploader>`);
    await el.addFiles(Array.from({ length: 400 }, (_, index) => fileOf(1, `photo-${String(index).padStart(4, '0')}.bin`)));
    const list = part(el, 'file-list');
    await waitUntil(() => list.hasAttribute('data-virtual') && list.scrollHeight > list.clientHeight * 10, 'not windowed');
    const rowPitch = () => {
      const [first, second] = [...list.querySelectorAll<HTMLElement>('[part~="file"]')];
      return second!.getBoundingClientRect().top - first!.getBoundingClientRect().top;
    };
    const before = list.scrollHeight;
    const pitchBefore = rowPitch();
    el.style.setProperty('--mcu-row-height', '12rem');
    await waitUntil(() => rowPitch() > pitchBefore, 'the rows never grew');
    const grownBy = rowPitch() / pitchBefore;
    await waitUntil(() => Math.abs(list.scrollHeight / before - grownBy) < 0.05, `scroll height ${list.scrollHeight} never followed the rows`);
  });
});
