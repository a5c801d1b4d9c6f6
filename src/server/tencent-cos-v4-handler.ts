import { directoryPrefix, forbidden, prefixFor, principalFor } from './authorize.js';
import type { Authorize } from './authorize.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, ServerErrorCode } from './http-json.js';
import { normalizeBasePath, preflightHeaders, serve } from './route.js';
import type { FetchHandler } from './route.js';

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

/** What the page asks for, as `authorize` sees it: a signature for the object at `path` inside the bucket. */
export type CosV4Action = { kind: 'sign'; path: string };

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
  /**
   * The directory object paths must be in (`uploads` means `uploads/…`, never `uploads-admin/…`); default `''`, the
   * whole bucket. With a principal, the path must be in that principal's own directory below it
   * (`uploads/{principal}/…`, the principal percent-encoded, dots included).
   */
  pathPrefix?: string;
  /**
   * Signs with an empty `f`: a multi-effect signature for the whole bucket (the doc's form) instead of one bound to
   * the asked object. Default false. Such a signature opens every path of the bucket until it expires, so
   * `pathPrefix` and the principal's directory only limit what the page may ask, not what it can then do.
   */
  allowBucketWide?: boolean;
  /**
   * Deprecated, kept working: `true` is the default now (every signature is bound to its object), and `false`, which
   * used to be the default and asked for the empty `f`, is read as `allowBucketWide: true`.
   */
  bindToPath?: boolean;
  /**
   * Decides who may sign what: `false` refuses (403 `forbidden`), `true` allows, a string allows and names the
   * principal, whose paths must be in its own directory below `pathPrefix`. Default: everyone may, with no principal.
   */
  authorize?: Authorize<CosV4Action>;
  /** Page origins allowed to call the route from another origin (CORS); default none. */
  allowedOrigins?: AllowedOrigins;
  /** Request headers a cross-origin page may send besides `content-type` and `authorization`. */
  allowedHeaders?: string[];
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


function checkPath(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new HttpError(400, ServerErrorCode.InvalidKey, '`path` must be a non-empty string.');
  const bad =
    value.length > MAX_PATH_LENGTH ||
    value.startsWith('/') ||
    value.includes('\\') ||
    /[\u0000-\u001f\u007f]/.test(value) ||
    // A folder's path ends in one "/": the adapter signs `op=create` on it, as COS wants the directory to exist first.
    value.replace(/\/$/, '').split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new HttpError(400, ServerErrorCode.InvalidKey, '`path` is not a valid object path.');
  return value;
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * A Fetch-style handler that gives the page short-lived COS v4 signatures (`POST {basePath}/signature` with an
 * `application/json` body `{ path }` → `{ signature, expiresAt }`), so the SecretKey stays on your server.
 *
 * Every signature is a multi-effect one (the kind slice upload takes: `e` in the future; a one-time signature,
 * `e=0`, is for delete and update only) bound to the one object asked for, `f=/{appid}/{bucket}/{path}` as the
 * Python and Java SDKs sign, under `pathPrefix` and, with a principal, under the principal's own directory; a
 * request without a valid `path` gets 400, never a signature. The adapter asks with the object's path for every
 * call (list, init, slices, finish). `allowBucketWide: true` signs an empty `f` instead, valid for the whole bucket.
 * Framework-free; mount it in Node with `toNodeListener`, or in any runtime that speaks Fetch.
 */
export function createCosV4SignatureHandler(options: CosV4SignatureHandlerOptions): FetchHandler {
  for (const name of ['appId', 'bucket', 'secretId', 'secretKey'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`createCosV4SignatureHandler: ${name} is required.`);
  }
  if (!/^\d+$/.test(options.appId)) throw new TypeError('createCosV4SignatureHandler: appId is a number (such as "1250000000").');
  const expiresIn = options.expiresIn ?? 300;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > COS_V4_MAX_SIGNATURE_LIFETIME) {
    throw new TypeError(`createCosV4SignatureHandler: expiresIn must be an integer from 1 to ${COS_V4_MAX_SIGNATURE_LIFETIME}.`);
  }
  if (options.bindToPath !== undefined && options.bindToPath === options.allowBucketWide) {
    throw new TypeError('createCosV4SignatureHandler: bindToPath and allowBucketWide contradict each other; set allowBucketWide only.');
  }
  const bucketWide = options.allowBucketWide === true || options.bindToPath === false;
  const allowHeaders = preflightHeaders('createCosV4SignatureHandler', [], options.allowedHeaders);
  const route = `${normalizeBasePath('createCosV4SignatureHandler', options.basePath)}/signature`;
  const prefix = directoryPrefix(options.pathPrefix ?? '');
  const now = options.now ?? Date.now;

  async function sign(request: Request): Promise<Response> {
    const body = await readJsonObject(request, 4096);
    const path = checkPath(body['path']);
    const principal = await principalFor(options.authorize, request, { kind: 'sign', path });
    if (!path.startsWith(prefix)) throw new HttpError(403, ServerErrorCode.KeyOutsidePrefix, `\`path\` must start with "${prefix}".`);
    if (!path.startsWith(prefixFor(prefix, principal))) throw forbidden();
    const currentTime = Math.floor(now() / 1000);
    const expiresAt = currentTime + expiresIn;
    const original = cosV4Original({
      appId: options.appId,
      bucket: options.bucket,
      secretId: options.secretId,
      expiresAt,
      currentTime,
      rand: randomUint32(),
      fileId: bucketWide ? '' : `/${options.appId}/${options.bucket}/${encodeCosV4Path(path)}`,
    });
    const answer: CosV4SignatureResponse = { signature: await signCosV4(options.secretKey, original), expiresAt };
    return jsonResponse(answer);
  }

  return serve((url) => (url.pathname === route ? { POST: sign } : undefined), {
    allowedOrigins: options.allowedOrigins,
    allowHeaders,
    onError: options.onError ?? ((error: unknown) => console.error(error)),
  });
}
