import { createCosV4SignatureHandler } from '../server/tencent-cos-v4-handler.js';
import type { FetchHandler } from '../server/node-http.js';
import { createAdminHandler, json, storedBytes } from './admin-routes.js';
import { FaultKind, type Fault, type FaultInjector, type FaultMatch } from './faults.js';
import type { EmulatorMount } from './node-server.js';
import { TencentCosV4Emulator } from './tencent-cos-v4-emulator.js';
import { dropsOverNode } from './over-node.js';

/** Where the COS v4 pieces live on the emulator server, and the test bucket and key pair (not secrets). */
export const EMULATOR_COS_V4 = {
  /** The emulator: object URLs are `{basePath}/files/v2/{appId}/{bucket}/{path}`. */
  basePath: '/emulator/tencent-cos-v4',
  /** Test-only control: `objects/{path}`, `stats`, `sessions`, `faults`, `reset`. */
  adminPath: '/__admin/tencent-cos-v4',
  /** The shipped signature handler: `POST {apiPath}/signature` with `{ path }`. */
  apiPath: '/api/tencent-cos-v4',
  appId: '1250000000',
  bucket: 'mcubucket',
  credentials: { secretId: 'AKIDCOSV4EMULATOR00000', secretKey: 'cos-v4-emulator-secret-not-a-secret' },
  /** Seconds a signature from the mounted handler lives: short, as the README advises. */
  signatureLifetime: 120,
} as const;

function optional<T>(spec: Record<string, unknown>, name: string, type: 'number' | 'string'): T | undefined {
  const value = spec[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) throw new TypeError(`${name} must be a ${type}`);
  return value as T;
}

/** Arms a fault from JSON `{ kind, operation?, partNumber?, key?, times?, status?, retryAfter?, ms? }`; a part number alone means a slice. */
function armFault(faults: FaultInjector, spec: Record<string, unknown>): Fault {
  const partNumber = optional<number>(spec, 'partNumber', 'number');
  const operation = optional<string>(spec, 'operation', 'string') ?? (partNumber === undefined ? undefined : 'upload_slice_data');
  const key = optional<string>(spec, 'key', 'string');
  const times = optional<number>(spec, 'times', 'number');
  const match: FaultMatch = {
    ...(operation !== undefined && { operation }),
    ...(partNumber !== undefined && { partNumber }),
    ...(key !== undefined && { key }),
  };
  switch (spec['kind']) {
    case FaultKind.Fail: {
      const status = optional<number>(spec, 'status', 'number');
      if (status === undefined) throw new TypeError('status is required for a fail fault');
      const retryAfter = optional<string>(spec, 'retryAfter', 'string');
      return faults.failRequest(match, { status, ...(times !== undefined && { times }), ...(retryAfter !== undefined && { retryAfter }) });
    }
    case FaultKind.Drop:
      return faults.dropConnection(match, times === undefined ? {} : { times });
    case FaultKind.Delay: {
      const ms = optional<number>(spec, 'ms', 'number');
      if (ms === undefined) throw new TypeError('ms is required for a delay fault');
      return faults.delay(ms, { ...match, ...(times !== undefined && { times }) });
    }
    case FaultKind.Expire:
      return faults.expireUrls({ ...match, ...(times !== undefined && { times }) });
    default:
      throw new TypeError(`kind must be one of ${Object.values(FaultKind).join(', ')}`);
  }
}

/** COS's `POST faults` body: anything but a JSON object is refused as `invalid-fault`, not `invalid-json`. */
async function readFaultSpec(request: Request): Promise<Record<string, unknown>> {
  const spec: unknown = await request.json();
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new TypeError('The body must be a JSON object');
  return spec as Record<string, unknown>;
}

function adminHandler(emulator: TencentCosV4Emulator): FetchHandler {
  return createAdminHandler({
    basePath: EMULATOR_COS_V4.adminPath,
    emulator,
    armFault,
    readFaultSpec,
    routes: ({ route, method }) => {
      if (route.startsWith('objects/') && method === 'GET') {
        const path = decodeURIComponent(route.slice('objects/'.length));
        return storedBytes(emulator.getObject(path), `No file at ${path}`);
      }
      if (route === 'sessions' && method === 'GET') return json(emulator.listSessions());
      return undefined;
    },
  });
}

/**
 * The COS v4 mounts of the emulator server: the emulator (test bucket and key pair), its admin routes, and the shipped
 * signature handler with its defaults, signing for that bucket with a short lifetime and each signature bound to
 * its object.
 */
export function tencentCosV4Mounts(emulator = new TencentCosV4Emulator({
  basePath: EMULATOR_COS_V4.basePath,
  appId: EMULATOR_COS_V4.appId,
  bucket: EMULATOR_COS_V4.bucket,
  credentials: { ...EMULATOR_COS_V4.credentials },
})): EmulatorMount[] {
  return [
    {
      path: EMULATOR_COS_V4.basePath,
      handler: dropsOverNode((request) => emulator.handle(request), {
        body: JSON.stringify({ code: -195, message: 'The connection was dropped by a fault.' }),
        contentType: 'application/json',
      }),
    },
    { path: EMULATOR_COS_V4.adminPath, handler: adminHandler(emulator) },
    {
      path: EMULATOR_COS_V4.apiPath,
      handler: createCosV4SignatureHandler({
        appId: EMULATOR_COS_V4.appId,
        bucket: EMULATOR_COS_V4.bucket,
        ...EMULATOR_COS_V4.credentials,
        expiresIn: EMULATOR_COS_V4.signatureLifetime,
        basePath: EMULATOR_COS_V4.apiPath,
        // Test pages are served from other origins (the test runner's, the demo's).
        allowedOrigins: '*',
      }),
    },
  ];
}
