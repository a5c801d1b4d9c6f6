import { createKooDriveHandler, KooDriveUpstreamError } from '../server/huawei-koodrive-handler.js';
import { json, jsonError } from './admin-routes.js';
import { droppedAsJson, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { KooDriveEmulator } from './huawei-koodrive-emulator.js';

/** Where the KooDrive emulator (API and part storage) is mounted on the emulator server. */
export const EMULATOR_KOODRIVE_BASE_PATH = '/emulator/huawei-koodrive';
/** Where the shipped handler is mounted with the user's token (the reference's token authentication), forwarding to the emulator. */
export const EMULATOR_KOODRIVE_API_PATH = '/api/huawei-koodrive';
/** Where the same handler is mounted with app authentication (the note's AppId/AppSecret signature). */
export const EMULATOR_KOODRIVE_APP_API_PATH = '/api/huawei-koodrive-app';
/** Where the test-only admin routes of the KooDrive emulator live. */
export const EMULATOR_KOODRIVE_ADMIN_PATH = '/__admin/huawei-koodrive';
/** The test app and user the emulator and the handler share; not secrets. */
export const EMULATOR_KOODRIVE_CREDENTIALS = {
  appId: 'a378emulatorapp',
  appSecret: 'koodrive-emulator-app-secret-not-a-secret',
  userId: '1505084218764547200',
} as const;

const { appId, appSecret, userId } = EMULATOR_KOODRIVE_CREDENTIALS;

/** Options of {@link kooDriveMounts}. */
export type KooDriveMountOptions = ProviderMountOptions<KooDriveEmulator>;

/**
 * The emulator server's KooDrive routes: the emulator at `/emulator/huawei-koodrive` (the test app; Bearer tokens
 * from the admin route), its admin at `/__admin/huawei-koodrive` (the shared routes, `files/{fileId}` holding the
 * bytes, plus `GET files` and `POST token`), and the shipped `createKooDriveHandler` forwarding to the emulator over
 * HTTP for the test user: at `/api/huawei-koodrive` with the user's token, at `/api/huawei-koodrive-app` with app
 * authentication.
 */
export const kooDriveMounts = providerMounts<KooDriveEmulator>({
  path: EMULATOR_KOODRIVE_BASE_PATH,
  adminPath: EMULATOR_KOODRIVE_ADMIN_PATH,
  emulator: (origin) => new KooDriveEmulator({ basePath: EMULATOR_KOODRIVE_BASE_PATH, apps: { [appId]: appSecret }, origin }),
  dropped: droppedAsJson({ error_code: 'APIGW.0202', error_msg: 'The connection was dropped by a fault.' }),
  admin: (emulator) => ({
    storedUnder: 'files',
    pendingAt: 'uploads',
    routes: async ({ route, method, request }) => {
      if (route === 'files' && method === 'GET') return json(emulator.listFiles());
      if (route !== 'token' || method !== 'POST') return undefined;
      const text = await request.text();
      let body: unknown;
      try {
        // A token may be asked for with no body at all: it is then for the default user.
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      const user = (body as Record<string, unknown>)['userId'];
      if (user !== undefined && (typeof user !== 'string' || user === '')) return jsonError(400, 'invalid-user', 'userId must be a non-empty string');
      return json({ access_token: emulator.issueToken(user), expires_in: 1200 }, 201);
    },
  }),
  handlers: (emulator, origin) => {
    const handlerOptions = (basePath: string) => ({
      apiEndpoint: `${origin}${EMULATOR_KOODRIVE_BASE_PATH}`,
      basePath,
      // Test pages are served from other origins (the test runner's, the demo's).
      allowedOrigins: '*' as const,
      // The emulator's refusals are what tests and the demo's faults ask for; only the unexpected is worth a log.
      onError: (error: unknown) => {
        if (!(error instanceof KooDriveUpstreamError)) console.error(error);
      },
    });
    return [
      {
        path: EMULATOR_KOODRIVE_API_PATH,
        handler: createKooDriveHandler({
          ...handlerOptions(EMULATOR_KOODRIVE_API_PATH),
          // Stands in for your session store, which would hold the signed-in user's KooDrive token.
          accessToken: () => emulator.issueToken(userId),
        }),
      },
      {
        path: EMULATOR_KOODRIVE_APP_API_PATH,
        handler: createKooDriveHandler({ ...handlerOptions(EMULATOR_KOODRIVE_APP_API_PATH), appId, appSecret, userId }),
      },
    ];
  },
});
