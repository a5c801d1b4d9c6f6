import { createAdminHandler, json, jsonError, noContent, storedBytes, type ArmFault } from './admin-routes.js';
import type { AliyunPdsEmulator } from './aliyun-pds-emulator.js';

/** Options of {@link createAliyunPdsAdminHandler}. */
export interface AliyunPdsAdminOptions {
  /** Where the routes are mounted, e.g. `/__admin/aliyun-pds`. */
  basePath: string;
  /** Arms a fault from the JSON a test posts (the emulator server's shared parser). */
  armFault: ArmFault;
}

type Handler = (request: Request) => Promise<Response>;

async function readObject(request: Request): Promise<Record<string, unknown> | undefined> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Test-only control of the PDS emulator over HTTP, for the demo and end-to-end tests: `POST tokens` (a Bearer token
 * as a user's backend would issue one; body `{lifetimeMs?}`), `POST tokens/expire`, `GET files`, `GET files/{fileId}`
 * (the stored bytes), `GET uploads`, `GET stats`, `GET|POST|DELETE faults`, `POST parallel-upload` (body
 * `{supported}`) and `POST reset`.
 */
export function createAliyunPdsAdminHandler(emulator: AliyunPdsEmulator, options: AliyunPdsAdminOptions): Handler {
  return createAdminHandler({
    basePath: options.basePath.replace(/\/+$/, ''),
    emulator,
    armFault: options.armFault,
    // An empty body is an empty object here, so an empty `POST faults` is refused as a fault, not as JSON.
    readFaultSpec: readObject,
    routes: async ({ route, method, request }) => {
      if (route === 'tokens' && method === 'POST') {
        const body = await readObject(request);
        const lifetimeMs = body?.['lifetimeMs'];
        if (!body || (lifetimeMs !== undefined && !(typeof lifetimeMs === 'number' && lifetimeMs > 0))) {
          return jsonError(400, 'invalid-json', 'The body must be empty or {"lifetimeMs": <positive number>}');
        }
        return json(emulator.issueToken(lifetimeMs as number | undefined), 201);
      }
      if (route === 'tokens/expire' && method === 'POST') {
        emulator.expireTokens();
        return noContent();
      }
      if (route === 'files' && method === 'GET') return json(emulator.listFiles());
      if (route.startsWith('files/') && method === 'GET') {
        const fileId = decodeURIComponent(route.slice('files/'.length));
        return storedBytes(emulator.storedBytes(fileId), `No finished file ${fileId}`);
      }
      if (route === 'uploads' && method === 'GET') return json(emulator.pending());
      if (route === 'parallel-upload' && method === 'POST') {
        const body = await readObject(request);
        if (typeof body?.['supported'] !== 'boolean') return jsonError(400, 'invalid-json', 'The body must be {"supported": true|false}');
        emulator.setParallelUpload(body['supported']);
        return noContent();
      }
      return undefined;
    },
  });
}
