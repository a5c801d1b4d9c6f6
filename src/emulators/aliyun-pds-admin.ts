import type { AliyunPdsEmulator } from './aliyun-pds-emulator.js';
import type { Fault, FaultInjector } from './faults.js';

/** Options of {@link createAliyunPdsAdminHandler}. */
export interface AliyunPdsAdminOptions {
  /** Where the routes are mounted, e.g. `/__admin/aliyun-pds`. */
  basePath: string;
  /** Arms a fault from the JSON a test posts (the emulator server's shared parser). */
  armFault: (faults: FaultInjector, spec: Record<string, unknown>) => Fault;
}

type Handler = (request: Request) => Promise<Response>;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function jsonError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

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
  const basePath = options.basePath.replace(/\/+$/, '');
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.slice(basePath.length + 1);
    const method = request.method;
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
      return new Response(null, { status: 204 });
    }
    if (route === 'files' && method === 'GET') return json(emulator.listFiles());
    if (route.startsWith('files/') && method === 'GET') {
      const fileId = decodeURIComponent(route.slice('files/'.length));
      const bytes = emulator.getFileBytes(fileId);
      if (!bytes) return jsonError(404, 'not-found', `No finished file ${fileId}`);
      return new Response(bytes, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
      });
    }
    if (route === 'uploads' && method === 'GET') return json(emulator.listUploads());
    if (route === 'stats' && method === 'GET') return json(emulator.stats);
    if (route === 'faults' && method === 'GET') return json(emulator.faults.list());
    if (route === 'faults' && method === 'DELETE') {
      emulator.faults.clear();
      return new Response(null, { status: 204 });
    }
    if (route === 'faults' && method === 'POST') {
      const spec = await readObject(request);
      if (!spec) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      try {
        return json(options.armFault(emulator.faults, spec), 201);
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) return jsonError(400, 'invalid-fault', error.message);
        throw error;
      }
    }
    if (route === 'parallel-upload' && method === 'POST') {
      const body = await readObject(request);
      if (typeof body?.['supported'] !== 'boolean') return jsonError(400, 'invalid-json', 'The body must be {"supported": true|false}');
      emulator.setParallelUpload(body['supported']);
      return new Response(null, { status: 204 });
    }
    if (route === 'reset' && method === 'POST') {
      emulator.reset();
      return new Response(null, { status: 204 });
    }
    return jsonError(404, 'not-found', `No admin route ${method} ${url.pathname}`);
  };
}
