import { UploadError, UploadErrorCode, codeForStatus, redactUrl } from '../core/errors.js';
import { parseJson } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { planParts } from '../core/part-plan.js';
import type { AdapterContext, PartLimits, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import { fallbackError } from './error-mapping.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * iFlytek OST's slice rules: 1 to 10,000 slices of 5 MB to 5 GB, the last one smaller. "5M"/"5G" are read as MiB/GiB
 * (the note's reading); no total size is documented, so the largest file is what the slice rules allow.
 */
export const IFLYTEK_OST_LIMITS: PartLimits = {
  minPartSize: 5 * MiB,
  maxPartSize: 5 * GiB,
  maxParts: 10_000,
  maxFileSize: 10_000 * 5 * GiB,
  defaultPartSize: 10 * MiB,
  // An empty file has nothing to transcribe, and neither call is documented to take 0 bytes.
  allowsEmptyFile: false,
};

/** The consuming service's documented bound for `/file/upload` ("small files, < 30 MB"); the exact server limit is unknown. */
export const IFLYTEK_OST_SINGLE_UPLOAD_LIMIT = 30_000_000;

const DEFAULT_MULTIPART_THRESHOLD = 20 * MiB;

/** Options of {@link createIflytekOstAdapter}. */
export interface IflytekOstAdapterOptions {
  /**
   * Base URL of the shipped proxy (`createIflytekOstHandler`), e.g. `/api/iflytek-ost`; the adapter calls
   * `{endpoint}/file/upload` and `{endpoint}/file/mpupload/{init,upload,complete,cancel}`.
   */
  endpoint?: string;
  /** Extra headers for the proxy (for example a bearer token of your own app); never the APISecret. */
  headers?: Record<string, string>;
  /** Files up to this many bytes go up in one `/file/upload` request; larger ones in slices. Default 20 MiB. */
  multipartThreshold?: number;
  /** The largest file `/file/upload` takes; the threshold must stay below it. Default 30,000,000 bytes (inferred). */
  singleUploadLimit?: number;
  /** Sends slices one at a time in ascending order, as iFlytek's demo does. Default `false`: in parallel (inferred safe). */
  sequentialSlices?: boolean;
  /**
   * Makes each call's `request_id` ("请求唯一标识", a request's unique id). Default: twelve digits, a minute written
   * `yyyyMMddHHmm` as every example in iFlytek's upload page (`"request_id":"202006290840"`), made unique per request
   * in the page by {@link seedStyleRequestIds}.
   */
  requestId?: () => string;
}

/**
 * A `request_id` shaped as the upload page's examples (`202006290840`, `202007030859`): the time to the minute,
 * `yyyyMMddHHmm`, in China Standard Time (UTC+8, inferred from where the examples were taken).
 */
export function seedStyleRequestId(now: number = Date.now()): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 16).replace(/\D/g, '');
}

const MINUTE_MS = 60_000;

/**
 * A source of seed-shaped `request_id`s that never repeats: each is the current minute's {@link seedStyleRequestId},
 * or, when that minute was already given out, the minute after the last one given. Ids stay real `yyyyMMddHHmm`
 * minutes; a burst of calls runs ahead of the clock by one minute per call, and the clock catches up.
 */
export function seedStyleRequestIds(clock: () => number = Date.now): () => string {
  let lastMinute = -Infinity;
  return () => {
    lastMinute = Math.max(Math.floor(clock() / MINUTE_MS), lastMinute + 1);
    return seedStyleRequestId(lastMinute * MINUTE_MS);
  };
}

/** One source for every adapter in the page, so that two uploads (or two managers) never send the same id. */
const pageRequestIds = seedStyleRequestIds();

/**
 * Where an upload stands on the service. A multipart session is the `upload_id`; the finished slice ids are the
 * engine's receipts. A single upload carries a random `ref` that keys the returned URL in memory until complete.
 */
export type IflytekOstSession = { mode: 'single'; ref: string } | { mode: 'multipart'; uploadId: string };

/** The service's answer: `code` 0 on success, `sid` naming the request server-side. */
interface OstAnswer {
  code: number;
  message?: string;
  sid?: string;
  data?: Record<string, unknown>;
}

/**
 * The service's codes, from the upload page's table. Its advice for 10002/3/4/6/7 is "提交工单" (file a ticket), not to
 * try again, so they are not retried: a second `complete` after 10007 (task push failed) could push the task twice.
 */
const SERVICE_ERRORS: Record<number, [UploadErrorCode, boolean, string]> = {
  10001: [UploadErrorCode.ProviderRejected, false, 'The upload service refused a request parameter'],
  10002: [UploadErrorCode.ServerError, false, 'The upload service\'s object storage failed; iFlytek asks for a support ticket.'],
  10003: [UploadErrorCode.ServerError, false, 'The upload service\'s database failed; iFlytek asks for a support ticket.'],
  10004: [UploadErrorCode.ServerError, false, 'The upload service\'s cache failed; iFlytek asks for a support ticket.'],
  10005: [
    UploadErrorCode.NotFound,
    false,
    'The upload service no longer has this upload (it expired, or was completed or canceled); it has to start over.',
  ],
  10006: [UploadErrorCode.ServerError, false, 'The upload service had an I/O failure; iFlytek asks for a support ticket.'],
  10007: [UploadErrorCode.ServerError, false, 'The upload service could not hand the file on (task push failed); iFlytek asks for a support ticket.'],
};

/** The signing gateway's refusals, by message, as iFlytek's WebAPIs answer them (their shape on this host is unknown). */
const GATEWAY_ERRORS: Array<[RegExp, UploadErrorCode, string]> = [
  [
    /valid date/i,
    UploadErrorCode.UrlExpired,
    'The upload service found the request\'s date more than 300 s off; it is signed again. If this persists, the backend\'s clock is wrong.',
  ],
  [
    /does not match/i,
    UploadErrorCode.AuthFailed,
    'The upload service refused the signature: the backend\'s APISecret is wrong, or the signed digest does not match the body.',
  ],
  [
    /cannot be verified/i,
    UploadErrorCode.AuthFailed,
    'The upload service could not verify the signature: the backend\'s APIKey is unknown or its authorization header is malformed.',
  ],
  [/^unauthorized$/i, UploadErrorCode.AuthFailed, 'The request reached the upload service unsigned; it must go through the signing backend.'],
  [/^forbidden$/i, UploadErrorCode.AuthFailed, 'The upload service refused the backend\'s IP address; check the app\'s IP whitelist.'],
];

/** The proxy's own refusals that are not plain status classes. */
const PROXY_ERRORS: Record<string, UploadErrorCode> = {
  'body-too-large': UploadErrorCode.LimitExceeded,
  'file-too-large': UploadErrorCode.LimitExceeded,
  // The proxy cut a slice that stalled (408) or waited too long for the service (504): worth another try.
  'request-timeout': UploadErrorCode.Timeout,
  'upstream-timeout': UploadErrorCode.Timeout,
};

function providerDetail(code: string | undefined, message: string | undefined, requestId: string | undefined) {
  return {
    id: 'iflytek-ost',
    ...(code !== undefined && { code }),
    ...(message !== undefined && { message }),
    ...(requestId !== undefined && { requestId }),
  };
}

/**
 * Turns any failed answer into an UploadError: the service's `{code, message, sid}` (HTTP 200 or not), the signing
 * gateway's `{message}` (401/403), or the proxy's `{error: {code, message}}`.
 */
export function parseIflytekOstError(response: HttpResponse): UploadError {
  const body = parseJson<unknown>(response);
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const base = { status: response.status, retryAfter: response.headers.get('Retry-After') };
  const where = redactUrl(response.url);

  if (typeof record.code === 'number' && record.code !== 0) {
    const message = typeof record.message === 'string' ? record.message : undefined;
    const sid = typeof record.sid === 'string' ? record.sid : undefined;
    const init = { ...base, provider: providerDetail(String(record.code), message, sid) };
    const known = SERVICE_ERRORS[record.code];
    if (!known) {
      return new UploadError(UploadErrorCode.ProviderRejected, `The upload service refused the request (code ${record.code}${message ? `: ${message}` : ''}).`, {
        ...init,
        retryable: false,
      });
    }
    const [code, retryable, text] = known;
    // 10001 names the parameter only in the service's own message.
    const full = record.code === 10001 ? `${text}${message ? `: ${message}` : ''}.` : text;
    return new UploadError(code, full, { ...init, retryable });
  }

  const proxyError = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : undefined;
  if (proxyError) {
    const proxyCode = typeof proxyError.code === 'string' ? proxyError.code : undefined;
    const message = typeof proxyError.message === 'string' ? proxyError.message : undefined;
    const code = (proxyCode !== undefined ? PROXY_ERRORS[proxyCode] : undefined) ?? codeForStatus(response.status);
    const text =
      code === UploadErrorCode.ServerError
        ? `The backend at ${where} failed (HTTP ${response.status})${message ? `: ${message}` : ''}; the upload will retry.`
        : `The backend at ${where} refused the request (HTTP ${response.status})${message ? `: ${message}` : '.'}`;
    return new UploadError(code, text, { ...base, provider: providerDetail(proxyCode, message, undefined) });
  }

  const gatewayMessage = typeof record.message === 'string' ? record.message : undefined;
  if (gatewayMessage !== undefined) {
    const known = GATEWAY_ERRORS.find(([pattern]) => pattern.test(gatewayMessage));
    if (known) return new UploadError(known[1], known[2], { ...base, provider: providerDetail(undefined, gatewayMessage, undefined) });
  }

  return fallbackError(response, { ...base, provider: providerDetail(undefined, gatewayMessage, undefined) }, gatewayMessage);
}

/** Reads a 2xx answer: the service reports failures as a non-zero `code`, often with HTTP 200. */
function readAnswer(response: HttpResponse): OstAnswer {
  const body = parseJson<unknown>(response);
  if (typeof body !== 'object' || body === null || typeof (body as OstAnswer).code !== 'number') {
    throw new UploadError(UploadErrorCode.BadResponse, `The answer from ${redactUrl(response.url)} is not the upload service's JSON.`, {
      status: response.status,
    });
  }
  const answer = body as OstAnswer;
  if (answer.code !== 0) throw parseIflytekOstError(response);
  return answer;
}

function requireString(answer: OstAnswer, field: string, call: string): string {
  const value = answer.data?.[field];
  if (typeof value !== 'string' || value === '') {
    throw new UploadError(UploadErrorCode.BadResponse, `The upload service's ${call} answer lacks data.${field}.`, {
      provider: providerDetail('0', answer.message, answer.sid),
    });
  }
  return value;
}

function checkByteOption(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`iflytek-ost: ${name} must be a non-negative integer number of bytes.`);
  }
}

/**
 * iFlytek (xfyun) OST file upload through the shipped signing proxy: one `/file/upload` form-data request up to the
 * multipart threshold, else `mpupload/init` → form-data slices (`slice_id` 1..N) → `complete`, with `cancel` on
 * abort. Resume is client-side: the checkpoint keeps the `upload_id` and the finished slice ids.
 */
export function createIflytekOstAdapter(options: IflytekOstAdapterOptions = {}): ProviderAdapter<IflytekOstSession> {
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint) throw new Error('The iflytek-ost adapter needs an `endpoint`: the URL of the signing proxy (createIflytekOstHandler).');
  checkByteOption('multipartThreshold', options.multipartThreshold);
  checkByteOption('singleUploadLimit', options.singleUploadLimit);
  const singleUploadLimit = options.singleUploadLimit ?? IFLYTEK_OST_SINGLE_UPLOAD_LIMIT;
  const threshold = Math.min(options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD, singleUploadLimit);
  if (options.multipartThreshold !== undefined && options.multipartThreshold > singleUploadLimit) {
    throw new RangeError(`iflytek-ost: multipartThreshold must not exceed singleUploadLimit (${singleUploadLimit} bytes).`);
  }
  const requestId = options.requestId ?? pageRequestIds;
  // A single upload's URL stays in memory only: it may be signed, and the checkpoint store must never hold one.
  const singleUrls = new Map<string, string>();

  const call = (path: string, body: FormData | Record<string, string>): HttpRequest => {
    const json = !(body instanceof FormData);
    return {
      method: 'POST',
      url: `${endpoint}${path}`,
      headers: json ? { ...options.headers, 'Content-Type': 'application/json' } : { ...options.headers },
      body: json ? JSON.stringify(body) : body,
    };
  };

  const result = (url: string, answer: OstAnswer, uploadId?: string): UploadResult => ({
    location: redactUrl(url),
    // The consuming API (e.g. speed transcription) needs the URL exactly as returned; it is never stored.
    url,
    ...(uploadId !== undefined && { uploadId }),
    ...(answer.sid !== undefined && { sid: answer.sid }),
  });

  const isSingle = (size: number) => size <= threshold;

  return {
    id: 'iflytek-ost',
    target: endpoint,
    limits: IFLYTEK_OST_LIMITS,

    digests() {
      // No call carries a content hash; the only digest is the proxy's SHA-256 of each request body.
      return [];
    },

    planParts(file, requestedPartSize) {
      const plan = planParts(file.size, IFLYTEK_OST_LIMITS, requestedPartSize);
      return isSingle(file.size) ? { partSize: file.size, partCount: 1 } : plan;
    },

    sequentialParts() {
      return options.sequentialSlices ?? false;
    },

    async create(ctx) {
      if (isSingle(ctx.file.size) && ctx.plan.partCount === 1) {
        return { kind: 'session', session: { mode: 'single', ref: crypto.randomUUID() } };
      }
      const answer = readAnswer(await ctx.send(call('/file/mpupload/init', { request_id: requestId() })));
      return { kind: 'session', session: { mode: 'multipart', uploadId: requireString(answer, 'upload_id', 'init') } };
    },

    async uploadPart(ctx: AdapterContext, session, part): Promise<PartReceipt> {
      const form = new FormData();
      form.append('request_id', requestId());
      if (session.mode === 'multipart') {
        form.append('upload_id', session.uploadId);
        form.append('slice_id', String(part.partNumber));
      }
      // The part Blob rides inside the form: XHR streams it from the file and reports upload progress.
      form.append('data', part.blob, ctx.file.name || 'file');
      if (session.mode === 'single') {
        const answer = readAnswer(await ctx.send(call('/file/upload', form)));
        singleUrls.set(session.ref, requireString(answer, 'url', 'upload'));
        return { partNumber: part.partNumber, size: part.size, ...(answer.sid !== undefined && { sid: answer.sid }) };
      }
      const answer = readAnswer(await ctx.send(call('/file/mpupload/upload', form)));
      return { partNumber: part.partNumber, size: part.size, ...(answer.sid !== undefined && { sid: answer.sid }) };
    },

    async complete(ctx, session, receipts) {
      if (session.mode === 'single') {
        const url = singleUrls.get(session.ref);
        if (url === undefined) {
          // The page reloaded between the upload and this step: the URL went with it, so the file goes up again.
          throw new UploadError(UploadErrorCode.NotFound, 'The uploaded file\'s URL was lost with the page; the file has to be sent again.', {
            retryable: false,
          });
        }
        singleUrls.delete(session.ref);
        const sid = receipts[0]?.sid;
        return result(url, { code: 0, ...(typeof sid === 'string' && { sid }) });
      }
      const answer = readAnswer(
        await ctx.send(call('/file/mpupload/complete', { request_id: requestId(), upload_id: session.uploadId })),
      );
      return result(requireString(answer, 'url', 'complete'), answer, session.uploadId);
    },

    async abort(ctx, session) {
      if (session.mode === 'single') {
        singleUrls.delete(session.ref);
        return;
      }
      readAnswer(await ctx.send(call('/file/mpupload/cancel', { request_id: requestId(), upload_id: session.uploadId })));
    },

    parseError: parseIflytekOstError,
  };
}
