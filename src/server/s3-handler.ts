import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { PutObjectCommandInput, UploadPartCommandInput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { corsHeaders, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';
import { errorResponse } from './s3-errors.js';
import {
  checkDeclaredSize,
  checkKeyShape,
  defaultKey,
  parseChecksumAlgorithm,
  parseCompletedParts,
  parseDigestHeaders,
  parseMetadata,
  parsePartNumber,
  parsePartNumbers,
  validateContentType,
  validateFilename,
  validateKey,
  validateUploadId,
} from './s3-validation.js';

/** What `getKey` receives to name a new object: the page's filename, content type and metadata, checked. */
export interface S3KeyInput {
  filename: string;
  type: string;
  metadata: Record<string, string>;
}

/** Options of {@link createS3Handler}. */
export interface S3HandlerOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, R2, OSS, COS, OBS, ...); path-style addressing is then the default. */
  endpoint?: string;
  /** Static credentials; without them the SDK's default chain (environment, profile, instance role) is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Every key this handler creates or signs starts with it; end it with `/` (default `''`: the whole bucket). */
  keyPrefix?: string;
  /** Lifetime of presigned URLs in seconds, 1 to 604800 (default 900). */
  expiresIn?: number;
  /** Path the routes are mounted under, such as `/api/upload` (default `''`). */
  basePath?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default `true` when `endpoint` is set, else `false`. */
  forcePathStyle?: boolean;
  /**
   * Largest file size in bytes the page may declare (`size` or `metadata.size`) at create or single-PUT time: 413
   * above it. The page declares the size itself, so this guards honest clients; enforce a hard cap in the bucket.
   */
  maxFileSize?: number;
  /** Page origins allowed to call the routes (CORS); default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /** Names a new object; the result must start with `keyPrefix` (default: prefix + UUID + `/` + safe filename). */
  getKey?: (input: S3KeyInput) => string;
  /** A ready client; `region`, `endpoint`, `credentials` and `forcePathStyle` are then ignored. */
  s3Client?: S3Client;
  /** Receives unexpected errors, whose details never reach the client; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Body of a create answer. */
export interface S3CreateResponse {
  key: string;
  uploadId: string;
}

/**
 * Body of a sign-part answer. The page must PUT the part to `url` before `expires` seconds have passed and send
 * every entry of `headers` as a request header with exactly that value (they are signed; S3 verifies the part
 * against them). `headers` is empty unless the page asked for `contentMd5` or `checksumAlgorithm` + `checksum`.
 */
export interface S3SignPartResponse {
  url: string;
  expires: number;
  headers: Record<string, string>;
}

/** Body of a batch sign answer: one URL per part number, all valid for `expires` seconds. */
export interface S3SignBatchResponse {
  presignedUrls: Record<string, string>;
  expires: number;
}

/** One part S3 already holds, as ListParts reports it. */
export interface S3ListedPart {
  PartNumber: number;
  Size: number;
  ETag: string;
}

/** Body of a complete answer: where the object is and its final ETag. */
export interface S3CompleteResponse {
  location: string | null;
  key: string;
  etag: string | null;
}

/**
 * Body of a single-PUT answer (Uppy's `getUploadParameters` shape): PUT the file to `url` with exactly `headers`
 * before `expires` seconds have passed.
 */
export interface S3PutParamsResponse {
  method: 'PUT';
  url: string;
  fields: Record<string, never>;
  headers: Record<string, string>;
  key: string;
  expires: number;
}

interface HandlerConfig {
  bucket: string;
  client: S3Client;
  keyPrefix: string;
  expiresIn: number;
  basePath: string;
  maxFileSize: number | undefined;
  allowedOrigins: AllowedOrigins;
  getKey: (input: S3KeyInput) => string;
  onError: (error: unknown) => void;
}

type RouteHandler = (request: Request, url: URL) => Promise<Response>;
type RouteMethods = Partial<Record<'GET' | 'POST' | 'DELETE', RouteHandler>>;

const MAX_PRESIGN_SECONDS = 604_800;
const MAX_CREATE_BODY_BYTES = 64 * 1024;
// 10,000 parts with quoted ETags and a checksum each stay well under this.
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;
// ListParts answers at most 1,000 parts a page and an upload has at most 10,000 parts.
const MAX_LIST_PAGES = 20;

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) serving Uppy Companion's S3 routes under
 * `basePath`, so the page can upload straight to the bucket without ever holding the secret key:
 *
 * - `POST /s3/multipart` JSON `{ filename, type, metadata, size?, checksumAlgorithm? }` → `{ key, uploadId }`
 * - `GET /s3/multipart/{uploadId}/{partNumber}?key=[&contentMd5=][&checksumAlgorithm=&checksum=]` → `{ url, expires, headers }`
 * - `GET /s3/multipart/{uploadId}/batch?key=&partNumbers=1,2,3` → `{ presignedUrls: { "1": url, ... }, expires }`
 * - `GET /s3/multipart/{uploadId}?key=` → `[{ PartNumber, Size, ETag }, ...]` (every page of ListParts)
 * - `POST /s3/multipart/{uploadId}/complete?key=` JSON `{ parts: [{ PartNumber, ETag }, ...] }` → `{ location, key, etag }`
 * - `DELETE /s3/multipart/{uploadId}?key=` → `{}`
 * - `GET /s3/params?filename=&type=[&size=][&metadata[name]=][&contentMd5=][&checksumAlgorithm=&checksum=]`
 *   → `{ method: 'PUT', url, fields: {}, headers, key, expires }`
 *
 * Integrity: with `contentMd5` (base64 MD5 of the part) the URL signs `Content-MD5`; with `checksumAlgorithm`
 * (CRC32, CRC32C, SHA1, SHA256, CRC64NVME) and `checksum` (base64) it signs `x-amz-checksum-<algorithm>`. Both stay
 * headers, never query parameters, so the browser must send exactly the `headers` of the answer, S3 rejects the part
 * when the bytes do not match (`BadDigest`), and the bucket's CORS rule must allow those request headers. On AWS a
 * part checksum also needs the upload created with the same `checksumAlgorithm`, and complete's `parts` then carry
 * the matching `ChecksumCRC32`-style fields.
 *
 * Errors are `{ error: { code, message } }` with a stable code from {@link ServerErrorCode}, or S3's own code with
 * its status (5xx becomes 502). Every response carries CORS headers for `allowedOrigins`.
 */
export function createS3Handler(options: S3HandlerOptions): (request: Request) => Promise<Response> {
  const config = resolveConfig(options);
  const routes = createRoutes(config);
  return async (request) => {
    const url = new URL(request.url);
    const methods = matchRoute(routes, config.basePath, url.pathname);
    if (request.method === 'OPTIONS') {
      const allowed = methods ? Object.keys(methods) : ['GET', 'POST', 'DELETE'];
      return preflightResponse(request, config.allowedOrigins, [...allowed, 'OPTIONS']);
    }
    let response: Response;
    try {
      if (!methods) throw new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.');
      const handle = Object.hasOwn(methods, request.method) ? methods[request.method as keyof RouteMethods] : undefined;
      if (!handle) throw methodNotAllowed(methods);
      response = await handle(request, url);
    } catch (error) {
      response = errorResponse(error, request.signal.aborted, config.onError);
    }
    for (const [name, value] of corsHeaders(request, config.allowedOrigins)) response.headers.set(name, value);
    return response;
  };
}

function resolveConfig(options: S3HandlerOptions): HandlerConfig {
  if (!options.bucket) throw new TypeError('createS3Handler: bucket is required.');
  if (!options.s3Client && !options.region) throw new TypeError('createS3Handler: region is required.');
  const expiresIn = options.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`createS3Handler: expiresIn must be an integer from 1 to ${MAX_PRESIGN_SECONDS} seconds.`);
  }
  const keyPrefix = options.keyPrefix ?? '';
  if (keyPrefix !== '') {
    try {
      checkKeyShape(keyPrefix);
    } catch (error) {
      throw new TypeError(`createS3Handler: keyPrefix is not a valid key start: ${(error as Error).message}`);
    }
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('createS3Handler: basePath must start with "/".');
  const { maxFileSize } = options;
  if (maxFileSize !== undefined && (!Number.isSafeInteger(maxFileSize) || maxFileSize < 0)) {
    throw new RangeError('createS3Handler: maxFileSize must be a non-negative integer.');
  }
  const client =
    options.s3Client ??
    new S3Client({
      region: options.region,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.credentials !== undefined && { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      // Otherwise the SDK signs a CRC32 of the empty presign body into every URL and S3 rejects the real part.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  return {
    bucket: options.bucket,
    client,
    keyPrefix,
    expiresIn,
    basePath,
    maxFileSize,
    allowedOrigins: options.allowedOrigins ?? '*',
    getKey: options.getKey ?? ((input) => defaultKey(keyPrefix, input.filename)),
    onError: options.onError ?? ((error: unknown) => console.error(error)),
  };
}

interface Routes {
  params: RouteMethods;
  multipart: RouteMethods;
  upload: (uploadId: string) => RouteMethods;
  batch: (uploadId: string) => RouteMethods;
  complete: (uploadId: string) => RouteMethods;
  part: (uploadId: string, partNumber: string) => RouteMethods;
}

function matchRoute(routes: Routes, basePath: string, pathname: string): RouteMethods | undefined {
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const segments = pathname.slice(basePath.length + 1).split('/');
  if (segments[0] !== 's3' || segments.some((segment) => segment === '')) return undefined;
  const [, resource, uploadId, action, ...extra] = segments;
  if (resource === 'params' && segments.length === 2) return routes.params;
  if (resource !== 'multipart' || extra.length > 0) return undefined;
  if (uploadId === undefined) return routes.multipart;
  if (action === undefined) return routes.upload(uploadId);
  if (action === 'batch') return routes.batch(uploadId);
  if (action === 'complete') return routes.complete(uploadId);
  return routes.part(uploadId, action);
}

function createRoutes(config: HandlerConfig): Routes {
  const { client, bucket } = config;
  const keyOf = (url: URL) => validateKey(url.searchParams.get('key'), config.keyPrefix);
  const newKey = (input: S3KeyInput) => validateKey(config.getKey(input), config.keyPrefix);
  const presignOptions = (digestHeaders: Record<string, string>) => ({
    expiresIn: config.expiresIn,
    // The presigner would move x-amz-checksum-* into the query, where S3 does not check it against the bytes.
    unhoistableHeaders: new Set(Object.keys(digestHeaders)),
  });
  const presignPut = (input: PutObjectCommandInput, digestHeaders: Record<string, string>) => {
    const command = new PutObjectCommand(input);
    command.middlewareStack.add(exactDigestHeaders(digestHeaders), EXACT_DIGEST_HEADERS_STEP);
    return getSignedUrl(client, command, presignOptions(digestHeaders));
  };
  const presignPart = (input: UploadPartCommandInput, digestHeaders: Record<string, string>) => {
    const command = new UploadPartCommand(input);
    command.middlewareStack.add(exactDigestHeaders(digestHeaders), EXACT_DIGEST_HEADERS_STEP);
    return getSignedUrl(client, command, presignOptions(digestHeaders));
  };

  return {
    params: {
      GET: async (_request, url) => {
        const query = url.searchParams;
        const filename = validateFilename(query.get('filename'));
        const type = validateContentType(query.get('type'));
        const metadata = metadataFromQuery(query);
        checkDeclaredSize(query.get('size') ?? metadata.size, config.maxFileSize);
        const digestHeaders = parseDigestHeaders(query);
        const key = newKey({ filename, type, metadata });
        const signedUrl = await presignPut({ Bucket: bucket, Key: key, ContentType: type }, digestHeaders);
        const body: S3PutParamsResponse = {
          method: 'PUT',
          url: signedUrl,
          fields: {},
          headers: { 'content-type': type, ...digestHeaders },
          key,
          expires: config.expiresIn,
        };
        return jsonResponse(body);
      },
    },
    multipart: {
      POST: async (request) => {
        const input = await readJsonObject(request, MAX_CREATE_BODY_BYTES);
        const filename = validateFilename(input.filename);
        const type = validateContentType(input.type);
        const metadata = parseMetadata(input.metadata);
        checkDeclaredSize(input.size ?? metadata.size, config.maxFileSize);
        const checksumAlgorithm = parseChecksumAlgorithm(input.checksumAlgorithm);
        const key = newKey({ filename, type, metadata });
        const created = await client.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ContentType: type,
            ...(checksumAlgorithm !== undefined && { ChecksumAlgorithm: checksumAlgorithm }),
          }),
          { abortSignal: request.signal },
        );
        if (!created.UploadId) throw badStorageResponse('CreateMultipartUpload answered without an UploadId.');
        const body: S3CreateResponse = { key, uploadId: created.UploadId };
        return jsonResponse(body);
      },
    },
    upload: (rawUploadId) => ({
      GET: async (request, url) => {
        const key = keyOf(url);
        const uploadId = validateUploadId(rawUploadId);
        return jsonResponse(await listAllParts(request, key, uploadId));
      },
      DELETE: async (request, url) => {
        const key = keyOf(url);
        const uploadId = validateUploadId(rawUploadId);
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
          abortSignal: request.signal,
        });
        return jsonResponse({});
      },
    }),
    batch: (rawUploadId) => ({
      GET: async (_request, url) => {
        const query = url.searchParams;
        const key = keyOf(url);
        const uploadId = validateUploadId(rawUploadId);
        const partNumbers = parsePartNumbers(query.get('partNumbers'));
        if (['contentMd5', 'checksumAlgorithm', 'checksum'].some((name) => query.has(name))) {
          throw new HttpError(400, ServerErrorCode.InvalidChecksum, 'Per-part digests need the single sign-part route.');
        }
        const urls = await Promise.all(
          partNumbers.map((partNumber) =>
            presignPart({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }, {}),
          ),
        );
        const body: S3SignBatchResponse = {
          presignedUrls: Object.fromEntries(partNumbers.map((partNumber, index) => [String(partNumber), urls[index] as string])),
          expires: config.expiresIn,
        };
        return jsonResponse(body);
      },
    }),
    complete: (rawUploadId) => ({
      POST: async (request, url) => {
        const key = keyOf(url);
        const uploadId = validateUploadId(rawUploadId);
        const input = await readJsonObject(request, MAX_COMPLETE_BODY_BYTES);
        const parts = parseCompletedParts(input.parts);
        const completed = await client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
          { abortSignal: request.signal },
        );
        const body: S3CompleteResponse = { location: completed.Location ?? null, key, etag: completed.ETag ?? null };
        return jsonResponse(body);
      },
    }),
    part: (rawUploadId, rawPartNumber) => ({
      GET: async (_request, url) => {
        const key = keyOf(url);
        const uploadId = validateUploadId(rawUploadId);
        const partNumber = parsePartNumber(rawPartNumber);
        const digestHeaders = parseDigestHeaders(url.searchParams);
        const signedUrl = await presignPart(
          { Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber },
          digestHeaders,
        );
        const body: S3SignPartResponse = { url: signedUrl, expires: config.expiresIn, headers: digestHeaders };
        return jsonResponse(body);
      },
    }),
  };

  async function listAllParts(request: Request, key: string, uploadId: string): Promise<S3ListedPart[]> {
    const listed: S3ListedPart[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const output = await client.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          ...(marker !== undefined && { PartNumberMarker: marker }),
        }),
        { abortSignal: request.signal },
      );
      for (const part of output.Parts ?? []) {
        if (part.PartNumber === undefined || part.ETag === undefined) continue;
        listed.push({ PartNumber: part.PartNumber, Size: part.Size ?? 0, ETag: part.ETag });
      }
      if (!output.IsTruncated) return listed;
      if (output.NextPartNumberMarker === undefined || output.NextPartNumberMarker === marker) {
        throw badStorageResponse('ListParts said the list goes on but gave no new marker.');
      }
      marker = output.NextPartNumberMarker;
    }
    throw badStorageResponse(`ListParts did not finish within ${MAX_LIST_PAGES} pages.`);
  }
}

const EXACT_DIGEST_HEADERS_STEP = { step: 'build', priority: 'low', name: 'mcuExactDigestHeaders' } as const;

/**
 * A build-step middleware that leaves exactly `digestHeaders` among the integrity headers of a request to presign.
 * It runs after the SDK's flexible-checksum step (build, normal priority), which would otherwise sign a checksum of
 * the empty body it presigns, and before the presigner (finalizeRequest).
 */
function exactDigestHeaders(digestHeaders: Record<string, string>) {
  return <Args extends { request: unknown }, Result>(next: (args: Args) => Promise<Result>) =>
    async (args: Args): Promise<Result> => {
      const { request } = args;
      if (typeof request === 'object' && request !== null && 'headers' in request) {
        const headers = request.headers as Record<string, string>;
        for (const name of Object.keys(headers)) {
          const lower = name.toLowerCase();
          if (lower === 'content-md5' || lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') {
            delete headers[name];
          }
        }
        Object.assign(headers, digestHeaders);
      }
      return next(args);
    };
}

function metadataFromQuery(query: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of query) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match) metadata[match[1] as string] = value;
  }
  return metadata;
}

function methodNotAllowed(methods: RouteMethods): HttpError {
  return new HttpError(405, ServerErrorCode.MethodNotAllowed, 'This route does not accept this method.', {
    headers: { allow: [...Object.keys(methods), 'OPTIONS'].join(', ') },
  });
}

function badStorageResponse(message: string): HttpError {
  return new HttpError(502, ServerErrorCode.BadStorageResponse, message);
}
