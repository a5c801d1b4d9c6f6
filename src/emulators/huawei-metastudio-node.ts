import { createMetaStudioHandler } from '../server/huawei-metastudio-handler.js';
import type { FetchHandler } from '../server/node-http.js';
import { createAdminHandler, json, jsonError, noContent, readJsonObject, storedBytes, type ArmFault } from './admin-routes.js';
import { MetaStudioEmulator } from './huawei-metastudio-emulator.js';
import type { EmulatorMount } from './node-server.js';
import { dropsOverNode } from './over-node.js';

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

/** What {@link metaStudioMounts} needs from the emulator server. */
export interface MetaStudioMountOptions {
  /** The server's origin, written into upload URLs and used by the handler to reach the emulator. */
  origin: string;
  armFault: ArmFault;
}

/**
 * Test-only control of the MetaStudio emulator over HTTP: `GET objects/{fileId}` (the stored bytes),
 * `GET files`, `GET files/{fileId}`, `GET stats`, `GET|POST|DELETE faults`, `POST clock` `{ advanceMs }` (moves the
 * emulator's clock, to expire upload URLs) and `POST reset` (also resets the clock).
 */
function adminHandler(emulator: MetaStudioEmulator, clock: { skewMs: number }, armFault: ArmFault): FetchHandler {
  return createAdminHandler({
    basePath: EMULATOR_METASTUDIO_ADMIN_PATH,
    emulator,
    armFault,
    routes: async ({ route, method, request }) => {
      if (route.startsWith('objects/') && method === 'GET') {
        return storedBytes(emulator.storedBytes(decodeURIComponent(route.slice('objects/'.length))), 'No object for this file id');
      }
      if (route === 'files' && method === 'GET') return json(emulator.listFiles());
      if (route.startsWith('files/') && method === 'GET') {
        const file = emulator.fileRecord(decodeURIComponent(route.slice('files/'.length)));
        return file ? json(file) : jsonError(404, 'not-found', 'No such file');
      }
      if (route === 'clock' && method === 'POST') {
        const spec = await readJsonObject(request);
        if (!spec) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
        const advanceMs = spec['advanceMs'];
        if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs)) return jsonError(400, 'invalid-fault', 'advanceMs must be a number');
        clock.skewMs += advanceMs;
        return json({ skewMs: clock.skewMs });
      }
      if (route === 'reset' && method === 'POST') {
        emulator.reset();
        clock.skewMs = 0;
        return noContent();
      }
      return undefined;
    },
  });
}

/** MetaStudio's error shape for a connection dropped by a fault. */
const DROPPED = {
  body: JSON.stringify({ error_code: 'MSS.00000004', error_msg: 'The connection was dropped by a fault.' }),
  contentType: 'application/json',
};

/**
 * The emulator server's MetaStudio mounts: the emulator at `/emulator/huawei-metastudio` (every page
 * origin may PUT to its upload URLs, so direct mode works in the demo), its admin routes, and the shipped handler
 * at `/api/huawei-metastudio` signing with the test AK/SK and sealing file records into `upload_ref`s.
 */
export function metaStudioMounts({ origin, armFault }: MetaStudioMountOptions): EmulatorMount[] {
  const clock = { skewMs: 0 };
  const emulator = new MetaStudioEmulator({
    basePath: EMULATOR_METASTUDIO_BASE_PATH,
    projectId: EMULATOR_METASTUDIO_PROJECT_ID,
    credentials: { ...EMULATOR_METASTUDIO_CREDENTIALS },
    origin,
    now: () => Date.now() + clock.skewMs,
    obsAllowedOrigins: '*',
  });
  return [
    { path: EMULATOR_METASTUDIO_BASE_PATH, handler: dropsOverNode((request) => emulator.handle(request), DROPPED) },
    { path: EMULATOR_METASTUDIO_ADMIN_PATH, handler: adminHandler(emulator, clock, armFault) },
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
  ];
}
