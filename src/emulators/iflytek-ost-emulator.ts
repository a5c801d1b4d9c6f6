import { FaultKind, type FaultTarget } from './faults.js';
import {
  IFLYTEK_OST_SIGNED_HEADERS,
  iflytekOstBodyDigest,
  iflytekOstSignature,
  iflytekOstStringToSign,
  parseIflytekOstAuthorization,
  parseIflytekOstDate,
} from './iflytek-ost-signature.js';
import { concatBytes } from './checksums.js';
import { EmulatorBase, FaultStep, randomHex, Refusal, serveWithFaults, type EmulatorOptions } from './emulator.js';

/** The application the emulator accepts: its APPID and the APIKey / APISecret pair that signs for it. */
export interface IflytekOstCredentials {
  appId: string;
  apiKey: string;
  apiSecret: string;
}

/** Options of {@link IflytekOstEmulator}. */
export interface IflytekOstEmulatorOptions extends EmulatorOptions {
  /** Where the emulator is mounted, e.g. `/emulator/iflytek-ost`; calls go to `{basePath}/file/…`. */
  basePath: string;
  credentials: IflytekOstCredentials;
  /** Largest accepted distance between `date` and the emulator's clock; iFlytek's 300 s by default. */
  maxClockSkewMs?: number;
  /** Require `digest` to be `SHA-256=` + Base64(SHA-256(body)); off by default, as the service does not check it. */
  strictDigest?: boolean;
  /** Refuse a `request_id` seen before; off by default, as iFlytek's own demo reuses one. */
  rejectReusedRequestId?: boolean;
  /** An unfinished upload idle this long is gone (10005); the service's lifetime is unknown. Default 24 h. */
  sessionIdleMs?: number;
  /** Smallest slice but the last; "5M" read as 5 MiB by default. */
  minSliceSize?: number;
  /** Largest slice; 5 GiB by default. */
  maxSliceSize?: number;
  /** Highest `slice_id`; 10,000 by default. */
  maxSlices?: number;
  /** Largest file `/file/upload` accepts; 30,000,000 bytes by default. */
  singleUploadLimit?: number;
  /** HTTP status of answers with a non-zero `code`; unknown for the service, 200 by default (inferred). */
  failureStatus?: number;
}

/** The calls the emulator serves, as fault targets; slices are `UploadPart` so `failPart(n)` matches `slice_id` n. */
export const IflytekOstOperation = {
  FileUpload: 'FileUpload',
  Init: 'Init',
  UploadPart: 'UploadPart',
  Complete: 'Complete',
  Cancel: 'Cancel',
} as const;

/** One of {@link IflytekOstOperation}. */
export type IflytekOstOperation = (typeof IflytekOstOperation)[keyof typeof IflytekOstOperation];

/** A request as the signing proxy hands it on: unlike a browser `Request`, it can carry `host` and `date`. */
export interface IflytekOstRawRequest {
  url: string;
  method: string;
  headers: Record<string, string> | Headers;
  body?: ReadableStream<Uint8Array> | Uint8Array | string | null;
  signal?: AbortSignal;
}

/** One refused request, for tests. */
export interface IflytekOstRefusal {
  operation: string | undefined;
  status: number;
  /** The service code, or undefined for a gateway refusal. */
  code: number | undefined;
  message: string;
}

/** Counts of successful calls since the last reset. */
export interface IflytekOstEmulatorStats {
  single: number;
  init: number;
  upload: number;
  complete: number;
  cancel: number;
  /** `slice_id` of every stored slice, in arrival order (a re-sent slice appears again). */
  sliceIdsReceived: number[];
  /** The most slice uploads ever handled at once. */
  maxConcurrentSlices: number;
  refused: IflytekOstRefusal[];
}

/** An upload neither completed nor canceled, as tests see it. */
export interface IflytekOstPendingUpload {
  uploadId: string;
  sliceIds: number[];
}

/** The gateway's refusals, as iFlytek's WebAPIs answer them; their shape on this host is unknown. */
export const IFLYTEK_OST_GATEWAY_MESSAGES = {
  unauthorized: 'Unauthorized',
  cannotVerify: 'HMAC signature cannot be verified',
  mismatch: 'HMAC signature does not match',
  clockSkew: 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication',
  noRoute: 'no Route matched with those values',
} as const;

const MiB = 1024 * 1024;
const ROUTES: Record<string, IflytekOstOperation> = {
  '/file/upload': IflytekOstOperation.FileUpload,
  '/file/mpupload/init': IflytekOstOperation.Init,
  '/file/mpupload/upload': IflytekOstOperation.UploadPart,
  '/file/mpupload/complete': IflytekOstOperation.Complete,
  '/file/mpupload/cancel': IflytekOstOperation.Cancel,
};
const FORM_OPERATIONS: ReadonlySet<string> = new Set([IflytekOstOperation.FileUpload, IflytekOstOperation.UploadPart]);
const SERVICE_MESSAGES: Record<number, string> = {
  10001: 'invalid request parameter',
  10002: 'object storage (s3) operation failed',
  10003: 'database operation failed',
  10004: 'cache operation failed',
  10005: 'upload info expired or no such upload',
  10006: 'io operation failed',
  10007: 'task push failed',
};

/** A refusal thrown inside the emulator and turned into its response at the top. */
class OstRefusal extends Refusal {
  constructor(
    status: number,
    /** The service code; undefined for the gateway's `{message}` answers. */
    readonly serviceCode: number | undefined,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, serviceCode ?? 'gateway', message, headers);
  }

  /** The service's `{code, message, sid}`, or the gateway's `{message}`; `sid` is the service's id for this call. */
  toResponse(sid: string): Response {
    const body = this.serviceCode === undefined ? { message: this.message } : { code: this.serviceCode, message: this.message, sid };
    return new Response(JSON.stringify(body), { status: this.status, headers: { 'content-type': 'application/json; charset=utf-8', ...this.headers } });
  }
}

interface Session {
  slices: Map<number, Uint8Array>;
  lastActivity: number;
}

interface Fields {
  get(name: string): string | undefined;
  file(name: string): Uint8Array | undefined | 'not-a-file';
}


function randomDigits(count: number): string {
  return [...crypto.getRandomValues(new Uint8Array(count))].map((b) => String(b % 10)).join('');
}


function headerOf(headers: Record<string, string> | Headers, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

function invalid(detail: string): OstRefusal {
  return new OstRefusal(0, 10001, `${SERVICE_MESSAGES[10001]}: ${detail}`);
}

/** The gateway's reason phrases for an injected HTTP failure. */
const GATEWAY_FAILURES: Record<number, string> = { 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/**
 * iFlytek's own fault order. A drop is taken twice: before the body, for faults on the operation, and after it, for
 * those on the slice or upload the body names. The delay comes after the body: Node only notices a client that hung
 * up once its body has been read.
 */
const IFLYTEK_OST_FAULT_ORDER = [FaultStep.Drop, FaultStep.Authenticate, FaultStep.Delay, FaultStep.Drop, FaultStep.LoseSession, FaultStep.Fail];

/**
 * A strict, in-memory iFlytek OST upload service as a Fetch handler. It checks the HMAC-SHA256 signature, the date
 * window and (optionally) the body digest of every call, `app_id` and `request_id`, slice ids and sizes, contiguous
 * slices at complete, session expiry and closing, and answers `{code, message, sid}` with the documented codes.
 * Completed files are served at the returned URL. Runs unchanged in a page (under msw) and in Node.
 *
 * Faults: `failRequest(match, {status})` with `status` 10001–10007 answers that service code; any other status is
 * sent as the HTTP status with code 10002. `expireUrls` makes the next calls' dates count as stale. `delay` holds a
 * request after its body arrived, and a request whose client left meanwhile is dropped.
 */
export class IflytekOstEmulator extends EmulatorBase<IflytekOstEmulatorStats> {
  #credentials: IflytekOstCredentials;
  #maxClockSkewMs: number;
  #strictDigest: boolean;
  #rejectReusedRequestId: boolean;
  #sessionIdleMs: number;
  #minSliceSize: number;
  #maxSliceSize: number;
  #maxSlices: number;
  #singleUploadLimit: number;
  #failureStatus: number;
  #sessions = new Map<string, Session>();
  #files = new Map<string, Uint8Array<ArrayBuffer>>();
  #requestIds = new Set<string>();
  #slicesInFlight = 0;

  constructor(options: IflytekOstEmulatorOptions) {
    super(options, () => ({ single: 0, init: 0, upload: 0, complete: 0, cancel: 0, sliceIdsReceived: [], maxConcurrentSlices: 0, refused: [] }));
    this.#credentials = { ...options.credentials };
    this.#maxClockSkewMs = options.maxClockSkewMs ?? 300_000;
    this.#strictDigest = options.strictDigest ?? false;
    this.#rejectReusedRequestId = options.rejectReusedRequestId ?? false;
    this.#sessionIdleMs = options.sessionIdleMs ?? 24 * 60 * 60 * 1000;
    this.#minSliceSize = options.minSliceSize ?? 5 * MiB;
    this.#maxSliceSize = options.maxSliceSize ?? 5 * 1024 * MiB;
    this.#maxSlices = options.maxSlices ?? 10_000;
    this.#singleUploadLimit = options.singleUploadLimit ?? 30_000_000;
    this.#failureStatus = options.failureStatus ?? 200;
  }

  /** Serves a Fetch `Request`. A browser `Request` cannot carry `date`; in a page, use {@link handleRaw}. */
  protected serve(request: Request): Promise<Response> {
    return this.handleRaw({ url: request.url, method: request.method, headers: request.headers, body: request.body, signal: request.signal });
  }

  /** Serves a request given as plain parts, with every header the signer set. */
  async handleRaw(request: IflytekOstRawRequest): Promise<Response> {
    const url = new URL(request.url);
    const route = url.pathname.startsWith(`${this.basePath}/`) ? url.pathname.slice(this.basePath.length) : undefined;
    if (request.method === 'GET' && route?.startsWith('/files/')) return this.#download(route.slice('/files/'.length));
    const operation = route === undefined ? undefined : ROUTES[route];
    const slice = operation === IflytekOstOperation.UploadPart;
    if (slice) {
      this.#slicesInFlight += 1;
      this.stats.maxConcurrentSlices = Math.max(this.stats.maxConcurrentSlices, this.#slicesInFlight);
    }
    try {
      if (!operation || request.method !== 'POST') throw new OstRefusal(404, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.noRoute);
      return await this.#serve(request, url, operation);
    } catch (error) {
      if (!(error instanceof OstRefusal)) throw error;
      return this.#refusalResponse(error, operation);
    } finally {
      if (slice) this.#slicesInFlight -= 1;
    }
  }

  /** The bytes of a completed file, or `undefined`. */
  storedBytes(fileId: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#files.get(fileId)?.slice();
  }

  /** Ids of every completed file. */
  fileIds(): string[] {
    return [...this.#files.keys()];
  }

  /** The uploads neither completed, canceled nor expired. */
  pending(): IflytekOstPendingUpload[] {
    return [...this.#sessions].map(([uploadId, session]) => ({ uploadId, sliceIds: [...session.slices.keys()].sort((a, b) => a - b) }));
  }

  /** Drops an upload as if it had expired on the service; later calls on it answer 10005. */
  expireUpload(uploadId: string): boolean {
    return this.#sessions.delete(uploadId);
  }

  protected forget(): void {
    this.#sessions.clear();
    this.#files.clear();
    this.#requestIds.clear();
  }

  #download(fileId: string): Response {
    const bytes = this.#files.get(decodeURIComponent(fileId));
    if (!bytes) return this.#json(404, { message: 'file not found' });
    return new Response(bytes.slice(), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    });
  }

  async #serve(request: IflytekOstRawRequest, url: URL, operation: IflytekOstOperation): Promise<Response> {
    const target: FaultTarget = { operation };
    // `duplex` is required for a stream body but missing from this TypeScript's RequestInit.
    const init = { method: 'POST', body: bodyInit(request.body), duplex: 'half', ...(request.signal && { signal: request.signal }) } as RequestInit;
    const wire = new Request(url, init);
    let fields: Fields | undefined;
    return serveWithFaults({
      faults: this.faults,
      request: wire,
      target,
      order: IFLYTEK_OST_FAULT_ORDER,
      authenticate: async () => {
        const digest = await this.#authenticate(request, url, target);
        const declared = Number(headerOf(request.headers, 'content-length') ?? 0);
        // Refuse before reading: a body far over one slice is not worth buffering to learn it is too much.
        if (declared > this.#maxSliceSize + MiB) throw invalid('request body too large');
        const body = new Uint8Array(await wire.arrayBuffer());
        if (this.#strictDigest && digest !== (await iflytekOstBodyDigest(body))) {
          throw new OstRefusal(401, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.mismatch);
        }
        fields = await this.#fields(request, body, FORM_OPERATIONS.has(operation));
        const uploadId = fields.get('upload_id');
        const sliceId = Number(fields.get('slice_id'));
        if (operation === IflytekOstOperation.UploadPart && Number.isInteger(sliceId)) target.partNumber = sliceId;
        if (uploadId !== undefined) target.key = uploadId;
        // An expire fault stands for the gateway's date check, taken once the body says which slice this is.
        if (this.faults.take(FaultKind.Expire, target)) throw new OstRefusal(403, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.clockSkew);
      },
      forgetSession: () => {
        const uploadId = fields?.get('upload_id');
        if (uploadId !== undefined) this.#sessions.delete(uploadId);
      },
      fail: (status, retryAfter, asked) => {
        const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': retryAfter };
        if (asked !== undefined) throw new OstRefusal(0, Number(asked), SERVICE_MESSAGES[Number(asked)] ?? `service code ${asked}`, headers);
        if (SERVICE_MESSAGES[status]) throw new OstRefusal(0, status, SERVICE_MESSAGES[status], headers);
        // An HTTP status stands for the gateway in front of the service failing: its `{message}`, no service code.
        throw new OstRefusal(status, undefined, GATEWAY_FAILURES[status] ?? 'Internal Server Error', headers);
      },
      // The authenticate step read the fields before the pipeline serves.
      serve: async () => this.#answer(operation, fields as Fields, url.origin),
    });
  }

  #answer(operation: IflytekOstOperation, fields: Fields, origin: string): Response | Promise<Response> {
    if (fields.get('app_id') !== this.#credentials.appId) throw invalid('app_id does not match the signing key\'s application');
    const requestId = fields.get('request_id');
    if (!requestId) throw invalid('request_id must not be empty');
    if (this.#rejectReusedRequestId && this.#requestIds.has(requestId)) throw invalid('request_id was used before');
    this.#requestIds.add(requestId);

    switch (operation) {
      case IflytekOstOperation.FileUpload:
        return this.#single(fields, origin);
      case IflytekOstOperation.Init:
        return this.#init();
      case IflytekOstOperation.UploadPart:
        return this.#slice(fields);
      case IflytekOstOperation.Complete:
        return this.#complete(fields, origin);
      case IflytekOstOperation.Cancel:
        return this.#cancel(fields);
    }
  }

  /** Checks the signature headers; returns the `digest` header for the body check. */
  async #authenticate(request: IflytekOstRawRequest, url: URL, target: FaultTarget): Promise<string> {
    const authorization = headerOf(request.headers, 'authorization');
    if (!authorization) throw new OstRefusal(401, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.unauthorized);
    // HTTP/1.1 always sends Host; a Fetch Request hides it, and then the URL's host is what was sent.
    const host = headerOf(request.headers, 'host') ?? url.host;
    const date = headerOf(request.headers, 'date');
    const digest = headerOf(request.headers, 'digest');
    const parsed = parseIflytekOstAuthorization(authorization);
    if (
      date === undefined ||
      digest === undefined ||
      !parsed ||
      parsed.algorithm !== 'hmac-sha256' ||
      parsed.headers !== IFLYTEK_OST_SIGNED_HEADERS ||
      parsed.apiKey !== this.#credentials.apiKey
    ) {
      throw new OstRefusal(401, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.cannotVerify);
    }
    const sent = parseIflytekOstDate(date);
    if (sent === undefined || Math.abs(this.now() - sent) > this.#maxClockSkewMs) {
      throw new OstRefusal(403, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.clockSkew);
    }
    const expected = await iflytekOstSignature(
      this.#credentials.apiSecret,
      iflytekOstStringToSign(host, date, request.method.toUpperCase(), `${url.pathname}${url.search}`, digest),
    );
    if (expected !== parsed.signature) throw new OstRefusal(401, undefined, IFLYTEK_OST_GATEWAY_MESSAGES.mismatch);
    return digest;
  }

  async #fields(request: IflytekOstRawRequest, body: Uint8Array<ArrayBuffer>, form: boolean): Promise<Fields> {
    const contentType = headerOf(request.headers, 'content-type') ?? '';
    if (form) {
      if (!/^multipart\/form-data\s*;/i.test(contentType)) throw invalid('content-type must be multipart/form-data');
      let data: FormData;
      try {
        data = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      } catch {
        throw invalid('malformed multipart body');
      }
      const files = new Map<string, Uint8Array | 'not-a-file'>();
      for (const [name, value] of data) {
        if (name === 'data') files.set(name, typeof value === 'string' ? 'not-a-file' : new Uint8Array(await value.arrayBuffer()));
      }
      return {
        get: (name) => {
          const value = data.get(name);
          return typeof value === 'string' ? value : undefined;
        },
        file: (name) => files.get(name),
      };
    }
    if (!/^application\/json\b/i.test(contentType)) throw invalid('content-type must be application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw invalid('body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('body is not a JSON object');
    const record = parsed as Record<string, unknown>;
    return {
      get: (name) => (typeof record[name] === 'string' ? (record[name] as string) : undefined),
      file: () => undefined,
    };
  }

  #session(uploadId: string | undefined): Session {
    if (!uploadId) throw invalid('upload_id must not be empty');
    const session = this.#sessions.get(uploadId);
    if (!session || this.now() - session.lastActivity > this.#sessionIdleMs) {
      if (session) this.expireUpload(uploadId);
      throw new OstRefusal(0, 10005, SERVICE_MESSAGES[10005]!);
    }
    session.lastActivity = this.now();
    return session;
  }

  #data(fields: Fields): Uint8Array {
    const data = fields.file('data');
    if (data === undefined) throw invalid('data must not be empty');
    if (data === 'not-a-file') throw invalid('data must be a file');
    return data;
  }

  #store(bytes: Uint8Array<ArrayBuffer>, origin: string): string {
    const fileId = `${randomHex(16)}`;
    this.#files.set(fileId, bytes);
    return `${origin}${this.basePath}/files/${fileId}`;
  }

  #single(fields: Fields, origin: string): Response {
    const data = this.#data(fields);
    if (data.byteLength > this.#singleUploadLimit) {
      throw invalid(`file larger than ${this.#singleUploadLimit} bytes; use multipart upload`);
    }
    this.stats.single += 1;
    return this.#success({ url: this.#store(data.slice(), origin) });
  }

  #init(): Response {
    const uploadId = `up_${randomDigits(24)}`;
    this.#sessions.set(uploadId, { slices: new Map(), lastActivity: this.now() });
    this.stats.init += 1;
    return this.#success({ upload_id: uploadId });
  }

  #slice(fields: Fields): Response {
    const session = this.#session(fields.get('upload_id'));
    const raw = fields.get('slice_id');
    if (!raw) throw invalid('sliceId must not be empty');
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > this.#maxSlices) {
      throw invalid(`slice_id must be an integer from 1 to ${this.#maxSlices}`);
    }
    const data = this.#data(fields);
    if (data.byteLength > this.#maxSliceSize) throw invalid(`slice larger than ${this.#maxSliceSize} bytes`);
    const sliceId = Number(raw);
    session.slices.set(sliceId, data);
    this.stats.upload += 1;
    this.stats.sliceIdsReceived.push(sliceId);
    return this.#success();
  }

  #complete(fields: Fields, origin: string): Response {
    const uploadId = fields.get('upload_id');
    const session = this.#session(uploadId);
    const ids = [...session.slices.keys()].sort((a, b) => a - b);
    if (ids.length === 0) throw invalid('no slice was uploaded');
    const missing = ids.findIndex((id, index) => id !== index + 1);
    if (missing !== -1) throw invalid(`slice ${missing + 1} is missing`);
    const small = ids.slice(0, -1).find((id) => session.slices.get(id)!.byteLength < this.#minSliceSize);
    if (small !== undefined) throw invalid(`slice ${small} is smaller than ${this.#minSliceSize} bytes and not the last`);
    const bytes = concatBytes(ids.map((id) => session.slices.get(id)!));
    this.#sessions.delete(uploadId!);
    this.stats.complete += 1;
    return this.#success({ url: this.#store(bytes, origin) });
  }

  #cancel(fields: Fields): Response {
    const uploadId = fields.get('upload_id');
    this.#session(uploadId);
    this.#sessions.delete(uploadId!);
    this.stats.cancel += 1;
    return this.#success();
  }

  #sid(): string {
    return `ost0001${randomHex(2)}@dx${randomHex(9)}`;
  }

  #success(data?: Record<string, string>): Response {
    return this.#json(200, { code: 0, sid: this.#sid(), ...(data && { data }), message: 'success' });
  }

  #refusalResponse(refusal: OstRefusal, operation: string | undefined): Response {
    const status = refusal.serviceCode === undefined ? refusal.status : refusal.status || this.#failureStatus;
    this.stats.refused.push({ operation, status, code: refusal.serviceCode, message: refusal.message });
    return new OstRefusal(status, refusal.serviceCode, refusal.message, refusal.headers).toResponse(this.#sid());
  }

  #json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
  }
}

function bodyInit(body: IflytekOstRawRequest['body']): BodyInit | null {
  if (body === undefined || body === null) return null;
  return body as BodyInit;
}
