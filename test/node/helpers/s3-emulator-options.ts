import {
  EMULATOR_S3_BASE_PATH,
  EMULATOR_S3_BUCKET,
  EMULATOR_S3_CREDENTIALS,
  EMULATOR_S3_REGION,
} from '../../../src/emulators/node-server.js';
import type { EmulatorServer } from '../../../src/emulators/node-server.js';
import type { S3HandlerOptions } from '../../../src/server/s3-handler.js';

/** The options that point `createS3Handler` at the emulator server's strict S3 emulator. */
export function emulatorS3Options(emulator: EmulatorServer): Pick<S3HandlerOptions, 'bucket' | 'region' | 'endpoint' | 'credentials'> {
  return {
    bucket: EMULATOR_S3_BUCKET,
    region: EMULATOR_S3_REGION,
    endpoint: `${emulator.url}${EMULATOR_S3_BASE_PATH}`,
    credentials: { ...EMULATOR_S3_CREDENTIALS },
  };
}
