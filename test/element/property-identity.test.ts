import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import type { McuWarningEvent } from '../../src/element/events.js';
import { UploadState } from '../../src/core/types.js';
import { diskFile, e2eServers, emulatorObject, firstDifferenceFromFile } from '../helpers/e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';

const MiB = 1024 * 1024;

/** What a framework does on every render: a new but equal options object, the same strings again. */
function rerenderWithEqualProps(el: MultiCloudUploader, endpoint: string): void {
  el.adapterOptions = { headers: { 'Accept-Language': 'en' } };
  el.endpoint = `${endpoint}`;
  el.provider = 's3';
}

async function uploader(endpoint: string): Promise<MultiCloudUploader> {
  return fixture<MultiCloudUploader>(html`<multi-cloud-uploader
    provider="s3"
    endpoint=${endpoint}
    part-size=${String(5 * MiB)}
    concurrency="1"
    no-resume
    .adapterOptions=${{ headers: { 'Accept-Language': 'en' } }}
  ></multi-cloud-uploader>`);
}

describe('<multi-cloud-uploader> when its properties change identity', function () {
  this.timeout(120_000);

  it('keeps uploading when every progress event re-sets equal props (a React parent re-rendering with an inline object)', async () => {
    const { apiUrl } = await e2eServers();
    const el = await uploader(apiUrl);
    const manager = el.manager;
    const warnings: McuWarningEvent[] = [];
    let rerenders = 0;
    el.addEventListener('mcu-warning', (event) => warnings.push(event));
    el.addEventListener('mcu-progress', () => {
      rerenderWithEqualProps(el, apiUrl);
      rerenders++;
    });
    const file = await diskFile(23 * MiB + 5, 'identity.bin');
    const { result, error } = await elementOutcome(el, file);
    expect(error).to.equal(undefined);
    expect(rerenders).to.be.greaterThan(1);
    expect(el.manager).to.equal(manager);
    expect(warnings).to.deep.equal([]);
    expect(await firstDifferenceFromFile(await emulatorObject(result!.key as string), file)).to.equal(-1);
  });

  it('pauses a running file when the endpoint really changes, says so, and finishes it at its first destination on resume', async () => {
    const { apiUrl, s3rverApiUrl } = await e2eServers();
    const el = await uploader(apiUrl);
    const file = await diskFile(31 * MiB + 7, 'redirected.bin');
    const warned = new Promise<McuWarningEvent>((resolve) => el.addEventListener('mcu-warning', resolve, { once: true }));
    el.addEventListener(
      'mcu-progress',
      (event) => {
        if (event.detail.overall.bytesSent > 0) el.endpoint = s3rverApiUrl;
      },
    );
    const [task] = await el.addFiles([file]);
    el.start();
    const warning = await warned;
    expect(warning.detail.error.code).to.equal('destination-changed');
    expect(warning.detail.taskId).to.equal(task!.id);
    await waitUntil(() => task!.state === UploadState.Paused, 'the redirected file never paused');
    await el.updateComplete;
    const row = el.shadowRoot!.querySelector<HTMLElement>(`li[data-state="paused"]`)!;
    expect(row.querySelector('[part="file-status"]')!.textContent).to.contain('destination changed');
    expect(el.files.map((listed) => listed.id)).to.include(task!.id);

    const completed = new Promise<HTMLElementEventMap['mcu-complete']>((resolve) =>
      el.addEventListener('mcu-complete', resolve, { once: true }),
    );
    el.resume(task!.id);
    const { detail } = await completed;
    expect(detail.taskId).to.equal(task!.id);
    expect(await firstDifferenceFromFile(await emulatorObject(detail.result.key as string), file)).to.equal(-1);
  });
});
