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
import { UploadErrorCode as E } from '../../src/core/errors.js';
import type { AdapterHarness, DocumentedCode } from './adapter-contract.js';

const MiB = 1024 * 1024;

const partNumbers = (name: string) => (stats: Record<string, unknown>) => (stats[name] as number[] | undefined) ?? [];
const byKey = (result: UploadResult) => `objects/${encodeURIComponent(result.key as string)}`;
const byFileId = (result: UploadResult) => `files/${encodeURIComponent(result.fileId as string)}`;

/** Codes of the object-store XML dialect the S3, OSS and OBS error pages list for a part PUT, with their statuses. */
const storeCode = (code: string, status: number, expected: E): DocumentedCode => ({ code, status, expected });
/** Codes a provider documents for a call other than the part's: code, status, and the error class the page must see. */
const codesOn = (operation: string, codes: ReadonlyArray<readonly [string, number, E]>): DocumentedCode[] =>
  codes.map(([code, status, expected]) => ({ call: { operation }, code, status, expected }));
const STORE_CODES = {
  NoSuchUpload: storeCode('NoSuchUpload', 404, E.NotFound),
  AccessDenied: storeCode('AccessDenied', 403, E.AuthFailed),
  SignatureDoesNotMatch: storeCode('SignatureDoesNotMatch', 403, E.AuthFailed),
  RequestTimeTooSkewed: storeCode('RequestTimeTooSkewed', 403, E.AuthFailed),
  EntityTooLarge: storeCode('EntityTooLarge', 400, E.LimitExceeded),
  InvalidDigest: storeCode('InvalidDigest', 400, E.HashMismatch),
  SlowDown: storeCode('SlowDown', 503, E.RateLimited),
  InternalError: storeCode('InternalError', 500, E.ServerError),
};

/** Each adapter as the shared contract drives it against the e2e emulator server; the one place that knows them apart. */
export const ADAPTER_HARNESSES: Record<string, AdapterHarness> = {
  s3: {
    adapter: async (origin) => createS3Adapter({ endpoint: `${origin}/api` }),
    createCall: { operation: 'CreateMultipartUpload' },
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byKey,
    partsReceived: partNumbers('partNumbersReceived'),
    cancelCloses: true,
    documentedCodes: [...Object.values(STORE_CODES), storeCode('ExpiredToken', 400, E.UrlExpired)],
  },
  tus: {
    adapter: async (origin) => createTusAdapter({ endpoint: `${origin}/emulator/tus`, checksum: 'none' }),
    // Partial uploads are made as lanes free up: the first one is made while the first part waits.
    createCall: { operation: 'Create' },
    // The tus server lists every upload it holds, finished or not.
    unfinished: (listed) => (listed as Array<{ offset: number; length?: number }>).filter((upload) => upload.offset !== upload.length),
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    // Parts go up as partial uploads (concatenation), each with its own first PATCH: the first one sent is the fault's.
    partCall: { operation: 'Patch' },
    storedPath: byFileId,
    cancelCloses: true,
    // tus has no error codes: the status is the answer (tus 1.0 protocol, its checksum extension's 460).
    documentedCodes: [
      { status: 403, expected: E.AuthFailed },
      { status: 410, expected: E.NotFound },
      { status: 413, expected: E.LimitExceeded },
      { status: 415, expected: E.ProviderRejected },
      { status: 460, expected: E.HashMismatch },
    ],
  },
  'aliyun-pds': {
    adapter: async (origin) => createAliyunPdsAdapter({ endpoint: `${origin}/emulator/aliyun-pds`, driveId: '1', getToken: pdsToken, rapidUpload: false }),
    createCall: { operation: 'CreateFile' },
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byFileId,
    partsReceived: partNumbers('partNumbersReceived'),
    // PDS has no abort call: unfinished parts are kept for 10 days (seed 000).
    cancelCloses: false,
    documentedCodes: [
      ...Object.values(STORE_CODES).filter((code) => code.code !== 'SlowDown'),
      storeCode('PartNotSequential', 409, E.ProviderRejected),
      // The API's own codes (JSON `{code, message}`), as PDS's error table lists them, on the call that makes the file.
      ...codesOn('CreateFile', [
        ['InvalidParameter', 400, E.ProviderRejected],
        ['InvalidParameterOutOfRange', 400, E.LimitExceeded],
        ['AccessTokenInvalid', 401, E.AuthFailed],
        ['Forbidden', 403, E.AuthFailed],
        ['NotFound.Drive', 404, E.NotFound],
        ['TooManyRequests', 429, E.RateLimited],
        ['InternalError', 500, E.ServerError],
      ]),
    ],
  },
  'tencent-cos-v4': {
    adapter: async () => createTencentCosV4Adapter({ ...(await cosV4E2eOptions()), singleUploadThreshold: 0 }),
    createCall: { operation: 'upload_slice_init' },
    pendingPath: 'sessions',
    partSize: MiB,
    size: 3 * MiB + 7,
    partCall: { operation: 'upload_slice_data', partNumber: 2 },
    storedPath: byKey,
    partsReceived: partNumbers('partNumbersReceived'),
    // The v4 API has no abort call: a canceled session is left to expire.
    cancelCloses: false,
    // The v4 error codes the provider note lists, in the JSON body's `code`, with the statuses COS sends them with.
    documentedCodes: [
      { code: '-71', status: 503, expected: E.RateLimited },
      { code: '-97', status: 403, expected: E.AuthFailed },
      { code: '-133', status: 404, expected: E.NotFound },
      { code: '-195', status: 500, expected: E.ServerError },
      { code: '-4016', status: 409, expected: E.HashMismatch },
    ],
  },
  'huawei-koodrive': {
    adapter: async (origin) => createKooDriveAdapter({ endpoint: `${origin}/api/huawei-koodrive` }),
    createCall: { operation: 'CreateFile' },
    partSize: 5 * MiB,
    size: 15 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: byFileId,
    partsReceived: partNumbers('partNumbersReceived'),
    cancelCloses: false,
    documentedCodes: [
      ...Object.values(STORE_CODES),
      storeCode('InvalidPartOrder', 400, E.ProviderRejected),
      // The business codes (HTTP 400 `{code, msg}`) of the reference's table that creating a file can meet.
      ...codesOn('CreateFile', [
        ['13000102', 400, E.ProviderRejected],
        ['13000301', 400, E.ProviderRejected],
        ['13000305', 400, E.ProviderRejected],
        ['13000309', 400, E.NotFound],
        ['13000311', 400, E.LimitExceeded],
      ]),
    ],
  },
  'iflytek-ost': {
    adapter: async (origin) => createIflytekOstAdapter({ endpoint: `${origin}/api/iflytek-ost` }),
    createCall: { operation: 'Init' },
    partSize: 5 * MiB,
    size: 25 * MiB + 7,
    partCall: { operation: 'UploadPart', partNumber: 2 },
    storedPath: (result) => `files/${encodeURIComponent(String(result['url']).split('/').pop()!)}`,
    partsReceived: partNumbers('sliceIdsReceived'),
    cancelCloses: true,
    // Seed 001's code table: every answer is HTTP 200 with the code in the body.
    documentedCodes: [
      { code: '10001', status: 200, expected: E.ProviderRejected },
      { code: '10002', status: 200, expected: E.ServerError },
      { code: '10006', status: 200, expected: E.ServerError },
      { code: '10007', status: 200, expected: E.ServerError },
    ],
  },
  'huawei-metastudio': {
    adapter: async (origin) => createMetaStudioAdapter({ endpoint: `${origin}/api/huawei-metastudio` }),
    // After the asset (made or named) and the MD5: the file record whose upload URL the PUT goes to.
    createCall: { operation: 'CreateFile' },
    partSize: 2 * MiB,
    size: 2 * MiB + 7,
    // MetaStudio takes a file in one PUT to OBS, which knows nothing of sessions: the file record is lost at confirm.
    partCall: { operation: 'PutObject' },
    sessionCall: { operation: 'ConfirmFileUpload' },
    storedPath: (result) => `objects/${encodeURIComponent(result.fileId as string)}`,
    cancelCloses: false,
    documentedCodes: [
      STORE_CODES.AccessDenied,
      STORE_CODES.SignatureDoesNotMatch,
      STORE_CODES.EntityTooLarge,
      storeCode('BadDigest', 400, E.HashMismatch),
      STORE_CODES.InternalError,
    ],
  },
};
