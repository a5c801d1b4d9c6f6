import { createIflytekOstHandler } from '../src/server/iflytek-ost-handler.js';
import { createMetaStudioHandler } from '../src/server/huawei-metastudio-handler.js';
import type { FetchHandler } from '../src/server/route.js';

const MiB = 1024 * 1024;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const BOUNDARY = 'mcu-bench-boundary';

/** One request whose body is `head`, then the pushed bytes, then `tail`. */
export interface PushedRequest {
  method: string;
  path: string;
  headers: (bodyBytes: number) => Record<string, string>;
  head: Buffer;
  tail: Buffer;
}

/** One proxy to measure: the handler the child runs, and how the parent drives it. */
export interface MemoryCase {
  name: string;
  label: string;
  createHandler(sinkUrl: string): FetchHandler;
  /** The next request to push `bytes` through (after any set-up calls it needs, made here). */
  prepare(origin: string, bytes: number): Promise<PushedRequest>;
  /** Splits the body into requests of at most this many bytes (slices); default one request. */
  requestBytes?: number;
  /** The sink's JSON answer to the upstream calls of this case, or `undefined` when not one of them. */
  sinkAnswer?(method: string, url: string, sinkUrl: string): unknown;
}

function formPart(fields: Record<string, string>): { head: Buffer; tail: Buffer; headers: () => Record<string, string> } {
  const head =
    Object.entries(fields)
      .map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    head: Buffer.from(head),
    tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    headers: () => ({ 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }),
  };
}

const iflytekOptions = (sinkUrl: string) => ({ appId: 'benchapp', apiKey: 'benchkey', apiSecret: 'bench-api-secret', upstream: `${sinkUrl}/iflytek` });

function iflytekSinkAnswer(_method: string, url: string): unknown {
  if (!url.startsWith('/iflytek/')) return undefined;
  if (url.endsWith('/mpupload/init')) return { code: 0, message: 'success', sid: 'bench', data: { upload_id: 'bench-upload' } };
  return { code: 0, message: 'success', sid: 'bench', data: { url: 'https://files.example/bench.bin' } };
}

let sliceId = 0;

export const MEMORY_CASES: MemoryCase[] = [
  {
    name: 'metastudio-put',
    label: 'MetaStudio `PUT files/{ref}/content` → OBS (one body)',
    createHandler: (sinkUrl) =>
      createMetaStudioHandler({
        endpoint: `${sinkUrl}/metastudio`,
        projectId: 'benchproject',
        auth: { token: 'bench-token' },
        secret: SECRET,
        allowedUploadHosts: [new URL(sinkUrl).host],
      }),
    async prepare(origin, bytes) {
      const response = await fetch(`${origin}/files`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          file_name: 'bench.mp4',
          file_md5: 'AAAAAAAAAAAAAAAAAAAAAA==',
          file_size: bytes,
          file_type: 'MP4',
          asset_id: 'benchasset',
          asset_file_category: 'MAIN',
        }),
      });
      const created = (await response.json()) as { upload_ref?: string; file_id?: string; content_type?: string };
      if (!response.ok) throw new Error(`MetaStudio create-file answered ${response.status}: ${JSON.stringify(created)}`);
      return {
        method: 'PUT',
        path: `/files/${encodeURIComponent(created.upload_ref ?? created.file_id ?? '')}/content`,
        headers: () => ({ 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': created.content_type ?? 'video/mp4' }),
        head: Buffer.alloc(0),
        tail: Buffer.alloc(0),
      };
    },
    sinkAnswer(method, url, sinkUrl) {
      if (method === 'POST' && url === '/metastudio/v1/benchproject/files') {
        return { file_id: `file${Date.now()}`, upload_url: `${sinkUrl}/obs/bench.mp4?Expires=${Math.floor(Date.now() / 1000) + 3600}` };
      }
      return undefined;
    },
  },
  {
    name: 'iflytek-file-stream',
    label: 'iFlytek `POST /file/upload`, streamed (one form body)',
    createHandler: (sinkUrl) => createIflytekOstHandler(iflytekOptions(sinkUrl)),
    async prepare() {
      const form = formPart({ request_id: `bench${Date.now()}` });
      return { method: 'POST', path: '/file/upload', headers: form.headers, head: form.head, tail: form.tail };
    },
    sinkAnswer: iflytekSinkAnswer,
  },
  {
    name: 'iflytek-slices-stream',
    label: 'iFlytek `POST /file/mpupload/upload`, streamed, 64 MiB slices',
    createHandler: (sinkUrl) => createIflytekOstHandler(iflytekOptions(sinkUrl)),
    requestBytes: 64 * MiB,
    async prepare() {
      sliceId = (sliceId % 10_000) + 1;
      const form = formPart({ request_id: `bench${sliceId}`, upload_id: 'bench-upload', slice_id: String(sliceId) });
      return { method: 'POST', path: '/file/mpupload/upload', headers: form.headers, head: form.head, tail: form.tail };
    },
    sinkAnswer: iflytekSinkAnswer,
  },
  {
    name: 'iflytek-slices-body',
    label: "iFlytek slices with `multipartDigest: 'body'` (each slice read for its SHA-256), 16 MiB slices",
    createHandler: (sinkUrl) => createIflytekOstHandler({ ...iflytekOptions(sinkUrl), multipartDigest: 'body' }),
    requestBytes: 16 * MiB,
    async prepare() {
      sliceId = (sliceId % 10_000) + 1;
      const form = formPart({ request_id: `bench${sliceId}`, upload_id: 'bench-upload', slice_id: String(sliceId) });
      return { method: 'POST', path: '/file/mpupload/upload', headers: form.headers, head: form.head, tail: form.tail };
    },
    sinkAnswer: iflytekSinkAnswer,
  },
];
