import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Handler } from '../../src/server/s3-handler.js';

/** The part of s3rver 3.7.1's API used here; the package ships no types. */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** The one bucket the running s3rver has, open to browsers from any origin. */
export const S3RVER_BUCKET = 'mcu-bucket';
const S3RVER_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/** A running s3rver on loopback, storing under `directory`. */
export interface S3rverServer {
  /** Its origin; read an object back with a plain GET `${url}/${S3RVER_BUCKET}/${key}`. */
  url: string;
  directory: string;
  close(): Promise<void>;
}

/** Starts s3rver 3.7.1 (a real S3 implementation that stores on disk) on a free port with {@link S3RVER_BUCKET}. */
export async function startS3rver(): Promise<S3rverServer> {
  const directory = await mkdtemp(join(tmpdir(), 'mcu-s3rver-'));
  // s3rver is CommonJS without types; createRequire keeps its import typed through the interface above.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: S3RVER_BUCKET, configs: [S3RVER_CORS] }],
  });
  const { port } = await s3rver.run();
  return {
    url: `http://127.0.0.1:${port}`,
    directory,
    async close() {
      const closing = s3rver.close();
      // Browsers keep connections alive; without this close() waits for them to time out.
      s3rver.httpServer?.closeAllConnections();
      await closing;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The shipped S3 backend handler talking to `s3rver`, for the emulator server to mount at `path`. */
export function s3rverMount(s3rver: S3rverServer, path: string): { path: string; handler: ReturnType<typeof createS3Handler> } {
  return {
    path,
    handler: createS3Handler({
      bucket: S3RVER_BUCKET,
      region: 'us-east-1',
      endpoint: s3rver.url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      keyPrefix: 'uploads/',
      basePath: path,
      allowedOrigins: '*',
    }),
  };
}
