/**
 * The messages between `HashClient` and `hash.worker.ts`, imported by both sides. Hand-written rather than Comlink:
 * the traffic is one start/cancel pair per job and a stream of small results, which a union types exactly.
 * File bytes never travel back: the worker gets the `Blob` (a structured clone shares its bytes) and answers with
 * digests, hasher states and counts only.
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
}

/** Stops a job; the worker reads no further chunk for it and posts nothing more about it. */
export interface CancelJobMessage {
  type: 'cancel';
  jobId: number;
}

/** What the client posts to the worker. */
export type ClientMessage = StartJobMessage | CancelJobMessage;

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
