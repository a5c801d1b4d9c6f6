import { UploadError, UploadErrorCode, toUploadError } from '../core/errors.js';
import type { SavedHashState } from '../core/types.js';
import type { PartPlan } from '../core/adapter.js';
import type { DigestSpec, HashAlgorithm } from './digest-spec.js';
import type { ClientMessage, StartJobMessage, WorkerMessage } from './hash-protocol.js';
import { JobLayout, isPerPartScope } from './job-layout.js';
import { createHashWorker } from './worker-source.js';

const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
const DEFAULT_IDLE_MS = 10_000;
const DEFAULT_RETIRE_AFTER_BYTES = 64 * 1024 * 1024;

/** One blob to hash and the digests wanted from it. */
export interface HashJob {
  blob: Blob;
  /** `{ partSize, partCount }`; parts are `partSize` except the last. */
  plan: PartPlan;
  /** What to compute (see adapter.ts for the scope, encoding and moment of each). */
  specs: DigestSpec[];
  /** Parts already uploaded: no per-part value is computed for them, and their bytes are read only if a whole-file hasher needs them. */
  skipParts?: Iterable<number>;
  /** Whole-file hasher states saved earlier: hashing continues from their byte count instead of re-reading. */
  resumeFrom?: SavedHashState[];
  /**
   * Paces a job of per-part digests only: no part further than this many part numbers past the last part taken
   * (`HashRun.take`, or asked for with `digest`) is read, so that what hashing reads ahead of the upload lanes stays
   * bounded however large the file. Unset, hashing runs as far ahead as it can; other jobs are never paced.
   */
  partsAhead?: number;
  /**
   * All of the blob's bytes, when the page has read them already (a small file's fingerprint does): a job hashed by
   * one worker takes them instead of reading the blob again. Transferred, so the caller gives them up.
   */
  wholeFile?: ArrayBuffer;
}

/** A running hash job. */
export interface HashRun {
  /**
   * Resolves when the named digest is ready (`partNumber` for the per-part and state scopes). Rejects with an
   * UploadError when the read fails or the run is canceled, and at once with a RangeError when the value can never
   * exist (unknown name, part out of range or skipped, or a state inside a hash block).
   */
  digest(name: string, partNumber?: number): Promise<string | number[]>;
  /** Resolves when every requested digest is computed; rejects with UploadError on a read failure or cancel. */
  readonly done: Promise<void>;
  /** Called as bytes are hashed; `bytesTotal` counts the bytes this run reads (resumed and skipped bytes are not read). */
  onProgress?: (bytesHashed: number, bytesTotal: number) => void;
  /** The whole-file hashers' states at the latest block-aligned part boundary reached, for checkpoints. */
  savedState(): SavedHashState[];
  /** Says that an upload lane has taken part `partNumber`, which lets a paced job (`partsAhead`) read on. */
  take(partNumber: number): void;
  /** Stops reading; pending digests and `done` reject with `aborted`. */
  cancel(): void;
}

/** Options of `HashClient`. */
export interface HashClientOptions {
  /** Bytes per read; default 4 MiB. */
  chunkSize?: number;
  /** Makes a worker; the default loads `hash.worker.ts` next to this module, or `workerUrl` when given. */
  createWorker?: () => Worker;
  /** Where the hashing worker script is served (same origin, or another one with CORS); see `createHashWorker`. */
  workerUrl?: string | URL;
  /**
   * Workers at most (default 1). With two or more, per-part digests are spread over them, each part read once by the
   * worker that hashes it, and a whole-file job reads in one worker while it hashes in another.
   */
  workers?: number;
  /**
   * How long a worker with nothing to do is kept (default 10 s). A worker keeps every Blob it was handed alive until
   * its heap is collected, which an idle worker hardly ever does: a page's in-memory Blob would stay in memory after
   * the page let go of it. Ending the worker frees them; the next job starts a new one (tens of milliseconds).
   */
  idleMs?: number;
  /**
   * Bytes of Blobs handed to one worker after which it is ended as soon as it has nothing to do (default 64 MiB), so
   * that large in-memory Blobs, and a long batch of small ones, are let go of when their hashing ends
   * (`npm run bench:blob-memory` shows what keeping them costs).
   */
  retireAfterBytes?: number;
}

/**
 * The pool size for a manager with `partsInFlight` parts in flight: one worker per core, at least one, and never more
 * than the lanes can use (one hashing each part in flight, one ahead).
 */
export function hashWorkerCount(partsInFlight: number, cores = globalThis.navigator?.hardwareConcurrency): number {
  return Math.max(1, Math.min(cores || 1, partsInFlight + 1));
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
  settled: boolean;
}

/** How a paced run tells its workers to read on. */
interface Pacing {
  partsAhead: number;
  allow(readTo: number): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody asked about (a digest never awaited after a cancel) must not surface as unhandled.
  promise.catch(() => undefined);
  const entry: Deferred<T> = {
    promise,
    resolve: (value) => {
      entry.settled = true;
      resolve(value);
    },
    reject: (reason) => {
      entry.settled = true;
      reject(reason);
    },
    settled: false,
  };
  return entry;
}

/** WebAssembly refused by the policy of the worker's page or script (`CompileError` naming the directive in Chromium). */
function isWasmRefused(error: { name: string; message: string }): boolean {
  return error.name === 'CompileError' && /Content.Security.Policy|unsafe-eval/i.test(error.message);
}

function workerFailure(error: { name: string; message: string }): UploadError {
  if (!isWasmRefused(error)) return toUploadError(new DOMException(error.message, error.name));
  return new UploadError(
    UploadErrorCode.HashingUnavailable,
    `Hashing needs WebAssembly, which the Content-Security-Policy forbids: add 'wasm-unsafe-eval' to script-src ` +
      `(the policy of the page, and of the worker script's own response). ${error.message}`,
    { retryable: false },
  );
}

/** The main-thread side of one job: collects what the worker posts and answers `digest()` calls. */
class ActiveRun implements HashRun {
  onProgress?: (bytesHashed: number, bytesTotal: number) => void;
  readonly #layout: JobLayout;
  readonly #stop: () => void;
  /** The bytes each worker job of this run has hashed. */
  readonly #hashedByJob = new Map<number, number>();
  /** Known up front when the run is split over several jobs; otherwise the one job reports it. */
  readonly #bytesTotal: number | undefined;
  #jobsRunning: number;
  readonly #digests = new Map<string, Deferred<string | number[]>>();
  readonly #states = new Map<HashAlgorithm, SavedHashState>();
  readonly #done = deferred<void>();
  #failure: UploadError | undefined;
  readonly #pacing: Pacing | undefined;
  /** The highest part number taken or asked for. */
  #taken = 0;

  constructor(layout: JobLayout, jobCount: number, bytesTotal: number | undefined, stop: () => void, pacing?: Pacing) {
    this.#layout = layout;
    this.#stop = stop;
    this.#jobsRunning = jobCount;
    this.#bytesTotal = bytesTotal;
    this.#pacing = pacing;
  }

  /** The byte before which a paced job may read. */
  get readTo(): number {
    const { partsAhead } = this.#pacing ?? { partsAhead: Number.POSITIVE_INFINITY };
    const through = Math.min(this.#taken + partsAhead, this.#layout.partCount);
    return this.#layout.partEnd(through);
  }

  get done(): Promise<void> {
    return this.#done.promise;
  }

  digest(name: string, partNumber?: number): Promise<string | number[]> {
    const reason = this.#layout.unavailable(name, partNumber);
    if (reason !== undefined) return Promise.reject(new RangeError(reason));
    // A digest asked for is one a caller waits on: a paced job must reach it whatever the lanes said.
    if (partNumber !== undefined) this.take(partNumber);
    return this.#entry(name, partNumber).promise;
  }

  take(partNumber: number): void {
    if (!this.#pacing || partNumber <= this.#taken || this.#done.settled) return;
    this.#taken = partNumber;
    this.#pacing.allow(this.readTo);
  }

  savedState(): SavedHashState[] {
    return [...this.#states.values()].map((state) => ({ ...state, words: [...state.words] }));
  }

  cancel(): void {
    if (this.#done.settled) return;
    this.#stop();
    this.fail(new UploadError(UploadErrorCode.Aborted, 'Hashing was canceled.'));
  }

  /** Takes one message the worker posted for this run. */
  receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'digest':
        this.#entry(message.name, message.partNumber).resolve(message.value);
        break;
      case 'state':
        this.#states.set(message.state.algorithm, message.state);
        break;
      case 'progress': {
        this.#hashedByJob.set(message.jobId, message.bytesHashed);
        let hashed = 0;
        for (const bytes of this.#hashedByJob.values()) hashed += bytes;
        this.onProgress?.(hashed, this.#bytesTotal ?? message.bytesTotal);
        break;
      }
      case 'done':
        if (--this.#jobsRunning > 0) break;
        this.#done.resolve();
        for (const [key, entry] of this.#digests) {
          if (!entry.settled) entry.reject(new Error(`The hashing worker finished without computing ${key}.`));
        }
        break;
      case 'failed':
        // The run's other jobs, if any, can stop: the run has failed.
        this.#stop();
        this.fail(workerFailure(message.error));
        break;
    }
  }

  /** Rejects `done` and every digest not yet known. */
  fail(error: UploadError): void {
    if (this.#done.settled) return;
    this.#failure = error;
    this.#done.reject(error);
    for (const entry of this.#digests.values()) if (!entry.settled) entry.reject(error);
  }

  #entry(name: string, partNumber: number | undefined): Deferred<string | number[]> {
    const spec = this.#layout.specs.get(name);
    const key = spec && isPerPartScope(spec.scope) ? `${name}#${partNumber}` : name;
    let entry = this.#digests.get(key);
    if (!entry) {
      entry = deferred();
      this.#digests.set(key, entry);
      if (this.#failure) entry.reject(this.#failure);
      else if (this.#done.settled) entry.reject(new Error(`The hashing worker finished without computing ${key}.`));
    }
    return entry;
  }
}

/**
 * Hashes blobs in module Web Workers, created on the first job that needs them so that neither a worker nor hash-wasm
 * loads before hashing is needed. The workers serve every job of this client.
 */
export class HashClient {
  readonly #chunkSize: number;
  readonly #createWorker: () => Worker;
  readonly #poolSize: number;
  readonly #runs = new Map<number, ActiveRun>();
  readonly #workers: Array<Worker | undefined> = [];
  /** The workers each unfinished job piece runs on (the one hashing it, and the one reading for it), to tell idle ones. */
  readonly #jobsOn = new Map<number, Worker[]>();
  /** Bytes of Blobs handed to each started worker. */
  readonly #handed = new Map<Worker, number>();
  readonly #idleTimers = new Map<Worker, ReturnType<typeof setTimeout>>();
  readonly #idleMs: number;
  readonly #retireAfterBytes: number;
  /** The worker the next job's first (or only) piece goes to, so that files share the pool. */
  #nextWorker = 0;
  #nextJobId = 1;

  constructor(options: HashClientOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`Bad chunk size ${chunkSize}.`);
    const workers = options.workers ?? 1;
    if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`Bad worker count ${workers}.`);
    const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    if (!(idleMs >= 0)) throw new RangeError(`Bad idle time ${idleMs}.`);
    const retireAfterBytes = options.retireAfterBytes ?? DEFAULT_RETIRE_AFTER_BYTES;
    if (!(retireAfterBytes > 0)) throw new RangeError(`Bad byte count ${retireAfterBytes}.`);
    this.#chunkSize = chunkSize;
    this.#idleMs = idleMs;
    this.#retireAfterBytes = retireAfterBytes;
    const { workerUrl } = options;
    this.#createWorker = options.createWorker ?? (() => createHashWorker(workerUrl));
    this.#poolSize = workers;
  }

  /** How many workers the pool has at most. */
  get workers(): number {
    return this.#poolSize;
  }

  /** Starts hashing; throws a RangeError at once for a job that is built wrongly (plan not covering the blob, bad spec). */
  start(job: HashJob): HashRun {
    const layout = new JobLayout(job.blob.size, job.plan, job.specs, job.skipParts ?? []);
    const pieces = this.#split(layout);
    const first = pieces.length === 1 ? this.#placeOne() : this.#nextWorker;
    this.#nextWorker = (first + 1) % this.#poolSize;
    const workerFor = (index: number): Worker => this.#worker((first + index) % this.#poolSize);
    const jobIds = pieces.map(() => this.#nextJobId++);
    const placed: Array<[Worker, number]> = [];
    const bytesTotal = pieces.length > 1 ? pieces.reduce((sum, piece) => sum + piece.bytes, 0) : undefined;
    const paced = job.partsAhead !== undefined && pieces.every((piece) => !piece.readElsewhere);
    const wholeFile = pieces.length === 1 && job.wholeFile?.byteLength === job.blob.size ? job.wholeFile : undefined;
    const pacing: Pacing | undefined = paced
      ? {
          partsAhead: Math.max(1, job.partsAhead!),
          allow: (readTo) => {
            for (const [worker, jobId] of placed) worker.postMessage({ type: 'allow', jobId, readTo } satisfies ClientMessage);
          },
        }
      : undefined;
    const run = new ActiveRun(
      layout,
      pieces.length,
      bytesTotal,
      () => {
        for (const [worker, jobId] of placed) {
          this.#runs.delete(jobId);
          worker.postMessage({ type: 'cancel', jobId } satisfies ClientMessage);
          this.#release(jobId);
        }
      },
      pacing,
    );
    try {
      pieces.forEach((piece, index) => {
        const jobId = jobIds[index]!;
        this.#runs.set(jobId, run);
        const worker = workerFor(index);
        placed.push([worker, jobId]);
        this.#occupy(jobId, worker, job.blob.size);
        const message: StartJobMessage = {
          type: 'start',
          jobId,
          blob: job.blob,
          plan: { partSize: job.plan.partSize, partCount: job.plan.partCount },
          specs: job.specs,
          skipParts: piece.skipParts,
          resumeFrom: job.resumeFrom ?? [],
          chunkSize: this.#chunkSize,
          ...(pacing && { readTo: run.readTo }),
          ...(wholeFile && { wholeFile }),
        };
        if (piece.readElsewhere && this.#poolSize > 1) {
          const channel = new MessageChannel();
          const reader = workerFor(index + 1);
          this.#occupy(jobId, reader, job.blob.size);
          reader.postMessage({ type: 'read', jobId, blob: job.blob, port: channel.port1 } satisfies ClientMessage, [channel.port1]);
          worker.postMessage({ ...message, source: channel.port2 } satisfies ClientMessage, [channel.port2]);
        } else {
          worker.postMessage(message, wholeFile ? [wholeFile] : []);
        }
      });
    } catch (thrown) {
      // A worker the browser refuses to start (worker-unavailable): every run waiting on the pool fails with it.
      this.#failAll(toUploadError(thrown));
    }
    return run;
  }

  /** Stops the workers; running jobs reject with `aborted`, and the next job starts new workers. */
  terminate(): void {
    this.#endWorkers();
    this.#failAll(new UploadError(UploadErrorCode.Aborted, 'Hashing was canceled.'));
  }

  /**
   * How a job is spread over the pool. Per-part digests are independent, so the parts go round-robin to as many
   * workers as there are (ascending in each, so that the lanes' next parts come first), each read by the worker that
   * hashes it. Anything whole-file is one sequential pass, read by a second worker when there is one.
   */
  #split(layout: JobLayout): Array<{ skipParts: number[]; bytes: number; readElsewhere: boolean }> {
    const specs = [...layout.specs.values()];
    const partsOnly = specs.length > 0 && specs.every((spec) => spec.scope === 'part');
    if (!partsOnly) return [{ skipParts: [...layout.skip], bytes: 0, readElsewhere: true }];
    const parts = layout.partsFor(specs[0]!);
    const count = Math.min(this.#poolSize, parts.length);
    if (count <= 1) return [{ skipParts: [...layout.skip], bytes: 0, readElsewhere: false }];
    return Array.from({ length: count }, (_, index) => {
      const mine = new Set(parts.filter((_, position) => position % count === index));
      const skipParts: number[] = [];
      let bytes = 0;
      for (let partNumber = 1; partNumber <= layout.partCount; partNumber++) {
        if (mine.has(partNumber)) bytes += layout.partEnd(partNumber) - layout.partStart(partNumber);
        else skipParts.push(partNumber);
      }
      return { skipParts, bytes, readElsewhere: false };
    });
  }

  /**
   * Where a job of one piece goes: a started worker with nothing to do, else a slot with no worker yet, else the next
   * in turn. Starting a worker costs tens of milliseconds, far more than hashing a small file, so a batch of small
   * files does not wait for a second worker to start while the first is idle.
   */
  #placeOne(): number {
    const busy = this.#busyWorkers();
    for (let index = 0; index < this.#poolSize; index++) {
      const worker = this.#workers[index];
      if (worker && !busy.has(worker)) return index;
    }
    for (let index = 0; index < this.#poolSize; index++) if (!this.#workers[index]) return index;
    return this.#nextWorker;
  }

  #worker(index: number): Worker {
    const existing = this.#workers[index];
    if (existing) return existing;
    const worker = this.#createWorker();
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === 'done' || message.type === 'failed') this.#release(message.jobId);
      const run = this.#runs.get(message.jobId);
      if (!run) return;
      if (message.type === 'done' || message.type === 'failed') this.#runs.delete(message.jobId);
      run.receive(message);
    });
    const broken = (detail: string): void => {
      // A worker script that failed (not found, blocked by CSP, a syntax error) fails in every worker: no job can finish.
      this.#endWorkers();
      worker.terminate();
      this.#failAll(new UploadError(UploadErrorCode.WorkerUnavailable, `The hashing worker failed: ${detail}`, { retryable: false }));
    };
    worker.addEventListener('error', (event) => broken(event.message || 'it could not start'));
    worker.addEventListener('messageerror', () => broken('a message could not be read'));
    this.#workers[index] = worker;
    return worker;
  }

  #busyWorkers(): Set<Worker> {
    return new Set([...this.#jobsOn.values()].flat());
  }

  /** Notes that job piece `jobId` runs on `worker`, handed a Blob of `bytes`. */
  #occupy(jobId: number, worker: Worker, bytes: number): void {
    clearTimeout(this.#idleTimers.get(worker));
    this.#idleTimers.delete(worker);
    this.#handed.set(worker, (this.#handed.get(worker) ?? 0) + bytes);
    this.#jobsOn.set(jobId, [...(this.#jobsOn.get(jobId) ?? []), worker]);
  }

  /** Job piece `jobId` ended: its workers that now have nothing to do are ended, at once or after `idleMs`. */
  #release(jobId: number): void {
    const workers = this.#jobsOn.get(jobId);
    if (!workers) return;
    this.#jobsOn.delete(jobId);
    const busy = this.#busyWorkers();
    for (const worker of workers) {
      if (busy.has(worker) || this.#idleTimers.has(worker) || !this.#workers.includes(worker)) continue;
      if ((this.#handed.get(worker) ?? 0) >= this.#retireAfterBytes) this.#retire(worker);
      else this.#idleTimers.set(worker, setTimeout(() => this.#retire(worker), this.#idleMs));
    }
  }

  #retire(worker: Worker): void {
    clearTimeout(this.#idleTimers.get(worker));
    this.#idleTimers.delete(worker);
    this.#handed.delete(worker);
    const index = this.#workers.indexOf(worker);
    if (index >= 0) this.#workers[index] = undefined;
    worker.terminate();
  }

  #endWorkers(): void {
    // The pool fills as jobs need workers, so it may have holes.
    for (const worker of this.#workers.splice(0)) worker?.terminate();
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    this.#handed.clear();
    this.#jobsOn.clear();
  }

  #failAll(error: UploadError): void {
    const runs = new Set(this.#runs.values());
    this.#runs.clear();
    for (const run of runs) run.fail(error);
  }
}
