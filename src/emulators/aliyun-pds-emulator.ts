import { createCRC64, createSHA1, md5, sha1, type IHasher } from 'hash-wasm';
import { bytesToBase64, concatBytes } from './checksums.js';
import { FaultKind, type FaultTarget } from './faults.js';
import { Sha1State } from './sha1-state.js';
import { corsHeaders, EmulatorBase, JsonRefusal, objectStoreFailure, randomHex, Refusal, serveWithFaults, XmlRefusal, type EmulatorOptions } from './emulator.js';

/** Options of {@link AliyunPdsEmulator}. */
export interface AliyunPdsEmulatorOptions extends EmulatorOptions {
  /** Where the emulator is mounted, e.g. `/emulator/aliyun-pds`: the API is `{basePath}/v2/file/…`, parts `{basePath}/oss/…`. */
  basePath: string;
  domainId?: string;
  /** Drives that exist; defaults to `['1']`. */
  driveIds?: string[];
  /** `false` emulates a domain without parallel upload (`InvalidParameterNotSupported.ParallelUpload`). Default `true`. */
  parallelUpload?: boolean;
  /** How long a part URL stays valid; PDS's default is 15 minutes. */
  urlLifetimeMs?: number;
  /** How long an issued test token stays valid; default 2 hours. */
  tokenLifetimeMs?: number;
  /** How long unfinished uploads and their parts are kept; PDS keeps them 10 days. */
  sessionLifetimeMs?: number;
  /** The `content_type` returned for each part, which the part PUT must carry exactly; PDS normally returns `''`. */
  partContentType?: string;
  /**
   * Whether complete returns `crc64_hash` as a bare JSON number, as the seed's answer does
   * (`"crc64_hash": 3574582125365864400`; the default), or as a string (the SDK model).
   */
  crc64Encoding?: 'string' | 'number';
  /** `false` emulates a data domain whose CORS rule forgets to expose `ETag`. Default `true`. */
  exposeETag?: boolean;
  /** The smallest non-last part complete accepts; OSS's 100 KB unless a test needs smaller. */
  minPartSize?: number;
  /** The largest part; OSS's 5 GiB unless a test needs smaller. */
  maxPartSize?: number;
  /** The test key pair that signs part URLs (OSS V1 query signatures); not a secret. */
  ossCredentials?: { accessKeyId: string; accessKeySecret: string };
}

/** The operations the emulator serves, as fault-injection targets (`operation`). */
export const AliyunPdsOperation = {
  CreateFile: 'CreateFile',
  GetUploadUrl: 'GetUploadUrl',
  ListUploadedParts: 'ListUploadedParts',
  CompleteFile: 'CompleteFile',
  GetFile: 'GetFile',
  UploadPart: 'UploadPart',
} as const;

const API_OPERATIONS: Record<string, AliyunPdsOperation> = {
  create: AliyunPdsOperation.CreateFile,
  get_upload_url: AliyunPdsOperation.GetUploadUrl,
  list_uploaded_parts: AliyunPdsOperation.ListUploadedParts,
  complete: AliyunPdsOperation.CompleteFile,
  get: AliyunPdsOperation.GetFile,
};

/** One of {@link AliyunPdsOperation}. */
export type AliyunPdsOperation = (typeof AliyunPdsOperation)[keyof typeof AliyunPdsOperation];

/**
 * Error codes the note marks (unknown): the real service's codes for these refusals are not public, so the emulator
 * names them after the field at fault. Adapters must not depend on more than the family prefix.
 */
export const ALIYUN_PDS_UNDOCUMENTED_CODES = {
  Crc64Mismatch: 'InvalidParameter.Crc64Hash',
  ContentHashMismatch: 'InvalidParameter.ContentHash',
  ContextMismatch: 'InvalidParameter.ParallelSha1Ctx',
  PartsMissing: 'InvalidParameter.PartNotComplete',
  SizeMismatch: 'InvalidParameter.Size',
  EtagMismatch: 'InvalidParameter.Etag',
  PartTooSmall: 'InvalidParameterOutOfRange.PartSize',
  UnequalParts: 'InvalidParameter.PartSize',
} as const;

/** Counts of what the emulator served since the last reset. */
export interface AliyunPdsEmulatorStats {
  create: number;
  /** Creates answered `rapid_upload: true`. */
  rapidUploads: number;
  /** Creates answered 409 `PreHashMatched`. */
  preHashMatched: number;
  /** Creates refused because the domain has no parallel upload. */
  parallelRefused: number;
  getUploadUrl: number;
  listUploadedParts: number;
  uploadPart: number;
  complete: number;
  /** Completes that carried a `crc64_hash`, all of which were checked. */
  crc64Checked: number;
  tokensIssued: number;
  /** Part numbers of every stored part, in arrival order. */
  partNumbersReceived: number[];
  /** Every refused request: operation, part number for parts, and the error code. */
  refusals: Array<{ operation: string; partNumber?: number; code: string }>;
}

/** A file the emulator holds, as tests see it. */
export interface AliyunPdsStoredFile {
  fileId: string;
  driveId: string;
  parentFileId: string;
  name: string;
  size: number;
  status: 'uploading' | 'available';
  contentHash?: string;
  crc64Hash?: string;
  /** True when it was created by rapid upload, with no byte sent. */
  rapid: boolean;
}

/** An upload in progress, as tests see it. */
export interface AliyunPdsPendingUpload {
  uploadId: string;
  fileId: string;
  name: string;
  parallel: boolean;
  partNumbers: number[];
}

/** What an issued test token looks like, in the shape of PDS's token endpoint. */
export interface AliyunPdsTestToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const MAX_PARTS = 10_000;
const MAX_LIST_LIMIT = 100;
const MAX_NAME_BYTES = 1024;
const PRE_HASH_BYTES = 1024;
const SHA1_HEX = /^[0-9A-Fa-f]{40}$/;
const BUCKET = 'pds-emulator-data';
const CHECK_NAME_MODES = new Set(['ignore', 'auto_rename', 'refuse']);
const DEFAULT_OSS_CREDENTIALS = { accessKeyId: 'LTAIEMULATORPDS0', accessKeySecret: 'pds-emulator-oss-key-not-a-secret' };

/** HTTP status of each API error code; codes of a family not listed take their family's status. */
const API_STATUS: Record<string, number> = {
  AccessTokenInvalid: 401,
  AccessTokenExpired: 401,
  PreHashMatched: 409,
  'AlreadyExist.File': 409,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

function apiStatus(code: string): number {
  if (API_STATUS[code] !== undefined) return API_STATUS[code];
  if (code.startsWith('NotFound')) return 404;
  if (code.startsWith('Forbidden')) return 403;
  return 400;
}

const OSS_STATUS: Record<string, number> = {
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  NoSuchUpload: 404,
  PartAlreadyExist: 409,
  PartNotSequential: 400,
  InvalidArgument: 400,
  EntityTooLarge: 400,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** A refusal of an API call, answered as PDS's JSON error. */
class PdsRefusal extends JsonRefusal {
  constructor(code: string, message: string) {
    super(apiStatus(code), code, message, () => ({ code, message }));
  }
}

/** A refusal of a part PUT, answered as OSS's XML error. */
class OssRefusal extends XmlRefusal {
  constructor(code: string, message: string, details: Record<string, string> = {}, status = OSS_STATUS[code] ?? 400, headers: Record<string, string> = {}) {
    super(status, code, message, headers, Object.entries(details));
  }
}

/** An injected 5xx or 429 of an API call, answered as the service or its API gateway does. */
class InjectedFailure extends Refusal {
  constructor(status: number, readonly retryAfter: string | undefined) {
    super(status, `HTTP ${status}`, `Injected HTTP ${status}`, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
  }

  toResponse(requestId: string): Response {
    if (this.status === 504) {
      // The API gateway answers its own errors in headers only, with an empty body.
      return new Response(null, {
        status: 504,
        headers: { ...this.headers, 'x-ca-error-code': 'D504TO', 'x-ca-error-message': 'Backend service timed out.', 'x-ca-request-id': requestId },
      });
    }
    const code = this.status === 429 ? 'TooManyRequests' : this.status === 503 ? 'ServiceUnavailable' : 'InternalError';
    return new Response(JSON.stringify({ code, message: `The service failed (${code}); try again.` }), {
      status: this.status,
      headers: { ...this.headers, 'content-type': 'application/json' },
    });
  }
}

interface ParallelContext {
  words: number[];
  offset: number;
}

interface PartSlot {
  contentType: string;
  context?: ParallelContext;
}

interface StoredPart {
  bytes: Uint8Array;
  md5: string;
  /** Parallel mode: the SHA-1 state after this part, continued from its context. */
  wordsAfter?: number[];
}

interface Upload {
  uploadId: string;
  fileId: string;
  name: string;
  size: number | undefined;
  parallel: boolean;
  contentHash: string | undefined;
  createdAt: number;
  slots: Map<number, PartSlot>;
  parts: Map<number, StoredPart>;
  /** Serial mode: the SHA-1 of the parts received so far, in order. */
  sha1?: IHasher;
}

interface FileRecord {
  fileId: string;
  driveId: string;
  parentFileId: string;
  name: string;
  type: 'file' | 'folder';
  status: 'uploading' | 'available';
  size: number;
  bytes?: Uint8Array;
  contentHash?: string;
  preHash?: string;
  crc64Hash?: string;
  rapid: boolean;
  createdAt: number;
  updatedAt: number;
}

type Json = Record<string, unknown>;


function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}


function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(body: Json, field: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') throw new PdsRefusal('InvalidParameterMissing', `${field} is required.`);
  if (typeof value !== 'string') throw new PdsRefusal('InvalidParameter', `${field} must be a string.`);
  return value;
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new PdsRefusal('InvalidParameter', `${field} must be a string.`);
  return value;
}

function isUint32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

/** Reads one `parallel_sha1_ctx`, checking what can be checked without the bytes. */
function readContext(partNumber: number, value: unknown): ParallelContext | undefined {
  if (value === undefined || value === null) return undefined;
  const bad = (why: string) => new PdsRefusal(ALIYUN_PDS_UNDOCUMENTED_CODES.ContextMismatch, `Part ${partNumber}: parallel_sha1_ctx ${why}.`);
  if (!isObject(value) || !Array.isArray(value['h'])) throw bad('must be {h: long[5], part_offset: long}');
  const words = value['h'] as unknown[];
  const offset = value['part_offset'];
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw bad('needs a non-negative part_offset');
  if ((offset as number) % 64 !== 0) throw bad(`part_offset ${String(offset)} is not a multiple of 64`);
  if ((offset === 0) !== (partNumber === 1)) throw bad('has part_offset 0 exactly when it is part 1');
  if (offset === 0) {
    // The JS SDK sends `{h: [], part_offset: 0}` for part 1; the SHA-1 initial state means the same.
    if (words.length !== 0 && !(words.length === 5 && new Sha1State().words().every((w, i) => w === words[i]))) {
      throw bad('at offset 0 must be empty or the SHA-1 initial state');
    }
    return { words: new Sha1State().words(), offset: 0 };
  }
  if (words.length !== 5 || !words.every(isUint32)) throw bad('h must be five unsigned 32-bit integers');
  return { words: words as number[], offset: offset as number };
}

function sameWords(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/**
 * A strict, in-memory Aliyun PDS (API 2022-03-01 file upload) as a Fetch handler: Bearer tokens it issued itself,
 * create with pre-hash and content-hash rapid upload and check_name_mode, serial and parallel part modes with their
 * ordering and SHA-1 context checks, OSS-style signed part URLs that expire, list_uploaded_parts pagination, and
 * complete with CRC-64 verification, answering in PDS's JSON and OSS's XML error shapes. Runs in a page (msw) and in
 * Node alike. An `expire` fault applies to part URLs and, on API operations, to the Bearer token.
 */
export class AliyunPdsEmulator extends EmulatorBase<AliyunPdsEmulatorStats> {
  readonly domainId: string;

  #driveIds: Set<string>;
  #parallelUpload: boolean;
  #parallelByDefault: boolean;
  #urlLifetimeMs: number;
  #tokenLifetimeMs: number;
  #sessionLifetimeMs: number;
  #partContentType: string;
  #crc64Encoding: 'string' | 'number';
  #exposeETag: boolean;
  #minPartSize: number;
  #maxPartSize: number;
  #oss: { accessKeyId: string; accessKeySecret: string };
  #signingKey: Promise<CryptoKey> | undefined;
  #tokens = new Map<string, number>();
  #uploads = new Map<string, Upload>();
  #files = new Map<string, FileRecord>();

  constructor(options: AliyunPdsEmulatorOptions) {
    super(options, () => ({
      create: 0,
      rapidUploads: 0,
      preHashMatched: 0,
      parallelRefused: 0,
      getUploadUrl: 0,
      listUploadedParts: 0,
      uploadPart: 0,
      complete: 0,
      crc64Checked: 0,
      tokensIssued: 0,
      partNumbersReceived: [],
      refusals: [],
    }));
    this.domainId = options.domainId ?? 'emulator';
    this.#driveIds = new Set(options.driveIds ?? ['1']);
    this.#parallelByDefault = options.parallelUpload ?? true;
    this.#parallelUpload = this.#parallelByDefault;
    this.#urlLifetimeMs = options.urlLifetimeMs ?? 15 * 60_000;
    this.#tokenLifetimeMs = options.tokenLifetimeMs ?? 2 * 3600_000;
    this.#sessionLifetimeMs = options.sessionLifetimeMs ?? 10 * 24 * 3600_000;
    this.#partContentType = options.partContentType ?? '';
    this.#crc64Encoding = options.crc64Encoding ?? 'number';
    this.#exposeETag = options.exposeETag ?? true;
    this.#minPartSize = options.minPartSize ?? 100 * KiB;
    this.#maxPartSize = options.maxPartSize ?? 5 * GiB;
    this.#oss = { ...(options.ossCredentials ?? DEFAULT_OSS_CREDENTIALS) };
  }

  /** Issues a Bearer access token the API accepts, as a user's backend would hand one to the page. */
  issueToken(lifetimeMs = this.#tokenLifetimeMs): AliyunPdsTestToken {
    const token = `pds-test.${randomHex(24)}`;
    this.#tokens.set(token, this.now() + lifetimeMs);
    this.stats.tokensIssued += 1;
    return { access_token: token, token_type: 'Bearer', expires_in: Math.round(lifetimeMs / 1000) };
  }

  /** Makes every issued token expired, as if time had passed. */
  expireTokens(): void {
    for (const token of this.#tokens.keys()) this.#tokens.set(token, 0);
  }

  /** Switches the domain's parallel-upload support, for tests of the fallback. */
  setParallelUpload(supported: boolean): void {
    this.#parallelUpload = supported;
  }

  /** A copy of a stored file's bytes, or `undefined` while it is missing or unfinished. */
  storedBytes(fileId: string): Uint8Array<ArrayBuffer> | undefined {
    const file = this.#files.get(fileId);
    return file?.bytes ? file.bytes.slice() : undefined;
  }

  /** Every file record (uploading or available). */
  listFiles(): AliyunPdsStoredFile[] {
    return [...this.#files.values()]
      .filter((file) => file.type === 'file')
      .map((file) => ({
        fileId: file.fileId,
        driveId: file.driveId,
        parentFileId: file.parentFileId,
        name: file.name,
        size: file.size,
        status: file.status,
        ...(file.contentHash === undefined ? {} : { contentHash: file.contentHash }),
        ...(file.crc64Hash === undefined ? {} : { crc64Hash: file.crc64Hash }),
        rapid: file.rapid,
      }));
  }

  /** The uploads neither completed nor expired. */
  pending(): AliyunPdsPendingUpload[] {
    return [...this.#uploads.values()].map((upload) => ({
      uploadId: upload.uploadId,
      fileId: upload.fileId,
      name: upload.name,
      parallel: upload.parallel,
      partNumbers: [...upload.parts.keys()].sort((a, b) => a - b),
    }));
  }

  /** Also restores parallel-upload support as constructed. */
  protected forget(): void {
    this.#parallelUpload = this.#parallelByDefault;
    this.#files.clear();
    this.#uploads.clear();
    this.#tokens.clear();
  }

  protected override newRequestId(): string {
    return randomHex(16).toUpperCase();
  }

  protected override answerHeaders(request: Request, requestId: string): Record<string, string> {
    return { 'x-ca-request-id': requestId, ...this.#corsHeaders(request) };
  }

  protected async serve(request: Request, requestId: string): Promise<Response> {
    if (request.method === 'OPTIONS') return new Response(null, { status: 200 });
    const url = new URL(request.url);
    const path = url.pathname.startsWith(this.basePath) ? url.pathname.slice(this.basePath.length) : url.pathname;
    const operation = API_OPERATIONS[/^\/v2\/file\/([a-z_]+)$/.exec(path)?.[1] ?? ''];
    if (operation && request.method === 'POST') return this.#serveApi(request, url, operation, requestId);
    if (path.startsWith('/oss/') && request.method === 'PUT') return this.#servePart(request, url, path.slice('/oss/'.length), requestId);
    return new PdsRefusal('NotFound', `No PDS operation ${request.method} ${path}.`).toResponse(requestId, request.method);
  }

  #corsHeaders(request: Request): Record<string, string> {
    const exposed = ['x-ca-request-id', 'x-ca-error-code', 'x-ca-error-message', 'Retry-After'];
    if (this.#exposeETag) exposed.unshift('ETag');
    return corsHeaders(request, { methods: 'GET, PUT, POST, OPTIONS', exposed });
  }

  // ---- API -------------------------------------------------------------------------------------------------------

  /**
   * Serves one API call through the faults. A drop whose byte count the body fits in lets the call take effect and
   * loses only the answer, as when a connection breaks after the server got it all.
   */
  async #serveApi(request: Request, url: URL, operation: AliyunPdsOperation, requestId: string): Promise<Response> {
    const text = await request.clone().text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const name = isObject(body) && typeof body['name'] === 'string' ? body['name'] : undefined;
    const uploadId = isObject(body) && typeof body['upload_id'] === 'string' ? body['upload_id'] : undefined;
    const target: FaultTarget = { operation, ...(name === undefined ? {} : { key: name }) };
    try {
      return await serveWithFaults({
        faults: this.faults,
        request,
        target,
        bodyLength: () => utf8Length(text),
        authenticate: () => {
          if (!isObject(body)) throw new PdsRefusal('InvalidParameter', 'The request body must be a JSON object.');
          this.#authenticate(request, target);
        },
        ...(uploadId !== undefined && { forgetSession: () => this.#uploads.delete(uploadId) }),
        fail: (status, retryAfter, asked) => {
          // A fault naming one of PDS's documented codes is answered as PDS answers it, with that code's status.
          throw asked === undefined ? new InjectedFailure(status, retryAfter) : new PdsRefusal(asked, `Injected ${asked}.`);
        },
        serve: () => this.#answerApi(url, operation, body as Json, requestId),
      });
    } catch (error) {
      if (!(error instanceof PdsRefusal || error instanceof InjectedFailure)) throw error;
      this.stats.refusals.push({ operation, code: String(error.code) });
      return error.toResponse(requestId, request.method);
    }
  }

  async #answerApi(url: URL, operation: AliyunPdsOperation, body: Json, requestId: string): Promise<Response> {
    try {
      const origin = this.urlOrigin(url);
      switch (operation) {
        case AliyunPdsOperation.CreateFile:
          return this.#json(await this.#create(body, origin));
        case AliyunPdsOperation.GetUploadUrl:
          return this.#json(await this.#getUploadUrl(body, origin));
        case AliyunPdsOperation.ListUploadedParts:
          return this.#json(this.#listUploadedParts(body));
        case AliyunPdsOperation.GetFile:
          return this.#getFile(body);
        default:
          return await this.#complete(body);
      }
    } catch (error) {
      if (!(error instanceof PdsRefusal)) throw error;
      this.stats.refusals.push({ operation, code: error.code as string });
      return error.toResponse(requestId, 'POST');
    }
  }

  #authenticate(request: Request, target: FaultTarget): void {
    const header = request.headers.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const expiresAt = token === undefined ? undefined : this.#tokens.get(token);
    if (expiresAt === undefined) {
      throw new PdsRefusal('AccessTokenInvalid', token === undefined ? 'AccessToken is required.' : 'AccessToken is invalid.');
    }
    if (expiresAt <= this.now() || this.faults.take(FaultKind.Expire, target)) {
      throw new PdsRefusal('AccessTokenExpired', 'AccessToken is expired.');
    }
  }

  #json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }

  /** The upload an API call names, refusing unknown, finished and expired ones as PDS does. */
  #upload(body: Json): Upload {
    const driveId = requiredString(body, 'drive_id');
    const fileId = requiredString(body, 'file_id');
    const uploadId = requiredString(body, 'upload_id');
    this.#checkDrive(driveId);
    const upload = this.#liveUpload(uploadId);
    if (!upload || upload.fileId !== fileId) {
      if (this.#files.get(fileId)?.rapid) {
        throw new PdsRefusal('AlreadyExist.File', 'The file was completed by rapid upload; it has no upload to continue.');
      }
      throw new PdsRefusal('NotFound.UploadId', 'The specified upload_id does not exist or has expired.');
    }
    return upload;
  }

  #liveUpload(uploadId: string): Upload | undefined {
    const upload = this.#uploads.get(uploadId);
    if (upload && this.now() - upload.createdAt > this.#sessionLifetimeMs) {
      this.#uploads.delete(uploadId);
      this.#files.delete(upload.fileId);
      return undefined;
    }
    return upload;
  }

  #checkDrive(driveId: string): void {
    if (!this.#driveIds.has(driveId)) throw new PdsRefusal('NotFound.Drive', `The drive ${driveId} does not exist.`);
  }

  async #create(body: Json, origin: string): Promise<Json> {
    if (body['drive_id'] === undefined && body['share_id'] !== undefined) {
      throw new PdsRefusal('InvalidParameterNotSupported.ShareId', 'Share-link uploads are not emulated.');
    }
    const driveId = requiredString(body, 'drive_id');
    this.#checkDrive(driveId);
    const parentFileId = requiredString(body, 'parent_file_id');
    const parent = this.#files.get(parentFileId);
    if (parentFileId !== 'root' && (parent?.type !== 'folder' || parent.driveId !== driveId)) {
      throw new PdsRefusal('NotFound.File', `The parent folder ${parentFileId} does not exist.`);
    }
    const name = requiredString(body, 'name');
    if (utf8Length(name) > MAX_NAME_BYTES) throw new PdsRefusal('InvalidParameterOutOfRange', 'name must be at most 1024 bytes of UTF-8.');
    if (name.includes('/')) throw new PdsRefusal('InvalidParameter', 'name must not contain "/".');
    const type = requiredString(body, 'type');
    if (type !== 'file' && type !== 'folder') throw new PdsRefusal('InvalidParameter', 'type must be "file" or "folder".');
    const checkNameMode = optionalString(body, 'check_name_mode') ?? 'ignore';
    if (!CHECK_NAME_MODES.has(checkNameMode)) {
      throw new PdsRefusal('InvalidParameter', 'check_name_mode must be ignore, auto_rename or refuse.');
    }
    const size = body['size'];
    if (size !== undefined && (!Number.isSafeInteger(size) || (size as number) < 0)) {
      throw new PdsRefusal('InvalidParameter', 'size must be a non-negative integer.');
    }
    const preHash = optionalString(body, 'pre_hash');
    const contentHash = optionalString(body, 'content_hash');
    for (const [field, value] of [['pre_hash', preHash], ['content_hash', contentHash]] as const) {
      if (value !== undefined && !SHA1_HEX.test(value)) throw new PdsRefusal('InvalidParameter', `${field} must be 40 hex characters.`);
    }
    if (contentHash !== undefined && optionalString(body, 'content_hash_name') !== 'sha1') {
      throw new PdsRefusal('InvalidParameter', 'content_hash_name must be "sha1" when content_hash is given.');
    }
    if ((preHash !== undefined || contentHash !== undefined) && size === undefined) {
      throw new PdsRefusal('InvalidParameterMissing', 'size is required for rapid upload.');
    }
    const parallel = body['parallel_upload'] === true;
    if (parallel && !this.#parallelUpload) {
      this.stats.parallelRefused += 1;
      throw new PdsRefusal('InvalidParameterNotSupported.ParallelUpload', 'This domain does not support parallel upload.');
    }
    const slots = this.#readPartList(body['part_info_list'], parallel, true);

    const existing = this.#sameName(driveId, parentFileId, name);
    let finalName = name;
    if (existing && checkNameMode === 'refuse') {
      return { ...this.#echo(existing), exist: true, file_name: existing.name, status: existing.status };
    }
    if (existing && checkNameMode === 'auto_rename') finalName = this.#freeName(driveId, parentFileId, name);

    const now = this.now();
    const fileId = randomHex(20);
    const record: FileRecord = {
      fileId,
      driveId,
      parentFileId,
      name: finalName,
      type,
      status: type === 'folder' ? 'available' : 'uploading',
      size: (size as number | undefined) ?? 0,
      rapid: false,
      createdAt: now,
      updatedAt: now,
    };
    if (type === 'folder') {
      this.#files.set(fileId, record);
      return { ...this.#echo(record), file_name: finalName, status: record.status };
    }

    const available = [...this.#files.values()].filter((file) => file.status === 'available' && file.type === 'file' && file.size === size);
    if (contentHash !== undefined) {
      const same = available.find((file) => file.contentHash === contentHash.toUpperCase());
      if (same) {
        Object.assign(record, {
          status: 'available',
          bytes: same.bytes,
          contentHash: same.contentHash,
          preHash: same.preHash,
          crc64Hash: same.crc64Hash,
          rapid: true,
        });
        this.#files.set(fileId, record);
        this.stats.create += 1;
        this.stats.rapidUploads += 1;
        return { ...this.#echo(record), file_name: finalName, status: 'available', rapid_upload: true };
      }
    } else if (preHash !== undefined && available.some((file) => file.preHash === preHash.toUpperCase())) {
      this.stats.preHashMatched += 1;
      throw new PdsRefusal('PreHashMatched', 'A file with the same pre_hash exists; send content_hash.');
    }

    const upload: Upload = {
      uploadId: randomHex(16).toUpperCase(),
      fileId,
      name: finalName,
      size: size as number | undefined,
      parallel,
      contentHash: contentHash?.toUpperCase(),
      createdAt: now,
      slots,
      parts: new Map(),
      ...(parallel ? {} : { sha1: await createSHA1() }),
    };
    this.#files.set(fileId, record);
    this.#uploads.set(upload.uploadId, upload);
    this.stats.create += 1;
    return {
      ...this.#echo(record),
      file_name: finalName,
      status: 'uploading',
      upload_id: upload.uploadId,
      rapid_upload: false,
      part_info_list: await this.#partInfo(upload, [...slots.keys()], origin),
    };
  }

  #echo(file: FileRecord): Json {
    return { domain_id: this.domainId, drive_id: file.driveId, file_id: file.fileId, parent_file_id: file.parentFileId, type: file.type };
  }

  #sameName(driveId: string, parentFileId: string, name: string): FileRecord | undefined {
    return [...this.#files.values()].find((file) => file.driveId === driveId && file.parentFileId === parentFileId && file.name === name);
  }

  #freeName(driveId: string, parentFileId: string, name: string): string {
    const dot = name.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; ; n++) {
      const candidate = `${stem}(${n})${extension}`;
      if (!this.#sameName(driveId, parentFileId, candidate)) return candidate;
    }
  }

  /** Reads a `part_info_list`; on create it declares the parts (unique, 1..n), elsewhere it names some of them. */
  #readPartList(value: unknown, parallel: boolean, declaring: boolean): Map<number, PartSlot> {
    if (value === undefined || value === null) {
      if (!declaring) throw new PdsRefusal('InvalidParameterMissing', 'part_info_list is required.');
      return new Map([[1, { contentType: this.#partContentType }]]);
    }
    if (!Array.isArray(value)) throw new PdsRefusal('InvalidParameter', 'part_info_list must be an array.');
    if (value.length > MAX_PARTS) throw new PdsRefusal('InvalidParameterOutOfRange', 'part_info_list may hold at most 10000 parts.');
    if (value.length === 0) throw new PdsRefusal('InvalidParameterMissing', 'part_info_list must not be empty.');
    const slots = new Map<number, PartSlot>();
    for (const entry of value) {
      const partNumber = isObject(entry) ? entry['part_number'] : undefined;
      if (!Number.isInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > MAX_PARTS) {
        throw new PdsRefusal('InvalidParameterOutOfRange', 'part_number must be an integer from 1 to 10000.');
      }
      if (slots.has(partNumber as number)) throw new PdsRefusal('InvalidParameter', `part_number ${String(partNumber)} appears twice.`);
      const given = parallel ? readContext(partNumber as number, (entry as Json)['parallel_sha1_ctx']) : undefined;
      // Part 1 starts from the initial state whether or not the client says so.
      const context = parallel && partNumber === 1 ? given ?? { words: new Sha1State().words(), offset: 0 } : given;
      slots.set(partNumber as number, { contentType: this.#partContentType, ...(context ? { context } : {}) });
    }
    if (declaring && [...slots.keys()].some((n) => n > slots.size)) {
      throw new PdsRefusal('InvalidParameter', 'part_info_list must number its parts 1, 2, 3, … without gaps.');
    }
    return slots;
  }

  async #getUploadUrl(body: Json, origin: string): Promise<Json> {
    const upload = this.#upload(body);
    const asked = this.#readPartList(body['part_info_list'], upload.parallel, false);
    for (const [partNumber, slot] of asked) {
      const declared = upload.slots.get(partNumber);
      if (!declared) throw new PdsRefusal('InvalidParameterOutOfRange', `Part ${partNumber} was not declared at create.`);
      if (upload.parallel && slot.context) {
        declared.context = slot.context;
        this.#checkChainAround(upload, partNumber, (code, message) => new PdsRefusal(code, message));
      } else if (upload.parallel && partNumber > 1 && !declared.context) {
        throw new PdsRefusal('InvalidParameterMissing', `Part ${partNumber} needs a parallel_sha1_ctx in parallel mode.`);
      }
    }
    this.stats.getUploadUrl += 1;
    return {
      domain_id: this.domainId,
      drive_id: body['drive_id'],
      file_id: upload.fileId,
      upload_id: upload.uploadId,
      create_at: new Date(upload.createdAt).toISOString(),
      part_info_list: await this.#partInfo(upload, [...asked.keys()], origin),
    };
  }

  #listUploadedParts(body: Json): Json {
    const upload = this.#upload(body);
    const limitValue = body['limit'] ?? MAX_LIST_LIMIT;
    if (!Number.isInteger(limitValue) || (limitValue as number) < 1) {
      throw new PdsRefusal('InvalidParameterOutOfRange', 'limit must be an integer from 1 to 100.');
    }
    const markerValue = body['part_number_marker'] ?? 0;
    const marker = typeof markerValue === 'string' && /^\d*$/.test(markerValue) ? Number(markerValue || 0) : markerValue;
    if (!Number.isInteger(marker) || (marker as number) < 0) {
      throw new PdsRefusal('InvalidParameter', 'part_number_marker must be a non-negative integer.');
    }
    const limit = Math.min(limitValue as number, MAX_LIST_LIMIT);
    const after = [...upload.parts.entries()].filter(([n]) => n > (marker as number)).sort(([a], [b]) => a - b);
    const page = after.slice(0, limit);
    this.stats.listUploadedParts += 1;
    return {
      file_id: upload.fileId,
      upload_id: upload.uploadId,
      parallel_upload: upload.parallel,
      uploaded_parts: page.map(([partNumber, part]) => ({
        part_number: partNumber,
        part_size: part.bytes.byteLength,
        etag: `"${part.md5}"`,
      })),
      next_part_number_marker: after.length > page.length ? String(page[page.length - 1]?.[0]) : '',
    };
  }

  async #complete(body: Json): Promise<Response> {
    const upload = this.#upload(body);
    const codes = ALIYUN_PDS_UNDOCUMENTED_CODES;
    const count = upload.slots.size;
    const missing = [...upload.slots.keys()].filter((n) => !upload.parts.has(n));
    if (missing.length > 0) throw new PdsRefusal(codes.PartsMissing, `Parts ${missing.join(', ')} have not been uploaded.`);
    const parts = Array.from({ length: count }, (_, i) => upload.parts.get(i + 1) as StoredPart);
    parts.slice(0, -1).forEach((part, i) => {
      if (part.bytes.byteLength < this.#minPartSize) {
        throw new PdsRefusal(codes.PartTooSmall, `Part ${i + 1} is ${part.bytes.byteLength} bytes; every part but the last must be at least ${this.#minPartSize}.`);
      }
      if (upload.parallel && part.bytes.byteLength !== parts[0]?.bytes.byteLength) {
        throw new PdsRefusal(codes.UnequalParts, 'In parallel mode every part but the last must have the same size.');
      }
    });
    const total = parts.reduce((sum, part) => sum + part.bytes.byteLength, 0);
    if (upload.size !== undefined && total !== upload.size) {
      throw new PdsRefusal(codes.SizeMismatch, `The parts hold ${total} bytes, but create declared size ${upload.size}.`);
    }
    this.#checkEtags(body['part_info_list'], upload);

    let contentHash: string;
    if (upload.parallel) {
      for (let n = 2; n <= count; n++) this.#checkChainAround(upload, n, (code, message) => new PdsRefusal(code, message));
      const last = upload.slots.get(count)?.context;
      if (!last) throw new PdsRefusal(codes.ContextMismatch, `Part ${count} never had a parallel_sha1_ctx.`);
      contentHash = new Sha1State(last.words, last.offset).update(parts[count - 1]?.bytes ?? new Uint8Array()).digestHex();
    } else {
      // Digesting spends the hasher; its saved state is put back so that a refused complete can be sent again.
      const hasher = upload.sha1 as IHasher;
      const saved = hasher.save();
      contentHash = hasher.digest('hex').toUpperCase();
      hasher.load(saved);
    }
    if (upload.contentHash !== undefined && upload.contentHash !== contentHash) {
      throw new PdsRefusal(codes.ContentHashMismatch, `The bytes received hash to ${contentHash}, not the content_hash ${upload.contentHash} given at create.`);
    }
    const crcHasher = await createCRC64();
    crcHasher.init();
    for (const part of parts) crcHasher.update(part.bytes);
    const crc64Hash = BigInt(`0x${crcHasher.digest('hex')}`).toString();
    const claimed = body['crc64_hash'];
    if (claimed !== undefined && claimed !== null) {
      if (typeof claimed !== 'string' || !/^\d+$/.test(claimed)) {
        throw new PdsRefusal('InvalidParameter', 'crc64_hash must be an unsigned decimal string.');
      }
      if (claimed !== crc64Hash) throw new PdsRefusal(codes.Crc64Mismatch, `crc64_hash ${claimed} does not match ${crc64Hash}, computed from the bytes received.`);
      this.stats.crc64Checked += 1;
    }

    const bytes = concatBytes(parts.map((part) => part.bytes));
    const file = this.#files.get(upload.fileId) as FileRecord;
    Object.assign(file, {
      status: 'available',
      size: total,
      bytes,
      contentHash,
      crc64Hash,
      preHash: (await sha1(bytes.subarray(0, PRE_HASH_BYTES))).toUpperCase(),
      updatedAt: this.now(),
    });
    this.#uploads.delete(upload.uploadId);
    this.stats.complete += 1;
    return this.#fileResponse(file, { upload_id: upload.uploadId });
  }

  /** GetFile, which clients call to learn whether an upload whose id is gone did complete. */
  #getFile(body: Json): Response {
    const driveId = requiredString(body, 'drive_id');
    this.#checkDrive(driveId);
    const file = this.#files.get(requiredString(body, 'file_id'));
    if (!file || file.driveId !== driveId) throw new PdsRefusal('NotFound.File', 'The specified file does not exist.');
    return this.#fileResponse(file, {});
  }

  #fileResponse(file: FileRecord, extra: Json): Response {
    const answer = {
      ...this.#echo(file),
      name: file.name,
      size: file.size,
      status: file.status,
      content_type: 'application/oct-stream',
      ...(file.contentHash === undefined ? {} : { content_hash: file.contentHash, content_hash_name: 'sha1' }),
      ...(file.crc64Hash === undefined ? {} : { crc64_hash: file.crc64Hash }),
      revision_id: randomHex(20),
      // The seed's answer carries a second, empty `crc64_hash` inside `streams_info`; a reader must not take it.
      streams_info: { key: { crc64_hash: '', size: 0, content_hash: '' } },
      created_at: new Date(file.createdAt).toISOString(),
      updated_at: new Date(file.updatedAt).toISOString(),
      ...extra,
    };
    let text = JSON.stringify(answer);
    // The doc example prints the CRC as a bare number, which a JavaScript client cannot read exactly.
    if (this.#crc64Encoding === 'number' && file.crc64Hash !== undefined) {
      text = text.replace(`"crc64_hash":"${file.crc64Hash}"`, `"crc64_hash":${file.crc64Hash}`);
    }
    return new Response(text, { headers: { 'content-type': 'application/json' } });
  }

  #checkEtags(list: unknown, upload: Upload): void {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) throw new PdsRefusal('InvalidParameter', 'part_info_list must be an array.');
    for (const entry of list) {
      const partNumber = isObject(entry) ? entry['part_number'] : undefined;
      const etag = isObject(entry) ? entry['etag'] : undefined;
      const part = Number.isInteger(partNumber) ? upload.parts.get(partNumber as number) : undefined;
      if (etag === undefined) continue;
      if (!part || typeof etag !== 'string' || etag.replace(/"/g, '').toUpperCase() !== part.md5) {
        throw new PdsRefusal(ALIYUN_PDS_UNDOCUMENTED_CODES.EtagMismatch, `The etag given for part ${String(partNumber)} does not match the stored part.`);
      }
    }
  }

  /**
   * Parallel mode: checks every link of the SHA-1 chain that touches part `partNumber` and can be checked now, i.e.
   * that the context's offset is the size of the parts before it, and that hashing the previous part on from its
   * context gives this part's context.
   */
  #checkChainAround(upload: Upload, partNumber: number, refuse: (code: string, message: string) => Error): void {
    const code = ALIYUN_PDS_UNDOCUMENTED_CODES.ContextMismatch;
    for (const n of [partNumber, partNumber + 1]) {
      const context = upload.slots.get(n)?.context;
      const previous = upload.parts.get(n - 1);
      const previousContext = upload.slots.get(n - 1)?.context;
      if (n < 2 || !context || !previous || !previousContext) continue;
      if (context.offset !== previousContext.offset + previous.bytes.byteLength) {
        throw refuse(code, `Part ${n}'s part_offset ${context.offset} is not the ${previousContext.offset + previous.bytes.byteLength} bytes before it.`);
      }
      if (!previous.wordsAfter || !sameWords(previous.wordsAfter, context.words)) {
        throw refuse(code, `Part ${n}'s parallel_sha1_ctx is not the SHA-1 state after part ${n - 1}.`);
      }
    }
  }

  async #partInfo(upload: Upload, partNumbers: number[], origin: string): Promise<Json[]> {
    const expires = Math.floor((this.now() + this.#urlLifetimeMs) / 1000);
    return Promise.all(
      partNumbers.map(async (partNumber) => {
        const slot = upload.slots.get(partNumber) as PartSlot;
        return {
          part_number: partNumber,
          upload_url: await this.#signedPartUrl(origin, upload, partNumber, slot.contentType, expires),
          internal_upload_url: '',
          content_type: slot.contentType,
          ...(slot.context ? { parallel_sha1_ctx: { h: slot.context.words, part_offset: slot.context.offset } } : {}),
        };
      }),
    );
  }

  // ---- Part URLs (OSS) -------------------------------------------------------------------------------------------

  #objectKey(upload: Upload): string {
    const file = this.#files.get(upload.fileId) as FileRecord;
    return `${this.domainId}/${file.driveId}/${upload.fileId}`;
  }

  async #sign(stringToSign: string): Promise<string> {
    this.#signingKey ??= crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(this.#oss.accessKeySecret),
      { name: 'HMAC', hash: 'SHA-1' },
      false,
      ['sign'],
    );
    const mac = await crypto.subtle.sign('HMAC', await this.#signingKey, new TextEncoder().encode(stringToSign));
    return bytesToBase64(new Uint8Array(mac));
  }

  /** OSS V1 query signing: HMAC-SHA1 over verb, Content-MD5, Content-Type, Expires and the resource. */
  #stringToSign(contentMd5: string, contentType: string, expires: string, objectKey: string, partNumber: string, uploadId: string): string {
    return `PUT\n${contentMd5}\n${contentType}\n${expires}\n/${BUCKET}/${objectKey}?partNumber=${partNumber}&uploadId=${uploadId}`;
  }

  async #signedPartUrl(origin: string, upload: Upload, partNumber: number, contentType: string, expires: number): Promise<string> {
    const objectKey = this.#objectKey(upload);
    const signature = await this.#sign(this.#stringToSign('', contentType, String(expires), objectKey, String(partNumber), upload.uploadId));
    const query = new URLSearchParams({
      Expires: String(expires),
      OSSAccessKeyId: this.#oss.accessKeyId,
      Signature: signature,
      partNumber: String(partNumber),
      uploadId: upload.uploadId,
    });
    return `${origin}${this.basePath}/oss/${objectKey}?${query}`;
  }

  async #servePart(request: Request, url: URL, objectKey: string, requestId: string): Promise<Response> {
    const query = url.searchParams;
    const partText = query.get('partNumber') ?? '';
    const partNumber = /^\d+$/.test(partText) ? Number(partText) : undefined;
    const uploadId = query.get('uploadId') ?? '';
    const known = this.#uploads.get(uploadId);
    const target: FaultTarget = {
      operation: AliyunPdsOperation.UploadPart,
      ...(partNumber === undefined ? {} : { partNumber }),
      ...(known ? { key: known.name } : {}),
    };
    const declared = request.headers.get('content-length');
    try {
      return await serveWithFaults({
        faults: this.faults,
        request,
        target,
        // A page's request carries no Content-Length; a copy of the body is read only when a drop needs its length.
        bodyLength: async () => (declared === null ? (await request.clone().arrayBuffer()).byteLength : Number(declared)),
        authenticate: () => this.#authenticatePart(request, query, objectKey, target),
        forgetSession: () => this.#uploads.delete(uploadId),
        fail: (status, retryAfter, asked) => {
          // OSS answers a busy 503 as ServiceUnavailable, not S3's SlowDown.
          const { code, message, headers } = objectStoreFailure(status, retryAfter, asked ?? (status === 503 ? 'ServiceUnavailable' : undefined));
          throw new OssRefusal(code, message, {}, status, headers);
        },
        serve: () => this.#receivePart(request, query, objectKey, partNumber),
      });
    } catch (error) {
      if (!(error instanceof OssRefusal)) throw error;
      const injected = error.status >= 500;
      this.stats.refusals.push({
        operation: AliyunPdsOperation.UploadPart,
        code: injected ? `HTTP ${error.status}` : error.code as string,
        ...(partNumber === undefined ? {} : { partNumber }),
      });
      return error.toResponse(requestId, request.method);
    }
  }

  /** Checks a part URL's signature and expiry (an `expire` fault expires it). */
  async #authenticatePart(request: Request, query: URLSearchParams, objectKey: string, target: FaultTarget): Promise<void> {
    if (request.headers.has('authorization')) {
      throw new OssRefusal('InvalidArgument', 'Authorization header is not allowed together with a query-string signature.');
    }
    const expires = query.get('Expires') ?? '';
    const signature = query.get('Signature');
    if (query.get('OSSAccessKeyId') !== this.#oss.accessKeyId || signature === null || !/^\d+$/.test(expires)) {
      throw new OssRefusal('AccessDenied', 'The part URL is not signed by this service.');
    }
    const expected = await this.#sign(
      this.#stringToSign(
        request.headers.get('content-md5') ?? '',
        request.headers.get('content-type') ?? '',
        expires,
        objectKey,
        query.get('partNumber') ?? '',
        query.get('uploadId') ?? '',
      ),
    );
    if (expected !== signature) {
      throw new OssRefusal('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check the Content-Type you sent.');
    }
    if (Number(expires) * 1000 <= this.now() || this.faults.take(FaultKind.Expire, target)) {
      throw new OssRefusal('AccessDenied', 'Request has expired.', { Expires: new Date(Number(expires) * 1000).toISOString() });
    }
  }

  /** Checks and stores one part of a live upload. */
  async #receivePart(request: Request, query: URLSearchParams, objectKey: string, partNumber: number | undefined): Promise<Response> {
    const uploadId = query.get('uploadId') ?? '';
    const upload = this.#liveUpload(uploadId);
    if (!upload || this.#objectKey(upload) !== objectKey) {
      throw new OssRefusal('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
    }
    if (partNumber === undefined || !upload.slots.has(partNumber)) {
      throw new OssRefusal('InvalidArgument', `Part number ${query.get('partNumber') ?? ''} was not declared for this upload.`);
    }
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > this.#maxPartSize) this.#tooLarge(declared);
    this.#checkArrival(upload, partNumber);

    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > this.#maxPartSize) this.#tooLarge(bytes.byteLength);
    // Another request may have delivered a part while this body was arriving.
    this.#checkArrival(upload, partNumber);
    const part: StoredPart = { bytes, md5: (await md5(bytes)).toUpperCase() };
    if (upload.parallel) {
      const context = upload.slots.get(partNumber)?.context as ParallelContext;
      // The last part's state is finished at complete; a part that ends inside a block leaves no state to chain on.
      if (partNumber < upload.slots.size && bytes.byteLength % 64 === 0) {
        part.wordsAfter = new Sha1State(context.words, context.offset).update(bytes).words();
      }
    } else {
      upload.sha1?.update(bytes);
    }
    upload.parts.set(partNumber, part);
    if (upload.parallel) this.#checkChainAround(upload, partNumber, (code, message) => {
      upload.parts.delete(partNumber);
      return new OssRefusal(code, message);
    });
    this.stats.uploadPart += 1;
    this.stats.partNumbersReceived.push(partNumber);
    return new Response(null, { status: 200, headers: { etag: `"${part.md5}"` } });
  }

  /** Serial mode takes parts strictly in order, each once; parallel mode needs each part's context first. */
  #checkArrival(upload: Upload, partNumber: number): void {
    if (upload.parallel) {
      if (!upload.slots.get(partNumber)?.context) {
        throw new OssRefusal('InvalidArgument', `Part ${partNumber} has no parallel_sha1_ctx; send it with create or get_upload_url first.`);
      }
      return;
    }
    if (upload.parts.has(partNumber)) throw new OssRefusal('PartAlreadyExist', `Part ${partNumber} has already been uploaded.`, { PartNumber: String(partNumber) });
    for (let n = 1; n < partNumber; n++) {
      if (!upload.parts.has(n)) {
        throw new OssRefusal('PartNotSequential', `Part ${partNumber} arrived before part ${n}; this upload takes parts in order.`, { PartNumber: String(partNumber) });
      }
    }
  }

  #tooLarge(size: number): never {
    throw new OssRefusal('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', {
      ProposedSize: String(size),
      MaxSizeAllowed: String(this.#maxPartSize),
    });
  }


}
