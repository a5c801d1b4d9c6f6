import type { PutObjectCommandInput, S3Client, UploadPartCommandInput } from '@aws-sdk/client-s3';
import { directoryPrefix, forbidden, prefixFor, principalFor } from './authorize.js';
import type { Authorize } from './authorize.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';
import { normalizeBasePath, preflightHeaders, serve } from './route.js';
import type { FetchHandler, RouteMethods } from './route.js';
import { s3ErrorMapper } from './s3-errors.js';
import {
  checkKeyShape,
  defaultKey,
  parseAllowedContentTypes,
  parseChecksumAlgorithm,
  parseCompletedParts,
  parseDeclaredSize,
  parseDigestHeaders,
  parseMetadata,
  parsePartNumber,
  parsePartNumbers,
  requireSize,
  storedContentType,
  validateContentType,
  validateFilename,
  validateKey,
  validateUploadId,
} from './s3-validation.js';
import { resolveTimeouts, upstreamSignal, upstreamTimedOut } from './transfer.js';
import type { TransferTimeouts } from './transfer.js';

/** The stable codes of the errors this handler answers itself, besides the shared {@link ServerErrorCode}s. */
export const S3HandlerErrorCode = {
  /** `/s3/params` was asked for an upload method other than `PUT` (a presigned PUT) or `POST` (a POST policy). */
  InvalidMethod: 'invalid-method',
} as const;

/** What `getKey` receives to name a new object: the request, its principal and the page's input, checked. */
export interface S3KeyInput {
  request: Request;
  /** What `authorize` answered for this upload; `undefined` without `authorize` or when it answered `true`. */
  principal: string | undefined;
  filename: string;
  /** The content type the object is stored with (an active type the page declared is `application/octet-stream`). */
  type: string;
  metadata: Record<string, string>;
}

/**
 * What a request asks of the S3 handler, as `authorize` sees it. `type` is the content type the object will be
 * stored with; `size` is what the page declared, if anything.
 */
export type S3Action =
  | { kind: 'create'; filename: string; type: string; size: number | undefined; metadata: Record<string, string> }
  | { kind: 'sign-put'; filename: string; type: string; size: number | undefined; metadata: Record<string, string> }
  | { kind: 'sign-part'; key: string; uploadId: string; partNumbers: number[] }
  | { kind: 'list'; key: string; uploadId: string }
  | { kind: 'complete'; key: string; uploadId: string }
  | { kind: 'abort'; key: string; uploadId: string };

/** Options of {@link createS3Handler}. */
export interface S3HandlerOptions extends Pick<TransferTimeouts, 'upstreamTimeoutMs'> {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, R2, OSS, COS, OBS, ...); path-style addressing is then the default. */
  endpoint?: string;
  /** Static credentials; without them the SDK's default chain (environment, profile, instance role) is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * The directory every key this handler creates or signs lies in (default `''`: the whole bucket); `uploads` means
   * `uploads/`, never `uploads-admin/`. With a principal, keys lie in its own directory below it.
   */
  keyPrefix?: string;
  /** Lifetime of presigned URLs and POST policies in seconds, 1 to 604800 (default 900). */
  expiresIn?: number;
  /** Path the routes are mounted under, such as `/api/upload` (default `''`). */
  basePath?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default `true` when `endpoint` is set, else `false`. */
  forcePathStyle?: boolean;
  /**
   * Largest file in bytes: a declared size above it gets 413. Create and presigned PUT then need a declared `size`
   * (400 `size-required`), and the PUT signs it as `Content-Length`; a POST policy bounds the length by itself.
   */
  maxFileSize?: number;
  /**
   * Content types the page may upload, exact (`image/png`) or by major type (`image/*`); others get 415
   * `type-not-allowed`. Either way a type a browser would run from the bucket's origin (HTML, JavaScript, any XML
   * such as SVG) is stored as `application/octet-stream` unless this list names it exactly.
   */
  allowedContentTypes?: string[];
  /** Most part URLs one batch sign call may ask for, 1 to 1000 (default 100); more get 400 `too-many-parts`. */
  maxBatchSize?: number;
  /**
   * Decides every request (see {@link S3Action}): `false` refuses (403 `forbidden`), `true` allows, a string allows
   * and names the principal, whose uploads then live in its own directory below `keyPrefix`; any call on a key
   * outside it gets 403 `forbidden` before S3 is asked. Default: everything is allowed, with no principal.
   */
  authorize?: Authorize<S3Action>;
  /** Page origins allowed to call the routes from another origin (CORS); default none. */
  allowedOrigins?: AllowedOrigins;
  /** Request headers a cross-origin page may send besides `content-type` and `authorization` (what `authorize` reads). */
  allowedHeaders?: string[];
  /** Names a new object; the result must lie in the (principal's) key prefix (default: it + UUID + `/` + safe filename). */
  getKey?: (input: S3KeyInput) => string;
  /** A ready client; `region`, `endpoint`, `credentials` and `forcePathStyle` are then ignored. */
  s3Client?: S3Client;
  /** Receives unexpected errors and storage failures, whose details never reach the client; default `console.error`. */
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
 * Body of a `/s3/params?method=PUT` answer: PUT the file to `url` with exactly `headers` (its content type, and any
 * digest asked for) before `expires` seconds have passed. The URL also signs `Content-Length` when the page gave
 * `size`, so exactly that many bytes are accepted.
 */
export interface S3PutParamsResponse {
  method: 'PUT';
  url: string;
  fields: Record<string, never>;
  headers: Record<string, string>;
  key: string;
  expires: number;
}

/**
 * Body of a `/s3/params` answer without `method=PUT`, what Uppy Companion answers: POST `fields` and then the file
 * as a `multipart/form-data` form to `url` before `expires` seconds have passed. The policy allows exactly this key
 * and content type, the declared size or at most `maxFileSize` bytes, and with `contentMd5` exactly that MD5.
 */
export interface S3PostParamsResponse {
  method: 'POST';
  url: string;
  fields: Record<string, string>;
  key: string;
  expires: number;
}

interface HandlerConfig {
  bucket: string;
  client: () => Promise<S3Client>;
  keyPrefix: string;
  expiresIn: number;
  maxFileSize: number | undefined;
  allowedContentTypes: string[] | undefined;
  maxBatchSize: number;
  upstreamTimeoutMs: number;
  authorize: Authorize<S3Action> | undefined;
  getKey: (input: S3KeyInput) => string;
}

const FACTORY = 'createS3Handler';
const MAX_PRESIGN_SECONDS = 604_800;
const MAX_BATCH_SIZE = 1000;
const MAX_CREATE_BODY_BYTES = 64 * 1024;
// 10,000 parts with quoted ETags and a checksum each stay well under this.
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;
// ListParts answers at most 1,000 parts a page and an upload has at most 10,000 parts.
const MAX_LIST_PAGES = 20;

type S3Sdk = typeof import('@aws-sdk/client-s3');
type Presigner = typeof import('@aws-sdk/s3-request-presigner');
type PresignedPost = typeof import('@aws-sdk/s3-presigned-post');

let sdk: Promise<{ s3: S3Sdk; presigner: Presigner }> | undefined;
let presignedPost: Promise<PresignedPost> | undefined;

// Loaded on first use, so that `multi-cloud-uploader/server` imports in runtimes without the AWS SDK when only the
// other handlers are used.
function loadSdk(): Promise<{ s3: S3Sdk; presigner: Presigner }> {
  sdk ??= Promise.all([
    optionalPeer('@aws-sdk/client-s3', import('@aws-sdk/client-s3')),
    optionalPeer('@aws-sdk/s3-request-presigner', import('@aws-sdk/s3-request-presigner')),
  ]).then(([s3, presigner]) => ({ s3, presigner }));
  return sdk;
}

function loadPresignedPost(): Promise<PresignedPost> {
  presignedPost ??= optionalPeer('@aws-sdk/s3-presigned-post', import('@aws-sdk/s3-presigned-post'));
  return presignedPost;
}

function optionalPeer<T>(name: string, loading: Promise<T>): Promise<T> {
  return loading.catch((error: unknown) => {
    throw new Error(`${FACTORY} needs the optional package ${name}; install it beside multi-cloud-uploader.`, { cause: error });
  });
}

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
 * - `GET /s3/params?filename=&type=[&size=][&metadata[name]=][&contentMd5=][&key=]` → a POST policy `{ method: 'POST',
 *   url, fields, key, expires }`, as Companion answers Uppy; with `&method=PUT[&checksumAlgorithm=&checksum=]` a
 *   presigned PUT `{ method: 'PUT', url, fields: {}, headers, key, expires }` instead. `key` asks to sign the key an
 *   earlier answer named (a retry after expiry or a reload, so one file stays one object); it is honoured only when
 *   `authorize` names a principal and the key lies in its directory (403 otherwise), and ignored without a
 *   principal, where the page must not choose keys: the answer then names a new one.
 *
 * Integrity: with `contentMd5` (base64 MD5 of the part) the URL signs `Content-MD5`, and a POST policy binds a
 * `Content-MD5` field (the form must carry it, and S3 checks the file against it); with `checksumAlgorithm`
 * (CRC32, CRC32C, SHA1, SHA256, CRC64NVME) and `checksum` (base64) it signs `x-amz-checksum-<algorithm>`. Both stay
 * headers, never query parameters, so the browser must send exactly the `headers` of the answer, S3 rejects the part
 * when the bytes do not match (`BadDigest`), and the bucket's CORS rule must allow those request headers. On AWS a
 * part checksum also needs the upload created with the same `checksumAlgorithm`, and complete's `parts` then carry
 * the matching `ChecksumCRC32`-style fields.
 *
 * Every request is checked, then put to `authorize`, then (for a key) bound to the principal's directory, and only
 * then signed or sent to S3. Errors are `{ error: { code, message } }` with a stable code from
 * {@link ServerErrorCode} or {@link S3HandlerErrorCode}, or S3's own code with its 4xx status (storage failures are
 * 502). The AWS SDK packages load on the first request that needs them.
 */
export function createS3Handler(options: S3HandlerOptions): FetchHandler {
  const config = resolveConfig(options);
  const basePath = normalizeBasePath(FACTORY, options.basePath);
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const routes = createRoutes(config);
  return serve((url) => matchRoute(routes, basePath, url), {
    allowedOrigins: options.allowedOrigins,
    allowHeaders: preflightHeaders(FACTORY, [], options.allowedHeaders),
    onError,
    mapError: s3ErrorMapper(onError),
  });
}

function resolveConfig(options: S3HandlerOptions): HandlerConfig {
  if (!options.bucket) throw new TypeError(`${FACTORY}: bucket is required.`);
  if (!options.s3Client && !options.region) throw new TypeError(`${FACTORY}: region is required.`);
  const expiresIn = options.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`${FACTORY}: expiresIn must be an integer from 1 to ${MAX_PRESIGN_SECONDS} seconds.`);
  }
  const keyPrefix = directoryPrefix(options.keyPrefix ?? '');
  if (keyPrefix !== '') {
    try {
      checkKeyShape(keyPrefix);
    } catch (error) {
      throw new TypeError(`${FACTORY}: keyPrefix is not a valid key start: ${(error as Error).message}`);
    }
  }
  const { maxFileSize } = options;
  if (maxFileSize !== undefined && (!Number.isSafeInteger(maxFileSize) || maxFileSize < 0)) {
    throw new RangeError(`${FACTORY}: maxFileSize must be a non-negative integer.`);
  }
  const maxBatchSize = options.maxBatchSize ?? 100;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`${FACTORY}: maxBatchSize must be an integer from 1 to ${MAX_BATCH_SIZE}.`);
  }
  const { upstreamTimeoutMs } = resolveTimeouts(FACTORY, { upstreamTimeoutMs: options.upstreamTimeoutMs });
  let client: Promise<S3Client> | undefined;
  const clientOf = () =>
    (client ??= options.s3Client
      ? Promise.resolve(options.s3Client)
      : loadSdk().then(
          ({ s3 }) =>
            new s3.S3Client({
              region: options.region,
              ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
              ...(options.credentials !== undefined && { credentials: options.credentials }),
              forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
              // Otherwise the SDK signs a CRC32 of the empty presign body into every URL and S3 rejects the real part.
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            }),
        ));
  return {
    bucket: options.bucket,
    client: clientOf,
    keyPrefix,
    expiresIn,
    maxFileSize,
    allowedContentTypes: parseAllowedContentTypes(FACTORY, options.allowedContentTypes),
    maxBatchSize,
    upstreamTimeoutMs,
    authorize: options.authorize,
    getKey: options.getKey ?? ((input) => defaultKey(prefixFor(keyPrefix, input.principal), input.filename)),
  };
}

interface Routes {
  params: (url: URL) => RouteMethods;
  multipart: RouteMethods;
  upload: (url: URL, uploadId: string) => RouteMethods;
  batch: (url: URL, uploadId: string) => RouteMethods;
  complete: (url: URL, uploadId: string) => RouteMethods;
  part: (url: URL, uploadId: string, partNumber: string) => RouteMethods;
}

function matchRoute(routes: Routes, basePath: string, url: URL): RouteMethods | undefined {
  const { pathname } = url;
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const segments = pathname.slice(basePath.length + 1).split('/');
  if (segments[0] !== 's3' || segments.some((segment) => segment === '')) return undefined;
  const [, resource, uploadId, action, ...extra] = segments;
  if (resource === 'params' && segments.length === 2) return routes.params(url);
  if (resource !== 'multipart' || extra.length > 0) return undefined;
  if (uploadId === undefined) return routes.multipart;
  if (action === undefined) return routes.upload(url, uploadId);
  if (action === 'batch') return routes.batch(url, uploadId);
  if (action === 'complete') return routes.complete(url, uploadId);
  return routes.part(url, uploadId, action);
}

/** What a new object is: the page's input, checked and with the type it is stored with. */
interface NewObject {
  filename: string;
  type: string;
  size: number | undefined;
  metadata: Record<string, string>;
}

function createRoutes(config: HandlerConfig): Routes {
  const { bucket } = config;

  const newObject = (filename: unknown, type: unknown, metadata: Record<string, string>, size: unknown): NewObject => ({
    filename: validateFilename(filename),
    type: storedContentType(validateContentType(type), config.allowedContentTypes),
    size: parseDeclaredSize(size, config.maxFileSize),
    metadata,
  });

  /** The key `getKey` names for a new object, which must lie in the principal's directory. */
  const newKey = (request: Request, principal: string | undefined, object: NewObject): string => {
    const key = validateKey(config.getKey({ request, principal, filename: object.filename, type: object.type, metadata: object.metadata }));
    if (!key.startsWith(prefixFor(config.keyPrefix, principal))) {
      throw new TypeError(`${FACTORY}: getKey returned a key outside the key prefix${principal === undefined ? '' : " and the principal's directory"}.`);
    }
    return key;
  };

  /** A key the page asks to sign again, which must lie in the principal's own directory. */
  const ownKey = (principal: string, requested: string | null): string => {
    const key = validateKey(requested);
    if (!key.startsWith(prefixFor(config.keyPrefix, principal))) throw forbidden();
    return key;
  };

  /**
   * Asks `authorize` about a call on an existing upload and binds its key to the principal: a key outside the
   * principal's directory is refused like `authorize` refusing, before S3 is asked, so a stranger cannot tell
   * whether the upload exists.
   */
  const authorizeKey = async (request: Request, action: Extract<S3Action, { key: string }>): Promise<void> => {
    const principal = await principalFor(config.authorize, request, action);
    if (action.key.startsWith(prefixFor(config.keyPrefix, principal))) return;
    if (principal !== undefined) throw forbidden();
    throw new HttpError(400, ServerErrorCode.KeyOutsidePrefix, 'The key is outside the prefix this server signs for.');
  };

  /** Runs S3 calls under one upstream time limit; a call past it answers 504 `upstream-timeout`. */
  const upstream = async <T>(request: Request, run: (client: S3Client, s3: S3Sdk, abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const [client, { s3 }] = await Promise.all([config.client(), loadSdk()]);
    const signal = upstreamSignal(request, config.upstreamTimeoutMs);
    try {
      return await run(client, s3, signal);
    } catch (error) {
      throw upstreamTimedOut(request, signal) ?? error;
    }
  };

  const presignOptions = (digestHeaders: Record<string, string>, signableHeaders: string[] = []) => ({
    expiresIn: config.expiresIn,
    // The presigner would move x-amz-checksum-* into the query, where S3 does not check it against the bytes.
    unhoistableHeaders: new Set(Object.keys(digestHeaders)),
    // The presigner leaves Content-Type unsigned unless told; signed, the page cannot store another type.
    signableHeaders: new Set(signableHeaders),
  });

  const presignPut = async (input: PutObjectCommandInput, digestHeaders: Record<string, string>): Promise<string> => {
    const [client, { s3, presigner }] = await Promise.all([config.client(), loadSdk()]);
    const command = new s3.PutObjectCommand(input);
    command.middlewareStack.add(exactDigestHeaders(digestHeaders), EXACT_DIGEST_HEADERS_STEP);
    return presigner.getSignedUrl(client, command, presignOptions(digestHeaders, ['content-type']));
  };

  const presignParts = async (key: string, uploadId: string, partNumbers: number[], digestHeaders: Record<string, string>) => {
    const [client, { s3, presigner }] = await Promise.all([config.client(), loadSdk()]);
    return Promise.all(
      partNumbers.map((partNumber) => {
        const input: UploadPartCommandInput = { Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber };
        const command = new s3.UploadPartCommand(input);
        command.middlewareStack.add(exactDigestHeaders(digestHeaders), EXACT_DIGEST_HEADERS_STEP);
        return presigner.getSignedUrl(client, command, presignOptions(digestHeaders));
      }),
    );
  };

  const signPut = async (request: Request, query: URLSearchParams, object: NewObject): Promise<Response> => {
    requireSize(object.size, config.maxFileSize);
    const digestHeaders = parseDigestHeaders(query);
    const principal = await principalFor(config.authorize, request, { kind: 'sign-put', ...object });
    const key = principal === undefined || !query.has('key') ? newKey(request, principal, object) : ownKey(principal, query.get('key'));
    const url = await presignPut(
      { Bucket: bucket, Key: key, ContentType: object.type, ...(object.size !== undefined && { ContentLength: object.size }) },
      digestHeaders,
    );
    const body: S3PutParamsResponse = {
      method: 'PUT',
      url,
      fields: {},
      headers: { 'content-type': object.type, ...digestHeaders },
      key,
      expires: config.expiresIn,
    };
    return jsonResponse(body);
  };

  const signPost = async (request: Request, query: URLSearchParams, object: NewObject): Promise<Response> => {
    // S3 documents a Content-MD5 form field for POST Object; x-amz-checksum-* stays with the presigned PUT.
    if (query.has('checksumAlgorithm') || query.has('checksum')) {
      throw new HttpError(400, ServerErrorCode.InvalidChecksum, 'checksumAlgorithm needs a presigned PUT: add method=PUT.');
    }
    const contentMd5 = parseDigestHeaders(query)['content-md5'];
    const principal = await principalFor(config.authorize, request, { kind: 'sign-put', ...object });
    const key = principal === undefined || !query.has('key') ? newKey(request, principal, object) : ownKey(principal, query.get('key'));
    // The SDK would turn a key ending in `${filename}` into a starts-with condition: any key below it.
    if (key.includes('${filename}')) throw new HttpError(400, ServerErrorCode.InvalidKey, 'The key holds "${filename}".');
    const [client, { createPresignedPost }] = await Promise.all([config.client(), loadPresignedPost()]);
    const maxBytes = object.size ?? config.maxFileSize;
    const { url, fields } = await createPresignedPost(client, {
      Bucket: bucket,
      Key: key,
      // Each field becomes an exact condition: the form must carry this type, and this MD5, which S3 then checks.
      Fields: { 'Content-Type': object.type, ...(contentMd5 !== undefined && { 'Content-MD5': contentMd5 }) },
      // A declared size is held to exactly, as the presigned PUT's signed Content-Length holds it.
      Conditions: maxBytes === undefined ? [] : [['content-length-range', object.size ?? 0, maxBytes]],
      Expires: config.expiresIn,
    });
    const body: S3PostParamsResponse = { method: 'POST', url, fields, key, expires: config.expiresIn };
    return jsonResponse(body);
  };

  return {
    params: (url) => ({
      GET: async (request) => {
        const query = url.searchParams;
        const method = (query.get('method') ?? 'POST').toUpperCase();
        if (method !== 'POST' && method !== 'PUT') {
          throw new HttpError(400, S3HandlerErrorCode.InvalidMethod, 'method must be PUT or POST.');
        }
        const metadata = metadataFromQuery(query);
        const object = newObject(query.get('filename'), query.get('type'), metadata, query.get('size') ?? metadata.size);
        return method === 'PUT' ? signPut(request, query, object) : signPost(request, query, object);
      },
    }),
    multipart: {
      POST: async (request) => {
        const input = await readJsonObject(request, MAX_CREATE_BODY_BYTES);
        const metadata = parseMetadata(input.metadata);
        const object = newObject(input.filename, input.type, metadata, input.size ?? metadata.size);
        requireSize(object.size, config.maxFileSize);
        const checksumAlgorithm = parseChecksumAlgorithm(input.checksumAlgorithm);
        const principal = await principalFor(config.authorize, request, { kind: 'create', ...object });
        const key = newKey(request, principal, object);
        const created = await upstream(request, (client, s3, abortSignal) =>
          client.send(
            new s3.CreateMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              ContentType: object.type,
              ...(checksumAlgorithm !== undefined && { ChecksumAlgorithm: checksumAlgorithm }),
            }),
            { abortSignal },
          ),
        );
        if (!created.UploadId) throw badStorageResponse('CreateMultipartUpload answered without an UploadId.');
        const body: S3CreateResponse = { key, uploadId: created.UploadId };
        return jsonResponse(body);
      },
    },
    upload: (url, rawUploadId) => ({
      GET: async (request) => {
        const key = validateKey(url.searchParams.get('key'));
        const uploadId = validateUploadId(rawUploadId);
        await authorizeKey(request, { kind: 'list', key, uploadId });
        return jsonResponse(await listAllParts(request, key, uploadId));
      },
      DELETE: async (request) => {
        const key = validateKey(url.searchParams.get('key'));
        const uploadId = validateUploadId(rawUploadId);
        await authorizeKey(request, { kind: 'abort', key, uploadId });
        await upstream(request, (client, s3, abortSignal) =>
          client.send(new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal }),
        );
        return jsonResponse({});
      },
    }),
    batch: (url, rawUploadId) => ({
      GET: async (request) => {
        const query = url.searchParams;
        const key = validateKey(query.get('key'));
        const uploadId = validateUploadId(rawUploadId);
        const partNumbers = parsePartNumbers(query.get('partNumbers'), config.maxBatchSize);
        if (['contentMd5', 'checksumAlgorithm', 'checksum'].some((name) => query.has(name))) {
          throw new HttpError(400, ServerErrorCode.InvalidChecksum, 'Per-part digests need the single sign-part route.');
        }
        await authorizeKey(request, { kind: 'sign-part', key, uploadId, partNumbers });
        const urls = await presignParts(key, uploadId, partNumbers, {});
        const body: S3SignBatchResponse = {
          presignedUrls: Object.fromEntries(partNumbers.map((partNumber, index) => [String(partNumber), urls[index] as string])),
          expires: config.expiresIn,
        };
        return jsonResponse(body);
      },
    }),
    complete: (url, rawUploadId) => ({
      POST: async (request) => {
        const key = validateKey(url.searchParams.get('key'));
        const uploadId = validateUploadId(rawUploadId);
        const input = await readJsonObject(request, MAX_COMPLETE_BODY_BYTES);
        const parts = parseCompletedParts(input.parts);
        await authorizeKey(request, { kind: 'complete', key, uploadId });
        const completed = await upstream(request, (client, s3, abortSignal) =>
          client.send(
            new s3.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
            { abortSignal },
          ),
        );
        const body: S3CompleteResponse = { location: completed.Location ?? null, key, etag: completed.ETag ?? null };
        return jsonResponse(body);
      },
    }),
    part: (url, rawUploadId, rawPartNumber) => ({
      GET: async (request) => {
        const key = validateKey(url.searchParams.get('key'));
        const uploadId = validateUploadId(rawUploadId);
        const partNumber = parsePartNumber(rawPartNumber);
        const digestHeaders = parseDigestHeaders(url.searchParams);
        await authorizeKey(request, { kind: 'sign-part', key, uploadId, partNumbers: [partNumber] });
        const [signedUrl] = await presignParts(key, uploadId, [partNumber], digestHeaders);
        const body: S3SignPartResponse = { url: signedUrl as string, expires: config.expiresIn, headers: digestHeaders };
        return jsonResponse(body);
      },
    }),
  };

  function listAllParts(request: Request, key: string, uploadId: string): Promise<S3ListedPart[]> {
    return upstream(request, async (client, s3, abortSignal) => {
      const listed: S3ListedPart[] = [];
      let marker: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
        const output = await client.send(
          new s3.ListPartsCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker !== undefined && { PartNumberMarker: marker }),
          }),
          { abortSignal },
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
    });
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

function badStorageResponse(message: string): HttpError {
  return new HttpError(502, ServerErrorCode.BadStorageResponse, message);
}
