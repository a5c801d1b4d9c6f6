import { FaultKind, type FaultTarget } from './faults.js';
import { COS_V4_MAX_LIFETIME_S, cosV4PathInUrl, isCosV4Hmac, readMultiEffectSignature } from './tencent-cos-v4-signature.js';
import { SHA1_INITIAL_STATE, sha1Continue, sha1Finish, stateFromHexLe, stateToHexLe } from './sha1-state.js';
import { corsHeaders, EmulatorBase, JsonRefusal, randomHex, serveWithFaults, type EmulatorOptions } from './emulator.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The `slice_size` values init accepts, from the note's init table: "one of `524288`, `1048576`, `2097152`,
 * `3145728` (doc, list page)". The emulator's own copy: the adapter's list is checked against it, not shared with it.
 */
export const COS_V4_EMULATOR_SLICE_SIZES: readonly number[] = [512 * KiB, MiB, 2 * MiB, 3 * MiB];
const SLICE_SIZES = COS_V4_EMULATOR_SLICE_SIZES;

/** The `op` form field of each call the emulator serves (the note's flow and the seed's `op=upload_slice_finish`). */
const CosV4Op = {
  /** On a folder's path (ending in "/"), with a JSON body: the SDKs' CreateFolder. */
  CreateFolder: 'create',
  Upload: 'upload',
  SliceInit: 'upload_slice_init',
  SliceList: 'upload_slice_list',
  SliceData: 'upload_slice_data',
  SliceFinish: 'upload_slice_finish',
} as const;

/** The one key pair the emulator accepts. */
export interface CosV4Credentials {
  secretId: string;
  secretKey: string;
}

/** Options of {@link TencentCosV4Emulator}. */
export interface TencentCosV4EmulatorOptions extends EmulatorOptions {
  /** Where the emulator is mounted, e.g. `/emulator/tencent-cos-v4`; object URLs are `{basePath}/files/v2/{appid}/{bucket}/{path}`. */
  basePath: string;
  appId: string;
  bucket: string;
  credentials: CosV4Credentials;
  /** The v4 region code written into the URLs answers carry; default `sh`. */
  region?: string;
  /** The `slice_size` values init accepts; default the documented four. `[1048576]` is the strict mode (-284 otherwise). */
  sliceSizes?: readonly number[];
  /** Init answers `serial_upload: 1`, and slices must then arrive in order. */
  serialUpload?: boolean;
  /** Init answers this `slice_size` whatever was asked, as COS may; the session then slices by it. */
  grantedSliceSize?: number;
  /** How long an unfinished session lives, in ms; default 24 hours (the real lifetime is unknown). */
  sessionTtlMs?: number;
  /** Page origins the bucket's CORS rule allows; default `'*'`. Others get -121. */
  allowedOrigins?: readonly string[] | '*';
  /** Folders that exist from the start (and after a reset), each ending in "/", such as `['uploads/']`. */
  directories?: readonly string[];
  /**
   * Refuses a file call into a folder that does not exist, with -166 (an inferred code), as seed 002's precondition
   * "指定目录已存在" (the directory must exist) says COS does. Default true.
   */
  requireDirectories?: boolean;
}

/** Counts of successful calls since the last reset. */
export interface CosV4EmulatorStats {
  list: number;
  init: number;
  data: number;
  finish: number;
  upload: number;
  /** Inits answered with the file already there (rapid upload). */
  rapid: number;
  /** The slice number (offset / slice_size + 1) of every stored slice, in arrival order (a re-sent one appears again). */
  partNumbersReceived: number[];
  /** Every `upload_slice_init` form, as sent (file contents excluded), for tests of what the adapter declares. */
  initForms: Array<Record<string, string>>;
}

/** An unfinished session, as tests see it. */
export interface CosV4PendingSession {
  session: string;
  path: string;
  filesize: number;
  sliceSize: number;
  offsets: number[];
}

interface SliceDeclaration {
  offset: number;
  datalen: number;
  datasha: string;
}

interface Session {
  id: string;
  path: string;
  filesize: number;
  sliceSize: number;
  sha: string | undefined;
  parts: SliceDeclaration[] | undefined;
  slices: Map<number, Uint8Array>;
  insertOnly: boolean;
  bizAttr: string | undefined;
  expiresAt: number;
}

interface StoredObject {
  bytes: Uint8Array<ArrayBuffer>;
  sha: string;
  bizAttr: string | undefined;
}

/** What every step of one request needs. */
interface Exchange {
  request: Request;
  url: URL;
  appId: string;
  bucket: string;
  path: string;
  op: string;
  form: FormData;
  target: FaultTarget;
}

/**
 * The codes for a missing folder and for one that exists already: no seed or note gives them, so they are inferred
 * (-166 "index does not exist", -178 "path conflict", as the v4 SDKs' error tables name them).
 */
const NO_SUCH_FOLDER = -166;
const FOLDER_EXISTS = -178;

/** HTTP status of each COS v4 code the emulator answers (the note's table; -29094 has none documented). */
const STATUS: Record<number, number> = {
  [NO_SUCH_FOLDER]: 404,
  [FOLDER_EXISTS]: 409,
  [-47]: 403,
  [-48]: 403,
  [-59]: 403,
  [-61]: 403,
  [-63]: 403,
  [-70]: 403,
  [-71]: 503,
  [-97]: 403,
  [-121]: 403,
  [-133]: 404,
  [-175]: 400,
  [-177]: 409,
  [-195]: 500,
  [-196]: 503,
  [-197]: 404,
  [-284]: 400,
  [-4016]: 409,
  [-4019]: 409,
  [-4020]: 409,
  [-5965]: 400,
  [-5997]: 503,
  [-5999]: 400,
  [-29094]: 400,
};

/** A COS v4 error, thrown inside the emulator and answered as `{code, message}` at the top. */
class CosV4Refusal extends JsonRefusal {
  constructor(code: number, message: string, status: number = STATUS[code] ?? 400, headers: Record<string, string> = {}) {
    super(status, code, message, () => ({ code, message }), { 'content-type': 'application/json; charset=utf-8', ...headers });
  }
}

const DAY_MS = 24 * 3600 * 1000;


function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function success(data: Record<string, unknown>): Response {
  return json({ code: 0, message: 'SUCCESS', data });
}

function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A JSON object body (the SDKs send CreateFolder so) as the form the other calls carry. */
function jsonForm(body: unknown): FormData {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('not a JSON object');
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') form.append(name, value);
  return form;
}

function decimal(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CosV4Refusal(-5999, `${name} must be a non-negative integer`);
  }
  return Number(value);
}

async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}


/**
 * A strict, in-memory bucket behind Tencent COS's legacy v4 JSON API (`/files/v2/…`) as a Fetch handler: it verifies
 * multi-effect signatures and their expiry, slice sizes, `uploadparts` (each slice's SHA-1 state, resumed from the
 * previous slice's claimed state), serial order, sessions, -4019/-4020 conflicts, rapid upload and finish, answering
 * COS's `{code, message}` errors. Runs unchanged in a page (under msw) and in Node. Fault operations are the `op`
 * names; slices carry `partNumber` = offset / slice_size + 1.
 */
export class TencentCosV4Emulator extends EmulatorBase<CosV4EmulatorStats> {
  readonly appId: string;
  readonly bucket: string;
  readonly region: string;

  #credentials: CosV4Credentials;
  #sliceSizes: readonly number[];
  #serial: boolean;
  #grantedSliceSize: number | undefined;
  #sessionTtlMs: number;
  #allowedOrigins: readonly string[] | '*';
  #sessions = new Map<string, Session>();
  #objects = new Map<string, StoredObject>();
  #initialDirectories: readonly string[];
  #directories: Set<string>;
  #requireDirectories: boolean;

  constructor(options: TencentCosV4EmulatorOptions) {
    super(options, () => ({ list: 0, init: 0, data: 0, finish: 0, upload: 0, rapid: 0, partNumbersReceived: [], initForms: [] }));
    this.appId = options.appId;
    this.bucket = options.bucket;
    this.region = options.region ?? 'sh';
    this.#credentials = { ...options.credentials };
    this.#sliceSizes = options.sliceSizes ?? SLICE_SIZES;
    this.#serial = options.serialUpload ?? false;
    this.#grantedSliceSize = options.grantedSliceSize;
    this.#sessionTtlMs = options.sessionTtlMs ?? DAY_MS;
    this.#allowedOrigins = options.allowedOrigins ?? '*';
    this.#initialDirectories = options.directories ?? [];
    this.#directories = new Set(this.#initialDirectories);
    this.#requireDirectories = options.requireDirectories ?? true;
  }

  protected override answerHeaders(request: Request): Record<string, string> {
    return this.#corsHeaders(request);
  }

  /** A copy of a stored file's bytes, or `undefined`. */
  storedBytes(path: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#objects.get(path)?.bytes.slice();
  }

  /** The folders that exist, each ending in "/". */
  directories(): string[] {
    return [...this.#directories].sort();
  }

  /** Stores a file as if uploaded earlier (to test rapid upload and -177). */
  async putObject(path: string, bytes: Uint8Array): Promise<void> {
    const copy = new Uint8Array(bytes);
    this.#objects.set(path, { bytes: copy, sha: await sha1Hex(copy), bizAttr: undefined });
  }

  /** The unfinished sessions that have not expired. */
  pending(): CosV4PendingSession[] {
    this.#purgeExpired();
    return [...this.#sessions.values()].map((session) => ({
      session: session.id,
      path: session.path,
      filesize: session.filesize,
      sliceSize: session.sliceSize,
      offsets: [...session.slices.keys()].sort((a, b) => a - b),
    }));
  }

  protected forget(): void {
    this.#sessions.clear();
    this.#objects.clear();
    this.#directories = new Set(this.#initialDirectories);
  }

  #originAllowed(origin: string | null): boolean {
    return origin === null || this.#allowedOrigins === '*' || this.#allowedOrigins.includes(origin);
  }

  #corsHeaders(request: Request): Record<string, string> {
    const origin = request.headers.get('origin');
    if (!this.#originAllowed(origin)) return {};
    // Retry-After is what a bucket owner adds to the rule so that the page can honour -71's wait.
    const rule = corsHeaders(request, { methods: 'POST, GET, OPTIONS', exposed: ['Retry-After'], allowOrigin: this.#allowedOrigins === '*' ? '*' : origin ?? '' });
    return { ...rule, 'access-control-max-age': '600', vary: 'Origin' };
  }

  protected async serve(request: Request): Promise<Response> {
    if (!this.#originAllowed(request.headers.get('origin'))) {
      throw new CosV4Refusal(-121, 'The CORS rule did not match the Origin of the request');
    }
    if (request.method === 'OPTIONS') return new Response(null, { status: 200 });
    const exchange = await this.#parse(request);
    const { target } = exchange;

    const session = field(exchange.form, 'session');
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: async () => {
        await this.#authenticate(exchange);
        if (exchange.appId !== this.appId || exchange.bucket !== this.bucket) throw new CosV4Refusal(-133, 'The bucket does not exist');
      },
      ...(session !== undefined && { forgetSession: () => this.#sessions.delete(session) }),
      fail: (status, retryAfter, asked) => {
        const busy = status === 503;
        throw new CosV4Refusal(
          asked !== undefined ? Number(asked) : busy ? -71 : -195,
          asked !== undefined ? `The request was refused with ${asked}` : busy ? 'Too many requests; please slow down' : 'Internal server error',
          status,
          retryAfter === undefined ? {} : { 'retry-after': retryAfter },
        );
      },
      serve: async () => {
        const folder = exchange.path.endsWith('/');
        if (folder !== (exchange.op === CosV4Op.CreateFolder)) {
          throw new CosV4Refusal(-5999, folder ? `op ${JSON.stringify(exchange.op)} is not a folder call` : 'op=create is for a folder path, ending in "/"');
        }
        this.#requireFolderOf(exchange.path);
        switch (exchange.op) {
          case CosV4Op.CreateFolder:
            return this.#createFolder(exchange.path);
          case CosV4Op.SliceList:
            return this.#list(exchange);
          case CosV4Op.SliceInit:
            return this.#init(exchange);
          case CosV4Op.SliceData:
            return this.#data(exchange);
          case CosV4Op.SliceFinish:
            return this.#finish(exchange);
          case CosV4Op.Upload:
            return this.#upload(exchange);
          default:
            throw new CosV4Refusal(-5999, `Unknown op ${JSON.stringify(exchange.op)}`);
        }
      },
    });
  }

  async #parse(request: Request): Promise<Exchange> {
    const url = new URL(request.url);
    const prefix = `${this.basePath}/files/v2/`;
    if (!url.pathname.startsWith(prefix)) throw new CosV4Refusal(-5999, 'Paths are /files/v2/{appid}/{bucket}/{path}');
    let segments: string[];
    try {
      segments = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    } catch {
      throw new CosV4Refusal(-5999, 'The path is not valid percent-encoded UTF-8');
    }
    const [appId = '', bucket = '', ...rest] = segments;
    const path = rest.join('/');
    // A folder's path ends in "/": its one empty segment is the last.
    const named = path.endsWith('/') ? rest.slice(0, -1) : rest;
    if (path === '' || named.some((segment) => segment === '')) throw new CosV4Refusal(-5999, 'The URL names no file or folder');
    if (request.method !== 'POST') throw new CosV4Refusal(-5999, `${request.method} is not an upload call; upload calls are POST`);
    let form: FormData;
    try {
      form = /^application\/json\b/i.test(request.headers.get('content-type') ?? '') ? jsonForm(await request.json()) : await request.formData();
    } catch {
      throw new CosV4Refusal(-5999, 'The body must be multipart/form-data, or a JSON object for a folder');
    }
    const op = field(form, 'op') ?? '';
    const target: FaultTarget = { operation: op, key: path };
    if (op === CosV4Op.SliceData) {
      const session = this.#sessions.get(field(form, 'session') ?? '');
      const offset = Number(field(form, 'offset'));
      if (session && Number.isSafeInteger(offset)) target.partNumber = Math.floor(offset / session.sliceSize) + 1;
    }
    return { request, url, appId, bucket, path, op, form, target };
  }

  async #authenticate(exchange: Exchange): Promise<void> {
    const signature = exchange.request.headers.get('authorization') ?? exchange.url.searchParams.get('sign');
    if (!signature) throw new CosV4Refusal(-48, 'No signature: send the Authorization header or the sign parameter');
    const parts = readMultiEffectSignature(signature);
    const fields = parts?.fields;
    if (!parts || !fields || ['a', 'b', 'k', 'e', 't', 'r', 'f'].some((name) => fields[name] === undefined)) {
      throw new CosV4Refusal(-48, 'The signature is malformed');
    }
    if (fields['k'] !== this.#credentials.secretId) throw new CosV4Refusal(-47, 'The SecretId does not exist');
    if (!(await isCosV4Hmac(this.#credentials.secretKey, parts.original, parts.hmac))) throw new CosV4Refusal(-97, 'The signature does not match');
    if (fields['a'] !== exchange.appId) throw new CosV4Refusal(-70, 'The appid in the signature is not the one accessed');
    if (fields['b'] !== exchange.bucket) throw new CosV4Refusal(-61, 'The bucket in the signature is not the one accessed');
    const { e = '', t = '', r = '', f = '' } = fields;
    if (!/^\d{1,12}$/.test(e) || !/^\d{1,12}$/.test(t) || !/^\d{1,10}$/.test(r)) {
      throw new CosV4Refusal(-48, 'e, t and r must be unsigned decimals');
    }
    const forceExpired = this.faults.take(FaultKind.Expire, exchange.target) !== undefined;
    if (forceExpired || Number(e) <= Math.floor(this.now() / 1000)) throw new CosV4Refusal(-59, 'The signature has expired');
    if (Number(e) <= Number(t) || Number(e) > Number(t) + COS_V4_MAX_LIFETIME_S) {
      throw new CosV4Refusal(-48, 'A multi-effect signature must expire after t and within 90 days of it');
    }
    if (f !== '') {
      let fileId: string;
      try {
        fileId = decodeURIComponent(f);
      } catch {
        throw new CosV4Refusal(-63, 'The fileid in the signature is not the file accessed');
      }
      if (fileId !== `/${exchange.appId}/${exchange.bucket}/${exchange.path}`) {
        throw new CosV4Refusal(-63, 'The fileid in the signature is not the file accessed');
      }
    }
  }

  /** Seed 002's precondition, "指定目录已存在": the folder a file or folder goes into must exist (the root always does). */
  #requireFolderOf(path: string): void {
    const parent = path.slice(0, path.replace(/\/$/, '').lastIndexOf('/') + 1);
    if (this.#requireDirectories && parent !== '' && !this.#directories.has(parent)) {
      throw new CosV4Refusal(NO_SUCH_FOLDER, `The folder ${parent} does not exist; create it first (op=create)`);
    }
  }

  #createFolder(path: string): Response {
    if (this.#directories.has(path)) throw new CosV4Refusal(FOLDER_EXISTS, `The folder ${path} exists already`);
    this.#directories.add(path);
    return success({ ctime: String(Math.floor(this.now() / 1000)), resource_path: `/${this.appId}/${this.bucket}/${path}` });
  }

  #purgeExpired(): void {
    const now = this.now();
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(id);
  }

  #openSessionAt(path: string): Session | undefined {
    this.#purgeExpired();
    return [...this.#sessions.values()].find((session) => session.path === path);
  }

  #session(exchange: Exchange): Session {
    this.#purgeExpired();
    const session = this.#sessions.get(field(exchange.form, 'session') ?? '');
    if (!session || session.path !== exchange.path) {
      throw new CosV4Refusal(-197, 'No such upload session: it finished, expired or belongs to another file');
    }
    return session;
  }

  #urls(path: string): Record<string, string> {
    const host = `${this.bucket}-${this.appId}`;
    const encoded = cosV4PathInUrl(path);
    return {
      access_url: `http://${host}.file.myqcloud.com/${encoded}`,
      resource_path: `/${this.appId}/${this.bucket}/${path}`,
      source_url: `http://${host}.cos${this.region}.myqcloud.com/${encoded}`,
      url: `http://${this.region}.file.myqcloud.com/files/v2/${this.appId}/${this.bucket}/${encoded}`,
    };
  }

  #list(exchange: Exchange): Response {
    const session = this.#openSessionAt(exchange.path);
    if (session) {
      this.stats.list += 1;
      return success({
        session: session.id,
        slice_size: session.sliceSize,
        filesize: session.filesize,
        ...(session.sha === undefined ? {} : { sha: session.sha }),
        ...(this.#serial ? { serial_upload: 1 } : {}),
        listparts: [...session.slices]
          .sort(([a], [b]) => a - b)
          .map(([offset, bytes]) => ({ offset, datalen: bytes.byteLength })),
      });
    }
    if (this.#objects.has(exchange.path)) {
      this.stats.list += 1;
      return success(this.#urls(exchange.path));
    }
    throw new CosV4Refusal(-197, 'No unfinished upload at this path', 404);
  }

  #parseUploadParts(text: string, filesize: number, sliceSize: number, sha: string): SliceDeclaration[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CosV4Refusal(-5965, 'uploadparts is not valid JSON');
    }
    const count = filesize === 0 ? 1 : Math.ceil(filesize / sliceSize);
    if (!Array.isArray(parsed) || parsed.length !== count) {
      throw new CosV4Refusal(-5999, `uploadparts must list ${count} slices of ${sliceSize} bytes`);
    }
    return parsed.map((entry: unknown, index): SliceDeclaration => {
      const { offset, datalen, datasha } = (entry ?? {}) as Record<string, unknown>;
      const expectedLength = Math.min(sliceSize, filesize - index * sliceSize);
      if (offset !== index * sliceSize || datalen !== expectedLength) {
        throw new CosV4Refusal(-5999, `uploadparts[${index}] must be offset ${index * sliceSize}, datalen ${expectedLength}`);
      }
      if (typeof datasha !== 'string' || !/^[0-9a-f]{40}$/.test(datasha)) {
        throw new CosV4Refusal(-5999, `uploadparts[${index}].datasha must be 40 lower-case hex digits`);
      }
      if (index === count - 1 && datasha !== sha) throw new CosV4Refusal(-4016, 'The last slice\'s datasha must be the file\'s sha');
      return { offset, datalen, datasha };
    });
  }

  #init(exchange: Exchange): Response {
    const { form, path } = exchange;
    this.stats.initForms.push(Object.fromEntries([...form].filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
    const filesize = decimal(field(form, 'filesize'), 'filesize');
    const askedSliceSize = decimal(field(form, 'slice_size'), 'slice_size');
    if (!this.#sliceSizes.includes(askedSliceSize)) {
      throw new CosV4Refusal(-284, `slice_size must be one of ${this.#sliceSizes.join(', ')}; set it to 1 MB`);
    }
    const sha = field(form, 'sha');
    if (sha !== undefined && !/^[0-9a-f]{40}$/.test(sha)) throw new CosV4Refusal(-5999, 'sha must be 40 lower-case hex digits');
    const uploadparts = field(form, 'uploadparts');
    if (uploadparts !== undefined && sha === undefined) throw new CosV4Refusal(-5999, 'uploadparts needs sha');
    const parts = uploadparts === undefined ? undefined : this.#parseUploadParts(uploadparts, filesize, askedSliceSize, sha!);
    const insertOnly = field(form, 'insertOnly') !== '0';

    const open = this.#openSessionAt(path);
    if (open) {
      if (sha !== undefined && open.sha === sha) {
        throw new CosV4Refusal(-4019, 'An unfinished upload of the same file exists; query it with upload_slice_list');
      }
      throw new CosV4Refusal(-4020, 'An unfinished upload with a different sha exists at this path');
    }
    const existing = this.#objects.get(path);
    if (existing && insertOnly) {
      if (sha === undefined || existing.sha !== sha || existing.bytes.byteLength !== filesize) {
        throw new CosV4Refusal(-177, 'The file already exists; send insertOnly=0 to overwrite it');
      }
      this.stats.init += 1;
      this.stats.rapid += 1;
      return success(this.#urls(path));
    }
    if (sha !== undefined) {
      const twin = [...this.#objects.values()].find((stored) => stored.sha === sha && stored.bytes.byteLength === filesize);
      if (twin) {
        this.#objects.set(path, { bytes: twin.bytes.slice(), sha, bizAttr: field(form, 'biz_attr') });
        this.stats.init += 1;
        this.stats.rapid += 1;
        return success(this.#urls(path));
      }
    }
    const sliceSize = this.#grantedSliceSize ?? askedSliceSize;
    const id = randomHex(48);
    this.#sessions.set(id, {
      id,
      path,
      filesize,
      sliceSize,
      sha,
      parts: sliceSize === askedSliceSize ? parts : undefined,
      slices: new Map(),
      insertOnly,
      bizAttr: field(form, 'biz_attr'),
      expiresAt: this.now() + this.#sessionTtlMs,
    });
    this.stats.init += 1;
    return success({ session: id, slice_size: sliceSize, offset: 0, ...(this.#serial ? { serial_upload: 1 } : {}) });
  }

  async #data(exchange: Exchange): Promise<Response> {
    const session = this.#session(exchange);
    const { form } = exchange;
    const offset = decimal(field(form, 'offset'), 'offset');
    if (offset % session.sliceSize !== 0 || offset >= Math.max(session.filesize, 1)) {
      throw new CosV4Refusal(-5999, `offset must be a multiple of ${session.sliceSize} below ${session.filesize}`);
    }
    const content = form.get('filecontent') ?? form.get('fileContent');
    if (!(content instanceof Blob)) throw new CosV4Refusal(-5999, 'filecontent must be a file part');
    const bytes = new Uint8Array(await content.arrayBuffer());
    const expectedLength = Math.min(session.sliceSize, session.filesize - offset);
    if (bytes.byteLength !== expectedLength) {
      throw new CosV4Refusal(-5999, `The slice at ${offset} must be ${expectedLength} bytes, not ${bytes.byteLength}`);
    }
    if (this.#serial) {
      let contiguous = 0;
      while (session.slices.has(contiguous)) contiguous += session.sliceSize;
      if (offset > contiguous) throw new CosV4Refusal(-5999, `serial_upload: the next slice is at ${contiguous}, not ${offset}`);
    }
    const sha = field(form, 'sha');
    if (sha !== undefined && sha !== session.sha) throw new CosV4Refusal(-4016, 'The sha sent with the slice is not the session\'s');
    if (session.parts) this.#verifySlice(session, offset, bytes);
    session.slices.set(offset, bytes);
    this.stats.data += 1;
    this.stats.partNumbersReceived.push(offset / session.sliceSize + 1);
    return success({ session: session.id, offset });
  }

  /** Resumes SHA-1 from the state claimed for the slice before, and compares with this slice's claim. */
  #verifySlice(session: Session, offset: number, bytes: Uint8Array): void {
    const parts = session.parts!;
    const index = offset / session.sliceSize;
    const before = index === 0 ? SHA1_INITIAL_STATE : stateFromHexLe(parts[index - 1]!.datasha);
    const claimed = parts[index]!.datasha;
    const isLast = index === parts.length - 1;
    const computed = before && (isLast ? sha1Finish(before, bytes, session.filesize) : stateToHexLe(sha1Continue(before, bytes)));
    if (computed !== claimed) throw new CosV4Refusal(-4016, `SHA check failed for the slice at ${offset}`);
  }

  async #finish(exchange: Exchange): Promise<Response> {
    const session = this.#session(exchange);
    const { form, path } = exchange;
    const filesize = decimal(field(form, 'filesize'), 'filesize');
    if (filesize !== session.filesize) throw new CosV4Refusal(-175, `filesize ${filesize} differs from ${session.filesize} declared at init`);
    const sha = field(form, 'sha');
    if (session.sha !== undefined && sha === undefined) throw new CosV4Refusal(-29094, 'init carried sha, so finish must too');
    if (session.sha === undefined && sha !== undefined) throw new CosV4Refusal(-5999, 'finish carried sha, but init did not');
    const whole = new Uint8Array(session.filesize);
    for (let offset = 0; offset < session.filesize; offset += session.sliceSize) {
      const slice = session.slices.get(offset);
      if (!slice) throw new CosV4Refusal(-5999, `The slice at ${offset} has not been uploaded`);
      whole.set(slice, offset);
    }
    if (sha !== undefined && (sha !== session.sha || (await sha1Hex(whole)) !== sha)) {
      throw new CosV4Refusal(-4016, 'SHA check failed for the whole file');
    }
    if (session.insertOnly && this.#objects.has(path)) {
      throw new CosV4Refusal(-177, 'The file already exists; send insertOnly=0 to overwrite it');
    }
    this.#objects.set(path, { bytes: whole, sha: sha ?? (await sha1Hex(whole)), bizAttr: session.bizAttr });
    this.#sessions.delete(session.id);
    this.stats.finish += 1;
    return success({ ...this.#urls(path), preview_url: `http://${this.bucket}-${this.appId}.preview.myqcloud.com/${cosV4PathInUrl(path)}?cmd=txt_preview` });
  }

  async #upload(exchange: Exchange): Promise<Response> {
    const { form, path } = exchange;
    const content = form.get('filecontent') ?? form.get('fileContent');
    if (!(content instanceof Blob)) throw new CosV4Refusal(-5999, 'filecontent must be a file part');
    const bytes = new Uint8Array(await content.arrayBuffer());
    const computed = await sha1Hex(bytes);
    const sha = field(form, 'sha');
    if (sha !== undefined && sha !== computed) throw new CosV4Refusal(-4016, 'SHA check failed');
    const existing = this.#objects.get(path);
    if (existing && field(form, 'insertOnly') !== '0' && existing.sha !== computed) {
      throw new CosV4Refusal(-177, 'The file already exists; send insertOnly=0 to overwrite it');
    }
    this.#objects.set(path, { bytes, sha: computed, bizAttr: field(form, 'biz_attr') });
    this.stats.upload += 1;
    return success(this.#urls(path));
  }
}
