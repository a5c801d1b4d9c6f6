import { checkSecret, forbidden, principalFor, UploadBinding } from './authorize.js';
import type { Authorize } from './authorize.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, readLimitedBytes, redactUrls, ServerErrorCode } from './http-json.js';
import { normalizeBasePath, preflightHeaders, serve } from './route.js';
import type { FetchHandler, RouteMethods } from './route.js';
import { resolveTimeouts, StreamedTransfer, streamingInit, upstreamSignal, upstreamTimedOut } from './transfer.js';
import type { ResolvedTimeouts, TransferTimeouts } from './transfer.js';

/** iFlytek OST's production host. */
export const IFLYTEK_OST_UPSTREAM = 'https://upload-ost-api.xfyun.cn';

/** How the proxy fills the `digest` header of form-data calls (JSON calls always carry the real body digest). */
export type IflytekOstMultipartDigest = 'empty' | 'body';

/**
 * What the page asks for, passed to `authorize` once the fields are checked and before anything goes upstream.
 * `uploadId` is the `upload_id` as the page sent it: with a principal, the bound reference the init answer handed
 * out, which the handler checks against that principal after `authorize` answers.
 */
export type IflytekOstAction =
  | { kind: 'upload' }
  | { kind: 'init' }
  | { kind: 'upload-slice'; uploadId: string; sliceId: number }
  | { kind: 'complete'; uploadId: string }
  | { kind: 'cancel'; uploadId: string };

/** One signed call to the service, as the handler forwards it; `send` receives it. */
export interface IflytekOstUpstreamRequest {
  url: string;
  method: 'POST';
  /** `host`, `date`, `digest`, `authorization`, `content-type`, `accept` and, when known, `content-length`. */
  headers: Record<string, string>;
  /**
   * A stream when the slice is passed through as it arrives; bytes for JSON calls and for a form read whole for its
   * digest (`multipartDigest: 'body'`).
   */
  body: ReadableStream<Uint8Array> | Uint8Array;
  /** Aborts when the page leaves or a time limit passes: `send` must pass it on, so the upstream socket closes. */
  signal: AbortSignal;
}

/** Options of {@link createIflytekOstHandler}; the time limits are {@link TransferTimeouts}. */
export interface IflytekOstHandlerOptions extends TransferTimeouts {
  /** The application's APPID; the proxy adds it as `app_id` to every call. */
  appId: string;
  /** The application's APIKey (named in the `authorization` header). */
  apiKey: string;
  /** The application's APISecret; it signs every call and never leaves the server. */
  apiSecret: string;
  /** The service's origin, optionally with a path prefix; default `https://upload-ost-api.xfyun.cn`. */
  upstream?: string;
  /** Path the routes are mounted under, such as `/api/iflytek-ost` (default `''`). */
  basePath?: string;
  /**
   * Sent as `cloud_id` when set (`"0"` is the public cloud) on the two calls the upload page lists it for,
   * `/file/upload` and `/file/mpupload/init`; the page cannot choose it.
   */
  cloudId?: string;
  /**
   * Who may do what. `false` answers 403 `forbidden`; `true` allows with no principal, and `upload_id`s pass as the
   * service gave them; a string principal (your user id) binds every upload it starts to it: the init answer's
   * `upload_id` becomes `<id>.<mac>`, and a slice, complete or cancel with an id not bound to the caller's principal
   * gets the same 403, whether or not the upload exists. Binding needs `secret`. Default: everyone, no principal.
   */
  authorize?: Authorize<IflytekOstAction>;
  /**
   * Key of the `upload_id` binding (at least 32 characters; 32 random bytes, base64). Every instance behind one load
   * balancer needs the same value, and no other state. Required once `authorize` answers a principal: without it the
   * first such request fails with a `TypeError` reported to `onError` (the page gets 500).
   */
  secret?: string;
  /**
   * `digest` of form-data calls: `'empty'` (default) signs SHA-256 of the empty string, as iFlytek's own demo does,
   * and streams the slice through; `'body'` reads the whole form into one buffer of its declared size (growing it
   * when the page declared none), hashing it as it arrives, to sign its real SHA-256 (memory: one form per request,
   * at most `maxBufferedBytes`).
   */
  multipartDigest?: IflytekOstMultipartDigest;
  /** Largest request body accepted from the page, in bytes; default 5 GiB + 64 KiB (one slice and its form fields). */
  maxBodyBytes?: number;
  /**
   * With `multipartDigest: 'body'`, the largest form (fields included) read into memory; bigger ones get 413. Default
   * 32 MiB: the adapter's 10 MiB slices, the 5–15 MiB of iFlytek's demo and other clients, and `/file/upload`'s
   * 30 MB limit all fit. Raise it to proxy larger slices this way (the service takes up to 5 GB), or stream them.
   */
  maxBufferedBytes?: number;
  /** Page origins allowed to call the routes cross-origin (CORS and state-changing requests); default none. */
  allowedOrigins?: AllowedOrigins;
  /** Request headers a cross-origin page may send besides `content-type` and `authorization` (what `authorize` reads). */
  allowedHeaders?: string[];
  /**
   * Sends the signed call; default `fetch` with the body streamed and redirects not followed. Replace it where
   * `fetch` cannot set `date` (a browser, for tests) or to add a proxy agent. A replacement must not follow redirects
   * (`redirect: 'error'`): a `fetch` that may follow one keeps a copy of every chunk of a streamed body to replay it,
   * a whole slice per request (Node 20's does even with `'manual'`). It must also honour `signal`, which is what
   * closes the upstream connection when the page stalls or leaves.
   */
  send?: (request: IflytekOstUpstreamRequest) => Promise<Response>;
  /** The clock in milliseconds, for the `date` header; default `Date.now`. */
  now?: () => number;
  /** Receives unexpected errors and upstream failures, whose details never reach the page; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** What {@link signIflytekOstRequest} signs. */
export interface IflytekOstSigningInput {
  apiKey: string;
  apiSecret: string;
  /** The `host` header the service receives (host and port of the upstream URL). */
  host: string;
  /** RFC 1123 GMT date, e.g. `Tue, 01 Jul 2025 08:00:00 GMT`. */
  date: string;
  method: string;
  /** The request line's target: path and query. */
  path: string;
  /** The `digest` header value, e.g. `SHA-256=47DEQ…`. */
  digest: string;
}

/** The handler's own error codes besides {@link ServerErrorCode}'s. */
export const IflytekOstProxyErrorCode = {
  /** A field the page may not send (`app_id`, `cloud_id`, anything unknown), or a required one missing. */
  InvalidField: 'invalid-field',
  /** The body is not the multipart/form-data the route expects, or `data` is not its last field. */
  InvalidForm: 'invalid-form',
  /** `request_id` is not 1–64 letters, digits, `-` or `_`. */
  InvalidRequestId: 'invalid-request-id',
} as const;

const FACTORY = 'createIflytekOstHandler';
const MiB = 1024 * 1024;
const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * MiB + 64 * 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 32 * MiB;
const MAX_JSON_BYTES = 16 * 1024;
// Every form field before `data` is a short token; the head is never near this.
const MAX_FORM_HEAD_BYTES = 64 * 1024;
const MAX_UPSTREAM_ANSWER_BYTES = 1024 * 1024;
// What onError gets of an answer the page does not see: enough to diagnose, not a whole error page.
const LOGGED_ANSWER_CHARS = 500;
// Slices of a buffered body handed to fetch one at a time, so the socket's backpressure paces them.
const STREAM_CHUNK_BYTES = 64 * 1024;
const SIGNED_HEADERS = 'host date request-line digest';
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The service's id (`up_` and digits), or that id bound to a principal (`<id>.<22 base64url characters>`). */
const UPLOAD_ID = /^[A-Za-z0-9_.-]{1,160}$/;
/** An id the service hands out that can be bound and still pass {@link UPLOAD_ID}. */
const SERVICE_UPLOAD_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const SLICE_ID = /^[1-9]\d{0,4}$/;
const MAX_SLICE_ID = 10_000;

type FormRoute = 'single' | 'slice';
type JsonRoute = 'init' | 'complete' | 'cancel';

const ROUTES: Record<string, FormRoute | JsonRoute> = {
  '/file/upload': 'single',
  '/file/mpupload/init': 'init',
  '/file/mpupload/upload': 'slice',
  '/file/mpupload/complete': 'complete',
  '/file/mpupload/cancel': 'cancel',
};

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The `digest` header for a body: `SHA-256=` + Base64(SHA-256(body)). */
export async function iflytekOstDigest(body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return `SHA-256=${toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))}`;
}

/**
 * The `authorization` header of one call: HMAC-SHA256 with the APISecret over
 * `host: …\ndate: …\n<METHOD> <path> HTTP/1.1\ndigest: …`, Base64, in iFlytek's header form (not Base64-wrapped).
 */
export async function signIflytekOstRequest(input: IflytekOstSigningInput): Promise<string> {
  const stringToSign = `host: ${input.host}\ndate: ${input.date}\n${input.method.toUpperCase()} ${input.path} HTTP/1.1\ndigest: ${input.digest}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(input.apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(stringToSign))));
  return `api_key="${input.apiKey}", algorithm="hmac-sha256", headers="${SIGNED_HEADERS}", signature="${signature}"`;
}

interface HandlerConfig {
  appId: string;
  apiKey: string;
  apiSecret: string;
  /** The upstream origin and path prefix, without a trailing `/`. */
  upstream: string;
  basePath: string;
  cloudId: string | undefined;
  authorize: Authorize<IflytekOstAction> | undefined;
  binding: UploadBinding | undefined;
  multipartDigest: IflytekOstMultipartDigest;
  maxBodyBytes: number;
  maxBufferedBytes: number;
  timeouts: ResolvedTimeouts;
  allowedOrigins: AllowedOrigins | undefined;
  allowHeaders: string[];
  send: (request: IflytekOstUpstreamRequest) => Promise<Response>;
  now: () => number;
  onError: (error: unknown) => void;
}

/** A call ready to be signed and sent. */
interface Outgoing {
  path: string;
  contentType: string;
  body: ReadableStream<Uint8Array> | Uint8Array;
  contentLength: number | undefined;
  digest: string;
}

/** The service's answer, read in full. */
interface UpstreamReply {
  status: number;
  retryAfter: string | null;
  text: string;
}

/** The principal `authorize` named and the binding its uploads carry. */
interface Owner {
  principal: string;
  binding: UploadBinding;
}

/** A byte body as a stream, so that `fetch` sends it without the copy it makes of byte bodies. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(offset, offset + STREAM_CHUNK_BYTES));
        offset += STREAM_CHUNK_BYTES;
      },
    },
    { highWaterMark: 0 },
  );
}

function defaultSend(request: IflytekOstUpstreamRequest): Promise<Response> {
  // fetch copies a byte body before sending it: nothing for a JSON call, a second slice for a form read whole.
  const body = request.body instanceof Uint8Array && request.body.length > STREAM_CHUNK_BYTES ? streamOf(request.body) : request.body;
  // Both shapes are valid bodies; the DOM typings only reject Uint8Array's generic buffer parameter.
  return fetch(request.url, streamingInit({ method: request.method, headers: request.headers, body: body as BodyInit, signal: request.signal }));
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) throw new RangeError(`${FACTORY}: ${name} must be a positive integer.`);
  return resolved;
}

function resolveConfig(options: IflytekOstHandlerOptions): HandlerConfig {
  for (const name of ['appId', 'apiKey', 'apiSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`${FACTORY}: ${name} is required.`);
  }
  // The key and app id go into a quoted header and JSON bodies: anything but a plain token is a configuration mistake.
  if (!/^[\w-]+$/.test(options.apiKey) || !/^[\w-]+$/.test(options.appId)) {
    throw new TypeError(`${FACTORY}: appId and apiKey must be letters, digits, "-" or "_".`);
  }
  const upstream = new URL(options.upstream ?? IFLYTEK_OST_UPSTREAM);
  if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') throw new TypeError(`${FACTORY}: upstream must be an http(s) URL.`);
  if (options.cloudId !== undefined && !/^[\w-]{1,64}$/.test(options.cloudId)) {
    throw new TypeError(`${FACTORY}: cloudId must be a short token such as "0".`);
  }
  const multipartDigest = options.multipartDigest ?? 'empty';
  if (multipartDigest !== 'empty' && multipartDigest !== 'body') throw new TypeError(`${FACTORY}: multipartDigest must be "empty" or "body".`);
  if (options.secret !== undefined) checkSecret(FACTORY, options.secret);
  return {
    appId: options.appId,
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    upstream: upstream.href.replace(/\/+$/, ''),
    basePath: normalizeBasePath(FACTORY, options.basePath),
    cloudId: options.cloudId,
    authorize: options.authorize,
    binding: options.secret === undefined ? undefined : new UploadBinding(options.secret),
    multipartDigest,
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    maxBufferedBytes: positiveInteger('maxBufferedBytes', options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES),
    timeouts: resolveTimeouts(FACTORY, options),
    allowedOrigins: options.allowedOrigins,
    allowHeaders: preflightHeaders(FACTORY, [], options.allowedHeaders),
    send: options.send ?? defaultSend,
    now: options.now ?? Date.now,
    onError: options.onError ?? ((error: unknown) => console.error(error)),
  };
}

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) that proxies iFlytek OST's five calls under
 * `basePath` (`POST /file/upload`, `/file/mpupload/init`, `/upload`, `/complete`, `/cancel`), so the page never holds
 * the APISecret and never needs the `host`/`date` headers browsers may not set. For each call it checks the page's
 * fields (`request_id`, `upload_id`, `slice_id`, `data` last; no `app_id`/`cloud_id`), asks `authorize`, checks the
 * `upload_id` binding, adds `app_id` (and `cloud_id` where the page lists it), `date`, `digest` and the HMAC-SHA256 `authorization`, and
 * forwards to `upstream`. A slice is passed through as it arrives, paced by the upstream socket and cut off with 408
 * when the page stalls past `idleTimeoutMs` or the request outlasts `totalTimeoutMs`, unless `multipartDigest:
 * 'body'` needs it whole; JSON calls wait at most `upstreamTimeoutMs` (504). The service's JSON answers come back
 * with their status (`code`, `message`, `sid`, `data`); a 5xx or an answer that is not JSON reaches the page without
 * its details, which go to `onError`. The handler's own refusals are `{ error: { code, message } }`.
 */
export function createIflytekOstHandler(options: IflytekOstHandlerOptions): FetchHandler {
  const config = resolveConfig(options);
  return serve(
    (url): RouteMethods | undefined => {
      if (!url.pathname.startsWith(`${config.basePath}/`)) return undefined;
      const path = url.pathname.slice(config.basePath.length);
      const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
      if (route === undefined) return undefined;
      return {
        POST: (request) =>
          route === 'single' || route === 'slice' ? forwardForm(config, request, route, path) : forwardJson(config, request, route, path),
      };
    },
    {
      allowedOrigins: config.allowedOrigins,
      allowHeaders: config.allowHeaders,
      // The adapter honours the service's Retry-After.
      exposeHeaders: ['retry-after'],
      onError: config.onError,
    },
  );
}

/** Asks `authorize`; with a principal, also the binding its uploads carry. Throws 403 when refused. */
async function ownerFor(config: HandlerConfig, request: Request, action: IflytekOstAction): Promise<Owner | undefined> {
  const principal = await principalFor(config.authorize, request, action);
  if (principal === undefined) return undefined;
  if (!config.binding) {
    throw new TypeError(`${FACTORY}: authorize answered a principal, but no \`secret\` is set to bind its uploads to it.`);
  }
  return { principal, binding: config.binding };
}

/** The service's `upload_id` inside what the page sent: unchanged without an owner, else only when bound to it. */
async function serviceUploadId(owner: Owner | undefined, sent: string): Promise<string> {
  if (!owner) return sent;
  const uploadId = await owner.binding.open(owner.principal, sent);
  if (uploadId === undefined) throw forbidden();
  return uploadId;
}

async function forwardJson(config: HandlerConfig, request: Request, route: JsonRoute, path: string): Promise<Response> {
  const input = await readJsonObject(request, MAX_JSON_BYTES);
  checkFields(Object.keys(input), route === 'init' ? ['request_id'] : ['request_id', 'upload_id']);
  const body: Record<string, string> = { request_id: checkRequestId(input.request_id), app_id: config.appId };
  // The upload page lists cloud_id for init only among the JSON calls.
  if (config.cloudId !== undefined && route === 'init') body.cloud_id = config.cloudId;
  let owner: Owner | undefined;
  if (route === 'init') {
    owner = await ownerFor(config, request, { kind: 'init' });
  } else {
    const sent = checkUploadId(input.upload_id);
    owner = await ownerFor(config, request, { kind: route, uploadId: sent });
    body.upload_id = await serviceUploadId(owner, sent);
  }
  const bytes = encoder.encode(JSON.stringify(body));
  const signal = upstreamSignal(request, config.timeouts.upstreamTimeoutMs);
  const reply = await exchange(
    config,
    request,
    { path, contentType: 'application/json', body: bytes, contentLength: bytes.byteLength, digest: await iflytekOstDigest(bytes) },
    signal,
    () => upstreamTimedOut(request, signal),
  );
  return answer(config, reply, route === 'init' ? owner : undefined);
}

async function forwardForm(config: HandlerConfig, request: Request, route: FormRoute, path: string): Promise<Response> {
  const boundary = boundaryOf(request.headers.get('content-type') ?? '');
  const declaredHeader = request.headers.get('content-length');
  const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : undefined;
  if (declared !== undefined && declared > config.maxBodyBytes) throw bodyTooLarge(config.maxBodyBytes);
  const buffered = config.multipartDigest === 'body';
  if (buffered && declared !== undefined && declared > config.maxBufferedBytes) throw bodyTooLarge(config.maxBufferedBytes);
  if (!request.body) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, 'The form has no data field.');

  const transfer = new StreamedTransfer(request, config.timeouts);
  // The head is read through the guard too, so a page that stalls before `data` is cut off like one that stalls in it.
  const reader = transfer.guard(request.body).getReader();
  let violation: () => HttpError | undefined = () => undefined;
  try {
    const head = await readFormHead(reader, boundary);
    const sliced = route === 'slice';
    checkFields(head.fields.keys(), sliced ? ['request_id', 'upload_id', 'slice_id'] : ['request_id']);
    const fields: Array<[string, string]> = [
      ['app_id', config.appId],
      ['request_id', checkRequestId(head.fields.get('request_id'))],
    ];
    // The upload page lists cloud_id for /file/upload, not for a slice.
    if (config.cloudId !== undefined && !sliced) fields.push(['cloud_id', config.cloudId]);
    if (sliced) {
      const sent = checkUploadId(head.fields.get('upload_id'));
      const sliceId = checkSliceId(head.fields.get('slice_id'));
      const owner = await ownerFor(config, request, { kind: 'upload-slice', uploadId: sent, sliceId });
      fields.push(['upload_id', await serviceUploadId(owner, sent)], ['slice_id', String(sliceId)]);
    } else {
      await ownerFor(config, request, { kind: 'upload' });
    }
    // A filename is free-form for the service; quotes and line breaks would break the part header, so they go.
    const filename = head.filename.replace(/["\r\n\\]/g, '_').slice(0, 255) || 'file';
    const rebuilt = encoder.encode(
      fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = guardTail(head.rest, reader, boundary, config.maxBodyBytes - head.headLength, config.maxBodyBytes);
    violation = tail.violation;
    const contentLength = declared === undefined ? undefined : declared - head.headLength + rebuilt.byteLength;
    let outgoing: Outgoing;
    if (buffered) {
      const size = contentLength ?? { atMost: config.maxBufferedBytes - head.headLength + rebuilt.byteLength, maxBufferedBytes: config.maxBufferedBytes };
      const { bytes, digest } = await readWhole(rebuilt, tail.stream, size);
      outgoing = { path, contentType: `multipart/form-data; boundary=${boundary}`, body: bytes, contentLength: bytes.byteLength, digest };
    } else {
      outgoing = {
        path,
        contentType: `multipart/form-data; boundary=${boundary}`,
        body: prepend(rebuilt, tail.stream),
        contentLength,
        digest: await iflytekOstDigest(''),
      };
    }
    const reply = await exchange(config, request, outgoing, transfer.signal, () => violation() ?? transfer.failure());
    // The service may answer before the form is through; a form that broke the rules still gets its refusal.
    const broken = violation();
    if (broken) throw broken;
    return await answer(config, reply, undefined);
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw violation() ?? transfer.failure() ?? error;
  } finally {
    transfer.finish();
  }
}

/** Signs `outgoing`, sends it and reads the answer; a failure becomes `cutOff()` when it says why, else a 502. */
async function exchange(
  config: HandlerConfig,
  request: Request,
  outgoing: Outgoing,
  signal: AbortSignal,
  cutOff: () => HttpError | undefined,
): Promise<UpstreamReply> {
  const url = new URL(config.upstream + outgoing.path);
  const date = new Date(config.now()).toUTCString();
  const authorization = await signIflytekOstRequest({
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    host: url.host,
    date,
    method: 'POST',
    path: `${url.pathname}${url.search}`,
    digest: outgoing.digest,
  });
  const headers: Record<string, string> = {
    host: url.host,
    date,
    digest: outgoing.digest,
    authorization,
    'content-type': outgoing.contentType,
    accept: 'application/json',
  };
  if (outgoing.contentLength !== undefined) headers['content-length'] = String(outgoing.contentLength);
  try {
    const upstream = await config.send({ url: url.href, method: 'POST', headers, body: outgoing.body, signal });
    return { status: upstream.status, retryAfter: upstream.headers.get('retry-after'), text: await readAnswer(upstream) };
  } catch (error) {
    const cause = cutOff();
    if (cause) throw cause;
    if (request.signal.aborted || error instanceof HttpError) throw error;
    config.onError(error);
    throw new HttpError(502, ServerErrorCode.StorageUnreachable, 'The upload service could not be reached.');
  }
}

async function readAnswer(upstream: Response): Promise<string> {
  const bytes = await readLimitedBytes(
    upstream.body,
    MAX_UPSTREAM_ANSWER_BYTES,
    () => new HttpError(502, ServerErrorCode.BadStorageResponse, 'The upload service\'s answer is too long.'),
  );
  return new TextDecoder().decode(bytes);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The page's copy of the service's answer: its own fields rebuilt with its status. A 5xx, a redirect or anything that
 * is not a JSON object may name internal hosts, so its text goes to `onError` and the page learns only the status
 * (and the service's `code` and `sid`, when it sent them). With an owner, a new `upload_id` is bound to it.
 */
async function answer(config: HandlerConfig, reply: UpstreamReply, owner: Owner | undefined): Promise<Response> {
  const headers: Record<string, string> | undefined = reply.retryAfter === null ? undefined : { 'retry-after': reply.retryAfter };
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.text);
  } catch {
    parsed = undefined;
  }
  const usable = reply.status < 300 || (reply.status >= 400 && reply.status < 500);
  if (!isRecord(parsed) || !usable) {
    config.onError(new Error(`${FACTORY}: the upload service answered HTTP ${reply.status}: ${redactUrls(reply.text.slice(0, LOGGED_ANSWER_CHARS))}`));
    if (isRecord(parsed) && typeof parsed.code === 'number' && reply.status >= 500) {
      const sid = typeof parsed.sid === 'string' ? { sid: parsed.sid } : {};
      return jsonResponse({ code: parsed.code, message: 'The upload service failed.', ...sid }, reply.status, headers);
    }
    throw new HttpError(
      502,
      ServerErrorCode.BadStorageResponse,
      isRecord(parsed) ? `The upload service failed (HTTP ${reply.status}).` : `The upload service answered HTTP ${reply.status} without JSON.`,
      { headers },
    );
  }
  const body: Record<string, unknown> = {};
  for (const name of ['code', 'message', 'sid', 'data']) if (name in parsed) body[name] = parsed[name];
  if (owner && parsed.code === 0) {
    const data = isRecord(parsed.data) ? parsed.data : {};
    const uploadId = data.upload_id;
    if (typeof uploadId !== 'string' || !SERVICE_UPLOAD_ID.test(uploadId)) {
      config.onError(new Error(`${FACTORY}: the upload service's init answer has no usable upload_id: ${redactUrls(reply.text.slice(0, LOGGED_ANSWER_CHARS))}`));
      throw new HttpError(502, ServerErrorCode.BadStorageResponse, 'The upload service\'s answer lacks a usable upload_id.');
    }
    body.data = { ...data, upload_id: await owner.binding.bind(owner.principal, uploadId) };
  }
  return jsonResponse(body, reply.status, headers);
}

function checkRequestId(value: unknown): string {
  if (value === undefined) return crypto.randomUUID();
  if (typeof value !== 'string' || !REQUEST_ID.test(value)) {
    throw new HttpError(400, IflytekOstProxyErrorCode.InvalidRequestId, 'request_id must be 1 to 64 letters, digits, "-" or "_".');
  }
  return value;
}

function checkUploadId(value: unknown): string {
  if (typeof value !== 'string' || !UPLOAD_ID.test(value)) {
    throw new HttpError(400, ServerErrorCode.InvalidUploadId, 'upload_id is missing or malformed.');
  }
  return value;
}

function checkSliceId(value: string | undefined): number {
  if (value === undefined || !SLICE_ID.test(value) || Number(value) > MAX_SLICE_ID) {
    throw new HttpError(400, ServerErrorCode.InvalidPartNumber, 'slice_id must be an integer from 1 to 10000.');
  }
  return Number(value);
}

function checkFields(present: Iterable<string>, allowed: readonly string[]): void {
  for (const name of present) {
    if (name === 'app_id' || name === 'cloud_id') {
      throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, `${name} is added by the server; the page must not send it.`);
    }
    if (!allowed.includes(name)) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, `Unknown field ${JSON.stringify(name.slice(0, 64))}.`);
  }
}

function boundaryOf(contentType: string): string {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new HttpError(415, IflytekOstProxyErrorCode.InvalidForm, 'This route takes a multipart/form-data body.');
  }
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary || boundary.length > 70 || !/^[\w'()+,./:=?-]+$/.test(boundary)) {
    throw new HttpError(400, IflytekOstProxyErrorCode.InvalidForm, 'The multipart boundary is missing or malformed.');
  }
  return boundary;
}

/** Where `needle` starts in `haystack` at or after `from`, or -1; the first byte is found by the engine's own search. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(needle[0]!, from); i !== -1 && i <= last; i = haystack.indexOf(needle[0]!, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The form fields before `data`, and the bytes of `data` (and what follows) that came with them. */
interface FormHead {
  fields: Map<string, string>;
  filename: string;
  /** The head's length up to and including the blank line after `data`'s part headers. */
  headLength: number;
  /** Bytes read past the head, in order. */
  rest: Uint8Array[];
}

const fieldDecoder = new TextDecoder('utf-8', { fatal: true });
const BLANK_LINE = encoder.encode('\r\n\r\n');

function invalidForm(message: string): HttpError {
  return new HttpError(400, IflytekOstProxyErrorCode.InvalidForm, message);
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return fieldDecoder.decode(bytes);
  } catch {
    throw invalidForm(`${what} is not UTF-8.`);
  }
}

/**
 * Parses the form's head as its bytes arrive. Bytes are appended once to a buffer that grows by doubling, and each
 * search resumes where the last one stopped, so the cost is linear in the head's length however it is chunked.
 */
class FormHeadParser {
  readonly fields = new Map<string, string>();
  readonly #opening: Uint8Array;
  readonly #delimiter: Uint8Array;
  #bytes = new Uint8Array(1024);
  #length = 0;
  #phase: 'opening' | 'headers' | 'value' = 'opening';
  /** Where the current part's headers, or its value, begin. */
  #partStart = 0;
  /** Where the next search starts: earlier bytes cannot begin what it looks for. */
  #scan = 0;
  #name = '';

  constructor(boundary: string) {
    this.#opening = encoder.encode(`--${boundary}\r\n`);
    this.#delimiter = encoder.encode(`\r\n--${boundary}`);
  }

  /** Takes the next chunk; returns the head once `data`'s part headers are complete. */
  push(chunk: Uint8Array): FormHead | undefined {
    const taken = chunk.subarray(0, MAX_FORM_HEAD_BYTES - this.#length);
    this.#append(taken);
    const found = this.#parse();
    if (found) {
      const rest = [this.#bytes.subarray(found.headLength, this.#length), chunk.subarray(taken.length)].filter((part) => part.length > 0);
      return { fields: this.fields, filename: found.filename, headLength: found.headLength, rest };
    }
    if (this.#length >= MAX_FORM_HEAD_BYTES) throw invalidForm('The fields before data are too long, or data is missing.');
    return undefined;
  }

  #append(chunk: Uint8Array): void {
    if (this.#length + chunk.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.min(MAX_FORM_HEAD_BYTES, Math.max(this.#bytes.length * 2, this.#length + chunk.length)));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#bytes.set(chunk, this.#length);
    this.#length += chunk.length;
  }

  #parse(): { filename: string; headLength: number } | undefined {
    const bytes = this.#bytes.subarray(0, this.#length);
    for (;;) {
      if (this.#phase === 'opening') {
        if (bytes.length < this.#opening.length) return undefined;
        if (indexOf(bytes.subarray(0, this.#opening.length), this.#opening, 0) !== 0) throw invalidForm('The form does not start with its boundary.');
        this.#startPart(this.#opening.length);
      } else if (this.#phase === 'headers') {
        const headersEnd = indexOf(bytes, BLANK_LINE, this.#scan);
        if (headersEnd === -1) {
          this.#scan = Math.max(this.#partStart, bytes.length - BLANK_LINE.length + 1);
          return undefined;
        }
        const disposition =
          /^content-disposition:\s*form-data\s*;(.*)$/im.exec(decodeText(bytes.subarray(this.#partStart, headersEnd), 'A form part\'s headers'))?.[1] ?? '';
        const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
        if (name === undefined) throw invalidForm('A form part has no name.');
        const valueStart = headersEnd + BLANK_LINE.length;
        if (name === 'data') {
          return { filename: /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? 'file', headLength: valueStart };
        }
        if (this.fields.has(name)) throw invalidForm(`The field ${JSON.stringify(name.slice(0, 64))} appears twice.`);
        this.#name = name;
        this.#phase = 'value';
        this.#partStart = valueStart;
        this.#scan = valueStart;
      } else {
        const valueEnd = indexOf(bytes, this.#delimiter, this.#scan);
        if (valueEnd === -1) {
          this.#scan = Math.max(this.#partStart, bytes.length - this.#delimiter.length + 1);
          return undefined;
        }
        const after = valueEnd + this.#delimiter.length;
        if (bytes.length < after + 2) {
          this.#scan = valueEnd;
          return undefined;
        }
        this.fields.set(this.#name, decodeText(bytes.subarray(this.#partStart, valueEnd), `The field ${JSON.stringify(this.#name.slice(0, 64))}`));
        if (bytes[after] === 0x2d && bytes[after + 1] === 0x2d) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, 'The form has no data field.');
        if (bytes[after] !== 0x0d || bytes[after + 1] !== 0x0a) throw invalidForm('A form boundary is not followed by a line break.');
        this.#startPart(after + 2);
      }
    }
  }

  #startPart(start: number): void {
    this.#phase = 'headers';
    this.#partStart = start;
    this.#scan = start;
  }
}

async function readFormHead(reader: ReadableStreamDefaultReader<Uint8Array>, boundary: string): Promise<FormHead> {
  const parser = new FormHeadParser(boundary);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw invalidForm('The form ended before its data field.');
    const head = parser.push(value);
    if (head) return head;
  }
}

function prepend(first: Uint8Array, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rest.getReader();
  let sentFirst = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!sentFirst) {
          sentFirst = true;
          controller.enqueue(first);
          return;
        }
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      // Never rejects (see StreamedTransfer.guard): undici's fetch would rethrow it as an unhandled rejection.
      cancel(reason) {
        return reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** `data`'s bytes on their way upstream, and the rule they broke, once they break one. */
interface FormTail {
  stream: ReadableStream<Uint8Array>;
  violation: () => HttpError | undefined;
}

/**
 * Passes `data`'s bytes and the closing boundary through as they arrive, failing the stream (so the upstream call
 * fails too) when another field follows `data`, the form never closes, or the body outgrows the limit.
 */
function guardTail(
  first: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  boundary: string,
  remainingBytes: number,
  maxBodyBytes: number,
): FormTail {
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  // A delimiter is judged by the two bytes after it: `--` closes the form, anything else starts another field.
  const span = delimiter.length + 2;
  // The last span - 1 bytes seen: every delimiter not yet judged starts in them, and none of them was judged before.
  let tail: Uint8Array = new Uint8Array(0);
  let closed = false;
  let budget = remainingBytes;
  let violation: HttpError | undefined;
  const pending = [...first];

  /** Judges the delimiters starting in `window` before `startsBefore` whose two following bytes are in it. */
  const judge = (window: Uint8Array, startsBefore: number): HttpError | undefined => {
    for (let at = indexOf(window, delimiter, 0); at !== -1 && at < startsBefore; at = indexOf(window, delimiter, at + 1)) {
      const end = at + span;
      if (end > window.length) return undefined;
      if (window[end - 2] !== 0x2d || window[end - 1] !== 0x2d) return invalidForm('data must be the last field of the form.');
      closed = true;
      return undefined;
    }
    return undefined;
  };

  const inspect = (chunk: Uint8Array): HttpError | undefined => {
    budget -= chunk.length;
    if (budget < 0) return bodyTooLarge(maxBodyBytes);
    if (closed) return undefined;
    const refusal =
      (tail.length > 0 ? judge(concat(tail, chunk.subarray(0, span)), tail.length) : undefined) ?? (closed ? undefined : judge(chunk, chunk.length));
    if (refusal) return refusal;
    tail = chunk.length >= span - 1 ? chunk.slice(chunk.length - (span - 1)) : concat(tail, chunk).slice(-(span - 1));
    return undefined;
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // A pull that enqueues nothing is not called again: read until there is a byte to hand on or the end.
        for (;;) {
          let chunk = pending.shift();
          if (!chunk) {
            const { done, value } = await reader.read();
            if (done) {
              if (closed) {
                controller.close();
              } else {
                violation = invalidForm('The form ended without its closing boundary.');
                controller.error(violation);
              }
              return;
            }
            chunk = value;
          }
          const refusal = inspect(chunk);
          if (refusal) {
            violation = refusal;
            await reader.cancel().catch(() => undefined);
            controller.error(refusal);
            return;
          }
          if (chunk.length > 0) {
            controller.enqueue(chunk);
            return;
          }
        }
      },
      // Never rejects (see StreamedTransfer.guard): undici's fetch would rethrow it as an unhandled rejection.
      cancel(reason) {
        return reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, violation: () => violation };
}

/**
 * The whole form in one buffer, hashed as it arrives, so that one copy of the slice is all that is ever held: a buffer
 * of the declared `size`, or, when the page declared none (a chunked body), one that doubles as bytes come, up to
 * `atMost` (413 beyond).
 */
async function readWhole(
  head: Uint8Array,
  rest: ReadableStream<Uint8Array>,
  size: number | { atMost: number; maxBufferedBytes: number },
): Promise<{ bytes: Uint8Array; digest: string }> {
  const declared = typeof size === 'number';
  if (declared && size < head.length) throw invalidForm('The form is shorter than its Content-Length.');
  let bytes = new Uint8Array(declared ? size : Math.min(size.atMost, Math.max(head.length, MiB)));
  const hash = new Sha256();
  bytes.set(head);
  hash.update(head);
  let offset = head.length;
  const reader = rest.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > bytes.length) {
      if (declared || offset + value.length > size.atMost) {
        await reader.cancel();
        throw declared ? invalidForm('The form is longer than its Content-Length.') : bodyTooLarge(size.maxBufferedBytes);
      }
      const grown = new Uint8Array(Math.min(size.atMost, Math.max(bytes.length * 2, offset + value.length)));
      grown.set(bytes.subarray(0, offset));
      bytes = grown;
    }
    bytes.set(value, offset);
    hash.update(value);
    offset += value.length;
  }
  if (declared && offset !== size) throw invalidForm('The form is shorter than its Content-Length.');
  return { bytes: bytes.subarray(0, offset), digest: `SHA-256=${toBase64(hash.digest())}` };
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, ServerErrorCode.BodyTooLarge, `The request body is larger than ${maxBytes} bytes.`);
}

const SHA256_K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * SHA-256 (FIPS 180-4) fed chunk by chunk. WebCrypto hashes only whole buffers, and Node's copies its input first,
 * which would hold a second copy of the slice; hash-wasm compiles WebAssembly at run time, which Workers forbid.
 */
class Sha256 {
  readonly #state = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  readonly #block = new Uint8Array(64);
  readonly #words = new Int32Array(64);
  #blockLength = 0;
  #total = 0;

  update(data: Uint8Array): void {
    this.#total += data.length;
    let offset = 0;
    if (this.#blockLength > 0) {
      offset = Math.min(64 - this.#blockLength, data.length);
      this.#block.set(data.subarray(0, offset), this.#blockLength);
      this.#blockLength += offset;
      if (this.#blockLength < 64) return;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; offset + 64 <= data.length; offset += 64) this.#compress(data, offset);
    this.#block.set(data.subarray(offset), 0);
    this.#blockLength = data.length - offset;
  }

  digest(): Uint8Array {
    const bits = this.#total * 8;
    const padding = new Uint8Array((this.#blockLength < 56 ? 56 : 120) - this.#blockLength + 8);
    padding[0] = 0x80;
    const lengthView = new DataView(padding.buffer);
    lengthView.setUint32(padding.length - 8, Math.floor(bits / 2 ** 32));
    lengthView.setUint32(padding.length - 4, bits >>> 0);
    this.update(padding);
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, this.#state[i]!);
    return out;
  }

  #compress(data: Uint8Array, offset: number): void {
    const w = this.#words;
    for (let t = 0; t < 16; t++) {
      const i = offset + 4 * t;
      w[t] = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const state = this.#state;
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    let f = state[5]!;
    let g = state[6]!;
    let h = state[7]!;
    for (let t = 0; t < 64; t++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + SHA256_K[t]! + w[t]!) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0]! + a) | 0;
    state[1] = (state[1]! + b) | 0;
    state[2] = (state[2]! + c) | 0;
    state[3] = (state[3]! + d) | 0;
    state[4] = (state[4]! + e) | 0;
    state[5] = (state[5]! + f) | 0;
    state[6] = (state[6]! + g) | 0;
    state[7] = (state[7]! + h) | 0;
  }
}
