import { UploadError, UploadErrorCode, toUploadError } from './errors.js';
import { planParts } from './part-plan.js';
import { matchesAccept } from './accept.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import type { RetryHooks, RetryPolicy } from './retry.js';
import { SlotPool } from './slot-pool.js';
import { SpeedMeter, etaSeconds } from './speed-meter.js';
import { createXhrTransport } from './transport.js';
import type { Transport, TransportOptions } from './transport.js';
import { UploadTask } from './upload-task.js';
import type { TaskEnvironment } from './upload-task.js';
import { SETTLED_STATES, UploadState } from './types.js';
import type { CheckpointRecord, ProgressSnapshot, UploadManagerEventMap } from './types.js';
import type { ProviderAdapter } from './adapter.js';
import { HashClient, hashWorkerCount } from '../hashing/hash-client.js';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';

/** How a manager uploads. Everything but `adapter` has a default. */
export interface UploadManagerOptions {
  adapter: ProviderAdapter;
  /** Parts in flight across all files. */
  concurrency?: number;
  /** Requested part size in bytes; the adapter's limits win. */
  partSize?: number;
  /** Start each file as soon as it is added. */
  autoStart?: boolean;
  /** Keep checkpoints in IndexedDB so that a reload or crash resumes. */
  resume?: boolean;
  maxFileSize?: number;
  /** As `<input accept>`: MIME types, `type/*` and `.ext`. */
  accept?: string;
  checkpointStore?: CheckpointStore;
  /** Where the hashing worker script is served, when not next to the package (see `createHashWorker`). */
  workerUrl?: string | URL;
  retryPolicy?: Partial<RetryPolicy>;
  transport?: Partial<TransportOptions>;
  /** Replaces XHR; for tests of code above the transport. */
  sendRequest?: Transport;
  /** Replaces retry timers and randomness; for tests. */
  retryHooks?: Omit<RetryHooks, 'signal'>;
}

const DEFAULT_CONCURRENCY = 4;

type ManagerListener<K extends keyof UploadManagerEventMap> = (event: CustomEvent<UploadManagerEventMap[K]>) => void;

export interface UploadManager {
  addEventListener<K extends keyof UploadManagerEventMap>(
    type: K,
    listener: ManagerListener<K>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof UploadManagerEventMap>(
    type: K,
    listener: ManagerListener<K>,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/**
 * A queue of files uploaded through one adapter, with one limit on parts in flight shared by all of them, typed
 * events for each file and overall, and pause / resume / cancel / retry per file or for all.
 */
export class UploadManager extends EventTarget {
  #options: UploadManagerOptions;
  #tasks: UploadTask[] = [];
  #byId = new Map<string, UploadTask>();
  /**
   * Each task's share of the overall progress as last counted, and their sums, kept up to date as tasks report, so
   * that an event costs the same with a thousand files in the list as with one.
   */
  #counted = new Map<UploadTask, { bytesSent: number; bytesTotal: number }>();
  #bytesSent = 0;
  #bytesTotal = 0;
  /** Tasks whose `run()` has not settled. */
  #active = new Set<UploadTask>();
  /** Tasks the user asked to run, in the order asked; a queued task not in here waits for `start()`. */
  #wanted = new Set<UploadTask>();
  /** Tasks paused because the browser went offline, resumed on `online`. */
  #pausedOffline = new Set<UploadTask>();
  #slots: SlotPool;
  #env: TaskEnvironment;
  #hashClient?: HashClient;
  #speed = new SpeedMeter();
  #wasBusy = false;

  constructor(options: UploadManagerOptions) {
    super();
    this.#options = options;
    this.#slots = new SlotPool(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.#env = this.#buildEnvironment();
    globalThis.addEventListener?.('offline', this.#onOffline);
    globalThis.addEventListener?.('online', this.#onOnline);
  }

  /** Changes options; running files pick them up at their next step, part size only on new files. */
  setOptions(options: Partial<UploadManagerOptions>): void {
    this.#options = { ...this.#options, ...options };
    this.#slots.setLimit(this.#options.concurrency ?? DEFAULT_CONCURRENCY);
    Object.assign(this.#env, this.#buildEnvironment());
    this.#pump();
  }

  get options(): Readonly<UploadManagerOptions> {
    return this.#options;
  }

  get tasks(): readonly UploadTask[] {
    return this.#tasks;
  }

  getTask(id: string): UploadTask | undefined {
    return this.#byId.get(id);
  }

  /** Overall progress of the files not canceled. */
  get progress(): ProgressSnapshot {
    const bytesSent = this.#bytesSent;
    const bytesTotal = this.#bytesTotal;
    const moving = this.#active.size > 0;
    if (!moving) this.#speed.reset();
    const speed = moving ? this.#speed.update(bytesSent) : 0;
    return { bytesSent, bytesTotal, speed, eta: etaSeconds(bytesTotal - bytesSent, speed) };
  }

  /** Checks and queues files; refused files fire `task-rejected` and get no task. */
  async addFiles(files: Iterable<File>): Promise<UploadTask[]> {
    const added: UploadTask[] = [];
    for (const file of files) {
      const refusal = this.#refusal(file);
      if (refusal) {
        this.#emit('task-rejected', { file, error: refusal });
        continue;
      }
      const task = new UploadTask(file, this.#env);
      this.#tasks.push(task);
      this.#byId.set(task.id, task);
      this.#count(task);
      added.push(task);
      this.#emit('task-added', { taskId: task.id });
      if (this.#options.autoStart) this.#wanted.add(task);
    }
    this.#pump();
    return added;
  }

  /** Starts one queued file, or every queued file. */
  start(taskId?: string): void {
    for (const task of this.#select(taskId)) if (task.state === UploadState.Queued) this.#wanted.add(task);
    this.#pump();
  }

  pause(taskId?: string): void {
    for (const task of this.#select(taskId)) {
      this.#pausedOffline.delete(task);
      task.pause();
    }
  }

  /** Continues paused files from where they stopped. */
  resume(taskId?: string): void {
    for (const task of this.#select(taskId)) {
      if (task.state !== UploadState.Paused) continue;
      task.requeue();
      this.#wanted.add(task);
    }
    this.#pump();
  }

  /** Tries failed files again, keeping what was already uploaded. */
  retry(taskId: string): void {
    const task = this.getTask(taskId);
    if (!task || task.state !== UploadState.Failed) return;
    task.requeue();
    this.#wanted.add(task);
    this.#pump();
  }

  async cancel(taskId?: string): Promise<void> {
    await Promise.all(
      this.#select(taskId).map((task) => {
        this.#wanted.delete(task);
        return task.cancel();
      }),
    );
    this.#pump();
  }

  /** Drops a file from the list; a running one is canceled first. */
  async remove(taskId: string): Promise<void> {
    const task = this.getTask(taskId);
    if (!task) return;
    if (!SETTLED_STATES.has(task.state)) await task.cancel();
    this.#tasks = this.#tasks.filter((t) => t !== task);
    this.#forget(task);
  }

  /** Drops every finished, failed or canceled file from the list. */
  clear(): void {
    const [kept, dropped] = [[], []] as [UploadTask[], UploadTask[]];
    for (const task of this.#tasks) (SETTLED_STATES.has(task.state) ? dropped : kept).push(task);
    this.#tasks = kept;
    for (const task of dropped) this.#forget(task);
  }

  /** Unfinished uploads in IndexedDB that this manager's adapter could resume. */
  async findResumable(): Promise<CheckpointRecord[]> {
    const store = this.#env.store;
    if (!store) return [];
    const { adapter } = this.#options;
    try {
      const records = await store.list();
      return records.filter((record) => record.adapterId === adapter.id && record.target === adapter.target);
    } catch {
      // An unreadable store has nothing to offer; uploads themselves report the storage problem.
      return [];
    }
  }

  /** Stops everything: pauses every file (checkpoints stay for a later visit), stops listening to the browser and ends the hashing worker. */
  dispose(): void {
    for (const task of this.#tasks) task.pause();
    this.#wanted.clear();
    globalThis.removeEventListener?.('offline', this.#onOffline);
    globalThis.removeEventListener?.('online', this.#onOnline);
    this.#hashClient?.terminate();
    this.#hashClient = undefined;
  }

  #select(taskId: string | undefined): UploadTask[] {
    if (taskId === undefined) return [...this.#tasks];
    const task = this.getTask(taskId);
    return task ? [task] : [];
  }

  #refusal(file: File): UploadError | undefined {
    const { maxFileSize, accept } = this.#options;
    if (maxFileSize !== undefined && file.size > maxFileSize) {
      return new UploadError(UploadErrorCode.FileTooLarge, `"${file.name}" is larger than the ${maxFileSize} bytes allowed.`);
    }
    if (accept && !matchesAccept(file, accept)) {
      return new UploadError(UploadErrorCode.FileTypeRejected, `"${file.name}" is not one of the accepted types (${accept}).`);
    }
    // The provider's own limits (largest object, part count, empty files) are known before any byte is read.
    const { adapter, partSize } = this.#options;
    try {
      const description = { name: file.name, size: file.size, type: file.type, lastModified: file.lastModified };
      if (adapter.planParts) adapter.planParts(description, partSize);
      else planParts(file.size, adapter.limits, partSize);
    } catch (thrown) {
      return toUploadError(thrown);
    }
    return undefined;
  }

  /** Brings a task's share of the overall progress up to date. */
  #count(task: UploadTask): void {
    const before = this.#counted.get(task) ?? { bytesSent: 0, bytesTotal: 0 };
    const progress = task.state === UploadState.Canceled ? { bytesSent: 0, bytesTotal: 0 } : task.progress;
    this.#bytesSent += progress.bytesSent - before.bytesSent;
    this.#bytesTotal += progress.bytesTotal - before.bytesTotal;
    this.#counted.set(task, { bytesSent: progress.bytesSent, bytesTotal: progress.bytesTotal });
  }

  #forget(task: UploadTask): void {
    const counted = this.#counted.get(task);
    if (counted) {
      this.#bytesSent -= counted.bytesSent;
      this.#bytesTotal -= counted.bytesTotal;
    }
    this.#counted.delete(task);
    this.#byId.delete(task.id);
    this.#wanted.delete(task);
    this.#pausedOffline.delete(task);
  }

  /** Starts wanted queued files, first asked first, while fewer than `concurrency` files are active. */
  #pump(): void {
    const limit = this.#options.concurrency ?? DEFAULT_CONCURRENCY;
    for (const task of this.#wanted) {
      if (this.#active.size >= limit) break;
      if (task.state !== UploadState.Queued || task.isRunning) continue;
      this.#wanted.delete(task);
      this.#active.add(task);
      this.#wasBusy = true;
      void task.run().then(() => {
        this.#active.delete(task);
        this.#afterRun();
      });
    }
  }

  #afterRun(): void {
    this.#pump();
    // Nothing is active only when no wanted task was left to start: the pump starts one whenever a lane is free.
    const busy = this.#active.size > 0;
    if (!busy && this.#wasBusy) {
      this.#wasBusy = false;
      this.#emit('queue-complete', {});
    }
  }

  #onOffline = (): void => {
    for (const task of this.#active) {
      this.#pausedOffline.add(task);
      task.pause();
    }
  };

  #onOnline = (): void => {
    const tasks = [...this.#pausedOffline];
    this.#pausedOffline.clear();
    for (const task of tasks) this.resume(task.id);
  };

  #buildEnvironment(): TaskEnvironment {
    const options = this.#options;
    const useResume = options.resume ?? true;
    return {
      adapter: options.adapter,
      transport: options.sendRequest ?? createXhrTransport(options.transport),
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy },
      retryHooks: options.retryHooks ?? {},
      slots: this.#slots,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      partSize: options.partSize,
      store: useResume ? (options.checkpointStore ?? this.#env?.store ?? new CheckpointStore()) : undefined,
      // Sized once, from the parts in flight when hashing first starts.
      hashClient: () =>
        (this.#hashClient ??= new HashClient({ workers: hashWorkerCount(options.concurrency ?? DEFAULT_CONCURRENCY), workerUrl: options.workerUrl })),
      emit: (type, detail) => this.#emit(type, detail),
    };
  }

  #emit<K extends keyof UploadManagerEventMap>(type: K, detail: UploadManagerEventMap[K]): void {
    if (type === 'task-progress' || type === 'task-state') {
      const task = this.#byId.get((detail as UploadManagerEventMap['task-state']).taskId);
      if (task) this.#count(task);
    }
    this.dispatchEvent(new CustomEvent(type, { detail }));
    if (type === 'task-progress' || type === 'task-state') {
      this.dispatchEvent(new CustomEvent('progress', { detail: { progress: this.progress } }));
    }
  }
}
