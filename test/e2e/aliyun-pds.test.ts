import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { createAliyunPdsAdapter } from '../../src/providers/aliyun-pds.js';
import type { AliyunPdsAdapterOptions } from '../../src/providers/aliyun-pds.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import type { AliyunPdsEmulatorStats } from '../../src/emulators/aliyun-pds-emulator.js';
import { diskFile, firstDifferenceFromFile } from '../helpers/e2e.js';
import { pdsAdmin, pdsEndpoint, pdsFile, pdsToken } from '../helpers/aliyun-pds-e2e.js';
import { makeBytes } from '../helpers/make-blob.js';
import { once, leavePageAfter } from '../helpers/manager-events.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { useManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

/** Uploads through the element as a page would, resolving with mcu-complete's result or mcu-error's error. */
async function uploadThroughElement(file: File, options: Partial<AliyunPdsAdapterOptions> = {}): Promise<{ result?: UploadResult; error?: UploadError }> {
  const adapterOptions = { driveId: '1', getToken: pdsToken, ...options };
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader
      provider="aliyun-pds"
      endpoint=${await pdsEndpoint()}
      part-size=${String(5 * MiB)}
      no-resume
      .adapterOptions=${adapterOptions}
    ></multi-cloud-uploader>`,
  );
  return elementOutcome(el, file);
}

const stats = () => pdsAdmin<AliyunPdsEmulatorStats>('stats');

describe('Aliyun PDS end to end over real HTTP', function () {
  this.timeout(180_000);
  const managerWith = useManagers('mcu-e2e-pds', () => pdsAdmin('reset', { method: 'POST' }));

  it('serial: uploads a multi-part random file through <multi-cloud-uploader>, in order, byte for byte', async () => {
    const file = await diskFile(24 * MiB + 7, 'pds-serial.bin');
    const { result, error } = await uploadThroughElement(file);
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await pdsFile(result!.fileId as string), file)).to.equal(-1);
    const after = await stats();
    expect(after.partNumbersReceived).to.deep.equal([1, 2, 3, 4, 5]);
    expect(after.crc64Checked).to.equal(1);
  });

  it('parallel: uploads with a SHA-1 context per part, byte for byte', async () => {
    const file = await diskFile(24 * MiB + 9, 'pds-parallel.bin');
    const { result, error } = await uploadThroughElement(file, { parallelUpload: true });
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await pdsFile(result!.fileId as string), file)).to.equal(-1);
    const after = await stats();
    // Parts 2–5 carry their contexts; those the hashing had reached when a lane asked share one call.
    expect(after.getUploadUrl).to.be.within(1, 4);
    expect([...after.partNumbersReceived].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('parallel falls back to serial on a domain without it', async () => {
    await pdsAdmin('parallel-upload', { method: 'POST', body: { supported: false } });
    const file = await diskFile(11 * MiB, 'pds-fallback.bin');
    const { result, error } = await uploadThroughElement(file, { parallelUpload: true });
    expect(error).to.equal(undefined);
    const after = await stats();
    expect(after.parallelRefused).to.equal(1);
    expect(after.partNumbersReceived).to.deep.equal([1, 2, 3]);
    expect(await firstDifferenceFromFile(await pdsFile(result!.fileId as string), file)).to.equal(-1);
  });

  it('rapid upload: a second upload of the same bytes sends no part', async () => {
    const file = await diskFile(12 * MiB + 1, 'pds-rapid.bin');
    const first = await uploadThroughElement(file);
    expect(first.error).to.equal(undefined);
    const partsBefore = (await stats()).uploadPart;
    const second = await uploadThroughElement(file);
    expect(second.error).to.equal(undefined);
    expect(second.result!['rapid']).to.equal(true);
    const after = await stats();
    expect(after.uploadPart).to.equal(partsBefore);
    expect([after.preHashMatched, after.rapidUploads]).to.deep.equal([1, 1]);
    expect(await firstDifferenceFromFile(await pdsFile(second.result!.fileId as string), file)).to.equal(-1);
  });

  it('renews a part URL that expires mid-upload and asks for a new token when the old one expires', async () => {
    await pdsAdmin('faults', { method: 'POST', body: { kind: 'expire', operation: 'UploadPart', partNumber: 2 } });
    await pdsAdmin('faults', { method: 'POST', body: { kind: 'expire', operation: 'CompleteFile' } });
    let tokens = 0;
    const file = await diskFile(16 * MiB, 'pds-expiry.bin');
    const { result, error } = await uploadThroughElement(file, { getToken: () => (tokens++, pdsToken()) });
    expect(error).to.equal(undefined);
    const faults = await pdsAdmin<Array<{ fired: number }>>('faults');
    expect(faults.map((f) => f.fired)).to.deep.equal([1, 1]);
    expect(tokens).to.equal(2);
    expect((await stats()).getUploadUrl).to.equal(1);
    expect(await firstDifferenceFromFile(await pdsFile(result!.fileId as string), file)).to.equal(-1);
  });

  it('the serial emulator refuses an out-of-order part and a repeated one, over real HTTP with CORS', async () => {
    const token = await pdsToken();
    const api = async (operation: string, body: unknown) =>
      fetch(`${await pdsEndpoint()}/v2/file/${operation}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = (await (
      await api('create', {
        drive_id: '1',
        parent_file_id: 'root',
        name: 'raw.bin',
        type: 'file',
        size: 2 * MiB,
        part_info_list: [{ part_number: 1 }, { part_number: 2 }],
      })
    ).json()) as { part_info_list: Array<{ upload_url: string }> };
    const [url1, url2] = created.part_info_list.map((part) => part.upload_url) as [string, string];
    const early = await fetch(url2, { method: 'PUT', body: makeBytes(MiB, 2) });
    expect(early.status).to.equal(400);
    expect(await early.text()).to.contain('<Code>PartNotSequential</Code>');
    const first = await fetch(url1, { method: 'PUT', body: makeBytes(MiB, 1) });
    expect(first.status).to.equal(200);
    // Readable from this other origin only because the emulator's CORS rule exposes it.
    expect(first.headers.get('etag')).to.match(/^"[0-9A-F]{32}"$/);
    const again = await fetch(url1, { method: 'PUT', body: makeBytes(MiB, 1) });
    expect(again.status).to.equal(409);
    expect(await again.text()).to.contain('<Code>PartAlreadyExist</Code>');
  });

  it('resumes after a reload: a new manager on the same IndexedDB sends only the missing parts', async () => {
    const endpoint = await pdsEndpoint();
    const file = await diskFile(30 * MiB + 3, 'pds-resume.bin');
    const make = () => managerWith({ adapter: createAliyunPdsAdapter({ endpoint, driveId: '1', getToken: pdsToken, listPageSize: 2 }), partSize: 5 * MiB });
    const first = make();
    await first.addFiles([file]);
    first.start();
    await leavePageAfter(first, 10 * MiB);
    const before = (await stats()).partNumbersReceived;
    expect(before.length).to.be.within(2, 6);

    const second = make();
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    const after = await stats();
    const resent = after.partNumbersReceived.slice(before.length);
    expect(task?.resumed).to.equal(true);
    expect(after.listUploadedParts).to.be.at.least(1);
    expect(resent.filter((n) => before.includes(n))).to.deep.equal([]);
    expect([...before, ...resent].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(await firstDifferenceFromFile(await pdsFile(result.fileId as string), file)).to.equal(-1);
  });
});
