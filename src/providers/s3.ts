import { UploadError, UploadErrorCode, redactUrl } from '../core/errors.js';
import { mergeHeaders, parseJson } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { planParts } from '../core/part-plan.js';
import type { AdapterContext, FileDescription, PartLimits, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec, HashAlgorithm } from '../hashing/digest-spec.js';
import { readXmlError } from '../core/xml-error.js';
import { fallbackError, objectStoreErrors, retryableByStoreCode } from './error-mapping.js';

const MiB = 1024 * 1024;
/** A kept signed URL is re-signed this long before its deadline, so that a PUT never starts on one about to lapse. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Until when a URL the backend signed at `asked` for `expires` seconds (no limit when it does not say) is used:
 * EXPIRY_MARGIN_MS before its deadline, or half way for a shorter life.
 */
function usableUntil(asked: number, expires: unknown): number {
  const lifetime = typeof expires === 'number' ? expires * 1000 : Infinity;
  return asked + lifetime - Math.min(EXPIRY_MARGIN_MS, lifetime / 2);
}
/**
 * When a lane takes a part, the URLs of this many following parts are signed too (each once their digest is ready),
 * so that the next lane to take one finds it signed instead of waiting a round trip to the backend, whose answers
 * come slower while it is busy with the parts' bytes: raw XHR signing each part just before its PUT lost 15 % against
 * the bench's sink store (322 → 275 MB/s).
 */
const SIGN_AHEAD = 2;

/** AWS S3's multipart limits, which S3-compatible stores share. */
export const S3_LIMITS: PartLimits = {
  minPartSize: 5 * MiB,
  maxPartSize: 5 * 1024 * MiB,
  maxParts: 10_000,
  maxFileSize: 5 * 1024 * 1024 * MiB,
  defaultPartSize: 8 * MiB,
  allowsEmptyFile: true,
};

/** How a file below the multipart threshold goes up: a form under a POST policy, or a presigned PUT. */
export type S3SingleMethod = 'POST' | 'PUT';

/** Per-part integrity: `md5` sends Content-MD5; the others send `x-amz-checksum-<name>`, which the backend must sign. */
export type S3Checksum = 'md5' | 'crc32' | 'crc32c' | 'sha1' | 'sha256' | 'crc64nvme' | 'none';

const CHECKSUM_ALGORITHM: Record<Exclude<S3Checksum, 'none'>, HashAlgorithm> = {
  md5: 'md5',
  crc32: 'crc32',
  crc32c: 'crc32c',
  sha1: 'sha1',
  sha256: 'sha256',
  crc64nvme: 'crc64nvme',
};

/** What the adapter asks of the user's backend: the Companion routes, or the `backend` callback in their place. */
export type S3BackendRequest =
  | { kind: 'create'; filename: string; type: string; size: number; metadata: Record<string, string>; checksumAlgorithm?: string }
  | { kind: 'sign-part'; key: string; uploadId: string; partNumber: number; checksum?: { algorithm: string; value: string } }
  | { kind: 'list-parts'; key: string; uploadId: string }
  | { kind: 'complete'; key: string; uploadId: string; parts: Array<{ PartNumber: number; ETag: string }> }
  | { kind: 'abort'; key: string; uploadId: string }
  | {
      kind: 'single';
      /** `POST` asks for a POST policy (a form), `PUT` for a presigned URL; the answer's `method` decides. */
      method: S3SingleMethod;
      filename: string;
      type: string;
      size: number;
      checksum?: { algorithm: string; value: string };
      key?: string;
    };

/** The backend's answers, by request kind (Companion's JSON shapes). */
export interface S3BackendResponses {
  create: { key: string; uploadId: string };
  /** `expires`: seconds the URL stays valid. */
  'sign-part': { url: string; headers?: Record<string, string>; expires?: number };
  'list-parts': Array<{ PartNumber: number; Size: number; ETag: string }>;
  complete: { location?: string; key?: string };
  abort: unknown;
  /**
   * `method` `POST`: send `fields`, then the file, as a form to `url`; otherwise PUT the file to `url` with `headers`.
   * `expires`: seconds the URL or policy stays valid.
   */
  single: { method?: string; url: string; fields?: Record<string, string>; headers?: Record<string, string>; key?: string; expires?: number };
}

export interface S3AdapterOptions {
  /** Base URL of the backend serving the Companion-compatible routes (`{endpoint}/s3/multipart`, …). */
  endpoint?: string;
  /** Replaces the routes: answers each backend request itself (user callbacks, as Uppy's options do). */
  backend?: <K extends S3BackendRequest['kind']>(
    request: Extract<S3BackendRequest, { kind: K }>,
  ) => Promise<S3BackendResponses[K]>;
  /** Headers for the backend routes (a session cookie travels by itself; a bearer token goes here). */
  headers?: Record<string, string>;
  /** Per-part integrity; default `md5`. */
  checksum?: S3Checksum;
  /** Files up to this size go up in one request; default: the planned part size. */
  multipartThreshold?: number;
  /**
   * How such a file goes up; default `POST`. `POST` sends a form under a POST policy to the bucket URL, which the
   * browser's CORS preflight cache covers for every file; a presigned PUT's URL is new for each file, so each costs a
   * preflight round trip. It applies with the `md5` and `none` checksums only (S3 documents no x-amz-checksum-* form
   * fields); the others always PUT, and so does the adapter once the store answers that it has no POST Object
   * (Cloudflare R2).
   */
  singleMethod?: S3SingleMethod;
  metadata?: Record<string, string>;
}

/**
 * Where the upload stands on the provider. Holds no URL and no credential. A single PUT keeps the key its first
 * signature named, so that signing again (after expiry or a reload) asks for the same object.
 */
export type S3Session = { mode: 'multipart'; key: string; uploadId: string } | { mode: 'single'; key?: string };

/** S3's answers: the object-store table, with the backend named where the backend's signing is what to check. */
const ERROR_MESSAGES = objectStoreErrors({
  AccessDenied: [UploadErrorCode.AuthFailed, 'The storage refused access. The backend may be signing for the wrong bucket or key.'],
  SignatureDoesNotMatch: [UploadErrorCode.AuthFailed, 'The storage refused the upload signature. Check the backend\'s credentials and region.'],
  InvalidAccessKeyId: [UploadErrorCode.AuthFailed, 'The storage does not know the backend\'s access key.'],
  ExpiredToken: [UploadErrorCode.UrlExpired, 'The backend\'s temporary credentials expired.'],
  AuthorizationQueryParametersError: [UploadErrorCode.ProviderRejected, 'The signed URL is malformed (for example its lifetime is longer than 7 days).'],
  XAmzContentSHA256Mismatch: [UploadErrorCode.HashMismatch, 'A part\'s SHA-256 did not match what arrived.'],
  EntityTooSmall: [UploadErrorCode.LimitExceeded, 'A part is smaller than the 5 MiB the storage requires for all but the last part.'],
  InvalidArgument: [UploadErrorCode.ProviderRejected, 'The storage refused a request argument (such as a part number outside 1–10,000).'],
  // A form upload under a POST policy (POST Object) has refusals of its own.
  InvalidPolicyDocument: [UploadErrorCode.ProviderRejected, 'The storage could not read the backend\'s POST policy.'],
  MalformedPOSTRequest: [UploadErrorCode.ProviderRejected, 'The storage could not read the upload form.'],
  IncorrectNumberOfFilesInPostRequest: [UploadErrorCode.ProviderRejected, 'The upload form must carry exactly one file, after every other field.'],
  MaxPostPreDataLengthExceededError: [UploadErrorCode.ProviderRejected, 'The backend\'s form fields are larger than the storage takes (20 KB before the file).'],
  PreconditionFailed: [UploadErrorCode.ProviderRejected, 'The storage refused the upload: a condition of the request did not hold.'],
});

/** Reads S3's XML error, or the backend's JSON error (`{error:{code,message}}` or Companion's `{message}`). */
function readProviderError(response: HttpResponse): { code?: string; message?: string; requestId?: string } {
  const xml = readXmlError(response.text);
  if (xml) return xml;
  const json = parseJson<{ error?: { code?: string; message?: string } | string; message?: string }>(response);
  if (json && typeof json === 'object') {
    if (typeof json.error === 'object' && json.error) return { code: json.error.code, message: json.error.message };
    return { message: typeof json.error === 'string' ? json.error : json.message };
  }
  return {};
}

/** Turns an S3 or backend error answer into an UploadError with a message a person can act on. */
export function parseS3Error(response: HttpResponse): UploadError {
  const detail = readProviderError(response);
  const init = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: { id: 's3', ...detail },
  };
  if (detail.code === 'AccessDenied' && /expired/i.test(detail.message ?? '')) {
    return new UploadError(UploadErrorCode.UrlExpired, 'The signed upload URL expired; it will be signed again.', init);
  }
  // "Invalid according to Policy: …": the form differs from what the backend's POST policy allows, in S3's words.
  if (detail.code === 'AccessDenied' && /according to Policy/i.test(detail.message ?? '')) {
    return new UploadError(
      UploadErrorCode.ProviderRejected,
      `The storage refused the upload form, which the backend's POST policy does not allow. The storage said: ${detail.message}`,
      init,
    );
  }
  // S3 names the headers in <HeadersNotSigned>: the page sent x-amz-* headers the backend's URL does not cover.
  const unsigned = /<HeadersNotSigned>([^<]*)<\/HeadersNotSigned>/.exec(response.text)?.[1]?.trim();
  if (detail.code === 'AccessDenied' && unsigned !== undefined) {
    return new UploadError(
      UploadErrorCode.ProviderRejected,
      `The storage refused the header${unsigned.includes(',') ? 's' : ''} ${unsigned || 'x-amz-*'}, which the signed URL does not cover; the backend must sign every x-amz-* header the page sends (for a checksum: its algorithm and value).`,
      init,
    );
  }
  // A store without an operation (s3rver has no ListParts): the engine does without it instead of failing.
  if (
    detail.code === 'NotImplemented' ||
    detail.code === 'MethodNotAllowed' ||
    response.status === 405 ||
    response.status === 501
  ) {
    return new UploadError(
      UploadErrorCode.ProviderRejected,
      `The storage does not offer this operation (${detail.code ?? `HTTP ${response.status}`}${detail.message ? `: ${detail.message}` : ''}).`,
      { ...init, unsupported: true },
    );
  }
  if (detail.code === 'InvalidPart') {
    // S3 names the part in <PartNumber>; a backend may pass it on as `partNumber`, or drop it (then: unknown which).
    const named = /<PartNumber>(\d+)<\/PartNumber>/.exec(response.text)?.[1]
      ?? parseJson<{ error?: { partNumber?: unknown } }>(response)?.error?.partNumber;
    const partNumber = Number(named);
    return new UploadError(UploadErrorCode.ProviderRejected, ERROR_MESSAGES.InvalidPart[1], {
      ...init,
      refusedParts: Number.isInteger(partNumber) && partNumber > 0 ? [partNumber] : [],
    });
  }
  const known = detail.code ? ERROR_MESSAGES[detail.code] : undefined;
  // The store's own words name the refused checksum (Content-MD5, CRC32, …), which the mode alone does not tell.
  const named = known?.[0] === UploadErrorCode.HashMismatch && detail.message ? ` The storage said: ${detail.message}` : '';
  // A bad digest means the bytes were damaged on the way; sending the part again is the cure.
  if (known) return new UploadError(known[0], known[1] + named, { ...init, retryable: retryableByStoreCode(detail.code) });
  return fallbackError(response, init, detail.message);
}

/** A POST Object form: the policy's fields, then the file, which S3 requires to come last. */
function formOf(fields: Record<string, string>, file: Blob): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', file);
  return form;
}

/** The key a single upload's answer names: its own `key`, or (Uppy Companion's POST answer) the form's `key` field. */
function keyOf(params: S3BackendResponses['single']): string | undefined {
  const key = params.key ?? params.fields?.key;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** Where a form's object lives: the bucket URL the form went to, and the key below it. */
function objectUrl(bucketUrl: string, key: string | undefined): string {
  const base = redactUrl(bucketUrl).replace(/\/+$/, '');
  return key === undefined ? base : `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The header a PUT carries a part's checksum in: Content-MD5, or x-amz-checksum-<algorithm>; none without one. */
function digestHeaders(check: { algorithm: string; value: string } | undefined): Record<string, string> {
  if (!check) return {};
  return check.algorithm === 'md5' ? { 'Content-MD5': check.value } : { [`x-amz-checksum-${check.algorithm}`]: check.value };
}

/**
 * S3-compatible multipart upload (AWS S3, OSS, COS, OBS, R2, MinIO) through a backend that presigns: Uppy
 * Companion's routes or a `backend` callback. One PUT below the multipart threshold.
 */
export function createS3Adapter(options: S3AdapterOptions = {}): ProviderAdapter<S3Session> {
  const checksum = options.checksum ?? 'md5';
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint && !options.backend) throw new Error('The S3 adapter needs an `endpoint` (the backend\'s base URL) or a `backend` callback.');

  const route = (path: string, query: Record<string, string> = {}) => {
    const search = new URLSearchParams(query).toString();
    return `${endpoint}${path}${search ? `?${search}` : ''}`;
  };

  /** Asks the backend through the engine's transport (so it gets abort and timeouts), or through the callback. */
  async function ask<K extends S3BackendRequest['kind']>(
    ctx: AdapterContext,
    request: Extract<S3BackendRequest, { kind: K }>,
  ): Promise<S3BackendResponses[K]> {
    if (options.backend) return options.backend(request);
    const response = await ctx.send(toHttp(request));
    if (request.kind === 'abort') return {} as S3BackendResponses[K];
    const body = parseJson<S3BackendResponses[K]>(response);
    if (body === undefined || body === null) {
      throw new UploadError(UploadErrorCode.BadResponse, `The backend at ${redactUrl(response.url)} did not answer with JSON.`, {
        status: response.status,
      });
    }
    return body;
  }

  function toHttp(request: S3BackendRequest): HttpRequest {
    const headers = { ...options.headers };
    const json = { ...headers, 'Content-Type': 'application/json' };
    const id = (r: { uploadId: string }) => encodeURIComponent(r.uploadId);
    switch (request.kind) {
      case 'create':
        return {
          method: 'POST',
          url: route('/s3/multipart'),
          headers: json,
          body: JSON.stringify({
            filename: request.filename,
            type: request.type,
            metadata: request.metadata,
            size: request.size,
            checksumAlgorithm: request.checksumAlgorithm,
          }),
        };
      case 'sign-part':
        return {
          method: 'GET',
          url: route(`/s3/multipart/${id(request)}/${request.partNumber}`, {
            key: request.key,
            ...(request.checksum?.algorithm === 'md5' ? { contentMd5: request.checksum.value } : {}),
            ...(request.checksum && request.checksum.algorithm !== 'md5'
              ? { checksumAlgorithm: request.checksum.algorithm, checksum: request.checksum.value }
              : {}),
          }),
          headers,
        };
      case 'list-parts':
        return { method: 'GET', url: route(`/s3/multipart/${id(request)}`, { key: request.key }), headers };
      case 'complete':
        return {
          method: 'POST',
          url: route(`/s3/multipart/${id(request)}/complete`, { key: request.key }),
          headers: json,
          body: JSON.stringify({ parts: request.parts }),
        };
      case 'abort':
        return { method: 'DELETE', url: route(`/s3/multipart/${id(request)}`, { key: request.key }), headers };
      case 'single':
        return {
          method: 'GET',
          url: route('/s3/params', {
            method: request.method,
            filename: request.filename,
            type: request.type,
            size: String(request.size),
            ...(request.key ? { key: request.key } : {}),
            ...(request.checksum?.algorithm === 'md5' ? { contentMd5: request.checksum.value } : {}),
            ...(request.checksum && request.checksum.algorithm !== 'md5'
              ? { checksumAlgorithm: request.checksum.algorithm, checksum: request.checksum.value }
              : {}),
          }),
          headers,
        };
    }
  }

  async function partChecksum(ctx: AdapterContext, partNumber: number) {
    if (checksum === 'none') return undefined;
    const value = (await ctx.digest('part-checksum', partNumber)) as string;
    return { algorithm: checksum, value };
  }

  function requireEtag(response: HttpResponse, partNumber: number): string {
    const etag = response.headers.get('ETag');
    if (!etag) {
      throw new UploadError(
        UploadErrorCode.CorsBlocked,
        `Part ${partNumber} was stored, but its ETag header is not readable by the page. Add "ETag" to the bucket's CORS ExposeHeaders.`,
        { retryable: false, status: response.status },
      );
    }
    return etag;
  }

  const threshold = (file: FileDescription, partSize: number) => options.multipartThreshold ?? partSize;

  /** A part's signed PUT: URL and headers (the signed ones and its digest's), and until when to use it. */
  interface SignedPart {
    url: string;
    headers: Record<string, string>;
    validUntil: number;
  }

  /**
   * Part URLs signed for each multipart session, in memory only (a checkpoint never holds a URL): the part a lane took
   * and the next `SIGN_AHEAD`. An entry goes when its part is stored or its PUT fails, so that a retry signs anew.
   */
  const signedParts = new WeakMap<S3Session, Map<number, Promise<SignedPart>>>();
  const signedOf = (session: S3Session) => signedParts.get(session) ?? signedParts.set(session, new Map()).get(session)!;

  function signPart(ctx: AdapterContext, session: S3Session & { mode: 'multipart' }, partNumber: number): Promise<SignedPart> {
    const signed = signedOf(session);
    const kept = signed.get(partNumber);
    if (kept) return kept;
    const signing = (async (): Promise<SignedPart> => {
      const check = await partChecksum(ctx, partNumber);
      const asked = Date.now();
      const answer = await ask(ctx, { kind: 'sign-part', key: session.key, uploadId: session.uploadId, partNumber, checksum: check });
      if (typeof answer.url !== 'string') throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s sign answer lacks `url`.');
      return { url: answer.url, headers: mergeHeaders(answer.headers, digestHeaders(check)), validUntil: usableUntil(asked, answer.expires) };
    })();
    signed.set(partNumber, signing);
    // A signature asked for ahead that fails (a pause aborted it, the digest was canceled) is asked for again when used.
    signing.catch(() => {
      if (signed.get(partNumber) === signing) signed.delete(partNumber);
    });
    return signing;
  }

  /** Signs the parts after `partNumber` that are neither stored nor signed yet, without waiting for them. */
  function signAhead(ctx: AdapterContext, session: S3Session & { mode: 'multipart' }, partNumber: number): void {
    const stored = new Set(ctx.receipts?.map((receipt) => receipt.partNumber));
    for (let next = partNumber + 1; next <= Math.min(partNumber + SIGN_AHEAD, ctx.plan.partCount); next++) {
      if (!stored.has(next)) signPart(ctx, session, next).catch(() => undefined);
    }
  }

  // A POST policy binds Content-MD5 only: S3 documents no x-amz-checksum-* form fields.
  let singleMethod: S3SingleMethod = checksum === 'md5' || checksum === 'none' ? (options.singleMethod ?? 'POST') : 'PUT';

  /**
   * The signed single PUT of each session, kept in memory only (a checkpoint never holds a URL): every retry sends to
   * the same key, so a response lost after the store kept the bytes cannot leave a second object under a fresh key.
   * Its key goes into the session, and a new signature (after expiry or a reload) asks for that key again; a backend
   * that will not let the page name its key (createS3Handler without a principal) answers with a new one.
   */
  const signedSingles = new WeakMap<S3Session, { params: S3BackendResponses['single']; validUntil: number }>();

  async function signSingle(
    ctx: AdapterContext,
    session: S3Session,
    check: { algorithm: string; value: string } | undefined,
  ): Promise<S3BackendResponses['single']> {
    const kept = signedSingles.get(session);
    if (kept && Date.now() < kept.validUntil) return kept.params;
    const asked = Date.now();
    const params = await ask(ctx, {
      kind: 'single',
      method: singleMethod,
      filename: ctx.file.name,
      type: ctx.file.type || 'application/octet-stream',
      size: ctx.file.size,
      checksum: check,
      ...(session.mode === 'single' && session.key ? { key: session.key } : {}),
    });
    if (typeof params.url !== 'string') throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s params answer lacks `url`.');
    const key = keyOf(params);
    if (session.mode === 'single' && key !== undefined && key !== session.key) {
      session.key = key;
      await ctx.saveSession?.();
    }
    signedSingles.set(session, { params, validUntil: usableUntil(asked, params.expires) });
    return params;
  }

  async function sendSingle(
    ctx: AdapterContext,
    session: S3Session,
    part: { blob: Blob; size: number },
    check: { algorithm: string; value: string } | undefined,
  ): Promise<PartReceipt> {
    const params = await signSingle(ctx, session, check);
    const asForm = params.method?.toUpperCase() === 'POST';
    let response: HttpResponse;
    try {
      response = await ctx.send(
        asForm
          ? { method: 'POST', url: params.url, headers: { ...params.headers }, body: formOf(params.fields ?? {}, part.blob) }
          : { method: 'PUT', url: params.url, headers: mergeHeaders(params.headers, digestHeaders(check)), body: part.blob },
      );
    } catch (thrown) {
      if (!(thrown instanceof UploadError)) throw thrown;
      // Only a lapsed signature warrants a new one; any other failure retries the same request.
      if (thrown.code === UploadErrorCode.UrlExpired) signedSingles.delete(session);
      if (asForm && thrown.unsupported && singleMethod === 'POST') {
        singleMethod = 'PUT';
        signedSingles.delete(session);
        return sendSingle(ctx, session, part, check);
      }
      throw thrown;
    }
    const key = keyOf(params);
    return {
      partNumber: 1,
      size: part.size,
      etag: response.headers.get('ETag') ?? undefined,
      location: asForm ? objectUrl(params.url, key) : redactUrl(params.url),
      ...(key ? { key } : {}),
    };
  }

  return {
    id: 's3',
    target: endpoint ?? 'callbacks',
    limits: S3_LIMITS,

    digests(): DigestSpec[] {
      if (checksum === 'none') return [];
      return [{ name: 'part-checksum', algorithm: CHECKSUM_ALGORITHM[checksum], encoding: 'base64', scope: 'part', when: 'before-part' }];
    },

    planParts(file, requestedPartSize) {
      const plan = planParts(file.size, S3_LIMITS, requestedPartSize);
      // One PUT for a small file: a 0-byte or sub-part file cannot be a multipart upload of ≥ 5 MiB parts anyway.
      if (file.size <= threshold(file, plan.partSize) && file.size <= S3_LIMITS.maxPartSize) {
        return { partSize: Math.max(file.size, 1), partCount: 1 };
      }
      return plan;
    },

    async create(ctx) {
      if (ctx.plan.partCount === 1 && ctx.file.size <= threshold(ctx.file, ctx.plan.partSize)) {
        return { kind: 'session', session: { mode: 'single' } };
      }
      const created = await ask(ctx, {
        kind: 'create',
        filename: ctx.file.name,
        type: ctx.file.type || 'application/octet-stream',
        size: ctx.file.size,
        metadata: { name: ctx.file.name, type: ctx.file.type, ...options.metadata },
        // S3 checks x-amz-checksum-* parts only against an upload created with that algorithm; Content-MD5 needs none.
        ...(checksum !== 'md5' && checksum !== 'none' ? { checksumAlgorithm: checksum.toUpperCase() } : {}),
      });
      if (typeof created.key !== 'string' || typeof created.uploadId !== 'string') {
        throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s create answer lacks `key` or `uploadId`.');
      }
      return { kind: 'session', session: { mode: 'multipart', key: created.key, uploadId: created.uploadId } };
    },

    async listParts(ctx, session) {
      if (session.mode === 'single') return [];
      const listed = await ask(ctx, { kind: 'list-parts', key: session.key, uploadId: session.uploadId });
      if (!Array.isArray(listed)) throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s part list is not an array.');
      return listed.map((part): PartReceipt => ({ partNumber: Number(part.PartNumber), size: Number(part.Size), etag: part.ETag }));
    },

    async uploadPart(ctx, session, part) {
      if (session.mode === 'single') return sendSingle(ctx, session, part, await partChecksum(ctx, part.partNumber));
      signAhead(ctx, session, part.partNumber);
      const signed = signedOf(session);
      let put = await signPart(ctx, session, part.partNumber);
      if (Date.now() >= put.validUntil) {
        signed.delete(part.partNumber);
        put = await signPart(ctx, session, part.partNumber);
      }
      let response: HttpResponse;
      try {
        response = await ctx.send({ method: 'PUT', url: put.url, headers: put.headers, body: part.blob });
      } finally {
        signed.delete(part.partNumber);
      }
      return { partNumber: part.partNumber, size: part.size, etag: requireEtag(response, part.partNumber) };
    },

    async complete(ctx, session, receipts): Promise<UploadResult> {
      if (session.mode === 'single') {
        const [receipt] = receipts;
        return { location: receipt?.location as string | undefined, key: receipt?.key as string | undefined, etag: receipt?.etag };
      }
      const done = await ask(ctx, {
        kind: 'complete',
        key: session.key,
        uploadId: session.uploadId,
        parts: receipts.map((receipt) => ({ PartNumber: receipt.partNumber, ETag: receipt.etag ?? '' })),
      });
      return { key: session.key, ...(done.location ? { location: redactUrl(done.location) } : {}) };
    },

    async abort(ctx, session) {
      if (session.mode === 'single') return;
      await ask(ctx, { kind: 'abort', key: session.key, uploadId: session.uploadId });
    },

    parseError: parseS3Error,
  };
}
