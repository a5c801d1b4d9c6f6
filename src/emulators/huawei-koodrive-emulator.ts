import { concatBytes, md5Hex } from './checksums.js';
import { FaultKind, type FaultTarget } from './faults.js';
import { authenticateKooDrive, KooDriveGatewayRefusal, type KooDriveToken, TOKEN_LIFETIME_MS } from './huawei-koodrive-auth.js';
import { SHA256_INITIAL_STATE, sha256Continue, sha256Finish } from './huawei-koodrive-sha256.js';
import {
  canonicalRequest,
  credentialScope,
  parseAmzDate,
  parseQuery,
  presignUrl,
  sha256Hex,
  signature,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from './sigv4.js';
import { corsHeaders, EmulatorBase, JsonRefusal, objectStoreFailure, randomHex, serveWithFaults, XmlRefusal, type EmulatorOptions } from './emulator.js';

/** Options of {@link KooDriveEmulator}. */
export interface KooDriveEmulatorOptions extends EmulatorOptions {
  /** Where the emulator is mounted, e.g. `/emulator/huawei-koodrive`: API at `{basePath}/koodrive/ose/v1/…`, parts at `{basePath}/obs/…`. */
  basePath: string;
  /** AppId → AppSecret of the apps whose app-auth signatures are accepted (test credentials). */
  apps: Readonly<Record<string, string>>;
  /** `X-Amz-Expires` of part URLs, in seconds; default 3600 as in KooDrive's example. */
  urlExpiresIn?: number;
  /** Refuse serial-mode parts that arrive out of ascending order; default `true`. */
  serialOrder?: boolean;
  /** Refuse an `X-Traceid` that is not exactly 58 characters; default `false` (the 58 is unverified). */
  checkTraceId?: boolean;
  /** The payload line app-auth signatures use; default `sha256` (inferred). */
  payloadHash?: 'sha256' | 'unsigned';
  /**
   * The one spelling of a user token accepted: `+`, the reference's "The format is Bearer+{access_token}" (its example
   * is literally `Authorization:Bearer+10f88…`), by default; `' '` for the common `Bearer <token>`. The other is refused.
   */
  bearerSeparator?: '+' | ' ';
  /** The smallest non-last part; KooDrive's 5 MiB unless a test needs smaller. */
  minPartSize?: number;
  /** The largest part; 5 GiB. */
  maxPartSize?: number;
  /** The largest file; 200 GiB. */
  maxFileSize?: number;
  /** Bytes the drive holds at most, counting every stored file (13000311 beyond); unlimited by default. */
  quotaBytes?: number;
  /** Folder ids that exist besides `root`. */
  folders?: string[];
  /** Folder ids that are in the recycle bin (13000404). */
  recycledFolders?: string[];
}

/** The operations, named for fault matching and statistics. */
export const KooDriveOperation = {
  CreateFile: 'CreateFile',
  UploadUrl: 'UploadUrl',
  UploadPart: 'UploadPart',
  Complete: 'Complete',
} as const;

/** One of {@link KooDriveOperation}. */
export type KooDriveOperation = (typeof KooDriveOperation)[keyof typeof KooDriveOperation];

/** Counts since the last reset. */
export interface KooDriveEmulatorStats {
  create: number;
  uploadUrl: number;
  uploadPart: number;
  complete: number;
  /** Creates answered with `rapidUpload: true`. */
  rapid: number;
  /** Creates answered with `exist: true`. */
  exist: number;
  /** Completes that carried a `sha256`. */
  completeWithSha256: number;
  /** Part numbers of every stored part, in arrival order. */
  partNumbersReceived: number[];
}

/** A stored file, as tests see it. */
export interface KooDriveStoredFile {
  fileId: string;
  fileName: string;
  parentFolder: string;
  length: number;
  sha256: string;
}

/** An upload neither completed nor forgotten. */
export interface KooDrivePendingUpload {
  fileId: string;
  fileName: string;
  mode: 'serial' | 'parallel';
  partNumbers: number[];
}

const MiB = 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
const API_PREFIX = '/koodrive/ose/v1/files';
const FORBIDDEN_NAME_CHARS = /[<>|:"*?/]/;
const REGION = 'cn-north-4';
/** Key pair the emulated object storage presigns part URLs with; internal to the emulator, not a secret. */
const OBS_CREDENTIALS = { accessKeyId: 'KOODRIVEOBSEMULATOR', secretAccessKey: 'koodrive-obs-emulator-key' };

/** KooDrive's business error codes and their messages (upload subset of the error-code table). */
const KOODRIVE_ERRORS = {
  '13000102': 'Parameter validation failed.',
  '13000301': 'The space does not exist or is abnormal.',
  '13000304': 'The target folder is abnormal.',
  '13000305': 'The target folder is in the recycle bin.',
  '13000309': 'The resource does not exist.',
  '13000311': 'Insufficient space.',
  '13000401': 'The upload task does not exist.',
  '13000402': 'File integrity check failed.',
  '13000403': 'Failed to change the file status.',
  '13000404': 'The parent folder is in the recycle bin.',
  '13000405': 'A file with the same name already exists.',
  '13000409': 'File upload failed.',
  '13000410': 'No permission on this space.',
  '13000412': 'The space is not activated.',
} as const;
type KooDriveErrorCode = keyof typeof KOODRIVE_ERRORS;

/** A KooDrive business error: HTTP 400 `{code, msg}`. */
class KooDriveRefusal extends JsonRefusal {
  constructor(code: KooDriveErrorCode, detail?: string) {
    const message = detail ? `${KOODRIVE_ERRORS[code]} ${detail}` : KOODRIVE_ERRORS[code];
    super(400, code, message, () => ({ code, msg: message }), { 'content-type': 'application/json;charset=UTF-8' });
  }
}

/** An object-storage error on a part PUT, answered as OBS's XML. */
class ObsRefusal extends XmlRefusal {
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, code, message, headers);
  }
}

interface PlannedPart {
  partNumber: number;
  partSize: number;
  partOffset?: number;
  hashCtx?: number[];
}

interface StoredFile extends KooDriveStoredFile {
  bytes: Uint8Array;
}

interface Upload {
  fileId: string;
  uploadId: string;
  objectKey: string;
  fileName: string;
  folder: string;
  length: number;
  sha256?: string;
  parallel: boolean;
  /** Planned parts: all of them when create listed them, else those uploadUrl defined. */
  plan: Map<number, PlannedPart>;
  parts: Map<number, Uint8Array>;
  /**
   * Parallel mode: the SHA-256 state after each stored part but the last, continued from its planned start (a plan
   * entry never changes once made). Computed as the part arrives, as the service does, so complete compares instead of
   * hashing the file a second time.
   */
  statesAfter: Map<number, number[]>;
}

type Json = Record<string, unknown>;


const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An id shaped like KooDrive's (`F` and 32 base62 characters). */
function fileIdOf(): string {
  return `F${[...crypto.getRandomValues(new Uint8Array(32))].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}


function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isStateWords(value: unknown): value is number[] {
  return Array.isArray(value) && value.length === 8 && value.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff_ffff);
}

function sameWords(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((word, index) => word === b[index]);
}

/** `yyyyMMdd_HHmmss` in China Standard Time, the suffix KooDrive gives a renamed file. */
function renameStamp(ms: number): string {
  const cst = new Date(ms + 8 * 3600 * 1000).toISOString();
  return `${cst.slice(0, 10).replaceAll('-', '')}_${cst.slice(11, 19).replaceAll(':', '')}`;
}

/**
 * A strict, in-memory Huawei KooDrive as a Fetch handler: the three upload calls behind the gateway's Bearer and
 * app authentication, and the object storage the parts go to, through SigV4 presigned URLs that sign
 * `content-length`. It checks every point of the provider note's emulator list (names, folders, conflicts, rapid
 * upload, part plans, parallel `hashCtx` chains, serial order, sizes, SHA-256 at complete) and answers with
 * KooDrive's `{code, msg}` errors, the gateway's `{error_code, error_msg}` and S3-style XML on the storage side.
 * Runs unchanged in a page (under msw) and in Node.
 */
export class KooDriveEmulator extends EmulatorBase<KooDriveEmulatorStats> {
  #apps: Readonly<Record<string, string>>;
  #urlExpiresIn: number;
  #serialOrder: boolean;
  #checkTraceId: boolean;
  #payloadHash: 'sha256' | 'unsigned';
  #bearerSeparator: '+' | ' ';
  #minPartSize: number;
  #maxPartSize: number;
  #maxFileSize: number;
  #quotaBytes: number;
  #folders: Set<string>;
  #recycled: Set<string>;
  #tokens = new Map<string, KooDriveToken>();
  #files = new Map<string, StoredFile>();
  #uploads = new Map<string, Upload>();

  constructor(options: KooDriveEmulatorOptions) {
    super(options, () => ({ create: 0, uploadUrl: 0, uploadPart: 0, complete: 0, rapid: 0, exist: 0, completeWithSha256: 0, partNumbersReceived: [] }));
    this.#apps = { ...options.apps };
    this.#urlExpiresIn = options.urlExpiresIn ?? 3600;
    this.#serialOrder = options.serialOrder ?? true;
    this.#checkTraceId = options.checkTraceId ?? false;
    this.#payloadHash = options.payloadHash ?? 'sha256';
    this.#bearerSeparator = options.bearerSeparator ?? '+';
    this.#minPartSize = options.minPartSize ?? 5 * MiB;
    this.#maxPartSize = options.maxPartSize ?? 5 * 1024 * MiB;
    this.#maxFileSize = options.maxFileSize ?? 200 * 1024 * 1024 * MiB;
    this.#quotaBytes = options.quotaBytes ?? Infinity;
    this.#folders = new Set(['root', ...(options.folders ?? [])]);
    this.#recycled = new Set(options.recycledFolders ?? []);
  }

  protected override answerHeaders(request: Request, requestId: string): Record<string, string> {
    return { 'x-request-id': requestId, ...corsHeaders(request, { methods: 'POST, PUT, OPTIONS', exposed: ['x-request-id', 'ETag', 'Retry-After'] }) };
  }

  /** A new user access token for `userId`, valid 20 minutes from its last use (what the KooDrive web front end hands out). */
  issueToken(userId = 'emulator-user'): string {
    const token = `kd_${randomHex(24)}`;
    this.#tokens.set(token, { userId, expiresAt: this.now() + TOKEN_LIFETIME_MS });
    return token;
  }

  /** A copy of a stored file's bytes, or `undefined`. */
  storedBytes(fileId: string): Uint8Array<ArrayBuffer> | undefined {
    const stored = this.#files.get(fileId);
    return stored ? stored.bytes.slice() : undefined;
  }

  /** Every stored file's metadata. */
  listFiles(): KooDriveStoredFile[] {
    return [...this.#files.values()].map(({ fileId, fileName, parentFolder, length, sha256 }) => ({
      fileId,
      fileName,
      parentFolder,
      length,
      sha256,
    }));
  }

  /** The uploads neither completed nor forgotten. */
  pending(): KooDrivePendingUpload[] {
    return [...this.#uploads.values()].map((upload) => ({
      fileId: upload.fileId,
      fileName: upload.fileName,
      mode: upload.parallel ? 'parallel' : 'serial',
      partNumbers: [...upload.parts.keys()].sort((a, b) => a - b),
    }));
  }

  protected forget(): void {
    this.#files.clear();
    this.#uploads.clear();
    this.#tokens.clear();
  }

  protected async serve(request: Request, requestId: string): Promise<Response> {
    if (request.method === 'OPTIONS') return new Response(null, { status: 200 });
    const url = new URL(request.url);
    const path = url.pathname.slice(this.basePath.length);
    if (request.method === 'PUT' && path.startsWith('/obs/')) return this.#uploadPart(request, url, path.slice('/obs/'.length));
    const operation = request.method === 'POST' ? apiOperation(path) : undefined;
    if (!operation) {
      throw new KooDriveGatewayRefusal(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment.');
    }
    const target: FaultTarget = { operation };
    let body = '';
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: async () => {
        body = await request.text();
        await authenticateKooDrive(request, body, this.#tokens, {
          apps: this.#apps,
          payloadHash: this.#payloadHash,
          bearerSeparator: this.#bearerSeparator,
          now: this.now(),
          forceExpired: this.faults.take(FaultKind.Expire, target) !== undefined,
        });
      },
      forgetSession: () => {
        const fileId = fileIdIn(body);
        if (fileId !== undefined) this.#uploads.delete(fileId);
      },
      fail: (status, retryAfter, asked) => {
        // A fault naming a business code is answered as KooDrive answers it (HTTP 400 `{code, msg}`).
        if (asked !== undefined && asked in KOODRIVE_ERRORS) throw new KooDriveRefusal(asked as KooDriveErrorCode);
        throw gatewayFailure(status, retryAfterHeader(retryAfter));
      },
      serve: () => this.#answerApi(request, operation, body, url, requestId),
    });
  }

  async #answerApi(request: Request, operation: KooDriveOperation, body: string, url: URL, requestId: string): Promise<Response> {
    const traceId = request.headers.get('x-traceid');
    if (this.#checkTraceId && traceId !== null && traceId.length !== 58) {
      throw new KooDriveRefusal('13000102', 'X-Traceid must be 58 characters.');
    }
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      throw new KooDriveRefusal('13000102', 'The body is not JSON.');
    }
    if (!isObject(input)) throw new KooDriveRefusal('13000102', 'The body must be a JSON object.');
    const answer = await this.#api(operation, input, url);
    return new Response(JSON.stringify({ ...answer, code: 0, msg: 'Success.' }), {
      status: 200,
      headers: { 'content-type': 'application/json;charset=UTF-8', 'x-trace-id': requestId },
    });
  }

  #api(operation: KooDriveOperation, input: Json, url: URL): Promise<Json> {
    switch (operation) {
      case KooDriveOperation.CreateFile:
        return this.#create(input, url);
      case KooDriveOperation.UploadUrl:
        return this.#uploadUrl(input, url);
      default:
        return this.#complete(input);
    }
  }

  async #create(input: Json, url: URL): Promise<Json> {
    const fileName = checkFileName(input.fileName);
    if (typeof input.fileType !== 'string' || input.fileType === '') throw new KooDriveRefusal('13000102', 'fileType is required.');
    const folder = this.#folder(input.parentFolder);
    const length = input.length;
    if (!isCount(length)) throw new KooDriveRefusal('13000102', 'length must be a non-negative integer.');
    if (length > this.#maxFileSize) throw new KooDriveRefusal('13000102', `length is over ${this.#maxFileSize} bytes.`);
    const sha256 = input.sha256;
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) {
      throw new KooDriveRefusal('13000102', 'sha256 must be 64 hex digits.');
    }
    if (input.uploadMode !== undefined && input.uploadMode !== 'multipart') {
      throw new KooDriveRefusal('13000102', 'uploadMode must be multipart.');
    }
    if (input.uploadType !== undefined && input.uploadType !== 1) throw new KooDriveRefusal('13000102', 'uploadType 0 and 2 are not supported.');
    const autoRename = input.autoRename ?? 2;
    if (autoRename !== 2 && autoRename !== 3 && autoRename !== 4) throw new KooDriveRefusal('13000102', 'autoRename must be 2, 3 or 4.');
    const listed = input.multiParts === undefined ? undefined : this.#checkPlan(input.multiParts, length);

    const digest = sha256?.toLowerCase();
    const taken = this.#nameTaken(folder, fileName);
    if (taken && autoRename === 3) throw new KooDriveRefusal('13000405', `"${fileName}" is already in this folder.`);
    if (taken && autoRename === 4 && digest !== undefined) {
      const same = [...this.#files.values()].find((f) => f.parentFolder === folder && f.fileName === fileName && f.sha256 === digest);
      if (same) {
        this.stats.create += 1;
        this.stats.exist += 1;
        return { fileId: same.fileId, fileName, exist: true, rapidUpload: false, parentFolder: [folder] };
      }
    }
    const finalName = taken ? this.#renamed(folder, fileName) : fileName;
    if (this.#usedBytes() + length > this.#quotaBytes) throw new KooDriveRefusal('13000311');
    const known = digest === undefined ? undefined : [...this.#files.values()].find((f) => f.sha256 === digest && f.length === length);
    const fileId = fileIdOf();
    if (known) {
      this.#files.set(fileId, { fileId, fileName: finalName, parentFolder: folder, length, sha256: digest as string, bytes: known.bytes });
      this.stats.create += 1;
      this.stats.rapid += 1;
      return { fileId, fileName: finalName, rapidUpload: true, exist: false, parentFolder: [folder], containerId: 'emulator-space' };
    }
    const upload: Upload = {
      fileId,
      uploadId: randomHex(16).toUpperCase(),
      objectKey: randomHex(20),
      fileName: finalName,
      folder,
      length,
      ...(digest !== undefined && { sha256: digest }),
      parallel: listed?.parallel ?? false,
      plan: new Map((listed?.parts ?? []).map((part) => [part.partNumber, part])),
      parts: new Map(),
      statesAfter: new Map(),
    };
    this.#uploads.set(fileId, upload);
    this.stats.create += 1;
    return {
      fileId,
      fileName: finalName,
      uploadId: upload.uploadId,
      rapidUpload: false,
      exist: false,
      parentFolder: [folder],
      containerId: 'emulator-space',
      ...(listed && { multiParts: await this.#partUrls(upload, listed.parts, url) }),
    };
  }

  async #uploadUrl(input: Json, url: URL): Promise<Json> {
    const upload = this.#openUpload(input.fileId);
    if (!Array.isArray(input.multiParts) || input.multiParts.length === 0) {
      throw new KooDriveRefusal('13000102', 'multiParts is required.');
    }
    const asked = input.multiParts.map((raw, index) => {
      const part = checkPart(raw, index);
      if (part.partSize > this.#maxPartSize) throw new KooDriveRefusal('13000102', `multiParts[${index}].partSize is over 5 GiB.`);
      const planned = upload.plan.get(part.partNumber);
      if (planned && !samePart(planned, part, upload.parallel)) {
        throw new KooDriveRefusal('13000102', `multiParts[${index}] differs from part ${part.partNumber} as planned.`);
      }
      return planned ?? part;
    });
    if (upload.plan.size === 0) upload.parallel = asked.some((part) => part.partOffset !== undefined || part.hashCtx !== undefined);
    for (const part of asked) upload.plan.set(part.partNumber, part);
    this.stats.uploadUrl += 1;
    return { fileId: upload.fileId, multiParts: await this.#partUrls(upload, asked, url) };
  }

  async #complete(input: Json): Promise<Json> {
    const upload = this.#openUpload(input.fileId);
    const given = input.sha256;
    if (given !== undefined && (typeof given !== 'string' || !/^[0-9a-fA-F]{64}$/.test(given))) {
      throw new KooDriveRefusal('13000102', 'sha256 must be 64 hex digits.');
    }
    const planned = [...upload.plan.values()].sort((a, b) => a.partNumber - b.partNumber);
    const whole = planned.length > 0 && this.#planProblem(planned, upload.length) === undefined;
    if (!whole) throw new KooDriveRefusal('13000409', 'The planned parts do not make up the file.');
    for (const part of planned) {
      const stored = upload.parts.get(part.partNumber);
      if (!stored) throw new KooDriveRefusal('13000409', `Part ${part.partNumber} was not uploaded.`);
      if (stored.byteLength !== part.partSize) throw new KooDriveRefusal('13000402', `Part ${part.partNumber} has the wrong size.`);
    }
    const partBytes = planned.map((part) => upload.parts.get(part.partNumber) as Uint8Array);
    const bytes = concatBytes(partBytes);
    const actual = await sha256Hex(bytes);
    const problem = upload.parallel ? this.#contextProblem(upload, planned, partBytes, actual) : undefined;
    if (problem !== undefined) throw new KooDriveRefusal('13000402', problem);
    if (given !== undefined) this.stats.completeWithSha256 += 1;
    for (const claimed of [upload.sha256, given]) {
      if (claimed !== undefined && claimed.toLowerCase() !== actual) {
        throw new KooDriveRefusal('13000402', 'The sha256 does not match the uploaded bytes.');
      }
    }
    this.#files.set(upload.fileId, {
      fileId: upload.fileId,
      fileName: upload.fileName,
      parentFolder: upload.folder,
      length: upload.length,
      sha256: actual,
      bytes,
    });
    this.#uploads.delete(upload.fileId);
    this.stats.complete += 1;
    return {};
  }

  async #uploadPart(request: Request, url: URL, objectKey: string): Promise<Response> {
    const query = parseQuery(url.search);
    const partText = query.find(([name]) => name === 'partNumber')?.[1] ?? '';
    const partNumber = /^\d+$/.test(partText) ? Number(partText) : undefined;
    const upload = [...this.#uploads.values()].find((u) => u.objectKey === objectKey);
    const target: FaultTarget = {
      operation: KooDriveOperation.UploadPart,
      ...(partNumber !== undefined && { partNumber }),
      ...(upload && { key: upload.fileId }),
    };
    let body = new Uint8Array();
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: async () => {
        body = new Uint8Array(await request.arrayBuffer());
        await this.#verifyPartUrl(request, url, query, body.byteLength, this.faults.take(FaultKind.Expire, target) !== undefined);
      },
      forgetSession: () => {
        if (upload) this.#uploads.delete(upload.fileId);
      },
      fail: (status, retryAfter, asked) => {
        const { code, message, headers } = objectStoreFailure(status, retryAfter, asked);
        throw new ObsRefusal(status, code, message, headers);
      },
      serve: () => this.#storePart(query, objectKey, partNumber, body),
    });
  }

  async #storePart(query: [string, string][], objectKey: string, partNumber: number | undefined, body: Uint8Array<ArrayBuffer>): Promise<Response> {
    // Looked up again: a lost session is gone by now.
    const upload = [...this.#uploads.values()].find((u) => u.objectKey === objectKey);
    const uploadId = query.find(([name]) => name === 'uploadId')?.[1];
    if (!upload || upload.uploadId !== uploadId) {
      throw new ObsRefusal(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
    }
    const planned = partNumber === undefined ? undefined : upload.plan.get(partNumber);
    if (!planned) throw new ObsRefusal(400, 'InvalidArgument', 'Part number is not part of this upload.');
    if (!upload.parallel && this.#serialOrder) this.#checkSerialOrder(upload, planned.partNumber);
    upload.parts.set(planned.partNumber, body);
    upload.statesAfter.delete(planned.partNumber);
    const from = planned.partNumber === 1 ? SHA256_INITIAL_STATE : planned.hashCtx;
    const last = (planned.partOffset ?? 0) + body.byteLength >= upload.length;
    if (upload.parallel && from && !last && body.byteLength % 64 === 0) {
      upload.statesAfter.set(planned.partNumber, sha256Continue(from, body));
    }
    this.stats.uploadPart += 1;
    this.stats.partNumbersReceived.push(planned.partNumber);
    return new Response(null, { status: 200, headers: { etag: `"${await md5Hex(body)}"` } });
  }

  /** Checks a part URL as the object storage does: SigV4 query signature over `content-length` and `host`, and expiry. */
  async #verifyPartUrl(request: Request, url: URL, query: Array<[string, string]>, bodyLength: number, forceExpired: boolean): Promise<void> {
    const get = (name: string) => query.find(([key]) => key === name)?.[1];
    const credential = get('X-Amz-Credential');
    const amzDate = get('X-Amz-Date') ?? '';
    const expires = Number(get('X-Amz-Expires'));
    const signedHeaders = get('X-Amz-SignedHeaders');
    const provided = get('X-Amz-Signature');
    const signedAt = parseAmzDate(amzDate);
    if (!credential || signedAt === undefined || !Number.isInteger(expires) || !signedHeaders || !provided) {
      throw new ObsRefusal(403, 'AccessDenied', 'Access Denied');
    }
    if (forceExpired || this.now() > signedAt + expires * 1000) throw new ObsRefusal(403, 'AccessDenied', 'Request has expired');
    if (signedHeaders !== 'content-length;host') {
      throw new ObsRefusal(403, 'AccessDenied', 'Part URLs must sign content-length and host.');
    }
    const date = amzDate.slice(0, 8);
    const scope = credentialScope(date, REGION, 's3');
    const canonical = canonicalRequest({
      method: request.method,
      pathname: url.pathname,
      query,
      // The signed length is compared with the bytes that arrived: over HTTP they are the Content-Length.
      headers: { 'content-length': String(bodyLength), host: request.headers.get('host') ?? url.host },
      payloadHash: UNSIGNED_PAYLOAD,
    });
    const expected = await signature(OBS_CREDENTIALS.secretAccessKey, date, REGION, 's3', await stringToSign(amzDate, scope, canonical));
    if (credential !== `${OBS_CREDENTIALS.accessKeyId}/${scope}` || expected !== provided) {
      throw new ObsRefusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
  }

  /** Serial mode: the service hashes parts as they come, so part N needs 1..N-1 and nothing after it. */
  #checkSerialOrder(upload: Upload, partNumber: number): void {
    for (let before = 1; before < partNumber; before++) {
      if (!upload.parts.has(before)) {
        throw new ObsRefusal(400, 'InvalidPartOrder', `Parts of a serial upload must arrive in ascending order; part ${partNumber} came before part ${before}.`);
      }
    }
    if ([...upload.parts.keys()].some((stored) => stored > partNumber)) {
      throw new ObsRefusal(400, 'InvalidPartOrder', `Part ${partNumber} cannot be replaced after later parts of a serial upload.`);
    }
  }

  /**
   * Parallel mode, at complete: compares the SHA-256 state after each part (continued from its `hashCtx` as it
   * arrived, as the service does) with the next part's `hashCtx`, and finishes the last part into the file's SHA-256.
   * Failing at complete gives the same 13000402 the service gives and also covers plans built piecemeal through
   * uploadUrl.
   */
  #contextProblem(upload: Upload, planned: PlannedPart[], parts: Uint8Array[], actual: string): string | undefined {
    for (const [index, part] of planned.entries()) {
      const start = part.partNumber === 1 ? SHA256_INITIAL_STATE : (part.hashCtx as number[]);
      const bytes = parts[index] as Uint8Array;
      const next = planned[index + 1];
      if (next && !sameWords(upload.statesAfter.get(part.partNumber) ?? sha256Continue(start, bytes), next.hashCtx as number[])) {
        return `Part ${part.partNumber}'s bytes do not lead to part ${next.partNumber}'s hashCtx.`;
      }
      if (!next && sha256Finish(start, part.partOffset ?? 0, bytes) !== actual) {
        return `Part ${part.partNumber}'s hashCtx does not lead to the file's SHA-256.`;
      }
    }
    return undefined;
  }

  async #partUrls(upload: Upload, parts: PlannedPart[], url: URL): Promise<Json[]> {
    const origin = this.urlOrigin(url);
    return Promise.all(
      parts.map(async (part) => ({
        partNumber: part.partNumber,
        partSize: part.partSize,
        ...(part.partOffset !== undefined && { partOffset: part.partOffset }),
        partId: `${upload.objectKey}.${part.partNumber}`,
        uploadUrl: await presignUrl({
          method: 'PUT',
          url: `${origin}${this.basePath}/obs/${upload.objectKey}?partNumber=${part.partNumber}&uploadId=${upload.uploadId}`,
          credentials: OBS_CREDENTIALS,
          region: REGION,
          expiresIn: this.#urlExpiresIn,
          headers: { 'content-length': String(part.partSize) },
          now: this.now(),
        }),
      })),
    );
  }

  #openUpload(fileId: unknown): Upload {
    if (typeof fileId !== 'string' || fileId === '') throw new KooDriveRefusal('13000102', 'fileId is required.');
    const upload = this.#uploads.get(fileId);
    if (!upload) throw new KooDriveRefusal('13000401');
    return upload;
  }

  #folder(parentFolder: unknown): string {
    if (!Array.isArray(parentFolder) || parentFolder.length === 0 || typeof parentFolder[0] !== 'string') {
      throw new KooDriveRefusal('13000102', 'parentFolder must be a list of folder ids.');
    }
    const folder = parentFolder[0];
    if (this.#recycled.has(folder)) throw new KooDriveRefusal('13000404');
    if (!this.#folders.has(folder)) throw new KooDriveRefusal('13000309', `No folder ${folder}.`);
    return folder;
  }

  #nameTaken(folder: string, fileName: string): boolean {
    // An upload in progress holds its name already, as the file record exists from create on.
    return (
      [...this.#files.values()].some((file) => file.parentFolder === folder && file.fileName === fileName) ||
      [...this.#uploads.values()].some((upload) => upload.folder === folder && upload.fileName === fileName)
    );
  }

  #renamed(folder: string, fileName: string): string {
    const dot = fileName.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot)] : [fileName, ''];
    const base = `${stem}_${renameStamp(this.now())}`;
    let candidate = `${base}${extension}`;
    for (let n = 1; this.#nameTaken(folder, candidate); n++) candidate = `${base}_${n}${extension}`;
    return candidate;
  }

  #usedBytes(): number {
    return [...this.#files.values()].reduce((sum, file) => sum + file.length, 0);
  }

  #checkPlan(raw: unknown, length: number): { parts: PlannedPart[]; parallel: boolean } {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_PART_NUMBER) {
      throw new KooDriveRefusal('13000102', `multiParts must list 1 to ${MAX_PART_NUMBER} parts.`);
    }
    const parts = raw.map((part, index) => checkPart(part, index)).sort((a, b) => a.partNumber - b.partNumber);
    const problem = this.#planProblem(parts, length);
    if (problem) throw new KooDriveRefusal('13000102', problem);
    return { parts, parallel: parts.some((part) => part.partOffset !== undefined || part.hashCtx !== undefined) };
  }

  /** What is wrong with a whole plan (parts sorted by number), or undefined. */
  #planProblem(parts: PlannedPart[], length: number): string | undefined {
    const parallel = parts.some((part) => part.partOffset !== undefined || part.hashCtx !== undefined);
    let offset = 0;
    for (const [index, part] of parts.entries()) {
      const last = index === parts.length - 1;
      if (part.partNumber !== index + 1) return `Part numbers must run from 1 without gaps or repeats; found ${part.partNumber} at ${index + 1}.`;
      if (part.partSize > this.#maxPartSize) return `Part ${part.partNumber} is over 5 GiB.`;
      if (!last && part.partSize < this.#minPartSize) return `Part ${part.partNumber} is under ${this.#minPartSize} bytes and not the last.`;
      if (parallel) {
        if (part.partOffset !== offset) return `Part ${part.partNumber}'s partOffset must be ${offset}.`;
        if (!last && part.partSize % 64 !== 0) return `Part ${part.partNumber}'s size must be a multiple of 64 in a parallel upload.`;
        const ctx = part.hashCtx;
        if (part.partNumber === 1) {
          if (ctx !== undefined && ctx.length > 0 && !sameWords(ctx, SHA256_INITIAL_STATE)) return 'Part 1 cannot carry a hashCtx.';
        } else if (!isStateWords(ctx)) {
          return `Part ${part.partNumber} needs a hashCtx of 8 unsigned 32-bit words.`;
        }
      }
      offset += part.partSize;
    }
    return offset === length ? undefined : `The part sizes add up to ${offset}, not the length ${length}.`;
  }
}

function apiOperation(path: string): KooDriveOperation | undefined {
  switch (path) {
    case `${API_PREFIX}/create`:
      return KooDriveOperation.CreateFile;
    case `${API_PREFIX}/multipart/uploadUrl`:
      return KooDriveOperation.UploadUrl;
    case `${API_PREFIX}/complete`:
      return KooDriveOperation.Complete;
    default:
      return undefined;
  }
}

function retryAfterHeader(retryAfter: string | undefined): Record<string, string> {
  return retryAfter === undefined ? {} : { 'retry-after': retryAfter };
}

/** The `fileId` a JSON API body names, if any. */
function fileIdIn(body: string): string | undefined {
  try {
    const input: unknown = JSON.parse(body);
    return isObject(input) && typeof input['fileId'] === 'string' ? input['fileId'] : undefined;
  } catch {
    return undefined;
  }
}

function gatewayFailure(status: number, headers: Record<string, string>): KooDriveGatewayRefusal {
  if (status === 429) return new KooDriveGatewayRefusal(429, 'APIGW.0308', 'The throttling threshold has been reached.', headers);
  if (status === 504) return new KooDriveGatewayRefusal(504, 'APIGW.0203', 'Backend timeout.', headers);
  return new KooDriveGatewayRefusal(status, 'APIGW.0202', 'Backend unavailable.', headers);
}

function checkFileName(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
    throw new KooDriveRefusal('13000102', 'fileName is required and cannot be "." or "..".');
  }
  if (FORBIDDEN_NAME_CHARS.test(value)) throw new KooDriveRefusal('13000102', 'fileName cannot contain < > | : " * ? /.');
  if ([...value].length > 80) throw new KooDriveRefusal('13000102', 'fileName is longer than 80 characters.');
  return value;
}

function checkPart(raw: unknown, index: number): PlannedPart {
  if (!isObject(raw)) throw new KooDriveRefusal('13000102', `multiParts[${index}] must be an object.`);
  const { partNumber, partSize, partOffset, hashCtx } = raw;
  if (!Number.isInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > MAX_PART_NUMBER) {
    throw new KooDriveRefusal('13000102', `multiParts[${index}].partNumber must be 1 to ${MAX_PART_NUMBER}.`);
  }
  if (!isCount(partSize)) throw new KooDriveRefusal('13000102', `multiParts[${index}].partSize must be a non-negative integer.`);
  if (partOffset !== undefined && !isCount(partOffset)) {
    throw new KooDriveRefusal('13000102', `multiParts[${index}].partOffset must be a non-negative integer.`);
  }
  if (hashCtx !== undefined && !(Array.isArray(hashCtx) && (hashCtx.length === 0 || isStateWords(hashCtx)))) {
    throw new KooDriveRefusal('13000102', `multiParts[${index}].hashCtx must be 8 unsigned 32-bit words.`);
  }
  return {
    partNumber: partNumber as number,
    partSize,
    ...(partOffset !== undefined && { partOffset }),
    ...(hashCtx !== undefined && { hashCtx: hashCtx as number[] }),
  };
}

function samePart(planned: PlannedPart, asked: PlannedPart, parallel: boolean): boolean {
  if (planned.partSize !== asked.partSize) return false;
  if (!parallel) return asked.partOffset === undefined && asked.hashCtx === undefined;
  if (asked.partOffset !== planned.partOffset) return false;
  if (planned.partNumber === 1) return true;
  return asked.hashCtx !== undefined && planned.hashCtx !== undefined && sameWords(asked.hashCtx, planned.hashCtx);
}
