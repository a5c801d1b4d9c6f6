import type { UploadError } from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';
import type { DigestSpec } from '../hashing/digest-spec.js';

/** A provider's part limits; the planner stays inside them and grows the part size rather than exceed `maxParts`. */
export interface PartLimits {
  minPartSize: number;
  maxPartSize: number;
  maxParts: number;
  /** The largest object the provider stores. */
  maxFileSize: number;
  /** Part sizes must be a multiple of this (e.g. 64 for SHA contexts). */
  partSizeMultiple?: number;
  /** The part size used when the user sets none. */
  defaultPartSize: number;
  /** Whether the provider stores a 0-byte object. */
  allowsEmptyFile: boolean;
}

/** The chosen split of one file. All parts are `partSize` except the last. */
export interface PartPlan {
  partSize: number;
  partCount: number;
}

/** One part to send: a lazy slice of the file, or the file itself when it is the only part. */
export interface Part {
  /** 1-based. */
  partNumber: number;
  offset: number;
  size: number;
  blob: Blob;
}

/** What a provider returned for a stored part: enough to complete the upload and to resume. JSON only. */
export interface PartReceipt {
  partNumber: number;
  size: number;
  etag?: string;
  [field: string]: unknown;
}

/** What `create` found: a new session, or the provider already holding the bytes (rapid upload). */
export type CreateResult<Session> =
  | { kind: 'session'; session: Session }
  | { kind: 'done'; result: UploadResult };

/** What the provider reports for a finished upload; shown in `mcu-complete`. */
export interface UploadResult {
  /** Where the object lives, when the provider says. Never a presigned URL. */
  location?: string;
  key?: string;
  fileId?: string;
  etag?: string;
  /** True when no byte was sent because the provider already had the file. */
  rapid?: boolean;
  [field: string]: unknown;
}

/** The file being uploaded, as the adapter sees it. */
export interface FileDescription {
  name: string;
  size: number;
  type: string;
  lastModified: number;
}

/** What an adapter's request calls are given. */
export interface AdapterContext {
  file: FileDescription;
  /** The file itself, for slicing. Never read on the main thread. */
  blob: Blob;
  plan: PartPlan;
  /**
   * Sends one request through the engine's transport: abort, timeout and stall detection are the engine's. A non-2xx
   * answer is turned into an `UploadError` by the adapter's `parseError` and thrown, unless the status is listed in
   * `acceptStatus`. Bodies that are Blobs report upload progress. `outlivesAbort` lets a request that makes something
   * on the server run to its end after a pause or cancel (its timeouts still apply): the server may make it all the
   * same, and only the answer says what to remove.
   */
  send(request: HttpRequest, options?: { acceptStatus?: number[]; outlivesAbort?: boolean }): Promise<HttpResponse>;
  /** Resolves a digest the adapter declared; `partNumber` for per-part scopes. */
  digest(name: string, partNumber?: number): Promise<string | number[]>;
  signal: AbortSignal;
  /** The parts the engine holds receipts for, as it holds them now; after a reload, at first those the checkpoint kept. */
  receipts?: readonly PartReceipt[];
  /**
   * Writes the session to the checkpoint again, for an adapter that adds to it after `create` (a partial upload
   * made when its part starts): what the server holds is then known after a reload even before the part is done.
   */
  saveSession?(): Promise<void>;
}

/**
 * A provider protocol, described; the engine runs it. Adapters build requests and parse answers; they never send,
 * retry, set timers, or touch storage or UI.
 */
export interface ProviderAdapter<Session = unknown> {
  readonly id: string;
  readonly limits: PartLimits;
  /**
   * Learns what the provider offers before anything is hashed (the extensions and checksum algorithms a server lists), so that
   * `digests` asks only for what will be sent. Called once per run, before `digests`.
   */
  prepare?(ctx: AdapterContext): Promise<void>;
  /** The digests this adapter needs, for this file. */
  digests(file: FileDescription): DigestSpec[];
  /** Overrides the generic planner (e.g. a single request below a threshold). */
  planParts?(file: FileDescription, requestedPartSize: number | undefined): PartPlan;
  /** Whether parts of this session must go one at a time in ascending order. */
  sequentialParts?(session: Session): boolean;
  create(ctx: AdapterContext): Promise<CreateResult<Session>>;
  /** What the provider already holds, for resume. Throws `not-found` when the session is gone. */
  listParts?(ctx: AdapterContext, session: Session): Promise<PartReceipt[]>;
  uploadPart(ctx: AdapterContext, session: Session, part: Part): Promise<PartReceipt>;
  complete(ctx: AdapterContext, session: Session, receipts: PartReceipt[]): Promise<UploadResult>;
  abort?(ctx: AdapterContext, session: Session): Promise<void>;
  /** Tells the provider an upload failed for good (where it tracks a state such as FAILED); best effort. */
  fail?(ctx: AdapterContext, session: Session, error: UploadError): Promise<void>;
  /** Turns a non-2xx answer into a typed error, with the provider's own code and message. */
  parseError(response: HttpResponse, request: HttpRequest): UploadError;
  /** Who the upload goes to, part of the resume fingerprint so that one file sent to two places resumes apart. */
  readonly target: string;
}

/** Builds an adapter from options (endpoint, callbacks). */
export type AdapterFactory = (options: Record<string, unknown>) => ProviderAdapter;
