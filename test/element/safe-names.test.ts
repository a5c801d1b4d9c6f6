import { expect, html } from '@open-wc/testing';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { fileOf, memoryAdapter, part, removeUploaders, rowButton, uploader } from '../helpers/element-fixture.js';

const SPOOFED = 'invoice\u202Efdp.exe';
const ZERO_WIDTH = 'pay\u200Broll\u200D.xlsx';
const LONG = `${'a-very-long-holiday-photo-name-'.repeat(8)}final.jpeg`;

/** The text a person sees in the row's name, in the order the browser lays it out (one line, no hidden characters). */
function shownName(el: MultiCloudUploader): string {
  return part(el, 'file-name').textContent!;
}

function liveRegion(el: MultiCloudUploader): string {
  return el.shadowRoot!.querySelector('[aria-live="polite"]')!.textContent!;
}

describe('names are safe text', () => {
  afterEach(removeUploaders);

  it('shows a right-to-left override as a visible mark, so "invoice\\u202Efdp.exe" never reads "invoiceexe.pdf"', async () => {
    const el = await uploader(memoryAdapter());
    await el.addFiles([fileOf(10, SPOOFED)]);
    await el.updateComplete;
    expect(shownName(el)).to.equal('invoice⟨U+202E⟩fdp.exe');
    expect(shownName(el)).not.to.include('\u202E');
    expect(part(el, 'file-name').title).to.equal('invoice⟨U+202E⟩fdp.exe');
    // The name sits in its own bidi isolate, and every label and announcement carries it isolated and made visible.
    expect(part(el, 'file-name').querySelector('bdi')).to.exist;
    expect(rowButton(el, 'pause')!.getAttribute('aria-label')).to.equal('Pause \u2068invoice⟨U+202E⟩fdp.exe\u2069');
    expect(part(el, 'file-progress').getAttribute('aria-label')).to.equal('\u2068invoice⟨U+202E⟩fdp.exe\u2069');
    expect(liveRegion(el)).to.equal('\u2068invoice⟨U+202E⟩fdp.exe\u2069 added.');
    // What the browser lays out: the override is gone as a control, so ".exe" stays the end of the name.
    const range = document.createRange();
    range.selectNodeContents(part(el, 'file-name'));
    expect(range.toString().endsWith('fdp.exe')).to.equal(true);
  });

  it('shows zero-width characters', async () => {
    const el = await uploader(memoryAdapter());
    await el.addFiles([fileOf(10, ZERO_WIDTH)]);
    await el.updateComplete;
    expect(shownName(el)).to.equal('pay⟨U+200B⟩roll⟨U+200D⟩.xlsx');
  });

  it('cuts a very long name in the middle at 320 px and keeps the extension and the status on one line', async () => {
    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume style="width: 320px"></multi-cloud-uploader>`);
    await el.addFiles([fileOf(10, LONG, 'image/jpeg')]);
    await el.updateComplete;
    const name = part(el, 'file-name');
    const head = name.querySelector<HTMLElement>('.name-head')!;
    const tail = name.querySelector<HTMLElement>('.name-tail')!;
    expect(shownName(el)).to.equal(LONG);
    expect(tail.textContent).to.equal('final.jpeg');
    expect(head.scrollWidth).to.be.greaterThan(head.clientWidth);
    expect(getComputedStyle(head).textOverflow).to.equal('ellipsis');
    const tailBox = tail.getBoundingClientRect();
    const rowBox = part(el, 'file').getBoundingClientRect();
    expect(tailBox.width).to.be.greaterThan(0);
    expect(tailBox.right).to.be.at.most(rowBox.right);
    const status = part(el, 'file-status');
    const lineHeight = parseFloat(getComputedStyle(status).lineHeight) || 24;
    expect(status.getBoundingClientRect().height).to.be.below(lineHeight * 1.6);
    expect(el.getBoundingClientRect().width).to.equal(320);
    expect(el.shadowRoot!.querySelector('.base')!.scrollWidth).to.be.at.most(320);
  });
});
