import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { toNodeListener, type FetchHandler } from '../server/node-http.js';
import { jsonError } from './admin-routes.js';
import { AliyunPdsEmulator } from './aliyun-pds-emulator.js';
import { aliyunPdsMounts, EMULATOR_ALIYUN_PDS_BASE_PATH } from './aliyun-pds-mounts.js';
import { corsHeaders, withHeaders } from './emulator.js';
import type { EmulatorMount } from './emulator-mounts.js';
import { kooDriveMounts } from './huawei-koodrive-mounts.js';
import { metaStudioMounts } from './huawei-metastudio-mounts.js';
import { iflytekOstMounts } from './iflytek-ost-mounts.js';
import { S3Emulator } from './s3-emulator.js';
import { EMULATOR_S3_BASE_PATH, EMULATOR_S3_BUCKET, EMULATOR_S3_CREDENTIALS, EMULATOR_S3_REGION, s3Mounts } from './s3-mounts.js';
import { tencentCosV4Mounts } from './tencent-cos-v4-mounts.js';
import { tusMounts } from './tus-mounts.js';

export {
  EMULATOR_API_BASE_PATH,
  EMULATOR_S3_ADMIN_PATH,
  EMULATOR_S3_BASE_PATH,
  EMULATOR_S3_BUCKET,
  EMULATOR_S3_CREDENTIALS,
  EMULATOR_S3_REGION,
} from './s3-mounts.js';
export { EMULATOR_ALIYUN_PDS_ADMIN_PATH, EMULATOR_ALIYUN_PDS_BASE_PATH } from './aliyun-pds-mounts.js';
export type { EmulatorMount } from './emulator-mounts.js';

/** Options of {@link startEmulatorServer}. */
export interface EmulatorServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to `127.0.0.1`. */
  host?: string;
  /** Serves the files of this directory for GET/HEAD paths no route claims (the demo page). */
  staticDir?: string;
  /** More handlers, such as other providers' backends; they get CORS headers when they set none. */
  mounts?: EmulatorMount[];
}

/** A running emulator server. */
export interface EmulatorServer {
  /** The origin, e.g. `http://127.0.0.1:8787`. */
  url: string;
  close(): Promise<void>;
  /** Every path the server answers under (emulators, backend handlers, admin routes), for printing. */
  paths: readonly string[];
  s3: S3Emulator;
  aliyunPds: AliyunPdsEmulator;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

function withCors(response: Response, request: Request): Response {
  if (response.headers.has('access-control-allow-origin')) return response;
  return withHeaders(response, corsHeaders(request, { methods: 'GET, PUT, POST, DELETE, HEAD, OPTIONS', exposed: ['ETag', 'Content-Length'] }));
}

function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

function staticHandler(directory: string): FetchHandler {
  const root = resolve(directory);
  return async (request) => {
    const url = new URL(request.url);
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return jsonError(400, 'bad-path', 'The path is not valid percent-encoded UTF-8');
    }
    let file = resolve(join(root, pathname));
    if (file !== root && !file.startsWith(root + sep)) return jsonError(404, 'not-found', 'Not found');
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const bytes = await readFile(file);
      const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      const body = request.method === 'HEAD' ? null : new Uint8Array(bytes);
      return new Response(body, { headers: { 'content-type': type, 'content-length': String(bytes.byteLength) } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return jsonError(404, 'not-found', 'Not found');
      throw error;
    }
  };
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts a `node:http` server with the S3 emulator at `/emulator/s3` (bucket `mcu-bucket`, the test key pair), the
 * shipped S3 backend handler at `/api` pointed at that emulator, the admin routes at `/__admin/s3/…`, any extra
 * mounts, and optionally a static directory. Every route answers CORS, so pages on other origins can use it.
 */
export async function startEmulatorServer(options: EmulatorServerOptions = {}): Promise<EmulatorServer> {
  const host = options.host ?? '127.0.0.1';
  let route: FetchHandler = async () => jsonError(503, 'starting', 'The emulator server is starting');
  const server = createServer(toNodeListener((request) => route(request)));
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;

  const s3 = new S3Emulator({
    basePath: EMULATOR_S3_BASE_PATH,
    bucket: EMULATOR_S3_BUCKET,
    region: EMULATOR_S3_REGION,
    credentials: { ...EMULATOR_S3_CREDENTIALS },
    origin: url,
  });
  const aliyunPds = new AliyunPdsEmulator({ basePath: EMULATOR_ALIYUN_PDS_BASE_PATH, origin: url });
  // Every provider the same way: its emulator, its admin routes, and the shipped handlers in front of it.
  const mounts: EmulatorMount[] = [
    ...s3Mounts({ origin: url, emulator: s3 }),
    ...aliyunPdsMounts({ origin: url, emulator: aliyunPds }),
    ...iflytekOstMounts({ origin: url }),
    ...tencentCosV4Mounts({ origin: url }),
    ...kooDriveMounts({ origin: url }),
    ...tusMounts({ origin: url }),
    ...metaStudioMounts({ origin: url }),
    ...(options.mounts ?? []),
  ];
  const serveStatic = options.staticDir === undefined ? undefined : staticHandler(options.staticDir);

  route = async (request) => {
    const { pathname } = new URL(request.url);
    const mount = mounts.find((candidate) => under(pathname, candidate.path));
    if (mount) {
      const response = await mount.handler(request);
      // A mount that does not answer preflights itself still has to let cross-origin pages in.
      if (request.method === 'OPTIONS' && !response.ok) return withCors(new Response(null, { status: 204 }), request);
      return withCors(response, request);
    }
    if (serveStatic && (request.method === 'GET' || request.method === 'HEAD')) {
      return withCors(await serveStatic(request), request);
    }
    return withCors(jsonError(404, 'not-found', `Nothing is served at ${pathname}`), request);
  };

  return {
    url,
    paths: mounts.map((mount) => mount.path),
    s3,
    aliyunPds,
    close: () =>
      new Promise<void>((resolvePromise, reject) => {
        server.close((error) => (error ? reject(error) : resolvePromise()));
        // Browsers keep connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
