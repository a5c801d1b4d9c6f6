/**
 * `npm run demo`: the demo page on Vite's dev server, with every provider emulated by the local emulator server.
 * The page's `/api` calls are proxied to the emulator server's backend handlers; presigned URLs point at the
 * emulators' own origin, so the browser meets cross-origin uploads and CORS exactly as with a real bucket.
 */
import { createServer } from 'vite';
import { startEmulatorServer } from '../src/emulators/node-server.js';

const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? '127.0.0.1';

const emulators = await startEmulatorServer({ port: Number(process.env.EMULATOR_PORT ?? 0), host });
const vite = await createServer({
  root: 'demo',
  configFile: false,
  server: {
    host,
    port,
    strictPort: true,
    proxy: Object.fromEntries(['/api', '/emulator', '/__admin'].map((path) => [path, { target: emulators.url, changeOrigin: true }])),
  },
});
await vite.listen();
console.log(`Demo:      http://${host}:${port}/`);
console.log(`Emulators: ${emulators.url} (backend at ${emulators.url}/api)`);

const stop = async () => {
  await vite.close();
  await emulators.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
