import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from '@web/dev-server-core';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulators/node-server.js';
import { createS3Handler } from '../../src/server/s3-handler.js';
import { startTusServer, type TusServer } from './tus-server.js';

/** What `GET /__e2e.json` answers on the test runner's own server. */
export interface E2eServers {
  /** Origin of the emulator server: S3 emulator at `/emulator/s3`, admin at `/__admin/s3`. */
  emulatorUrl: string;
  /** The shipped S3 backend handler talking to the emulator, e.g. `http://127.0.0.1:P/api`. */
  apiUrl: string;
  /** The same handler talking to s3rver. */
  s3rverApiUrl: string;
  /** Origin of s3rver; read objects back with a plain GET `${s3rverUrl}/${s3rverBucket}/${key}`. */
  s3rverUrl: string;
  /** The creation URL of a real @tus/server 2.4.5 with @tus/file-store 2.1.1, e.g. `http://127.0.0.1:P/files`. */
  tusUrl: string;
  /** Its test-only routes on the same origin: `GET files/{id}` (the stored bytes), `GET uploads/{id}` (the store's
   * JSON record), `GET|DELETE requests` (the log of tus requests). */
  tusAdminUrl: string;
  s3rverBucket: string;
  /** Origin of the shipped handlers running inside workerd (test/workerd/worker.ts), on the emulator server's `/api/…`
   * paths; set by workerdPlugin, absent when it could not start (the test runner's log says why). */
  workerdUrl?: string;
}

/** The plugin, and what plugins listed after it in the config use from their own `serverStart`. */
export interface E2eServersPlugin extends Plugin {
  /** The running servers. */
  servers(): E2eServers;
  /** Adds a server that another plugin started to what `GET /__e2e.json` answers. */
  publish(more: Partial<E2eServers>): void;
}

/** The part of s3rver 3.7.1's API used here; the package ships no types. */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const S3RVER_BUCKET = 'mcu-bucket';
const S3RVER_API_PATH = '/api-s3rver';
const S3RVER_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * A web-test-runner plugin that starts the servers end-to-end tests talk to: the emulator server (S3 emulator, the
 * S3 backend handler at `/api`, admin routes) and s3rver with the same backend handler mounted at `/api-s3rver`,
 * and tells the page where they are at `GET /__e2e.json`. Everything stops with the test runner.
 */
export function e2eServersPlugin(): E2eServersPlugin {
  let emulator: EmulatorServer | undefined;
  let s3rver: S3rverInstance | undefined;
  let directory: string | undefined;
  let servers: E2eServers | undefined;
  let tus: TusServer | undefined;
  const running = (): E2eServers => {
    if (!servers) throw new Error('e2e servers are not running');
    return servers;
  };

  return {
    name: 'e2e-servers',
    servers: running,
    publish(more) {
      Object.assign(running(), more);
    },

    async serverStart() {
      directory = await mkdtemp(join(tmpdir(), 'mcu-s3rver-'));
      // s3rver is CommonJS without types; createRequire keeps its import typed through the interface above.
      const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
      s3rver = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory,
        configureBuckets: [{ name: S3RVER_BUCKET, configs: [S3RVER_CORS] }],
      });
      const { port } = await s3rver.run();
      const s3rverUrl = `http://127.0.0.1:${port}`;
      emulator = await startEmulatorServer({
        mounts: [
          {
            path: S3RVER_API_PATH,
            handler: createS3Handler({
              bucket: S3RVER_BUCKET,
              region: 'us-east-1',
              endpoint: s3rverUrl,
              forcePathStyle: true,
              credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
              keyPrefix: 'uploads/',
              basePath: S3RVER_API_PATH,
              allowedOrigins: '*',
            }),
          },
        ],
      });
      tus = await startTusServer();
      servers = {
        emulatorUrl: emulator.url,
        apiUrl: `${emulator.url}/api`,
        s3rverApiUrl: `${emulator.url}${S3RVER_API_PATH}`,
        s3rverUrl,
        tusUrl: tus.endpoint,
        tusAdminUrl: tus.adminUrl,
        s3rverBucket: S3RVER_BUCKET,
      };
    },

    async serverStop() {
      await emulator?.close();
      await tus?.close();
      if (s3rver) {
        const closing = s3rver.close();
        // Browsers keep connections alive; without this close() waits for them to time out.
        s3rver.httpServer?.closeAllConnections();
        await closing;
      }
      if (directory) await rm(directory, { recursive: true, force: true });
    },

    serve(context) {
      if (context.path !== '/__e2e.json') return undefined;
      return { body: JSON.stringify(running()), type: 'application/json', headers: { 'cache-control': 'no-store' } };
    },
  };
}
