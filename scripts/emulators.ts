/** `npm run emulators`: the emulator server on PORT (default 8787), for manual tests and the demo. */
import { startEmulatorServer } from '../src/emulators/node-server.js';

const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? '127.0.0.1';
const staticDir = process.env.STATIC_DIR;

const server = await startEmulatorServer({ port, host, ...(staticDir !== undefined && { staticDir }) });
console.log(`Emulator server: ${server.url}`);
// /emulator/<id>: a provider's emulator; /api/<id>: the shipped backend handler pointed at it; /__admin/<id>: test control.
for (const path of [...server.paths].sort()) console.log(`  ${server.url}${path}`);
if (staticDir !== undefined) console.log(`  Static files:  ${staticDir}`);

const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
