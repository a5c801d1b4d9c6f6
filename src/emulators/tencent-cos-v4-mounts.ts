import { createCosV4SignatureHandler } from '../server/tencent-cos-v4-handler.js';
import { armFaultFor } from './admin-routes.js';
import { droppedAsJson, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { TencentCosV4Emulator } from './tencent-cos-v4-emulator.js';

/** Where the COS v4 pieces live on the emulator server, and the test bucket and key pair (not secrets). */
export const EMULATOR_COS_V4 = {
  /** The emulator: object URLs are `{basePath}/files/v2/{appId}/{bucket}/{path}`. */
  basePath: '/emulator/tencent-cos-v4',
  /** Test-only control: `objects/{path}`, `stats`, `sessions`, `faults`, `reset`. */
  adminPath: '/__admin/tencent-cos-v4',
  /** The shipped signature handler: `POST {apiPath}/signature` with `{ path }`. */
  apiPath: '/api/tencent-cos-v4',
  appId: '1250000000',
  bucket: 'mcubucket',
  credentials: { secretId: 'AKIDCOSV4EMULATOR00000', secretKey: 'cos-v4-emulator-secret-not-a-secret' },
  /** Seconds a signature from the mounted handler lives: short, as the README advises. */
  signatureLifetime: 120,
} as const;

/** The COS v4 fault parser: a part number alone means a slice (`upload_slice_data`). */
export const armCosV4Fault = armFaultFor('upload_slice_data');

/** COS's `POST faults` body: anything but a JSON object is refused as `invalid-fault`, not `invalid-json`. */
async function readFaultSpec(request: Request): Promise<Record<string, unknown>> {
  const spec: unknown = await request.json();
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new TypeError('The body must be a JSON object');
  return spec as Record<string, unknown>;
}

/** Options of {@link tencentCosV4Mounts}. */
export type TencentCosV4MountOptions = ProviderMountOptions<TencentCosV4Emulator>;

/**
 * The COS v4 mounts of the emulator server: the emulator (test bucket and key pair), its admin routes (the shared
 * ones, `objects/{path}` holding a file's bytes and `sessions` the open ones), and the shipped signature handler with
 * its defaults, signing for that bucket with a short lifetime and each signature bound to its object.
 */
export const tencentCosV4Mounts = providerMounts<TencentCosV4Emulator>({
  path: EMULATOR_COS_V4.basePath,
  adminPath: EMULATOR_COS_V4.adminPath,
  emulator: () =>
    new TencentCosV4Emulator({
      basePath: EMULATOR_COS_V4.basePath,
      appId: EMULATOR_COS_V4.appId,
      bucket: EMULATOR_COS_V4.bucket,
      credentials: { ...EMULATOR_COS_V4.credentials },
    }),
  dropped: droppedAsJson({ code: -195, message: 'The connection was dropped by a fault.' }),
  armFault: armCosV4Fault,
  admin: () => ({ readFaultSpec, storedUnder: 'objects', pendingAt: 'sessions' }),
  handlers: () => [
    {
      path: EMULATOR_COS_V4.apiPath,
      handler: createCosV4SignatureHandler({
        appId: EMULATOR_COS_V4.appId,
        bucket: EMULATOR_COS_V4.bucket,
        ...EMULATOR_COS_V4.credentials,
        expiresIn: EMULATOR_COS_V4.signatureLifetime,
        basePath: EMULATOR_COS_V4.apiPath,
        // Test pages are served from other origins (the test runner's, the demo's).
        allowedOrigins: '*',
      }),
    },
  ],
});
