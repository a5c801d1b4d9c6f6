import type { Plugin } from '@web/dev-server-core';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulators/node-server.js';
import { startTusServer, type TusServer } from './tus-server.js';
import { S3RVER_BUCKET, s3rverMount, startS3rver, type S3rverServer } from './s3rver.js';

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

const S3RVER_API_PATH = '/api-s3rver';

/**
 * A web-test-runner plugin that starts the servers end-to-end tests talk to: the emulator server (S3 emulator, the
 * S3 backend handler at `/api`, admin routes) and s3rver with the same backend handler mounted at `/api-s3rver`,
 * and tells the page where they are at `GET /__e2e.json`. Everything stops with the test runner.
 */
export function e2eServersPlugin(): E2eServersPlugin {
  let emulator: EmulatorServer | undefined;
  let s3rver: S3rverServer | undefined;
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
      s3rver = await startS3rver();
      emulator = await startEmulatorServer({
        mounts: [s3rverMount(s3rver, S3RVER_API_PATH)],
      });
      tus = await startTusServer();
      servers = {
        emulatorUrl: emulator.url,
        apiUrl: `${emulator.url}/api`,
        s3rverApiUrl: `${emulator.url}${S3RVER_API_PATH}`,
        s3rverUrl: s3rver.url,
        tusUrl: tus.endpoint,
        tusAdminUrl: tus.adminUrl,
        s3rverBucket: S3RVER_BUCKET,
      };
    },

    async serverStop() {
      await emulator?.close();
      await tus?.close();
      await s3rver?.close();
    },

    serve(context) {
      if (context.path !== '/__e2e.json') return undefined;
      return { body: JSON.stringify(running()), type: 'application/json', headers: { 'cache-control': 'no-store' } };
    },
  };
}
