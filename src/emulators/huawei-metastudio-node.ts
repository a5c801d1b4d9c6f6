import { createMetaStudioHandler } from '../server/huawei-metastudio-handler.js';
import { DROP_CONNECTION_HEADER, type FetchHandler } from '../server/node-http.js';
import type { Fault, FaultInjector } from './faults.js';
import { MetaStudioEmulator } from './huawei-metastudio-emulator.js';
import type { EmulatorMount } from './node-server.js';

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

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function jsonError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/** Arms a fault from the admin route's JSON; the emulator server's own, so every admin route reads faults alike. */
export type MetaStudioArmFault = (faults: FaultInjector, spec: Record<string, unknown>) => Fault;

/** What {@link metaStudioMounts} needs from the emulator server. */
export interface MetaStudioMountOptions {
  /** The server's origin, written into upload URLs and used by the handler to reach the emulator. */
  origin: string;
  armFault: MetaStudioArmFault;
}

/**
 * Test-only control of the MetaStudio emulator over HTTP: `GET objects/{fileId}` (the stored bytes),
 * `GET files`, `GET files/{fileId}`, `GET stats`, `GET|POST|DELETE faults`, `POST clock` `{ advanceMs }` (moves the
 * emulator's clock, to expire upload URLs) and `POST reset` (also resets the clock).
 */
function adminHandler(emulator: MetaStudioEmulator, clock: { skewMs: number }, armFault: MetaStudioArmFault): FetchHandler {
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.slice(EMULATOR_METASTUDIO_ADMIN_PATH.length + 1);
    const method = request.method;
    if (route.startsWith('objects/') && method === 'GET') {
      const bytes = emulator.getObject(decodeURIComponent(route.slice('objects/'.length)));
      if (!bytes) return jsonError(404, 'not-found', 'No object for this file id');
      return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } });
    }
    if (route === 'files' && method === 'GET') return json(emulator.listFiles());
    if (route.startsWith('files/') && method === 'GET') {
      const file = emulator.getFile(decodeURIComponent(route.slice('files/'.length)));
      return file ? json(file) : jsonError(404, 'not-found', 'No such file');
    }
    if (route === 'stats' && method === 'GET') return json(emulator.stats);
    if (route === 'faults' && method === 'GET') return json(emulator.faults.list());
    if (route === 'faults' && method === 'DELETE') {
      emulator.faults.clear();
      return new Response(null, { status: 204 });
    }
    if ((route === 'faults' || route === 'clock') && method === 'POST') {
      let spec: unknown;
      try {
        spec = await request.json();
      } catch {
        return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      try {
        if (route === 'clock') {
          const advanceMs = (spec as Record<string, unknown>).advanceMs;
          if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs)) throw new TypeError('advanceMs must be a number');
          clock.skewMs += advanceMs;
          return json({ skewMs: clock.skewMs });
        }
        return json(armFault(emulator.faults, spec as Record<string, unknown>), 201);
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) return jsonError(400, 'invalid-fault', error.message);
        throw error;
      }
    }
    if (route === 'reset' && method === 'POST') {
      emulator.reset();
      clock.skewMs = 0;
      return new Response(null, { status: 204 });
    }
    return jsonError(404, 'not-found', `No admin route ${method} ${url.pathname}`);
  };
}

/**
 * A dropped connection is `Response.error()` for msw; over real HTTP it becomes a response the Node listener cuts
 * off mid-body, carrying a 500 so that no client can take it for success.
 */
function overNode(handler: FetchHandler): FetchHandler {
  return async (request) => {
    const response = await handler(request);
    if (response.type !== 'error') return response;
    return new Response(JSON.stringify({ error_code: 'MSS.00000004', error_msg: 'The connection was dropped by a fault.' }), {
      status: 500,
      headers: { 'content-type': 'application/json', [DROP_CONNECTION_HEADER]: '1' },
    });
  };
}

/**
 * The emulator server's MetaStudio mounts: the emulator at `/emulator/huawei-metastudio` (every page
 * origin may PUT to its upload URLs, so direct mode works in the demo), its admin routes, and the shipped handler
 * at `/api/huawei-metastudio` signing with the test AK/SK.
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
    { path: EMULATOR_METASTUDIO_BASE_PATH, handler: overNode((request) => emulator.handle(request)) },
    { path: EMULATOR_METASTUDIO_ADMIN_PATH, handler: adminHandler(emulator, clock, armFault) },
    {
      path: EMULATOR_METASTUDIO_API_PATH,
      handler: createMetaStudioHandler({
        endpoint: `${origin}${EMULATOR_METASTUDIO_BASE_PATH}`,
        projectId: EMULATOR_METASTUDIO_PROJECT_ID,
        auth: { ...EMULATOR_METASTUDIO_CREDENTIALS },
        basePath: EMULATOR_METASTUDIO_API_PATH,
      }),
    },
  ];
}
