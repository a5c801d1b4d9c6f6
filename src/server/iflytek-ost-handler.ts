import { corsHeaders, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';

/** iFlytek OST's production host. */
export const IFLYTEK_OST_UPSTREAM = 'https://upload-ost-api.xfyun.cn';

/** How the proxy fills the `digest` header of form-data calls (JSON calls always carry the real body digest). */
export type IflytekOstMultipartDigest = 'empty' | 'body';

/** One signed call to the service, as the handler forwards it; `send` receives it. */
export interface IflytekOstUpstreamRequest {
  url: string;
  method: 'POST';
  /** `host`, `date`, `digest`, `authorization`, `content-type` and, when known, `content-length`. */
  headers: Record<string, string>;
  /** A stream when the slice is passed through as it arrives, bytes when it had to be read for its digest. */
  body: ReadableStream<Uint8Array> | Uint8Array;
  signal: AbortSignal;
}

/** Options of {@link createIflytekOstHandler}. */
export interface IflytekOstHandlerOptions {
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
  /** Sent as `cloud_id` on every call when set (`"0"` is the public cloud); the page cannot choose it. */
  cloudId?: string;
  /**
   * `digest` of form-data calls: `'empty'` (default) signs SHA-256 of the empty string, as iFlytek's own demo does,
   * and streams the slice through; `'body'` reads the whole slice to sign its real SHA-256 (memory: one slice).
   */
  multipartDigest?: IflytekOstMultipartDigest;
  /** Largest request body accepted from the page, in bytes; default 5 GiB + 64 KiB (one slice and its form fields). */
  maxBodyBytes?: number;
  /** Page origins allowed to call the routes (CORS); default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /**
   * Sends the signed call; default `fetch` (streaming, `duplex: 'half'`). Replace it where `fetch` cannot set `date`
   * (a browser, for tests) or to add a proxy agent.
   */
  send?: (request: IflytekOstUpstreamRequest) => Promise<Response>;
  /** The clock in milliseconds, for the `date` header; default `Date.now`. */
  now?: () => number;
  /** Receives unexpected errors, whose details never reach the client; default `console.error`. */
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

const DEFAULT_MAX_BODY_BYTES = 5 * 1024 ** 3 + 64 * 1024;
const MAX_JSON_BYTES = 16 * 1024;
// Every form field before `data` is a short token; the head is never near this.
const MAX_FORM_HEAD_BYTES = 64 * 1024;
const MAX_UPSTREAM_ANSWER_BYTES = 1024 * 1024;
const SIGNED_HEADERS = 'host date request-line digest';
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UPLOAD_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const SLICE_ID = /^[1-9]\d{0,4}$/;
const MAX_SLICE_ID = 10_000;

type RouteKind = 'single' | 'init' | 'slice' | 'complete' | 'cancel';

const ROUTES: Record<string, RouteKind> = {
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
  upstream: URL;
  basePath: string;
  cloudId: string | undefined;
  multipartDigest: IflytekOstMultipartDigest;
  maxBodyBytes: number;
  allowedOrigins: AllowedOrigins;
  send: (request: IflytekOstUpstreamRequest) => Promise<Response>;
  now: () => number;
  onError: (error: unknown) => void;
}

/** A signed call ready to go, minus the signature. */
interface Outgoing {
  path: string;
  contentType: string;
  body: ReadableStream<Uint8Array> | Uint8Array;
  contentLength: number | undefined;
  /** Set when the page's stream broke a rule after forwarding began. */
  violation: () => HttpError | undefined;
}

function defaultSend(request: IflytekOstUpstreamRequest): Promise<Response> {
  const init: RequestInit & { duplex: 'half' } = {
    method: request.method,
    headers: request.headers,
    // Both shapes are valid bodies; the DOM typings only reject Uint8Array's generic buffer parameter.
    body: request.body as BodyInit,
    signal: request.signal,
    duplex: 'half',
  };
  return fetch(request.url, init);
}

function resolveConfig(options: IflytekOstHandlerOptions): HandlerConfig {
  for (const name of ['appId', 'apiKey', 'apiSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`createIflytekOstHandler: ${name} is required.`);
  }
  // The key and app id go into a quoted header and JSON bodies: anything but a plain token is a configuration mistake.
  if (!/^[\w-]+$/.test(options.apiKey) || !/^[\w-]+$/.test(options.appId)) {
    throw new TypeError('createIflytekOstHandler: appId and apiKey must be letters, digits, "-" or "_".');
  }
  const upstream = new URL(options.upstream ?? IFLYTEK_OST_UPSTREAM);
  if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') throw new TypeError('createIflytekOstHandler: upstream must be an http(s) URL.');
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('createIflytekOstHandler: basePath must start with "/".');
  if (options.cloudId !== undefined && !/^[\w-]{1,64}$/.test(options.cloudId)) {
    throw new TypeError('createIflytekOstHandler: cloudId must be a short token such as "0".');
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError('createIflytekOstHandler: maxBodyBytes must be a positive integer.');
  const multipartDigest = options.multipartDigest ?? 'empty';
  if (multipartDigest !== 'empty' && multipartDigest !== 'body') throw new TypeError('createIflytekOstHandler: multipartDigest must be "empty" or "body".');
  return {
    appId: options.appId,
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    upstream,
    basePath,
    cloudId: options.cloudId,
    multipartDigest,
    maxBodyBytes,
    allowedOrigins: options.allowedOrigins ?? '*',
    send: options.send ?? defaultSend,
    now: options.now ?? Date.now,
    onError: options.onError ?? ((error: unknown) => console.error(error)),
  };
}

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) that proxies iFlytek OST's five calls under
 * `basePath` (`POST /file/upload`, `/file/mpupload/init`, `/upload`, `/complete`, `/cancel`), so the page never holds
 * the APISecret and never needs the `host`/`date` headers browsers may not set. For each call it checks the page's
 * fields (`request_id`, `upload_id`, `slice_id`, `data` last; no `app_id`/`cloud_id`), adds `app_id` (and
 * `cloud_id`), `date`, `digest` and the HMAC-SHA256 `authorization`, and forwards to `upstream`, passing a slice
 * through as it arrives unless `multipartDigest: 'body'` needs it whole. The service's JSON answer comes back as it
 * is; the handler's own refusals are `{ error: { code, message } }`. Every response carries CORS headers.
 */
export function createIflytekOstHandler(options: IflytekOstHandlerOptions): (request: Request) => Promise<Response> {
  const config = resolveConfig(options);
  return async (request) => {
    const url = new URL(request.url);
    const route = url.pathname.startsWith(`${config.basePath}/`) ? ROUTES[url.pathname.slice(config.basePath.length)] : undefined;
    let response: Response;
    if (request.method === 'OPTIONS') {
      response = preflightResponse(request, config.allowedOrigins, ['POST', 'OPTIONS']);
    } else {
      try {
        if (!route) throw new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.');
        if (request.method !== 'POST') {
          throw new HttpError(405, ServerErrorCode.MethodNotAllowed, 'Use POST for this route.', { headers: { allow: 'POST, OPTIONS' } });
        }
        response = await forward(config, request, route, url.pathname.slice(config.basePath.length));
      } catch (error) {
        response = errorResponse(error, request.signal.aborted, config.onError);
      }
    }
    for (const [name, value] of corsHeaders(request, config.allowedOrigins)) response.headers.set(name, value);
    return response;
  };
}

function errorResponse(error: unknown, clientGone: boolean, onError: (error: unknown) => void): Response {
  if (error instanceof HttpError) return jsonResponse(error.toBody(), error.status, error.headers);
  if (clientGone) return jsonResponse(new HttpError(499, ServerErrorCode.ClientClosed, 'The client closed the request.').toBody(), 499);
  onError(error);
  return jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500);
}

async function forward(config: HandlerConfig, request: Request, route: RouteKind, routePath: string): Promise<Response> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > config.maxBodyBytes) throw bodyTooLarge(config.maxBodyBytes);
  const outgoing =
    route === 'single' || route === 'slice' ? await formCall(config, request, route, routePath) : await jsonCall(config, request, route, routePath);

  const upstreamUrl = new URL(config.upstream.href.replace(/\/+$/, '') + outgoing.path);
  const path = `${upstreamUrl.pathname}${upstreamUrl.search}`;
  let body = outgoing.body;
  let contentLength = outgoing.contentLength;
  let digest: string;
  if (body instanceof Uint8Array) {
    digest = await iflytekOstDigest(body);
  } else if (config.multipartDigest === 'body') {
    body = await readAll(body);
    contentLength = body.byteLength;
    digest = await iflytekOstDigest(body);
  } else {
    digest = await iflytekOstDigest('');
  }
  const date = new Date(config.now()).toUTCString();
  const host = upstreamUrl.host;
  const authorization = await signIflytekOstRequest({ apiKey: config.apiKey, apiSecret: config.apiSecret, host, date, method: 'POST', path, digest });
  const headers: Record<string, string> = { host, date, digest, authorization, 'content-type': outgoing.contentType, accept: 'application/json' };
  if (contentLength !== undefined) headers['content-length'] = String(contentLength);

  let upstream: Response;
  try {
    upstream = await config.send({ url: upstreamUrl.href, method: 'POST', headers, body, signal: request.signal });
  } catch (error) {
    const violation = outgoing.violation();
    if (violation) throw violation;
    if (request.signal.aborted) throw error;
    throw new HttpError(502, ServerErrorCode.StorageUnreachable, 'The upload service could not be reached.');
  }
  const violation = outgoing.violation();
  if (violation) {
    await upstream.body?.cancel();
    throw violation;
  }
  return relay(upstream);
}

/** The service's answer, re-sent as JSON with its own status; anything that is not JSON becomes a 502. */
async function relay(upstream: Response): Promise<Response> {
  let text: string;
  try {
    text = await upstream.text();
  } catch {
    throw new HttpError(502, ServerErrorCode.StorageUnreachable, 'The upload service\'s answer broke off.');
  }
  let parsed: unknown;
  try {
    if (text.length > MAX_UPSTREAM_ANSWER_BYTES) throw new RangeError('answer too long');
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(502, ServerErrorCode.BadStorageResponse, `The upload service answered HTTP ${upstream.status} without JSON.`);
  }
  const retryAfter = upstream.headers.get('retry-after');
  return jsonResponse(parsed, upstream.status, retryAfter === null ? undefined : { 'retry-after': retryAfter });
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

function checkFields(present: Iterable<string>, allowed: readonly string[]): void {
  for (const name of present) {
    if (name === 'app_id' || name === 'cloud_id') {
      throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, `${name} is added by the server; the page must not send it.`);
    }
    if (!allowed.includes(name)) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, `Unknown field ${JSON.stringify(name.slice(0, 64))}.`);
  }
}

async function jsonCall(config: HandlerConfig, request: Request, route: RouteKind, routePath: string): Promise<Outgoing> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new HttpError(415, ServerErrorCode.InvalidJson, 'This route takes an application/json body.');
  }
  const input = await readJsonObject(request, MAX_JSON_BYTES);
  const needsUploadId = route !== 'init';
  checkFields(Object.keys(input), needsUploadId ? ['request_id', 'upload_id'] : ['request_id']);
  const body: Record<string, string> = { request_id: checkRequestId(input.request_id), app_id: config.appId };
  if (config.cloudId !== undefined) body.cloud_id = config.cloudId;
  if (needsUploadId) body.upload_id = checkUploadId(input.upload_id);
  const bytes = encoder.encode(JSON.stringify(body));
  return { path: routePath, contentType: 'application/json', body: bytes, contentLength: bytes.byteLength, violation: () => undefined };
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

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = haystack.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The form fields before `data`, and where `data`'s bytes begin; `undefined` while more bytes are needed. */
interface FormHead {
  fields: Map<string, string>;
  filename: string;
  /** The head's length up to and including the blank line after `data`'s part headers. */
  headLength: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function invalidForm(message: string): HttpError {
  return new HttpError(400, IflytekOstProxyErrorCode.InvalidForm, message);
}

function parseFormHead(bytes: Uint8Array, boundary: string): FormHead | undefined {
  const opening = encoder.encode(`--${boundary}\r\n`);
  if (bytes.length < opening.length) return undefined;
  if (indexOf(bytes.subarray(0, opening.length), opening, 0) !== 0) throw invalidForm('The form does not start with its boundary.');
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const blankLine = encoder.encode('\r\n\r\n');
  const fields = new Map<string, string>();
  let position = opening.length;
  for (;;) {
    const headersEnd = indexOf(bytes, blankLine, position);
    if (headersEnd === -1) return undefined;
    let headerText: string;
    try {
      headerText = decoder.decode(bytes.subarray(position, headersEnd));
    } catch {
      throw invalidForm('A form part\'s headers are not UTF-8.');
    }
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headerText)?.[1] ?? '';
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw invalidForm('A form part has no name.');
    const valueStart = headersEnd + blankLine.length;
    if (name === 'data') {
      const filename = /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? 'file';
      return { fields, filename, headLength: valueStart };
    }
    if (fields.has(name)) throw invalidForm(`The field ${JSON.stringify(name.slice(0, 64))} appears twice.`);
    const valueEnd = indexOf(bytes, delimiter, valueStart);
    if (valueEnd === -1) return undefined;
    const after = valueEnd + delimiter.length;
    if (bytes.length < after + 2) return undefined;
    let value: string;
    try {
      value = decoder.decode(bytes.subarray(valueStart, valueEnd));
    } catch {
      throw invalidForm(`The field ${JSON.stringify(name.slice(0, 64))} is not UTF-8.`);
    }
    fields.set(name, value);
    if (bytes[after] === 0x2d && bytes[after + 1] === 0x2d) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, 'The form has no data field.');
    if (bytes[after] !== 0x0d || bytes[after + 1] !== 0x0a) throw invalidForm('A form boundary is not followed by a line break.');
    position = after + 2;
  }
}

async function formCall(config: HandlerConfig, request: Request, route: RouteKind, routePath: string): Promise<Outgoing> {
  const contentType = request.headers.get('content-type') ?? '';
  const boundary = boundaryOf(contentType);
  if (!request.body) throw new HttpError(400, IflytekOstProxyErrorCode.InvalidField, 'The form has no data field.');
  const reader = request.body.getReader();
  let received: Uint8Array = new Uint8Array(0);
  let head: FormHead | undefined;
  while (!head) {
    const { done, value } = await reader.read();
    if (done) {
      head = parseFormHead(received, boundary);
      if (!head) throw invalidForm('The form ended before its data field.');
      break;
    }
    received = concat(received, value);
    if (received.length > config.maxBodyBytes) throw bodyTooLarge(config.maxBodyBytes);
    head = parseFormHead(received, boundary);
    if (!head && received.length > MAX_FORM_HEAD_BYTES) {
      await reader.cancel();
      throw invalidForm('The fields before data are too long, or data is missing.');
    }
  }

  const sliced = route === 'slice';
  checkFields(head.fields.keys(), sliced ? ['request_id', 'upload_id', 'slice_id'] : ['request_id']);
  const fields: Array<[string, string]> = [
    ['app_id', config.appId],
    ['request_id', checkRequestId(head.fields.get('request_id'))],
  ];
  if (config.cloudId !== undefined) fields.push(['cloud_id', config.cloudId]);
  if (sliced) {
    fields.push(['upload_id', checkUploadId(head.fields.get('upload_id'))]);
    const sliceId = head.fields.get('slice_id') ?? '';
    if (!SLICE_ID.test(sliceId) || Number(sliceId) > MAX_SLICE_ID) {
      throw new HttpError(400, ServerErrorCode.InvalidPartNumber, 'slice_id must be an integer from 1 to 10000.');
    }
    fields.push(['slice_id', sliceId]);
  }
  // A filename is free-form for the service; quotes and line breaks would break the part header, so they go.
  const filename = head.filename.replace(/["\r\n\\]/g, '_').slice(0, 255) || 'file';
  const rebuilt = encoder.encode(
    fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );

  const guard = guardTail(received.subarray(head.headLength), reader, boundary, config.maxBodyBytes - head.headLength, config.maxBodyBytes);
  const declared = Number(request.headers.get('content-length'));
  return {
    path: routePath,
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: prepend(rebuilt, guard.stream),
    contentLength: Number.isSafeInteger(declared) && declared > 0 ? declared - head.headLength + rebuilt.byteLength : undefined,
    violation: guard.violation,
  };
}

function prepend(first: Uint8Array, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rest.getReader();
  let sentFirst = false;
  return new ReadableStream<Uint8Array>({
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
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Passes `data`'s bytes and the closing boundary through as they arrive, failing the stream (so the upstream call
 * fails too) when another field follows `data`, the form never closes, or the body outgrows the limit.
 */
function guardTail(
  first: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  boundary: string,
  remainingBytes: number,
  maxBodyBytes: number,
): { stream: ReadableStream<Uint8Array>; violation: () => HttpError | undefined } {
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const keep = delimiter.length + 1;
  let tail: Uint8Array = new Uint8Array(0);
  let closed = false;
  let budget = remainingBytes;
  let violation: HttpError | undefined;
  let pendingFirst: Uint8Array | undefined = first;

  /** Looks for delimiters in bytes not fully seen before; returns a refusal or undefined. */
  const inspect = (chunk: Uint8Array): HttpError | undefined => {
    budget -= chunk.length;
    if (budget < 0) return bodyTooLarge(maxBodyBytes);
    if (closed) return undefined;
    const window = concat(tail, chunk);
    let at = indexOf(window, delimiter, 0);
    while (at !== -1) {
      const end = at + delimiter.length + 2;
      if (end > window.length) break;
      // Seen in full last time already.
      if (end > tail.length) {
        if (window[end - 2] === 0x2d && window[end - 1] === 0x2d) {
          closed = true;
          return undefined;
        }
        return invalidForm('data must be the last field of the form.');
      }
      at = indexOf(window, delimiter, at + 1);
    }
    tail = window.subarray(Math.max(0, window.length - keep));
    return undefined;
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A pull that enqueues nothing is not called again: read until there is a byte to hand on or the end.
      for (;;) {
        let chunk: Uint8Array;
        if (pendingFirst) {
          chunk = pendingFirst;
          pendingFirst = undefined;
        } else {
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
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, violation: () => violation };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, ServerErrorCode.BodyTooLarge, `The request body is larger than ${maxBytes} bytes.`);
}
