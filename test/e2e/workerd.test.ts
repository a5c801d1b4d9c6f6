import { expect, fixture, html } from '@open-wc/testing';
import type { TemplateResult } from 'lit';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import type { UploadError } from '../../src/core/errors.js';
import type { UploadResult } from '../../src/core/adapter.js';
import { cosV4SignatureFromBackend } from '../../src/providers/tencent-cos-v4.js';
import type { WorkerdRuntime } from '../workerd/worker.js';
import { diskFile, e2eServers, emulatorAdmin, emulatorObject, firstDifferenceFromFile } from '../helpers/e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { kooDriveAdmin, kooDriveFile } from '../helpers/huawei-koodrive-e2e.js';
import { metaStudioAdmin, metaStudioObject } from '../helpers/huawei-metastudio-e2e.js';
import { iflytekOstAdmin, iflytekOstFile, type IflytekOstStats } from '../helpers/iflytek-ost-e2e.js';
import { COS_V4_E2E, cosV4Admin, cosV4Object, type CosV4E2eStats } from '../helpers/tencent-cos-v4-e2e.js';

const MiB = 1024 * 1024;

/** Uploads `file` through the element in `template`, resolving with mcu-complete's result or mcu-error's error. */
async function upload(template: TemplateResult, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  return elementOutcome(await fixture<MultiCloudUploader>(template), file);
}

/** Empties the S3 emulator; its reset answers 204, which emulatorAdmin would read as JSON. */
async function resetS3(): Promise<void> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/s3/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`S3 emulator reset: HTTP ${response.status}`);
}

describe('the shipped handlers inside workerd (Cloudflare\'s runtime), end to end through <multi-cloud-uploader>', function () {
  this.timeout(180_000);
  let workerdUrl: string;

  before(async () => {
    const servers = await e2eServers();
    if (servers.workerdUrl === undefined) throw new Error('workerd did not start: the test runner\'s log says why (is dist/ built?)');
    workerdUrl = servers.workerdUrl;
  });

  it('is workerd, with no Node globals: the handlers get no compatibility layer', async () => {
    const runtime = (await (await fetch(`${workerdUrl}/__runtime`)).json()) as WorkerdRuntime;
    expect(runtime).to.deep.equal({ userAgent: 'Cloudflare-Workers', nodeGlobals: [] });
  });

  it('S3: createS3Handler runs a multi-part upload to the strict emulator, byte for byte', async () => {
    await resetS3();
    const file = await diskFile(20 * MiB + 17, 'workerd-s3.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="s3" endpoint=${`${workerdUrl}/api`} part-size=${String(8 * MiB)} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await emulatorObject(result!.key as string), file)).to.equal(-1);
    expect(await emulatorAdmin('stats')).to.deep.include({ create: 1, uploadPart: 3, complete: 1 });
  });

  it('S3: createS3Handler signs a POST policy, Content-MD5 bound, for a file below one part, byte for byte', async () => {
    await resetS3();
    const file = await diskFile(3 * MiB + 5, 'workerd-s3-single.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="s3" endpoint=${`${workerdUrl}/api`} part-size=${String(8 * MiB)} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await emulatorObject(result!.key as string), file)).to.equal(-1);
    expect(await emulatorAdmin('stats')).to.deep.include({ create: 0, putObject: 0, postObject: 1 });
  });

  it('Huawei KooDrive: createKooDriveHandler signs and forwards every call, byte for byte', async () => {
    await kooDriveAdmin('reset', { method: 'POST' });
    const file = await diskFile(20 * MiB + 17, 'workerd-koodrive.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="huawei-koodrive" endpoint=${`${workerdUrl}/api/huawei-koodrive`}
        part-size=${String(8 * MiB)} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await kooDriveFile(result!.fileId as string), file)).to.equal(-1);
    expect(await kooDriveAdmin('stats')).to.deep.include({ partNumbersReceived: [1, 2, 3] });
  });

  it('Huawei MetaStudio: createMetaStudioHandler streams the PUT through workerd, byte for byte', async () => {
    await metaStudioAdmin('reset', { method: 'POST' });
    const file = await diskFile(20 * MiB + 17, 'workerd-metastudio.mp4');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="huawei-metastudio" endpoint=${`${workerdUrl}/api/huawei-metastudio`} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    const fileId = result!.fileId as string;
    expect(await firstDifferenceFromFile(await metaStudioObject(fileId), file)).to.equal(-1);
    expect(await metaStudioAdmin<{ state: string }>(`files/${fileId}`)).to.deep.include({ state: 'UPLOADED' });
    // Sent by the handler, not the page: no page origin reached the storage.
    expect(await metaStudioAdmin('stats')).to.deep.include({ putObject: 1, putOrigins: [null] });
  });

  it('iFlytek OST: createIflytekOstHandler proxies form-data slices, byte for byte', async () => {
    await iflytekOstAdmin('reset', { method: 'POST' });
    // Above the adapter's 20 MiB multipart threshold.
    const file = await diskFile(24 * MiB + 17, 'workerd-ost.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="iflytek-ost" endpoint=${`${workerdUrl}/api/iflytek-ost`} part-size=${String(5 * MiB)} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await iflytekOstFile(result!.url), file)).to.equal(-1);
    expect(await iflytekOstAdmin<IflytekOstStats>('stats')).to.include({ single: 0, init: 1, upload: 5, complete: 1 });
  });

  it('iFlytek OST: a file below one slice streams through workerd in one request, byte for byte', async () => {
    await iflytekOstAdmin('reset', { method: 'POST' });
    const file = await diskFile(3 * MiB + 5, 'workerd-ost-single.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="iflytek-ost" endpoint=${`${workerdUrl}/api/iflytek-ost`} part-size=${String(5 * MiB)} no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await iflytekOstFile(result!.url), file)).to.equal(-1);
    expect(await iflytekOstAdmin<IflytekOstStats>('stats')).to.include({ single: 1, init: 0 });
  });

  it('Tencent COS v4: createCosV4SignatureHandler signs every call of a sliced upload, byte for byte', async () => {
    await cosV4Admin('reset', { method: 'POST' });
    const { emulatorUrl } = await e2eServers();
    // Above the adapter's 20 MiB single-upload threshold: 1 MiB slices.
    const file = await diskFile(21 * MiB + 17, 'workerd-cos.bin');
    const { result, error } = await upload(
      html`<multi-cloud-uploader provider="tencent-cos-v4"
        endpoint=${`${emulatorUrl}/emulator/tencent-cos-v4/files/v2/${COS_V4_E2E.appId}/${COS_V4_E2E.bucket}`}
        .adapterOptions=${{ getSignature: cosV4SignatureFromBackend(`${workerdUrl}/api/tencent-cos-v4/signature`) }}
        no-resume></multi-cloud-uploader>`,
      file,
    );
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await cosV4Object(result!.key as string), file)).to.equal(-1);
    expect(await cosV4Admin<CosV4E2eStats>('stats')).to.include({ init: 1, data: 22, finish: 1 });
  });
});
