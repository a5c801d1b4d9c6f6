import { json, jsonError, noContent } from './admin-routes.js';
import { AliyunPdsEmulator } from './aliyun-pds-emulator.js';
import { DROPPED_AS_OBJECT_STORE, providerMounts, type ProviderMountOptions } from './emulator-mounts.js';

/** Where the Aliyun PDS emulator (API and part URLs) is mounted; pages talk to it directly, with test tokens. */
export const EMULATOR_ALIYUN_PDS_BASE_PATH = '/emulator/aliyun-pds';
/** Where the PDS emulator's test-only admin routes live (`POST tokens` issues a Bearer token). */
export const EMULATOR_ALIYUN_PDS_ADMIN_PATH = '/__admin/aliyun-pds';

/** Options of {@link aliyunPdsMounts}. */
export type AliyunPdsMountOptions = ProviderMountOptions<AliyunPdsEmulator>;

/** A JSON object body, where an empty body is `{}`; `undefined` for anything else. */
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
 * The emulator server's PDS routes: the emulator (API and OSS part URLs), and its admin routes: the shared ones
 * (`files/{fileId}` holding a finished file's bytes), `GET files`, `POST tokens` (`{ lifetimeMs? }`; a Bearer token),
 * `POST tokens/expire` and `POST parallel-upload` (`{ supported }`).
 */
export const aliyunPdsMounts = providerMounts<AliyunPdsEmulator>({
  path: EMULATOR_ALIYUN_PDS_BASE_PATH,
  adminPath: EMULATOR_ALIYUN_PDS_ADMIN_PATH,
  emulator: (origin) => new AliyunPdsEmulator({ basePath: EMULATOR_ALIYUN_PDS_BASE_PATH, origin }),
  // A drop of a part PUT looks like OSS's own failure; the API's callers read the status, not the body.
  dropped: DROPPED_AS_OBJECT_STORE,
  admin: (emulator) => ({
    storedUnder: 'files',
    pendingAt: 'uploads',
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
      if (route === 'parallel-upload' && method === 'POST') {
        const body = await readObject(request);
        if (typeof body?.['supported'] !== 'boolean') return jsonError(400, 'invalid-json', 'The body must be {"supported": true|false}');
        emulator.setParallelUpload(body['supported']);
        return noContent();
      }
      return undefined;
    },
  }),
});
