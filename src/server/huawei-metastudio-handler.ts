import { corsHeaders, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, readJsonObject, redactUrls, ServerErrorCode } from './http-json.js';
import { signHuaweiRequest } from './huawei-metastudio-signer.js';
import type { HuaweiAkSk } from './huawei-metastudio-signer.js';
import {
  METASTUDIO_ASSET_TYPES,
  METASTUDIO_FILE_CATEGORIES,
  METASTUDIO_MAX_FILE_SIZE,
  METASTUDIO_MAX_FILE_TYPE_LENGTH,
  METASTUDIO_MAX_NAME_LENGTH,
  metaStudioContentType,
} from '../providers/huawei-metastudio.js';
import type {
  MetaStudioConfirmState,
  MetaStudioCreateFileAnswer,
  MetaStudioFileCategory,
  MetaStudioUploadUrlAnswer,
} from '../providers/huawei-metastudio.js';

/** How the handler authenticates to MetaStudio: an IAM token (or a function that fetches one) or an AK/SK pair. */
export type MetaStudioAuth = { token: string | (() => string | Promise<string>) } | HuaweiAkSk;

/** What the handler remembers of a file it created: the upload URL never leaves the server unless direct upload is on. */
export interface MetaStudioUploadRecord {
  fileId: string;
  assetId: string;
  uploadUrl: string;
  /** Epoch ms when the upload URL stops working. */
  expiresAt: number;
  fileMd5: string;
  fileSize: number;
  contentType: string;
  /** True once a proxied PUT succeeded. */
  uploaded: boolean;
}

/** Where records live; the default is this process's memory, so a restart forgets uploads in progress. */
export interface MetaStudioUploadStore {
  get(fileId: string): Promise<MetaStudioUploadRecord | undefined>;
  set(record: MetaStudioUploadRecord): Promise<void>;
  delete(fileId: string): Promise<void>;
}

/** What a page asks for, passed to `authorize` after validation. */
export type MetaStudioAction =
  | { kind: 'create-asset'; assetName: string; assetType: string }
  | { kind: 'create-file'; assetId: string; fileName: string; fileSize: number; category: MetaStudioFileCategory }
  | { kind: 'upload-url' | 'upload' | 'delete'; fileId: string }
  | { kind: 'confirm'; fileId: string; state: MetaStudioConfirmState };

/** One MetaStudio API call as it went, for logs: MetaStudio asks callers to keep `X-Request-Id`. */
export interface MetaStudioCallLog {
  operation: string;
  status: number;
  requestId: string | null;
}

/** Options of {@link createMetaStudioHandler}. */
export interface MetaStudioHandlerOptions {
  /** The regional API endpoint, e.g. `https://metastudio.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  /** The Huawei Cloud project id of that region. */
  projectId: string;
  auth: MetaStudioAuth;
  /** Sent as `X-App-UserId` (a third-party user id; no Chinese characters). */
  appUserId?: string;
  /** Path the routes are mounted under, such as `/api/huawei-metastudio` (default `''`). */
  basePath?: string;
  /** Page origins allowed to call the routes (CORS); default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /** Hand the upload URL to the page for a direct PUT (`GET files/{id}/upload-url`); default `true`. */
  allowDirectUpload?: boolean;
  /** Largest `file_size` accepted, at most (and by default) 5 GiB. */
  maxFileSize?: number;
  /** Where file records live between calls; default in memory. */
  store?: MetaStudioUploadStore;
  /** Decides whether this request may do this (your session check); a `false` answers 403. Default: allow. */
  authorize?: (request: Request, action: MetaStudioAction) => boolean | Promise<boolean>;
  /** Sends the calls to MetaStudio and OBS; default the global `fetch`. */
  fetch?: typeof fetch;
  /** The clock, for expiry and `X-Sdk-Date`; default `Date.now`. */
  now?: () => number;
  /** Receives every MetaStudio call's operation, status and `X-Request-Id`. */
  onCall?: (call: MetaStudioCallLog) => void;
  /** Receives unexpected errors, whose details never reach the client; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** The stable codes of the handler's own errors, besides those of `ServerErrorCode`. */
export const MetaStudioHandlerErrorCode = {
  /** The file id is not one this handler created (or it forgot it: restart, expiry). */
  UnknownFile: 'unknown-file',
  /** The upload URL's 24 hours are over; create a new file. */
  UploadExpired: 'upload-expired',
  /** `authorize` said no, or direct upload is off. */
  Forbidden: 'forbidden',
  /** A field of the request is missing or outside MetaStudio's documented rules. */
  InvalidField: 'invalid-field',
  /** The PUT's Content-MD5, Content-Type or length differ from what the file was created with. */
  HeadersMismatch: 'headers-mismatch',
  /** MetaStudio or OBS could not be reached, or answered something unusable. */
  UpstreamUnreachable: 'upstream-unreachable',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_JSON_BYTES = 16 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const TOKEN_EXPIRED = new Set(['APIGW.0307', 'MSS.00010008']);
const EXPOSED_HEADERS = 'ETag, X-Request-Id, x-obs-request-id';

/** A MetaStudio or OBS answer that is passed to the page as it came (its code is what the adapter maps). */
class UpstreamAnswer extends Error {
  override readonly name = 'UpstreamAnswer';

  constructor(readonly response: Response) {
    super(`upstream ${response.status}`);
  }
}

/** An in-memory {@link MetaStudioUploadStore} that drops records a day after their upload URL expired. */
export function memoryUploadStore(now: () => number = Date.now): MetaStudioUploadStore {
  const records = new Map<string, MetaStudioUploadRecord>();
  return {
    async get(fileId) {
      return records.get(fileId);
    },
    async set(record) {
      for (const [id, old] of records) if (old.expiresAt + DAY_MS < now()) records.delete(id);
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
function expiryOf(uploadUrl: string, now: number): number {
  const expires = Number(new URL(uploadUrl).searchParams.get('Expires'));
  return Number.isFinite(expires) && expires > 0 ? expires * 1000 : now + DAY_MS;
}

/**
 * Creates a Fetch-style handler (`(Request) => Promise<Response>`) for Huawei Cloud MetaStudio asset uploads, holding
 * the IAM token or AK/SK so the page never sees them. Routes under `basePath`:
 *
 * - `POST /assets` `{ asset_name, asset_type, asset_description?, tags? }` → `{ asset_id }` (CreateDigitalAsset)
 * - `POST /files` `{ file_name, file_md5, file_size, file_type, asset_id, asset_file_category }`
 *   → `{ file_id, asset_id, content_type, expires_at }` (CreateFile; the upload URL stays here)
 * - `PUT /files/{id}/content` with `Content-MD5` and `Content-Type`: streamed to the upload URL (proxy mode); OBS's
 *   answer is passed through
 * - `GET /files/{id}/upload-url` → `{ upload_url, expires_at, headers }` (direct mode, when `allowDirectUpload`)
 * - `POST /files/{id}/complete` `{ state, auto_meta_analysis? }` → `{}` (ConfirmFileUpload)
 * - `DELETE /files/{id}` → `{}` (DeleteFile)
 *
 * Only files this handler created can be uploaded, confirmed or deleted. MetaStudio's errors reach the page as
 * `{ error_code, error_msg, request_id }` with MetaStudio's status (5xx as 502); the handler's own as
 * `{ error: { code, message } }`. An expired IAM token from a token function is fetched again once per call.
 */
export function createMetaStudioHandler(options: MetaStudioHandlerOptions): (request: Request) => Promise<Response> {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new TypeError('createMetaStudioHandler: endpoint must be an http(s) URL.');
  const projectId = options.projectId;
  if (!ID.test(projectId)) throw new TypeError('createMetaStudioHandler: projectId must be 1–64 letters, digits, "-" or "_".');
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new TypeError('createMetaStudioHandler: basePath must start with "/".');
  if (options.appUserId !== undefined && (options.appUserId === '' || /[\u3400-\u9fff\uf900-\ufaff]/.test(options.appUserId))) {
    throw new TypeError('createMetaStudioHandler: appUserId must be a non-empty id without Chinese characters.');
  }
  const maxFileSize = Math.min(options.maxFileSize ?? METASTUDIO_MAX_FILE_SIZE, METASTUDIO_MAX_FILE_SIZE);
  const now = options.now ?? Date.now;
  const store = options.store ?? memoryUploadStore(now);
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const allowedOrigins = options.allowedOrigins ?? '*';
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const auth = options.auth;
  let cachedToken: string | undefined;

  async function authHeaders(method: string, url: string, headers: Record<string, string>, body: string | undefined) {
    if ('token' in auth) {
      const token = typeof auth.token === 'string' ? auth.token : (cachedToken ??= await auth.token());
      return { ...headers, 'X-Auth-Token': token };
    }
    return signHuaweiRequest({ method, url, headers, date: new Date(now()), ...(body !== undefined && { body }) }, auth);
  }

  /** One MetaStudio API call; its error answer is thrown to be passed through. */
  async function call(operation: string, method: string, path: string, body: unknown, signal: AbortSignal): Promise<{ json: unknown; requestId: string | null }> {
    const url = `${endpoint}/v1/${projectId}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const base: Record<string, string> = {
      ...(payload !== undefined && { 'Content-Type': 'application/json' }),
      ...(options.appUserId !== undefined && { 'X-App-UserId': options.appUserId }),
    };
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await send(url, { method, headers: await authHeaders(method, url, base, payload), body: payload ?? null, signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, `MetaStudio could not be reached (${operation}).`);
      }
      const requestId = response.headers.get('X-Request-Id');
      options.onCall?.({ operation, status: response.status, requestId });
      const raw = await response.text();
      let json: unknown;
      try {
        json = raw === '' ? {} : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      if (response.ok) {
        if (json === undefined) throw new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, `MetaStudio answered ${operation} with something other than JSON.`);
        return { json, requestId };
      }
      const errorCode = (json as { error_code?: unknown } | undefined)?.error_code;
      // A token from a function may have run out: fetch a new one once, as the page could not.
      if (attempt === 0 && 'token' in auth && typeof auth.token === 'function' && typeof errorCode === 'string' && TOKEN_EXPIRED.has(errorCode)) {
        cachedToken = undefined;
        continue;
      }
      throw new UpstreamAnswer(passThrough(response.status, json, raw, requestId));
    }
  }

  function passThrough(status: number, json: unknown, raw: string, requestId: string | null): Response {
    const shaped =
      json && typeof json === 'object' && typeof (json as { error_code?: unknown }).error_code === 'string'
        ? { ...(json as object), ...(requestId !== null && { request_id: requestId }) }
        : { error_code: `HTTP.${status}`, error_msg: redactUrls(raw.slice(0, 500)), ...(requestId !== null && { request_id: requestId }) };
    return jsonResponse(shaped, status >= 500 ? 502 : status, requestId === null ? undefined : { 'X-Request-Id': requestId });
  }

  async function allow(request: Request, action: MetaStudioAction): Promise<void> {
    if (options.authorize && !(await options.authorize(request, action))) {
      throw new HttpError(403, MetaStudioHandlerErrorCode.Forbidden, 'This upload is not allowed.');
    }
  }

  async function recordOf(fileId: string): Promise<MetaStudioUploadRecord> {
    const record = await store.get(id(fileId, 'file id'));
    if (!record) throw new HttpError(404, MetaStudioHandlerErrorCode.UnknownFile, 'No upload with this file id is known here.');
    return record;
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
    await allow(request, { kind: 'create-asset', assetName, assetType });
    const { json, requestId } = await call('CreateDigitalAsset', 'POST', '/digital-assets', body, request.signal);
    const assetId = (json as { asset_id?: unknown }).asset_id;
    if (typeof assetId !== 'string' || !ID.test(assetId)) {
      throw new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, 'CreateDigitalAsset answered without an asset_id.');
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
    const fileType = text(input.file_type, 'file_type', 1, METASTUDIO_MAX_FILE_TYPE_LENGTH);
    if (/[/\\?#]/.test(fileType)) throw invalid('file_type', 'must not contain "/", "\\", "?" or "#"');
    const assetId = id(input.asset_id, 'asset_id');
    const category = oneOf(input.asset_file_category, 'asset_file_category', METASTUDIO_FILE_CATEGORIES);
    await allow(request, { kind: 'create-file', assetId, fileName, fileSize, category });
    const body = { file_name: fileName, file_md5: fileMd5, file_size: fileSize, file_type: fileType, asset_id: assetId, asset_file_category: category };
    const { json, requestId } = await call('CreateFile', 'POST', '/files', body, request.signal);
    const { file_id: fileId, upload_url: uploadUrl } = json as { file_id?: unknown; upload_url?: unknown };
    if (typeof fileId !== 'string' || !ID.test(fileId) || typeof uploadUrl !== 'string' || !/^https?:\/\//.test(uploadUrl)) {
      throw new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, 'CreateFile answered without a usable file_id and upload_url.');
    }
    const record: MetaStudioUploadRecord = {
      fileId,
      assetId,
      uploadUrl,
      expiresAt: expiryOf(uploadUrl, now()),
      fileMd5,
      fileSize,
      contentType: metaStudioContentType(fileType),
      uploaded: false,
    };
    await store.set(record);
    const answer: MetaStudioCreateFileAnswer = { file_id: fileId, asset_id: assetId, content_type: record.contentType, expires_at: record.expiresAt };
    return jsonResponse(answer, 200, requestHeader(requestId));
  }

  async function uploadUrl(request: Request, fileId: string): Promise<Response> {
    if (options.allowDirectUpload === false) {
      throw new HttpError(403, MetaStudioHandlerErrorCode.Forbidden, 'Direct upload is off: PUT the file to files/{id}/content.');
    }
    const record = await recordOf(fileId);
    live(record);
    await allow(request, { kind: 'upload-url', fileId: record.fileId });
    const answer: MetaStudioUploadUrlAnswer = {
      upload_url: record.uploadUrl,
      expires_at: record.expiresAt,
      headers: { 'Content-MD5': record.fileMd5, 'Content-Type': record.contentType },
    };
    return jsonResponse(answer);
  }

  async function upload(request: Request, fileId: string): Promise<Response> {
    const record = await recordOf(fileId);
    live(record);
    const md5 = request.headers.get('content-md5');
    const type = request.headers.get('content-type');
    if (md5 !== record.fileMd5 || type !== record.contentType) {
      throw new HttpError(400, MetaStudioHandlerErrorCode.HeadersMismatch, `The PUT must carry Content-MD5 ${record.fileMd5} and Content-Type ${record.contentType}, as the file was created with.`);
    }
    const length = request.headers.get('content-length');
    if (length !== null && Number(length) !== record.fileSize) {
      throw new HttpError(400, MetaStudioHandlerErrorCode.HeadersMismatch, `The body is ${length} bytes; the file was created with ${record.fileSize}.`);
    }
    await allow(request, { kind: 'upload', fileId: record.fileId });
    let response: Response;
    try {
      const init: RequestInit & { duplex: 'half' } = {
        method: 'PUT',
        headers: { 'Content-MD5': md5, 'Content-Type': type, 'Content-Length': String(record.fileSize) },
        body: request.body,
        duplex: 'half',
        signal: request.signal,
      };
      response = await send(record.uploadUrl, init);
    } catch (error) {
      if (request.signal.aborted) throw error;
      throw new HttpError(502, MetaStudioHandlerErrorCode.UpstreamUnreachable, 'The upload to OBS broke off.');
    }
    const headers = new Headers({ 'cache-control': 'no-store' });
    for (const name of ['content-type', 'etag', 'x-obs-request-id']) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const body = await response.text();
    if (response.ok) await store.set({ ...record, uploaded: true });
    return new Response(body === '' ? null : body, { status: response.status >= 500 ? 502 : response.status, headers });
  }

  async function confirm(request: Request, fileId: string): Promise<Response> {
    const record = await recordOf(fileId);
    const input = await readJsonObject(request, MAX_JSON_BYTES);
    const state = oneOf(input.state, 'state', ['CREATED', 'FAILED', 'CANCELLED'] as const);
    if (input.auto_meta_analysis !== undefined && typeof input.auto_meta_analysis !== 'boolean') throw invalid('auto_meta_analysis', 'must be a boolean');
    await allow(request, { kind: 'confirm', fileId: record.fileId, state });
    const body = { state, ...(input.auto_meta_analysis !== undefined && { auto_meta_analysis: input.auto_meta_analysis }) };
    const { requestId } = await call('ConfirmFileUpload', 'POST', `/files/${record.fileId}/complete`, body, request.signal);
    return jsonResponse({}, 200, requestHeader(requestId));
  }

  async function remove(request: Request, fileId: string): Promise<Response> {
    const record = await recordOf(fileId);
    await allow(request, { kind: 'delete', fileId: record.fileId });
    const { requestId } = await call('DeleteFile', 'DELETE', `/files/${record.fileId}`, undefined, request.signal);
    await store.delete(record.fileId);
    return jsonResponse({}, 200, requestHeader(requestId));
  }

  type Route = Partial<Record<string, (request: Request) => Promise<Response>>>;

  function route(pathname: string): Route | undefined {
    if (!pathname.startsWith(`${basePath}/`)) return undefined;
    const segments = pathname.slice(basePath.length + 1).split('/');
    const [resource, fileId, action, ...extra] = segments;
    if (extra.length > 0 || segments.some((segment) => segment === '')) return undefined;
    if (resource === 'assets' && fileId === undefined) return { POST: createAsset };
    if (resource !== 'files') return undefined;
    if (fileId === undefined) return { POST: createFile };
    if (action === undefined) return { DELETE: (request) => remove(request, fileId) };
    if (action === 'content') return { PUT: (request) => upload(request, fileId) };
    if (action === 'upload-url') return { GET: (request) => uploadUrl(request, fileId) };
    if (action === 'complete') return { POST: (request) => confirm(request, fileId) };
    return undefined;
  }

  return async (request) => {
    const methods = route(new URL(request.url).pathname);
    if (request.method === 'OPTIONS') {
      return preflightResponse(request, allowedOrigins, [...Object.keys(methods ?? { GET: 0, POST: 0, PUT: 0, DELETE: 0 }), 'OPTIONS']);
    }
    let response: Response;
    try {
      if (!methods) throw new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.');
      const handle = methods[request.method];
      if (!handle) {
        throw new HttpError(405, ServerErrorCode.MethodNotAllowed, 'This route does not accept this method.', {
          headers: { allow: [...Object.keys(methods), 'OPTIONS'].join(', ') },
        });
      }
      response = await handle(request);
    } catch (error) {
      response = errorAnswer(error, request.signal.aborted, onError);
    }
    const headers = new Headers(response.headers);
    for (const [name, value] of corsHeaders(request, allowedOrigins)) headers.set(name, value);
    headers.set('access-control-expose-headers', EXPOSED_HEADERS);
    return new Response(response.body, { status: response.status, headers });
  };
}

function requestHeader(requestId: string | null): Record<string, string> | undefined {
  return requestId === null ? undefined : { 'X-Request-Id': requestId };
}

function errorAnswer(error: unknown, clientGone: boolean, onError: (error: unknown) => void): Response {
  if (error instanceof UpstreamAnswer) return error.response;
  if (clientGone) return jsonResponse(new HttpError(499, ServerErrorCode.ClientClosed, 'The client closed the request.').toBody(), 499);
  if (error instanceof HttpError) return jsonResponse(error.toBody(), error.status, error.headers);
  onError(error);
  return jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500);
}
