import { createStore, promisifyRequest } from 'idb-keyval';
import type { UseStore } from 'idb-keyval';
import { UploadError, UploadErrorCode } from '../core/errors.js';
import type { CheckpointRecord, SavedHashState } from '../core/types.js';
import type { PartReceipt } from '../core/adapter.js';
import { findHashStateProblem, findReceiptProblem, validateCheckpointRecord } from './checkpoint-schema.js';

/** The IndexedDB database checkpoints live in unless `dbName` says otherwise. */
export const DEFAULT_CHECKPOINT_DB_NAME = 'multi-cloud-uploader';
/** The object store inside that database; idb-keyval allows one store per database. */
export const DEFAULT_CHECKPOINT_STORE_NAME = 'checkpoints';
/** How long an untouched checkpoint stays resumable: 7 days after its `updatedAt`. */
export const DEFAULT_CHECKPOINT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** How a `CheckpointStore` is set up; every field has a default. */
export interface CheckpointStoreOptions {
  dbName?: string;
  storeName?: string;
  /** Milliseconds after `updatedAt` when a record is treated as absent and deleted. */
  maxAgeMs?: number;
  now?: () => number;
  /** for tests: an idb-keyval UseStore */
  customStore?: UseStore;
}

/** What `load` found: the record, nothing, or a warning for the engine to report while it goes on without resume. */
export interface LoadResult {
  record?: CheckpointRecord;
  warning?: UploadError;
}

interface PendingWrite {
  receipts: Map<number, PartReceipt>;
  hashState?: SavedHashState[];
}

/**
 * One write waiting for the next shared transaction: it issues its requests on the store and may refuse its own
 * record (a TypeError for its caller alone) without failing the others.
 */
interface QueuedWrite {
  write: (store: IDBObjectStore, refuse: (error: unknown) => void) => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Sweep {
  kept: CheckpointRecord[];
  problems: string[];
  expired: number;
}

function isQuotaError(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const { name, cause, error: inner, inner: wrapped } = error as { name?: unknown; cause?: unknown; error?: unknown; inner?: unknown };
  if (name === 'QuotaExceededError') return true;
  // An aborted transaction reports AbortError; the QuotaExceededError that caused it hangs off it, depending on who wrapped it.
  return isQuotaError(cause, depth + 1) || isQuotaError(inner, depth + 1) || isQuotaError(wrapped, depth + 1);
}

function storageError(error: unknown): UploadError {
  const message = isQuotaError(error)
    ? 'The browser storage for upload checkpoints is full; the upload goes on without resume.'
    : 'IndexedDB is unavailable; the upload goes on without resume.';
  return new UploadError(UploadErrorCode.StorageFull, message, { cause: error });
}

function refusal(problem: string): TypeError {
  return new TypeError(`Refusing to store a checkpoint: ${problem}.`);
}

/**
 * Keeps one versioned, validated resume record per upload in IndexedDB, keyed by the file fingerprint. Writes to one
 * fingerprint apply in call order; receipts and hash states that arrive while a write is in flight share the next
 * transaction. Writes of all files share transactions too (a group commit): IndexedDB runs readwrite transactions on
 * one store one at a time, so a transaction per write would make every file of a large batch wait for all the others.
 */
export class CheckpointStore {
  readonly #dbName: string;
  readonly #storeName: string;
  readonly #ownsStore: boolean;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #store: UseStore;
  readonly #watched = new WeakSet<IDBDatabase>();
  readonly #tails = new Map<string, Promise<void>>();
  readonly #pending = new Map<string, { write: PendingWrite; durable: Promise<void> }>();
  /** Writes for the next shared transaction; it takes all that have come by the time IndexedDB lets it start. */
  #queued: QueuedWrite[] = [];
  #writing = false;

  constructor(options: CheckpointStoreOptions = {}) {
    this.#dbName = options.dbName ?? DEFAULT_CHECKPOINT_DB_NAME;
    this.#storeName = options.storeName ?? DEFAULT_CHECKPOINT_STORE_NAME;
    this.#ownsStore = options.customStore === undefined;
    this.#store = options.customStore ?? createStore(this.#dbName, this.#storeName);
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_CHECKPOINT_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Reads a file's record; a bad one is deleted with a `checkpoint-corrupt` warning, an expired one deleted silently. */
  load(fingerprint: string): Promise<LoadResult> {
    this.#pending.delete(fingerprint);
    return this.#enqueue(fingerprint, async () => {
      let sweep: Sweep;
      try {
        // Most files have no record, or a good one: a read-only look, which does not queue behind the other files'
        // writes to the store, settles those; only a record to delete takes the read-write pass.
        sweep = (await this.#peek(fingerprint)) ?? (await this.#sweep(fingerprint));
      } catch (error) {
        return { warning: storageError(error) };
      }
      const [problem] = sweep.problems;
      if (problem !== undefined) {
        return {
          warning: new UploadError(UploadErrorCode.CheckpointCorrupt, `The saved progress for this file was discarded: ${problem}.`),
        };
      }
      const [record] = sweep.kept;
      return record === undefined ? {} : { record };
    });
  }

  /**
   * Stores a whole record under its fingerprint, replacing any earlier one. Throws a TypeError for a record that is
   * malformed or holds a credential or signed URL (a programming error), and `storage-full` when IndexedDB fails.
   */
  save(record: CheckpointRecord): Promise<void> {
    const check = validateCheckpointRecord(record);
    if (!check.ok) return Promise.reject(refusal(check.problem));
    const snapshot = structuredClone(record);
    this.#pending.delete(record.fingerprint);
    return this.#enqueue(record.fingerprint, () => this.#write((store) => void store.put(snapshot, snapshot.fingerprint)));
  }

  /**
   * Adds a part's receipt, replacing one with the same part number, and resolves once it is durable. Does nothing when
   * the record is gone. Throws a TypeError for a malformed receipt and `storage-full` when IndexedDB fails.
   */
  addReceipt(fingerprint: string, receipt: PartReceipt): Promise<void> {
    const problem = findReceiptProblem(receipt);
    if (problem !== undefined) return Promise.reject(refusal(problem));
    const pending = this.#pendingWrite(fingerprint);
    pending.write.receipts.set(receipt.partNumber, structuredClone(receipt));
    return pending.durable;
  }

  /** Replaces the saved whole-file hasher states, batched like receipts; does nothing when the record is gone. */
  setHashState(fingerprint: string, state: SavedHashState[]): Promise<void> {
    const problem = findHashStateProblem(state);
    if (problem !== undefined) return Promise.reject(refusal(problem));
    const pending = this.#pendingWrite(fingerprint);
    pending.write.hashState = structuredClone(state);
    return pending.durable;
  }

  /** Deletes a file's record, after every write to it that was asked for earlier. */
  remove(fingerprint: string): Promise<void> {
    this.#pending.delete(fingerprint);
    return this.#enqueue(fingerprint, () => this.#write((store) => void store.delete(fingerprint)));
  }

  /** Returns every valid, unexpired record, deleting the bad and expired ones it meets; throws `storage-full` if it cannot read. */
  async list(): Promise<CheckpointRecord[]> {
    const sweep = await this.#storageCall(() => this.#sweep());
    return sweep.kept;
  }

  /** Deletes every expired or invalid record and returns how many went; throws `storage-full` if it cannot read. */
  async prune(): Promise<number> {
    const sweep = await this.#storageCall(() => this.#sweep());
    return sweep.problems.length + sweep.expired;
  }

  #pendingWrite(fingerprint: string): { write: PendingWrite; durable: Promise<void> } {
    const open = this.#pending.get(fingerprint);
    if (open) return open;
    const write: PendingWrite = { receipts: new Map() };
    const durable = this.#enqueue(fingerprint, () => {
      // From here on the batch is being written; anything that arrives now waits for the next one.
      if (this.#pending.get(fingerprint)?.write === write) this.#pending.delete(fingerprint);
      return this.#apply(fingerprint, write);
    });
    const created = { write, durable };
    this.#pending.set(fingerprint, created);
    return created;
  }

  /** Merges a batch into the stored record, in the next shared transaction. */
  #apply(fingerprint: string, write: PendingWrite): Promise<void> {
    return this.#write((store, refuse) => {
      const request = store.get(fingerprint);
      request.onsuccess = () => {
        const check = validateCheckpointRecord(request.result, fingerprint);
        if (!check.ok) return;
        const merged = this.#merge(check.record, write);
        const mergedCheck = validateCheckpointRecord(merged, fingerprint);
        if (!mergedCheck.ok) return refuse(refusal(mergedCheck.problem));
        try {
          store.put(merged, fingerprint);
        } catch (error) {
          // Thrown from an event handler, it would abort the transaction the other files' writes share.
          refuse(storageError(error));
        }
      };
    });
  }

  /** Queues a write for the next shared readwrite transaction; resolves once that transaction is durable. */
  #write(write: QueuedWrite['write']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queued.push({ write, resolve, reject });
      if (!this.#writing) void this.#flush();
    });
  }

  /** Runs one readwrite transaction at a time, each taking every write queued by the time it starts. */
  async #flush(): Promise<void> {
    this.#writing = true;
    while (this.#queued.length > 0) {
      let batch: QueuedWrite[] = [];
      const refused = new Map<QueuedWrite, unknown>();
      try {
        await this.#transact('readwrite', (store) => {
          batch = this.#queued;
          this.#queued = [];
          for (const queued of batch) {
            try {
              queued.write(store, (error) => refused.set(queued, error));
            } catch (error) {
              // A request that cannot even be issued (a value IndexedDB cannot store) fails its own write alone.
              refused.set(queued, storageError(error));
            }
          }
          return promisifyRequest(store.transaction);
        });
        for (const queued of batch) {
          if (refused.has(queued)) queued.reject(refused.get(queued));
          else queued.resolve();
        }
      } catch (error) {
        // The transaction never ran (no IndexedDB) or failed as a whole: every write that was waiting for it failed.
        if (batch.length === 0) {
          batch = this.#queued;
          this.#queued = [];
        }
        for (const queued of batch) queued.reject(refused.get(queued) ?? storageError(error));
      }
    }
    this.#writing = false;
  }

  #merge(record: CheckpointRecord, write: PendingWrite): CheckpointRecord {
    const receipts = new Map(record.receipts.map((receipt) => [receipt.partNumber, receipt]));
    for (const [partNumber, receipt] of write.receipts) receipts.set(partNumber, receipt);
    const merged: CheckpointRecord = {
      ...record,
      receipts: [...receipts.values()].sort((a, b) => a.partNumber - b.partNumber),
      updatedAt: this.#now(),
    };
    if (write.hashState !== undefined) merged.hashState = write.hashState;
    return merged;
  }

  /** The record under `fingerprint` when it is absent or valid and unexpired; undefined when it must be swept. */
  #peek(fingerprint: string): Promise<Sweep | undefined> {
    return this.#transact('readonly', (store) => {
      const request = store.get(fingerprint);
      return promisifyRequest(request).then((value): Sweep | undefined => {
        if (value === undefined) return { kept: [], problems: [], expired: 0 };
        const check = validateCheckpointRecord(value, fingerprint);
        if (!check.ok || this.#now() - check.record.updatedAt >= this.#maxAgeMs) return undefined;
        return { kept: [check.record], problems: [], expired: 0 };
      });
    });
  }

  /**
   * One readwrite pass over one record or all of them that deletes the invalid and expired ones in the same
   * transaction, so a record written meanwhile by another call is never deleted on the strength of an older read.
   */
  #sweep(fingerprint?: string): Promise<Sweep> {
    return this.#transact('readwrite', (store) => {
      const sweep: Sweep = { kept: [], problems: [], expired: 0 };
      const request = store.openCursor(fingerprint === undefined ? null : IDBKeyRange.only(fingerprint));
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return;
        const check =
          typeof cursor.key === 'string'
            ? validateCheckpointRecord(cursor.value, cursor.key)
            : { ok: false as const, problem: 'the key is not a fingerprint' };
        if (!check.ok) {
          sweep.problems.push(check.problem);
          cursor.delete();
        } else if (this.#now() - check.record.updatedAt >= this.#maxAgeMs) {
          sweep.expired += 1;
          cursor.delete();
        } else {
          sweep.kept.push(check.record);
        }
        cursor.continue();
      };
      return promisifyRequest(store.transaction).then(() => sweep);
    });
  }

  /** Runs a write in order after the earlier ones on the same fingerprint, whether they succeeded or not. */
  #enqueue<T>(fingerprint: string, run: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(fingerprint) ?? Promise.resolve()).then(run);
    // The caller gets the failure through `result`; the chain only needs to know that the write is over.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(fingerprint, tail);
    void tail.then(() => {
      if (this.#tails.get(fingerprint) === tail) this.#tails.delete(fingerprint);
    });
    return result;
  }

  async #storageCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storageError(error);
    }
  }

  #transact<T>(mode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>): Promise<T> {
    // A UseStore can throw before it returns a promise (no `indexedDB` at all); the promise turns that into a rejection.
    return new Promise<T>((resolve) => {
      resolve(
        this.#store(mode, (store) => {
          this.#closeOnVersionChange(store.transaction.db);
          return callback(store);
        }),
      );
    });
  }

  #closeOnVersionChange(db: IDBDatabase): void {
    if (this.#watched.has(db)) return;
    this.#watched.add(db);
    // idb-keyval never closes its connection, which would block another tab's upgrade or deleteDatabase() until this
    // page closes. Closing leaves idb-keyval's cached connection dead, so a store we made ourselves is made afresh.
    db.addEventListener('versionchange', () => {
      db.close();
      if (this.#ownsStore) this.#store = createStore(this.#dbName, this.#storeName);
    });
  }
}
