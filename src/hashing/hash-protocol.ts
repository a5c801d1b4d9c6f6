/**
 * The messages between `HashClient` and `hash.worker.ts`, imported by both sides. Hand-written rather than Comlink:
 * the traffic is one start/cancel pair per job and a stream of small results, which a union types exactly.
 * File bytes never travel back: the worker gets the `Blob` (a structured clone shares its bytes), or the bytes of a
 * small file the page has read already (transferred), and answers with digests, hasher states and counts only.
 */
import type { SavedHashState } from '../core/types.js';
import type { PartPlan } from '../core/adapter.js';
import type { DigestSpec } from './digest-spec.js';

/** Starts hashing one blob. */
export interface StartJobMessage {
  type: 'start';
  jobId: number;
  blob: Blob;
  plan: PartPlan;
  specs: DigestSpec[];
  skipParts: number[];
  resumeFrom: SavedHashState[];
  chunkSize: number;
  /** When set, another worker reads the blob and hands the chunks over this port (see `ReadJobMessage`). */
  source?: MessagePort;
  /** When set, no chunk starting at or past this byte is read until an `AllowJobMessage` moves it on. */
  readTo?: number;
  /** All of the blob's bytes, read by the page already: hashed instead of reading the blob. */
  wholeFile?: ArrayBuffer;
}

/** Moves a paced job's `readTo` on, as the upload lanes take parts. */
export interface AllowJobMessage {
  type: 'allow';
  jobId: number;
  readTo: number;
}

/**
 * Reads a blob for a job that hashes in another worker, so that reading and hashing run on two threads: the bytes
 * are transferred, never copied. Over `port` the hashing side sends `ReaderRequest`s and gets `ReaderReply`s.
 */
export interface ReadJobMessage {
  type: 'read';
  jobId: number;
  blob: Blob;
  port: MessagePort;
}

/**
 * The hashing side of a read job: the ranges to read, in order, then one credit per chunk it may receive, with the
 * buffer of a chunk it has hashed (transferred back, for the next read) when there is one.
 */
export type ReaderRequest =
  | { type: 'ranges'; ranges: Array<[number, number]> }
  | { type: 'credit'; chunks: number; buffer?: ArrayBuffer }
  | { type: 'stop' };

/** The reading side: each chunk in range order (the first `length` bytes of `buffer`), or the read failure that ends the job. */
export type ReaderReply = { type: 'chunk'; buffer: ArrayBuffer; length: number } | { type: 'failed'; error: { name: string; message: string } };

/** Stops a job; the worker reads no further chunk for it and posts nothing more about it. */
export interface CancelJobMessage {
  type: 'cancel';
  jobId: number;
}

/** What the client posts to the worker. */
export type ClientMessage = StartJobMessage | ReadJobMessage | AllowJobMessage | CancelJobMessage;

/** One computed digest; `partNumber` is set for the per-part scopes. */
export interface DigestMessage {
  type: 'digest';
  jobId: number;
  name: string;
  partNumber?: number;
  value: string | number[];
}

/** A whole-file hasher's state at a block-aligned part boundary, for checkpoints. */
export interface StateMessage {
  type: 'state';
  jobId: number;
  state: SavedHashState;
}

/** Bytes hashed so far out of the bytes this job reads. */
export interface ProgressMessage {
  type: 'progress';
  jobId: number;
  bytesHashed: number;
  bytesTotal: number;
}

/** Every digest of the job has been posted. */
export interface DoneMessage {
  type: 'done';
  jobId: number;
}

/** The job stopped on an error; `name` is the DOMException or Error name (`NotReadableError` for a changed file). */
export interface FailedMessage {
  type: 'failed';
  jobId: number;
  error: { name: string; message: string };
}

/** What the worker posts to the client. */
export type WorkerMessage = DigestMessage | StateMessage | ProgressMessage | DoneMessage | FailedMessage;
