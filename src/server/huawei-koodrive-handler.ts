import { checkSecret, forbidden, principalFor, UploadBinding } from './authorize.js';
import type { Authorize } from './authorize.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, readJsonObject, redactUrls, ServerErrorCode } from './http-json.js';
import { normalizeBasePath, preflightHeaders, serve } from './route.js';
import type { FetchHandler } from './route.js';
import { resolveTimeouts, upstreamSignal, upstreamTimedOut } from './transfer.js';
import type { ResolvedTimeouts, TransferTimeouts } from './transfer.js';

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
 * What the page asks the handler to do, as `authorize` sees it. `fileId` is the id as the page sent it: with a
 * principal that is the bound `id.mac` form, which the handler checks against the principal after `authorize`.
 */
export type KooDriveAction =
  /** createFile: `parentFolder` is the folder the file goes into (the `parentFolder` option when set). */
  | { kind: 'create'; fileName: string; length: number; parentFolder: string }
  /** uploadUrl: presigned URLs for these parts. */
  | { kind: 'sign-part'; fileId: string; partNumbers: number[] }
  /** complete: merge the parts and check the file. */
  | { kind: 'complete'; fileId: string };

/**
 * How the last line of the canonical request is written: `sha256` (the lower-case hex SHA-256 of the body, as
 * Huawei's other signers do; inferred, the KooDrive reference does not say) or `unsigned` (`UNSIGNED-PAYLOAD`).
 */
export type KooDrivePayloadHash = 'sha256' | 'unsigned';

/** Options of {@link createKooDriveHandler}; of the {@link TransferTimeouts}, only `upstreamTimeoutMs` applies. */
export interface KooDriveHandlerOptions extends TransferTimeouts {
  /**
   * The KooDrive access token of the user a request acts for, sent as `Authorization: Bearer+{access_token}`: the
   * token authentication the API reference documents for these calls ("Token authentication is used to call KooDrive
   * APIs … The format is Bearer+{access_token}"), and the handler's default path. A function of the request and the
   * principal `authorize` named; `undefined` when the user has none (401 `unauthenticated`). Give this, or the three
   * app-authentication options below.
   */
  accessToken?: (request: Request, principal: string | undefined) => string | undefined | Promise<string | undefined>;
  /** App authentication (the note's, not in the reference): the KooDrive app's AppId. */
  appId?: string;
  /** App authentication: the app's AppSecret; it signs every call and never leaves the server. */
  appSecret?: string;
  /**
   * App authentication: the KooDrive user the calls act for (`X-User-Id`): one fixed id, or a function of the request
   * and the principal `authorize` named that maps your own user to a KooDrive user and returns `undefined` when there
   * is none (401 `unauthenticated`).
   */
  userId?: string | ((request: Request, principal: string | undefined) => string | undefined | Promise<string | undefined>);
  /**
   * Decides who may do what: `false` refuses (403 `forbidden`), `true` allows, a string allows and names the
   * principal. With a principal every `fileId` the page gets is bound to it (`id.mac`, an HMAC under `secret`), and
   * uploadUrl or complete with an id bound to anyone else gets the same 403 as an id that never existed. Default:
   * everyone may, with no principal.
   */
  authorize?: Authorize<KooDriveAction>;
  /**
   * Keys the binding of file ids to principals: at least 32 characters (32 random bytes, base64), the same on every
   * server behind one load balancer. Required once `authorize` answers a principal: without it such a request is
   * a configuration error (500, details to `onError`).
   */
  secret?: string;
  /** KooDrive's API origin (default {@link KOODRIVE_API_ENDPOINT}); a path after it is kept (an emulator's mount). */
  apiEndpoint?: string;
  /** Path the routes are mounted under, such as `/api/koodrive` (default `''`). */
  basePath?: string;
  /** Page origins allowed to call the routes from another origin (CORS); default none. */
  allowedOrigins?: AllowedOrigins;
  /** Request headers a cross-origin page may send besides `content-type`, `authorization`, `language` and `x-traceid`. */
  allowedHeaders?: string[];
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
  /**
   * Receives unexpected errors and every KooDrive refusal in full ({@link KooDriveUpstreamError}), whose details
   * never reach the page; default `console.error`.
   */
  onError?: (error: unknown) => void;
}

/**
 * What `onError` receives when KooDrive refuses a call or answers something the handler cannot use: the whole
 * answer, which may name internal hosts and signing material (the gateway echoes its canonical request), while the
 * page gets only KooDrive's code.
 */
export class KooDriveUpstreamError extends Error {
  override readonly name = 'KooDriveUpstreamError';

  constructor(
    /** The KooDrive path called. */
    readonly path: string,
    readonly status: number,
    /** The answer's text, URLs cut to origin and path. */
    readonly body: string,
  ) {
    super(`KooDrive answered ${path} with HTTP ${status}: ${body}`);
  }
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
/** A file id as the page holds it: KooDrive's, or KooDrive's bound to a principal (`id.mac`, 23 characters more). */
const PAGE_FILE_ID = /^[A-Za-z0-9_.-]{1,151}$/;
/** KooDrive's business codes (`{code, msg}`) and its API gateway's (`{error_code, error_msg}`). */
const BUSINESS_CODE = /^\d{8}$/;
const GATEWAY_CODE = /^APIGW\.\d{4}$/;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
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

/** How the handler speaks for the user: the reference's user token, or the note's app authentication. */
type Credentials =
  | { kind: 'token'; accessToken: NonNullable<KooDriveHandlerOptions['accessToken']> }
  | { kind: 'app'; appId: string; appSecret: string; userId: NonNullable<KooDriveHandlerOptions['userId']> };

interface HandlerConfig {
  credentials: Credentials;
  authorize: Authorize<KooDriveAction> | undefined;
  binding: UploadBinding | undefined;
  apiEndpoint: string;
  parentFolder: string | undefined;
  maxFileSize: number | undefined;
  payloadHash: KooDrivePayloadHash;
  timeouts: ResolvedTimeouts;
  now: () => number;
  fetch: (request: Request) => Promise<Response>;
  onError: (error: unknown) => void;
}

type Route = keyof typeof KOODRIVE_PATHS;

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) that signs the page's KooDrive upload calls with
 * app authentication and forwards them, so the AppSecret never reaches the browser. Routes, below `basePath`, are
 * KooDrive's own paths, each `POST` with an `application/json` body:
 *
 * - `/koodrive/ose/v1/files/create` (createFile)
 * - `/koodrive/ose/v1/files/multipart/uploadUrl` (part URLs)
 * - `/koodrive/ose/v1/files/complete` (merge and check)
 *
 * The body is checked field by field (only the fields these calls document, with their types and ranges), then
 * `authorize` is asked, then the file id's binding to the principal is checked, and only then is the rebuilt body
 * signed and sent. KooDrive's success answers come back as they are, with `fileId` bound to the principal; its
 * refusals come back as its code only (`{code, msg}` or the gateway's `{error_code, error_msg}`, with a message of
 * the handler's own) and in full to `onError`. The handler's own errors are `{ error: { code, message } }`. Part
 * bytes never pass through here: the page PUTs them to the presigned URLs KooDrive returns.
 *
 * Stateless: a bound id carries its own proof (`id.mac`), so handlers sharing `secret` behind a load balancer serve
 * the same uploads. The page sees the bound id as the file id; the KooDrive id is the part before the last `.`.
 */
export function createKooDriveHandler(options: KooDriveHandlerOptions): FetchHandler {
  const config = resolveConfig(options);
  const basePath = normalizeBasePath('createKooDriveHandler', options.basePath);
  return serve(
    (url) => {
      const route = matchRoute(basePath, url.pathname);
      return route && { POST: (request: Request) => forward(config, route, request) };
    },
    {
      allowedOrigins: options.allowedOrigins,
      allowHeaders: preflightHeaders('createKooDriveHandler', FORWARDED_HEADERS, options.allowedHeaders),
      // Not a CORS-safelisted response header: without this a cross-origin page cannot honour the wait.
      exposeHeaders: ['Retry-After'],
      onError: config.onError,
    },
  );
}

function resolveCredentials(options: KooDriveHandlerOptions): Credentials {
  const app = options.appId !== undefined || options.appSecret !== undefined || options.userId !== undefined;
  if (options.accessToken !== undefined) {
    if (app) throw new TypeError('createKooDriveHandler: give accessToken (user token) or appId/appSecret/userId (app authentication), not both.');
    if (typeof options.accessToken !== 'function') throw new TypeError('createKooDriveHandler: accessToken must be a function.');
    return { kind: 'token', accessToken: options.accessToken };
  }
  if (!options.appId) throw new TypeError('createKooDriveHandler: accessToken is required (or appId, appSecret and userId for app authentication).');
  if (!options.appSecret) throw new TypeError('createKooDriveHandler: appSecret is required.');
  if (typeof options.userId !== 'function' && !isUserId(options.userId)) {
    throw new TypeError('createKooDriveHandler: userId must be a non-empty string or a function.');
  }
  return { kind: 'app', appId: options.appId, appSecret: options.appSecret, userId: options.userId };
}

function resolveConfig(options: KooDriveHandlerOptions): HandlerConfig {
  const credentials = resolveCredentials(options);
  if (options.secret !== undefined) checkSecret('createKooDriveHandler', options.secret);
  const apiEndpoint = (options.apiEndpoint ?? KOODRIVE_API_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(apiEndpoint)) {
    throw new TypeError('createKooDriveHandler: apiEndpoint must be an http(s) origin, optionally with a path.');
  }
  const { maxFileSize } = options;
  if (maxFileSize !== undefined && (!Number.isSafeInteger(maxFileSize) || maxFileSize < 0)) {
    throw new RangeError('createKooDriveHandler: maxFileSize must be a non-negative integer.');
  }
  return {
    credentials,
    authorize: options.authorize,
    binding: options.secret === undefined ? undefined : new UploadBinding(options.secret),
    apiEndpoint,
    parentFolder: options.parentFolder,
    maxFileSize,
    payloadHash: options.payloadHash ?? 'sha256',
    timeouts: resolveTimeouts('createKooDriveHandler', options),
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

function actionOf(route: Route, body: Json): KooDriveAction {
  if (route === 'create') {
    return { kind: 'create', fileName: body.fileName as string, length: body.length as number, parentFolder: (body.parentFolder as string[])[0] as string };
  }
  const fileId = body.fileId as string;
  if (route === 'complete') return { kind: 'complete', fileId };
  return { kind: 'sign-part', fileId, partNumbers: (body.multiParts as Json[]).map((part) => part.partNumber as number) };
}

function bindingFor(config: HandlerConfig): UploadBinding {
  if (!config.binding) {
    throw new TypeError('createKooDriveHandler: authorize answered a principal, so file ids must be bound to it, which needs the secret option.');
  }
  return config.binding;
}

async function forward(config: HandlerConfig, route: Route, request: Request): Promise<Response> {
  const input = await readJsonObject(request, MAX_BODY_BYTES);
  const body = BODY_CHECKS[route](input, config);
  const principal = await principalFor(config.authorize, request, actionOf(route, body));
  const binding = principal === undefined ? undefined : bindingFor(config);
  const pageFileId = route === 'create' ? undefined : (body.fileId as string);
  if (binding && pageFileId !== undefined) {
    // Before any call upstream, so that a foreign id and one that never existed get the very same answer.
    const fileId = await binding.open(principal as string, pageFileId);
    if (fileId === undefined) throw forbidden();
    body.fileId = fileId;
  }
  const authorization = await authorizationFor(config.credentials, request, principal);
  const { status, headers, text } = await call(config, route, request, authorization, JSON.stringify(body));
  const answer = parseObject(text);
  const succeeded =
    status >= 200 && status < 300 && answer !== undefined && answer.error_code === undefined && (answer.code === undefined || String(answer.code) === '0');
  if (!succeeded) return refusal(config, route, status, headers, text, answer);
  if (binding) {
    if (pageFileId !== undefined) {
      if (answer.fileId !== undefined) answer.fileId = pageFileId;
    } else {
      if (typeof answer.fileId !== 'string' || !FILE_ID.test(answer.fileId)) {
        config.onError(new KooDriveUpstreamError(KOODRIVE_PATHS[route], status, redactUrls(text)));
        throw new HttpError(502, ServerErrorCode.BadStorageResponse, 'KooDrive answered without a usable file id.');
      }
      answer.fileId = await binding.bind(principal as string, answer.fileId);
    }
  }
  return new Response(JSON.stringify(answer), { status, headers: answerHeaders(headers) });
}

/** Who a call acts for: the user's token, or the user id app authentication signs. */
type Authorization = { kind: 'token'; token: string } | { kind: 'app'; appId: string; appSecret: string; userId: string };

async function authorizationFor(credentials: Credentials, request: Request, principal: string | undefined): Promise<Authorization> {
  const unauthenticated = () => new HttpError(401, KooDriveHandlerErrorCode.Unauthenticated, 'Sign in before uploading.');
  if (credentials.kind === 'token') {
    const token = await credentials.accessToken(request, principal);
    if (token === undefined) throw unauthenticated();
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) throw new TypeError('createKooDriveHandler: accessToken() returned an invalid token.');
    return { kind: 'token', token };
  }
  const userId = typeof credentials.userId === 'function' ? await credentials.userId(request, principal) : credentials.userId;
  if (userId === undefined) throw unauthenticated();
  if (!isUserId(userId)) throw new TypeError('createKooDriveHandler: userId() returned an invalid user id.');
  return { kind: 'app', appId: credentials.appId, appSecret: credentials.appSecret, userId };
}

/** Signs and sends one call, within the handler's upstream time limit; redirects are answers of their own (502). */
async function call(
  config: HandlerConfig,
  route: Route,
  request: Request,
  authorization: Authorization,
  body: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const url = `${config.apiEndpoint}${KOODRIVE_PATHS[route]}`;
  const signed =
    authorization.kind === 'token'
      ? // The reference's literal form: "Authorization:Bearer+10f88…".
        { Authorization: `Bearer+${authorization.token}` }
      : await signKooDriveRequest({ method: 'POST', url, body, ...authorization, now: config.now(), payloadHash: config.payloadHash });
  const headers = new Headers({ ...signed, 'Content-Type': 'application/json' });
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null && /^[A-Za-z0-9_.-]{1,64}$/.test(value)) headers.set(name, value);
  }
  const signal = upstreamSignal(request, config.timeouts.upstreamTimeoutMs);
  try {
    const upstream = await config.fetch(new Request(url, { method: 'POST', headers, body, signal, redirect: 'manual' }));
    return { status: upstream.status, headers: upstream.headers, text: await upstream.text() };
  } catch (error) {
    const timedOut = upstreamTimedOut(request, signal);
    if (timedOut) throw timedOut;
    if (request.signal.aborted) throw error;
    config.onError(error);
    throw new HttpError(502, ServerErrorCode.StorageUnreachable, 'KooDrive could not be reached.');
  }
}

function parseObject(text: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

function answerHeaders(upstream: Headers): Headers {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  // The page's retry honours the gateway's wait when throttled or when KooDrive is busy.
  const retryAfter = upstream.get('retry-after');
  if (retryAfter !== null) headers.set('retry-after', retryAfter);
  return headers;
}

/**
 * A refusal as the page gets it: KooDrive's documented code and status (and the gateway's request id, for support)
 * with a message of the handler's own, since the gateway's message can echo the internal host, the `X-User-Id` and
 * the canonical request it verified. The whole answer goes to `onError`. Redirects and anything without such a code
 * are 502.
 */
function refusal(config: HandlerConfig, route: Route, status: number, headers: Headers, text: string, answer: Json | undefined): Response {
  config.onError(new KooDriveUpstreamError(KOODRIVE_PATHS[route], status, redactUrls(text)));
  const passable = status >= 200 && !(status >= 300 && status < 400);
  const gatewayCode = answer?.error_code;
  if (passable && typeof gatewayCode === 'string' && GATEWAY_CODE.test(gatewayCode)) {
    const requestId = answer?.request_id;
    const body = {
      error_code: gatewayCode,
      error_msg: gatewayMessage(gatewayCode, answer?.error_msg),
      ...(typeof requestId === 'string' && REQUEST_ID.test(requestId) && { request_id: requestId }),
    };
    return new Response(JSON.stringify(body), { status, headers: answerHeaders(headers) });
  }
  const code = answer?.code;
  if (passable && (typeof code === 'string' || typeof code === 'number') && BUSINESS_CODE.test(String(code))) {
    return new Response(JSON.stringify({ code, msg: `KooDrive refused the call (${code}).` }), { status, headers: answerHeaders(headers) });
  }
  throw new HttpError(502, ServerErrorCode.BadStorageResponse, `KooDrive answered HTTP ${status} with nothing this server can use.`);
}

function gatewayMessage(code: string, upstreamMessage: unknown): string {
  // The adapter reads "expired" here to sign the call again at once rather than fail it.
  if (code === 'APIGW.0303' && typeof upstreamMessage === 'string' && /expired/i.test(upstreamMessage)) {
    return 'The app signature expired.';
  }
  return `KooDrive's API gateway refused the call (${code}).`;
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
  if (typeof value !== 'string' || !PAGE_FILE_ID.test(value)) throw invalid('fileId must be a KooDrive file id.');
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
      // KooDrive uses the first folder only; sending no other keeps what `authorize` saw the whole request.
      parentFolder: [config.parentFolder ?? parentFolder[0]],
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
