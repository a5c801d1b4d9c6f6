import { createS3Handler } from '../server/s3-handler.js';
import { DROPPED_AS_OBJECT_STORE, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { S3Emulator } from './s3-emulator.js';

/** Where the S3 emulator is mounted on the emulator server. */
export const EMULATOR_S3_BASE_PATH = '/emulator/s3';
/** The emulated bucket. */
export const EMULATOR_S3_BUCKET = 'mcu-bucket';
/** The emulated region. */
export const EMULATOR_S3_REGION = 'us-east-1';
/** The test key pair the S3 emulator accepts; not a secret. */
export const EMULATOR_S3_CREDENTIALS = {
  accessKeyId: 'AKIDEMULATOR000000',
  secretAccessKey: 'emulator-secret-key-not-a-secret',
} as const;
/** Where the shipped S3 backend handler (Companion routes) is mounted, talking to the emulator. */
export const EMULATOR_API_BASE_PATH = '/api';
/** Where the test-only admin routes of the S3 emulator live. */
export const EMULATOR_S3_ADMIN_PATH = '/__admin/s3';

/** Options of {@link s3Mounts}. */
export type S3MountOptions = ProviderMountOptions<S3Emulator>;

/**
 * The emulator server's S3 routes: the emulator (bucket `mcu-bucket`, the test key pair), its admin routes (the shared
 * ones: `objects/{key}` holds an object's bytes, `uploads` lists open multipart uploads), and the shipped S3 backend
 * handler at `/api/s3` pointed at that emulator.
 */
export const s3Mounts = providerMounts<S3Emulator>({
  path: EMULATOR_S3_BASE_PATH,
  adminPath: EMULATOR_S3_ADMIN_PATH,
  emulator: (origin) =>
    new S3Emulator({
      basePath: EMULATOR_S3_BASE_PATH,
      bucket: EMULATOR_S3_BUCKET,
      region: EMULATOR_S3_REGION,
      credentials: { ...EMULATOR_S3_CREDENTIALS },
      origin,
    }),
  dropped: DROPPED_AS_OBJECT_STORE,
  admin: () => ({ storedUnder: 'objects', pendingAt: 'uploads' }),
  handlers: (_emulator, origin) => [
    {
      // Mounted on its own routes so that other providers' backends can live at `/api/<id>` beside it.
      path: `${EMULATOR_API_BASE_PATH}/s3`,
      handler: createS3Handler({
        bucket: EMULATOR_S3_BUCKET,
        region: EMULATOR_S3_REGION,
        endpoint: `${origin}${EMULATOR_S3_BASE_PATH}`,
        forcePathStyle: true,
        credentials: { ...EMULATOR_S3_CREDENTIALS },
        keyPrefix: 'uploads/',
        basePath: EMULATOR_API_BASE_PATH,
        // Test pages and the demo call it from their own origins.
        allowedOrigins: '*',
      }),
    },
  ],
});
