import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { toNodeListener, type FetchHandler } from '../server/node-http.js';
import { createS3Handler } from '../server/s3-handler.js';
import { armFault, createAdminHandler, json, jsonError, storedBytes } from './admin-routes.js';
import { S3Emulator } from './s3-emulator.js';
import { iflytekOstMounts } from './iflytek-ost-mounts.js';
import { AliyunPdsEmulator } from './aliyun-pds-emulator.js';
import { createAliyunPdsAdminHandler } from './aliyun-pds-admin.js';
import { xmlDocument } from './xml.js';
import { metaStudioMounts } from './huawei-metastudio-node.js';
import { kooDriveMounts } from './huawei-koodrive-mounts.js';
import { tencentCosV4Mounts } from './tencent-cos-v4-server.js';
import { tusMounts } from './tus-mounts.js';
import { dropsOverNode } from './over-node.js';

/** Where the S3 emulator is mounted on the emulator server. */
export const EMULATOR_S3_BASE_PATH = '/emulator/s3';
/** The emulated bucket. */
export const EMULATOR_S3_BUCKET = 'mcu-bucket';
/** The emulated region. */
export const EMULATOR_S3_REGION = 'us-east-1';
/** The test key pair the S3 emulator accepts; not a secret. */
export const EMULATOR_S3_CREDENTIALS = {
  accessKeyId: 'AKIDEMULATOR000000',
  secretAccessKey: 'emulator-secret-key-not-a-secret',
} as const;
/** Where the shipped S3 backend handler (Companion routes) is mounted, talking to the emulator. */
export const EMULATOR_API_BASE_PATH = '/api';
/** Where the test-only admin routes of the S3 emulator live. */
export const EMULATOR_S3_ADMIN_PATH = '/__admin/s3';
/** Where the Aliyun PDS emulator (API and part URLs) is mounted; pages talk to it directly, with test tokens. */
export const EMULATOR_ALIYUN_PDS_BASE_PATH = '/emulator/aliyun-pds';
/** Where the PDS emulator's test-only admin routes live (`POST tokens` issues a Bearer token). */
export const EMULATOR_ALIYUN_PDS_ADMIN_PATH = '/__admin/aliyun-pds';

/** An extra Fetch handler served under `path` (and everything below it). */
export interface EmulatorMount {
  path: string;
  handler: FetchHandler;
}

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

function corsHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, PUT, POST, DELETE, HEAD, OPTIONS',
    'access-control-expose-headers': 'ETag, Content-Length',
  };
  const requested = request.headers.get('access-control-request-headers');
  if (requested) headers['access-control-allow-headers'] = requested;
  return headers;
}

function withCors(response: Response, request: Request): Response {
  if (response.type === 'error' || response.headers.has('access-control-allow-origin')) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(corsHeaders(request))) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

/** S3's error shape for a connection dropped by a fault. */
const S3_DROPPED = {
  body: xmlDocument('Error', [['Code', 'InternalError'], ['Message', 'The connection was dropped by a fault.']], null),
  contentType: 'application/xml',
};

/**
 * Test-only control of the S3 emulator over HTTP: `GET objects/{key}` (the stored bytes), `GET stats`,
 * `GET uploads`, `GET|POST|DELETE faults` (list, arm from JSON, clear) and `POST reset`.
 */
function adminHandler(s3: S3Emulator): FetchHandler {
  return createAdminHandler({
    basePath: EMULATOR_S3_ADMIN_PATH,
    emulator: s3,
    armFault,
    routes: ({ route, method }) => {
      if (route.startsWith('objects/') && method === 'GET') {
        const key = decodeURIComponent(route.slice('objects/'.length));
        return storedBytes(s3.storedBytes(key), `No object under ${key}`);
      }
      if (route === 'uploads' && method === 'GET') return json(s3.pending());
      return undefined;
    },
  });
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
  const mounts: EmulatorMount[] = [
    { path: EMULATOR_S3_ADMIN_PATH, handler: adminHandler(s3) },
    { path: EMULATOR_ALIYUN_PDS_BASE_PATH, handler: dropsOverNode((request) => aliyunPds.handle(request), S3_DROPPED) },
    {
      path: EMULATOR_ALIYUN_PDS_ADMIN_PATH,
      handler: createAliyunPdsAdminHandler(aliyunPds, { basePath: EMULATOR_ALIYUN_PDS_ADMIN_PATH, armFault }),
    },
    {
      // Mounted on its own routes so that other providers' backends can live at `/api/<id>` beside it.
      path: `${EMULATOR_API_BASE_PATH}/s3`,
      handler: createS3Handler({
        bucket: EMULATOR_S3_BUCKET,
        region: EMULATOR_S3_REGION,
        endpoint: `${url}${EMULATOR_S3_BASE_PATH}`,
        forcePathStyle: true,
        credentials: { ...EMULATOR_S3_CREDENTIALS },
        keyPrefix: 'uploads/',
        basePath: EMULATOR_API_BASE_PATH,
        // Test pages and the demo call it from their own origins.
        allowedOrigins: '*',
      }),
    },
    ...iflytekOstMounts({ origin: url, armFault }),
    ...tencentCosV4Mounts(),
    ...kooDriveMounts({ origin: url, armFault }),
    ...tusMounts({ origin: url, armFault }),
    ...metaStudioMounts({ origin: url, armFault }),
    ...(options.mounts ?? []),
  ];
  const serveStatic = options.staticDir === undefined ? undefined : staticHandler(options.staticDir);

  const s3OverNode = dropsOverNode((request) => s3.handle(request), S3_DROPPED);
  route = async (request) => {
    const { pathname } = new URL(request.url);
    if (under(pathname, EMULATOR_S3_BASE_PATH)) return s3OverNode(request);
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
    paths: [EMULATOR_S3_BASE_PATH, ...mounts.map((mount) => mount.path)],
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
