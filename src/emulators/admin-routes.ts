import type { FetchHandler } from '../server/node-http.js';
import type { Emulator } from './emulator.js';
import { FaultKind, type Fault, type FaultInjector, type FaultMatch } from './faults.js';

/** Arms a fault from the admin route's JSON (`{ kind, operation?, partNumber?, key?, times?, status?, … }`). */
export type ArmFault = (faults: FaultInjector, spec: Record<string, unknown>) => Fault;

/** What the shared admin routes need of an emulator: the {@link Emulator} shape. */
export type AdminEmulator = Emulator;

/** One admin request as a provider's own routes see it: the path below the admin base path, and the method. */
export interface AdminRequest {
  route: string;
  method: string;
  request: Request;
}

/** A provider's own admin routes: a response, or `undefined` to fall through to the shared ones. */
export type AdminRoutes = (admin: AdminRequest) => Response | undefined | Promise<Response | undefined>;

/** Options of {@link createAdminHandler}. */
export interface AdminHandlerOptions {
  /** Where the routes are mounted, e.g. `/__admin/s3`. */
  basePath: string;
  emulator: AdminEmulator;
  /** Arms a fault for `POST faults`. */
  armFault: ArmFault;
  /** Where `GET {storedUnder}/{id}` answers `storedBytes(id)`: `objects` for object stores, `files` for file APIs. */
  storedUnder: 'objects' | 'files';
  /** Where `GET {pendingAt}` answers `pending()`: `uploads`, or `sessions` where the provider calls them so. */
  pendingAt: 'uploads' | 'sessions';
  /** The provider's own routes, tried first (so they may also replace a shared one). */
  routes?: AdminRoutes;
  /**
   * Reads the body of `POST faults`: `undefined` answers 400 `invalid-json`, and a thrown SyntaxError, TypeError or
   * RangeError answers 400 `invalid-fault`. Defaults to {@link readJsonObject}.
   */
  readFaultSpec?: (request: Request) => Promise<Record<string, unknown> | undefined>;
}

/** A JSON response. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The emulator server's own error body, `{ error: { code, message } }`. */
export function jsonError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/** An empty 204. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** Stored bytes as `application/octet-stream`, or a 404 `not-found` saying `missing` when there are none. */
export function storedBytes(bytes: Uint8Array<ArrayBuffer> | undefined, missing: string): Response {
  if (!bytes) return jsonError(404, 'not-found', missing);
  return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } });
}

/** The JSON object a request's body holds, or `undefined` when it holds anything else or no JSON at all. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await request.json();
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function numberField(source: Record<string, unknown>, name: string): number | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a number`);
  return value;
}

function stringField(source: Record<string, unknown>, name: string): string | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

/**
 * The emulator server's fault parser for a protocol whose part-carrying operation is `partOperation`:
 * `{ kind, operation?, partNumber?, key?, times?, status?, retryAfter?, code?, afterBytes?, ms? }`, where a part number alone
 * means that operation.
 */
export function armFaultFor(partOperation: string): ArmFault {
  return (faults, spec) => {
    const match: FaultMatch = {};
    const operation = stringField(spec, 'operation');
    const partNumber = numberField(spec, 'partNumber');
    const key = stringField(spec, 'key');
    if (operation !== undefined) match.operation = operation;
    if (partNumber !== undefined) match.partNumber = partNumber;
    if (key !== undefined) match.key = key;
    const times = numberField(spec, 'times');
    const counted = times === undefined ? match : { ...match, times };
    // A part number alone means the part operation, as in failPart()/dropConnection(n).
    const partMatch = partNumber !== undefined && operation === undefined ? { ...match, operation: partOperation } : match;
    const partCounted = times === undefined ? partMatch : { ...partMatch, times };
    switch (spec['kind']) {
      case FaultKind.Fail: {
        const status = numberField(spec, 'status');
        if (status === undefined) throw new TypeError('status is required for a fail fault');
        const retryAfter = stringField(spec, 'retryAfter');
        const code = typeof spec['code'] === 'number' ? String(spec['code']) : stringField(spec, 'code');
        return faults.failRequest(partMatch, {
          status,
          ...(times !== undefined && { times }),
          ...(retryAfter !== undefined && { retryAfter }),
          ...(code !== undefined && { code }),
        });
      }
      case FaultKind.Drop: {
        const afterBytes = numberField(spec, 'afterBytes');
        return faults.dropConnection(partMatch, {
          ...(times !== undefined && { times }),
          ...(afterBytes !== undefined && { afterBytes }),
        });
      }
      case FaultKind.Delay:
      case FaultKind.SlowAnswer: {
        const ms = numberField(spec, 'ms');
        if (ms === undefined) throw new TypeError(`ms is required for a ${spec['kind']} fault`);
        return spec['kind'] === FaultKind.Delay ? faults.delay(ms, counted) : faults.slowAnswer(ms, counted);
      }
      case FaultKind.Expire:
        return faults.expireUrls(counted);
      case FaultKind.LoseSession:
        return faults.loseSession(partCounted);
      case FaultKind.StoreThenDrop:
        return faults.storeThenDrop(partCounted);
      default:
        throw new TypeError(`kind must be one of ${Object.values(FaultKind).join(', ')}`);
    }
  };
}

/** The fault parser of the protocols whose parts are `UploadPart` requests. */
export const armFault: ArmFault = armFaultFor('UploadPart');

/**
 * Test-only control of an emulator over HTTP, mounted at `basePath`: the provider's own `routes` first, then
 * `GET {storedUnder}/{id}` (the stored bytes), `GET {pendingAt}` (the open sessions), `GET stats`,
 * `GET|POST|DELETE faults` (list, arm from JSON with `armFault`, clear), `POST clock` (`{ advanceMs }` moves the
 * emulator's clock; answers `{ skewMs }`) and `POST reset`; anything else is a 404.
 */
export function createAdminHandler(options: AdminHandlerOptions): FetchHandler {
  const { basePath, emulator } = options;
  const readFaultSpec = options.readFaultSpec ?? readJsonObject;
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.slice(basePath.length + 1);
    const method = request.method;
    const own = await options.routes?.({ route, method, request });
    if (own) return own;
    const storedPrefix = `${options.storedUnder}/`;
    if (route.startsWith(storedPrefix) && method === 'GET') {
      const id = decodeURIComponent(route.slice(storedPrefix.length));
      return storedBytes(emulator.storedBytes(id), `Nothing is stored under ${id}`);
    }
    if (route === options.pendingAt && method === 'GET') return json(emulator.pending());
    if (route === 'stats' && method === 'GET') return json(emulator.stats);
    if (route === 'faults' && method === 'GET') return json(emulator.faults.list());
    if (route === 'faults' && method === 'DELETE') {
      emulator.faults.clear();
      return noContent();
    }
    if (route === 'faults' && method === 'POST') {
      try {
        const spec = await readFaultSpec(request);
        if (!spec) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
        return json(options.armFault(emulator.faults, spec), 201);
      } catch (error) {
        if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) {
          return jsonError(400, 'invalid-fault', error.message);
        }
        throw error;
      }
    }
    if (route === 'clock' && method === 'POST') {
      const advanceMs = (await readJsonObject(request))?.['advanceMs'];
      if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs)) return jsonError(400, 'invalid-fault', 'advanceMs must be a number');
      return json({ skewMs: emulator.advanceClock(advanceMs) });
    }
    if (route === 'reset' && method === 'POST') {
      emulator.reset();
      return noContent();
    }
    return jsonError(404, 'not-found', `No admin route ${method} ${url.pathname}`);
  };
}
