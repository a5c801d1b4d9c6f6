import { json, jsonError, readJsonObject } from './admin-routes.js';
import { providerMounts, type ProviderMountOptions } from './emulator-mounts.js';
import { TusEmulator } from './tus-emulator.js';

/** Where the tus emulator's creation URL is on the emulator server; uploads live below it. */
export const EMULATOR_TUS_BASE_PATH = '/emulator/tus';
/** Where the test-only admin routes of the tus emulator live. */
export const EMULATOR_TUS_ADMIN_PATH = '/__admin/tus';

/** Options of {@link tusMounts}. */
export type TusMountOptions = ProviderMountOptions<TusEmulator>;

/**
 * The emulator server's tus routes: a tus emulator offering every extension (creation, termination, checksum,
 * concatenation) at `/emulator/tus`, without tokens, and its admin routes at `/__admin/tus`: the shared ones
 * (`files/{id}` holds an upload's bytes; fault `operation`s are `TusOperation`s such as `Patch`, `key` an upload id)
 * and `POST tokens` (`{ token }` for body `{ ttlMs? }`).
 */
export const tusMounts = providerMounts<TusEmulator>({
  path: EMULATOR_TUS_BASE_PATH,
  adminPath: EMULATOR_TUS_ADMIN_PATH,
  emulator: (origin) => new TusEmulator({ basePath: EMULATOR_TUS_BASE_PATH, origin }),
  dropped: { body: 'The connection was dropped by a fault.\n', contentType: 'text/plain' },
  admin: (emulator) => ({
    storedUnder: 'files',
    pendingAt: 'uploads',
    routes: async ({ route, method, request }) => {
      if (route !== 'tokens' || method !== 'POST') return undefined;
      const spec = (await readJsonObject(request)) ?? {};
      const ttlMs = spec['ttlMs'];
      if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs > 0))) return jsonError(400, 'invalid-ttl', 'ttlMs must be a positive number');
      return json({ token: emulator.issueToken(ttlMs) }, 201);
    },
  }),
});
