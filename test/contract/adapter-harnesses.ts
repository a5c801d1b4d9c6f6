import type { UploadResult } from '../../src/core/adapter.js';
import { createS3Adapter } from '../../src/providers/s3.js';
import { createTusAdapter } from '../../src/providers/tus.js';
import { createAliyunPdsAdapter } from '../../src/providers/aliyun-pds.js';
import { createTencentCosV4Adapter } from '../../src/providers/tencent-cos-v4.js';
import { createKooDriveAdapter } from '../../src/providers/huawei-koodrive.js';
import { createIflytekOstAdapter } from '../../src/providers/iflytek-ost.js';
import { createMetaStudioAdapter } from '../../src/providers/huawei-metastudio.js';
import { cosV4E2eOptions } from '../helpers/tencent-cos-v4-e2e.js';
import { pdsToken } from '../helpers/aliyun-pds-e2e.js';
import type { AdapterHarness } from './adapter-contract.js';

const MiB = 1024 * 1024;

const partNumbers = (name: string) => (stats: Record<string, unknown>) => (stats[name] as number[] | undefined) ?? [];
const byKey = (result: UploadResult) => `objects/${encodeURIComponent(result.key as string)}`;
const byFileId = (result: UploadResult) => `files/${encodeURIComponent(result.fileId as string)}`;

/** Each adapter as the shared contract drives it against the e2e emulator server; the one place that knows them apart. */
export const ADAPTER_HARNESSES: Record<string, AdapterHarness> = {
  s3: {
    adapter: async (origin) => createS3Adapter({ endpoint: `${origin}/api` }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byKey,
    partsReceived: partNumbers('partNumbersReceived'),
    cancelCloses: true,
  },
  tus: {
    adapter: async (origin) => createTusAdapter({ endpoint: `${origin}/emulator/tus`, checksum: 'none' }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    // Parts go up as partial uploads (concatenation), each with its own first PATCH: the first one sent is the fault's.
    partCall: { operation: 'Patch' },
    storedPath: byFileId,
    cancelCloses: true,
  },
  'aliyun-pds': {
    adapter: async (origin) => createAliyunPdsAdapter({ endpoint: `${origin}/emulator/aliyun-pds`, driveId: '1', getToken: pdsToken, rapidUpload: false }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byFileId,
    partsReceived: partNumbers('partNumbersReceived'),
    // PDS has no abort call: unfinished parts are kept for 10 days (seed 000).
    cancelCloses: false,
  },
  'tencent-cos-v4': {
    adapter: async () => createTencentCosV4Adapter({ ...(await cosV4E2eOptions()), singleUploadThreshold: 0 }),
    partSize: MiB,
    size: 3 * MiB + 7,
    partCall: { operation: 'upload_slice_data', partNumber: 2 },
    storedPath: byKey,
    partsReceived: partNumbers('partNumbersReceived'),
    // The v4 API has no abort call: a canceled session is left to expire.
    cancelCloses: false,
  },
  'huawei-koodrive': {
    adapter: async (origin) => createKooDriveAdapter({ endpoint: `${origin}/api/huawei-koodrive` }),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byFileId,
    partsReceived: partNumbers('partNumbersReceived'),
    cancelCloses: false,
  },
  'iflytek-ost': {
    adapter: async (origin) => createIflytekOstAdapter({ endpoint: `${origin}/api/iflytek-ost` }),
    partSize: 5 * MiB,
    size: 25 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `files/${encodeURIComponent(String(result['url']).split('/').pop()!)}`,
    partsReceived: partNumbers('sliceIdsReceived'),
    cancelCloses: true,
  },
  'huawei-metastudio': {
    adapter: async (origin) => createMetaStudioAdapter({ endpoint: `${origin}/api/huawei-metastudio` }),
    partSize: 2 * MiB,
    size: 2 * MiB + 7,
    // MetaStudio takes a file in one PUT to OBS, which knows nothing of sessions: the file record is lost at confirm.
    partCall: { operation: 'PutObject' },
    sessionCall: { operation: 'ConfirmFileUpload' },
    storedPath: (result) => `objects/${encodeURIComponent(result.fileId as string)}`,
    cancelCloses: false,
  },
};
