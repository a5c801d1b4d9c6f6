import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { fileOf, memoryAdapter, part, removeUploaders } from '../helpers/element-fixture.js';
import type { MemoryAdapter } from '../helpers/memory-adapter.js';

const KiB = 1024;

async function formWith(adapter: MemoryAdapter, attributes: { required?: boolean } = {}): Promise<{ form: HTMLFormElement; el: MultiCloudUploader }> {
  const form = await fixture<HTMLFormElement>(html`<form>
    <input name="title" value="Holiday" />
    <fieldset>
      <multi-cloud-uploader name="attachments" multiple no-resume ?required=${attributes.required ?? false}></multi-cloud-uploader>
    </fieldset>
  </form>`);
  const el = form.querySelector('multi-cloud-uploader')!;
  el.adapter = adapter;
  await el.updateComplete;
  return { form, el };
}

async function uploaded(el: MultiCloudUploader, files: File[]): Promise<void> {
  await el.addFiles(files);
  el.start();
  await waitUntil(() => el.files.every((task) => task.state === 'done'), 'uploads never finished', { timeout: 5000 });
  await el.updateComplete;
}

describe('form association', () => {
  afterEach(removeUploaders);

  it('puts one entry per uploaded file in FormData, under its name, like <input type=file name>', async () => {
    const { form, el } = await formWith(memoryAdapter());
    expect(el.form).to.equal(form);
    expect(new FormData(form).getAll('attachments')).to.deep.equal([]);
    await uploaded(el, [fileOf(2 * KiB, 'a.bin'), fileOf(2 * KiB, 'b.bin')]);
    const data = new FormData(form);
    expect(data.get('title')).to.equal('Holiday');
    expect(data.getAll('attachments')).to.deep.equal(['a.bin', 'b.bin']);
  });

  it('keeps the form invalid while uploads run, and with required until one file is uploaded', async () => {
    const { form, el } = await formWith(memoryAdapter({ delayMs: 200 }), { required: true });
    expect(form.checkValidity()).to.equal(false);
    expect(el.validity.valueMissing).to.equal(true);
    expect(el.validationMessage).to.equal('Add a file and wait until it is uploaded.');

    await el.addFiles([fileOf(2 * KiB, 'a.bin')]);
    el.start();
    await el.updateComplete;
    expect(form.checkValidity()).to.equal(false);
    expect(el.validity.customError).to.equal(true);
    expect(el.validationMessage).to.equal('Wait until the uploads finish.');

    await waitUntil(() => el.files[0].state === 'done', 'never done', { timeout: 5000 });
    await el.updateComplete;
    expect(form.checkValidity()).to.equal(true);

    let submitted: FormData | undefined;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitted = new FormData(form);
    });
    form.requestSubmit();
    expect(submitted!.getAll('attachments')).to.deep.equal(['a.bin']);
  });

  it('with required but no name, keeps the form invalid until a file is uploaded and adds nothing to FormData', async () => {
    const form = await fixture<HTMLFormElement>(html`<form><multi-cloud-uploader multiple no-resume required></multi-cloud-uploader></form>`);
    const el = form.querySelector('multi-cloud-uploader')!;
    el.adapter = memoryAdapter();
    await el.updateComplete;
    expect(el.validity.valueMissing).to.equal(true);
    await uploaded(el, [fileOf(2 * KiB, 'a.bin')]);
    expect(form.checkValidity()).to.equal(true);
    expect([...new FormData(form).keys()]).to.deep.equal([]);
  });

  it('clears its files when the form is reset', async () => {
    const { form, el } = await formWith(memoryAdapter());
    await uploaded(el, [fileOf(KiB, 'a.bin')]);
    el.maxFileSize = 10;
    await el.updateComplete;
    await el.addFiles([fileOf(KiB, 'refused.bin')]);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-state="refused"]')).to.exist;
    form.reset();
    await waitUntil(() => el.files.length === 0, 'reset kept the files');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="file"]')).to.equal(null);
    expect(new FormData(form).getAll('attachments')).to.deep.equal([]);
  });

  it('is enabled again when disabled is set back to false as a property, as frameworks set it', async () => {
    const { el } = await formWith(memoryAdapter());
    for (const disabled of [true, false, true, false]) {
      el.disabled = disabled;
      await el.updateComplete;
      expect(part<HTMLButtonElement>(el, 'browse-button').disabled, `disabled = ${disabled}`).to.equal(disabled);
      expect(el.matches(':disabled')).to.equal(disabled);
    }
  });

  it("is not disabled by a disabled fieldset when it sits in the fieldset's first legend, as an <input> is not", async () => {
    const form = await fixture<HTMLFormElement>(html`<form>
      <fieldset disabled>
        <legend><multi-cloud-uploader no-resume></multi-cloud-uploader></legend>
        <multi-cloud-uploader no-resume></multi-cloud-uploader>
      </fieldset>
    </form>`);
    const [inLegend, below] = [...form.querySelectorAll('multi-cloud-uploader')];
    await Promise.all([inLegend.updateComplete, below.updateComplete]);
    expect(part<HTMLButtonElement>(inLegend, 'browse-button').disabled).to.equal(false);
    expect(part<HTMLButtonElement>(below, 'browse-button').disabled).to.equal(true);
    form.querySelector('fieldset')!.disabled = false;
    await below.updateComplete;
    expect(part<HTMLButtonElement>(below, 'browse-button').disabled).to.equal(false);
  });

  it('is disabled by a disabled fieldset, and left out of FormData then', async () => {
    const { form, el } = await formWith(memoryAdapter());
    await uploaded(el, [fileOf(KiB, 'a.bin')]);
    const fieldset = form.querySelector('fieldset')!;
    fieldset.disabled = true;
    await el.updateComplete;
    expect(part<HTMLButtonElement>(el, 'browse-button').disabled).to.equal(true);
    expect(el.matches(':disabled')).to.equal(true);
    expect(new FormData(form).getAll('attachments')).to.deep.equal([]);
    fieldset.disabled = false;
    await el.updateComplete;
    expect(part<HTMLButtonElement>(el, 'browse-button').disabled).to.equal(false);
    expect(new FormData(form).getAll('attachments')).to.deep.equal(['a.bin']);
  });
});
