import { corsHeaders, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';

/** KooDrive's public API origin (CN North-Beijing4), the handler's default upstream. */
export const KOODRIVE_API_ENDPOINT = 'https://cn.myhuaweicloud-koodrive.com';

/** The three KooDrive calls an upload makes, by path below the API origin. */
export const KOODRIVE_PATHS = {
  create: '/koodrive/ose/v1/files/create',
  uploadUrl: '/koodrive/ose/v1/files/multipart/uploadUrl',
  complete: '/koodrive/ose/v1/files/complete',
} as const;

/** The stable codes of the errors this handler answers itself, besides the shared {@link ServerErrorCode}s. */
export const KooDriveHandlerErrorCode = {
  /** A body field is missing, of the wrong type, out of range, or not one KooDrive's upload calls take. */
  InvalidField: 'invalid-field',
  /** `userId` found no KooDrive user for this request: the page's user is not signed in to your site. */
  Unauthenticated: 'unauthenticated',
} as const;

/**
 * How the last line of the canonical request is written: `sha256` (the lower-case hex SHA-256 of the body, as
 * Huawei's other signers do; inferred, the KooDrive reference does not say) or `unsigned` (`UNSIGNED-PAYLOAD`).
 */
export type KooDrivePayloadHash = 'sha256' | 'unsigned';

/** Options of {@link createKooDriveHandler}. */
export interface KooDriveHandlerOptions {
  /** The KooDrive app's AppId. */
  appId: string;
  /** The app's AppSecret; it signs every call and never leaves the server. */
  appSecret: string;
  /**
   * The KooDrive user the calls act for (`X-User-Id`): one fixed id, or a function of the request that maps your
   * own session to a user and returns `undefined` when there is none (401 `unauthenticated`).
   */
  userId: string | ((request: Request) => string | undefined | Promise<string | undefined>);
  /** KooDrive's API origin (default {@link KOODRIVE_API_ENDPOINT}); a path after it is kept (an emulator's mount). */
  apiEndpoint?: string;
  /** Path the routes are mounted under, such as `/api/koodrive` (default `''`). */
  basePath?: string;
  /** Page origins allowed to call the routes (CORS); default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /** When set, every file goes into this folder id whatever the page asks (`root` is the user's root). */
  parentFolder?: string;
  /** Largest `length` the page may declare, in bytes (413 above it). */
  maxFileSize?: number;
  /** See {@link KooDrivePayloadHash}; default `sha256`. */
  payloadHash?: KooDrivePayloadHash;
  /** The clock for `X-Date`, in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Sends the signed request upstream; default the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Receives unexpected errors, whose details never reach the client; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** What {@link signKooDriveRequest} signs. */
export interface KooDriveSignInput {
  method: string;
  /** The full URL the request goes to; its host and path are signed. */
  url: string;
  /** The exact body text that will be sent. */
  body: string;
  appId: string;
  appSecret: string;
  userId: string;
  /** The signing time in milliseconds. */
  now: number;
  payloadHash?: KooDrivePayloadHash;
}

const encoder = new TextEncoder();
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_PARTS = 10_000;
const MAX_UINT32 = 0xffff_ffff;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const FILE_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** Optional request headers KooDrive documents that the page may pass through. */
const FORWARDED_HEADERS = ['language', 'x-traceid'] as const;

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** RFC 3986 encoding: only `A-Z a-z 0-9 - . _ ~` stay. */
function rfc3986(value: string): string {
  let encoded = '';
  for (const byte of encoder.encode(value)) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** `YYYYMMDDTHHMMSSZ` of a time in milliseconds. */
export function toKooDriveDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The canonical request of KooDrive's app authentication for one request signing `host`, `x-date` and `x-user-id`:
 * method, encoded path ending in `/`, sorted query, the signed headers, their names, and the payload hash.
 */
export async function kooDriveCanonicalRequest(input: {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  payloadHash?: KooDrivePayloadHash;
}): Promise<string> {
  const url = new URL(input.url);
  const segments = url.pathname.split('/').map((segment) => rfc3986(decodeURIComponent(segment)));
  let path = segments.join('/');
  if (!path.endsWith('/')) path += '/';
  const query = [...url.searchParams]
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
    .sort()
    .join('&');
  const names = Object.keys(input.headers).map((name) => name.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const headerLines = names.map((name) => `${name}:${(lower[name] ?? '').trim()}\n`).join('');
  const payload = input.payloadHash === 'unsigned' ? 'UNSIGNED-PAYLOAD' : await sha256Hex(input.body);
  return [input.method.toUpperCase(), path, query, headerLines, names.join(';'), payload].join('\n');
}

/**
 * The headers that sign one KooDrive call with app authentication (AppId/AppSecret): `X-Date`, `X-User-Id` and
 * `Authorization: HMAC-SHA256 AppId=…,SignedHeaders=host;x-date;x-user-id,Signature=<hex>`, where the signature is
 * the HMAC-SHA256, keyed with the AppSecret, of `"HMAC-SHA256\n" + hex(SHA-256(canonical request))`. The value is
 * valid for 15 minutes.
 */
export async function signKooDriveRequest(input: KooDriveSignInput): Promise<Record<string, string>> {
  const date = toKooDriveDate(input.now);
  const signed = { host: new URL(input.url).host, 'x-date': date, 'x-user-id': input.userId };
  const canonical = await kooDriveCanonicalRequest({
    method: input.method,
    url: input.url,
    body: input.body,
    headers: signed,
    ...(input.payloadHash !== undefined && { payloadHash: input.payloadHash }),
  });
  const stringToSign = `HMAC-SHA256\n${await sha256Hex(canonical)}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(input.appSecret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const signature = toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(stringToSign)));
  return {
    Authorization: `HMAC-SHA256 AppId=${input.appId},SignedHeaders=host;x-date;x-user-id,Signature=${signature}`,
    'X-Date': date,
    'X-User-Id': input.userId,
  };
}

interface HandlerConfig {
  appId: string;
  appSecret: string;
  userId: KooDriveHandlerOptions['userId'];
  apiEndpoint: string;
  basePath: string;
  allowedOrigins: AllowedOrigins;
  parentFolder: string | undefined;
  maxFileSize: number | undefined;
  payloadHash: KooDrivePayloadHash;
  now: () => number;
  fetch: (request: Request) => Promise<Response>;
  onError: (error: unknown) => void;
}

type Route = keyof typeof KOODRIVE_PATHS;

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) that signs the page's KooDrive upload calls with
 * app authentication and forwards them, so the AppSecret never reaches the browser. Routes, below `basePath`, are
 * KooDrive's own paths, each `POST` with a JSON body:
 *
 * - `/koodrive/ose/v1/files/create` (createFile)
 * - `/koodrive/ose/v1/files/multipart/uploadUrl` (part URLs)
 * - `/koodrive/ose/v1/files/complete` (merge and check)
 *
 * The body is checked field by field (only the fields these calls document, with their types and ranges), rebuilt,
 * signed and sent; KooDrive's answer (`{code, msg, …}`, or the gateway's `{error_code, error_msg}`) comes back with
 * its status unchanged. The handler's own errors are `{ error: { code, message } }`. Part bytes never pass through
 * here: the page PUTs them to the presigned URLs KooDrive returns.
 */
export function createKooDriveHandler(options: KooDriveHandlerOptions): (request: Request) => Promise<Response> {
  const config = resolveConfig(options);
  return async (request) => {
    const url = new URL(request.url);
    const route = matchRoute(config.basePath, url.pathname);
    if (request.method === 'OPTIONS') return preflightResponse(request, config.allowedOrigins, ['POST', 'OPTIONS']);
    let response: Response;
    try {
      if (!route) throw new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.');
      if (request.method !== 'POST') {
        throw new HttpError(405, ServerErrorCode.MethodNotAllowed, 'This route accepts POST only.', {
          headers: { allow: 'POST, OPTIONS' },
        });
      }
      response = await forward(config, route, request);
    } catch (error) {
      response = errorResponse(error, request.signal.aborted, config.onError);
    }
    for (const [name, value] of corsHeaders(request, config.allowedOrigins)) response.headers.set(name, value);
    // Not a CORS-safelisted response header: without this a cross-origin page cannot honour the wait.
    response.headers.set('access-control-expose-headers', 'Retry-After');
    return response;
  };
}

function resolveConfig(options: KooDriveHandlerOptions): HandlerConfig {
  if (!options.appId) throw new TypeError('createKooDriveHandler: appId is required.');
  if (!options.appSecret) throw new TypeError('createKooDriveHandler: appSecret is required.');
  if (typeof options.userId !== 'function' && !isUserId(options.userId)) {
    throw new TypeError('createKooDriveHandler: userId must be a non-empty string or a function.');
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('createKooDriveHandler: basePath must start with "/".');
  const apiEndpoint = (options.apiEndpoint ?? KOODRIVE_API_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(apiEndpoint)) {
    throw new TypeError('createKooDriveHandler: apiEndpoint must be an http(s) origin, optionally with a path.');
  }
  const { maxFileSize } = options;
  if (maxFileSize !== undefined && (!Number.isSafeInteger(maxFileSize) || maxFileSize < 0)) {
    throw new RangeError('createKooDriveHandler: maxFileSize must be a non-negative integer.');
  }
  return {
    appId: options.appId,
    appSecret: options.appSecret,
    userId: options.userId,
    apiEndpoint,
    basePath,
    allowedOrigins: options.allowedOrigins ?? '*',
    parentFolder: options.parentFolder,
    maxFileSize,
    payloadHash: options.payloadHash ?? 'sha256',
    now: options.now ?? Date.now,
    fetch: options.fetch ?? ((request) => fetch(request)),
    onError: options.onError ?? ((error: unknown) => console.error(error)),
  };
}

function matchRoute(basePath: string, pathname: string): Route | undefined {
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const rest = pathname.slice(basePath.length);
  return (Object.keys(KOODRIVE_PATHS) as Route[]).find((route) => KOODRIVE_PATHS[route] === rest);
}

function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128 && !CONTROL_CHARS.test(value);
}

async function forward(config: HandlerConfig, route: Route, request: Request): Promise<Response> {
  const input = await readJsonObject(request, MAX_BODY_BYTES);
  const body = JSON.stringify(BODY_CHECKS[route](input, config));
  const userId = typeof config.userId === 'function' ? await config.userId(request) : config.userId;
  if (userId === undefined) {
    throw new HttpError(401, KooDriveHandlerErrorCode.Unauthenticated, 'Sign in before uploading.');
  }
  if (!isUserId(userId)) throw new TypeError('createKooDriveHandler: userId() returned an invalid user id.');
  const url = `${config.apiEndpoint}${KOODRIVE_PATHS[route]}`;
  const signed = await signKooDriveRequest({
    method: 'POST',
    url,
    body,
    appId: config.appId,
    appSecret: config.appSecret,
    userId,
    now: config.now(),
    payloadHash: config.payloadHash,
  });
  const headers = new Headers({ ...signed, 'Content-Type': 'application/json' });
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null && /^[A-Za-z0-9_.-]{1,64}$/.test(value)) headers.set(name, value);
  }
  let upstream: Response;
  try {
    upstream = await config.fetch(new Request(url, { method: 'POST', headers, body, signal: request.signal }));
  } catch (error) {
    if (request.signal.aborted) throw error;
    throw new HttpError(502, ServerErrorCode.StorageUnreachable, 'KooDrive could not be reached.');
  }
  const text = await upstream.text();
  const type = upstream.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    throw new HttpError(502, ServerErrorCode.BadStorageResponse, `KooDrive answered HTTP ${upstream.status} without JSON.`);
  }
  const answerHeaders = new Headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  // The page's retry honours the gateway's wait when throttled or when KooDrive is busy.
  const retryAfter = upstream.headers.get('retry-after');
  if (retryAfter !== null) answerHeaders.set('retry-after', retryAfter);
  return new Response(text, { status: upstream.status, headers: answerHeaders });
}

function errorResponse(error: unknown, clientGone: boolean, onError: (error: unknown) => void): Response {
  if (clientGone) return jsonResponse(new HttpError(499, ServerErrorCode.ClientClosed, 'The client closed the request.').toBody(), 499);
  if (error instanceof HttpError) return jsonResponse(error.toBody(), error.status, error.headers);
  onError(error);
  return jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500);
}

type Json = Record<string, unknown>;

function invalid(message: string): HttpError {
  return new HttpError(400, KooDriveHandlerErrorCode.InvalidField, message);
}

function onlyFields(input: Json, allowed: readonly string[]): void {
  const extra = Object.keys(input).filter((name) => !allowed.includes(name));
  if (extra.length > 0) throw invalid(`Unexpected field ${extra[0]}.`);
}

function text(input: Json, name: string, max: number, required: true): string;
function text(input: Json, name: string, max: number, required?: false): string | undefined;
function text(input: Json, name: string, max: number, required = false): string | undefined {
  const value = input[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '' || [...value].length > max || CONTROL_CHARS.test(value)) {
    throw invalid(`${name} must be a string of 1 to ${max} characters without control characters.`);
  }
  return value;
}

function integer(input: Json, name: string, required: true): number;
function integer(input: Json, name: string, required?: false): number | undefined;
function integer(input: Json, name: string, required = false): number | undefined {
  const value = input[name];
  if (value === undefined && !required) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(`${name} must be a non-negative integer.`);
  return value as number;
}

function sha256Field(input: Json): string | undefined {
  const value = input.sha256;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) throw invalid('sha256 must be 64 hex digits.');
  return value;
}

function fileIdField(input: Json): string {
  const value = input.fileId;
  if (typeof value !== 'string' || !FILE_ID.test(value)) throw invalid('fileId must be a KooDrive file id.');
  return value;
}

function multiPartsField(input: Json, required: boolean): Json[] | undefined {
  const value = input.multiParts;
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PARTS) {
    throw invalid(`multiParts must be a list of 1 to ${MAX_PARTS} parts.`);
  }
  return value.map((part: unknown, index) => {
    if (typeof part !== 'object' || part === null || Array.isArray(part)) throw invalid(`multiParts[${index}] must be an object.`);
    const fields = part as Json;
    onlyFields(fields, ['partNumber', 'partSize', 'partOffset', 'hashCtx']);
    const checked: Json = { partNumber: integer(fields, 'partNumber', true), partSize: integer(fields, 'partSize', true) };
    const partOffset = integer(fields, 'partOffset');
    if (partOffset !== undefined) checked.partOffset = partOffset;
    if (fields.hashCtx !== undefined) {
      const words = fields.hashCtx;
      if (!Array.isArray(words) || words.length > 8 || !words.every((word) => Number.isInteger(word) && word >= 0 && word <= MAX_UINT32)) {
        throw invalid(`multiParts[${index}].hashCtx must be up to 8 unsigned 32-bit integers.`);
      }
      checked.hashCtx = words;
    }
    return checked;
  });
}

/** Per route: checks the page's body and rebuilds it from the checked fields only. */
const BODY_CHECKS: Record<Route, (input: Json, config: HandlerConfig) => Json> = {
  create(input, config) {
    onlyFields(input, [
      'fileName', 'fileType', 'parentFolder', 'length', 'sha256', 'uploadMode', 'uploadType', 'autoRename',
      'multiParts', 'mimeType', 'description', 'createdTime',
    ]);
    const length = integer(input, 'length', true);
    if (config.maxFileSize !== undefined && length > config.maxFileSize) {
      throw new HttpError(413, ServerErrorCode.FileTooLarge, `Files may be at most ${config.maxFileSize} bytes.`);
    }
    const parentFolder = input.parentFolder;
    if (!Array.isArray(parentFolder) || parentFolder.length === 0 || !parentFolder.every((id) => typeof id === 'string' && FILE_ID.test(id))) {
      throw invalid('parentFolder must be a list of folder ids.');
    }
    const body: Json = {
      fileName: text(input, 'fileName', 1024, true),
      fileType: text(input, 'fileType', 16, true),
      parentFolder: config.parentFolder === undefined ? parentFolder : [config.parentFolder],
      length,
    };
    const optional: Json = {
      sha256: sha256Field(input),
      uploadMode: text(input, 'uploadMode', 16),
      uploadType: integer(input, 'uploadType'),
      autoRename: integer(input, 'autoRename'),
      multiParts: multiPartsField(input, false),
      mimeType: text(input, 'mimeType', 255),
      description: text(input, 'description', 512),
      createdTime: text(input, 'createdTime', 32),
    };
    for (const [name, value] of Object.entries(optional)) if (value !== undefined) body[name] = value;
    return body;
  },
  uploadUrl(input) {
    onlyFields(input, ['fileId', 'multiParts']);
    return { fileId: fileIdField(input), multiParts: multiPartsField(input, true) };
  },
  complete(input) {
    onlyFields(input, ['fileId', 'sha256']);
    const sha256 = sha256Field(input);
    return sha256 === undefined ? { fileId: fileIdField(input) } : { fileId: fileIdField(input), sha256 };
  },
};
