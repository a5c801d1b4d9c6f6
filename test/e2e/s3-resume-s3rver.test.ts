import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { DEFAULT_CHECKPOINT_DB_NAME } from '../../src/checkpoints/checkpoint-store.js';
import type { UploadError } from '../../src/core/errors.js';
import { diskFile, e2eServers, firstDifferenceFromFile } from '../helpers/e2e.js';
import { leavePageAfter } from '../helpers/manager-events.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { createStore, entries } from 'idb-keyval';

const MiB = 1024 * 1024;

/** The backend routes the page called since the last clear, read from Resource Timing (XHR sends are listed too). */
function backendCalls(apiUrl: string): { creates: number; lists: number; signed: number[] } {
  const base = new URL(apiUrl).pathname;
  const paths = performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.startsWith(`${base}/s3/multipart`))
    .map((path) => path.slice(`${base}/s3/multipart`.length).split('/').filter(Boolean));
  return {
    creates: paths.filter((segments) => segments.length === 0).length,
    lists: paths.filter((segments) => segments.length === 1).length,
    signed: paths.filter((segments) => segments.length === 2 && /^\d+$/.test(segments[1])).map((segments) => Number(segments[1])),
  };
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

describe('S3 resume against s3rver, which has no ListParts', function () {
  this.timeout(180_000);

  beforeEach(async () => {
    await deleteDatabase(DEFAULT_CHECKPOINT_DB_NAME);
    performance.setResourceTimingBufferSize(10_000);
    performance.clearResourceTimings();
  });
  afterEach(() => deleteDatabase(DEFAULT_CHECKPOINT_DB_NAME));

  it('continues from the page\'s own receipts after a reload: one create, only the missing parts signed again, byte-exact', async () => {
    const { s3rverApiUrl, s3rverUrl, s3rverBucket } = await e2eServers();
    const file = await diskFile(25 * MiB + 5, 's3rver-resume.bin');
    const open = () =>
      fixture<MultiCloudUploader>(
        html`<multi-cloud-uploader provider="s3" endpoint=${s3rverApiUrl} part-size=${String(5 * MiB)} concurrency="1"></multi-cloud-uploader>`,
      );

    const first = await open();
    await first.addFiles([file]);
    first.start();
    // One lane: once 11 MiB are counted, parts 1 and 2 are stored and receipted, part 3 is at most in flight.
    await leavePageAfter(first.manager, 11 * MiB);
    first.remove();
    const before = backendCalls(s3rverApiUrl);
    expect(before.creates).to.equal(1);
    // The parts the page holds receipts for; the ones signed ahead of the lane, or in flight, are not among them.
    const [[, record]] = (await entries(createStore(DEFAULT_CHECKPOINT_DB_NAME, 'checkpoints'))) as [[unknown, { receipts: Array<{ partNumber: number }> }]];
    const stored = record.receipts.map((receipt) => receipt.partNumber);
    expect(stored.length).to.be.at.least(2);

    const second = await open();
    const warnings: UploadError[] = [];
    second.addEventListener('mcu-warning', (event) => warnings.push(event.detail.error));
    const { result, error } = await elementOutcome(second, file);
    expect(error).to.equal(undefined);

    const after = backendCalls(s3rverApiUrl);
    const resigned = after.signed.slice(before.signed.length);
    expect(after.creates).to.equal(1);
    expect(after.lists - before.lists).to.equal(1);
    expect(warnings.map((warning) => warning.unsupported)).to.deep.equal([true]);
    expect(resigned.filter((partNumber) => stored.includes(partNumber))).to.deep.equal([]);
    expect([...new Set([...stored, ...resigned])].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6]);

    const key = (result!.key as string).split('/').map(encodeURIComponent).join('/');
    const object = new Uint8Array(await (await fetch(`${s3rverUrl}/${s3rverBucket}/${key}`)).arrayBuffer());
    expect(await firstDifferenceFromFile(object, file)).to.equal(-1);
  });
});
