import { UploadError, UploadErrorCode, toUploadError } from '../core/errors.js';
import type { SavedHashState } from '../core/types.js';
import type { PartPlan } from '../core/adapter.js';
import type { DigestSpec, HashAlgorithm } from './digest-spec.js';
import type { ClientMessage, WorkerMessage } from './hash-protocol.js';
import { JobLayout, isPerPartScope } from './job-layout.js';
import { createHashWorker } from './worker-source.js';

const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

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
  /** Stops reading; pending digests and `done` reject with `aborted`. */
  cancel(): void;
}

/** Options of `HashClient`. */
export interface HashClientOptions {
  /** Bytes per read; default 4 MiB. */
  chunkSize?: number;
  /** Makes the worker; the default loads `hash.worker.ts` next to this module, or `workerUrl` when given. */
  createWorker?: () => Worker;
  /** Where the hashing worker script is served (same origin, or another one with CORS); see `createHashWorker`. */
  workerUrl?: string | URL;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
  settled: boolean;
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
  readonly #digests = new Map<string, Deferred<string | number[]>>();
  readonly #states = new Map<HashAlgorithm, SavedHashState>();
  readonly #done = deferred<void>();
  #failure: UploadError | undefined;

  constructor(layout: JobLayout, stop: () => void) {
    this.#layout = layout;
    this.#stop = stop;
  }

  get done(): Promise<void> {
    return this.#done.promise;
  }

  digest(name: string, partNumber?: number): Promise<string | number[]> {
    const reason = this.#layout.unavailable(name, partNumber);
    if (reason !== undefined) return Promise.reject(new RangeError(reason));
    return this.#entry(name, partNumber).promise;
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
      case 'progress':
        this.onProgress?.(message.bytesHashed, message.bytesTotal);
        break;
      case 'done':
        this.#done.resolve();
        for (const [key, entry] of this.#digests) {
          if (!entry.settled) entry.reject(new Error(`The hashing worker finished without computing ${key}.`));
        }
        break;
      case 'failed':
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
 * Hashes blobs in a module Web Worker, created on the first job so that neither the worker nor hash-wasm loads
 * before hashing is needed. One worker serves every job of this client.
 */
export class HashClient {
  readonly #chunkSize: number;
  readonly #createWorker: () => Worker;
  readonly #runs = new Map<number, ActiveRun>();
  #worker: Worker | undefined;
  #nextJobId = 1;

  constructor(options: HashClientOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`Bad chunk size ${chunkSize}.`);
    this.#chunkSize = chunkSize;
    const { workerUrl } = options;
    this.#createWorker = options.createWorker ?? (() => createHashWorker(workerUrl));
  }

  /** Starts hashing; throws a RangeError at once for a job that is built wrongly (plan not covering the blob, bad spec). */
  start(job: HashJob): HashRun {
    const layout = new JobLayout(job.blob.size, job.plan, job.specs, job.skipParts ?? []);
    const jobId = this.#nextJobId++;
    const run = new ActiveRun(layout, () => {
      this.#runs.delete(jobId);
      this.#worker?.postMessage({ type: 'cancel', jobId } satisfies ClientMessage);
    });
    this.#runs.set(jobId, run);
    const message: ClientMessage = {
      type: 'start',
      jobId,
      blob: job.blob,
      plan: { partSize: job.plan.partSize, partCount: job.plan.partCount },
      specs: job.specs,
      skipParts: [...layout.skip],
      resumeFrom: job.resumeFrom ?? [],
      chunkSize: this.#chunkSize,
    };
    try {
      this.#ensureWorker().postMessage(message);
    } catch (thrown) {
      this.#failAll(toUploadError(thrown));
    }
    return run;
  }

  /** Stops the worker; running jobs reject with `aborted`, and the next job starts a new worker. */
  terminate(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#failAll(new UploadError(UploadErrorCode.Aborted, 'Hashing was canceled.'));
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = this.#createWorker();
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      const run = this.#runs.get(message.jobId);
      if (!run) return;
      if (message.type === 'done' || message.type === 'failed') this.#runs.delete(message.jobId);
      run.receive(message);
    });
    const broken = (detail: string): void => {
      // The worker script itself failed (not found, blocked by CSP, a syntax error): no job on it can finish.
      worker.terminate();
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(
        new UploadError(UploadErrorCode.WorkerUnavailable, `The hashing worker failed: ${detail}`, { retryable: false }),
      );
    };
    worker.addEventListener('error', (event) => broken(event.message || 'it could not start'));
    worker.addEventListener('messageerror', () => broken('a message could not be read'));
    this.#worker = worker;
    return worker;
  }

  #failAll(error: UploadError): void {
    const runs = [...this.#runs.values()];
    this.#runs.clear();
    for (const run of runs) run.fail(error);
  }
}
