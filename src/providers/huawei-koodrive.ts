import { UploadError, UploadErrorCode, redactUrl } from '../core/errors.js';
import { parseJson } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import type { AdapterContext, FileDescription, PartLimits, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec } from '../hashing/digest-spec.js';
import { digestIfReady } from './digest-ready.js';
import { readXmlError } from '../core/xml-error.js';
import { fallbackError, objectStoreErrors, retryableByStoreCode } from './error-mapping.js';

const MiB = 1024 * 1024;

/** KooDrive's multipart limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000, files up to 200 GB. */
export const KOODRIVE_LIMITS: PartLimits = {
  minPartSize: 5 * MiB,
  maxPartSize: 5 * 1024 * MiB,
  maxParts: 10_000,
  maxFileSize: 200 * 1024 * 1024 * MiB,
  // Parallel mode needs SHA-256 states at part boundaries, which exist only at 64-byte multiples.
  partSizeMultiple: 64,
  defaultPartSize: 8 * MiB,
  allowsEmptyFile: true,
};

/** KooDrive's API paths, the same below the API origin (Bearer mode) and below the shipped handler (app mode). */
const PATHS = {
  create: '/koodrive/ose/v1/files/create',
  uploadUrl: '/koodrive/ose/v1/files/multipart/uploadUrl',
  complete: '/koodrive/ose/v1/files/complete',
} as const;

/**
 * - `serial`: parts go one at a time in ascending order (the service hashes them as they come), and the file's
 *   SHA-256 is computed while they upload.
 * - `parallel`: every part carries its `partOffset` and `hashCtx` (the SHA-256 state before it), so parts upload
 *   concurrently. Create lists no part, so uploading starts at once; each part's URL is asked for (in batches) once
 *   the hashing has passed the bytes before it.
 */
export type KooDriveMode = 'serial' | 'parallel';

/** What happens when the folder already holds a file of that name: 2 rename, 3 fail, 4 rename unless the bytes are the same. */
export type KooDriveAutoRename = 2 | 3 | 4;

/** Options of {@link createKooDriveAdapter}. */
export interface KooDriveAdapterOptions {
  /**
   * Where the three API calls go: the base URL of the shipped `createKooDriveHandler` (which adds the user's token,
   * or signs with app authentication), or, with `getToken`, KooDrive's API origin itself
   * (`https://cn.myhuaweicloud-koodrive.com`).
   */
  endpoint?: string;
  /**
   * Bearer mode: returns the user's KooDrive access token, for pages that already hold one. The adapter then calls
   * the API directly; a token the gateway calls expired is dropped and asked for again.
   */
  getToken?: () => string | Promise<string>;
  /** Extra headers for the API calls (for example your own session header for the handler). */
  headers?: Record<string, string>;
  /** See {@link KooDriveMode}; default `serial`. */
  mode?: KooDriveMode;
  /**
   * Hash the file before create and send its `sha256`, so KooDrive can finish at once when it already holds the same
   * bytes ("flash" upload); default `true`. Off, the SHA-256 is computed while the parts upload and sent at complete
   * only. `autoRename: 4` needs it.
   */
  rapidUpload?: boolean;
  /** See {@link KooDriveAutoRename}; default 2. */
  autoRename?: KooDriveAutoRename;
  /** The folder id files go into; default `root`. */
  parentFolder?: string;
  /** KooDrive's business `fileType`; default from the MIME type with the carrier edition's codes (45 "other"). */
  fileType?: string | ((file: FileDescription) => string);
  /** The name to create; default the file's name with `< > | : " * ? /` replaced by `_`, cut to 80 characters. */
  fileName?: (file: FileDescription) => string;
  /** The `language` header (for example `en-US`). */
  language?: string;
  /** Part URLs asked for per uploadUrl call (KooDrive's maximum is not documented); default 32. */
  urlBatchSize?: number;
  /** Case of the hex `sha256` (lower-case is inferred; the reference does not say); default `hex`. */
  sha256Encoding?: 'hex' | 'hex-upper';
  /**
   * Between `Bearer` and the token: the reference's `'+'` ("The format is Bearer+{access_token}", its example
   * `Authorization:Bearer+10f88…`) by default, or `' '`.
   */
  bearerSeparator?: ' ' | '+';
}

/** Where the upload stands on KooDrive. Holds no URL and no credential. */
export interface KooDriveSession {
  fileId: string;
  uploadId: string;
  /** The name KooDrive gave the file (renamed on a conflict). */
  fileName: string;
  mode: KooDriveMode;
  /** Parallel mode, from sessions that listed every part at create: each part's SHA-256 state words as sent then. */
  hashCtx?: number[][];
}

type ErrorEntry = readonly [UploadErrorCode, string, boolean?];

/** KooDrive's business error codes (HTTP 400 `{code, msg}`), upload subset of the reference's table. */
const KOODRIVE_ERRORS: Record<string, ErrorEntry> = {
  '13000102': [UploadErrorCode.ProviderRejected, 'KooDrive refused a parameter of the upload (file name, size, part plan or hash).'],
  '13000301': [UploadErrorCode.ProviderRejected, 'The KooDrive space does not exist or is in an abnormal state.'],
  '13000304': [UploadErrorCode.ProviderRejected, 'The target folder on KooDrive is in an abnormal state.'],
  '13000305': [UploadErrorCode.ProviderRejected, 'The target folder is in the KooDrive recycle bin; restore it or choose another folder.'],
  '13000309': [UploadErrorCode.NotFound, 'The folder or file does not exist on KooDrive.'],
  '13000311': [UploadErrorCode.LimitExceeded, 'There is not enough space left on KooDrive for this file.'],
  '13000401': [UploadErrorCode.NotFound, 'KooDrive no longer has this upload (it was completed, expired or never created).'],
  '13000402': [UploadErrorCode.HashMismatch, 'KooDrive\'s integrity check failed: the uploaded parts do not match the file\'s SHA-256.'],
  '13000403': [UploadErrorCode.ServerError, 'KooDrive could not change the file\'s state; the upload will retry.', true],
  '13000404': [UploadErrorCode.ProviderRejected, 'The parent folder is in the KooDrive recycle bin; restore it or choose another folder.'],
  '13000405': [UploadErrorCode.ProviderRejected, 'The folder already holds a file with this name, and duplicates are refused (autoRename 3).'],
  '13000409': [UploadErrorCode.ProviderRejected, 'KooDrive could not assemble the file: a part is missing or has the wrong size.'],
  '13000410': [UploadErrorCode.AuthFailed, 'This KooDrive user has no permission on the space.'],
  '13000412': [UploadErrorCode.ProviderRejected, 'The KooDrive space is not activated.'],
};

/** The API gateway's codes (`{error_code, error_msg}`) an upload can meet. */
const GATEWAY_ERRORS: Record<string, ErrorEntry> = {
  'APIGW.0101': [UploadErrorCode.ProviderRejected, 'The KooDrive API was not found at this endpoint; check the endpoint setting.'],
  'APIGW.0201': [UploadErrorCode.ProviderRejected, 'The KooDrive gateway refused the request as malformed.'],
  'APIGW.0202': [UploadErrorCode.ServerError, 'KooDrive is unavailable for the moment; the upload will retry.'],
  'APIGW.0203': [UploadErrorCode.ServerError, 'KooDrive timed out; the upload will retry.'],
  'APIGW.0301': [UploadErrorCode.AuthFailed, 'KooDrive refused the access token. Sign in to KooDrive again.'],
  'APIGW.0302': [UploadErrorCode.AuthFailed, 'This KooDrive user is not allowed to call the upload API.'],
  'APIGW.0303': [UploadErrorCode.AuthFailed, 'KooDrive refused the app signature. Check the AppId and AppSecret of the upload server.'],
  'APIGW.0304': [UploadErrorCode.AuthFailed, 'This KooDrive app is not allowed to call the upload API.'],
  'APIGW.0306': [UploadErrorCode.AuthFailed, 'KooDrive denied access to the upload API.'],
  'APIGW.0307': [UploadErrorCode.UrlExpired, 'The KooDrive access token expired; a new one is being fetched.'],
  'APIGW.0308': [UploadErrorCode.RateLimited, 'KooDrive asked to slow down; the upload will retry.'],
};

/** The object storage's errors on a part PUT: the object-store table, worded for KooDrive's signed part URLs. */
const STORAGE_ERRORS = objectStoreErrors({
  AccessDenied: [UploadErrorCode.AuthFailed, 'The storage refused the part URL.'],
  SignatureDoesNotMatch: [
    UploadErrorCode.AuthFailed,
    'The storage refused the part: its size differs from the size its URL was signed for, or the URL was altered.',
  ],
  NoSuchUpload: [UploadErrorCode.NotFound, 'The storage no longer has this upload.'],
  InvalidPartOrder: [UploadErrorCode.ProviderRejected, 'A part of a serial upload arrived out of order.'],
  InvalidArgument: [UploadErrorCode.ProviderRejected, 'The storage refused the part number.'],
});

const FORBIDDEN_NAME_CHARS = /[<>|:"*?/\u0000-\u001f\u007f]/g;
const MAX_NAME_CHARS = 80;

/** The name KooDrive accepts for `name`: forbidden characters become `_`, and it is cut to 80 characters keeping the extension. */
export function kooDriveFileName(name: string): string {
  let cleaned = name.replace(FORBIDDEN_NAME_CHARS, '_').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') cleaned = 'file';
  if ([...cleaned].length <= MAX_NAME_CHARS) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && [...cleaned.slice(dot)].length <= 16 ? cleaned.slice(dot) : '';
  const stem = extension === '' ? cleaned : cleaned.slice(0, dot);
  return [...stem].slice(0, MAX_NAME_CHARS - [...extension].length).join('') + extension;
}

const ARCHIVE_TYPES = /^application\/(zip|x-zip-compressed|x-7z-compressed|x-rar-compressed|vnd\.rar|gzip|x-gzip|x-tar|x-bzip2|x-xz)$/;

/** The carrier edition's `fileType` code for a file's MIME type: 15 image, 20 video, 26 word, 27 excel, 28 ppt, 30 audio, 35 archive, 40 app, 45 other. */
export function kooDriveFileType(file: FileDescription): string {
  const type = file.type.toLowerCase();
  if (type.startsWith('image/')) return '15';
  if (type.startsWith('video/')) return '20';
  if (type.startsWith('audio/')) return '30';
  if (/msword|wordprocessingml/.test(type)) return '26';
  if (/ms-excel|spreadsheetml/.test(type)) return '27';
  if (/ms-powerpoint|presentationml/.test(type)) return '28';
  if (ARCHIVE_TYPES.test(type)) return '35';
  if (/android\.package-archive|x-msdownload|x-apple-diskimage/.test(type)) return '40';
  return '45';
}

interface ProviderDetail {
  code?: string;
  message?: string;
  requestId?: string;
}

function readProviderError(response: HttpResponse): { source: 'storage' | 'koodrive' | 'gateway' | 'handler' | 'unknown' } & ProviderDetail {
  const xml = readXmlError(response.text);
  if (xml) return { source: 'storage', ...xml };
  const json = parseJson<Record<string, unknown>>(response);
  if (typeof json !== 'object' || json === null) return { source: 'unknown' };
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
  if (json.error_code !== undefined) {
    return { source: 'gateway', code: text(json.error_code), message: text(json.error_msg), requestId: text(json.request_id) };
  }
  if (json.code !== undefined) return { source: 'koodrive', code: text(json.code), message: text(json.msg) };
  const error = json.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as Record<string, unknown>;
    return { source: 'handler', code: text(code), message: text(message) };
  }
  return { source: 'unknown' };
}

/**
 * Turns a KooDrive answer into an UploadError: the business codes (`{code, msg}`), the gateway's
 * (`{error_code, error_msg}`: an expired token or an app signature out of its 15-minute window is `url-expired`, so
 * the engine signs again at once), the object storage's XML on part PUTs (an expired part URL is `url-expired`), and
 * the shipped handler's `{error: {code, message}}`.
 */
export function parseKooDriveError(response: HttpResponse): UploadError {
  const { source, ...detail } = readProviderError(response);
  const init = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: { id: 'huawei-koodrive', ...detail },
  };
  const expiredUrl = source === 'storage' && detail.code === 'AccessDenied' && /expired/i.test(detail.message ?? '');
  if (expiredUrl) return new UploadError(UploadErrorCode.UrlExpired, 'The part URL expired; a new one is being fetched.', init);
  const expiredSignature = source === 'gateway' && detail.code === 'APIGW.0303' && /expired/i.test(detail.message ?? '');
  if (expiredSignature) {
    return new UploadError(UploadErrorCode.UrlExpired, 'The app signature was outside its 15-minute window; the call is signed again.', init);
  }
  const table: Readonly<Record<string, ErrorEntry>> =
    source === 'storage' ? STORAGE_ERRORS : source === 'gateway' ? GATEWAY_ERRORS : source === 'koodrive' ? KOODRIVE_ERRORS : {};
  const known = detail.code !== undefined && Object.hasOwn(table, detail.code) ? table[detail.code] : undefined;
  const retryable = known?.[2] ?? (source === 'storage' ? retryableByStoreCode(detail.code) : undefined);
  if (known) return new UploadError(known[0], known[1], { ...init, ...(retryable !== undefined && { retryable }) });
  return fallbackError(response, init, detail.message);
}

interface ApiAnswer {
  code?: unknown;
  msg?: unknown;
  [field: string]: unknown;
}

interface PartDescription {
  partNumber: number;
  partSize: number;
  partOffset?: number;
  hashCtx?: number[];
}

function badResponse(message: string): UploadError {
  return new UploadError(UploadErrorCode.BadResponse, message, { retryable: false });
}

/**
 * Huawei KooDrive: createFile with the part plan (rapid upload on a known SHA-256, `exist` and rename modes), PUTs of
 * each part to presigned object-storage URLs that sign `content-length`, uploadUrl for renewed URLs (kept in memory
 * only), and complete with the whole file's SHA-256. Serial or parallel (`hashCtx`) parts. API calls go through the
 * shipped `createKooDriveHandler`, which signs with app authentication, or straight to KooDrive with a user token.
 */
export function createKooDriveAdapter(options: KooDriveAdapterOptions = {}): ProviderAdapter<KooDriveSession> {
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint) {
    throw new Error('The KooDrive adapter needs an `endpoint`: the URL of createKooDriveHandler, or the KooDrive API with `getToken`.');
  }
  const mode = options.mode ?? 'serial';
  const rapid = options.rapidUpload ?? true;
  const autoRename = options.autoRename ?? 2;
  if (autoRename === 4 && !rapid) throw new Error('autoRename 4 compares the SHA-256 at create, which needs rapidUpload.');
  const parentFolder = options.parentFolder ?? 'root';
  const batchSize = options.urlBatchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('urlBatchSize must be a positive integer.');
  const getToken = options.getToken;

  /** Presigned part URLs by file id and part number: memory only, never in a session or receipt. */
  const urls = new Map<string, Map<number, string>>();
  /** uploadUrl calls in flight, by file id and part number, so that parallel lanes share one call. */
  const pending = new Map<string, Map<number, Promise<void>>>();
  let token: Promise<string> | undefined;

  const urlsOf = (fileId: string) => urls.get(fileId) ?? urls.set(fileId, new Map()).get(fileId)!;
  const pendingOf = (fileId: string) => pending.get(fileId) ?? pending.set(fileId, new Map()).get(fileId)!;
  const forget = (fileId: string) => {
    urls.delete(fileId);
    pending.delete(fileId);
  };

  function currentToken(): Promise<string> {
    token ??= Promise.resolve()
      .then(() => getToken!())
      .then((value) => {
        if (typeof value !== 'string' || value === '') throw new UploadError(UploadErrorCode.AuthFailed, 'getToken() returned no token.');
        return value;
      })
      .catch((thrown: unknown) => {
        token = undefined;
        if (thrown instanceof UploadError) throw thrown;
        throw new UploadError(UploadErrorCode.AuthFailed, 'getToken() failed, so KooDrive cannot be called.', { cause: thrown, retryable: false });
      });
    return token;
  }

  /** One API call; a non-zero `code` in a 2xx answer is an error too, as the reference types `code` loosely. */
  async function call(ctx: AdapterContext, path: string, body: Record<string, unknown>): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers, 'Content-Type': 'application/json' };
    if (options.language) headers.language = options.language;
    if (getToken) headers.Authorization = `Bearer${options.bearerSeparator ?? '+'}${await currentToken()}`;
    const request: HttpRequest = { method: 'POST', url: `${endpoint}${path}`, headers, body: JSON.stringify(body) };
    let response: HttpResponse;
    try {
      response = await ctx.send(request);
    } catch (thrown) {
      // The retry must fetch a fresh token rather than resend the refused one.
      if (thrown instanceof UploadError && (thrown.code === UploadErrorCode.UrlExpired || thrown.code === UploadErrorCode.AuthFailed)) {
        token = undefined;
      }
      throw thrown;
    }
    const answer = parseJson<ApiAnswer>(response);
    if (typeof answer !== 'object' || answer === null) throw badResponse(`KooDrive at ${redactUrl(response.url)} did not answer with JSON.`);
    if (answer.code !== undefined && String(answer.code) !== '0') throw parseKooDriveError(response);
    return answer;
  }

  function partsOf(ctx: AdapterContext): PartDescription[] {
    const { partSize, partCount } = ctx.plan;
    return Array.from({ length: partCount }, (_, index) => ({
      partNumber: index + 1,
      partSize: Math.max(0, Math.min(partSize, ctx.file.size - index * partSize)),
      partOffset: index * partSize,
    }));
  }

  /** A part as create and uploadUrl describe it: offsets and contexts only in parallel mode, part 1 without one. */
  function describe(part: PartDescription, hashCtx: number[] | undefined, parallel: boolean): PartDescription {
    if (!parallel) return { partNumber: part.partNumber, partSize: part.partSize };
    return {
      partNumber: part.partNumber,
      partSize: part.partSize,
      partOffset: part.partOffset ?? 0,
      ...(hashCtx !== undefined && hashCtx.length > 0 && { hashCtx }),
    };
  }

  function cacheUrls(fileId: string, listed: unknown): void {
    if (listed === undefined) return;
    if (!Array.isArray(listed)) throw badResponse('KooDrive\'s multiParts is not a list.');
    const cache = urlsOf(fileId);
    for (const part of listed as Array<Record<string, unknown>>) {
      const { partNumber, uploadUrl } = part ?? {};
      if (!Number.isInteger(partNumber) || typeof uploadUrl !== 'string' || !/^https?:\/\//.test(uploadUrl)) {
        throw badResponse('KooDrive listed a part without a usable uploadUrl.');
      }
      cache.set(partNumber as number, uploadUrl);
    }
  }

  async function requestUrls(ctx: AdapterContext, session: KooDriveSession, partNumbers: number[]): Promise<void> {
    const parts = partsOf(ctx);
    const parallel = session.mode === 'parallel';
    const multiParts = await Promise.all(
      partNumbers.map(async (n) => describe(parts[n - 1] as PartDescription, parallel ? await contextOf(ctx, session, n) : undefined, parallel)),
    );
    const answer = await call(ctx, PATHS.uploadUrl, { fileId: session.fileId, multiParts });
    cacheUrls(session.fileId, answer.multiParts);
  }

  async function contextOf(ctx: AdapterContext, session: KooDriveSession, partNumber: number): Promise<number[]> {
    if (partNumber === 1) return [];
    return session.hashCtx?.[partNumber - 1] ?? ((await ctx.digest('hashCtx', partNumber)) as number[]);
  }

  /**
   * The part's URL: cached, or asked for together with the next few parts that have none. The lanes that want those
   * parts wait for that one call; in parallel mode it takes along only the parts whose context the hashing has
   * already reached (so no part waits for a later one), and a lane whose part was left out asks on its own.
   */
  async function partUrl(ctx: AdapterContext, session: KooDriveSession, partNumber: number): Promise<string> {
    const cache = urlsOf(session.fileId);
    const inFlight = pendingOf(session.fileId);
    // Only an actual wait may yield here: the call must be in `inFlight` before another lane looks.
    const shared = cache.has(partNumber) ? undefined : inFlight.get(partNumber);
    if (shared) await shared.catch(() => undefined);
    if (!cache.has(partNumber)) {
      const candidates = [partNumber];
      for (let n = partNumber + 1; n <= ctx.plan.partCount && candidates.length < batchSize; n++) {
        if (!cache.has(n) && !inFlight.has(n)) candidates.push(n);
      }
      const contextsToCome = session.mode === 'parallel' && !session.hashCtx;
      const request = (async () => {
        const batch = [partNumber];
        for (const n of candidates.slice(1)) {
          if (contextsToCome && (await digestIfReady(ctx, 'hashCtx', n)) === undefined) break;
          batch.push(n);
        }
        await requestUrls(ctx, session, batch);
      })();
      for (const n of candidates) inFlight.set(n, request);
      try {
        await request;
      } finally {
        for (const n of candidates) if (inFlight.get(n) === request) inFlight.delete(n);
      }
    }
    const url = cache.get(partNumber);
    if (url === undefined) throw badResponse(`KooDrive gave no upload URL for part ${partNumber}.`);
    return url;
  }

  async function sha256(ctx: AdapterContext): Promise<string> {
    return (await ctx.digest('sha256')) as string;
  }

  function nameOf(file: FileDescription): string {
    return options.fileName ? options.fileName(file) : kooDriveFileName(file.name);
  }

  function fileTypeOf(file: FileDescription): string {
    const fileType = options.fileType;
    if (typeof fileType === 'function') return fileType(file);
    return fileType ?? kooDriveFileType(file);
  }

  return {
    id: 'huawei-koodrive',
    target: `${endpoint}|${parentFolder}`,
    limits: KOODRIVE_LIMITS,

    digests(): DigestSpec[] {
      const encoding = options.sha256Encoding ?? 'hex';
      const specs: DigestSpec[] = [
        { name: 'sha256', algorithm: 'sha256', encoding, scope: 'file', when: rapid ? 'before-create' : 'before-complete' },
      ];
      if (mode === 'parallel') {
        specs.push({ name: 'hashCtx', algorithm: 'sha256', encoding: 'state-words', scope: 'state-before-part', when: 'before-part' });
      }
      return specs;
    },

    sequentialParts(session) {
      return session.mode === 'serial';
    },

    async create(ctx) {
      const parallel = mode === 'parallel';
      const digest = rapid ? await sha256(ctx) : undefined;
      const answer = await call(ctx, PATHS.create, {
        fileName: nameOf(ctx.file),
        fileType: fileTypeOf(ctx.file),
        parentFolder: [parentFolder],
        length: ctx.file.size,
        ...(digest !== undefined && { sha256: digest }),
        uploadMode: 'multipart',
        uploadType: 1,
        autoRename,
        // Parallel parts need the contexts, which the hashing reaches one part after another: they are described as
        // their URLs are asked for, so that create (and the first parts) need not wait for the whole file.
        ...(!parallel && { multiParts: partsOf(ctx).map((part) => describe(part, undefined, false)) }),
        ...(ctx.file.type !== '' && ctx.file.type.length <= 255 && { mimeType: ctx.file.type }),
      });
      const { fileId, uploadId, fileName } = answer;
      if (typeof fileId !== 'string' || fileId === '') throw badResponse('KooDrive\'s create answer lacks `fileId`.');
      const name = typeof fileName === 'string' ? fileName : nameOf(ctx.file);
      if (answer.rapidUpload === true || answer.exist === true) {
        return { kind: 'done', result: { fileId, fileName: name, rapid: true, ...(answer.exist === true && { exist: true }) } };
      }
      if (typeof uploadId !== 'string' || uploadId === '') throw badResponse('KooDrive\'s create answer lacks `uploadId`.');
      forget(fileId);
      cacheUrls(fileId, answer.multiParts);
      return { kind: 'session', session: { fileId, uploadId, fileName: name, mode } };
    },

    async uploadPart(ctx, session, part): Promise<PartReceipt> {
      const url = await partUrl(ctx, session, part.partNumber);
      try {
        await ctx.send({ method: 'PUT', url, body: part.blob });
      } catch (thrown) {
        if (thrown instanceof UploadError && (thrown.code === UploadErrorCode.UrlExpired || thrown.code === UploadErrorCode.AuthFailed)) {
          urlsOf(session.fileId).delete(part.partNumber);
        }
        throw thrown;
      }
      urlsOf(session.fileId).delete(part.partNumber);
      return { partNumber: part.partNumber, size: part.size };
    },

    async complete(ctx, session): Promise<UploadResult> {
      await call(ctx, PATHS.complete, { fileId: session.fileId, sha256: await sha256(ctx) });
      forget(session.fileId);
      return { fileId: session.fileId, fileName: session.fileName };
    },

    /** KooDrive documents no abort call; canceling drops the part URLs held for the upload. */
    async abort(_ctx, session) {
      forget(session.fileId);
    },

    parseError: parseKooDriveError,
  };
}
