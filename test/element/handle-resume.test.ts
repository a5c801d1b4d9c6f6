import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { DEFAULT_CHECKPOINT_DB_NAME } from '../../src/checkpoints/checkpoint-store.js';
import type { S3EmulatorStats } from '../../src/emulators/s3-emulator.js';
import { e2eServers, emulatorAdmin, emulatorObject, firstDifference } from '../helpers/e2e.js';
import { leavePageAfter } from '../helpers/manager-events.js';
import { makeBytes } from '../helpers/make-blob.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB + 5;
const NAME = 'handle-resume.bin';

type Picker = () => Promise<FileSystemFileHandle[]>;

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/** A real FileSystemFileHandle holding `bytes`, from the origin-private file system. */
async function opfsHandle(bytes: Uint8Array): Promise<FileSystemFileHandle> {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle(NAME, { create: true });
  const writable = await handle.createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
  return handle;
}

const open = async () =>
  fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader provider="s3" endpoint=${(await e2eServers()).apiUrl} part-size=${String(5 * MiB)} concurrency="1"></multi-cloud-uploader>`,
  );

/**
 * The first visit: the browse button picks the file through its handle, the upload stops after one part, and the
 * element leaves the page. Native pickers cannot be clicked from a test, so `showOpenFilePicker` is replaced by one
 * that returns the handle, as the picker would.
 */
async function interruptedVisit(handle: FileSystemFileHandle): Promise<void> {
  Object.defineProperty(window, 'showOpenFilePicker', { value: (async () => [handle]) satisfies Picker, configurable: true });
  const first = await open();
  first.shadowRoot!.querySelector<HTMLButtonElement>('[part~="browse-button"]')!.click();
  await waitUntil(() => first.files.length === 1, 'the picked file was not added');
  first.start();
  // One lane: at 6 MiB, part 1 is stored and part 2 is in flight.
  await leavePageAfter(first.manager, 6 * MiB);
  first.remove();
}

describe('resume without choosing the file again (File System Access, Chromium)', function () {
  this.timeout(120_000);
  let picker: PropertyDescriptor | undefined;

  beforeEach(async () => {
    await deleteDatabase(DEFAULT_CHECKPOINT_DB_NAME);
    // The reset route answers with no body.
    await emulatorAdmin('reset', { method: 'POST' }).catch(() => undefined);
    picker = Object.getOwnPropertyDescriptor(window, 'showOpenFilePicker');
  });
  afterEach(async () => {
    if (picker) Object.defineProperty(window, 'showOpenFilePicker', picker);
    await deleteDatabase(DEFAULT_CHECKPOINT_DB_NAME);
    await (await navigator.storage.getDirectory()).removeEntry(NAME).catch(() => undefined);
  });

  it('picks through a handle, and after a reload one click on Resume sends only the missing parts, byte-exact', async () => {
    const bytes = makeBytes(SIZE, 11);
    await interruptedVisit(await opfsHandle(bytes));
    const before = await emulatorAdmin<S3EmulatorStats>('stats');
    expect(before.create).to.equal(1);

    // The reloaded page: a new element, a new manager, nothing in memory but what IndexedDB kept.
    const second = await open();
    const resume = () => second.shadowRoot!.querySelector<HTMLButtonElement>('[data-state="interrupted"] button[data-action="resume"]');
    await waitUntil(resume, 'no Resume button on the interrupted row', { timeout: 5000 });
    expect(second.shadowRoot!.querySelector('[data-state="interrupted"] [part~="file-status"]')!.textContent).to.include(
      'Press Resume to continue without choosing the file again.',
    );
    const complete = new Promise<string>((resolve) => second.addEventListener('mcu-complete', (event) => resolve(event.detail.result.key as string)));
    resume()!.click();
    const key = await complete;

    const after = await emulatorAdmin<S3EmulatorStats>('stats');
    const resent = after.partNumbersReceived.slice(before.partNumbersReceived.length);
    expect(after.create).to.equal(1);
    expect(after.listParts).to.equal(1);
    expect(resent.filter((partNumber) => before.partNumbersReceived.includes(partNumber))).to.deep.equal([]);
    expect([...new Set([...before.partNumbersReceived, ...resent])].sort()).to.deep.equal([1, 2, 3, 4]);
    expect(second.files[0].resumed).to.equal(true);
    expect(firstDifference(await emulatorObject(key), bytes)).to.equal(-1);
  });

  it('refuses to resume from a file that changed since, and says so', async () => {
    await interruptedVisit(await opfsHandle(makeBytes(SIZE, 12)));

    await opfsHandle(makeBytes(SIZE + 1, 13));
    const second = await open();
    const row = () => second.shadowRoot!.querySelector('[data-state="interrupted"]');
    await waitUntil(() => row()?.querySelector('button[data-action="resume"]'), 'no Resume button', { timeout: 5000 });
    row()!.querySelector<HTMLButtonElement>('button[data-action="resume"]')!.click();
    await waitUntil(() => row()?.textContent?.includes('The file changed since the upload began.'), 'no word of the change', { timeout: 5000 });
    expect(second.files).to.have.length(0);
    expect(row()!.querySelector('button[data-action="resume"]')).to.equal(null);
  });
});
