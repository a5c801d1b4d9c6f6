import { md5 } from 'hash-wasm';
import { base64ToBytes } from './checksums.js';
import { FaultKind, type FaultTarget } from './faults.js';
import { obsQuerySignature, signaturesEqual, verifyHuaweiSignature, type HuaweiTestCredentials } from './huawei-metastudio-auth.js';
import { corsHeaders, EmulatorBase, JsonRefusal, objectStoreFailure, randomHex, serveWithFaults, XmlRefusal, type EmulatorOptions } from './emulator.js';

/** The operations the emulator serves, named as in MetaStudio's API and OBS's. */
export const MetaStudioOperation = {
  CreateDigitalAsset: 'CreateDigitalAsset',
  ShowDigitalAsset: 'ShowDigitalAsset',
  CreateFile: 'CreateFile',
  ConfirmFileUpload: 'ConfirmFileUpload',
  DeleteFile: 'DeleteFile',
  /** The PUT to the OBS upload URL. */
  PutObject: 'PutObject',
} as const;

/** One of {@link MetaStudioOperation}. */
export type MetaStudioOperation = (typeof MetaStudioOperation)[keyof typeof MetaStudioOperation];

/** A file's server state (the SDK's enum). */
export type MetaStudioFileState =
  | 'CREATING'
  | 'UPLOADED'
  | 'REVIEW'
  | 'CREATED'
  | 'FAILED'
  | 'CANCELLED'
  | 'DELETING'
  | 'DELETED'
  | 'BLOCK';

/** Options of {@link MetaStudioEmulator}. */
export interface MetaStudioEmulatorOptions extends EmulatorOptions {
  /** Where it is mounted, e.g. `/emulator/huawei-metastudio`: the API is under `/v1/{project_id}`, OBS under `/obs`. */
  basePath: string;
  projectId: string;
  /** The AK/SK pair whose `SDK-HMAC-SHA256` signatures the API accepts. */
  credentials: HuaweiTestCredentials;
  /** IAM tokens accepted in `X-Auth-Token` without expiry (more with {@link MetaStudioEmulator.issueToken}). */
  tokens?: string[];
  /** Lifetime of an upload URL in seconds; MetaStudio's 24 h by default. */
  uploadUrlTtlSeconds?: number;
  /** How far `X-Sdk-Date` may be from the clock; 15 minutes by default. */
  signatureWindowMs?: number;
  /**
   * Page origins whose PUTs to the OBS upload URL get CORS headers. Default none: whether MetaStudio's bucket allows
   * any page is unknown, so direct upload must be switched on deliberately.
   */
  obsAllowedOrigins?: string[] | '*';
  /**
   * A body whose length is not the file's `file_size`: refused by the PUT (default, inferred), refused at
   * confirmation, or accepted.
   */
  sizeMismatch?: 'reject-put' | 'reject-confirm' | 'accept';
  /** The state a file takes on confirmation `CREATED`; `UPLOADED` by default (review pending). */
  stateAfterConfirm?: 'UPLOADED' | 'REVIEW' | 'CREATED';
  /** Largest COVER file (MSS.10001007's "5242880 bytes"; its exact scope is unknown). */
  coverMaxSize?: number;
}

/** Counts of successful operations since the last reset. */
export interface MetaStudioEmulatorStats {
  createAsset: number;
  createFile: number;
  putObject: number;
  deleteFile: number;
  /** Every accepted confirmation's state, in order. */
  confirmations: string[];
  /** The `Origin` of every stored PUT (`null` for a server-side PUT through the proxy). */
  putOrigins: Array<string | null>;
}

/** A file as tests see it. */
export interface MetaStudioEmulatedFile {
  fileId: string;
  assetId: string;
  fileName: string;
  fileMd5: string;
  fileSize: number;
  fileType: string;
  category: string;
  state: MetaStudioFileState;
  /** Bytes stored by the PUT, if any. */
  storedSize: number | null;
}

interface StoredFile extends Omit<MetaStudioEmulatedFile, 'storedSize'> {
  key: string;
  contentType: string;
  object?: Uint8Array<ArrayBuffer>;
}

interface Asset {
  assetId: string;
  name: string;
  type: string;
  files: string[];
}

const GiB = 1024 * 1024 * 1024;
const MAX_FILE_SIZE = 5 * GiB;
const BUCKET = 'metastudio-emulator';
const OBS_ACCESS_KEY = 'EMULATOROBSACCESSKEY';
const TENANT_ASSET_TYPES = new Set([
  'IMAGE', 'VIDEO', 'AUDIO', 'MUSIC', 'PPT', 'COMMON_FILE', 'HUMAN_MODEL_2D', 'BUSINESS_CARD_TEMPLET', 'HUMAN_MODEL',
  'SCENE', 'ANIMATION', 'MATERIAL', 'NORMAL_MODEL',
]);
const CATEGORIES = new Set(['MAIN', 'COVER', 'PAGE', 'SAMPLE', 'OTHER', 'WHOLE_MODEL', 'USER_MODIFIED_MODEL', 'TEMPORARY', 'PACKAGE']);
// The CreateFile doc's table. Its general row ("SCENE、ANIMATION、VIDEO、IMAGE、MATERIAL时,包含MAIN、COVER和OTHER") is
// narrowed by its later rows "IMAGE时,包含MAIN" and "VIDEO时,包含MAIN、COVER", which the emulator holds to, as the real
// service may. Types it does not list are taken to allow MAIN, COVER and OTHER (inferred), and TEMPORARY and PACKAGE,
// which no row names, are allowed for every type (inferred: TEMPORARY is the replacement flow's upload).
const CATEGORIES_BY_ASSET_TYPE: Record<string, string[]> = {
  SCENE: ['MAIN', 'COVER', 'OTHER'],
  ANIMATION: ['MAIN', 'COVER', 'OTHER'],
  VIDEO: ['MAIN', 'COVER'],
  IMAGE: ['MAIN'],
  MATERIAL: ['MAIN', 'COVER', 'OTHER'],
  PPT: ['MAIN', 'COVER', 'PAGE', 'OTHER'],
  HUMAN_MODEL: ['MAIN', 'COVER', 'WHOLE_MODEL', 'USER_MODIFIED_MODEL', 'OTHER'],
  VOICE_MODEL: ['MAIN', 'SAMPLE', 'OTHER'],
  HUMAN_MODEL_2D: ['MAIN', 'COVER', 'SAMPLE', 'OTHER'],
  BUSINESS_CARD_TEMPLET: ['MAIN', 'COVER'],
};
// The emulator keeps its own copy of the doc's Content-Type table, so that a wrong table in the adapter shows.
export const METASTUDIO_EMULATOR_CONTENT_TYPES: Readonly<Record<string, string>> = {
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  mp4: 'video/mp4',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
};
const INACTIVE: ReadonlySet<MetaStudioFileState> = new Set(['FAILED', 'CANCELLED', 'DELETING', 'DELETED']);
const CONFIRMED: ReadonlySet<MetaStudioFileState> = new Set(['UPLOADED', 'REVIEW', 'CREATED']);
const OBS_STATUS: Record<string, number> = {
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  BadDigest: 400,
  InvalidDigest: 400,
  InvalidRequest: 400,
  EntityTooLarge: 400,
  NoSuchKey: 404,
  MethodNotAllowed: 405,
  InternalError: 500,
  SlowDown: 503,
};

/** A MetaStudio API error: `{ error_code, error_msg }` with its status. */
class MssRefusal extends JsonRefusal {
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, code, message, () => ({ error_code: code, error_msg: message }), headers);
  }
}

/** An OBS error, answered as OBS's XML. */
class ObsRefusal extends XmlRefusal {
  constructor(code: string, message: string, status = OBS_STATUS[code] ?? 400, headers: Record<string, string> = {}) {
    super(status, code, message, headers);
  }
}

function chars(value: string): number {
  return [...value].length;
}

function invalidParameter(detail: string): MssRefusal {
  return new MssRefusal(400, 'MSS.00000003', `Invalid parameter: ${detail}`);
}

/**
 * A strict, in-memory Huawei Cloud MetaStudio (assets, CreateFile, ConfirmFileUpload, DeleteFile) with the OBS
 * bucket behind its upload URLs, as a Fetch handler. It checks IAM tokens or AK/SK signatures, every CreateFile
 * rule of the doc, the upload URL's signature over Content-MD5 and Content-Type, expiry, the body's MD5 and size,
 * and the file state machine; errors come in MetaStudio's `{error_code, error_msg}` and OBS's XML. Runs unchanged
 * in a page (under msw) and in Node. Fault operations are {@link MetaStudioOperation}s, `key` a file id.
 */
export class MetaStudioEmulator extends EmulatorBase<MetaStudioEmulatorStats> {
  readonly projectId: string;

  #credentials: HuaweiTestCredentials;
  #tokens: Map<string, number>;
  #ttlSeconds: number;
  #windowMs: number;
  #obsAllowedOrigins: string[] | '*';
  #sizeMismatch: 'reject-put' | 'reject-confirm' | 'accept';
  #stateAfterConfirm: MetaStudioFileState;
  #coverMaxSize: number;
  #obsSecret = `emulator-obs-${randomHex(16)}`;
  #assets = new Map<string, Asset>();
  #files = new Map<string, StoredFile>();

  constructor(options: MetaStudioEmulatorOptions) {
    super(options, () => ({ createAsset: 0, createFile: 0, putObject: 0, deleteFile: 0, confirmations: [], putOrigins: [] }));
    this.projectId = options.projectId;
    this.#credentials = { ...options.credentials };
    this.#tokens = new Map((options.tokens ?? []).map((token) => [token, Infinity]));
    this.#ttlSeconds = options.uploadUrlTtlSeconds ?? 24 * 60 * 60;
    this.#windowMs = options.signatureWindowMs ?? 15 * 60 * 1000;
    this.#obsAllowedOrigins = options.obsAllowedOrigins ?? [];
    this.#sizeMismatch = options.sizeMismatch ?? 'reject-put';
    this.#stateAfterConfirm = options.stateAfterConfirm ?? 'UPLOADED';
    this.#coverMaxSize = options.coverMaxSize ?? 5_242_880;
  }

  protected serve(request: Request): Promise<Response> {
    const path = this.#path(request);
    return path.startsWith('/obs/') ? this.#serveObs(request, path.slice('/obs/'.length)) : this.#serveApi(request, path);
  }

  protected override answerHeaders(request: Request, requestId: string): Record<string, string> {
    if (!this.#path(request).startsWith('/obs/')) return { 'X-Request-Id': requestId };
    return { 'x-obs-request-id': requestId, ...this.#obsCors(request) };
  }

  #path(request: Request): string {
    return new URL(request.url).pathname.slice(this.basePath.length);
  }

  /** A token `X-Auth-Token` accepts for `ttlMs` (IAM's are valid 24 h); after that the API answers APIGW.0307. */
  issueToken(ttlMs = 24 * 60 * 60 * 1000): string {
    const token = `MIIemulator${randomHex(24)}`;
    this.#tokens.set(token, this.now() + ttlMs);
    return token;
  }

  /** Creates an asset directly, as if through the console; returns its id. */
  createAsset(name: string, type: string): string {
    const assetId = randomHex(16);
    this.#assets.set(assetId, { assetId, name, type, files: [] });
    return assetId;
  }

  /** A copy of a file's stored bytes, or `undefined`. */
  storedBytes(fileId: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#files.get(fileId)?.object?.slice();
  }

  /** One file as tests see it. */
  fileRecord(fileId: string): MetaStudioEmulatedFile | undefined {
    const file = this.#files.get(fileId);
    return file ? this.#describe(file) : undefined;
  }

  /** The files created and not yet confirmed or cancelled: MetaStudio's upload sessions. */
  pending(): MetaStudioEmulatedFile[] {
    return this.listFiles().filter((file) => file.state === 'CREATING');
  }

  /** Every file ever created since the last reset, deleted ones included. */
  listFiles(): MetaStudioEmulatedFile[] {
    return [...this.#files.values()].map((file) => this.#describe(file));
  }

  /** Forgets every asset, file and issued token (the tokens given as options stay). */
  protected forget(): void {
    this.#assets.clear();
    this.#files.clear();
    for (const [token, expiry] of this.#tokens) if (expiry !== Infinity) this.#tokens.delete(token);
  }

  #describe(file: StoredFile): MetaStudioEmulatedFile {
    const { fileId, assetId, fileName, fileMd5, fileSize, fileType, category, state } = file;
    return { fileId, assetId, fileName, fileMd5, fileSize, fileType, category, state, storedSize: file.object?.byteLength ?? null };
  }


  #obsCors(request: Request): Record<string, string> {
    const origin = request.headers.get('origin');
    const allowed = this.#obsAllowedOrigins;
    if (origin === null || (allowed !== '*' && !allowed.includes(origin))) return {};
    const headers = corsHeaders(request, { methods: 'PUT', exposed: ['ETag', 'x-obs-request-id', 'Retry-After'], allowOrigin: allowed === '*' ? '*' : origin });
    return allowed === '*' ? headers : { ...headers, vary: 'Origin' };
  }

  // ---- the MetaStudio API ----

  async #serveApi(request: Request, path: string): Promise<Response> {
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] !== 'v1' || segments.length < 3) throw new MssRefusal(404, 'MSS.00000003', 'Invalid parameter: no such API');
    const [, project, resource, id, action, ...rest] = segments;
    const method = request.method;
    let operation: Exclude<MetaStudioOperation, 'PutObject'> | undefined;
    if (rest.length === 0 && resource === 'digital-assets') {
      if (id === undefined && method === 'POST') operation = MetaStudioOperation.CreateDigitalAsset;
      if (id !== undefined && action === undefined && method === 'GET') operation = MetaStudioOperation.ShowDigitalAsset;
    } else if (rest.length === 0 && resource === 'files') {
      if (id === undefined && method === 'POST') operation = MetaStudioOperation.CreateFile;
      if (id !== undefined && action === 'complete' && method === 'POST') operation = MetaStudioOperation.ConfirmFileUpload;
      if (id !== undefined && action === undefined && method === 'DELETE') operation = MetaStudioOperation.DeleteFile;
    }
    if (!operation) throw new MssRefusal(404, 'MSS.00000003', `Invalid parameter: no API ${method} ${path}`);
    const target: FaultTarget = { operation, ...(id !== undefined && { key: id }) };
    let body = new Uint8Array();
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: async () => {
        body = new Uint8Array(await request.arrayBuffer());
        await this.#authenticate(request, body, target);
        if (project !== this.projectId) throw new MssRefusal(400, 'MSS.00010009', 'The project id in the URL does not match the tenant of the token.');
      },
      ...(id !== undefined && { forgetSession: () => this.#forget(id) }),
      fail: (status, retryAfter) => {
        const [code, message] = status === 429 ? ['APIGW.0308', 'The throttling threshold has been reached.'] : ['MSS.00000004', 'Internal Error'];
        throw new MssRefusal(status, code, message, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
      },
      serve: async () => {
        switch (operation) {
          case MetaStudioOperation.CreateDigitalAsset:
            return this.#createAsset(this.#json(request, body));
          case MetaStudioOperation.ShowDigitalAsset:
            return this.#showAsset(id as string);
          case MetaStudioOperation.CreateFile:
            return this.#createFile(this.#json(request, body));
          case MetaStudioOperation.ConfirmFileUpload:
            return this.#confirm(id as string, this.#json(request, body));
          case MetaStudioOperation.DeleteFile:
            return this.#deleteFile(id as string);
        }
      },
    });
  }

  async #authenticate(request: Request, body: Uint8Array, target: FaultTarget): Promise<void> {
    const forceExpired = this.faults.take(FaultKind.Expire, target) !== undefined;
    const token = request.headers.get('x-auth-token');
    if (token !== null) {
      const expiry = this.#tokens.get(token);
      if (expiry === undefined) throw new MssRefusal(401, 'MSS.00000001', 'Unauthorized');
      if (forceExpired || this.now() >= expiry) throw new MssRefusal(401, 'APIGW.0307', 'The token expires.');
      return;
    }
    if (request.headers.get('authorization') === null) throw new MssRefusal(401, 'MSS.00000001', 'Unauthorized');
    const check = await verifyHuaweiSignature(request, body, this.#credentials, this.now(), this.#windowMs);
    if (!check.ok) throw new MssRefusal(401, 'MSS.00000001', `Unauthorized: ${check.reason}`);
    if (forceExpired) throw new MssRefusal(401, 'MSS.00000001', 'Unauthorized: the signature expired.');
  }

  #json(request: Request, body: Uint8Array): Record<string, unknown> {
    if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
      throw new MssRefusal(400, 'MSS.10000002', 'The request body is not JSON; check Content-Type.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new MssRefusal(400, 'MSS.10000002', 'The request body is not JSON; check Content-Type.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MssRefusal(400, 'MSS.00000002', 'Invalid body');
    return parsed as Record<string, unknown>;
  }

  #createAsset(input: Record<string, unknown>): Response {
    const name = input.asset_name;
    const type = input.asset_type;
    if (typeof name !== 'string' || chars(name) < 1 || chars(name) > 128) throw invalidParameter('asset_name');
    if (type === 'VOICE_MODEL') throw invalidParameter('asset_type VOICE_MODEL is for administrators only');
    if (typeof type !== 'string' || !TENANT_ASSET_TYPES.has(type)) throw invalidParameter('asset_type');
    const assetId = this.createAsset(name, type);
    this.stats.createAsset += 1;
    return this.#ok({ asset_id: assetId });
  }

  #showAsset(assetId: string): Response {
    const asset = this.#assets.get(assetId);
    if (!asset) throw new MssRefusal(400, 'MSS.10001001', 'Asset not found.');
    const files = asset.files.map((fileId) => this.#files.get(fileId) as StoredFile).map((file) => ({
      file_id: file.fileId,
      file_name: file.fileName,
      file_md5: file.fileMd5,
      file_size: file.fileSize,
      file_type: file.fileType,
      asset_file_category: file.category,
      state: file.state,
    }));
    return this.#ok({ asset_id: asset.assetId, asset_name: asset.name, asset_type: asset.type, asset_state: 'ACTIVED', files });
  }

  async #createFile(input: Record<string, unknown>): Promise<Response> {
    const { file_name: name, file_md5: fileMd5, file_size: size, asset_id: assetId, asset_file_category: category } = input;
    if (typeof name !== 'string' || chars(name) < 1 || chars(name) > 256) throw invalidParameter('file_name');
    if (typeof fileMd5 !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(fileMd5)) throw invalidParameter('file_md5');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1 || size > MAX_FILE_SIZE) throw invalidParameter('file_size');
    // The doc's default for file_type is the name's suffix; with neither, MetaStudio has no type.
    const given = input.file_type;
    if (given !== undefined && typeof given !== 'string') throw invalidParameter('file_type');
    const dot = name.lastIndexOf('.');
    const fileType = given || (dot > 0 ? name.slice(dot + 1) : '');
    if (fileType === '') throw new MssRefusal(400, 'MSS.10001003', 'File type is empty.');
    if (chars(fileType) > 64) throw invalidParameter('file_type');
    if (typeof assetId !== 'string' || chars(assetId) < 1 || chars(assetId) > 64) throw invalidParameter('asset_id');
    const asset = this.#assets.get(assetId);
    if (!asset) throw new MssRefusal(400, 'MSS.10001001', 'Asset not found.');
    if (typeof category !== 'string' || !CATEGORIES.has(category)) throw invalidParameter('asset_file_category');
    const allowed = CATEGORIES_BY_ASSET_TYPE[asset.type] ?? ['MAIN', 'COVER', 'OTHER'];
    if (!allowed.includes(category) && category !== 'TEMPORARY' && category !== 'PACKAGE') {
      throw invalidParameter(`asset_file_category ${category} is not allowed for ${asset.type} assets`);
    }
    if (category === 'COVER' && size > this.#coverMaxSize) {
      throw new MssRefusal(400, 'MSS.10001007', `Asset file too large: do not exceed ${this.#coverMaxSize} bytes.`);
    }
    const active = asset.files.map((id) => this.#files.get(id) as StoredFile).filter((f) => !INACTIVE.has(f.state));
    if (category === 'MAIN' && active.some((f) => f.category === 'MAIN')) throw new MssRefusal(400, 'MSS.10001008', 'Asset main file already exists.');
    // "一个资产中MAIN文件只有一个,且必须有一个": an asset must have its MAIN, so other files come after it (the order is inferred).
    if (category !== 'MAIN' && category !== 'TEMPORARY' && !active.some((f) => f.category === 'MAIN')) {
      throw invalidParameter(`asset_file_category ${category}: the asset has no MAIN file yet, and an asset must have one`);
    }
    if (category === 'COVER' && active.some((f) => f.category === 'COVER')) throw new MssRefusal(400, 'MSS.10001009', 'Asset cover file already exists.');

    const fileId = randomHex(16);
    const extension = fileType.toLowerCase();
    const key = `${this.projectId}/${assetId}/${fileId}.${extension}`;
    const contentType = METASTUDIO_EMULATOR_CONTENT_TYPES[extension] ?? 'application/octet-stream';
    const expires = Math.floor(this.now() / 1000) + this.#ttlSeconds;
    const signature = await obsQuerySignature(this.#obsSecret, { method: 'PUT', contentMd5: fileMd5, contentType, expires, resource: `/${BUCKET}/${key}` });
    const query = new URLSearchParams({ AccessKeyId: OBS_ACCESS_KEY, Expires: String(expires), Signature: signature });
    this.#files.set(fileId, { fileId, assetId, fileName: name, fileMd5, fileSize: size, fileType, category, state: 'CREATING', key, contentType });
    asset.files.push(fileId);
    this.stats.createFile += 1;
    return this.#ok({ file_id: fileId, upload_url: `${this.urlOrigin()}${this.basePath}/obs/${BUCKET}/${key}?${query}` });
  }

  #confirm(fileId: string, input: Record<string, unknown>): Response {
    const file = this.#files.get(fileId);
    if (!file || file.state === 'DELETED') throw new MssRefusal(400, 'MSS.10001004', 'File not found.');
    const state = input.state;
    if (state !== 'CREATED' && state !== 'FAILED' && state !== 'CANCELLED') throw invalidParameter('state');
    if (input.auto_meta_analysis !== undefined && typeof input.auto_meta_analysis !== 'boolean') throw invalidParameter('auto_meta_analysis');
    if (state === 'CREATED') {
      if (CONFIRMED.has(file.state)) return this.#confirmed(state);
      if (file.state !== 'CREATING') throw invalidParameter(`the file is ${file.state}`);
      // Inferred: confirming an upload that never arrived is refused as a missing file.
      if (!file.object) throw new MssRefusal(400, 'MSS.10001004', 'File not found: nothing was uploaded to the upload URL.');
      if (this.#sizeMismatch === 'reject-confirm' && file.object.byteLength !== file.fileSize) {
        throw invalidParameter(`the uploaded object has ${file.object.byteLength} bytes, file_size was ${file.fileSize}`);
      }
      file.state = this.#stateAfterConfirm;
      return this.#confirmed(state);
    }
    if (file.state === state) return this.#confirmed(state);
    if (file.state !== 'CREATING') throw invalidParameter(`the file is ${file.state}`);
    file.state = state;
    return this.#confirmed(state);
  }

  #confirmed(state: string): Response {
    this.stats.confirmations.push(state);
    return new Response(null, { status: 200 });
  }

  #deleteFile(fileId: string): Response {
    const file = this.#files.get(fileId);
    if (!file || file.state === 'DELETED') throw new MssRefusal(400, 'MSS.10001004', 'File not found.');
    file.state = 'DELETED';
    delete file.object;
    this.stats.deleteFile += 1;
    return new Response(null, { status: 200 });
  }

  #ok(body: unknown): Response {
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  // ---- the OBS bucket behind the upload URLs ----

  async #serveObs(request: Request, path: string): Promise<Response> {
    if (request.method === 'OPTIONS') {
      const corsAllowed = Object.keys(this.#obsCors(request)).length > 0;
      return corsAllowed ? new Response(null, { status: 200 }) : new Response(null, { status: 403 });
    }
    if (request.method !== 'PUT') throw new ObsRefusal('MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const url = new URL(request.url);
    const key = decodeURIComponent(path.slice(BUCKET.length + 1));
    const file = [...this.#files.values()].find((candidate) => candidate.key === key);
    const target: FaultTarget = { operation: MetaStudioOperation.PutObject, ...(file && { key: file.fileId }) };
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: () => this.#authenticateObs(request, url, path, key, target),
      // OBS knows no sessions: the PUT lands, and MetaStudio has lost the file by the time it is confirmed.
      ...(file && { forgetSession: () => this.#forget(file.fileId) }),
      fail: (status, retryAfter, asked) => {
        const { code, message, headers } = objectStoreFailure(status, retryAfter, asked);
        throw new ObsRefusal(code, message, status, headers);
      },
      serve: () => this.#putObject(request, key),
    });
  }

  /** A lost session: the file is gone as a deleted one is, though its asset still lists it. */
  #forget(fileId: string): void {
    const file = this.#files.get(fileId);
    if (file) file.state = 'DELETED';
  }

  /** Checks a PUT URL's key, expiry (an `expire` fault expires it), Content-MD5 header and signature. */
  async #authenticateObs(request: Request, url: URL, path: string, key: string, target: FaultTarget): Promise<void> {
    const accessKey = url.searchParams.get('AccessKeyId');
    const expires = Number(url.searchParams.get('Expires'));
    const signature = url.searchParams.get('Signature');
    if (!path.startsWith(`${BUCKET}/`) || accessKey !== OBS_ACCESS_KEY || !signature || !Number.isInteger(expires)) {
      throw new ObsRefusal('AccessDenied', 'Access Denied');
    }
    if (this.faults.take(FaultKind.Expire, target) || expires * 1000 <= this.now()) throw new ObsRefusal('AccessDenied', 'Request has expired');
    const contentMd5 = request.headers.get('content-md5');
    if (contentMd5 === null) throw new ObsRefusal('InvalidRequest', 'Missing required header for this request: Content-MD5');
    const expected = await obsQuerySignature(this.#obsSecret, {
      method: 'PUT',
      contentMd5,
      contentType: request.headers.get('content-type') ?? '',
      expires,
      resource: `/${BUCKET}/${key}`,
    });
    if (!signaturesEqual(expected, signature)) {
      throw new ObsRefusal('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
  }

  async #putObject(request: Request, key: string): Promise<Response> {
    // Looked up again: a lost session is gone by now.
    const file = [...this.#files.values()].find((candidate) => candidate.key === key);
    if (!file) throw new ObsRefusal('NoSuchKey', 'The specified key does not exist.');
    const contentMd5 = request.headers.get('content-md5') ?? '';
    const declared = Number(request.headers.get('content-length') ?? 0);
    // Refuse before reading: nobody should stream 5 GiB into memory to learn it is too much.
    if (declared > MAX_FILE_SIZE) throw new ObsRefusal('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    const body = new Uint8Array(await request.arrayBuffer());
    const digest = base64ToBytes(contentMd5.trim());
    if (!digest || digest.byteLength !== 16) throw new ObsRefusal('InvalidDigest', 'The Content-MD5 you specified was invalid.');
    const expectedHex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    const actualHex = await md5(body);
    if (expectedHex !== actualHex) throw new ObsRefusal('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    if (this.#sizeMismatch === 'reject-put' && body.byteLength !== file.fileSize) {
      throw new ObsRefusal('InvalidRequest', `The body has ${body.byteLength} bytes, but the file was created with file_size ${file.fileSize}.`);
    }
    file.object = body;
    this.stats.putObject += 1;
    this.stats.putOrigins.push(request.headers.get('origin'));
    return new Response(null, { status: 200, headers: { etag: `"${actualHex}"` } });
  }
}
