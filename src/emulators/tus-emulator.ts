import { md5, sha1, sha256 } from 'hash-wasm';
import { base64ToBytes, bytesToBase64, hexToBytes } from './checksums.js';
import { FaultKind, waitFor, type FaultTarget } from './faults.js';
import { corsHeaders, EmulatorBase, FaultStep, randomHex, Refusal, serveWithFaults, type EmulatorOptions } from './emulator.js';

/** tus checks a request before it holds or drops it; a PATCH's drop is its own, mid-body (see #patch). */
const TUS_FAULT_ORDER = [FaultStep.Delay, FaultStep.Authenticate, FaultStep.LoseSession, FaultStep.Fail, FaultStep.Drop];
const TUS_PATCH_FAULT_ORDER = [FaultStep.Delay, FaultStep.Authenticate, FaultStep.LoseSession, FaultStep.Fail];

/** The protocol version the emulator speaks and requires in `Tus-Resumable`. */
const TUS_VERSION = '1.0.0';

/** The operations the emulator serves; fault matches name them (`{ operation: 'Patch' }`). */
export const TusOperation = {
  Options: 'Options',
  Create: 'Create',
  /** A POST with `Upload-Concat: final;…`. */
  Concatenate: 'Concatenate',
  Head: 'Head',
  Patch: 'Patch',
  Terminate: 'Terminate',
} as const;

/** One of {@link TusOperation}. */
export type TusOperation = (typeof TusOperation)[keyof typeof TusOperation];

/** The tus 1.0 extensions the emulator can offer. */
export type TusExtension = 'creation' | 'termination' | 'checksum' | 'concatenation' | 'expiration';

/** The checksum algorithms the emulator can verify, by their tus names. */
export type TusChecksumAlgorithm = 'sha1' | 'md5' | 'sha256';

/** Options of {@link TusEmulator}. */
export interface TusEmulatorOptions extends EmulatorOptions {
  /** The creation URL's path, e.g. `/emulator/tus`; uploads live at `{basePath}/{id}`. */
  basePath: string;
  /** Extensions offered in `Tus-Extension`; defaults to creation, termination, checksum and concatenation. */
  extensions?: readonly TusExtension[];
  /** `Tus-Checksum-Algorithm`; defaults to sha1, md5, sha256. */
  checksumAlgorithms?: readonly TusChecksumAlgorithm[];
  /** `Tus-Max-Size`: longer uploads are refused with 413. */
  maxSize?: number;
  /** Requires `Authorization: Bearer <token>` from {@link TusEmulator.issueToken} on every request but OPTIONS. */
  requireToken?: boolean;
  /** With the expiration extension offered: how long an unfinished upload lives, sent as `Upload-Expires`. */
  uploadLifetimeMs?: number;
}

/** Counts of what the emulator served successfully since the last reset. */
export interface TusEmulatorStats {
  options: number;
  create: number;
  partialCreate: number;
  concatenate: number;
  head: number;
  patch: number;
  terminate: number;
  /** Bytes appended to uploads by PATCH, including bytes kept from a connection that broke. */
  bytesReceived: number;
  /** Every PATCH that appended bytes, in arrival order. */
  patches: Array<{ id: string; offset: number; length: number; checksum?: string }>;
  /** The most PATCH requests served at the same time. */
  maxConcurrentPatches: number;
}

/** An upload as tests see it. */
export interface TusStoredUpload {
  id: string;
  length: number;
  offset: number;
  metadata: Record<string, string>;
  concat?: 'partial' | 'final';
  /** For a final upload: the ids of its partial uploads, in order. */
  parts?: string[];
}

interface Upload {
  length: number;
  offset: number;
  bytes: Uint8Array<ArrayBuffer>;
  metadata: Record<string, string>;
  metadataHeader?: string;
  concat?: 'partial' | 'final';
  parts?: string[];
  expiresAt?: number;
}

const ALL_EXTENSIONS: readonly TusExtension[] = ['creation', 'termination', 'checksum', 'concatenation'];
const ALL_CHECKSUMS: readonly TusChecksumAlgorithm[] = ['sha1', 'md5', 'sha256'];

const EXPOSED_HEADERS = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Concat',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'Retry-After',
];

/** A tus error: the status, and the reason as plain text (tus defines no error body). */
class TusRefusal extends Refusal {
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(status, String(status), message, headers);
  }

  toResponse(_requestId: string, method: string): Response {
    const body = method === 'HEAD' ? null : `${this.message}\n`;
    return new Response(body, { status: this.status, headers: { 'content-type': 'text/plain; charset=utf-8', ...this.headers } });
  }
}


function isCount(text: string | null): text is string {
  return text !== null && /^\d{1,16}$/.test(text) && Number.isSafeInteger(Number(text));
}

/** Parses `Upload-Metadata` as the creation extension defines it, or says what is wrong. */
function parseMetadata(header: string): Record<string, string> | string {
  const pairs: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key, value, ...rest] = pair.trim().split(' ');
    if (!key || rest.length > 0) return 'each pair must be a key, a space and a Base64 value';
    if (Object.hasOwn(pairs, key)) return `the key ${key} appears twice`;
    if (value === undefined || value === '') {
      pairs[key] = '';
      continue;
    }
    const bytes = base64ToBytes(value);
    if (!bytes) return `the value of ${key} is not Base64`;
    pairs[key] = new TextDecoder().decode(bytes);
  }
  return pairs;
}

async function checksumOf(algorithm: TusChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  const hex = await { sha1: () => sha1(bytes), md5: () => md5(bytes), sha256: () => sha256(bytes) }[algorithm]();
  return bytesToBase64(hexToBytes(hex));
}

function concatBytes(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk.subarray(0, total - at), at);
    at += Math.min(chunk.byteLength, total - at);
  }
  return out;
}

/**
 * A strict tus 1.0 server as a Fetch handler (core, creation, termination, checksum, concatenation, expiration):
 * it requires `Tus-Resumable`, checks `Upload-Length`, `Upload-Metadata`, `Upload-Offset` (409 on a mismatch), the
 * PATCH content type (415), checksums (460) and final concatenations, and keeps the bytes of a PATCH whose
 * connection broke, as real servers do, so clients must resume from the server's offset. Runs in a page (msw) and
 * in Node.
 *
 * Fault targets: `operation` (a {@link TusOperation}), `key` (the upload id), and `partNumber` (for PATCH: 1 + the
 * PATCHes that upload already took). `basePath` is the creation path.
 */
export class TusEmulator extends EmulatorBase<TusEmulatorStats> {
  #extensions: ReadonlySet<TusExtension>;
  #checksums: readonly TusChecksumAlgorithm[];
  #maxSize: number | undefined;
  #requireToken: boolean;
  #lifetimeMs: number | undefined;
  #uploads = new Map<string, Upload>();
  /** Terminated or expired uploads, answered with 410 Gone. */
  #gone = new Set<string>();
  #tokens = new Map<string, number>();
  #locked = new Set<string>();
  #patchesTaken = new Map<string, number>();
  #activePatches = 0;

  constructor(options: TusEmulatorOptions) {
    super(options, () => ({
      options: 0,
      create: 0,
      partialCreate: 0,
      concatenate: 0,
      head: 0,
      patch: 0,
      terminate: 0,
      bytesReceived: 0,
      patches: [],
      maxConcurrentPatches: 0,
    }));
    const extensions = new Set(options.extensions ?? ALL_EXTENSIONS);
    if (options.uploadLifetimeMs !== undefined) extensions.add('expiration');
    this.#extensions = extensions;
    this.#checksums = options.checksumAlgorithms ?? ALL_CHECKSUMS;
    this.#maxSize = options.maxSize;
    this.#requireToken = options.requireToken ?? false;
    this.#lifetimeMs = options.uploadLifetimeMs;
  }

  protected override answerHeaders(request: Request): Record<string, string> {
    const rule = corsHeaders(request, { methods: 'POST, HEAD, PATCH, DELETE, OPTIONS', exposed: EXPOSED_HEADERS });
    return request.method === 'OPTIONS' ? rule : { ...rule, 'Tus-Resumable': TUS_VERSION };
  }

  /** A bearer token the emulator accepts until `ttlMs` from now. */
  issueToken(ttlMs = 60_000): string {
    const token = `tus-${randomHex(16)}`;
    this.#tokens.set(token, this.now() + ttlMs);
    return token;
  }

  /** A copy of the bytes an upload holds so far, or `undefined`. */
  storedBytes(id: string): Uint8Array<ArrayBuffer> | undefined {
    const upload = this.#uploads.get(id);
    return upload ? upload.bytes.slice(0, upload.offset) : undefined;
  }

  /** Every upload the emulator holds, finished or not. */
  pending(): TusStoredUpload[] {
    return [...this.#uploads].map(([id, upload]) => ({
      id,
      length: upload.length,
      offset: upload.offset,
      metadata: { ...upload.metadata },
      ...(upload.concat ? { concat: upload.concat } : {}),
      ...(upload.parts ? { parts: [...upload.parts] } : {}),
    }));
  }

  protected forget(): void {
    this.#uploads.clear();
    this.#gone.clear();
    this.#tokens.clear();
    this.#locked.clear();
    this.#patchesTaken.clear();
  }

  protected async serve(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== this.basePath && !url.pathname.startsWith(`${this.basePath}/`)) {
      throw new TusRefusal(404, 'Not found');
    }
    const rest = url.pathname.slice(this.basePath.length).replace(/^\/+/, '');
    if (rest.includes('/')) throw new TusRefusal(404, 'Not found');
    const id = rest === '' ? undefined : decodeURIComponent(rest);
    const operation = this.#operationOf(request, id);
    const target: FaultTarget = { operation, ...(id === undefined ? {} : { key: id }) };
    if (operation !== TusOperation.Patch) return this.#serveOperation(request, url, operation, id, target);
    target.partNumber = (this.#patchesTaken.get(id!) ?? 0) + 1;
    this.#activePatches += 1;
    this.stats.maxConcurrentPatches = Math.max(this.stats.maxConcurrentPatches, this.#activePatches);
    try {
      return await this.#serveOperation(request, url, operation, id, target);
    } finally {
      this.#activePatches -= 1;
    }
  }

  async #serveOperation(request: Request, url: URL, operation: TusOperation, id: string | undefined, target: FaultTarget): Promise<Response> {
    if (operation === TusOperation.Options) {
      const delay = this.faults.take(FaultKind.Delay, target);
      if (delay) await waitFor(delay.ms ?? 0, request.signal);
      return this.#options(target);
    }
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      // tus drops after the checks, and a PATCH drops inside #patch, mid-body, keeping what arrived, as servers do.
      order: operation === TusOperation.Patch ? TUS_PATCH_FAULT_ORDER : TUS_FAULT_ORDER,
      authenticate: () => {
        const version = request.headers.get('Tus-Resumable');
        if (version !== TUS_VERSION) {
          throw new TusRefusal(412, version === null ? 'Tus-Resumable Required' : `Tus-Resumable ${version} is not supported`, {
            'Tus-Version': TUS_VERSION,
          });
        }
        this.#authenticate(request, target);
      },
      ...(id !== undefined && { forgetSession: () => this.#uploads.delete(id) }),
      fail: (status, retryAfter) => {
        throw new TusRefusal(status, 'Fault injected', retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
      },
      serve: async () => {
        switch (operation) {
          case TusOperation.Create:
          case TusOperation.Concatenate:
            return this.#create(request, url, operation);
          case TusOperation.Head:
            return this.#head(id!);
          case TusOperation.Patch:
            return this.#patch(request, id!, target);
          case TusOperation.Terminate:
            return this.#terminate(id!);
        }
      },
    });
  }

  #operationOf(request: Request, id: string | undefined): TusOperation {
    const method = request.method.toUpperCase();
    if (method === 'OPTIONS') return TusOperation.Options;
    if (id === undefined) {
      if (method !== 'POST') throw new TusRefusal(405, `${method} is not allowed on the creation URL`);
      return request.headers.get('Upload-Concat')?.trim().startsWith('final') ? TusOperation.Concatenate : TusOperation.Create;
    }
    if (method === 'HEAD') return TusOperation.Head;
    if (method === 'PATCH') return TusOperation.Patch;
    if (method === 'DELETE') {
      if (!this.#extensions.has('termination')) throw new TusRefusal(405, 'The termination extension is not offered');
      return TusOperation.Terminate;
    }
    throw new TusRefusal(405, `${method} is not allowed on an upload URL`);
  }

  #options(target: FaultTarget): Response {
    const failure = this.faults.take(FaultKind.Fail, target);
    if (failure) throw new TusRefusal(failure.status ?? 500, 'Fault injected');
    this.stats.options += 1;
    const headers: Record<string, string> = { 'Tus-Version': TUS_VERSION, 'Access-Control-Max-Age': '600' };
    if (this.#extensions.size > 0) headers['Tus-Extension'] = [...this.#extensions].join(',');
    if (this.#extensions.has('checksum')) headers['Tus-Checksum-Algorithm'] = this.#checksums.join(',');
    if (this.#maxSize !== undefined) headers['Tus-Max-Size'] = String(this.#maxSize);
    return new Response(null, { status: 204, headers });
  }

  #authenticate(request: Request, target: FaultTarget): void {
    if (!this.#requireToken) {
      // Without tokens, an expiry fault expires the upload itself, as the expiration extension would.
      if (target.key !== undefined && this.#uploads.has(target.key) && this.faults.take(FaultKind.Expire, target)) {
        this.#uploads.delete(target.key);
        this.#gone.add(target.key);
      }
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('Authorization') ?? '');
    if (!match) throw new TusRefusal(401, 'Authorization required', { 'WWW-Authenticate': 'Bearer' });
    const expiresAt = this.#tokens.get(match[1]);
    if (expiresAt === undefined) throw new TusRefusal(401, 'Invalid token', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    if (this.now() >= expiresAt || this.faults.take(FaultKind.Expire, target)) {
      throw new TusRefusal(401, 'Token expired', { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="expired"' });
    }
  }

  /** The upload behind an id, expiring it first when its time is up; 404 when unknown, 410 when gone. */
  #find(id: string): Upload {
    const upload = this.#uploads.get(id);
    if (upload?.expiresAt !== undefined && upload.offset < upload.length && this.now() >= upload.expiresAt) {
      this.#uploads.delete(id);
      this.#gone.add(id);
    }
    if (this.#gone.has(id)) throw new TusRefusal(410, 'The upload expired or was terminated');
    const found = this.#uploads.get(id);
    if (!found) throw new TusRefusal(404, 'The upload does not exist');
    return found;
  }

  #expiresHeader(upload: Upload): Record<string, string> {
    return upload.expiresAt === undefined || upload.offset >= upload.length ? {} : { 'Upload-Expires': new Date(upload.expiresAt).toUTCString() };
  }

  #idOfUrl(text: string, base: URL): string {
    let url: URL;
    try {
      url = new URL(text, base);
    } catch {
      throw new TusRefusal(400, `Upload-Concat names an invalid URL: ${text.slice(0, 100)}`);
    }
    const prefix = `${this.basePath}/`;
    if (!url.pathname.startsWith(prefix) || url.pathname.slice(prefix.length).includes('/')) {
      throw new TusRefusal(400, `Upload-Concat names a URL that is not an upload of this server: ${url.pathname}`);
    }
    return decodeURIComponent(url.pathname.slice(prefix.length));
  }

  async #create(request: Request, url: URL, operation: TusOperation): Promise<Response> {
    if (!this.#extensions.has('creation')) throw new TusRefusal(405, 'The creation extension is not offered');
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > 0) throw new TusRefusal(400, 'The creation-with-upload extension is not offered: a creation request has no body');
    if (request.headers.has('Upload-Defer-Length')) throw new TusRefusal(400, 'The creation-defer-length extension is not offered');
    const concatHeader = request.headers.get('Upload-Concat')?.trim();
    if (concatHeader !== undefined && !this.#extensions.has('concatenation')) {
      throw new TusRefusal(400, 'Upload-Concat was sent, but the concatenation extension is not offered');
    }
    const metadataHeader = request.headers.get('Upload-Metadata') ?? undefined;
    const metadata = metadataHeader === undefined ? {} : parseMetadata(metadataHeader);
    if (typeof metadata === 'string') throw new TusRefusal(400, `Upload-Metadata is invalid: ${metadata}`);
    const lengthHeader = request.headers.get('Upload-Length');

    let upload: Upload;
    if (operation === TusOperation.Concatenate) {
      if (lengthHeader !== null) throw new TusRefusal(400, 'A final upload must not carry Upload-Length');
      const list = concatHeader!.slice('final;'.length).trim();
      if (!concatHeader!.startsWith('final;') || list === '') throw new TusRefusal(400, 'Upload-Concat final must list the partial uploads');
      const parts = list.split(/ +/).map((text) => this.#idOfUrl(text, url));
      const partials = parts.map((id) => {
        const partial = this.#find(id);
        if (partial.concat !== 'partial') throw new TusRefusal(400, `The upload ${id} is not a partial upload`);
        if (partial.offset !== partial.length) throw new TusRefusal(400, `The partial upload ${id} is not finished`);
        return partial;
      });
      const length = partials.reduce((sum, partial) => sum + partial.length, 0);
      if (this.#maxSize !== undefined && length > this.#maxSize) throw new TusRefusal(413, 'Maximum size exceeded');
      upload = {
        length,
        offset: length,
        bytes: concatBytes(partials.map((partial) => partial.bytes), length),
        metadata,
        metadataHeader,
        concat: 'final',
        parts,
      };
      this.stats.concatenate += 1;
    } else {
      if (!isCount(lengthHeader)) throw new TusRefusal(400, 'Upload-Length must be a non-negative integer');
      const length = Number(lengthHeader);
      if (this.#maxSize !== undefined && length > this.#maxSize) throw new TusRefusal(413, 'Maximum size exceeded');
      if (concatHeader !== undefined && concatHeader !== 'partial') throw new TusRefusal(400, 'Upload-Concat must be "partial" or "final;<urls>"');
      upload = {
        length,
        offset: 0,
        bytes: new Uint8Array(length),
        metadata,
        metadataHeader,
        ...(concatHeader === 'partial' ? { concat: 'partial' as const } : {}),
        ...(this.#lifetimeMs === undefined ? {} : { expiresAt: this.now() + this.#lifetimeMs }),
      };
      if (concatHeader === 'partial') this.stats.partialCreate += 1;
      else this.stats.create += 1;
    }
    const id = randomHex(16);
    this.#uploads.set(id, upload);
    const origin = this.urlOrigin(url);
    return new Response(null, {
      status: 201,
      headers: { Location: `${origin}${this.basePath}/${id}`, ...this.#expiresHeader(upload) },
    });
  }

  #head(id: string): Response {
    const upload = this.#find(id);
    this.stats.head += 1;
    const headers: Record<string, string> = {
      'Upload-Offset': String(upload.offset),
      'Upload-Length': String(upload.length),
      'Cache-Control': 'no-store',
      ...this.#expiresHeader(upload),
    };
    if (upload.metadataHeader !== undefined) headers['Upload-Metadata'] = upload.metadataHeader;
    if (upload.concat === 'partial') headers['Upload-Concat'] = 'partial';
    if (upload.concat === 'final') headers['Upload-Concat'] = `final;${upload.parts!.map((part) => `${this.basePath}/${part}`).join(' ')}`;
    return new Response(null, { status: 200, headers });
  }

  async #patch(request: Request, id: string, target: FaultTarget): Promise<Response> {
    const upload = this.#find(id);
    if (upload.concat === 'final') throw new TusRefusal(403, 'A final upload cannot be patched');
    const contentType = request.headers.get('Content-Type');
    if (contentType !== 'application/offset+octet-stream') throw new TusRefusal(415, 'Content-Type must be application/offset+octet-stream');
    const offsetHeader = request.headers.get('Upload-Offset');
    if (!isCount(offsetHeader)) throw new TusRefusal(400, 'Upload-Offset must be a non-negative integer');
    const checksum = this.#parseChecksum(request.headers.get('Upload-Checksum'));
    if (this.#locked.has(id)) throw new TusRefusal(423, 'The upload is locked by another request');
    const offset = Number(offsetHeader);
    if (offset !== upload.offset) throw new TusRefusal(409, `Upload-Offset conflict: the upload is at ${upload.offset}`);
    const declared = request.headers.get('Content-Length');
    if (isCount(declared) && offset + Number(declared) > upload.length) throw new TusRefusal(413, "The chunk would exceed the upload's length");

    this.#locked.add(id);
    try {
      const drop = this.faults.take(FaultKind.Drop, target);
      const { bytes, broken } = await this.#readBody(request, upload.length - offset, drop?.afterBytes);
      this.#patchesTaken.set(id, (this.#patchesTaken.get(id) ?? 0) + 1);
      if (checksum && !broken) {
        const actual = await checksumOf(checksum.algorithm, bytes);
        if (actual !== checksum.value) throw new TusRefusal(460, 'Checksum mismatch');
      }
      // Bytes that came without a checksum are kept even when the connection broke; bytes that had one cannot be verified.
      if (!checksum || !broken) this.#append(id, upload, offset, bytes, checksum?.algorithm);
      if (broken) return drop ? Response.error() : new Response('The client went away', { status: 400 });
      return new Response(null, { status: 204, headers: { 'Upload-Offset': String(upload.offset), ...this.#expiresHeader(upload) } });
    } finally {
      this.#locked.delete(id);
    }
  }

  #parseChecksum(header: string | null): { algorithm: TusChecksumAlgorithm; value: string } | undefined {
    if (header === null) return undefined;
    if (!this.#extensions.has('checksum')) throw new TusRefusal(400, 'Upload-Checksum was sent, but the checksum extension is not offered');
    const [algorithm, value, ...rest] = header.trim().split(' ');
    if (!this.#checksums.includes(algorithm as TusChecksumAlgorithm)) throw new TusRefusal(400, `Checksum algorithm ${algorithm} is not supported`);
    if (!value || rest.length > 0 || !base64ToBytes(value)) throw new TusRefusal(400, 'Upload-Checksum must be "<algorithm> <Base64 digest>"');
    return { algorithm: algorithm as TusChecksumAlgorithm, value };
  }

  /**
   * Reads a PATCH body. With `dropAfter`, exactly that many bytes are kept and the connection then counts as broken;
   * a client that goes away mid-body also leaves what arrived so far.
   */
  async #readBody(request: Request, room: number, dropAfter: number | undefined): Promise<{ bytes: Uint8Array; broken: boolean }> {
    const chunks: Uint8Array[] = [];
    let received = 0;
    let broken = false;
    const reader = request.body?.getReader();
    try {
      while (reader) {
        if (dropAfter !== undefined && received >= dropAfter) {
          broken = true;
          break;
        }
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.byteLength;
        if (received > room) throw new TusRefusal(413, "The chunk would exceed the upload's length");
      }
    } catch (error) {
      if (error instanceof TusRefusal) throw error;
      broken = true;
    } finally {
      // Cancelling a body the client already broke off rejects; what arrived is all that matters.
      await reader?.cancel().catch(() => undefined);
    }
    const kept = dropAfter === undefined ? received : Math.min(received, dropAfter);
    return { bytes: concatBytes(chunks, kept), broken };
  }

  #append(id: string, upload: Upload, offset: number, bytes: Uint8Array, checksum: TusChecksumAlgorithm | undefined): void {
    if (bytes.byteLength === 0) return;
    upload.bytes.set(bytes, offset);
    upload.offset = offset + bytes.byteLength;
    this.stats.patch += 1;
    this.stats.bytesReceived += bytes.byteLength;
    this.stats.patches.push({ id, offset, length: bytes.byteLength, ...(checksum ? { checksum } : {}) });
  }

  #terminate(id: string): Response {
    this.#find(id);
    this.#uploads.delete(id);
    this.#gone.add(id);
    this.stats.terminate += 1;
    return new Response(null, { status: 204 });
  }
}
