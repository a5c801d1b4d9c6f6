import type { UploadError } from './errors.js';
import type { PartPlan, PartReceipt, UploadResult } from './adapter.js';
import type { HashAlgorithm } from '../hashing/digest-spec.js';

/** One file's states. */
export const UploadState = {
  Queued: 'queued',
  Hashing: 'hashing',
  Uploading: 'uploading',
  Completing: 'completing',
  Done: 'done',
  Paused: 'paused',
  Failed: 'failed',
  Canceled: 'canceled',
} as const;
export type UploadState = (typeof UploadState)[keyof typeof UploadState];

/** States a task never leaves by itself. */
export const SETTLED_STATES: ReadonlySet<UploadState> = new Set<UploadState>([
  UploadState.Done,
  UploadState.Failed,
  UploadState.Canceled,
]);

/**
 * The task's state machine: the states each state may move to. `UploadTask` asserts every move against it. Any
 * active state may also be paused, fail, or be canceled; done and canceled are final.
 */
export const UPLOAD_TRANSITIONS: Readonly<Record<UploadState, readonly UploadState[]>> = {
  // A run starts: hashing when a digest is needed before create, else uploading; done when create finds the bytes
  // stored already (rapid upload); failed before any request (the file is locked in another tab).
  queued: ['hashing', 'uploading', 'done', 'paused', 'failed', 'canceled'],
  // The before-create hash is ready: create answers a session (uploading) or the stored file (done).
  hashing: ['uploading', 'done', 'paused', 'failed', 'canceled'],
  // Every part stored: completing. A session the provider lost starts the run over, hashing first if it must.
  uploading: ['completing', 'hashing', 'done', 'paused', 'failed', 'canceled'],
  // Complete refused parts taken on trust: they go up again (uploading); a lost session starts over.
  completing: ['done', 'uploading', 'hashing', 'paused', 'failed', 'canceled'],
  // Resumed or retried: queued again, to be started by the manager.
  paused: ['queued', 'canceled'],
  failed: ['queued', 'canceled'],
  done: [],
  canceled: [],
};

/** Whether the machine allows moving from `from` to `to`. */
export function canMove(from: UploadState, to: UploadState): boolean {
  return UPLOAD_TRANSITIONS[from].includes(to);
}

/** States whose task is working: hashing or talking to the provider. */
export const BUSY_STATES: ReadonlySet<UploadState> = new Set<UploadState>([
  UploadState.Hashing,
  UploadState.Uploading,
  UploadState.Completing,
]);

/** What a person may ask of a task. */
export type TaskAction = 'pause' | 'resume' | 'retry' | 'cancel' | 'remove';

/**
 * The actions a task in `state` offers, read off the machine: pause and cancel where it may move to paused and
 * canceled, resume from paused and retry from failed (both back to queued), remove once final. Completing offers
 * none: its one request would race the provider's answer.
 */
export function taskActions(state: UploadState): TaskAction[] {
  if (state === UploadState.Completing) return [];
  if (UPLOAD_TRANSITIONS[state].length === 0) return ['remove'];
  const actions: TaskAction[] = [];
  if (canMove(state, UploadState.Paused)) actions.push('pause');
  if (canMove(state, UploadState.Queued)) actions.push(state === UploadState.Failed ? 'retry' : 'resume');
  if (canMove(state, UploadState.Canceled)) actions.push('cancel');
  return actions;
}

/** Progress of one file or of the whole queue. */
export interface ProgressSnapshot {
  bytesSent: number;
  bytesTotal: number;
  /** Bytes per second, smoothed. */
  speed: number;
  /** Seconds left at the current speed, or undefined while unknown. */
  eta: number | undefined;
  /** Bytes hashed so far, while a whole-file hash runs before the upload. */
  bytesHashed?: number;
  /** Bytes the provider holds for good (finished parts), without the parts still in flight. */
  bytesStored?: number;
}

/** A failed step waiting to be tried again: which try comes next, of how many, and when. */
export interface RetryWait {
  /** The try that comes next, counting from 1 for the first retry. */
  attempt: number;
  /** Retries allowed in all. */
  attempts: number;
  /** When the next try starts, in `Date.now()` milliseconds. */
  at: number;
  error: UploadError;
}

/**
 * A whole-file hasher's state at a block boundary, as the algorithm's own state words and the byte count, so that a
 * hash-wasm upgrade never strands a resume (hash-wasm's raw `save()` carries a version header).
 */
export interface SavedHashState {
  algorithm: HashAlgorithm;
  bytes: number;
  words: number[];
}

/** The record kept per unfinished upload. Holds no token and no URL. */
export interface CheckpointRecord {
  version: 1;
  fingerprint: string;
  adapterId: string;
  target: string;
  file: { name: string; size: number; type: string; lastModified: number };
  plan: PartPlan;
  /** The adapter's session state (upload id, key, …), JSON only. */
  session: unknown;
  receipts: PartReceipt[];
  hashState?: SavedHashState[];
  /**
   * Where the browser has one (File System Access API), the handle the file was picked or dropped with, so that a
   * later visit can read the file again after one permission prompt. Never the bytes.
   */
  handle?: FileSystemFileHandle;
  createdAt: number;
  updatedAt: number;
}

/** What the manager says happened, as typed events. */
export interface UploadManagerEventMap {
  'task-added': { taskId: string };
  'task-rejected': { file: File; error: UploadError };
  'task-state': { taskId: string; state: UploadState };
  'task-progress': { taskId: string; progress: ProgressSnapshot };
  'task-complete': { taskId: string; result: UploadResult };
  'task-error': { taskId: string; error: UploadError };
  progress: { progress: ProgressSnapshot };
  /** Something went wrong that does not stop the upload (a discarded checkpoint, a full IndexedDB). */
  warning: { taskId?: string; error: UploadError };
  'queue-complete': Record<string, never>;
}
