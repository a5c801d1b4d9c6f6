import { UploadError, UploadErrorCode, redactUrl } from '../core/errors.js';
import { mergeHeaders } from '../core/http.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { partSize, planParts } from '../core/part-plan.js';
import type { AdapterContext, FileDescription, Part, PartLimits, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec } from '../hashing/digest-spec.js';
import { fallbackError, PLAIN_WORDING } from './error-mapping.js';

const MiB = 1024 * 1024;

/** The protocol version this adapter speaks, sent as `Tus-Resumable` on every request but OPTIONS. */
export const TUS_VERSION = '1.0.0';

/** tus sets no part limits of its own; these keep plans sane and the concatenation header short. */
export const TUS_LIMITS: PartLimits = {
  minPartSize: 64 * 1024,
  maxPartSize: Number.MAX_SAFE_INTEGER,
  maxParts: 10_000,
  maxFileSize: Number.MAX_SAFE_INTEGER,
  defaultPartSize: 8 * MiB,
  allowsEmptyFile: true,
};

/** How many partial uploads one file may become in concatenation mode unless `maxConcatParts` says otherwise. */
export const DEFAULT_MAX_CONCAT_PARTS = 32;

/** Checksum algorithms of the tus checksum extension this adapter can compute, by their tus names. */
export type TusChecksum = 'sha1' | 'md5' | 'sha256' | 'none';

/** What the server said it supports, from `OPTIONS`; `discovered` is false when it would not say. */
export interface TusCapabilities {
  discovered: boolean;
  versions: string[];
  extensions: string[];
  checksumAlgorithms: string[];
  maxSize?: number;
}

/** Options of {@link createTusAdapter}: one flat object, as `adapterOptions` on the element. */
export interface TusAdapterOptions {
  /** The creation URL of the tus server, e.g. `https://files.example/files/`. Relative URLs resolve against the page. */
  endpoint?: string;
  /** Headers sent with every request (for example a fixed `Authorization`). */
  headers?: Record<string, string>;
  /** Returns a bearer token for `Authorization`; called again after the server calls the token expired. */
  getToken?: () => Promise<string> | string;
  /** Per-chunk `Upload-Checksum`, used only where the server lists the algorithm; default `sha1`; `none` hashes nothing. */
  checksum?: TusChecksum;
  /** `never` keeps one upload sent chunk by chunk even when the server offers the concatenation extension; default `auto`. */
  concatenation?: 'auto' | 'never';
  /** The most partial uploads one file becomes (the part planner grows parts to stay under it); default 32. */
  maxConcatParts?: number;
  /** Keeps upload URLs in memory only, out of the IndexedDB checkpoint: no resume after a reload. */
  noPersistUploadUrl?: boolean;
  /** Extra `Upload-Metadata` pairs; `filename` and `filetype` are always sent. Keys must not contain spaces or commas. */
  metadata?: Record<string, string>;
  /** Refuses larger files when they are added; the server's `Tus-Max-Size` is checked at creation either way. */
  maxFileSize?: number;
}

/**
 * Where a tus upload stands. In plain mode `url` is left out when it must not be persisted: a URL with a query string
 * may carry a credential, and `noPersistUploadUrl` asks for it. It is then kept in memory under `ref`. In
 * concatenation mode each partial upload is made when its part is sent, and its URL goes into `partials` by part
 * number (under the same rule) as soon as it exists, so that after a reload it is continued or terminated, never
 * left on the server.
 */
export type TusSession =
  | { mode: 'plain'; ref: string; url?: string; checksum?: Exclude<TusChecksum, 'none'>; terminate: boolean }
  | {
      mode: 'concat';
      ref: string;
      checksum?: Exclude<TusChecksum, 'none'>;
      terminate: boolean;
      partials?: Record<number, string>;
    };

/** A part's receipt; in concatenation mode it names the partial upload that holds the part, where that may be kept. */
type TusReceipt = PartReceipt & { offset: number; url?: string };

/** What each status of a tus server means; tus has no error codes, so the status is the code. */
const STATUS_MESSAGES: Record<number, [UploadErrorCode, string, boolean?]> = {
  400: [UploadErrorCode.ProviderRejected, 'The tus server refused the request as malformed (a header it needs is missing or invalid).'],
  401: [UploadErrorCode.AuthFailed, 'The tus server wants credentials it did not get or did not accept.'],
  403: [UploadErrorCode.AuthFailed, 'The tus server refused access to this upload.'],
  404: [UploadErrorCode.NotFound, 'The tus server does not have this upload (it was terminated, expired or never existed).'],
  405: [UploadErrorCode.ProviderRejected, 'The tus server does not allow this method here; check that the endpoint is its creation URL.'],
  409: [UploadErrorCode.ProviderRejected, 'The tus server holds another offset than this upload expected; it continues from the server\'s offset.', true],
  410: [UploadErrorCode.NotFound, 'The upload expired or was terminated on the tus server.'],
  412: [UploadErrorCode.ProviderRejected, 'The server does not speak tus 1.0.0.'],
  413: [UploadErrorCode.LimitExceeded, 'The file or chunk is larger than the tus server accepts.'],
  415: [UploadErrorCode.ProviderRejected, 'The tus server refused the chunk\'s content type.'],
  423: [UploadErrorCode.ServerError, 'The tus server is still busy with an earlier request to this upload; it will retry.', true],
  429: [UploadErrorCode.RateLimited, 'The tus server asked to slow down; the upload will retry.'],
  460: [UploadErrorCode.HashMismatch, 'A chunk arrived damaged: its checksum did not match. It will be sent again.', true],
  500: [UploadErrorCode.ServerError, 'The tus server had an internal error; the upload will retry.'],
  501: [UploadErrorCode.ProviderRejected, 'The tus server does not implement an extension this upload used.', false],
  502: [UploadErrorCode.ServerError, 'A proxy in front of the tus server failed; the upload will retry.'],
  503: [UploadErrorCode.ServerError, 'The tus server is unavailable for the moment; the upload will retry.'],
  504: [UploadErrorCode.ServerError, 'A proxy in front of the tus server timed out; the upload will retry.'],
};

/** Base64 of a string's UTF-8 bytes, as `Upload-Metadata` values are written. */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Writes `Upload-Metadata`: `key base64(value)` pairs joined by commas; empty values are left out. */
export function encodeTusMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key} ${base64Utf8(value)}`)
    .join(',');
}

function splitList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Reads an OPTIONS answer; a server that refuses OPTIONS or hides the Tus-* headers from the page is "not discovered". */
export function readTusCapabilities(response: HttpResponse): TusCapabilities {
  const versions = splitList(response.headers.get('Tus-Version'));
  if (response.status < 200 || response.status >= 300 || versions.length === 0) {
    return { discovered: false, versions: [], extensions: [], checksumAlgorithms: [] };
  }
  const maxSize = Number(response.headers.get('Tus-Max-Size') ?? NaN);
  return {
    discovered: true,
    versions,
    extensions: splitList(response.headers.get('Tus-Extension')).map((name) => name.toLowerCase()),
    checksumAlgorithms: splitList(response.headers.get('Tus-Checksum-Algorithm')).map((name) => name.toLowerCase()),
    ...(Number.isSafeInteger(maxSize) && maxSize >= 0 ? { maxSize } : {}),
  };
}

/** Turns a tus server's error answer (a status and, usually, a line of text) into an UploadError. */
export function parseTusError(response: HttpResponse): UploadError {
  const text = response.text.trim().slice(0, 300);
  const init = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: { id: 'tus', code: String(response.status), ...(text ? { message: text } : {}) },
  };
  const known = STATUS_MESSAGES[response.status];
  if (known) {
    const [code, message, retryable] = known;
    const versions = response.status === 412 ? response.headers.get('Tus-Version') : null;
    return new UploadError(code, versions ? `${message} It offers ${versions}.` : message, { ...init, retryable });
  }
  return fallbackError(response, init, text, { ...PLAIN_WORDING, failed: (where) => `The tus server at ${where} failed` });
}

function hasQueryOrFragment(url: string): boolean {
  return /[?#]/.test(url);
}

function lastSegment(url: string): string {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

function readOffset(response: HttpResponse, what: string): number {
  const raw = response.headers.get('Upload-Offset');
  if (raw === null) {
    throw new UploadError(
      UploadErrorCode.CorsBlocked,
      `The tus server answered the ${what} without an Upload-Offset the page can read. Add Upload-Offset to its CORS Access-Control-Expose-Headers.`,
      { retryable: false, status: response.status },
    );
  }
  const offset = Number(raw);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new UploadError(UploadErrorCode.BadResponse, `The tus server sent an invalid Upload-Offset (${raw.slice(0, 40)}).`);
  }
  return offset;
}

/**
 * tus 1.0 resumable uploads (core, creation, termination, checksum, concatenation): one upload sent chunk by chunk
 * at its offset, or, where the server offers concatenation, one partial upload per part sent in parallel and joined
 * at complete. The upload URL lives in the checkpoint (it is not a credential unless it has a query string).
 */
export function createTusAdapter(options: TusAdapterOptions = {}): ProviderAdapter<TusSession> {
  if (!options.endpoint) throw new Error('The tus adapter needs an `endpoint`: the tus server\'s creation URL.');
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const endpoint = new URL(options.endpoint, base).href;
  for (const key of Object.keys(options.metadata ?? {})) {
    if (key === '' || /[\s,]/.test(key)) throw new TypeError(`Upload-Metadata keys must not be empty or contain spaces or commas: "${key}".`);
  }
  const checksum = options.checksum ?? 'sha1';
  const concatenation = options.concatenation ?? 'auto';
  const maxConcatParts = options.maxConcatParts ?? DEFAULT_MAX_CONCAT_PARTS;
  const limits: PartLimits = { ...TUS_LIMITS, maxFileSize: options.maxFileSize ?? TUS_LIMITS.maxFileSize };

  let capabilities: Promise<TusCapabilities> | undefined;
  /** Upload URLs by session `ref`: all of them while this adapter runs a session, the only copy when not persisted. */
  const memoryUrls = new Map<string, string[]>();
  /** The last capabilities `create` saw; until then every optional extension counts as possibly offered. */
  let settled: TusCapabilities | undefined;
  /** The server's offset of each upload URL as last seen; dropped whenever a PATCH fails, so the next try asks (HEAD). */
  const knownOffsets = new Map<string, number>();
  let token: { value: string; proven: boolean } | undefined;

  async function headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    if (options.getToken) token ??= { value: await options.getToken(), proven: false };
    return mergeHeaders(options.headers, token ? { Authorization: `Bearer ${token.value}` } : {}, extra);
  }

  async function send(
    ctx: AdapterContext,
    request: HttpRequest,
    sendOptions?: { acceptStatus?: number[]; outlivesAbort?: boolean },
  ): Promise<HttpResponse> {
    const response = await ctx.send(request, sendOptions);
    // A token the server accepted once and refuses later has expired, rather than never having been valid. OPTIONS
    // proves nothing: servers answer it without credentials, as they must for CORS preflights.
    const accepted = response.status >= 200 && response.status < 300 && request.method !== 'OPTIONS';
    if (accepted && token && request.headers?.Authorization === `Bearer ${token.value}`) token.proven = true;
    return response;
  }

  function discover(ctx: AdapterContext): Promise<TusCapabilities> {
    capabilities ??= (async () => {
      const response = await send(ctx, { method: 'OPTIONS', url: endpoint, headers: await headers() }, { acceptStatus: [404, 405, 501] });
      const found = readTusCapabilities(response);
      if (found.discovered && !found.versions.includes(TUS_VERSION)) {
        throw new UploadError(UploadErrorCode.ProviderRejected, `The server at ${redactUrl(endpoint)} speaks tus ${found.versions.join(', ')}, not ${TUS_VERSION}.`, {
          retryable: false,
          provider: { id: 'tus', code: 'Tus-Version', message: found.versions.join(',') },
        });
      }
      return found;
    })();
    capabilities.catch(() => {
      capabilities = undefined;
    });
    return capabilities;
  }

  /** Whether the checksum extension with our algorithm is on offer, as far as is known yet (unknown counts as yes). */
  function checksumOffered(found: TusCapabilities | undefined): boolean {
    if (checksum === 'none') return false;
    if (!found) return true;
    return found.extensions.includes('checksum') && found.checksumAlgorithms.includes(checksum);
  }

  const resolveUrl = (location: string) => new URL(location, endpoint).href;

  /** Whether the server may be asked to delete an upload: it offers termination, or it would not say. */
  const mayTerminate = () => !settled || !settled.discovered || settled.extensions.includes('termination');

  async function terminate(ctx: AdapterContext, url: string): Promise<void> {
    knownOffsets.delete(url);
    await send(ctx, { method: 'DELETE', url, headers: await headers({ 'Tus-Resumable': TUS_VERSION }) }, { acceptStatus: [404, 410], outlivesAbort: true });
  }

  /**
   * Makes an upload. A pause or cancel does not cut the POST off, since the server may make the upload all the same
   * and only its answer says where: an upload made after the signal fired is terminated at once, so that stopping at
   * any moment leaves nothing behind.
   */
  async function createUpload(ctx: AdapterContext, extra: Record<string, string>): Promise<string> {
    const request: HttpRequest = { method: 'POST', url: endpoint, headers: await headers({ 'Tus-Resumable': TUS_VERSION, ...extra }) };
    ctx.signal.throwIfAborted();
    const response = await send(ctx, request, { outlivesAbort: true });
    const location = response.headers.get('Location');
    if (!location) {
      throw new UploadError(
        UploadErrorCode.CorsBlocked,
        'The tus server created the upload, but its Location header is not readable by the page. Add Location to its CORS Access-Control-Expose-Headers.',
        { retryable: false, status: response.status },
      );
    }
    const url = resolveUrl(location);
    if (ctx.signal.aborted) {
      // The task stops either way and reports no error of a stopped task, so a failed DELETE has nowhere to go.
      if (mayTerminate()) await terminate(ctx, url).catch(() => undefined);
      throw ctx.signal.reason;
    }
    // A new upload holds nothing yet; a final concatenation is never written to, so it is not tracked.
    if (!extra['Upload-Concat']?.startsWith('final')) knownOffsets.set(url, 0);
    return url;
  }

  function metadataHeader(file: FileDescription): Record<string, string> {
    const value = encodeTusMetadata({ filename: file.name, filetype: file.type, ...options.metadata });
    return value ? { 'Upload-Metadata': value } : {};
  }

  /** The URL of the one upload of plain mode: memory first, since it may have been made anew after the session was saved. */
  function plainUrl(session: TusSession): string | undefined {
    return memoryUrls.get(session.ref)?.[0] ?? (session.mode === 'plain' ? session.url : undefined);
  }

  /**
   * The partial upload of a part in concatenation mode: made in this page, or named by the saved session or (in
   * checkpoints written before sessions named their partials) by the part's saved receipt.
   */
  function partialUrl(session: TusSession, partNumber: number, receipts: readonly PartReceipt[] = []): string | undefined {
    const inMemory = memoryUrls.get(session.ref)?.[partNumber - 1];
    if (inMemory) return inMemory;
    if (session.mode === 'concat' && session.partials?.[partNumber]) return session.partials[partNumber];
    const saved = receipts.find((receipt) => receipt.partNumber === partNumber)?.url;
    return typeof saved === 'string' ? saved : undefined;
  }

  function remember(session: TusSession, partNumber: number, url: string): void {
    const kept = memoryUrls.get(session.ref) ?? [];
    kept[partNumber - 1] = url;
    memoryUrls.set(session.ref, kept);
  }

  /** Whether a URL may go into IndexedDB: a query string may carry a credential, and `noPersistUploadUrl` says no. */
  const persistable = (url: string) => !options.noPersistUploadUrl && !hasQueryOrFragment(url);

  async function headOffset(ctx: AdapterContext, url: string, expectedLength: number): Promise<number> {
    const response = await send(ctx, { method: 'HEAD', url, headers: await headers({ 'Tus-Resumable': TUS_VERSION }) });
    const offset = readOffset(response, 'HEAD');
    const length = response.headers.get('Upload-Length');
    if (length !== null && Number(length) !== expectedLength) {
      throw new UploadError(UploadErrorCode.NotFound, `The upload at ${redactUrl(url)} is ${length} bytes long on the server, not ${expectedLength}: it is another upload.`, {
        status: response.status,
      });
    }
    knownOffsets.set(url, offset);
    return offset;
  }

  /**
   * Whether a part's upload may be made anew when its URL is unknown or gone: a partial upload always, since it holds
   * only that part; the one upload of plain mode only at part 1, before any part of it counted as sent.
   */
  const canRecreate = (session: TusSession, part: Part) => session.mode === 'concat' || part.partNumber === 1;

  /** Makes the upload a part goes to, and writes its URL into the checkpoint where it may be kept. */
  async function recreate(ctx: AdapterContext, session: TusSession, part: Part): Promise<string> {
    const url =
      session.mode === 'plain'
        ? await createUpload(ctx, { 'Upload-Length': String(ctx.file.size), ...metadataHeader(ctx.file) })
        : await createUpload(ctx, { 'Upload-Length': String(part.size), 'Upload-Concat': 'partial' });
    remember(session, session.mode === 'plain' ? 1 : part.partNumber, url);
    if (persistable(url)) {
      if (session.mode === 'plain') session.url = url;
      else session.partials = { ...session.partials, [part.partNumber]: url };
      await ctx.saveSession?.();
    }
    return url;
  }

  /**
   * The URL a part goes to and the server's offset there. A partial upload is made here, when a lane is free to send
   * its part. The engine lists parts on resume only once one part was confirmed, so a reload before that, an upload
   * URL kept in memory only, or an upload gone from the server surface here; a fresh upload is made where that is sound.
   */
  async function targetOfPart(ctx: AdapterContext, session: TusSession, part: Part): Promise<{ url: string; offset: number }> {
    const url = session.mode === 'plain' ? plainUrl(session) : partialUrl(session, part.partNumber);
    if (!url) {
      if (!canRecreate(session, part)) {
        throw new UploadError(UploadErrorCode.NotFound, 'The upload URL was kept in memory only and is gone; the upload has to start over.', {
          retryable: false,
        });
      }
      return { url: await recreate(ctx, session, part), offset: 0 };
    }
    const known = knownOffsets.get(url);
    if (known !== undefined) return { url, offset: known };
    try {
      return { url, offset: await headOffset(ctx, url, session.mode === 'plain' ? ctx.file.size : part.size) };
    } catch (thrown) {
      if (!(thrown instanceof UploadError) || thrown.code !== UploadErrorCode.NotFound || !canRecreate(session, part)) throw thrown;
      return { url: await recreate(ctx, session, part), offset: 0 };
    }
  }

  function forget(session: TusSession): void {
    for (const url of memoryUrls.get(session.ref) ?? []) if (url) knownOffsets.delete(url);
    memoryUrls.delete(session.ref);
  }

  return {
    id: 'tus',
    target: endpoint,
    limits,

    async prepare(ctx) {
      settled = await discover(ctx);
    },

    digests(): DigestSpec[] {
      if (!checksumOffered(settled)) return [];
      return [{ name: 'part-checksum', algorithm: checksum as Exclude<TusChecksum, 'none'>, encoding: 'base64', scope: 'part', when: 'before-part' }];
    },

    planParts(file, requestedPartSize) {
      // Every partial upload is named in one Upload-Concat header at complete, which servers cap (often at 8 KiB).
      const maxParts = concatenation === 'never' ? limits.maxParts : Math.min(limits.maxParts, maxConcatParts);
      return planParts(file.size, { ...limits, maxParts }, requestedPartSize);
    },

    sequentialParts(session) {
      return session.mode === 'plain';
    },

    async create(ctx) {
      const found = await discover(ctx);
      settled = found;
      if (found.discovered && !found.extensions.includes('creation')) {
        throw new UploadError(UploadErrorCode.ProviderRejected, 'The tus server does not offer the creation extension, so the page cannot start an upload there.', {
          retryable: false,
        });
      }
      if (found.maxSize !== undefined && ctx.file.size > found.maxSize) {
        throw new UploadError(UploadErrorCode.FileTooLarge, `The tus server accepts files up to ${found.maxSize} bytes (Tus-Max-Size).`, {
          retryable: false,
          provider: { id: 'tus', code: 'Tus-Max-Size', message: String(found.maxSize) },
        });
      }
      const ref = crypto.randomUUID();
      const sessionChecksum = checksumOffered(found) ? (checksum as Exclude<TusChecksum, 'none'>) : undefined;
      const terminate = !found.discovered || found.extensions.includes('termination');
      const common = { ref, terminate, ...(sessionChecksum ? { checksum: sessionChecksum } : {}) };
      const parallel = concatenation === 'auto' && found.extensions.includes('concatenation') && ctx.plan.partCount > 1;

      if (!parallel) {
        const url = await createUpload(ctx, { 'Upload-Length': String(ctx.file.size), ...metadataHeader(ctx.file) });
        memoryUrls.set(ref, [url]);
        return { kind: 'session', session: { mode: 'plain', ...common, ...(persistable(url) ? { url } : {}) } };
      }

      // No partial upload yet: each is made when a lane is free to send its part, so a server never holds dozens of
      // empty uploads for a file still queued behind others, and a cancel has at most one per lane to remove.
      memoryUrls.set(ref, []);
      return { kind: 'session', session: { mode: 'concat', ...common } };
    },

    async listParts(ctx, session) {
      const receipts: TusReceipt[] = [];
      if (session.mode === 'plain') {
        const url = plainUrl(session);
        if (!url) {
          throw new UploadError(UploadErrorCode.NotFound, 'The upload URL was not kept across the reload; the upload starts over.', { retryable: false });
        }
        const offset = await headOffset(ctx, url, ctx.file.size);
        for (let partNumber = 1; partNumber <= ctx.plan.partCount; partNumber++) {
          const end = Math.min(partNumber * ctx.plan.partSize, ctx.file.size);
          if (end <= offset) receipts.push({ partNumber, size: partSize(ctx.plan, ctx.file.size, partNumber), offset: end });
        }
        return receipts;
      }
      for (let partNumber = 1; partNumber <= ctx.plan.partCount; partNumber++) {
        const url = partialUrl(session, partNumber, ctx.receipts);
        if (!url) continue;
        const size = partSize(ctx.plan, ctx.file.size, partNumber);
        let offset: number;
        try {
          offset = await headOffset(ctx, url, size);
        } catch (thrown) {
          // A partial upload gone from the server holds one part only: that part is sent again to a new one.
          if (thrown instanceof UploadError && thrown.code === UploadErrorCode.NotFound) continue;
          throw thrown;
        }
        remember(session, partNumber, url);
        if (offset === size) receipts.push({ partNumber, size, offset: size, url });
      }
      return receipts;
    },

    async uploadPart(ctx, session, part) {
      const { url, offset } = await targetOfPart(ctx, session, part);
      // Offsets within the upload this part goes to: the whole file in plain mode, the part's own partial upload otherwise.
      const start = session.mode === 'plain' ? part.offset : 0;
      const end = start + part.size;
      if (offset >= end) return { partNumber: part.partNumber, size: part.size, offset: end };
      if (offset < start) {
        throw new UploadError(
          UploadErrorCode.BadResponse,
          `The tus server holds ${offset} bytes, fewer than the parts it already confirmed (${start}); it lost data, so the upload cannot go on.`,
          { retryable: false },
        );
      }
      // The server may already hold the start of this part (a dropped connection, a reload): send only the rest.
      const skip = offset - start;
      const body = skip === 0 ? part.blob : part.blob.slice(skip);
      // A per-part digest covers the whole part only, so a part sent from its middle goes without one.
      const withChecksum = session.checksum !== undefined && skip === 0 && checksumOffered(settled);
      const checksumHeader: Record<string, string> = withChecksum
        ? { 'Upload-Checksum': `${session.checksum} ${(await ctx.digest('part-checksum', part.partNumber)) as string}` }
        : {};
      let response: HttpResponse;
      try {
        response = await send(ctx, {
          method: 'PATCH',
          url,
          headers: await headers({
            'Tus-Resumable': TUS_VERSION,
            'Upload-Offset': String(offset),
            'Content-Type': 'application/offset+octet-stream',
            ...checksumHeader,
          }),
          body,
        });
      } catch (thrown) {
        knownOffsets.delete(url);
        throw thrown;
      }
      const stored = readOffset(response, 'PATCH');
      knownOffsets.set(url, stored);
      if (stored < end) {
        throw new UploadError(UploadErrorCode.ServerError, `The tus server stored the chunk only up to offset ${stored} of ${end}; the rest is sent again.`, {
          status: response.status,
        });
      }
      return {
        partNumber: part.partNumber,
        size: part.size,
        offset: end,
        ...(session.mode === 'concat' && persistable(url) ? { url } : {}),
      } satisfies TusReceipt;
    },

    async complete(ctx, session, receipts): Promise<UploadResult> {
      if (session.mode === 'plain') {
        const url = plainUrl(session);
        if (!url) throw new UploadError(UploadErrorCode.NotFound, 'The upload URL is gone; the upload has to start over.', { retryable: false });
        const last = receipts[receipts.length - 1];
        if (last?.offset !== ctx.file.size) {
          const offset = await headOffset(ctx, url, ctx.file.size);
          if (offset !== ctx.file.size) {
            throw new UploadError(UploadErrorCode.BadResponse, `The tus server holds ${offset} of ${ctx.file.size} bytes after the last part.`, { retryable: false });
          }
        }
        forget(session);
        return { location: redactUrl(url), fileId: lastSegment(url) };
      }
      const urls = Array.from({ length: ctx.plan.partCount }, (_, i) => partialUrl(session, i + 1, receipts));
      if (urls.some((url) => !url)) {
        throw new UploadError(UploadErrorCode.NotFound, 'Some partial upload URLs are gone; the upload has to start over.', { retryable: false });
      }
      const final = await createUpload(ctx, { 'Upload-Concat': `final;${urls.join(' ')}`, ...metadataHeader(ctx.file) });
      forget(session);
      return { location: redactUrl(final), fileId: lastSegment(final) };
    },

    async abort(ctx, session) {
      const urls =
        session.mode === 'plain'
          ? [plainUrl(session)]
          : Array.from({ length: ctx.plan.partCount }, (_, i) => partialUrl(session, i + 1, ctx.receipts));
      forget(session);
      if (!session.terminate) return;
      for (const url of urls) if (url) await terminate(ctx, url);
    },

    parseError(response, request) {
      const sent = request.headers?.Authorization;
      if (response.status === 401 && options.getToken && token && sent === `Bearer ${token.value}`) {
        const expired = token.proven || /expired/i.test(response.text);
        token = undefined;
        if (expired) {
          return new UploadError(UploadErrorCode.UrlExpired, 'The tus server\'s token expired; a fresh one is fetched and the request sent again.', {
            status: 401,
            provider: { id: 'tus', code: '401', message: response.text.trim().slice(0, 300) },
          });
        }
      }
      return parseTusError(response);
    },
  };
}
