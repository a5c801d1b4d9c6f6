import { UploadError, UploadErrorCode, codeForStatus, redactUrl } from '../core/errors.js';
import { parseJson } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { planParts } from '../core/part-plan.js';
import type { AdapterContext, CreateResult, FileDescription, PartLimits, PartPlan, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec } from '../hashing/digest-spec.js';

const MiB = 1024 * 1024;

/** The slice sizes the COS v4 API documents for `upload_slice_init`. */
export const COS_V4_SLICE_SIZES: readonly number[] = [512 * 1024, MiB, 2 * MiB, 3 * MiB];

/** Below this size a file goes up in one `op=upload` request, as the v4 JS SDK does (20 MiB). */
export const COS_V4_SINGLE_UPLOAD_THRESHOLD = 20 * MiB;

/** A signature is fetched anew when it has fewer than this many seconds left, so that no request carries a dying one. */
const SIGNATURE_REFRESH_MARGIN_S = 15;

/** What the adapter passes to `getSignature`: the object's path inside the bucket, for a backend that binds `f` to it. */
export interface CosV4SignatureRequest {
  path: string;
}

/** The COS v4 operations, by their `op` form field. */
export const CosV4Op = {
  /** On a folder's path, with a JSON body: the SDKs' CreateFolder. */
  CreateFolder: 'create',
  Upload: 'upload',
  SliceInit: 'upload_slice_init',
  SliceList: 'upload_slice_list',
  SliceData: 'upload_slice_data',
  SliceFinish: 'upload_slice_finish',
} as const;
/** One of {@link CosV4Op}. */
export type CosV4Op = (typeof CosV4Op)[keyof typeof CosV4Op];

/** Options of {@link createTencentCosV4Adapter}. */
export interface TencentCosV4AdapterOptions {
  /** The bucket's v4 API base: `https://{region}.file.myqcloud.com/files/v2/{appid}/{bucket}`. */
  endpoint?: string;
  /**
   * Returns a multi-effect signature for `request.path` made by your backend (`createCosV4SignatureHandler`, which
   * binds it to that object, or {@link cosV4SignatureFromBackend}); the SecretKey never reaches the page. Every call
   * (list, init, slices, finish) uses one for its own object's path, kept per path and asked anew when it nears
   * expiry or COS says it expired.
   */
  getSignature?: (request: CosV4SignatureRequest) => Promise<string>;
  /** Where the signature travels: the `Authorization` header (the doc) or a `sign` query parameter (the JS SDK). Default `header`. */
  signatureIn?: 'header' | 'query';
  /** Folder inside the bucket the files go to, e.g. `uploads/`; default the bucket's root. */
  directory?: string;
  /**
   * Creates each file's folder (`op=create` on the folder's path) before its first call, once per folder, taking "it
   * exists already" as done: COS v4 uploads only into a folder that exists ("前置条件:指定目录已存在"). Only the file's
   * own folder is created; the folders above it must exist. Default true; false when your folders are made elsewhere.
   */
  createDirectory?: boolean;
  /** Names the object inside the bucket; default `directory + file.name`. */
  objectPath?: (file: FileDescription) => string;
  /** `slice_size` sent at init; one of {@link COS_V4_SLICE_SIZES}. Default 1 MiB, the size every bucket accepts. */
  sliceSize?: number;
  /** Files smaller than this go up in one `op=upload`; default 20 MiB. 0 sends every file in slices. */
  singleUploadThreshold?: number;
  /** Sends the whole-file `sha` and per-slice `uploadparts` (one extra read before init; enables rapid upload). Default true. */
  hashing?: boolean;
  /** `insertOnly`: 1 refuses to overwrite an existing file (-177), 0 overwrites. Default 1, as the SDKs. */
  insertOnly?: 0 | 1;
  /** `biz_attr` stored with the file. */
  bizAttr?: string;
  /** Looks for an unfinished upload of this path (`upload_slice_list`) before init, to resume it. Default true. */
  listBeforeInit?: boolean;
  /** The largest file accepted; the API documents none, so default unlimited. */
  maxFileSize?: number;
}

/** Where an upload stands on COS. Holds no signature and no URL. */
export type TencentCosV4Session =
  | { mode: 'single'; path: string }
  | { mode: 'slice'; path: string; session: string; sliceSize: number; serial: boolean; hashed: boolean };

/** The parts of a v4 signature the page may read: it is Base64 of a 20-byte HMAC-SHA1 followed by the signed text. */
export interface CosV4SignatureParts {
  hmac: Uint8Array;
  original: string;
  /** `a`, `b`, `k`, `e`, `t`, `r`, `f`, by name. */
  fields: Record<string, string>;
}

/** COS v4's JSON answer. */
interface CosV4Body {
  code?: unknown;
  message?: unknown;
  data?: Record<string, unknown>;
}

/** COS's "this folder exists already" (inferred: -178, as the v4 SDKs' tables name a path conflict). */
const FOLDER_EXISTS = -178;

const ERROR_MESSAGES: Record<number, [UploadErrorCode, string]> = {
  [-166]: [UploadErrorCode.NotFound, 'The folder the file goes into does not exist on COS, and the folders above it are not created for you.'],
  [-47]: [UploadErrorCode.AuthFailed, 'COS does not know the SecretId in the signature. Check the backend\'s credentials.'],
  [-48]: [UploadErrorCode.AuthFailed, 'COS could not read the signature. The backend builds it wrongly.'],
  [-59]: [UploadErrorCode.UrlExpired, 'The COS signature expired; a new one will be requested.'],
  [-61]: [UploadErrorCode.AuthFailed, 'The signature is for another bucket than the one uploaded to.'],
  [-63]: [UploadErrorCode.AuthFailed, 'The signature is bound to another file than the one uploaded.'],
  [-70]: [UploadErrorCode.AuthFailed, 'The signature is for another AppID than the one uploaded to.'],
  [-71]: [UploadErrorCode.RateLimited, 'COS asked to slow down; the upload will retry.'],
  [-97]: [UploadErrorCode.AuthFailed, 'COS refused the signature. Check the backend\'s SecretKey.'],
  [-121]: [UploadErrorCode.CorsBlocked, 'The bucket\'s CORS rule does not allow this page (origin, method or headers).'],
  [-133]: [UploadErrorCode.NotFound, 'The bucket does not exist.'],
  [-175]: [UploadErrorCode.ProviderRejected, 'The size sent at finish differs from the size declared at init.'],
  [-177]: [UploadErrorCode.ProviderRejected, 'A file already exists at this path; set insertOnly to 0 to overwrite it.'],
  [-195]: [UploadErrorCode.ServerError, 'COS had an internal error; the upload will retry.'],
  [-196]: [UploadErrorCode.ServerError, 'COS is unavailable for the moment; the upload will retry.'],
  [-197]: [UploadErrorCode.NotFound, 'COS no longer has this file or upload session.'],
  [-284]: [UploadErrorCode.LimitExceeded, 'The bucket does not accept this slice size; use 1 MiB (the sliceSize option).'],
  [-4016]: [UploadErrorCode.HashMismatch, 'COS found a SHA-1 mismatch: the data was damaged on the way or the file changed.'],
  [-4019]: [UploadErrorCode.ProviderRejected, 'An unfinished upload of the same file exists at this path.'],
  [-4020]: [UploadErrorCode.ProviderRejected, 'An unfinished upload of different content holds this path; upload under another name.'],
  [-5965]: [UploadErrorCode.ProviderRejected, 'COS could not read the slice list (uploadparts).'],
  [-5997]: [UploadErrorCode.ServerError, 'COS had a backend error; the upload will retry.'],
  [-5999]: [UploadErrorCode.ProviderRejected, 'COS refused a request parameter.'],
  [-29094]: [UploadErrorCode.ProviderRejected, 'The finish call lacked the SHA-1 that init carried.'],
};

/** Slice and whole-upload integrity errors: a re-sent slice or file can pass, a finished upload cannot. */
const RETRYABLE_HASH_OPS: ReadonlySet<string> = new Set([CosV4Op.SliceData, CosV4Op.Upload]);

/** Reads a v4 signature into its HMAC, its signed text and its fields; `undefined` when it is not one. */
export function readCosV4Signature(signature: string): CosV4SignatureParts | undefined {
  let binary: string;
  try {
    binary = atob(signature);
  } catch {
    return undefined;
  }
  if (binary.length <= 20) return undefined;
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  let original: string;
  try {
    original = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(20));
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const pair of original.split('&')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { hmac: bytes.slice(0, 20), original, fields };
}

function opOf(request: HttpRequest | undefined): string | undefined {
  const op = request?.body instanceof FormData ? request.body.get('op') : null;
  return typeof op === 'string' ? op : undefined;
}

/** Turns a COS v4 error (`{code, message}` with a negative code) into an UploadError a person can act on. */
export function parseCosV4Error(response: HttpResponse, request?: HttpRequest): UploadError {
  const body = parseJson<CosV4Body>(response);
  const providerCode = typeof body?.code === 'number' ? body.code : undefined;
  const providerMessage = typeof body?.message === 'string' ? body.message : undefined;
  const init = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: {
      id: 'tencent-cos-v4',
      ...(providerCode === undefined ? {} : { code: String(providerCode) }),
      ...(providerMessage === undefined ? {} : { message: providerMessage }),
    },
  };
  const known = providerCode === undefined ? undefined : ERROR_MESSAGES[providerCode];
  if (known) {
    const retryable = known[0] === UploadErrorCode.HashMismatch ? RETRYABLE_HASH_OPS.has(opOf(request) ?? '') : undefined;
    return new UploadError(known[0], known[1], { ...init, retryable });
  }
  const code = response.status >= 200 && response.status < 300 ? UploadErrorCode.ProviderRejected : codeForStatus(response.status);
  const where = redactUrl(response.url);
  const detail = providerMessage ? `: ${providerMessage}` : '.';
  const message =
    code === UploadErrorCode.ServerError
      ? `COS at ${where} failed (HTTP ${response.status}${providerCode === undefined ? '' : `, code ${providerCode}`}); the upload will retry.`
      : `COS at ${where} refused the request (HTTP ${response.status}${providerCode === undefined ? '' : `, code ${providerCode}`})${detail}`;
  return new UploadError(code, message, init);
}

/**
 * A `getSignature` that asks the shipped signature handler (`createCosV4SignatureHandler`) at `url` with a POST of
 * `{ path }`; `headers` go with it (a bearer token for your backend, say).
 */
export function cosV4SignatureFromBackend(
  url: string,
  headers: Record<string, string> = {},
): (request: CosV4SignatureRequest) => Promise<string> {
  return async (request) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ path: request.path }),
        credentials: 'same-origin',
      });
    } catch (thrown) {
      throw new UploadError(UploadErrorCode.Network, `The signature backend at ${redactUrl(url)} could not be reached.`, { cause: thrown });
    }
    const text = await response.text();
    let body: { signature?: unknown; error?: { message?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const reason = typeof body?.error?.message === 'string' ? `: ${body.error.message}` : '.';
      throw new UploadError(codeForStatus(response.status), `The signature backend refused (HTTP ${response.status})${reason}`, {
        status: response.status,
      });
    }
    if (typeof body?.signature !== 'string' || body.signature === '') {
      throw new UploadError(UploadErrorCode.BadResponse, 'The signature backend\'s answer lacks `signature`.', { status: response.status });
    }
    return body.signature;
  };
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function integer(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What finish (or a rapid-upload init) reported, kept without any query string. */
function resultOf(path: string, data: Record<string, unknown>, rapid: boolean): UploadResult {
  const strip = (value: unknown) => (typeof value === 'string' && value !== '' ? redactUrl(value) : undefined);
  const result: UploadResult = { key: path };
  const resourcePath = text(data['resource_path']);
  const sourceUrl = strip(data['source_url']);
  const accessUrl = strip(data['access_url']);
  const apiUrl = strip(data['url']);
  if (resourcePath) result.fileId = resourcePath;
  // access_url is the CDN address, which exists even where the CDN is off; source_url always serves the bytes.
  if (sourceUrl ?? accessUrl) result.location = sourceUrl ?? accessUrl;
  if (accessUrl) result['accessUrl'] = accessUrl;
  if (sourceUrl) result['sourceUrl'] = sourceUrl;
  if (apiUrl) result['url'] = apiUrl;
  if (rapid) result.rapid = true;
  return result;
}

/**
 * Tencent COS through the legacy v4 JSON API (`/files/v2/…`, deprecated by Tencent; for old buckets): slice upload
 * with list → init (whole-file `sha` and per-slice SHA-1 states, rapid upload, -4019 resume) → data → finish, or one
 * `op=upload` below the threshold. Signatures come from the user's backend through `getSignature`.
 */
export function createTencentCosV4Adapter(options: TencentCosV4AdapterOptions = {}): ProviderAdapter<TencentCosV4Session> {
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint) throw new Error('The COS v4 adapter needs an `endpoint`: https://{region}.file.myqcloud.com/files/v2/{appid}/{bucket}.');
  if (/[?#]/.test(endpoint)) throw new Error('The COS v4 `endpoint` must not carry a query; the signature comes from `getSignature`.');
  const getSignature = options.getSignature;
  if (!getSignature) throw new Error('The COS v4 adapter needs a `getSignature` callback that asks your backend for a signature.');
  const sliceSize = options.sliceSize ?? MiB;
  if (!COS_V4_SLICE_SIZES.includes(sliceSize)) {
    throw new Error(`sliceSize must be one of ${COS_V4_SLICE_SIZES.join(', ')} (COS v4 accepts no other), not ${sliceSize}.`);
  }
  const singleThreshold = options.singleUploadThreshold ?? COS_V4_SINGLE_UPLOAD_THRESHOLD;
  const hashing = options.hashing ?? true;
  const insertOnly = options.insertOnly ?? 1;
  const listBeforeInit = options.listBeforeInit ?? true;
  const directory = options.directory ?? '';
  const createDirectory = options.createDirectory ?? true;
  /** Folders this adapter made or found, so each is asked for once. */
  const folders = new Map<string, Promise<void>>();

  const limits: PartLimits = {
    minPartSize: sliceSize,
    maxPartSize: sliceSize,
    maxParts: Number.MAX_SAFE_INTEGER,
    maxFileSize: options.maxFileSize ?? Number.MAX_SAFE_INTEGER,
    // Every slice boundary must be a SHA-1 block boundary for the intermediate states; all allowed sizes are.
    partSizeMultiple: 64,
    defaultPartSize: sliceSize,
    allowsEmptyFile: true,
  };

  /** Signatures in memory only, by object path; a bucket-wide one (empty `f`) under ''. */
  const signatures = new Map<string, { signature: string; expiresAt: number }>();
  const fetching = new Map<string, Promise<string>>();
  /** Slices COS listed for a session this adapter adopted (-4019 or list), by session id then offset → length. */
  const listedSlices = new Map<string, Map<number, number>>();

  // An empty file has no slice to send, so it always goes up whole.
  const isSingle = (file: FileDescription) => file.size === 0 || file.size < singleThreshold;

  function pathOf(file: FileDescription): string {
    const path = options.objectPath ? options.objectPath(file) : `${directory}${file.name}`;
    if (path === '' || path.startsWith('/') || path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new UploadError(UploadErrorCode.ProviderRejected, `"${path}" is not a valid COS object path.`, { retryable: false });
    }
    return path;
  }

  async function signatureFor(path: string): Promise<string> {
    const nowS = Date.now() / 1000;
    const cached = signatures.get(path) ?? signatures.get('');
    if (cached && cached.expiresAt - nowS > SIGNATURE_REFRESH_MARGIN_S) return cached.signature;
    // Parallel slices that all found the signature stale share one request to the backend.
    let pending = fetching.get(path);
    if (!pending) {
      pending = fetchSignature(path).finally(() => fetching.delete(path));
      fetching.set(path, pending);
    }
    return pending;
  }

  async function fetchSignature(path: string): Promise<string> {
    const signature = await getSignature!({ path });
    if (typeof signature !== 'string' || signature === '') {
      throw new UploadError(UploadErrorCode.AuthFailed, '`getSignature` returned no signature.', { retryable: false });
    }
    const fields = readCosV4Signature(signature)?.fields;
    const expiresAt = integer(fields?.['e']) ?? Number.POSITIVE_INFINITY;
    signatures.set(fields?.['f'] ? path : '', { signature, expiresAt });
    return signature;
  }

  /** Drops a refused signature, unless a parallel request already replaced it with a fresh one. */
  function forgetSignature(path: string, refused: string): void {
    for (const key of [path, '']) if (signatures.get(key)?.signature === refused) signatures.delete(key);
  }

  /**
   * One POST of form `fields` to the object's URL. Resolves with the body when `code` is 0 or one of `handledCodes`,
   * or on a 404 when `absentOn404` (the list call's "nothing unfinished here"); throws the mapped error otherwise (also
   * for an HTTP 200 carrying a negative code), dropping a refused signature so that the engine's retry fetches anew.
   */
  async function call(
    ctx: AdapterContext,
    path: string,
    fields: Array<[string, string | Blob]> | Record<string, string>,
    handled: { handledCodes?: number[]; absentOn404?: boolean } = {},
  ): Promise<{ status: number; body: CosV4Body }> {
    const signature = await signatureFor(path);
    let body: FormData | string;
    const headers: Record<string, string> = options.signatureIn === 'query' ? {} : { Authorization: signature };
    if (Array.isArray(fields)) {
      body = new FormData();
      for (const [name, value] of fields) {
        if (typeof value === 'string') body.append(name, value);
        else body.append(name, value, ctx.file.name || 'blob');
      }
    } else {
      body = JSON.stringify(fields);
      headers['Content-Type'] = 'application/json';
    }
    const url = `${endpoint}/${encodePath(path)}`;
    const request: HttpRequest = {
      method: 'POST',
      url: options.signatureIn === 'query' ? `${url}?sign=${encodeURIComponent(signature)}` : url,
      ...(Object.keys(headers).length > 0 && { headers }),
      body,
    };
    try {
      // 404 and 409 carry answers some calls expect (no unfinished upload; -4019); the rest throw through parseError.
      const response = await ctx.send(request, { acceptStatus: [404, 409] });
      const body = parseJson<CosV4Body>(response);
      const code = body && typeof body === 'object' ? body.code : undefined;
      if (code === 0 || (typeof code === 'number' && handled.handledCodes?.includes(code))) return { status: response.status, body: body! };
      // A missing bucket is a 404 too, and must not pass for "nothing unfinished here".
      if (response.status === 404 && handled.absentOn404 && code !== -133) return { status: 404, body: body ?? {} };
      if (response.status >= 200 && response.status < 300 && code === undefined) {
        throw new UploadError(UploadErrorCode.BadResponse, `COS at ${redactUrl(response.url)} did not answer with its JSON.`, {
          status: response.status,
        });
      }
      throw parseCosV4Error(response, request);
    } catch (thrown) {
      if (thrown instanceof UploadError && (thrown.code === UploadErrorCode.UrlExpired || thrown.code === UploadErrorCode.AuthFailed)) {
        forgetSignature(path, signature);
      }
      throw thrown;
    }
  }

  /** Makes sure the file's folder exists (see `createDirectory`); one request per folder for the adapter's life. */
  function folderOf(ctx: AdapterContext, path: string): Promise<void> {
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    if (!createDirectory || folder === '') return Promise.resolve();
    let made = folders.get(folder);
    if (!made) {
      made = call(ctx, folder, { op: CosV4Op.CreateFolder, biz_attr: '' }, { handledCodes: [FOLDER_EXISTS] }).then(() => undefined);
      // A failure is asked again by the next file (or the engine's retry), not remembered.
      made.catch(() => folders.delete(folder));
      folders.set(folder, made);
    }
    return made;
  }

  async function sha(ctx: AdapterContext): Promise<string> {
    return (await ctx.digest('sha')) as string;
  }

  /** `uploadparts`: each slice's SHA-1 state after its last byte (little-endian words), and the file's SHA-1 for the last. */
  async function uploadParts(ctx: AdapterContext, plan: PartPlan, fileSha: string): Promise<string> {
    const slices: Array<{ offset: number; datalen: number; datasha: string }> = [];
    for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
      const offset = (partNumber - 1) * plan.partSize;
      const datalen = Math.min(plan.partSize, ctx.file.size - offset);
      const datasha = partNumber === plan.partCount ? fileSha : ((await ctx.digest('datasha', partNumber)) as string);
      slices.push({ offset, datalen, datasha });
    }
    return JSON.stringify(slices);
  }

  /**
   * Reads `upload_slice_list`: the open session at `path`, or undefined when COS has none (HTTP 404, or only the
   * finished file).
   */
  async function listSession(ctx: AdapterContext, path: string) {
    const { status, body } = await call(ctx, path, [['op', CosV4Op.SliceList]], { absentOn404: true });
    if (status === 404) return undefined;
    const data = body.data ?? {};
    const session = text(data['session']);
    if (!session) return undefined;
    const slices = new Map<number, number>();
    const listed = Array.isArray(data['listparts']) ? (data['listparts'] as unknown[]) : [];
    for (const entry of listed) {
      if (typeof entry !== 'object' || entry === null) continue;
      const offset = integer((entry as Record<string, unknown>)['offset']);
      const datalen = integer((entry as Record<string, unknown>)['datalen']);
      if (offset !== undefined && datalen !== undefined) slices.set(offset, datalen);
    }
    const listedSha = text(data['sha'])?.split('_')[0];
    return {
      session,
      sliceSize: integer(data['slice_size']),
      filesize: data['filesize'],
      sha: listedSha,
      // The doc lists no serial_upload here; honoured when present (inferred), else the session is taken as parallel.
      serial: integer(data['serial_upload']) === 1,
      slices,
    };
  }

  /** Adopts an unfinished session when it is this very file: same size, slice size and (when hashing) SHA-1. */
  async function adopt(
    ctx: AdapterContext,
    path: string,
    listed: NonNullable<Awaited<ReturnType<typeof listSession>>>,
  ): Promise<TencentCosV4Session | undefined> {
    // As the JS SDK: a filesize that is not the same number (or is a string) means another upload.
    if (listed.filesize !== ctx.file.size || listed.sliceSize !== ctx.plan.partSize) return undefined;
    // Without a SHA-1 nothing ties the listed bytes to this file, and splicing two files is worse than starting over.
    if (!hashing || listed.sha !== (await sha(ctx))) return undefined;
    listedSlices.set(listed.session, listed.slices);
    return { mode: 'slice', path, session: listed.session, sliceSize: ctx.plan.partSize, serial: listed.serial, hashed: true };
  }

  async function createSlices(ctx: AdapterContext, path: string): Promise<CreateResult<TencentCosV4Session>> {
    if (listBeforeInit) {
      const listed = await listSession(ctx, path);
      const adopted = listed && (await adopt(ctx, path, listed));
      if (adopted) return { kind: 'session', session: adopted };
    }
    const fields: Array<[string, string]> = [
      ['op', CosV4Op.SliceInit],
      ['filesize', String(ctx.file.size)],
      ['slice_size', String(ctx.plan.partSize)],
    ];
    if (hashing) {
      const fileSha = await sha(ctx);
      fields.push(['sha', fileSha], ['uploadparts', await uploadParts(ctx, ctx.plan, fileSha)]);
    }
    if (options.bizAttr !== undefined) fields.push(['biz_attr', options.bizAttr]);
    fields.push(['insertOnly', String(insertOnly)]);
    const { body } = await call(ctx, path, fields, { handledCodes: [-4019] });
    if (body.code === -4019) {
      const listed = await listSession(ctx, path);
      const adopted = listed && (await adopt(ctx, path, listed));
      if (adopted) return { kind: 'session', session: adopted };
      throw new UploadError(
        UploadErrorCode.ProviderRejected,
        'COS reports an unfinished upload of this file at this path, but its listing does not match the file; upload under another name.',
        { retryable: false, provider: { id: 'tencent-cos-v4', code: '-4019', message: text(body.message) } },
      );
    }
    const data = body.data ?? {};
    if (text(data['access_url']) ?? text(data['resource_path'])) return { kind: 'done', result: resultOf(path, data, true) };
    const session = text(data['session']);
    if (!session) throw new UploadError(UploadErrorCode.BadResponse, 'The COS init answer has neither `session` nor `access_url`.');
    const granted = integer(data['slice_size']) ?? ctx.plan.partSize;
    // The file was hashed and planned in slices of the asked size; COS answering another size cannot be honoured.
    if (granted !== ctx.plan.partSize) {
      throw new UploadError(
        UploadErrorCode.ProviderRejected,
        `COS asked for slices of ${granted} bytes instead of ${ctx.plan.partSize}; set the sliceSize option to ${granted}.`,
        { retryable: false },
      );
    }
    const serial = integer(data['serial_upload']) === 1;
    return { kind: 'session', session: { mode: 'slice', path, session, sliceSize: granted, serial, hashed: hashing } };
  }

  return {
    id: 'tencent-cos-v4',
    target: endpoint,
    limits,

    digests(file): DigestSpec[] {
      if (!hashing) return [];
      if (isSingle(file)) return [{ name: 'sha', algorithm: 'sha1', encoding: 'hex', scope: 'file', when: 'before-part' }];
      return [
        { name: 'sha', algorithm: 'sha1', encoding: 'hex', scope: 'file', when: 'before-create' },
        { name: 'datasha', algorithm: 'sha1', encoding: 'state-hex-le', scope: 'state-after-part', when: 'before-create' },
      ];
    },

    planParts(file) {
      if (isSingle(file)) {
        // Called for its refusals only (a file over maxFileSize), the single request being one part.
        planParts(file.size, limits);
        return { partSize: Math.max(file.size, 1), partCount: 1 };
      }
      // The element's part-size cannot apply: COS takes only its own slice sizes.
      return planParts(file.size, limits);
    },

    sequentialParts: (session) => session.mode === 'slice' && session.serial,

    async create(ctx) {
      const path = pathOf(ctx.file);
      await folderOf(ctx, path);
      if (isSingle(ctx.file)) return { kind: 'session', session: { mode: 'single', path } };
      return createSlices(ctx, path);
    },

    async listParts(ctx, session) {
      if (session.mode === 'single') return [];
      const listed = await listSession(ctx, session.path);
      if (!listed || listed.session !== session.session || listed.sliceSize !== session.sliceSize || listed.filesize !== ctx.file.size) {
        throw new UploadError(UploadErrorCode.NotFound, 'COS no longer has this unfinished upload; it starts over.');
      }
      return [...listed.slices].map(([offset, datalen]): PartReceipt => ({
        partNumber: Math.floor(offset / session.sliceSize) + 1,
        size: datalen,
        offset,
      }));
    },

    async uploadPart(ctx, session, part) {
      if (session.mode === 'single') {
        const fields: Array<[string, string | Blob]> = [['op', CosV4Op.Upload]];
        if (hashing) fields.push(['sha', await sha(ctx)]);
        if (options.bizAttr !== undefined) fields.push(['biz_attr', options.bizAttr]);
        fields.push(['insertOnly', String(insertOnly)], ['filecontent', part.blob]);
        const { body } = await call(ctx, session.path, fields);
        return { partNumber: 1, size: part.size, finished: resultOf(session.path, body.data ?? {}, false) };
      }
      // Slices COS listed when this session was adopted are already there; sending them again would only cost time.
      if (listedSlices.get(session.session)?.get(part.offset) === part.size) {
        return { partNumber: part.partNumber, size: part.size, offset: part.offset };
      }
      const { body } = await call(ctx, session.path, [
        ['op', CosV4Op.SliceData],
        ['session', session.session],
        ['offset', String(part.offset)],
        ['filecontent', part.blob],
      ]);
      const data = body.data ?? {};
      const echoed = integer(data['offset']);
      if (echoed !== undefined && echoed !== part.offset) {
        throw new UploadError(UploadErrorCode.BadResponse, `COS acknowledged offset ${echoed} for the slice sent at ${part.offset}.`);
      }
      const receipt: PartReceipt = { partNumber: part.partNumber, size: part.size, offset: part.offset };
      // The Python SDK treats a data answer carrying access_url as the finished upload; so does this adapter.
      if (text(data['access_url'])) receipt['finished'] = resultOf(session.path, data, false);
      return receipt;
    },

    async complete(ctx, session, receipts): Promise<UploadResult> {
      const finished = receipts.find((receipt) => receipt['finished'])?.['finished'] as UploadResult | undefined;
      if (finished) return finished;
      if (session.mode === 'single') return { key: session.path };
      const fields: Array<[string, string]> = [
        ['op', CosV4Op.SliceFinish],
        ['session', session.session],
        ['filesize', String(ctx.file.size)],
      ];
      if (session.hashed) fields.push(['sha', await sha(ctx)]);
      const { body } = await call(ctx, session.path, fields);
      listedSlices.delete(session.session);
      return resultOf(session.path, body.data ?? {}, false);
    },

    parseError: parseCosV4Error,
  };
}
