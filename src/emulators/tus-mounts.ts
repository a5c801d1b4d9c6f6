import type { FetchHandler } from '../server/node-http.js';
import { createAdminHandler, json, jsonError, readJsonObject, storedBytes, type ArmFault } from './admin-routes.js';
import type { EmulatorMount } from './node-server.js';
import { TusEmulator } from './tus-emulator.js';
import { dropsOverNode } from './over-node.js';

/** Where the tus emulator's creation URL is on the emulator server; uploads live below it. */
export const EMULATOR_TUS_BASE_PATH = '/emulator/tus';
/** Where the test-only admin routes of the tus emulator live. */
export const EMULATOR_TUS_ADMIN_PATH = '/__admin/tus';

/** Options of {@link tusMounts}. */
export interface TusMountOptions {
  /** The emulator server's origin, written into `Location`. */
  origin: string;
  /** The server's fault parser, shared by every emulator's admin routes. */
  armFault: ArmFault;
}

/**
 * Test-only control of a tus emulator over HTTP, mounted at `basePath`: `GET files/{id}` (the bytes an upload holds),
 * `GET uploads`, `GET stats`, `GET|POST|DELETE faults` (list, arm from JSON with `armFault`, where `operation` is a
 * `TusOperation` such as `Patch` and `key` an upload id; clear), `POST tokens` (`{ token }` for body `{ ttlMs? }`)
 * and `POST reset`.
 */
export function tusAdminHandler(emulator: TusEmulator, armFault: ArmFault, basePath: string): FetchHandler {
  return createAdminHandler({
    basePath,
    emulator,
    armFault,
    routes: async ({ route, method, request }) => {
      if (route.startsWith('files/') && method === 'GET') {
        const id = decodeURIComponent(route.slice('files/'.length));
        return storedBytes(emulator.storedBytes(id), `No upload ${id}`);
      }
      if (route === 'uploads' && method === 'GET') return json(emulator.pending());
      if (route === 'tokens' && method === 'POST') {
        const spec = (await readJsonObject(request)) ?? {};
        const ttlMs = spec['ttlMs'];
        if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs > 0))) return jsonError(400, 'invalid-ttl', 'ttlMs must be a positive number');
        return json({ token: emulator.issueToken(ttlMs) }, 201);
      }
      return undefined;
    },
  });
}

/**
 * The emulator server's tus routes: a tus emulator offering every extension (creation, termination, checksum,
 * concatenation) at `/emulator/tus`, without tokens, and its admin routes at `/__admin/tus`.
 */
export function tusMounts(options: TusMountOptions): EmulatorMount[] {
  const emulator = new TusEmulator({ basePath: EMULATOR_TUS_BASE_PATH, origin: options.origin });
  return [
    {
      path: EMULATOR_TUS_BASE_PATH,
      handler: dropsOverNode((request) => emulator.handle(request), {
        body: 'The connection was dropped by a fault.\n',
        contentType: 'text/plain',
      }),
    },
    { path: EMULATOR_TUS_ADMIN_PATH, handler: tusAdminHandler(emulator, options.armFault, EMULATOR_TUS_ADMIN_PATH) },
  ];
}
