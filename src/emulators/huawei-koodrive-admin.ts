import { createAdminHandler, json, jsonError, storedBytes, type ArmFault } from './admin-routes.js';
import type { KooDriveEmulator } from './huawei-koodrive-emulator.js';

/**
 * Test-only control of a KooDrive emulator over HTTP, mounted at `basePath`: `GET files` (metadata),
 * `GET files/{fileId}` (the stored bytes), `GET uploads`, `GET stats`, `GET|POST|DELETE faults` (list, arm from JSON
 * with `armFault`, the server's shared parser, where `key` is a file id; clear), `POST token` (`{ access_token }` for
 * body `{ userId? }`) and `POST reset`.
 */
export function kooDriveAdminHandler(
  emulator: KooDriveEmulator,
  armFault: ArmFault,
  basePath: string,
): (request: Request) => Promise<Response> {
  return createAdminHandler({
    basePath,
    emulator,
    armFault,
    routes: async ({ route, method, request }) => {
      if (route.startsWith('files/') && method === 'GET') {
        const fileId = decodeURIComponent(route.slice('files/'.length));
        return storedBytes(emulator.storedBytes(fileId), `No file ${fileId}`);
      }
      if (route === 'files' && method === 'GET') return json(emulator.listFiles());
      if (route === 'uploads' && method === 'GET') return json(emulator.pending());
      if (route === 'token' && method === 'POST') {
        const text = await request.text();
        let body: unknown;
        try {
          // A token may be asked for with no body at all: it is then for the default user.
          body = text === '' ? {} : JSON.parse(text);
        } catch {
          return jsonError(400, 'invalid-json', 'The body must be a JSON object');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return jsonError(400, 'invalid-json', 'The body must be a JSON object');
        const userId = (body as Record<string, unknown>)['userId'];
        if (userId !== undefined && (typeof userId !== 'string' || userId === '')) return jsonError(400, 'invalid-user', 'userId must be a non-empty string');
        return json({ access_token: emulator.issueToken(userId), expires_in: 1200 }, 201);
      }
      return undefined;
    },
  });
}
