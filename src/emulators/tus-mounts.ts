import { DROP_CONNECTION_HEADER, type FetchHandler } from '../server/node-http.js';
import type { Fault, FaultInjector } from './faults.js';
import type { EmulatorMount } from './node-server.js';
import { TusEmulator } from './tus-emulator.js';

/** Where the tus emulator's creation URL is on the emulator server; uploads live below it. */
export const EMULATOR_TUS_BASE_PATH = '/emulator/tus';
/** Where the test-only admin routes of the tus emulator live. */
export const EMULATOR_TUS_ADMIN_PATH = '/__admin/tus';

/** Arms a fault from the admin route's JSON (`{ kind, operation, partNumber?, key?, times?, status?, … }`). */
export type TusArmFault = (faults: FaultInjector, spec: Record<string, unknown>) => Fault;

/** Options of {@link tusMounts}. */
export interface TusMountOptions {
  /** The emulator server's origin, written into `Location`. */
  origin: string;
  /** The server's fault parser, shared by every emulator's admin routes. */
  armFault: TusArmFault;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function jsonError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

async function jsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await request.json();
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Test-only control of a tus emulator over HTTP, mounted at `basePath`: `GET files/{id}` (the bytes an upload holds),
 * `GET uploads`, `GET stats`, `GET|POST|DELETE faults` (list, arm from JSON with `armFault`, where `operation` is a
 * `TusOperation` such as `Patch` and `key` an upload id; clear), `POST tokens` (`{ token }` for body `{ ttlMs? }`)
 * and `POST reset`.
 */
export function tusAdminHandler(emulator: TusEmulator, armFault: TusArmFault, basePath: string): FetchHandler {
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.slice(basePath.length + 1);
    const method = request.method;
    if (route.startsWith('files/') && method === 'GET') {
      const id = decodeURIComponent(route.slice('files/'.length));
      const bytes = emulator.getUpload(id);
      if (!bytes) return jsonError(404, 'not-found', `No upload ${id}`);
      return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } });
    }
    if (route === 'uploads' && method === 'GET') return json(emulator.listUploads());
    if (route === 'stats' && method === 'GET') return json(emulator.stats);
    if (route === 'faults' && method === 'GET') return json(emulator.faults.list());
    if (route === 'faults' && method === 'DELETE') {
      emulator.faults.clear();
      return new Response(null, { status: 204 });
    }
    if (route === 'faults' && method === 'POST') {
      const spec = await jsonObject(request);
      if (!spec) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      try {
        return json(armFault(emulator.faults, spec), 201);
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) return jsonError(400, 'invalid-fault', error.message);
        throw error;
      }
    }
    if (route === 'tokens' && method === 'POST') {
      const spec = (await jsonObject(request)) ?? {};
      const ttlMs = spec['ttlMs'];
      if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs > 0))) return jsonError(400, 'invalid-ttl', 'ttlMs must be a positive number');
      return json({ token: emulator.issueToken(ttlMs) }, 201);
    }
    if (route === 'reset' && method === 'POST') {
      emulator.reset();
      return new Response(null, { status: 204 });
    }
    return jsonError(404, 'not-found', `No admin route ${method} ${url.pathname}`);
  };
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
      handler: async (request) => {
        const response = await emulator.handle(request);
        if (response.type !== 'error') return response;
        // Over HTTP a dropped connection is a response the Node listener cuts off mid-body.
        return new Response('The connection was dropped by a fault.\n', {
          status: 500,
          headers: { 'content-type': 'text/plain', [DROP_CONNECTION_HEADER]: '1' },
        });
      },
    },
    { path: EMULATOR_TUS_ADMIN_PATH, handler: tusAdminHandler(emulator, options.armFault, EMULATOR_TUS_ADMIN_PATH) },
  ];
}
