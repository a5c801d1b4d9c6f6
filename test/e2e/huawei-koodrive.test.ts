import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { createStore, entries } from 'idb-keyval';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { createKooDriveAdapter } from '../../src/providers/huawei-koodrive.js';
import type { KooDriveAdapterOptions, KooDriveSession } from '../../src/providers/huawei-koodrive.js';
import type { ProviderAdapter, UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import type { KooDriveEmulatorStats } from '../../src/emulators/huawei-koodrive-emulator.js';
import { signKooDriveRequest } from '../../src/server/huawei-koodrive-handler.js';
import { diskFile, firstDifferenceFromFile } from '../helpers/e2e.js';
import { kooDriveAdmin, kooDriveEndpoints, kooDriveFile, kooDriveToken } from '../helpers/huawei-koodrive-e2e.js';
import { once, uploadOutcome, leavePageAfter } from '../helpers/manager-events.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { useManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;

/** Uploads through the element as a page would, resolving with mcu-complete's result or mcu-error's error. */
async function uploadThroughElement(
  endpoint: string,
  file: File,
  adapterOptions: KooDriveAdapterOptions = {},
): Promise<{ result?: UploadResult; error?: UploadError }> {
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader
      provider="huawei-koodrive"
      endpoint=${endpoint}
      part-size=${String(8 * MiB)}
      no-resume
      .adapterOptions=${adapterOptions}
    ></multi-cloud-uploader>`,
  );
  return elementOutcome(el, file);
}

const stats = () => kooDriveAdmin<KooDriveEmulatorStats>('stats');

/**
 * The adapter, and the part numbers it is asked to upload: what a resumed uploader sends, whatever requests of the
 * paused one the server is still finishing.
 */
function observed(adapter: ProviderAdapter<KooDriveSession>): { adapter: ProviderAdapter<KooDriveSession>; sent: number[] } {
  const sent: number[] = [];
  return {
    sent,
    adapter: {
      ...adapter,
      uploadPart: (ctx, session, part) => {
        sent.push(part.partNumber);
        return adapter.uploadPart(ctx, session, part);
      },
    },
  };
}


describe('Huawei KooDrive end to end over real HTTP', function () {
  this.timeout(180_000);
  const managerWith = useManagers('mcu-e2e-koodrive', () => kooDriveAdmin('reset', { method: 'POST' }));

  function manager(adapter: ProviderAdapter, options: Partial<UploadManagerOptions> = {}): UploadManager {
    return managerWith({ adapter, partSize: 5 * MiB, retryHooks: { wait: async () => {} }, ...options });
  }

  it('serial through the shipped app-auth handler: a multi-part random file via <multi-cloud-uploader>, byte for byte', async () => {
    const { handler } = await kooDriveEndpoints();
    const file = await diskFile(40 * MiB + 17, 'koodrive-serial.bin');
    const { result, error } = await uploadThroughElement(handler, file);
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await kooDriveFile(result!.fileId as string), file)).to.equal(-1);
    const { partNumbersReceived, completeWithSha256 } = await stats();
    expect(partNumbersReceived).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(completeWithSha256).to.equal(1);
  });

  it('parallel through the handler: hashCtx per part, parts in flight together, the chain verified', async () => {
    const { handler } = await kooDriveEndpoints();
    await kooDriveAdmin('faults', { method: 'POST', body: { kind: 'delay', partNumber: 1, ms: 1500 } });
    const file = await diskFile(40 * MiB + 17, 'koodrive-parallel.bin');
    const { result, error } = await uploadThroughElement(handler, file, { mode: 'parallel' });
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await kooDriveFile(result!.fileId as string), file)).to.equal(-1);
    const { partNumbersReceived } = await stats();
    expect([...partNumbersReceived].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(partNumbersReceived[0]).to.not.equal(1);
  });

  it('Bearer: the page\'s user token calls the emulated KooDrive directly', async () => {
    const { api } = await kooDriveEndpoints();
    const file = await diskFile(20 * MiB + 3, 'koodrive-bearer.bin');
    const { result, error } = await uploadThroughElement(api, file, { getToken: kooDriveToken });
    expect(error).to.equal(undefined);
    expect(await firstDifferenceFromFile(await kooDriveFile(result!.fileId as string), file)).to.equal(-1);
  });

  it('rapid upload: the second upload of the same bytes sends no part', async () => {
    const { handler } = await kooDriveEndpoints();
    const file = await diskFile(16 * MiB, 'koodrive-rapid.bin');
    const first = await uploadOutcome(manager(createKooDriveAdapter({ endpoint: handler })), file);
    expect(first.error).to.equal(undefined);
    const partsBefore = (await stats()).uploadPart;

    const second = await uploadOutcome(manager(createKooDriveAdapter({ endpoint: handler, mode: 'parallel' }), { resume: false }), file);
    expect(second.result).to.deep.include({ rapid: true });
    expect(second.result!.fileName).to.match(/^koodrive-rapid_\d{8}_\d{6}\.bin$/);
    const after = await stats();
    expect([after.uploadPart, after.rapid]).to.deep.equal([partsBefore, 1]);
    expect(await firstDifferenceFromFile(await kooDriveFile(second.result!.fileId as string), file)).to.equal(-1);
  });

  it('an expired part URL mid-upload, a dropped connection and a 503 are all recovered from', async () => {
    const { handler } = await kooDriveEndpoints();
    await kooDriveAdmin('faults', { method: 'POST', body: { kind: 'expire', operation: 'UploadPart', partNumber: 2 } });
    await kooDriveAdmin('faults', { method: 'POST', body: { kind: 'drop', partNumber: 3, afterBytes: MiB } });
    await kooDriveAdmin('faults', { method: 'POST', body: { kind: 'fail', operation: 'Complete', status: 503, retryAfter: '1' } });
    const waits: number[] = [];
    const file = await diskFile(16 * MiB + 9, 'koodrive-faults.bin');
    const made = manager(createKooDriveAdapter({ endpoint: handler }), { retryHooks: { wait: async (ms) => void waits.push(ms) } });
    const { result, error } = await uploadOutcome(made, file);
    expect(error).to.equal(undefined);
    const faults = await kooDriveAdmin<Array<{ kind: string; fired: number }>>('faults');
    expect(faults.map((fault) => [fault.kind, fault.fired])).to.deep.equal([['expire', 1], ['drop', 1], ['fail', 1]]);
    expect((await stats()).uploadUrl).to.equal(1);
    expect(waits).to.include(1000);
    expect(await firstDifferenceFromFile(await kooDriveFile(result!.fileId as string), file)).to.equal(-1);
  });

  it('resumes after a reload over HTTP: a new manager on the same IndexedDB sends only the missing parts', async () => {
    const { handler } = await kooDriveEndpoints();
    const file = await diskFile(30 * MiB + 3, 'koodrive-resume.bin');
    const first = manager(createKooDriveAdapter({ endpoint: handler }));
    await first.addFiles([file]);
    first.start();
    await leavePageAfter(first, 12 * MiB);
    const [[, record]] = (await entries(createStore(managerWith.dbName, 'checkpoints'))) as [[unknown, { receipts: Array<{ partNumber: number }> }]];
    const saved = record.receipts.map((receipt) => receipt.partNumber);
    expect(saved.length).to.be.within(2, 5);

    const resumed = observed(createKooDriveAdapter({ endpoint: handler }));
    const second = manager(resumed.adapter);
    const [task] = await second.addFiles([file]);
    const done = once(second, 'task-complete');
    second.start();
    const { result } = await done;
    expect(task!.resumed).to.equal(true);
    // Without a listing the checkpoint is the truth: exactly the parts it lacks go again (a part in flight at the
    // pause may have reached the emulator too, unacknowledged).
    expect(resumed.sent).to.deep.equal([1, 2, 3, 4, 5, 6, 7].filter((n) => !saved.includes(n)));
    expect(await firstDifferenceFromFile(await kooDriveFile(result.fileId as string), file)).to.equal(-1);
  });

  it('refuses a bad signature and a bogus token at the gateway', async () => {
    const { api } = await kooDriveEndpoints();
    const url = `${api}/koodrive/ose/v1/files/create`;
    const body = JSON.stringify({ fileName: 'x.bin', fileType: '45', parentFolder: ['root'], length: 1 });
    const headers = await signKooDriveRequest({
      method: 'POST',
      url,
      body,
      appId: 'a378emulatorapp',
      appSecret: 'not-the-app-secret',
      userId: '1505084218764547200',
      now: Date.now(),
    });
    const refused = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { error_code: string }).error_code).to.equal('APIGW.0303');

    const bogus = await uploadOutcome(manager(createKooDriveAdapter({ endpoint: api, getToken: () => 'bogus' })), await diskFile(MiB, 'koodrive-bogus.bin'));
    expect([bogus.error?.code, bogus.error?.provider?.code, bogus.error?.retryable]).to.deep.equal(['auth-failed', 'APIGW.0301', false]);
    expect((await stats()).create).to.equal(0);
  });

  it('a wrong sha256 is refused by KooDrive complete (13000402)', async () => {
    const { handler } = await kooDriveEndpoints();
    const base = createKooDriveAdapter({ endpoint: handler, rapidUpload: false });
    const lying: ProviderAdapter<KooDriveSession> = {
      ...base,
      complete: (ctx, session, receipts) =>
        base.complete({ ...ctx, digest: async (name, n) => (name === 'sha256' ? '0'.repeat(64) : ctx.digest(name, n)) }, session, receipts),
    };
    const { error } = await uploadOutcome(manager(lying), await diskFile(12 * MiB, 'koodrive-lie.bin'));
    expect([error?.code, error?.provider?.code, error?.retryable]).to.deep.equal(['hash-mismatch', '13000402', false]);
    expect(await kooDriveAdmin<unknown[]>('files')).to.deep.equal([]);
  });
});
