import { UploadError, UploadErrorCode, codeForStatus, redactUrl } from '../core/errors.js';
import type { UploadErrorInit } from '../core/errors.js';
import { parseJson } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import type { AdapterContext, FileDescription, PartLimits, PartPlan, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec } from '../hashing/digest-spec.js';
import { readXmlError } from '../core/xml-error.js';
import type { MetaStudioConfirmState, MetaStudioCreateFileAnswer, MetaStudioUploadUrlAnswer } from '../server/huawei-metastudio-protocol.js';
import { objectStoreErrors, retryableByStoreCode } from './error-mapping.js';

/** The largest file CreateFile takes (`file_size` 1 .. 5,368,709,120). */
export const METASTUDIO_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024;

/** The longest `file_name` CreateFile takes, in characters. */
export const METASTUDIO_MAX_NAME_LENGTH = 256;

/** The longest `file_type` CreateFile takes, in characters. */
export const METASTUDIO_MAX_FILE_TYPE_LENGTH = 64;

/** One whole-file PUT: the planner never splits, and the engine refuses what CreateFile would refuse. */
export const METASTUDIO_LIMITS: PartLimits = {
  minPartSize: 1,
  maxPartSize: METASTUDIO_MAX_FILE_SIZE,
  maxParts: 1,
  maxFileSize: METASTUDIO_MAX_FILE_SIZE,
  defaultPartSize: METASTUDIO_MAX_FILE_SIZE,
  allowsEmptyFile: false,
};

/** `asset_file_category` values CreateFile knows. */
export const METASTUDIO_FILE_CATEGORIES = [
  'MAIN',
  'COVER',
  'PAGE',
  'SAMPLE',
  'OTHER',
  'WHOLE_MODEL',
  'USER_MODIFIED_MODEL',
  'TEMPORARY',
  'PACKAGE',
] as const;

/** One of {@link METASTUDIO_FILE_CATEGORIES}. */
export type MetaStudioFileCategory = (typeof METASTUDIO_FILE_CATEGORIES)[number];

/** `asset_type` values CreateDigitalAsset takes from a tenant (`VOICE_MODEL` is for administrators only). */
export const METASTUDIO_ASSET_TYPES = [
  'IMAGE',
  'VIDEO',
  'AUDIO',
  'MUSIC',
  'PPT',
  'COMMON_FILE',
  'HUMAN_MODEL_2D',
  'BUSINESS_CARD_TEMPLET',
  'HUMAN_MODEL',
  'SCENE',
  'ANIMATION',
  'MATERIAL',
  'NORMAL_MODEL',
] as const;

/** One of {@link METASTUDIO_ASSET_TYPES}. */
export type MetaStudioAssetType = (typeof METASTUDIO_ASSET_TYPES)[number];


const CONTENT_TYPES: Record<string, string> = {
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  mp4: 'video/mp4',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
};

/**
 * The categories a file may have by asset type, from CreateFile's table. The table's general row ("SCENE、ANIMATION、
 * VIDEO、IMAGE、MATERIAL时,包含MAIN、COVER和OTHER") is narrowed by its own later rows, "IMAGE时,包含MAIN" and "VIDEO时,包含
 * MAIN、COVER", which are taken as the rule. Types it does not list are not checked here.
 */
export const METASTUDIO_CATEGORIES_BY_ASSET_TYPE: Readonly<Partial<Record<MetaStudioAssetType, readonly MetaStudioFileCategory[]>>> = {
  SCENE: ['MAIN', 'COVER', 'OTHER'],
  ANIMATION: ['MAIN', 'COVER', 'OTHER'],
  MATERIAL: ['MAIN', 'COVER', 'OTHER'],
  IMAGE: ['MAIN'],
  VIDEO: ['MAIN', 'COVER'],
  PPT: ['MAIN', 'COVER', 'PAGE', 'OTHER'],
  HUMAN_MODEL: ['MAIN', 'COVER', 'WHOLE_MODEL', 'USER_MODIFIED_MODEL', 'OTHER'],
  HUMAN_MODEL_2D: ['MAIN', 'COVER', 'SAMPLE', 'OTHER'],
  BUSINESS_CARD_TEMPLET: ['MAIN', 'COVER'],
};

/**
 * Why a file of `category` cannot be the first file of a new asset of `assetType`, or undefined: the category must be
 * one the type allows, and "一个资产中MAIN文件只有一个,且必须有一个" (one MAIN per asset, and there must be one) makes
 * the first file of a new asset its MAIN.
 */
export function newAssetCategoryProblem(assetType: MetaStudioAssetType, category: MetaStudioFileCategory): string | undefined {
  const allowed = METASTUDIO_CATEGORIES_BY_ASSET_TYPE[assetType];
  if (allowed && !allowed.includes(category)) {
    return `A ${assetType} asset takes ${allowed.join(', ')} files, not ${category}; choose another \`assetFileCategory\`.`;
  }
  if (category !== 'MAIN') {
    return `The file would be the first of a new asset, which must have a MAIN file; upload a ${category} file into an existing asset (\`assetId\`).`;
  }
  return undefined;
}

/** The Content-Type the MetaStudio upload URL is signed with for a `file_type` (the CreateFile table). */
export function metaStudioContentType(fileType: string): string {
  return CONTENT_TYPES[fileType.toLowerCase()] ?? 'application/octet-stream';
}

/** A file's extension after the last dot, lower-cased, as MetaStudio's default `file_type`; `''` when there is none. */
export function fileTypeFromName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot + 1).toLowerCase();
}

const ASSET_TYPE_BY_FILE_TYPE: Record<string, MetaStudioAssetType> = {
  gif: 'IMAGE',
  jpeg: 'IMAGE',
  jpg: 'IMAGE',
  png: 'IMAGE',
  webp: 'IMAGE',
  bmp: 'IMAGE',
  mp4: 'VIDEO',
  mov: 'VIDEO',
  webm: 'VIDEO',
  mp3: 'AUDIO',
  wav: 'AUDIO',
  aac: 'AUDIO',
  m4a: 'AUDIO',
  ppt: 'PPT',
  pptx: 'PPT',
};

/** The asset type a new asset gets for a file type when the options name none. */
export function assetTypeForFileType(fileType: string): MetaStudioAssetType {
  return ASSET_TYPE_BY_FILE_TYPE[fileType.toLowerCase()] ?? 'COMMON_FILE';
}

/** Length in characters (code points), as MetaStudio's "字符长度" counts, not UTF-16 units. */
function characters(text: string): number {
  return [...text].length;
}

/** Why MetaStudio would refuse this file name, or undefined when it is within the documented 1–256 characters. */
export function metaStudioNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'MetaStudio needs a file name; this file has none.';
  const length = characters(name);
  if (length > METASTUDIO_MAX_NAME_LENGTH) {
    return `"${name.slice(0, 40)}…" has ${length} characters; MetaStudio takes file names of at most ${METASTUDIO_MAX_NAME_LENGTH}.`;
  }
  return undefined;
}

/** Why MetaStudio would refuse this `file_type`, or undefined when it is within the documented 1–64 characters. */
export function metaStudioFileTypeProblem(fileType: string, name: string): string | undefined {
  if (fileType.length === 0) {
    return `"${name}" has no extension, so MetaStudio cannot tell its file type. Rename it or set the \`fileType\` option.`;
  }
  if (characters(fileType) > METASTUDIO_MAX_FILE_TYPE_LENGTH) {
    return `The file type "${fileType.slice(0, 20)}…" is longer than the ${METASTUDIO_MAX_FILE_TYPE_LENGTH} characters MetaStudio takes.`;
  }
  return undefined;
}

/** What the adapter asks of a new asset when it creates one per file. */
export interface MetaStudioNewAsset {
  /** Default: from the file type (IMAGE, VIDEO, AUDIO, PPT, else COMMON_FILE). */
  assetType?: MetaStudioAssetType;
  /** Default: the file name. */
  assetName?: (file: FileDescription) => string;
  assetDescription?: string;
  tags?: string[];
}

/** Options of {@link createMetaStudioAdapter}. */
export interface MetaStudioAdapterOptions {
  /** Base URL of the shipped server handler (`createMetaStudioHandler`), e.g. `/api/huawei-metastudio`. */
  endpoint?: string;
  /** Headers for the handler's routes (a bearer token of your own app goes here; a session cookie travels by itself). */
  headers?: Record<string, string>;
  /** The digital asset every file goes into. Without it, each file gets a new asset (see `newAsset`). */
  assetId?: string | ((file: FileDescription) => string);
  /** How the per-file asset is created when `assetId` is not set. */
  newAsset?: MetaStudioNewAsset;
  /** `asset_file_category`; default `MAIN`. The allowed set depends on the asset type. */
  assetFileCategory?: MetaStudioFileCategory | ((file: FileDescription) => MetaStudioFileCategory);
  /** `file_type`; default the file's extension, lower-cased. */
  fileType?: string | ((file: FileDescription) => string);
  /**
   * PUT the bytes straight to the OBS upload URL instead of through the handler. Off by default: whether
   * MetaStudio's bucket answers CORS for your page is unknown; turn it on after testing against the live service.
   */
  directUpload?: boolean;
  /** Largest file accepted, at most (and by default) the 5 GiB CreateFile allows. */
  maxFileSize?: number;
  /** Sends `auto_meta_analysis: true` at confirmation (image, video and audio MAIN files only). */
  autoMetaAnalysis?: boolean;
}

/**
 * Where one upload stands on MetaStudio. Holds no URL and no credential: the upload URL stays with the handler,
 * which hands it out again (or proxies the PUT) while it lives. `file_md5` is kept so that a resume never re-hashes
 * before sending.
 */
export interface MetaStudioSession {
  fileId: string;
  /**
   * The handler's opaque name for the file when it runs with a `secret` (its record, sealed so that the page can
   * neither read nor change it): the routes take it in place of `fileId`, so a resume after a reload needs it.
   */
  uploadRef?: string;
  assetId: string;
  fileMd5: string;
  fileType: string;
  contentType: string;
  category: MetaStudioFileCategory;
  /** When the upload URL stops working, in ms since the epoch (24 h after CreateFile). */
  expiresAt: number;
  /** True when the adapter created the asset for this file, so that it may create another one on a restart. */
  ownAsset: boolean;
}

/** Digest name under which the adapter reads the whole-file MD5. */
const FILE_MD5 = 'file-md5';

/** A URL this close to its expiry is not worth starting a whole-file PUT on. */
const EXPIRY_MARGIN_MS = 60_000;

const MSS_ERRORS: Record<string, [UploadErrorCode, string]> = {
  'MSS.00000001': [UploadErrorCode.AuthFailed, 'MetaStudio refused the backend\'s credentials (unauthorized). Check the handler\'s IAM token or AK/SK.'],
  'MSS.00000002': [UploadErrorCode.ProviderRejected, 'MetaStudio found the request body invalid.'],
  'MSS.00000003': [UploadErrorCode.ProviderRejected, 'MetaStudio refused a parameter (file name, size, MD5, type, asset or category).'],
  'MSS.00000004': [UploadErrorCode.ServerError, 'MetaStudio had an internal error; the upload will retry.'],
  'MSS.00010008': [UploadErrorCode.AuthFailed, 'MetaStudio found the backend\'s token invalid.'],
  'MSS.00010009': [UploadErrorCode.AuthFailed, 'The backend\'s project id does not belong to the account of its token.'],
  'MSS.10000002': [UploadErrorCode.ProviderRejected, 'MetaStudio could not read the request body as JSON.'],
  'MSS.10000003': [UploadErrorCode.ProviderRejected, 'MetaStudio\'s parameter validation failed.'],
  'MSS.10001001': [UploadErrorCode.NotFound, 'The MetaStudio asset does not exist.'],
  'MSS.10001003': [UploadErrorCode.FileTypeRejected, 'MetaStudio needs a file type; set the `fileType` option for files without an extension.'],
  'MSS.10001004': [UploadErrorCode.NotFound, 'MetaStudio does not have this file (deleted, or never uploaded).'],
  'MSS.10001007': [UploadErrorCode.LimitExceeded, 'The file is larger than MetaStudio allows for this kind of asset file (5,242,880 bytes).'],
  'MSS.10001008': [UploadErrorCode.ProviderRejected, 'This asset already has its MAIN file; upload into a new asset or choose another category.'],
  'MSS.10001009': [UploadErrorCode.ProviderRejected, 'This asset already has its COVER file.'],
  // The API gateway's codes: an expired IAM token is refreshed by the handler on the retry.
  'APIGW.0307': [UploadErrorCode.UrlExpired, 'The backend\'s IAM token expired; it will be renewed.'],
  'APIGW.0308': [UploadErrorCode.RateLimited, 'MetaStudio\'s API gateway asked to slow down; the upload will retry.'],
};

/** OBS's answers to the upload URL's PUT: the object-store table, worded for MetaStudio's one signed PUT. */
const OBS_ERRORS = objectStoreErrors({
  AccessDenied: [UploadErrorCode.AuthFailed, 'The storage refused the upload URL.'],
  SignatureDoesNotMatch: [
    UploadErrorCode.AuthFailed,
    'The storage refused the upload signature: the Content-Type or Content-MD5 sent differs from what MetaStudio signed (check `fileType`).',
  ],
  BadDigest: [UploadErrorCode.HashMismatch, 'The file arrived damaged: its MD5 did not match. It will be sent again.'],
  InvalidDigest: [UploadErrorCode.HashMismatch, 'The Content-MD5 header was malformed.'],
  EntityTooLarge: [UploadErrorCode.LimitExceeded, 'The file is larger than the storage accepts.'],
  RequestTimeout: [UploadErrorCode.Timeout, 'The storage timed out waiting for data; the file will be sent again.'],
});

/** The handler's own `{ error: { code } }` codes, where the status alone would say less. */
const HANDLER_ERRORS: Record<string, [UploadErrorCode, string]> = {
  'unknown-file': [UploadErrorCode.NotFound, 'The backend no longer knows this upload; a new one will be started.'],
  'upload-expired': [UploadErrorCode.UrlExpired, 'The 24-hour upload URL expired; a new upload will be started.'],
  forbidden: [UploadErrorCode.AuthFailed, 'The backend did not allow this upload.'],
  'request-timeout': [UploadErrorCode.Timeout, 'The backend stopped waiting for the file\'s bytes; it will be sent again.'],
  'upstream-timeout': [UploadErrorCode.Timeout, 'MetaStudio did not answer the backend in time; the upload will retry.'],
  'file-too-large': [UploadErrorCode.FileTooLarge, 'The file is larger than the backend allows.'],
  'upstream-unreachable': [UploadErrorCode.ServerError, 'The backend could not reach MetaStudio; the upload will retry.'],
};

interface ProviderError {
  code?: string;
  message?: string;
  requestId?: string;
}

/** Reads MetaStudio's `{error_code, error_msg}`, OBS's XML `<Error>`, or the handler's `{error: {code, message}}`. */
function readProviderError(response: HttpResponse): ProviderError {
  const requestId = response.headers.get('X-Request-Id') ?? response.headers.get('x-obs-request-id') ?? undefined;
  const xml = readXmlError(response.text);
  if (xml) return { ...xml, requestId: xml.requestId ?? requestId };
  const json = parseJson<{
    error_code?: unknown;
    error_msg?: unknown;
    request_id?: unknown;
    error?: { code?: unknown; message?: unknown; requestId?: unknown };
  }>(response);
  if (!json || typeof json !== 'object') return { requestId };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if (typeof json.error_code === 'string') {
    return { code: json.error_code, message: text(json.error_msg), requestId: text(json.request_id) ?? requestId };
  }
  if (json.error && typeof json.error === 'object') {
    return { code: text(json.error.code), message: text(json.error.message), requestId: text(json.error.requestId) ?? requestId };
  }
  return { requestId };
}

/** Turns a MetaStudio, OBS or handler error answer into an UploadError with a message a person can act on. */
export function parseMetaStudioError(response: HttpResponse): UploadError {
  const detail = readProviderError(response);
  const init: UploadErrorInit = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: { id: 'huawei-metastudio', ...detail },
  };
  const code = detail.code ?? '';
  if (code === 'AccessDenied' && /expired/i.test(detail.message ?? '')) {
    return new UploadError(UploadErrorCode.UrlExpired, 'The 24-hour upload URL expired; a new upload will be started.', init);
  }
  const known = MSS_ERRORS[code] ?? OBS_ERRORS[code] ?? HANDLER_ERRORS[code];
  // A bad digest with a digest computed from the file means the bytes were damaged on the way: sending again cures it.
  if (known) return new UploadError(known[0], known[1], { ...init, retryable: retryableByStoreCode(code) });
  const fallback = code.startsWith('APIGW.') && response.status === 401 ? UploadErrorCode.AuthFailed : codeForStatus(response.status);
  const where = redactUrl(response.url);
  const said = detail.message ? `: ${detail.message}` : '.';
  const message =
    fallback === UploadErrorCode.ServerError
      ? `The server at ${where} failed (HTTP ${response.status})${said} The upload will retry.`
      : `The request to ${where} was refused (HTTP ${response.status})${code ? ` ${code}` : ''}${said}`;
  return new UploadError(fallback, message, init);
}

function pick<T>(option: T | ((file: FileDescription) => T) | undefined, file: FileDescription): T | undefined {
  return typeof option === 'function' ? (option as (file: FileDescription) => T)(file) : option;
}

/** What is in flight for a session in this page: the file now being uploaded to, which replaces an expired one. */
interface LiveFile {
  fileId: string;
  uploadRef?: string;
  assetId: string;
  expiresAt: number;
  /** Set when the URL expired or the handler forgot the file: the next attempt creates a new file. */
  stale: boolean;
}

/**
 * Huawei Cloud MetaStudio asset files through the shipped server handler: the whole-file MD5 (Base64) is hashed
 * first, then CreateFile, one PUT of the whole file with Content-MD5 and the signed Content-Type, and
 * ConfirmFileUpload (`CREATED`, or `FAILED` / `CANCELLED`).
 */
export function createMetaStudioAdapter(options: MetaStudioAdapterOptions): ProviderAdapter<MetaStudioSession> {
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint) throw new Error('The MetaStudio adapter needs an `endpoint`: the base URL of createMetaStudioHandler.');
  const maxFileSize = Math.min(options.maxFileSize ?? METASTUDIO_MAX_FILE_SIZE, METASTUDIO_MAX_FILE_SIZE);
  const limits: PartLimits = { ...METASTUDIO_LIMITS, maxFileSize, maxPartSize: maxFileSize, defaultPartSize: maxFileSize };
  // Caches for this page only: an asset made for a file survives a retried create, and a replaced file its session.
  const assets = new WeakMap<Blob, string>();
  const live = new WeakMap<MetaStudioSession, LiveFile>();

  const json = { ...options.headers, 'Content-Type': 'application/json' };
  // The handler names a file by its sealed upload_ref when it has one, else by its file_id.
  const fileRoute = (file: { fileId: string; uploadRef?: string }, rest = '') =>
    `${endpoint}/files/${encodeURIComponent(file.uploadRef ?? file.fileId)}${rest}`;

  async function askJson<T>(ctx: AdapterContext, request: HttpRequest): Promise<T> {
    const response = await ctx.send(request);
    const body = parseJson<T>(response);
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new UploadError(UploadErrorCode.BadResponse, `The backend at ${redactUrl(response.url)} did not answer with a JSON object.`, {
        status: response.status,
        provider: { id: 'huawei-metastudio', requestId: response.headers.get('X-Request-Id') ?? undefined },
      });
    }
    return body;
  }

  function fileTypeOf(file: FileDescription): string {
    return pick(options.fileType, file) ?? fileTypeFromName(file.name);
  }

  function checkFile(file: FileDescription): void {
    const nameProblem = metaStudioNameProblem(file.name);
    if (nameProblem) throw new UploadError(UploadErrorCode.ProviderRejected, nameProblem, { retryable: false });
    const typeProblem = metaStudioFileTypeProblem(fileTypeOf(file), file.name);
    if (typeProblem) throw new UploadError(UploadErrorCode.FileTypeRejected, typeProblem, { retryable: false });
  }

  async function newAsset(ctx: AdapterContext, fileType: string): Promise<string> {
    const spec = options.newAsset ?? {};
    const created = await askJson<{ asset_id?: unknown }>(ctx, {
      method: 'POST',
      url: `${endpoint}/assets`,
      headers: json,
      body: JSON.stringify({
        asset_name: spec.assetName?.(ctx.file) ?? ctx.file.name,
        asset_type: spec.assetType ?? assetTypeForFileType(fileType),
        ...(spec.assetDescription !== undefined && { asset_description: spec.assetDescription }),
        ...(spec.tags !== undefined && { tags: spec.tags }),
      }),
    });
    if (typeof created.asset_id !== 'string') throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s asset answer lacks `asset_id`.');
    assets.set(ctx.blob, created.asset_id);
    return created.asset_id;
  }

  async function assetFor(ctx: AdapterContext, fileType: string): Promise<{ assetId: string; ownAsset: boolean }> {
    const given = pick(options.assetId, ctx.file);
    if (given) return { assetId: given, ownAsset: false };
    return { assetId: assets.get(ctx.blob) ?? (await newAsset(ctx, fileType)), ownAsset: true };
  }

  async function createFile(
    ctx: AdapterContext,
    input: Omit<MetaStudioSession, 'fileId' | 'expiresAt' | 'uploadRef'>,
  ): Promise<Pick<MetaStudioSession, 'fileId' | 'expiresAt' | 'uploadRef'>> {
    const created = await askJson<Partial<MetaStudioCreateFileAnswer>>(ctx, {
      method: 'POST',
      url: `${endpoint}/files`,
      headers: json,
      body: JSON.stringify({
        file_name: ctx.file.name,
        file_md5: input.fileMd5,
        file_size: ctx.file.size,
        file_type: input.fileType,
        asset_id: input.assetId,
        asset_file_category: input.category,
      }),
    });
    if (typeof created.file_id !== 'string' || typeof created.expires_at !== 'number' || (created.upload_ref !== undefined && typeof created.upload_ref !== 'string')) {
      throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s create-file answer lacks `file_id` or `expires_at`, or has an `upload_ref` that is not a string.');
    }
    return { fileId: created.file_id, expiresAt: created.expires_at, ...(created.upload_ref !== undefined && { uploadRef: created.upload_ref }) };
  }

  /** The file this session uploads to now; a new one when the last expired or was forgotten by the handler. */
  async function currentFile(ctx: AdapterContext, session: MetaStudioSession): Promise<LiveFile> {
    const known = live.get(session) ?? {
      fileId: session.fileId,
      ...(session.uploadRef !== undefined && { uploadRef: session.uploadRef }),
      assetId: session.assetId,
      expiresAt: session.expiresAt,
      stale: false,
    };
    if (!known.stale && Date.now() < known.expiresAt - EXPIRY_MARGIN_MS) {
      live.set(session, known);
      return known;
    }
    // The old file goes first: a second MAIN file in one asset is refused (MSS.10001008) while the first exists.
    const deleted = await ctx.send({ method: 'DELETE', url: fileRoute(known), headers: options.headers }, { acceptStatus: [400, 403, 404] });
    // A handler that forgot the file (404) or no longer takes its ref (403) cannot delete it, so its MAIN slot stays
    // taken: a file of our own goes into a new asset.
    const assetId = (deleted.status === 403 || deleted.status === 404) && session.ownAsset ? await newAsset(ctx, session.fileType) : known.assetId;
    const replacement = await createFile(ctx, { ...session, assetId });
    const next = { ...replacement, assetId, stale: false };
    live.set(session, next);
    return next;
  }

  async function confirm(ctx: AdapterContext, file: { fileId: string; uploadRef?: string }, state: MetaStudioConfirmState): Promise<HttpResponse> {
    return ctx.send({
      method: 'POST',
      url: fileRoute(file, '/complete'),
      headers: json,
      body: JSON.stringify({ state, ...(state === 'CREATED' && options.autoMetaAnalysis && { auto_meta_analysis: true }) }),
    });
  }

  async function put(ctx: AdapterContext, session: MetaStudioSession, file: LiveFile, body: Blob): Promise<HttpResponse> {
    const digestHeaders = { 'Content-MD5': session.fileMd5, 'Content-Type': session.contentType };
    if (!options.directUpload) {
      return ctx.send({ method: 'PUT', url: fileRoute(file, '/content'), headers: { ...options.headers, ...digestHeaders }, body });
    }
    const target = await askJson<Partial<MetaStudioUploadUrlAnswer>>(ctx, {
      method: 'GET',
      url: fileRoute(file, '/upload-url'),
      headers: options.headers,
    });
    if (typeof target.upload_url !== 'string') throw new UploadError(UploadErrorCode.BadResponse, 'The backend\'s upload-URL answer lacks `upload_url`.');
    return ctx.send({ method: 'PUT', url: target.upload_url, headers: { ...digestHeaders, ...target.headers }, body });
  }

  return {
    id: 'huawei-metastudio',
    target: endpoint,
    limits,

    digests(): DigestSpec[] {
      return [{ name: FILE_MD5, algorithm: 'md5', encoding: 'base64', scope: 'file', when: 'before-create' }];
    },

    planParts(file): PartPlan {
      if (file.size > maxFileSize) {
        throw new UploadError(
          UploadErrorCode.FileTooLarge,
          `"${file.name}" is larger than the ${maxFileSize} bytes MetaStudio takes in one upload.`,
          { retryable: false },
        );
      }
      if (file.size === 0) throw new UploadError(UploadErrorCode.FileEmpty, 'MetaStudio does not take empty files.', { retryable: false });
      checkFile(file);
      return { partSize: file.size, partCount: 1 };
    },

    async create(ctx) {
      checkFile(ctx.file);
      const fileType = fileTypeOf(ctx.file);
      const category = pick(options.assetFileCategory, ctx.file) ?? 'MAIN';
      if (!pick(options.assetId, ctx.file)) {
        const problem = newAssetCategoryProblem(options.newAsset?.assetType ?? assetTypeForFileType(fileType), category);
        if (problem) throw new UploadError(UploadErrorCode.ProviderRejected, problem, { retryable: false });
      }
      const fileMd5 = (await ctx.digest(FILE_MD5)) as string;
      const file = {
        ...(await assetFor(ctx, fileType)),
        fileMd5,
        fileType,
        contentType: metaStudioContentType(fileType),
        category,
      };
      return { kind: 'session', session: { ...file, ...(await createFile(ctx, file)) } };
    },

    async uploadPart(ctx, session, part) {
      const file = await currentFile(ctx, session);
      let response: HttpResponse;
      try {
        response = await put(ctx, session, file, part.blob);
      } catch (thrown) {
        if (thrown instanceof UploadError && (thrown.code === UploadErrorCode.UrlExpired || thrown.code === UploadErrorCode.NotFound)) {
          // Nothing renews an upload URL: the retry (at once, uncounted) creates a new file and sends it all again.
          file.stale = true;
          throw new UploadError(UploadErrorCode.UrlExpired, thrown.message, {
            status: thrown.status,
            provider: thrown.provider,
            cause: thrown,
          });
        }
        throw thrown;
      }
      return {
        partNumber: part.partNumber,
        size: part.size,
        fileId: file.fileId,
        ...(file.uploadRef !== undefined && { uploadRef: file.uploadRef }),
        assetId: file.assetId,
        ...(response.headers.get('ETag') ? { etag: response.headers.get('ETag') as string } : {}),
      };
    },

    async complete(ctx, session, receipts): Promise<UploadResult> {
      const [receipt] = receipts;
      // The receipt names the file the bytes went to, which may have replaced the session's.
      const file =
        typeof receipt?.fileId === 'string'
          ? { fileId: receipt.fileId, ...(typeof receipt.uploadRef === 'string' && { uploadRef: receipt.uploadRef }) }
          : session;
      await confirm(ctx, file, 'CREATED');
      return { fileId: file.fileId, assetId: typeof receipt?.assetId === 'string' ? receipt.assetId : session.assetId, state: 'CREATED' };
    },

    async abort(ctx, session) {
      await confirm(ctx, live.get(session) ?? session, 'CANCELLED');
    },

    async fail(ctx, session) {
      await confirm(ctx, live.get(session) ?? session, 'FAILED');
    },

    parseError: parseMetaStudioError,
  };
}
