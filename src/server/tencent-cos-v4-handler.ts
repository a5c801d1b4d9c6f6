import { corsHeaders, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';

/** The longest lifetime COS v4 accepts for a multi-effect signature (90 days), in seconds. */
export const COS_V4_MAX_SIGNATURE_LIFETIME = 90 * 24 * 3600;

/** The field order every official v4 SDK signs in (`a,k,e,t,r,f,b`, bucket last). */
export const COS_V4_SDK_FIELD_ORDER = ['a', 'k', 'e', 't', 'r', 'f', 'b'] as const;

/** The field order of Tencent's signature page (`a,b,k,e,t,r,f`); it signs to a different value for the same fields. */
export const COS_V4_DOC_FIELD_ORDER = ['a', 'b', 'k', 'e', 't', 'r', 'f'] as const;

/** One field name of a v4 signature. */
export type CosV4SignatureField = (typeof COS_V4_SDK_FIELD_ORDER)[number];

/** The values a v4 signature signs. */
export interface CosV4SignatureInput {
  appId: string;
  bucket: string;
  secretId: string;
  /** `e`, Unix seconds. */
  expiresAt: number;
  /** `t`, Unix seconds. */
  currentTime: number;
  /** `r`, an unsigned decimal of up to 10 digits. */
  rand: number;
  /** `f`: empty for a multi-effect signature valid for the whole bucket, or `/{appid}/{bucket}/{path}` for one file. */
  fileId?: string;
}

/** Options of {@link createCosV4SignatureHandler}. */
export interface CosV4SignatureHandlerOptions {
  appId: string;
  bucket: string;
  secretId: string;
  secretKey: string;
  /** Seconds a signature lives, 1 to 90 days; default 300. Keep it short: until then it is a bearer credential. */
  expiresIn?: number;
  /** Path the route is mounted under: the route is `POST {basePath}/signature` (default `''`). */
  basePath?: string;
  /** Object paths the page may ask a signature for must start with this (default `''`: any). */
  pathPrefix?: string;
  /**
   * Binds each signature to one object (`f=/{appid}/{bucket}/{path}`, as the Python and Java SDKs sign) instead of the
   * whole bucket (`f` empty, the doc's multi-effect signature). Default false. Only a bound signature makes
   * `pathPrefix` a real limit: an unbound one opens the whole bucket until it expires.
   */
  bindToPath?: boolean;
  /** Page origins allowed to call the route (CORS); default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /** The clock in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Receives unexpected errors, whose details never reach the client; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Body of a signature answer: send `signature` as the `Authorization` header (or `sign` query) before `expiresAt`. */
export interface CosV4SignatureResponse {
  signature: string;
  /** Unix seconds. */
  expiresAt: number;
}

const MAX_PATH_LENGTH = 1024;

/** The object path with every segment URL-encoded and `/` kept, as the SDKs write it into URLs and `f`. */
export function encodeCosV4Path(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The signed text, `a=…&k=…&e=…&t=…&r=…&f=…&b=…` in `order` (the SDKs' by default). */
export function cosV4Original(input: CosV4SignatureInput, order: readonly CosV4SignatureField[] = COS_V4_SDK_FIELD_ORDER): string {
  const values: Record<CosV4SignatureField, string> = {
    a: input.appId,
    b: input.bucket,
    k: input.secretId,
    e: String(input.expiresAt),
    t: String(input.currentTime),
    r: String(input.rand),
    f: input.fileId ?? '',
  };
  return order.map((field) => `${field}=${values[field]}`).join('&');
}

/** HMAC-SHA1 of `message` under `key`, with WebCrypto so that it runs in a page and in Node alike. */
export async function hmacSha1(key: string, message: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message)));
}

/** The signature: `Base64(HMAC-SHA1(SecretKey, original) ++ original)`, standard Base64. */
export async function signCosV4(secretKey: string, original: string): Promise<string> {
  const hmac = await hmacSha1(secretKey, original);
  const text = new TextEncoder().encode(original);
  const bytes = new Uint8Array(hmac.byteLength + text.byteLength);
  bytes.set(hmac);
  bytes.set(text, hmac.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function checkPath(value: unknown, prefix: string): string {
  if (typeof value !== 'string' || value === '') throw new HttpError(400, ServerErrorCode.InvalidKey, '`path` must be a non-empty string.');
  const bad =
    value.length > MAX_PATH_LENGTH ||
    value.startsWith('/') ||
    value.includes('\\') ||
    /[\u0000-\u001f\u007f]/.test(value) ||
    value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new HttpError(400, ServerErrorCode.InvalidKey, '`path` is not a valid object path.');
  if (!value.startsWith(prefix)) throw new HttpError(403, ServerErrorCode.KeyOutsidePrefix, `\`path\` must start with "${prefix}".`);
  return value;
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * A Fetch-style handler that gives the page short-lived COS v4 multi-effect signatures (`POST {basePath}/signature`
 * with `{ path }` → `{ signature, expiresAt }`), so the SecretKey stays on your server. Framework-free; mount it in
 * Node with `toNodeListener`, or in any runtime that speaks Fetch.
 */
export function createCosV4SignatureHandler(options: CosV4SignatureHandlerOptions): (request: Request) => Promise<Response> {
  for (const name of ['appId', 'bucket', 'secretId', 'secretKey'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`createCosV4SignatureHandler: ${name} is required.`);
  }
  if (!/^\d+$/.test(options.appId)) throw new TypeError('createCosV4SignatureHandler: appId is a number (such as "1250000000").');
  const expiresIn = options.expiresIn ?? 300;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > COS_V4_MAX_SIGNATURE_LIFETIME) {
    throw new TypeError(`createCosV4SignatureHandler: expiresIn must be an integer from 1 to ${COS_V4_MAX_SIGNATURE_LIFETIME}.`);
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('createCosV4SignatureHandler: basePath must start with "/".');
  const route = `${basePath}/signature`;
  const prefix = options.pathPrefix ?? '';
  const allowedOrigins = options.allowedOrigins ?? '*';
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error(error));

  async function sign(request: Request): Promise<CosV4SignatureResponse> {
    const body = await readJsonObject(request, 4096);
    const path = body['path'] === undefined && !options.bindToPath ? undefined : checkPath(body['path'], prefix);
    const currentTime = Math.floor(now() / 1000);
    const expiresAt = currentTime + expiresIn;
    const original = cosV4Original({
      appId: options.appId,
      bucket: options.bucket,
      secretId: options.secretId,
      expiresAt,
      currentTime,
      rand: randomUint32(),
      fileId: options.bindToPath ? `/${options.appId}/${options.bucket}/${encodeCosV4Path(path!)}` : '',
    });
    return { signature: await signCosV4(options.secretKey, original), expiresAt };
  }

  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== route) {
      return withCors(jsonResponse(new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.').toBody(), 404));
    }
    if (request.method === 'OPTIONS') return preflightResponse(request, allowedOrigins, ['POST', 'OPTIONS']);
    try {
      if (request.method !== 'POST') {
        throw new HttpError(405, ServerErrorCode.MethodNotAllowed, 'This route accepts POST only.', { headers: { allow: 'POST, OPTIONS' } });
      }
      return withCors(jsonResponse(await sign(request)));
    } catch (error) {
      if (error instanceof HttpError) return withCors(jsonResponse(error.toBody(), error.status, error.headers));
      onError(error);
      return withCors(jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500));
    }

    function withCors(response: Response): Response {
      for (const [name, value] of corsHeaders(request, allowedOrigins)) response.headers.set(name, value);
      return response;
    }
  };
}
