import { createMetaStudioHandler } from '../server/huawei-metastudio-handler.js';
import { json, jsonError } from './admin-routes.js';
import { droppedAsJson, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { MetaStudioEmulator } from './huawei-metastudio-emulator.js';

/** Where the MetaStudio emulator (API and OBS upload URLs) is mounted on the emulator server. */
export const EMULATOR_METASTUDIO_BASE_PATH = '/emulator/huawei-metastudio';
/** Where its test-only admin routes live. */
export const EMULATOR_METASTUDIO_ADMIN_PATH = '/__admin/huawei-metastudio';
/** Where the shipped MetaStudio handler is mounted, talking to the emulator with the test key pair. */
export const EMULATOR_METASTUDIO_API_PATH = '/api/huawei-metastudio';
/** The emulated project id (the doc's example). */
export const EMULATOR_METASTUDIO_PROJECT_ID = '6a6a1f8354f64dd9b9a614def7b59d83';
/** The test AK/SK pair the emulator accepts; not a secret. */
export const EMULATOR_METASTUDIO_CREDENTIALS = {
  accessKey: 'EMULATORMETASTUDIOAK0',
  secretKey: 'emulator-metastudio-sk-not-a-secret',
} as const;

/** The handler's record-sealing secret on the emulator server; a test value, not a secret. */
export const EMULATOR_METASTUDIO_SECRET = 'emulator-metastudio-sealing-secret-not-a-secret';

/** Options of {@link metaStudioMounts}. */
export type MetaStudioMountOptions = ProviderMountOptions<MetaStudioEmulator>;

/**
 * The emulator server's MetaStudio routes: the emulator (the test project and key pair, OBS URLs on this server), its
 * admin routes (the shared ones, `objects/{fileId}` holding the bytes, plus `GET files`, `GET files/{fileId}` for a
 * record; `POST clock` `{ advanceMs }`, shared by every emulator, moves its clock), and the shipped handler in front.
 */
export const metaStudioMounts = providerMounts<MetaStudioEmulator>({
  path: EMULATOR_METASTUDIO_BASE_PATH,
  adminPath: EMULATOR_METASTUDIO_ADMIN_PATH,
  emulator: (origin) =>
    new MetaStudioEmulator({
      basePath: EMULATOR_METASTUDIO_BASE_PATH,
      projectId: EMULATOR_METASTUDIO_PROJECT_ID,
      credentials: { ...EMULATOR_METASTUDIO_CREDENTIALS },
      origin,
      obsAllowedOrigins: '*',
    }),
  dropped: droppedAsJson({ error_code: 'MSS.00000004', error_msg: 'The connection was dropped by a fault.' }),
  admin: (emulator) => ({
    storedUnder: 'objects',
    pendingAt: 'uploads',
    routes: ({ route, method }) => {
      if (route === 'files' && method === 'GET') return json(emulator.listFiles());
      if (!route.startsWith('files/') || method !== 'GET') return undefined;
      const file = emulator.fileRecord(decodeURIComponent(route.slice('files/'.length)));
      return file ? json(file) : jsonError(404, 'not-found', 'No such file');
    },
  }),
  handlers: (_emulator, origin) => [
    {
      path: EMULATOR_METASTUDIO_API_PATH,
      handler: createMetaStudioHandler({
        endpoint: `${origin}${EMULATOR_METASTUDIO_BASE_PATH}`,
        projectId: EMULATOR_METASTUDIO_PROJECT_ID,
        auth: { ...EMULATOR_METASTUDIO_CREDENTIALS },
        basePath: EMULATOR_METASTUDIO_API_PATH,
        // Test pages and the demo call it from their own origins.
        allowedOrigins: '*',
        // The emulator's upload URLs point at this server, not at OBS.
        allowedUploadHosts: [new URL(origin).host],
        // Stateless, as in production: file records travel sealed with the page.
        secret: EMULATOR_METASTUDIO_SECRET,
      }),
    },
  ],
});
