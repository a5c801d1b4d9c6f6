import { checkSecret, forbidden, principalFor, UploadBinding } from './authorize.js';
import type { Authorize } from './authorize.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, redactUrls, ServerErrorCode } from './http-json.js';
import { signHuaweiRequest } from './huawei-metastudio-signer.js';
import type { HuaweiAkSk } from './huawei-metastudio-signer.js';
import { normalizeBasePath, serve, UpstreamAnswer } from './route.js';
import type { FetchHandler, RouteMethods } from './route.js';
import { resolveTimeouts, StreamedTransfer, streamingInit, upstreamSignal, upstreamTimedOut } from './transfer.js';
import type { TransferTimeouts } from './transfer.js';
import {
  METASTUDIO_HANDLER_ASSET_TYPES as METASTUDIO_ASSET_TYPES,
  METASTUDIO_HANDLER_FILE_CATEGORIES as METASTUDIO_FILE_CATEGORIES,
  METASTUDIO_HANDLER_MAX_FILE_SIZE as METASTUDIO_MAX_FILE_SIZE,
  METASTUDIO_HANDLER_MAX_FILE_TYPE_LENGTH as METASTUDIO_MAX_FILE_TYPE_LENGTH,
  METASTUDIO_HANDLER_MAX_NAME_LENGTH as METASTUDIO_MAX_NAME_LENGTH,
  metaStudioHandlerContentType as metaStudioContentType,
} from './huawei-metastudio-protocol.js';
import type { MetaStudioConfirmState, MetaStudioCreateFileAnswer, MetaStudioUploadUrlAnswer } from './huawei-metastudio-protocol.js';
import { readXmlError } from '../core/xml-error.js';

/** A name's suffix after its last dot, as MetaStudio's default `file_type`; `''` when there is none. */
function suffixOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1);
}

/** How the handler authenticates to MetaStudio: an IAM token (or a function that fetches one) or an AK/SK pair. */
export type MetaStudioAuth = { token: string | (() => string | Promise<string>) } | HuaweiAkSk;

/** What the handler knows of a file it created: the upload URL never leaves the server unless direct upload is on. */
export interface MetaStudioUploadRecord {
  fileId: string;
  assetId: string;
  uploadUrl: string;
  /** Epoch ms when the upload URL stops working. */
  expiresAt: number;
  fileMd5: string;
  fileSize: number;
  contentType: string;
  /** The principal `authorize` named when the file was created; every later call must come from the same one. */
  principal?: string;
}

/** Where records live when the handler keeps them on the server (the `store` option) instead of sealing them. */
export interface MetaStudioUploadStore {
  get(fileId: string): Promise<MetaStudioUploadRecord | undefined>;
  set(record: MetaStudioUploadRecord): Promise<void>;
  delete(fileId: string): Promise<void>;
}

/**
 * What a page asks for, passed to `authorize` after validation. `fileRef` is the file as the page names it in the
 * route: the `upload_ref` with a `secret`, else the `file_id`. `authorize` runs before the handler looks the file up,
 * so its answer never depends on whether the file exists; the handler itself then checks that the file belongs to
 * the principal.
 */
export type MetaStudioAction =
  | { kind: 'create-asset'; assetName: string; assetType: string }
  | { kind: 'create-file'; assetId: string; fileName: string; fileSize: number; category: (typeof METASTUDIO_FILE_CATEGORIES)[number] }
  | { kind: 'upload-url' | 'upload' | 'delete'; fileRef: string }
  | { kind: 'confirm'; fileRef: string; state: MetaStudioConfirmState };

/** One MetaStudio API call as it went, for logs: MetaStudio asks callers to keep `X-Request-Id`. */
export interface MetaStudioCallLog {
  operation: string;
  status: number;
  requestId: string | null;
}

/** Options of {@link createMetaStudioHandler}. */
export interface MetaStudioHandlerOptions extends TransferTimeouts {
  /** The regional API endpoint, e.g. `https://metastudio.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  /** The Huawei Cloud project id of that region. */
  projectId: string;
  auth: MetaStudioAuth;
  /** Sent as `X-App-UserId` (a third-party user id; no Chinese characters). */
  appUserId?: string;
  /** Path the routes are mounted under, such as `/api/huawei-metastudio` (default `''`). */
  basePath?: string;
  /** Page origins allowed to call the routes from another origin (CORS); default none. */
  allowedOrigins?: AllowedOrigins;
  /** Request headers the page may send cross-origin besides `content-type`, `content-md5` and `authorization`. */
  allowedHeaders?: string[];
  /**
   * Hosts the `upload_url` of CreateFile may point at: a string is an exact host as a URL writes it (`name` or
   * `name:port`), a RegExp is tested against that host (anchor it). The URL must be https, or http on a loopback host
   * (local emulators). Default: Huawei Cloud OBS, `obs.<region>.myhuaweicloud.com` and
   * `<bucket>.obs.<region>.myhuaweicloud.com`. Any other URL is neither fetched nor handed out: the page gets 502,
   * `onError` the details.
   */
  allowedUploadHosts?: (string | RegExp)[];
  /** Hand the upload URL to the page for a direct PUT (`GET files/{ref}/upload-url`); default `true`. */
  allowDirectUpload?: boolean;
  /** Largest `file_size` accepted, at most (and by default) 5 GiB. */
  maxFileSize?: number;
  /**
   * At least 32 random characters. With it the handler keeps no state: each file's record (upload URL included) is
   * sealed (AES-256-GCM) into the `upload_ref` the page names the file by, bound to the principal and expiring a day
   * after the upload URL. Every handler instance with the same secret serves the same uploads. Use this in
   * production; it cannot be combined with `store`.
   */
  secret?: string;
  /**
   * Where file records live between calls, for records kept on the server (a shared database); the page then names
   * files by `file_id`. Without `secret` or `store`, records live in this process's memory: one instance only, and a
   * restart forgets uploads in progress.
   */
  store?: MetaStudioUploadStore;
  /**
   * Decides whether this request may do this (your session check): `false` answers 403, `true` allows, a string
   * allows and names the principal every file it creates is bound to. Default: allow, with no principal.
   */
  authorize?: Authorize<MetaStudioAction>;
  /** Sends the calls to MetaStudio and OBS; default the global `fetch`. */
  fetch?: typeof fetch;
  /** The clock, for expiry and `X-Sdk-Date`; default `Date.now`. */
  now?: () => number;
  /** Receives every MetaStudio call's operation, status and `X-Request-Id`. */
  onCall?: (call: MetaStudioCallLog) => void;
  /** Receives unexpected errors and upstream details, which never reach the client; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** The stable codes of the handler's own errors, besides those of `ServerErrorCode`. */
export const MetaStudioHandlerErrorCode = {
  /** The file id is not one this handler's store knows (or it forgot it: restart, expiry). */
  UnknownFile: 'unknown-file',
  /** The upload URL's 24 hours are over; create a new file. */
  UploadExpired: 'upload-expired',
  /** `authorize` said no, the file belongs to another principal or its ref is not valid, or direct upload is off. */
  Forbidden: 'forbidden',
  /** A field of the request is missing or outside MetaStudio's documented rules. */
  InvalidField: 'invalid-field',
  /** The PUT's Content-MD5, Content-Type or length differ from what the file was created with. */
  HeadersMismatch: 'headers-mismatch',
  /** MetaStudio or OBS could not be reached. */
  UpstreamUnreachable: 'upstream-unreachable',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_JSON_BYTES = 16 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
// A sealed record is about 1 KB of base64url; anything far longer is not one.
const SEALED_REF = /^[A-Za-z0-9_-]{1,4096}$/;
const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROLS = /[\u0000-\u001f\u007f]/g;
const PROVIDER_CODE = /^[A-Za-z0-9._-]{1,64}$/;
const TOKEN_EXPIRED = new Set(['APIGW.0307', 'MSS.00010008']);
// The documented OBS endpoints, path-style and virtual-hosted.
const OBS_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*obs\.[a-z0-9-]+\.myhuaweicloud\.com$/;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
// Where an upstream message might name a server: URLs, IPv4 addresses, host:port and names of three or more labels.
const NAMES_A_HOST = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'<>]*|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\b[a-z\d-]+(?:\.[a-z\d-]+)*:\d{2,5}\b|\b[a-z\d-]+(?:\.[a-z\d-]+){2,}\b/gi;

/** How often the in-memory store drops expired records: one pass per interval keeps each insert constant-time. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * An in-memory {@link MetaStudioUploadStore} that forgets records a day after their upload URL expired. It serves one
 * process only: behind a load balancer, use the handler's `secret` instead.
 */
export function memoryUploadStore(now: () => number = Date.now): MetaStudioUploadStore {
  const records = new Map<string, MetaStudioUploadRecord>();
  const stale = (record: MetaStudioUploadRecord) => record.expiresAt + DAY_MS < now();
  let nextSweep = now() + SWEEP_INTERVAL_MS;
  return {
    async get(fileId) {
      const record = records.get(fileId);
      if (!record || !stale(record)) return record;
      records.delete(fileId);
      return undefined;
    },
    async set(record) {
      if (now() >= nextSweep) {
        nextSweep = now() + SWEEP_INTERVAL_MS;
        for (const [id, old] of records) if (stale(old)) records.delete(id);
      }
      records.set(record.fileId, record);
    },
    async delete(fileId) {
      records.delete(fileId);
    },
  };
}

function invalid(field: string, rule: string): HttpError {
  return new HttpError(400, MetaStudioHandlerErrorCode.InvalidField, `${field} ${rule}.`);
}

function text(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const length = [...value].length;
  if (length < min || length > max) throw invalid(field, `must have ${min}–${max} characters`);
  if (CONTROL.test(value)) throw invalid(field, 'must not contain control characters');
  return value;
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) throw invalid(field, 'must be 1–64 letters, digits, "-" or "_"');
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The upload URL's own `Expires` (OBS, unix seconds) when it has one, else 24 h from now as documented. */
function expiryOf(uploadUrl: URL, now: number): number {
  const expires = Number(uploadUrl.searchParams.get('Expires'));
  return Number.isFinite(expires) && expires > 0 ? expires * 1000 : now + DAY_MS;
}

/** An upstream message without anything that names a server, for the page. */
function scrub(message: string): string {
  return message.replace(NAMES_A_HOST, '[host]').replace(CONTROLS, ' ').slice(0, 300);
}

function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function badStorage(message: string): HttpError {
  return new HttpError(502, ServerErrorCode.BadStorageResponse, message);
}

function isRecord(value: unknown): value is MetaStudioUploadRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.fileId === 'string' &&
    typeof record.assetId === 'string' &&
    typeof record.uploadUrl === 'string' &&
    typeof record.fileMd5 === 'string' &&
    typeof record.contentType === 'string' &&
    Number.isSafeInteger(record.fileSize) &&
    Number.isFinite(record.expiresAt)
  );
}

/** How the page names a file and how the handler gets its record back, bound to the principal that created it. */
interface UploadRecords {
  /** Keeps `record` for `principal`; answers the `upload_ref` the page must use, or `undefined` for the file id. */
  issue(record: MetaStudioUploadRecord, principal: string | undefined): Promise<string | undefined>;
  /** The record `fileRef` names, when it belongs to `principal`; otherwise throws 403 (or 404 for a store's unknown id). */
  resolve(fileRef: string, principal: string | undefined): Promise<MetaStudioUploadRecord>;
  forget(record: MetaStudioUploadRecord): Promise<void>;
}

/**
 * Records sealed into the ref itself: a forged, altered, expired or foreign ref fails to open, and all of them get the
 * same 403, so the answer never says whether a file exists or whose it is. Refs outlive their upload URL by a day so
 * that a page can still cancel or delete a file whose URL expired.
 */
function sealedRecords(secret: string, now: () => number): UploadRecords {
  const binding = new UploadBinding(secret);
  return {
    async issue(record, principal) {
      return binding.seal(record, principal ?? '', record.expiresAt + DAY_MS);
    },
    async resolve(fileRef, principal) {
      const record = SEALED_REF.test(fileRef) ? await binding.unseal(fileRef, principal ?? '', now()) : undefined;
      if (!isRecord(record)) throw forbidden();
      return record;
    },
    async forget() {},
  };
}

/** Records kept in a store under their file id, each with its owner. */
function storedRecords(store: MetaStudioUploadStore): UploadRecords {
  return {
    async issue(record, principal) {
      await store.set(principal === undefined ? record : { ...record, principal });
      return undefined;
    },
    async resolve(fileRef, principal) {
      const record = ID.test(fileRef) ? await store.get(fileRef) : undefined;
      if (!record) throw new HttpError(404, MetaStudioHandlerErrorCode.UnknownFile, 'No upload with this file id is known here.');
      if (record.principal !== principal) throw forbidden();
      return record;
    },
    async forget(record) {
      await store.delete(record.fileId);
    },
  };
}

function uploadHostMatcher(allowed: (string | RegExp)[] | undefined): (url: URL) => boolean {
  const hosts = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of allowed ?? [OBS_HOST]) {
    if (entry instanceof RegExp) {
      // A global or sticky RegExp keeps its lastIndex between tests and would answer differently each time.
      patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')));
      continue;
    }
    const parsed = URL.canParse(`https://${entry}`) ? new URL(`https://${entry}`) : undefined;
    // Only a name and a port: a path, query or user name would make the entry mean something it does not.
    if (!parsed || parsed.href !== `https://${parsed.host}/`) {
      throw new TypeError(`createMetaStudioHandler: allowedUploadHosts entry "${entry}" is not a host (name or name:port).`);
    }
    hosts.add(parsed.host);
  }
  return (url) => {
    if (url.username !== '' || url.password !== '') return false;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) return false;
    return hosts.has(url.host) || patterns.some((pattern) => pattern.test(url.host));
  };
}

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) for Huawei Cloud MetaStudio asset uploads, holding
 * the IAM token or AK/SK so the page never sees them. Routes under `basePath`:
 *
 * - `POST /assets` `{ asset_name, asset_type, asset_description?, tags? }` → `{ asset_id }` (CreateDigitalAsset)
 * - `POST /files` `{ file_name, file_md5, file_size, file_type, asset_id, asset_file_category }`
 *   → `{ file_id, asset_id, content_type, expires_at, upload_ref? }` (CreateFile; the upload URL stays here, sealed
 *   into `upload_ref` with a `secret`)
 * - `PUT /files/{ref}/content` with `Content-MD5` and `Content-Type`: streamed to the upload URL (proxy mode), never
 *   more than `file_size` bytes, with idle and total time limits; OBS's answer is passed through
 * - `GET /files/{ref}/upload-url` → `{ upload_url, expires_at, headers }` (direct mode, when `allowDirectUpload`)
 * - `POST /files/{ref}/complete` `{ state, auto_meta_analysis? }` → `{}` (ConfirmFileUpload)
 * - `DELETE /files/{ref}` → `{}` (DeleteFile)
 *
 * `{ref}` is the `upload_ref` with a `secret`, else the `file_id`. Only files this handler created, for the same
 * principal, can be uploaded, confirmed or deleted. MetaStudio's errors reach the page as
 * `{ error_code, error_msg, request_id }` with MetaStudio's status (5xx as 502) and nothing that names a server; the
 * handler's own as `{ error: { code, message } }`. An expired IAM token from a token function is fetched again once
 * per call.
 */
export function createMetaStudioHandler(options: MetaStudioHandlerOptions): FetchHandler {
  const factory = 'createMetaStudioHandler';
  const endpoint = options.endpoint.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new TypeError(`${factory}: endpoint must be an http(s) URL.`);
  const projectId = options.projectId;
  if (!ID.test(projectId)) throw new TypeError(`${factory}: projectId must be 1–64 letters, digits, "-" or "_".`);
  const basePath = normalizeBasePath(factory, options.basePath);
  if (options.appUserId !== undefined && (options.appUserId === '' || /[\u3400-\u9fff\uf900-\ufaff]/.test(options.appUserId))) {
    throw new TypeError(`${factory}: appUserId must be a non-empty id without Chinese characters.`);
  }
  if (options.secret !== undefined && options.store !== undefined) {
    throw new TypeError(`${factory}: set either secret (records travel sealed with the page) or store (records kept on the server), not both.`);
  }
  if (options.secret !== undefined) checkSecret(factory, options.secret);
  const timeouts = resolveTimeouts(factory, options);
  const uploadUrlAllowed = uploadHostMatcher(options.allowedUploadHosts);
  const maxFileSize = Math.min(options.maxFileSize ?? METASTUDIO_MAX_FILE_SIZE, METASTUDIO_MAX_FILE_SIZE);
  const now = options.now ?? Date.now;
  const uploads =
    options.secret !== undefined ? sealedRecords(options.secret, now) : storedRecords(options.store ?? memoryUploadStore(now));
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const auth = options.auth;
  let pendingToken: Promise<string> | undefined;

  function token(fetchToken: () => string | Promise<string>): Promise<string> {
    // One fetch shared by concurrent calls; a failed one is not kept, so the next call tries again.
    pendingToken ??= Promise.resolve()
      .then(fetchToken)
      .then((value) => {
        if (typeof value !== 'string' || value === '') throw new TypeError(`${factory}: auth.token() must resolve to a non-empty string.`);
        return value;
      })
      .catch((error: unknown) => {
        pendingToken = undefined;
        throw error;
      });
    return pendingToken;
  }

  async function authHeaders(method: string, url: string, headers: Record<string, string>, body: string | undefined) {
    if ('token' in auth) {
      const value = typeof auth.token === 'string' ? auth.token : await token(auth.token);
      return { ...headers, 'X-Auth-Token': value };
    }
    return signHuaweiRequest({ method, url, headers, date: new Date(now()), ...(body !== undefined && { body }) }, auth);
  }

  /** The 502 for an upstream that gave no HTTP answer; why goes to `onError`. */
  function unreachable(what: string, error: unknown): HttpError {
    onError(new Error(`${factory}: ${what} failed`, { cause: error }));
    return new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, `${what} could not be reached.`);
  }

  /** One MetaStudio API call, bounded by `upstreamTimeoutMs`; its error answer is thrown to be passed through. */
  async function call(operation: string, method: string, path: string, body: unknown, request: Request): Promise<{ json: unknown; requestId: string | null }> {
    const url = `${endpoint}/v1/${projectId}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const base: Record<string, string> = {
      ...(payload !== undefined && { 'Content-Type': 'application/json' }),
      ...(options.appUserId !== undefined && { 'X-App-UserId': options.appUserId }),
    };
    const signal = upstreamSignal(request, timeouts.upstreamTimeoutMs);
    for (let attempt = 0; ; attempt++) {
      // Outside the try: a failing token function is the server's own fault, for onError and a bare 500.
      const headers = await authHeaders(method, url, base, payload);
      let response: Response;
      let raw: string;
      try {
        // A redirect would carry X-Auth-Token to wherever it points: never follow one.
        response = await send(url, { method, headers, body: payload ?? null, signal, redirect: 'manual' });
        raw = await response.text();
      } catch (error) {
        throw upstreamTimedOut(request, signal) ?? (request.signal.aborted ? error : unreachable(`MetaStudio (${operation})`, error));
      }
      const requestId = response.headers.get('X-Request-Id');
      options.onCall?.({ operation, status: response.status, requestId });
      if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
        onError(new Error(`${factory}: MetaStudio answered ${operation} with a redirect (HTTP ${response.status}).`));
        throw badStorage(`MetaStudio answered ${operation} with something unusable.`);
      }
      let json: unknown;
      try {
        json = raw === '' ? {} : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      if (response.ok) {
        if (json === undefined) {
          onError(new Error(`${factory}: MetaStudio answered ${operation} with something other than JSON: ${redactUrls(raw.slice(0, 200))}`));
          throw badStorage(`MetaStudio answered ${operation} with something unusable.`);
        }
        return { json, requestId };
      }
      const errorCode = (json as { error_code?: unknown } | undefined)?.error_code;
      // A token from a function may have run out: fetch a new one once, as the page could not.
      if (attempt === 0 && 'token' in auth && typeof auth.token === 'function' && typeof errorCode === 'string' && TOKEN_EXPIRED.has(errorCode)) {
        pendingToken = undefined;
        continue;
      }
      throw new UpstreamAnswer(passThrough(operation, response.status, json, raw, requestId));
    }
  }

  /** MetaStudio's own error shape, keeping only its code, a message that names no server, and the request id. */
  function passThrough(operation: string, status: number, json: unknown, raw: string, requestId: string | null): Response {
    const { error_code: code, error_msg: message } = (json ?? {}) as { error_code?: unknown; error_msg?: unknown };
    const known = typeof code === 'string' && PROVIDER_CODE.test(code);
    const said = known && typeof message === 'string' ? scrub(message) : `MetaStudio answered HTTP ${status}.`;
    if (!known || said !== message) {
      onError(new Error(`${factory}: MetaStudio answered ${operation} with HTTP ${status}: ${redactUrls(raw.slice(0, 500))}`));
    }
    const shaped = { error_code: known ? code : `HTTP.${status}`, error_msg: said, ...(requestId !== null && { request_id: requestId }) };
    return jsonResponse(shaped, status >= 500 ? 502 : status, requestHeader(requestId));
  }

  function live(record: MetaStudioUploadRecord): void {
    if (now() >= record.expiresAt) {
      throw new HttpError(410, MetaStudioHandlerErrorCode.UploadExpired, 'The upload URL of this file expired; create a new file.');
    }
  }

  async function createAsset(request: Request): Promise<Response> {
    const input = await readJsonObject(request, MAX_JSON_BYTES);
    const assetName = text(input.asset_name, 'asset_name', 1, 128);
    const assetType = oneOf(input.asset_type, 'asset_type', METASTUDIO_ASSET_TYPES);
    const body: Record<string, unknown> = { asset_name: assetName, asset_type: assetType };
    if (input.asset_description !== undefined) body.asset_description = text(input.asset_description, 'asset_description', 0, 1024);
    if (input.tags !== undefined) {
      if (!Array.isArray(input.tags) || input.tags.length > 20) throw invalid('tags', 'must be an array of at most 20 strings');
      body.tags = input.tags.map((tag, i) => text(tag, `tags[${i}]`, 1, 64));
    }
    await principalFor(options.authorize, request, { kind: 'create-asset', assetName, assetType });
    const { json, requestId } = await call('CreateDigitalAsset', 'POST', '/digital-assets', body, request);
    const assetId = (json as { asset_id?: unknown }).asset_id;
    if (typeof assetId !== 'string' || !ID.test(assetId)) {
      onError(new Error(`${factory}: CreateDigitalAsset answered without a usable asset_id.`));
      throw badStorage('CreateDigitalAsset answered without an asset_id.');
    }
    return jsonResponse({ asset_id: assetId }, 200, requestHeader(requestId));
  }

  async function createFile(request: Request): Promise<Response> {
    const input = await readJsonObject(request, MAX_JSON_BYTES);
    const fileName = text(input.file_name, 'file_name', 1, METASTUDIO_MAX_NAME_LENGTH);
    if (typeof input.file_md5 !== 'string' || !MD5_BASE64.test(input.file_md5)) {
      throw invalid('file_md5', 'must be the Base64 of a 16-byte MD5 (24 characters, RFC 1864)');
    }
    const fileMd5 = input.file_md5;
    const fileSize = input.file_size;
    if (typeof fileSize !== 'number' || !Number.isSafeInteger(fileSize) || fileSize < 1) throw invalid('file_size', 'must be a positive integer');
    if (fileSize > maxFileSize) throw new HttpError(413, ServerErrorCode.FileTooLarge, `file_size is over the ${maxFileSize} bytes allowed.`);
    // file_type is optional: CreateFile's "默认取值" for it is the file name's suffix, so MetaStudio decides without one.
    const fileType = input.file_type === undefined ? suffixOf(fileName) : text(input.file_type, 'file_type', 1, METASTUDIO_MAX_FILE_TYPE_LENGTH);
    if (/[/\\?#]/.test(fileType)) throw invalid('file_type', 'must not contain "/", "\\", "?" or "#"');
    const assetId = id(input.asset_id, 'asset_id');
    const category = oneOf(input.asset_file_category, 'asset_file_category', METASTUDIO_FILE_CATEGORIES);
    const principal = await principalFor(options.authorize, request, { kind: 'create-file', assetId, fileName, fileSize, category });
    const body = {
      file_name: fileName,
      file_md5: fileMd5,
      file_size: fileSize,
      ...(input.file_type !== undefined && { file_type: fileType }),
      asset_id: assetId,
      asset_file_category: category,
    };
    const { json, requestId } = await call('CreateFile', 'POST', '/files', body, request);
    const { file_id: fileId, upload_url: uploadUrl } = json as { file_id?: unknown; upload_url?: unknown };
    const target = typeof uploadUrl === 'string' && URL.canParse(uploadUrl) ? new URL(uploadUrl) : undefined;
    if (typeof fileId !== 'string' || !ID.test(fileId) || !target) {
      onError(new Error(`${factory}: CreateFile answered without a usable file_id and upload_url.`));
      throw badStorage('CreateFile answered without a usable file_id and upload_url.');
    }
    // The bytes go wherever this URL points, in proxy mode from inside the user's network: only to allowed hosts.
    if (!uploadUrlAllowed(target)) {
      onError(new Error(`${factory}: CreateFile answered an upload URL at ${target.origin}, which allowedUploadHosts does not allow.`));
      throw badStorage('MetaStudio answered an upload URL this server does not allow.');
    }
    const record: MetaStudioUploadRecord = {
      fileId,
      assetId,
      uploadUrl: target.href,
      expiresAt: expiryOf(target, now()),
      fileMd5,
      fileSize,
      contentType: metaStudioContentType(fileType),
    };
    const uploadRef = await uploads.issue(record, principal);
    const answer: MetaStudioCreateFileAnswer = {
      file_id: fileId,
      asset_id: assetId,
      content_type: record.contentType,
      expires_at: record.expiresAt,
      ...(uploadRef !== undefined && { upload_ref: uploadRef }),
    };
    return jsonResponse(answer, 200, requestHeader(requestId));
  }

  async function uploadUrl(request: Request, fileRef: string): Promise<Response> {
    if (options.allowDirectUpload === false) {
      throw new HttpError(403, MetaStudioHandlerErrorCode.Forbidden, 'Direct upload is off: PUT the file to files/{ref}/content.');
    }
    const principal = await principalFor(options.authorize, request, { kind: 'upload-url', fileRef });
    const record = await uploads.resolve(fileRef, principal);
    live(record);
    const answer: MetaStudioUploadUrlAnswer = {
      upload_url: record.uploadUrl,
      expires_at: record.expiresAt,
      headers: { 'Content-MD5': record.fileMd5, 'Content-Type': record.contentType },
    };
    return jsonResponse(answer);
  }

  async function upload(request: Request, fileRef: string): Promise<Response> {
    const principal = await principalFor(options.authorize, request, { kind: 'upload', fileRef });
    const record = await uploads.resolve(fileRef, principal);
    live(record);
    const md5 = request.headers.get('content-md5');
    const type = request.headers.get('content-type');
    if (md5 !== record.fileMd5 || type !== record.contentType) {
      throw new HttpError(400, MetaStudioHandlerErrorCode.HeadersMismatch, `The PUT must carry Content-MD5 ${record.fileMd5} and Content-Type ${record.contentType}, as the file was created with.`);
    }
    const length = request.headers.get('content-length');
    if (length !== null && Number(length) > record.fileSize) throw tooLong(record.fileSize);
    if (length !== null && Number(length) !== record.fileSize) throw shortBody(Number(length), record.fileSize);
    if (!request.body) throw shortBody(0, record.fileSize);
    const transfer = new StreamedTransfer(request, timeouts);
    let refusal: HttpError | undefined;
    const body = exactly(transfer.guard(request.body), record.fileSize, (error) => (refusal ??= error));
    let response: Response;
    let answered: string;
    try {
      const headers = { 'Content-MD5': md5, 'Content-Type': type, 'Content-Length': String(record.fileSize) };
      response = await send(record.uploadUrl, streamingInit({ method: 'PUT', headers, body, signal: transfer.signal }));
      answered = await response.text();
    } catch (error) {
      throw refusal ?? transfer.failure() ?? (request.signal.aborted ? error : unreachable('The upload to OBS', error));
    } finally {
      transfer.finish();
    }
    if (refusal) throw refusal;
    return obsAnswer(response, answered);
  }

  /** OBS's answer to the PUT, keeping only what the page needs: status, ETag, request id and the error code. */
  function obsAnswer(response: Response, answered: string): Response {
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      onError(new Error(`${factory}: OBS answered the PUT with a redirect (HTTP ${response.status}).`));
      throw badStorage('The storage answered the upload with a redirect.');
    }
    const headers = new Headers({ 'cache-control': 'no-store' });
    // Retry-After tells the page how long OBS asked it to wait.
    for (const name of ['etag', 'x-obs-request-id', 'retry-after']) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const status = response.status >= 500 ? 502 : response.status;
    if (response.ok) return new Response(null, { status, headers });
    const detail = readXmlError(answered);
    if (!detail || !PROVIDER_CODE.test(detail.code)) {
      onError(new Error(`${factory}: OBS answered the PUT with HTTP ${response.status}: ${redactUrls(answered.slice(0, 500))}`));
      throw new HttpError(status, ServerErrorCode.BadStorageResponse, `The storage refused the upload (HTTP ${response.status}).`);
    }
    const message = detail.message === undefined ? '' : scrub(detail.message);
    const requestId = detail.requestId === undefined ? '' : `<RequestId>${xmlEscape(scrub(detail.requestId))}</RequestId>`;
    headers.set('content-type', 'application/xml');
    return new Response(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${detail.code}</Code><Message>${xmlEscape(message)}</Message>${requestId}</Error>`, {
      status,
      headers,
    });
  }

  async function confirm(request: Request, fileRef: string): Promise<Response> {
    const input = await readJsonObject(request, MAX_JSON_BYTES);
    const state = oneOf(input.state, 'state', ['CREATED', 'FAILED', 'CANCELLED'] as const);
    if (input.auto_meta_analysis !== undefined && typeof input.auto_meta_analysis !== 'boolean') throw invalid('auto_meta_analysis', 'must be a boolean');
    const principal = await principalFor(options.authorize, request, { kind: 'confirm', fileRef, state });
    const record = await uploads.resolve(fileRef, principal);
    const body = { state, ...(input.auto_meta_analysis !== undefined && { auto_meta_analysis: input.auto_meta_analysis }) };
    const { requestId } = await call('ConfirmFileUpload', 'POST', `/files/${record.fileId}/complete`, body, request);
    return jsonResponse({}, 200, requestHeader(requestId));
  }

  async function remove(request: Request, fileRef: string): Promise<Response> {
    const principal = await principalFor(options.authorize, request, { kind: 'delete', fileRef });
    const record = await uploads.resolve(fileRef, principal);
    const { requestId } = await call('DeleteFile', 'DELETE', `/files/${record.fileId}`, undefined, request);
    await uploads.forget(record);
    return jsonResponse({}, 200, requestHeader(requestId));
  }

  function route(pathname: string): RouteMethods | undefined {
    if (!pathname.startsWith(`${basePath}/`)) return undefined;
    const segments = pathname.slice(basePath.length + 1).split('/');
    const [resource, fileRef, action, ...extra] = segments;
    if (extra.length > 0 || segments.some((segment) => segment === '')) return undefined;
    if (resource === 'assets' && fileRef === undefined) return { POST: createAsset };
    if (resource !== 'files') return undefined;
    if (fileRef === undefined) return { POST: createFile };
    if (action === undefined) return { DELETE: (request) => remove(request, fileRef) };
    if (action === 'content') return { PUT: (request) => upload(request, fileRef) };
    if (action === 'upload-url') return { GET: (request) => uploadUrl(request, fileRef) };
    if (action === 'complete') return { POST: (request) => confirm(request, fileRef) };
    return undefined;
  }

  return serve((url) => route(url.pathname), {
    allowedOrigins: options.allowedOrigins,
    allowHeaders: ['content-type', 'content-md5', 'authorization', ...(options.allowedHeaders ?? []).map((name) => name.toLowerCase())],
    exposeHeaders: ['ETag', 'X-Request-Id', 'x-obs-request-id', 'Retry-After'],
    onError,
  });
}

function requestHeader(requestId: string | null): Record<string, string> | undefined {
  return requestId === null ? undefined : { 'X-Request-Id': requestId };
}

function tooLong(size: number): HttpError {
  return new HttpError(413, ServerErrorCode.BodyTooLarge, `The body is longer than the ${size} bytes the file was created with.`);
}

function shortBody(received: number, size: number): HttpError {
  return new HttpError(400, MetaStudioHandlerErrorCode.HeadersMismatch, `The body has ${received} bytes; the file was created with ${size}.`);
}

/**
 * `body` passed through lazily while it keeps to exactly `size` bytes: the chunk that would go past `size` is never
 * passed on, and an early end is refused too (OBS would otherwise store a short object under a signed length).
 */
function exactly(body: ReadableStream<Uint8Array>, size: number, refuse: (error: HttpError) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let received = 0;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: HttpError) => {
    refuse(error);
    void reader.cancel(error).catch(() => undefined);
    controller.error(error);
  };
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const { done, value } = await reader.read();
        if (done) {
          if (received === size) controller.close();
          else fail(controller, shortBody(received, size));
          return;
        }
        received += value.byteLength;
        if (received > size) fail(controller, tooLong(size));
        else controller.enqueue(value);
      },
      // Never rejects (see StreamedTransfer.guard): undici's fetch would rethrow it as an unhandled rejection.
      cancel: (reason) => reader.cancel(reason).catch(() => undefined),
    },
    { highWaterMark: 0 },
  );
}
