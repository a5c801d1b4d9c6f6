import { createKooDriveHandler, KooDriveUpstreamError } from '../server/huawei-koodrive-handler.js';
import type { ArmFault } from './admin-routes.js';
import { kooDriveAdminHandler } from './huawei-koodrive-admin.js';
import { KooDriveEmulator } from './huawei-koodrive-emulator.js';
import type { EmulatorMount } from './node-server.js';
import { dropsOverNode } from './over-node.js';

/** Where the KooDrive emulator (API and part storage) is mounted on the emulator server. */
export const EMULATOR_KOODRIVE_BASE_PATH = '/emulator/huawei-koodrive';
/** Where the shipped app-auth signing handler is mounted, forwarding to the emulator. */
export const EMULATOR_KOODRIVE_API_PATH = '/api/huawei-koodrive';
/** Where the test-only admin routes of the KooDrive emulator live. */
export const EMULATOR_KOODRIVE_ADMIN_PATH = '/__admin/huawei-koodrive';
/** The test app and user the emulator and the handler share; not secrets. */
export const EMULATOR_KOODRIVE_CREDENTIALS = {
  appId: 'a378emulatorapp',
  appSecret: 'koodrive-emulator-app-secret-not-a-secret',
  userId: '1505084218764547200',
} as const;

/** Options of {@link kooDriveMounts}. */
export interface KooDriveMountOptions {
  /** The emulator server's origin: part URLs point there and the handler forwards there. */
  origin: string;
  /** The server's fault parser, shared by every emulator's admin routes. */
  armFault: ArmFault;
}

/**
 * The emulator server's KooDrive routes: the emulator at `/emulator/huawei-koodrive` (the test app; Bearer tokens
 * from the admin route), its admin at `/__admin/huawei-koodrive`, and the shipped `createKooDriveHandler` at
 * `/api/huawei-koodrive`, signing for the test user and forwarding to the emulator over HTTP.
 */
export function kooDriveMounts(options: KooDriveMountOptions): EmulatorMount[] {
  const { appId, appSecret, userId } = EMULATOR_KOODRIVE_CREDENTIALS;
  const emulator = new KooDriveEmulator({ basePath: EMULATOR_KOODRIVE_BASE_PATH, apps: { [appId]: appSecret }, origin: options.origin });
  return [
    {
      path: EMULATOR_KOODRIVE_BASE_PATH,
      handler: dropsOverNode((request) => emulator.handle(request), {
        body: JSON.stringify({ error_code: 'APIGW.0202', error_msg: 'The connection was dropped by a fault.' }),
        contentType: 'application/json',
      }),
    },
    { path: EMULATOR_KOODRIVE_ADMIN_PATH, handler: kooDriveAdminHandler(emulator, options.armFault, EMULATOR_KOODRIVE_ADMIN_PATH) },
    {
      path: EMULATOR_KOODRIVE_API_PATH,
      handler: createKooDriveHandler({
        appId,
        appSecret,
        userId,
        apiEndpoint: `${options.origin}${EMULATOR_KOODRIVE_BASE_PATH}`,
        basePath: EMULATOR_KOODRIVE_API_PATH,
        // Test pages are served from other origins (the test runner's, the demo's).
        allowedOrigins: '*',
        // The emulator's refusals are what tests and the demo's faults ask for; only the unexpected is worth a log.
        onError: (error) => {
          if (!(error instanceof KooDriveUpstreamError)) console.error(error);
        },
      }),
    },
  ];
}
