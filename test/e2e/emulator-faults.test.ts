import { expect } from '@open-wc/testing';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { ProviderAdapter, UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';
import { createS3Adapter } from '../../src/providers/s3.js';
import { createTusAdapter } from '../../src/providers/tus.js';
import { createAliyunPdsAdapter } from '../../src/providers/aliyun-pds.js';
import { createTencentCosV4Adapter } from '../../src/providers/tencent-cos-v4.js';
import { createKooDriveAdapter } from '../../src/providers/huawei-koodrive.js';
import { createIflytekOstAdapter } from '../../src/providers/iflytek-ost.js';
import { createMetaStudioAdapter } from '../../src/providers/huawei-metastudio.js';
import { makeBytes } from '../helpers/make-blob.js';
import { e2eServers, firstDifference } from '../helpers/e2e.js';
import { adminRoute, storedBytesOf, type ArmedFault } from '../helpers/emulator-admin.js';
import { cosV4E2eOptions } from '../helpers/tencent-cos-v4-e2e.js';
import { pdsToken } from '../helpers/aliyun-pds-e2e.js';

const MiB = 1024 * 1024;

/** One provider as these tests drive it: its adapter on the emulator server, and where its stored bytes are read. */
interface FaultCase {
  id: string;
  adapter(emulatorUrl: string): Promise<ProviderAdapter>;
  partSize: number;
  size: number;
  /** The call that carries the second part's bytes, as a fault matches it. */
  secondPart: { operation: string; partNumber?: number };
  /** The call whose session a `lose-session` fault takes away; the second part's call unless the protocol differs. */
  sessionCall?: { operation: string; partNumber?: number };
  storedPath(result: UploadResult): string;
}

const CASES: FaultCase[] = [
  {
    id: 's3',
    adapter: async (origin) => createS3Adapter({ endpoint: `${origin}/api` }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    secondPart: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `objects/${encodeURIComponent(result.key as string)}`,
  },
  {
    id: 'tus',
    adapter: async (origin) => createTusAdapter({ endpoint: `${origin}/emulator/tus`, checksum: 'none' }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    // Parts go up as partial uploads (concatenation), each with its own first PATCH: the first one sent is the fault's.
    secondPart: { operation: 'Patch' },
    storedPath: (result) => `files/${encodeURIComponent(result.fileId as string)}`,
  },
  {
    id: 'aliyun-pds',
    adapter: async (origin) =>
      createAliyunPdsAdapter({ endpoint: `${origin}/emulator/aliyun-pds`, driveId: '1', getToken: pdsToken, rapidUpload: false }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    secondPart: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `files/${encodeURIComponent(result.fileId as string)}`,
  },
  {
    id: 'tencent-cos-v4',
    adapter: async () => createTencentCosV4Adapter({ ...(await cosV4E2eOptions()), singleUploadThreshold: 0 }),
    partSize: MiB,
    size: 3 * MiB + 7,
    secondPart: { operation: 'upload_slice_data', partNumber: 2 },
    storedPath: (result) => `objects/${encodeURIComponent(result.key as string)}`,
  },
  {
    id: 'huawei-koodrive',
    adapter: async (origin) => createKooDriveAdapter({ endpoint: `${origin}/api/huawei-koodrive` }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    secondPart: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `files/${encodeURIComponent(result.fileId as string)}`,
  },
  {
    id: 'iflytek-ost',
    adapter: async (origin) => createIflytekOstAdapter({ endpoint: `${origin}/api/iflytek-ost` }),
    partSize: 5 * MiB,
    size: 25 * MiB + 7,
    secondPart: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `files/${encodeURIComponent(String(result['url']).split('/').pop()!)}`,
  },
  {
    id: 'huawei-metastudio',
    adapter: async (origin) => createMetaStudioAdapter({ endpoint: `${origin}/api/huawei-metastudio` }),
    partSize: 2 * MiB,
    size: 2 * MiB + 7,
    // MetaStudio takes a file in one PUT to OBS, which knows nothing of sessions: the file record is lost at confirm.
    secondPart: { operation: 'PutObject' },
    sessionCall: { operation: 'ConfirmFileUpload' },
    storedPath: (result) => `objects/${encodeURIComponent(result.fileId as string)}`,
  },
];

describe('session loss and store-then-drop, armed over the admin route, every provider over real HTTP', function () {
  this.timeout(120_000);
  const managers: UploadManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) {
      await manager.cancel();
      manager.dispose();
    }
  });

  async function upload(spec: FaultCase, name: string): Promise<{ result?: UploadResult; error?: UploadError; warnings: string[]; bytes: Uint8Array }> {
    const { emulatorUrl } = await e2eServers();
    const manager = new UploadManager({
      adapter: await spec.adapter(emulatorUrl),
      resume: false,
      partSize: spec.partSize,
      concurrency: 1,
      retryHooks: { wait: async () => {} },
    });
    managers.push(manager);
    const warnings: string[] = [];
    manager.addEventListener('warning', (event) => warnings.push(event.detail.error.code));
    const bytes = makeBytes(spec.size, spec.id.length);
    await manager.addFiles([new File([bytes], name)]);
    const outcome = new Promise<{ result?: UploadResult; error?: UploadError }>((resolve) => {
      manager.addEventListener('task-complete', (event) => resolve({ result: event.detail.result }));
      manager.addEventListener('task-error', (event) => resolve({ error: event.detail.error }));
    });
    manager.start();
    return { ...(await outcome), warnings, bytes };
  }

  for (const spec of CASES) {
    describe(spec.id, () => {
      beforeEach(async () => {
        await adminRoute(spec.id, 'reset', { method: 'POST' });
      });

      it('lose-session: the store forgets the upload before the second part; the adapter starts over with a warning', async () => {
        const armed = await adminRoute<ArmedFault>(spec.id, 'faults', { method: 'POST', body: { kind: 'lose-session', ...(spec.sessionCall ?? spec.secondPart) } });
        expect(armed.kind).to.equal('lose-session');
        const { result, error, warnings, bytes } = await upload(spec, `lost-${spec.id}.bin`);
        expect(error).to.equal(undefined);
        const [fault] = await adminRoute<ArmedFault[]>(spec.id, 'faults');
        expect(fault!.fired).to.equal(1);
        expect(warnings).to.include('not-found');
        expect(firstDifference(await storedBytesOf(spec.id, spec.storedPath(result!)), bytes)).to.equal(-1);
      });

      it('store-then-drop: the store keeps the second part, the answer is lost, and the upload still ends byte for byte', async () => {
        await adminRoute(spec.id, 'faults', { method: 'POST', body: { kind: 'store-then-drop', ...spec.secondPart } });
        const { result, error, bytes } = await upload(spec, `kept-${spec.id}.bin`);
        expect(error).to.equal(undefined);
        const [fault] = await adminRoute<ArmedFault[]>(spec.id, 'faults');
        expect(fault!.fired).to.equal(1);
        expect(firstDifference(await storedBytesOf(spec.id, spec.storedPath(result!)), bytes)).to.equal(-1);
      });
    });
  }
});
