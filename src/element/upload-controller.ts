import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { UploadError, UploadErrorCode } from '../core/errors.js';
import type { UploadManager } from '../core/upload-manager.js';
import type { UploadTask } from '../core/upload-task.js';
import type { CheckpointRecord, UploadManagerEventMap } from '../core/types.js';
import { SETTLED_STATES, UploadState } from '../core/types.js';
import { McuCompleteEvent, McuErrorEvent, McuFileAddedEvent, McuProgressEvent, McuWarningEvent } from './events.js';
import type { McuFileProgress } from './events.js';

/** Something worth telling a screen-reader user; the element words it in the current language. */
export type Announcement =
  | { kind: 'added' | 'complete' | 'paused'; name: string }
  | { kind: 'failed' | 'rejected'; name: string; error: UploadError }
  | { kind: 'too-many-files'; name: string; max: number }
  | { kind: 'queue-complete' };

/** A file that was not added, kept on screen until dismissed; `max` is set when the list was full. */
export interface Refusal {
  readonly id: number;
  readonly file: File;
  readonly error: UploadError;
  readonly max?: number;
}

/** A file whose byte count has not grown for this long is not moving: no speed or time left is shown for it. */
const STALL_MS = 2000;

/** Refusal notices kept at most; older ones go first, so a folder of wrong files cannot flood the list. */
const MAX_REFUSALS = 20;

/** The part of a file that identifies it to people and to a checkpoint record. */
type FileIdentity = Pick<File, 'name' | 'size' | 'lastModified'>;

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
}

/**
 * The element's one link to its `UploadManager`: turns manager events into `mcu-*` DOM events and re-renders, at most
 * once per animation frame for progress; keeps the list of interrupted uploads offered for resume.
 */
export class UploadController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #manager?: UploadManager;
  /** Managers replaced by a change of destination while they held files: their rows stay until removed. */
  #retired: UploadManager[] = [];
  readonly #subscriptions = new Map<UploadManager, AbortController>();
  #movedTasks = new Set<string>();
  #frame = 0;
  #progressDue = false;
  #resumableRun = 0;
  #resumable: readonly CheckpointRecord[] = [];
  #announcement?: Announcement;
  #refusals: readonly Refusal[] = [];
  #nextRefusal = 0;
  readonly #resumeProblems = new Map<string, UploadError>();
  /** Bumped per task on each of its events, so that a row is re-drawn only when its own file changed. */
  readonly #versions = new Map<string, number>();
  /** When each task's byte count last grew, and to what. */
  readonly #movedAt = new Map<string, { bytes: number; at: number }>();
  /** Bumped on each (re)subscription: events missed while disconnected may have changed any row. */
  #epoch = 0;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  /** Unfinished uploads found in storage and not yet dismissed or continued. */
  get resumable(): readonly CheckpointRecord[] {
    return this.#resumable;
  }

  /** Files refused when added, newest last, until dismissed. */
  get refusals(): readonly Refusal[] {
    return this.#refusals;
  }

  /** A number that changes whenever anything shown in this task's row may have changed. */
  rowVersion(taskId: string): string {
    return `${this.#epoch}.${this.#versions.get(taskId) ?? 0}`;
  }

  /** Whether the task's bytes grew in the last two seconds: only then do speed and time left mean anything. */
  isMoving(taskId: string, now = performance.now()): boolean {
    const last = this.#movedAt.get(taskId);
    return last !== undefined && now - last.at < STALL_MS;
  }

  /** Why the last Resume of an interrupted upload did not go ahead. */
  resumeProblem(fingerprint: string): UploadError | undefined {
    return this.#resumeProblems.get(fingerprint);
  }

  /** Keeps the reason an interrupted upload could not be resumed from its handle, to show on its row. */
  setResumeProblem(fingerprint: string, error: UploadError): void {
    this.#resumeProblems.set(fingerprint, error);
    this.#host.requestUpdate();
  }

  /** Shows a refused file as a row, says why in the live region, and fires `mcu-error`. */
  refuse(file: File, error: UploadError, max?: number): void {
    this.#refusals = [...this.#refusals, { id: ++this.#nextRefusal, file, error, max }].slice(-MAX_REFUSALS);
    this.announce(max === undefined ? { kind: 'rejected', name: file.name, error } : { kind: 'too-many-files', name: file.name, max });
    this.#host.dispatchEvent(new McuErrorEvent({ file, error }));
  }

  /** Clears one refusal notice, or all of them. */
  dismissRefusal(id?: number): void {
    this.#refusals = id === undefined ? [] : this.#refusals.filter((refusal) => refusal.id !== id);
    this.#host.requestUpdate();
  }

  /** The latest thing to announce in the live region. */
  get announcement(): Announcement | undefined {
    return this.#announcement;
  }

  /** Every file in the list: those of replaced managers first, then the current manager's. */
  get tasks(): readonly UploadTask[] {
    const current = this.#manager?.tasks ?? [];
    return this.#retired.length === 0 ? current : [...this.#retired.flatMap((manager) => manager.tasks), ...current];
  }

  /** The current manager and the replaced ones that still hold files. */
  get managers(): UploadManager[] {
    return this.#manager ? [...this.#retired, this.#manager] : [...this.#retired];
  }

  /** The manager holding the file, current or replaced. */
  managerOf(taskId: string): UploadManager | undefined {
    return this.managers.find((manager) => manager.getTask(taskId));
  }

  /** Whether the file belongs to a manager replaced by a change of destination. */
  isRedirected(taskId: string): boolean {
    return this.#retired.some((manager) => manager.getTask(taskId));
  }

  /**
   * Follows a new manager (or none). An old manager holding files is kept, not dropped: its unfinished files are
   * paused where they are (never sent to the new destination) and each gets an `mcu-warning`.
   */
  setManager(manager: UploadManager | undefined): void {
    if (manager === this.#manager) return;
    const previous = this.#manager;
    if (previous && previous.tasks.length > 0) this.#retire(previous);
    else if (previous) this.#drop(previous);
    this.#manager = manager;
    this.#resumable = [];
    if (this.#host.isConnected) this.#subscribe();
    this.#host.requestUpdate();
  }

  /** Ends every manager, current and replaced, and forgets their files (the element's `destroy()`). */
  disposeAll(): void {
    for (const manager of this.managers) this.#drop(manager);
    this.#manager = undefined;
    this.#resumable = [];
    this.#host.requestUpdate();
  }

  /** Ends replaced managers whose files are all gone from the list. */
  pruneRetired(): void {
    for (const manager of this.#retired.filter((retired) => retired.tasks.length === 0)) this.#drop(manager);
  }

  /** Asks the manager which uploads were interrupted; a newer call wins over a slower older one. */
  async findResumable(): Promise<void> {
    const manager = this.#manager;
    if (!manager) return;
    const run = ++this.#resumableRun;
    const records = await manager.findResumable();
    if (run !== this.#resumableRun || manager !== this.#manager) return;
    this.#resumable = records.filter((record) => !manager.tasks.some((task) => sameFile(task.file, record.file)));
    this.#host.requestUpdate();
  }

  /** Hides an interrupted upload from the list; its checkpoint stays until it expires or the file is chosen again. */
  dismiss(fingerprint: string): void {
    this.#resumable = this.#resumable.filter((record) => record.fingerprint !== fingerprint);
    this.#host.requestUpdate();
  }

  /** Sets what the live region says. */
  announce(announcement: Announcement): void {
    this.#announcement = announcement;
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    this.#subscribe();
  }

  hostDisconnected(): void {
    this.#unsubscribe();
  }

  #retire(manager: UploadManager): void {
    this.#retired.push(manager);
    for (const task of manager.tasks) {
      if (SETTLED_STATES.has(task.state) || task.state === UploadState.Paused) continue;
      manager.pause(task.id);
      const error = new UploadError(
        UploadErrorCode.DestinationChanged,
        `The provider or endpoint changed while "${task.file.name}" was uploading: it was paused and goes on to its first destination when resumed.`,
        { retryable: false },
      );
      this.#host.dispatchEvent(new McuWarningEvent({ taskId: task.id, file: task.file, error }));
    }
  }

  #drop(manager: UploadManager): void {
    this.#retired = this.#retired.filter((retired) => retired !== manager);
    this.#subscriptions.get(manager)?.abort();
    this.#subscriptions.delete(manager);
    manager.dispose();
  }

  #subscribe(): void {
    const fresh = this.managers.filter((manager) => !this.#subscriptions.has(manager));
    if (fresh.length === 0) return;
    // Events missed while disconnected may have changed any row.
    this.#epoch++;
    for (const manager of fresh) this.#listenTo(manager);
  }

  #listenTo(manager: UploadManager): void {
    const subscription = new AbortController();
    this.#subscriptions.set(manager, subscription);
    const { signal } = subscription;
    const on = <K extends keyof UploadManagerEventMap>(type: K, handle: (detail: UploadManagerEventMap[K]) => void) =>
      manager.addEventListener(type, (event) => handle(event.detail), { signal });

    on('task-added', ({ taskId }) => {
      const task = manager.getTask(taskId);
      if (!task) return;
      this.#resumable = this.#resumable.filter((record) => !sameFile(task.file, record.file));
      this.announce({ kind: 'added', name: task.file.name });
      this.#host.dispatchEvent(new McuFileAddedEvent({ taskId, file: task.file }));
    });
    on('task-rejected', ({ file, error }) => this.refuse(file, error));
    on('task-state', ({ taskId, state }) => {
      this.#bump(taskId);
      const task = manager.getTask(taskId);
      if (task && state === UploadState.Paused) this.announce({ kind: 'paused', name: task.file.name });
      else this.#host.requestUpdate();
    });
    on('task-progress', ({ taskId, progress }) => {
      this.#bump(taskId);
      const last = this.#movedAt.get(taskId);
      if (!last || progress.bytesSent > last.bytes) this.#movedAt.set(taskId, { bytes: progress.bytesSent, at: performance.now() });
      this.#movedTasks.add(taskId);
      this.#scheduleProgress();
    });
    on('progress', () => this.#scheduleProgress());
    on('task-complete', ({ taskId, result }) => {
      this.#bump(taskId);
      const task = manager.getTask(taskId);
      if (!task) return;
      this.announce({ kind: 'complete', name: task.file.name });
      this.#host.dispatchEvent(new McuCompleteEvent({ taskId, file: task.file, result }));
    });
    on('task-error', ({ taskId, error }) => {
      this.#bump(taskId);
      const task = manager.getTask(taskId);
      if (!task) return;
      this.announce({ kind: 'failed', name: task.file.name, error });
      this.#host.dispatchEvent(new McuErrorEvent({ taskId, file: task.file, error }));
    });
    on('warning', ({ taskId, error }) => {
      const file = taskId === undefined ? undefined : manager.getTask(taskId)?.file;
      this.#host.dispatchEvent(new McuWarningEvent({ taskId, file, error }));
    });
    on('queue-complete', () => this.announce({ kind: 'queue-complete' }));
  }

  #bump(taskId: string): void {
    this.#versions.set(taskId, (this.#versions.get(taskId) ?? 0) + 1);
  }

  #unsubscribe(): void {
    for (const subscription of this.#subscriptions.values()) subscription.abort();
    this.#subscriptions.clear();
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#progressDue = false;
    this.#movedTasks.clear();
  }

  // Progress arrives per XHR progress callback, far more often than a screen can show it: coalesce to one frame.
  #scheduleProgress(): void {
    this.#progressDue = true;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#flushProgress();
    });
  }

  #flushProgress(): void {
    const manager = this.#manager;
    if (!manager || !this.#progressDue) return;
    this.#progressDue = false;
    const files: McuFileProgress[] = [];
    for (const taskId of this.#movedTasks) {
      const task = this.managerOf(taskId)?.getTask(taskId);
      if (task) files.push({ taskId, file: task.file, progress: task.progress });
    }
    this.#movedTasks.clear();
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new McuProgressEvent({ overall: manager.progress, files }));
  }
}
