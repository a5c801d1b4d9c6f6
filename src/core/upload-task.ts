import { UploadError, UploadErrorCode, toUploadError } from './errors.js';
import { fingerprintFile } from './fingerprint.js';
import { tryLockFile } from './file-lock.js';
import { partAt, partSize, planParts } from './part-plan.js';
import { sleep, withRetry } from './retry.js';
import type { RetryHooks, RetryPolicy } from './retry.js';
import type { SlotPool } from './slot-pool.js';
import { SpeedMeter, etaSeconds } from './speed-meter.js';
import type { Transport } from './transport.js';
import type { HttpRequest, HttpResponse } from './http.js';
import { canMove, UploadState } from './types.js';
import type { CheckpointRecord, ProgressSnapshot, RetryWait, SavedHashState, UploadManagerEventMap } from './types.js';
import { fileHandleOf } from './file-handles.js';
import type {
  AdapterContext,
  FileDescription,
  PartPlan,
  PartReceipt,
  ProviderAdapter,
  UploadResult,
} from './adapter.js';
import type { HashClient, HashRun } from '../hashing/hash-client.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';

/** Why a task's requests were aborted: pausing is not a failure (Uppy's pausing reason). */
export const PAUSE_REASON = Object.freeze({ reason: 'pause' });
export const CANCEL_REASON = Object.freeze({ reason: 'cancel' });
/**
 * How often one start may begin anew after the provider lost its session (an expiry mid-upload, say). More than once,
 * since a long upload can outlive several sessions; bounded, so a provider that loses every session cannot loop.
 */
const MAX_START_OVERS = 3;

/** What a task needs from its manager; read at each step, so option changes apply to the next step. */
export interface TaskEnvironment {
  adapter: ProviderAdapter;
  transport: Transport;
  retryPolicy: RetryPolicy;
  retryHooks: Omit<RetryHooks, 'signal'>;
  slots: SlotPool;
  /** Lanes one file may use at most; the slot pool bounds all files together. */
  concurrency: number;
  partSize: number | undefined;
  store: CheckpointStore | undefined;
  hashClient(): HashClient;
  emit<K extends keyof UploadManagerEventMap>(type: K, detail: UploadManagerEventMap[K]): void;
}

function describe(file: File): FileDescription {
  return { name: file.name, size: file.size, type: file.type, lastModified: file.lastModified };
}

/** One file's upload: a state machine queued → hashing → uploading → completing → done, or paused / failed / canceled. */
export class UploadTask {
  readonly id: string = crypto.randomUUID();
  readonly file: File;
  /** True when this upload continued from a checkpoint instead of starting over. */
  resumed = false;
  error?: UploadError;
  result?: UploadResult;

  #env: TaskEnvironment;
  #state: UploadState = UploadState.Queued;
  #fingerprint?: string;
  /** A small file's bytes, read for its fingerprint and kept for the hashing that follows in the same run. */
  #wholeFile?: ArrayBuffer;
  #plan?: PartPlan;
  #session?: unknown;
  #receipts = new Map<number, PartReceipt>();
  /** The bytes of the parts in `#receipts`, kept so that a progress event does not walk every part; undefined = to count. */
  #storedBytes: number | undefined = 0;
  /** Receipts taken from the checkpoint on trust, because the store could not list what it holds. */
  #unverifiedParts = new Set<number>();
  #hashState?: SavedHashState[];
  #hashRun?: HashRun;
  #bytesHashed = 0;
  #inFlight = new Map<number, number>();
  #controller?: AbortController;
  #running?: Promise<void>;
  #speed = new SpeedMeter();
  /** Set when checkpoints failed for this file (storage full): it goes on without resume. */
  #storeDisabled = false;
  /** Whether the store holds a record for this file: one this page wrote, or one found from an earlier visit. */
  #checkpointKept = false;
  #retryWait?: RetryWait;

  constructor(file: File, env: TaskEnvironment) {
    this.file = file;
    this.#env = env;
  }

  get state(): UploadState {
    return this.#state;
  }

  /** The retry being waited for, while a failed request waits to be tried again. */
  get retryWait(): RetryWait | undefined {
    return this.#retryWait;
  }

  get isRunning(): boolean {
    return this.#running !== undefined;
  }

  get progress(): ProgressSnapshot {
    const bytesTotal = this.file.size;
    const bytesSent = this.#bytesSent();
    const speed = this.#state === UploadState.Uploading ? this.#speed.speed : 0;
    return {
      bytesSent,
      bytesTotal,
      speed,
      eta: this.#state === UploadState.Done ? 0 : etaSeconds(bytesTotal - bytesSent, speed),
      bytesHashed: this.#bytesHashed,
      bytesStored: this.#bytesStored(),
    };
  }

  /** Runs the upload from wherever it stands; resolves when it is done, paused, failed or canceled. */
  run(): Promise<void> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the requests in flight; the checkpoint stays so that `run()` continues. */
  pause(): void {
    if (!canMove(this.#state, UploadState.Paused)) return;
    if (this.#running) this.#controller?.abort(PAUSE_REASON);
    else this.#setState(UploadState.Paused);
  }

  /** Makes a paused or failed task runnable again. */
  requeue(): void {
    if (!canMove(this.#state, UploadState.Queued)) return;
    this.error = undefined;
    this.#setState(UploadState.Queued);
  }

  /** Stops everything, tells the provider to drop the parts, and forgets the checkpoint. */
  async cancel(): Promise<void> {
    if (!canMove(this.#state, UploadState.Canceled)) return;
    this.#controller?.abort(CANCEL_REASON);
    await this.#running;
    this.#setState(UploadState.Canceled);
    const { adapter } = this.#env;
    // A file added again after a reload and canceled before it ran still has the earlier page's upload on the server.
    const releaseLock = this.#session === undefined ? await this.#claimCheckpoint() : null;
    // Its bytes were for hashing in a run; a canceled file has none to come.
    this.#wholeFile = undefined;
    if (this.#session !== undefined && adapter.abort) {
      const controller = new AbortController();
      try {
        await adapter.abort(this.#context(controller.signal, this.#plan!), this.#session);
      } catch (thrown) {
        this.#env.emit('warning', { taskId: this.id, error: toUploadError(thrown) });
      }
    }
    await this.#forgetCheckpoint();
    this.#session = undefined;
    releaseLock?.();
  }

  /** The file's resume fingerprint, computed once: its sampled bytes and where it goes. */
  async #fingerprintOf(): Promise<string> {
    if (this.#fingerprint === undefined) {
      const { fingerprint, wholeFile } = await fingerprintFile(this.file, `${this.#env.adapter.id}|${this.#env.adapter.target}`);
      this.#fingerprint = fingerprint;
      this.#wholeFile = wholeFile;
    }
    return this.#fingerprint;
  }

  /**
   * Loads this file's checkpoint, unless another tab holds the file (its upload is that tab's to cancel). Returns the
   * lock to release, or null when there is nothing to claim.
   */
  async #claimCheckpoint(): Promise<(() => void) | null> {
    if (!this.#store()) return null;
    const releaseLock = await tryLockFile(await this.#fingerprintOf());
    if (releaseLock) await this.#loadCheckpoint();
    return releaseLock;
  }

  async #run(startOversLeft = MAX_START_OVERS): Promise<void> {
    const controller = new AbortController();
    this.#controller = controller;
    const { signal } = controller;
    let releaseLock: (() => void) | null = null;
    let startOver = false;
    try {
      // The lock guards the file's checkpoint, which tabs share: without one there is nothing to guard, and no reason
      // to read the file for its fingerprint.
      releaseLock = this.#store() ? await tryLockFile(await this.#fingerprintOf()) : () => {};
      if (!releaseLock) {
        throw new UploadError(UploadErrorCode.InUse, 'This file is already being uploaded in another tab or window.', {
          retryable: false,
        });
      }
      this.#speed.reset();
      const ctx = await this.#prepare(signal);
      if (this.result) {
        this.#finish();
        return;
      }
      this.#setState(UploadState.Uploading);
      await this.#uploadParts(signal);
      this.#setState(UploadState.Completing);
      this.result = await this.#complete(ctx, signal);
      await this.#forgetCheckpoint();
      this.#finish();
    } catch (thrown) {
      if (signal.aborted && signal.reason === PAUSE_REASON) {
        await this.#keepStoppedUpload();
        this.#setState(UploadState.Paused);
        return;
      }
      if (signal.aborted && signal.reason === CANCEL_REASON) return;
      const error = toUploadError(thrown);
      // A provider without a listing (or whose session expired mid-upload) only says so when a part or complete fails.
      startOver = startOversLeft > 0 && error.code === UploadErrorCode.NotFound && this.#session !== undefined;
      if (startOver) {
        this.#env.emit('warning', { taskId: this.id, error });
      } else {
        this.error = error;
        await this.#keepStoppedUpload();
        this.#setState(UploadState.Failed);
        this.#env.emit('task-error', { taskId: this.id, error: this.error });
        await this.#reportFailure(this.error);
      }
    } finally {
      this.#hashState = this.#hashRun?.savedState() ?? this.#hashState;
      this.#hashRun?.cancel();
      this.#hashRun = undefined;
      this.#wholeFile = undefined;
      releaseLock?.();
      if (startOver) await this.#dropSession();
    }
    if (startOver) await this.#run(startOversLeft - 1);
  }

  /** Forgets a session the provider no longer has, with its parts and hash state, so that the next run creates anew. */
  async #dropSession(): Promise<void> {
    await this.#forgetCheckpoint();
    this.#session = undefined;
    this.#receipts.clear();
    this.#storedBytes = undefined;
    this.#unverifiedParts.clear();
    this.#inFlight.clear();
    this.#hashState = undefined;
    this.resumed = false;
  }

  /** Lets a provider that tracks upload states hear of the failure; its own failure only warns. */
  async #reportFailure(error: UploadError): Promise<void> {
    const { adapter } = this.#env;
    if (this.#session === undefined || !adapter.fail || !this.#plan) return;
    try {
      await adapter.fail(this.#context(new AbortController().signal, this.#plan), this.#session, error);
    } catch (thrown) {
      this.#env.emit('warning', { taskId: this.id, error: toUploadError(thrown) });
    }
  }

  #finish(): void {
    this.#inFlight.clear();
    this.#setState(UploadState.Done);
    this.#emitProgress();
    this.#env.emit('task-complete', { taskId: this.id, result: this.result! });
  }

  /** Finds or creates the provider session: from memory after a pause, from a checkpoint after a reload, or anew. */
  async #prepare(signal: AbortSignal): Promise<AdapterContext> {
    const { adapter, retryPolicy } = this.#env;
    const retry = <T>(operation: () => Promise<T>) => withRetry(operation, retryPolicy, this.#retryHooks(signal));
    if (this.#session === undefined) await this.#loadCheckpoint();
    this.#plan ??= adapter.planParts?.(describe(this.file), this.#env.partSize)
      ?? planParts(this.file.size, adapter.limits, this.#env.partSize);
    const plan = this.#plan;
    const ctx = this.#context(signal, plan);

    if (this.#session !== undefined && this.resumed && adapter.listParts && this.#receipts.size > 0) {
      try {
        this.#acceptListedParts(await retry(() => adapter.listParts!(ctx, this.#session)));
      } catch (thrown) {
        const error = toUploadError(thrown);
        if (error.unsupported) {
          // Without a listing, the receipts this page saved (each with the ETag the store gave) are the best truth.
          this.#env.emit('warning', {
            taskId: this.id,
            error: new UploadError(
              error.code,
              'The storage cannot list the parts it holds, so the upload trusts the parts this page recorded as stored.',
              { retryable: false, status: error.status, provider: error.provider, unsupported: true, cause: error },
            ),
          });
          this.#unverifiedParts = new Set(this.#receipts.keys());
        } else {
          if (error.code !== UploadErrorCode.NotFound) throw error;
          this.#env.emit('warning', { taskId: this.id, error });
          await this.#dropSession();
        }
      }
    }
    if (adapter.prepare) await retry(() => adapter.prepare!(ctx));
    this.#startHashing(plan);

    if (this.#session === undefined) {
      const needsHashFirst = adapter.digests(describe(this.file)).some((spec) => spec.when === 'before-create');
      this.#setState(needsHashFirst ? UploadState.Hashing : UploadState.Uploading);
      // A pause or cancel does not cut off a creating request: the provider may make the upload all the same, and only
      // its answer says which. A session made after the signal fired is kept (a pause continues it, a cancel aborts it).
      const created = await retry(() => adapter.create(this.#context(signal, plan, undefined, { creating: true })));
      if (created.kind === 'done') {
        signal.throwIfAborted();
        this.result = created.result;
        return ctx;
      }
      this.#session = created.session;
      await this.#saveCheckpoint(plan);
      signal.throwIfAborted();
    }
    return ctx;
  }

  /**
   * Completes the upload. When it fails over parts that were taken on trust (no listing), those parts go up again,
   * the ones the store named or else all of them, and completing is tried again; the session itself is kept.
   */
  async #complete(ctx: AdapterContext, signal: AbortSignal): Promise<UploadResult> {
    const { adapter, retryPolicy } = this.#env;
    for (;;) {
      const receipts = [...this.#receipts.values()].sort((a, b) => a.partNumber - b.partNumber);
      try {
        return await withRetry(() => adapter.complete(ctx, this.#session, receipts), retryPolicy, this.#retryHooks(signal));
      } catch (thrown) {
        const error = toUploadError(thrown);
        const trusted = this.#unverifiedParts;
        if (!error.refusedParts || trusted.size === 0) throw error;
        const named = error.refusedParts.filter((partNumber) => trusted.has(partNumber));
        const resend = named.length > 0 ? named : [...trusted];
        this.#env.emit('warning', { taskId: this.id, error });
        for (const partNumber of resend) {
          this.#receipts.delete(partNumber);
          this.#storedBytes = undefined;
          trusted.delete(partNumber);
        }
        await this.#saveCheckpoint(this.#plan!);
        // The running hash job skipped the parts that had receipts; a new one computes what their re-send needs.
        this.#hashState = this.#hashRun?.savedState() ?? this.#hashState;
        this.#hashRun?.cancel();
        this.#hashRun = undefined;
        this.#startHashing(this.#plan!);
        this.#setState(UploadState.Uploading);
        await this.#uploadParts(signal);
        this.#setState(UploadState.Completing);
      }
    }
  }

  async #loadCheckpoint(): Promise<void> {
    const store = this.#store();
    if (!store || !this.#fingerprint) return;
    const { record, warning } = await store.load(this.#fingerprint);
    if (warning) this.#env.emit('warning', { taskId: this.id, error: warning });
    if (record) this.#checkpointKept = true;
    const { adapter } = this.#env;
    if (
      !record ||
      record.adapterId !== adapter.id ||
      record.target !== adapter.target ||
      record.file.size !== this.file.size ||
      record.file.lastModified !== this.file.lastModified
    ) {
      return;
    }
    this.#plan = record.plan;
    this.#session = record.session;
    this.#receipts = new Map(record.receipts.map((receipt) => [receipt.partNumber, receipt]));
    this.#storedBytes = undefined;
    this.#hashState = record.hashState;
    this.resumed = true;
  }

  /** The provider's listing is the truth; a listed part of the wrong size (another plan) is sent again. */
  #acceptListedParts(listed: PartReceipt[]): void {
    const plan = this.#plan!;
    this.#storedBytes = undefined;
    this.#receipts = new Map(
      listed
        .filter((receipt) => receipt.partNumber >= 1 && receipt.partNumber <= plan.partCount)
        .filter((receipt) => receipt.size === partSize(plan, this.file.size, receipt.partNumber))
        .map((receipt) => [receipt.partNumber, receipt]),
    );
  }

  /**
   * A one-part upload has nothing stored to resume from until its only part is done, so while it runs it writes no
   * checkpoint (a crash costs that part, as it would with one): only when it stops short, or when a record from an
   * earlier visit is already there. For a batch of small files this saves three IndexedDB transactions a file.
   */
  #checkpointDeferred(plan: PartPlan): boolean {
    return plan.partCount === 1 && !this.#checkpointKept;
  }

  /** Writes the deferred checkpoint of an upload that paused or failed, so that a later visit can go on with its session. */
  async #keepStoppedUpload(): Promise<void> {
    const plan = this.#plan;
    if (this.#session === undefined || !plan || !this.#checkpointDeferred(plan)) return;
    await this.#saveCheckpoint(plan, { stopping: true });
  }

  async #saveCheckpoint(plan: PartPlan, { stopping = false } = {}): Promise<void> {
    const store = this.#store();
    if (!store || !this.#fingerprint || (!stopping && this.#checkpointDeferred(plan))) return;
    const now = Date.now();
    const record: CheckpointRecord = {
      version: 1,
      fingerprint: this.#fingerprint,
      adapterId: this.#env.adapter.id,
      target: this.#env.adapter.target,
      file: describe(this.file),
      plan,
      session: this.#session,
      receipts: [...this.#receipts.values()],
      handle: fileHandleOf(this.file),
      createdAt: now,
      updatedAt: now,
    };
    await this.#guardStorage(() => store.save(record));
    this.#checkpointKept = true;
  }

  async #forgetCheckpoint(): Promise<void> {
    const store = this.#store();
    if (!store || !this.#fingerprint || (this.#plan && this.#checkpointDeferred(this.#plan))) return;
    await this.#guardStorage(() => store.remove(this.#fingerprint!));
    this.#checkpointKept = false;
  }

  #store(): CheckpointStore | undefined {
    return this.#storeDisabled ? undefined : this.#env.store;
  }

  /** A full or broken IndexedDB costs resume, never the upload: warn once and go on without checkpoints. */
  async #guardStorage(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (thrown) {
      // The store refuses a record holding a URL or token with a TypeError: an adapter bug, never to be hidden.
      if (thrown instanceof TypeError) throw thrown;
      this.#storeDisabled = true;
      const error = toUploadError(thrown);
      this.#env.emit('warning', {
        taskId: this.id,
        error:
          error.code === UploadErrorCode.StorageFull
            ? error
            : new UploadError(UploadErrorCode.StorageFull, 'Resume data could not be saved; the upload goes on without it.', {
                cause: thrown,
              }),
      });
    }
  }

  #startHashing(plan: PartPlan): void {
    const specs = this.#env.adapter.digests(describe(this.file));
    if (specs.length === 0 || this.#hashRun) return;
    const client = this.#env.hashClient();
    const run = client.start({
      blob: this.file,
      plan,
      specs,
      skipParts: this.#receipts.keys(),
      resumeFrom: this.#hashState,
      // Digests the lanes use as they go are read no further ahead of them than the pool can hash in parallel, so
      // that memory stays bounded by the parts in flight, not the file's size; create's digests must all be there.
      ...(specs.every((spec) => spec.when !== 'before-create') && { partsAhead: client.workers }),
      wholeFile: this.#wholeFile,
    });
    this.#wholeFile = undefined;
    run.onProgress = (bytesHashed) => {
      this.#bytesHashed = bytesHashed;
      if (this.#state === UploadState.Hashing) this.#emitProgress();
    };
    // A read failure also rejects the digest the upload waits on; this handler only keeps it from going unhandled.
    run.done.catch(() => undefined);
    this.#hashRun = run;
  }

  /** The manager's retry hooks, plus a record of each wait so that the file can say when it tries again. */
  #retryHooks(signal: AbortSignal): RetryHooks {
    const hooks = this.#env.retryHooks;
    const wait = hooks.wait ?? sleep;
    return {
      ...hooks,
      signal,
      onRetry: (error, delayMs, attempt) => {
        hooks.onRetry?.(error, delayMs, attempt);
        // A re-sign (no delay) is not a retry a person needs to hear about.
        if (delayMs <= 0) return;
        this.#retryWait = { attempt: attempt + 1, attempts: this.#env.retryPolicy.retries, at: Date.now() + delayMs, error };
        this.#emitProgress();
      },
      wait: async (ms, waitSignal) => {
        try {
          await wait(ms, waitSignal);
        } finally {
          this.#retryWait = undefined;
          this.#emitProgress();
        }
      },
    };
  }

  /**
   * What the adapter may use; while `creating`, requests already sent outlive the signal and none start after it
   * unless the adapter marks them to.
   */
  #context(
    signal: AbortSignal,
    plan: PartPlan,
    onUploadProgress?: (loaded: number) => void,
    { creating = false } = {},
  ): AdapterContext {
    const receipts = () => [...this.#receipts.values()];
    return {
      file: describe(this.file),
      blob: this.file,
      plan,
      signal,
      get receipts() {
        return receipts();
      },
      saveSession: () => this.#saveCheckpoint(plan),
      send: async (request, options) => {
        // An adapter's own clean-up (a request it marks to outlive the stop, such as ending what its creating call made) still goes.
        if (creating && !options?.outlivesAbort) signal.throwIfAborted();
        const outlives = creating || options?.outlivesAbort;
        return this.#send(request, outlives ? new AbortController().signal : signal, options?.acceptStatus, onUploadProgress);
      },
      digest: (name, partNumber) => {
        if (!this.#hashRun) {
          return Promise.reject(new UploadError(UploadErrorCode.BadResponse, `The digest "${name}" was not declared by the adapter.`));
        }
        return this.#hashRun.digest(name, partNumber);
      },
    };
  }

  async #send(
    request: HttpRequest,
    signal: AbortSignal,
    acceptStatus: number[] | undefined,
    onUploadProgress?: (loaded: number) => void,
  ): Promise<HttpResponse> {
    const response = await this.#env.transport(request, { signal, onUploadProgress });
    if ((response.status >= 200 && response.status < 300) || acceptStatus?.includes(response.status)) return response;
    throw this.#env.adapter.parseError(response, request);
  }

  async #uploadParts(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const plan = this.#plan!;
    const pending: number[] = [];
    for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
      if (!this.#receipts.has(partNumber)) pending.push(partNumber);
    }
    const sequential = this.#env.adapter.sequentialParts?.(this.#session) ?? false;
    const lanes = sequential ? 1 : Math.min(this.#env.concurrency, pending.length);
    // One failed part stops the file's other lanes; the failure, not their abort, is what gets reported.
    const lanesController = new AbortController();
    const abortLanes = () => lanesController.abort(signal.reason);
    signal.addEventListener('abort', abortLanes, { once: true });
    let next = 0;
    const receiptWrites: Promise<void>[] = [];
    const lane = async () => {
      while (next < pending.length) {
        const partNumber = pending[next++];
        this.#hashRun?.take(partNumber);
        try {
          const { written } = await this.#uploadPart(partNumber, lanesController.signal);
          receiptWrites.push(written);
        } catch (thrown) {
          if (!lanesController.signal.aborted) lanesController.abort(thrown);
          throw thrown;
        }
      }
    };
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: lanes }, lane));
      // Every part sent counts as stored, and is in the checkpoint, before the upload completes or says it paused.
      const writes = await Promise.allSettled(receiptWrites);
      const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failure) throw lanesController.signal.reason ?? failure.reason;
      const writeFailure = writes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (writeFailure) throw writeFailure.reason;
    } finally {
      signal.removeEventListener('abort', abortLanes);
    }
  }

  /**
   * Sends one part and resolves once the request is done, with `written`: its receipt's way into the checkpoint. The
   * lane goes on to its next part meanwhile (a one-lane provider would otherwise wait for IndexedDB between requests);
   * the part counts as stored only once `written` resolves, so a crash never loses a part the bar showed as stored.
   */
  async #uploadPart(partNumber: number, signal: AbortSignal): Promise<{ written: Promise<void> }> {
    const release = await this.#env.slots.acquire(signal);
    const plan = this.#plan!;
    const part = partAt(this.file, plan, partNumber);
    let receipt: PartReceipt;
    try {
      const { adapter, retryPolicy } = this.#env;
      receipt = await withRetry(
        () => {
          this.#inFlight.set(partNumber, 0);
          const partContext = this.#context(signal, plan, (loaded) => {
            this.#inFlight.set(partNumber, Math.min(loaded, part.size));
            this.#emitProgress();
          });
          return adapter.uploadPart(partContext, this.#session, part).catch((thrown) =>
            this.#explainNetworkError(thrown, part.blob),
          );
        },
        retryPolicy,
        this.#retryHooks(signal),
      );
    } catch (thrown) {
      this.#inFlight.delete(partNumber);
      throw thrown;
    } finally {
      release();
    }
    this.#inFlight.set(partNumber, part.size);
    return { written: this.#keepReceipt(plan, receipt) };
  }

  /** Writes a part's receipt to the checkpoint, then counts the part as stored. */
  async #keepReceipt(plan: PartPlan, receipt: PartReceipt): Promise<void> {
    const { partNumber } = receipt;
    try {
      const store = this.#store();
      if (store && this.#fingerprint && !this.#checkpointDeferred(plan)) {
        await this.#guardStorage(async () => {
          await store.addReceipt(this.#fingerprint!, receipt);
          const hashState = this.#hashRun?.savedState();
          if (hashState && hashState.length > 0) await store.setHashState(this.#fingerprint!, hashState);
        });
      }
      if (this.#storedBytes !== undefined && !this.#receipts.has(partNumber)) this.#storedBytes += partSize(plan, this.file.size, partNumber);
      this.#receipts.set(partNumber, receipt);
    } finally {
      this.#inFlight.delete(partNumber);
      this.#emitProgress();
    }
  }

  /**
   * A request body that cannot be read fails like a dropped connection. Reading one byte of the part tells the two
   * apart, so a file changed or deleted on disk fails at once with a clear error instead of retrying.
   */
  async #explainNetworkError(thrown: unknown, blob: Blob): Promise<never> {
    if (thrown instanceof UploadError && thrown.code === UploadErrorCode.Network) {
      try {
        await blob.slice(0, 1).arrayBuffer();
      } catch (readError) {
        throw toUploadError(readError);
      }
    }
    throw thrown;
  }

  #bytesSent(): number {
    if (this.#state === UploadState.Done) return this.file.size;
    let bytes = this.#bytesStored();
    for (const loaded of this.#inFlight.values()) bytes += loaded;
    return bytes;
  }

  #bytesStored(): number {
    if (this.#state === UploadState.Done) return this.file.size;
    const plan = this.#plan;
    if (!plan) return 0;
    if (this.#storedBytes === undefined) {
      // Arithmetic, not Blob.slice(): each slice is an IPC in Chromium.
      this.#storedBytes = 0;
      for (const partNumber of this.#receipts.keys()) this.#storedBytes += partSize(plan, this.file.size, partNumber);
    }
    const bytes = this.#storedBytes;
    return bytes;
  }

  #emitProgress(): void {
    this.#speed.update(this.#bytesSent());
    this.#env.emit('task-progress', { taskId: this.id, progress: this.progress });
  }

  #setState(state: UploadState): void {
    if (this.#state === state) return;
    if (!canMove(this.#state, state)) throw new Error(`UploadTask: no move from ${this.#state} to ${state} in UPLOAD_TRANSITIONS.`);
    this.#state = state;
    this.#env.emit('task-state', { taskId: this.id, state });
  }
}
