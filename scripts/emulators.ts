/** `npm run emulators`: the emulator server on PORT (default 8787), for manual tests and the demo. */
import {
  EMULATOR_API_BASE_PATH,
  EMULATOR_S3_ADMIN_PATH,
  EMULATOR_S3_BASE_PATH,
  EMULATOR_S3_BUCKET,
  startEmulatorServer,
} from '../src/emulators/node-server.js';

const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? '127.0.0.1';
const staticDir = process.env.STATIC_DIR;

const server = await startEmulatorServer({ port, host, ...(staticDir !== undefined && { staticDir }) });
console.log(`Emulator server: ${server.url}`);
console.log(`  S3 emulator:   ${server.url}${EMULATOR_S3_BASE_PATH}/${EMULATOR_S3_BUCKET}/{key}`);
console.log(`  S3 backend:    ${server.url}${EMULATOR_API_BASE_PATH}/s3/… (Companion routes)`);
console.log(`  Admin:         ${server.url}${EMULATOR_S3_ADMIN_PATH}/{stats,uploads,faults,reset,objects/{key}}`);
if (staticDir !== undefined) console.log(`  Static files:  ${staticDir}`);

const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
