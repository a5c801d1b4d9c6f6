import { createIflytekOstHandler } from '../server/iflytek-ost-handler.js';
import { json, jsonError, noContent } from './admin-routes.js';
import { droppedAsJson, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { IflytekOstEmulator } from './iflytek-ost-emulator.js';

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

/** Options of {@link iflytekOstMounts}. */
export type IflytekOstMountOptions = ProviderMountOptions<IflytekOstEmulator>;

/**
 * The emulator server's iFlytek OST routes: the emulator (test credentials), its admin routes (the shared ones,
 * `files/{id}` holding the bytes, plus `GET files` for the ids and `POST uploads/{id}/expire`; a fault's `status`
 * 10001–10007 answers that service code, a `partNumber` alone means a slice), and the shipped signing proxy in front.
 */
export const iflytekOstMounts = providerMounts<IflytekOstEmulator>({
  path: EMULATOR_IFLYTEK_OST_BASE_PATH,
  adminPath: EMULATOR_IFLYTEK_OST_ADMIN_PATH,
  emulator: () => new IflytekOstEmulator({ basePath: EMULATOR_IFLYTEK_OST_BASE_PATH, credentials: { ...EMULATOR_IFLYTEK_OST_CREDENTIALS } }),
  dropped: droppedAsJson({ code: 10006, message: 'connection dropped by a fault' }),
  admin: (emulator) => ({
    storedUnder: 'files',
    pendingAt: 'uploads',
    routes: ({ route, method }) => {
      if (route === 'files' && method === 'GET') return json(emulator.fileIds());
      const expire = /^uploads\/([^/]+)\/expire$/.exec(route);
      if (!expire || method !== 'POST') return undefined;
      return emulator.expireUpload(decodeURIComponent(expire[1]!)) ? noContent() : jsonError(404, 'not-found', 'No such upload');
    },
  }),
  handlers: (emulator, origin) => [
    {
      path: EMULATOR_IFLYTEK_OST_API_PATH,
      handler: createIflytekOstHandler({
        ...EMULATOR_IFLYTEK_OST_CREDENTIALS,
        upstream: `${origin}${emulator.basePath}`,
        basePath: EMULATOR_IFLYTEK_OST_API_PATH,
        // Test pages and the demo call it from other origins.
        allowedOrigins: '*',
      }),
    },
  ],
});
