import type { FetchHandler } from '../server/node-http.js';
import { createIflytekOstHandler } from '../server/iflytek-ost-handler.js';
import { createAdminHandler, json, jsonError, noContent, storedBytes, type ArmFault } from './admin-routes.js';
import { IflytekOstEmulator } from './iflytek-ost-emulator.js';
import type { EmulatorMount } from './node-server.js';
import { dropsOverNode } from './over-node.js';

/** Where the iFlytek OST emulator is mounted on the emulator server. */
export const EMULATOR_IFLYTEK_OST_BASE_PATH = '/emulator/iflytek-ost';
/** Where the shipped signing proxy is mounted on the emulator server, forwarding to the emulator. */
export const EMULATOR_IFLYTEK_OST_API_PATH = '/api/iflytek-ost';
/** Where the test-only admin routes of the iFlytek OST emulator live. */
export const EMULATOR_IFLYTEK_OST_ADMIN_PATH = '/__admin/iflytek-ost';
/** The test application the emulator accepts; not a secret. */
export const EMULATOR_IFLYTEK_OST_CREDENTIALS = {
  appId: 'mcuemulator',
  apiKey: 'emulator-api-key',
  apiSecret: 'emulator-api-secret-not-a-secret',
} as const;

/**
 * Test-only control of the iFlytek OST emulator over HTTP: `GET files` (ids), `GET files/{id}` (the stored bytes),
 * `GET stats`, `GET uploads`, `POST uploads/{id}/expire`, `GET|POST|DELETE faults` and `POST reset`. A fault's
 * `status` 10001–10007 answers that service code; a `partNumber` alone means a slice (`UploadPart`).
 */
export function iflytekOstAdminHandler(emulator: IflytekOstEmulator, armFault: ArmFault, basePath = EMULATOR_IFLYTEK_OST_ADMIN_PATH): FetchHandler {
  return createAdminHandler({
    basePath,
    emulator,
    armFault,
    routes: ({ route, method }) => {
      if (route === 'files' && method === 'GET') return json(emulator.fileIds());
      if (route.startsWith('files/') && method === 'GET') {
        return storedBytes(emulator.storedBytes(decodeURIComponent(route.slice('files/'.length))), 'No such file');
      }
      if (route === 'uploads' && method === 'GET') return json(emulator.pending());
      const expire = /^uploads\/([^/]+)\/expire$/.exec(route);
      if (expire && method === 'POST') {
        return emulator.expireUpload(decodeURIComponent(expire[1]!)) ? noContent() : jsonError(404, 'not-found', 'No such upload');
      }
      return undefined;
    },
  });
}

/** Options of {@link iflytekOstMounts}. */
export interface IflytekOstMountOptions {
  /** The emulator server's origin, which the proxy forwards to. */
  origin: string;
  /** The server's fault parser, shared by every emulator's admin routes. */
  armFault: ArmFault;
  /** An emulator of your own; by default one with the test credentials. */
  emulator?: IflytekOstEmulator;
}

/**
 * The emulator server's iFlytek OST routes: the emulator at `/emulator/iflytek-ost` (test credentials), its admin
 * at `/__admin/iflytek-ost`, and the shipped signing proxy at `/api/iflytek-ost` forwarding to the emulator over HTTP.
 */
export function iflytekOstMounts(options: IflytekOstMountOptions): EmulatorMount[] {
  const { origin, armFault } = options;
  const served =
    options.emulator ?? new IflytekOstEmulator({ basePath: EMULATOR_IFLYTEK_OST_BASE_PATH, credentials: { ...EMULATOR_IFLYTEK_OST_CREDENTIALS } });
  return [
    {
      path: served.basePath,
      handler: dropsOverNode((request) => served.handle(request), {
        body: JSON.stringify({ code: 10006, message: 'connection dropped by a fault' }),
        contentType: 'application/json',
      }),
    },
    { path: EMULATOR_IFLYTEK_OST_ADMIN_PATH, handler: iflytekOstAdminHandler(served, armFault) },
    {
      path: EMULATOR_IFLYTEK_OST_API_PATH,
      handler: createIflytekOstHandler({
        ...EMULATOR_IFLYTEK_OST_CREDENTIALS,
        upstream: `${origin}${served.basePath}`,
        basePath: EMULATOR_IFLYTEK_OST_API_PATH,
        // Test pages and the demo call it from other origins.
        allowedOrigins: '*',
      }),
    },
  ];
}
