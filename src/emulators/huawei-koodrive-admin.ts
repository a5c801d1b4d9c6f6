import type { Fault, FaultInjector } from './faults.js';
import type { KooDriveEmulator } from './huawei-koodrive-emulator.js';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function jsonError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/** Arms a fault from the admin route's JSON (`{ kind, operation?, partNumber?, key?, times?, status?, … }`). */
export type KooDriveArmFault = (faults: FaultInjector, spec: Record<string, unknown>) => Fault;

/**
 * Test-only control of a KooDrive emulator over HTTP, mounted at `basePath`: `GET files` (metadata),
 * `GET files/{fileId}` (the stored bytes), `GET uploads`, `GET stats`, `GET|POST|DELETE faults` (list, arm from JSON
 * with `armFault`, the server's shared parser, where `key` is a file id; clear), `POST token` (`{ access_token }` for
 * body `{ userId? }`) and `POST reset`.
 */
export function kooDriveAdminHandler(
  emulator: KooDriveEmulator,
  armFault: KooDriveArmFault,
  basePath: string,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.slice(basePath.length + 1);
    const method = request.method;
    if (route.startsWith('files/') && method === 'GET') {
      const fileId = decodeURIComponent(route.slice('files/'.length));
      const bytes = emulator.getFile(fileId);
      if (!bytes) return jsonError(404, 'not-found', `No file ${fileId}`);
      return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } });
    }
    if (route === 'files' && method === 'GET') return json(emulator.listFiles());
    if (route === 'uploads' && method === 'GET') return json(emulator.listUploads());
    if (route === 'stats' && method === 'GET') return json(emulator.stats);
    if (route === 'faults' && method === 'GET') return json(emulator.faults.list());
    if (route === 'faults' && method === 'DELETE') {
      emulator.faults.clear();
      return new Response(null, { status: 204 });
    }
    if ((route === 'faults' || route === 'token') && method === 'POST') {
      const text = await request.text();
      let spec: unknown;
      try {
        // A token may be asked for with no body at all: it is then for the default user.
        spec = text === '' && route === 'token' ? {} : JSON.parse(text);
      } catch {
        return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
      const body = spec as Record<string, unknown>;
      if (route === 'faults') {
        try {
          return json(armFault(emulator.faults, body), 201);
        } catch (error) {
          if (error instanceof TypeError || error instanceof RangeError) return jsonError(400, 'invalid-fault', error.message);
          throw error;
        }
      }
      const userId = body.userId;
      if (userId !== undefined && (typeof userId !== 'string' || userId === '')) return jsonError(400, 'invalid-user', 'userId must be a non-empty string');
      return json({ access_token: emulator.issueToken(userId), expires_in: 1200 }, 201);
    }
    if (route === 'reset' && method === 'POST') {
      emulator.reset();
      return new Response(null, { status: 204 });
    }
    return jsonError(404, 'not-found', `No admin route ${method} ${url.pathname}`);
  };
}
