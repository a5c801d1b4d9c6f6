import type { UploadTask } from '../core/upload-task.js';
import { BUSY_STATES, canMove, SETTLED_STATES, UploadState } from '../core/types.js';

/** What the summary, the toolbar and the element's custom states need from the whole list, counted in one pass. */
export interface ListTally {
  /** Files not canceled. */
  counted: number;
  done: number;
  /** Whether an uploading file's bytes grew lately (only then do speed and time left mean anything). */
  moving: boolean;
  busy: boolean;
  queued: boolean;
  paused: boolean;
  failed: boolean;
  pausable: boolean;
  /** Files not yet done, failed or canceled: while there are any, a form holding the element may not submit. */
  unfinished: boolean;
  /** Files neither done nor canceled: what Cancel all acts on. */
  cancelable: boolean;
  settled: boolean;
  /** Whether a file uploads or counts down to a retry: the row texts then change each second without an event. */
  ticking: boolean;
}

/**
 * Counts the list once per render. With a thousand files, each of the summary, the toolbar and the states scanning the
 * list on its own made every progress frame several passes over every file.
 */
export function tallyTasks(tasks: readonly UploadTask[], isMoving: (taskId: string) => boolean): ListTally {
  const tally: ListTally = {
    counted: 0,
    done: 0,
    moving: false,
    busy: false,
    queued: false,
    paused: false,
    failed: false,
    pausable: false,
    unfinished: false,
    cancelable: false,
    settled: false,
    ticking: false,
  };
  for (const task of tasks) {
    const { state } = task;
    if (state !== UploadState.Canceled) tally.counted++;
    if (state === UploadState.Done) tally.done++;
    else if (state === UploadState.Uploading && !tally.moving && isMoving(task.id)) tally.moving = true;
    if (BUSY_STATES.has(state)) tally.busy = true;
    if (state === UploadState.Queued) tally.queued = true;
    if (state === UploadState.Paused) tally.paused = true;
    if (state === UploadState.Failed) tally.failed = true;
    if (!tally.pausable && canMove(state, UploadState.Paused)) tally.pausable = true;
    if (!SETTLED_STATES.has(state) || state === UploadState.Failed) tally.cancelable = true;
    if (SETTLED_STATES.has(state)) tally.settled = true;
    else tally.unfinished = true;
    if (state === UploadState.Uploading || task.retryWait) tally.ticking = true;
  }
  return tally;
}
