import { http, type HttpHandler } from 'msw';
import type { S3Emulator } from '../../src/emulators/s3-emulator.js';
import { xmlDocument, xmlElements, xmlText } from '../../src/emulators/xml.js';

/** Options of {@link companionBackendHandlers}. */
export interface CompanionBackendOptions {
  /** Where the routes live on the page's own origin; defaults to `/api`. */
  basePath?: string;
  /** Lifetime of the presigned URLs in seconds; defaults to 900. */
  expiresIn?: number;
}

/** A refusal answered as `{ error: { code, message } }`, the shipped backend's error shape. */
class RouteError extends Error {
  override readonly name = 'RouteError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function required(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (!value) throw new RouteError(400, `invalid-${name}`, `The ${name} parameter is required.`);
  return value;
}

/** `Content-MD5` and `x-amz-checksum-*` the page asked to have signed, as the shipped handler takes them. */
function digestHeaders(url: URL): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentMd5 = url.searchParams.get('contentMd5');
  if (contentMd5) headers['content-md5'] = contentMd5;
  const algorithm = url.searchParams.get('checksumAlgorithm');
  const checksum = url.searchParams.get('checksum');
  if (algorithm && checksum) {
    if (!CHECKSUM_ALGORITHMS.includes(algorithm.toUpperCase())) {
      throw new RouteError(400, 'invalid-checksum', `Unsupported checksumAlgorithm ${algorithm}.`);
    }
    headers[`x-amz-checksum-${algorithm.toLowerCase()}`] = checksum;
  }
  return headers;
}

/** Turns an emulator error response into the backend's: S3's own code with its status, 5xx as 502. */
async function s3Failure(response: Response): Promise<RouteError> {
  const text = await response.text();
  const status = response.status >= 500 ? 502 : response.status || 502;
  return new RouteError(status, xmlText(text, 'Code') ?? 'bad-storage-response', xmlText(text, 'Message') ?? text);
}

/**
 * msw handlers serving Uppy Companion's S3 routes (s3-multipart.md §2) on the page's own origin for in-page contract
 * tests. Like the shipped backend they never hold parts: create, list, complete and abort are presigned requests the
 * backend sends to the emulator itself, and signing is `emulator.presign`, so every step meets the emulator's checks.
 */
export function companionBackendHandlers(emulator: S3Emulator, options: CompanionBackendOptions = {}): HttpHandler[] {
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const expiresIn = options.expiresIn ?? 900;

  const send = async (
    method: string,
    key: string,
    query: Record<string, string>,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> => {
    const url = await emulator.presign({ method, key, query, expiresIn, ...(init.headers && { headers: init.headers }) });
    const response = await emulator.handle(new Request(url, { method, headers: init.headers ?? {}, body: init.body ?? null }));
    if (!response.ok) throw await s3Failure(response);
    return response;
  };

  const create = async (request: Request): Promise<Response> => {
    const input = (await request.json().catch(() => undefined)) as
      | { filename?: unknown; type?: unknown; checksumAlgorithm?: unknown }
      | undefined;
    if (typeof input?.filename !== 'string' || input.filename === '') {
      throw new RouteError(400, 'invalid-filename', 'filename is required.');
    }
    const type = typeof input.type === 'string' && input.type !== '' ? input.type : 'application/octet-stream';
    const key = `uploads/${crypto.randomUUID()}/${input.filename}`;
    const headers: Record<string, string> = { 'content-type': type };
    if (typeof input.checksumAlgorithm === 'string') headers['x-amz-checksum-algorithm'] = input.checksumAlgorithm;
    const response = await send('POST', key, { uploads: '' }, { headers });
    return json({ key, uploadId: xmlText(await response.text(), 'UploadId') });
  };

  const signPart = async (uploadId: string, partNumber: string, url: URL): Promise<Response> => {
    const headers = digestHeaders(url);
    const signed = await emulator.presign({
      method: 'PUT',
      key: required(url, 'key'),
      query: { partNumber, uploadId },
      expiresIn,
      headers,
    });
    return json({ url: signed, expires: expiresIn, headers });
  };

  const signBatch = async (uploadId: string, url: URL): Promise<Response> => {
    const key = required(url, 'key');
    const numbers = required(url, 'partNumbers').split(',');
    const presignedUrls: Record<string, string> = {};
    for (const partNumber of numbers) {
      presignedUrls[partNumber] = await emulator.presign({ method: 'PUT', key, query: { partNumber, uploadId }, expiresIn });
    }
    return json({ presignedUrls, expires: expiresIn });
  };

  const listParts = async (uploadId: string, url: URL): Promise<Response> => {
    const key = required(url, 'key');
    const parts: Array<{ PartNumber: number; Size: number; ETag: string }> = [];
    let marker = '0';
    for (;;) {
      const response = await send('GET', key, { uploadId, 'part-number-marker': marker });
      const xml = await response.text();
      for (const part of xmlElements(xml, 'Part')) {
        parts.push({
          PartNumber: Number(xmlText(part, 'PartNumber')),
          Size: Number(xmlText(part, 'Size')),
          ETag: xmlText(part, 'ETag') ?? '',
        });
      }
      if (xmlText(xml, 'IsTruncated') !== 'true') break;
      marker = xmlText(xml, 'NextPartNumberMarker') ?? '0';
    }
    return json(parts);
  };

  const complete = async (request: Request, uploadId: string, url: URL): Promise<Response> => {
    const key = required(url, 'key');
    const input = (await request.json().catch(() => undefined)) as { parts?: unknown } | undefined;
    if (!Array.isArray(input?.parts) || input.parts.length === 0) {
      throw new RouteError(400, 'invalid-parts', 'parts must be a non-empty array.');
    }
    const parts = input.parts as Array<{ PartNumber?: unknown; ETag?: unknown }>;
    const body = xmlDocument(
      'CompleteMultipartUpload',
      parts.map((part) => [
        'Part',
        [
          ['PartNumber', String(part.PartNumber)],
          ['ETag', String(part.ETag)],
        ],
      ]),
    );
    const response = await send('POST', key, { uploadId }, { body });
    const xml = await response.text();
    return json({ location: xmlText(xml, 'Location') ?? null, key, etag: xmlText(xml, 'ETag') ?? null });
  };

  const abort = async (uploadId: string, url: URL): Promise<Response> => {
    await send('DELETE', required(url, 'key'), { uploadId });
    return json({});
  };

  /** As the shipped handler: a presigned PUT when `method=PUT` is asked, else a POST policy (binding `contentMd5`). */
  const singleParams = async (url: URL): Promise<Response> => {
    const size = Number(required(url, 'size'));
    const filename = required(url, 'filename');
    const type = url.searchParams.get('type') || 'application/octet-stream';
    // As createS3Handler with a principal does: the key an earlier answer named is signed again when asked.
    const key = url.searchParams.get('key') ?? `uploads/${crypto.randomUUID()}/${filename}`;
    const digests = digestHeaders(url);
    if ((url.searchParams.get('method') ?? 'POST').toUpperCase() === 'POST') {
      if (url.searchParams.has('checksumAlgorithm')) throw new RouteError(400, 'invalid-checksum', 'checksumAlgorithm needs method=PUT.');
      const fields = await emulator.presignPost({
        key,
        fields: { 'Content-Type': type, ...(digests['content-md5'] ? { 'Content-MD5': digests['content-md5'] } : {}) },
        conditions: [['content-length-range', size, size]],
        expiresIn,
      });
      return json({ method: 'POST', url: emulator.bucketUrl(), fields, key, expires: expiresIn });
    }
    const signed = await emulator.presign({ method: 'PUT', key, expiresIn, headers: digests });
    return json({
      method: 'PUT',
      url: signed,
      fields: {},
      headers: { 'content-type': type, ...digests },
      key,
      expires: expiresIn,
    });
  };

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const [resource, uploadId, action, ...extra] = url.pathname.slice(`${basePath}/s3/`.length).split('/');
    const method = request.method;
    if (resource === 'params' && uploadId === undefined && method === 'GET') return singleParams(url);
    if (resource === 'multipart' && extra.length === 0) {
      if (uploadId === undefined || uploadId === '') {
        if (method === 'POST') return create(request);
      } else if (action === undefined) {
        if (method === 'GET') return listParts(uploadId, url);
        if (method === 'DELETE') return abort(uploadId, url);
      } else if (action === 'batch' && method === 'GET') {
        return signBatch(uploadId, url);
      } else if (action === 'complete' && method === 'POST') {
        return complete(request, uploadId, url);
      } else if (/^\d+$/.test(action) && method === 'GET') {
        return signPart(uploadId, action, url);
      }
    }
    throw new RouteError(404, 'not-found', `No route ${method} ${url.pathname}`);
  };

  return [
    http.all(`${location.origin}${basePath}/s3/*`, async ({ request }) => {
      try {
        return await route(request);
      } catch (error) {
        if (error instanceof RouteError) return json({ error: { code: error.code, message: error.message } }, error.status);
        throw error;
      }
    }),
  ];
}

