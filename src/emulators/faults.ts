/**
 * Fault injection shared by the emulators: tests arm faults, the emulator asks before serving each request whether one
 * fires. Every fault counts how often it fired, so a test can tell "retried after the 503" from "never reached it".
 */

/** Which requests a fault applies to; every field given must match. */
export interface FaultMatch {
  /** The emulator's operation name (`UploadPart`, `PutObject`, `CompleteMultipartUpload`, …). */
  operation?: string;
  partNumber?: number;
  key?: string;
}

/** What an emulator knows about a request when it asks for faults. */
export interface FaultTarget {
  operation: string;
  partNumber?: number;
  key?: string;
}

/** The kinds of fault. */
export const FaultKind = {
  /** Answer with an error status (S3: 500 InternalError, 503 SlowDown). */
  Fail: 'fail',
  /** Break the connection: `Response.error()` under msw, a destroyed socket in the Node server. */
  Drop: 'drop',
  /** Hold the request before serving it. */
  Delay: 'delay',
  /** Treat a presigned URL as expired even when it is not. */
  Expire: 'expire',
  /** Make the store forget the upload session the request names, so it answers as the service does for a gone one. */
  LoseSession: 'lose-session',
  /** Serve the request (a part or single PUT is stored) and then break the connection before the answer. */
  StoreThenDrop: 'store-then-drop',
  /** Serve the request (its effect is made) and then hold the answer: a client that stops meanwhile never learns of it. */
  SlowAnswer: 'slow-answer',
} as const;

/** One of {@link FaultKind}. */
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** An armed fault, live: `fired` grows as it fires. */
export interface Fault {
  readonly id: number;
  readonly kind: FaultKind;
  readonly match: FaultMatch;
  /** How many requests it fires on; `Infinity` for all. */
  readonly times: number;
  readonly fired: number;
  /** For `fail`. */
  readonly status?: number;
  /** For `fail`: the `Retry-After` header to send. */
  readonly retryAfter?: string;
  /** For `fail`: the provider's own error code to answer with, in place of the one the status stands for. */
  readonly code?: string;
  /** For `drop`: how many request body bytes are read before the connection breaks. */
  readonly afterBytes?: number;
  /** For `delay` and `slow-answer`, in milliseconds. */
  readonly ms?: number;
}

/** Options of {@link FaultInjector.failRequest}. */
export interface FailOptions {
  status: number;
  times?: number;
  retryAfter?: string;
  /** The provider's own error code to answer with (`NoSuchUpload`, COS `-71`, iFlytek `10005`). */
  code?: string;
}

/** Options of {@link FaultInjector.dropConnection}. */
export interface DropOptions {
  times?: number;
  /** Request body bytes to take before breaking; 0 (the default) breaks before reading any. */
  afterBytes?: number;
}

/** Options of {@link FaultInjector.delay} and {@link FaultInjector.expireUrls}: a match plus a count. */
export interface CountedMatch extends FaultMatch {
  times?: number;
}

type MutableFault = { -readonly [K in keyof Fault]: Fault[K] };

function matches(match: FaultMatch, target: FaultTarget): boolean {
  return (
    (match.operation === undefined || match.operation === target.operation) &&
    (match.partNumber === undefined || match.partNumber === target.partNumber) &&
    (match.key === undefined || match.key === target.key)
  );
}

function positiveCount(times: number | undefined): number {
  const count = times ?? 1;
  if (!(count >= 1)) throw new RangeError(`times must be at least 1, got ${count}`);
  return count;
}

/** Arms and fires faults. Unless `times` says otherwise, a fault fires once. */
export class FaultInjector {
  #faults: MutableFault[] = [];
  #nextId = 1;

  /** Fails the next upload of this part number with `status` (S3: 500 InternalError, 503 SlowDown). */
  failPart(partNumber: number, options: FailOptions): Fault {
    return this.failRequest({ operation: 'UploadPart', partNumber }, options);
  }

  /** Fails the next matching request of any operation with `status`. */
  failRequest(match: FaultMatch, options: FailOptions): Fault {
    const fault: MutableFault = { ...this.#base(FaultKind.Fail, match, options.times), status: options.status };
    if (options.retryAfter !== undefined) fault.retryAfter = options.retryAfter;
    if (options.code !== undefined) fault.code = options.code;
    return this.#arm(fault);
  }

  /** Breaks the connection of the next upload of this part number (or of the next matching request). */
  dropConnection(target: number | FaultMatch, options: DropOptions = {}): Fault {
    const match = typeof target === 'number' ? { operation: 'UploadPart', partNumber: target } : target;
    return this.#arm({ ...this.#base(FaultKind.Drop, match, options.times), afterBytes: options.afterBytes ?? 0 });
  }

  /** Holds the next matching request (any request without a match) for `ms` before serving it. */
  delay(ms: number, match: CountedMatch = {}): Fault {
    const { times, ...only } = match;
    return this.#arm({ ...this.#base(FaultKind.Delay, only, times), ms });
  }

  /** Makes the next presigned requests (matching, if given) fail as expired, as if their URL had run out. */
  expireUrls(match: CountedMatch = {}): Fault {
    const { times, ...only } = match;
    return this.#arm(this.#base(FaultKind.Expire, only, times));
  }

  /** Makes the store forget the session of the next matching request before serving it. */
  loseSession(match: CountedMatch = {}): Fault {
    const { times, ...only } = match;
    return this.#arm(this.#base(FaultKind.LoseSession, only, times));
  }

  /** Serves the next matching request, keeping what it stores, then breaks the connection instead of answering. */
  storeThenDrop(match: CountedMatch = {}): Fault {
    const { times, ...only } = match;
    return this.#arm(this.#base(FaultKind.StoreThenDrop, only, times));
  }

  /** Serves the next matching request, then holds its answer for `ms`. */
  slowAnswer(ms: number, match: CountedMatch = {}): Fault {
    const { times, ...only } = match;
    return this.#arm({ ...this.#base(FaultKind.SlowAnswer, only, times), ms });
  }

  /** Disarms every fault. */
  clear(): void {
    this.#faults = [];
  }

  /** Every fault armed since the last `clear()`, spent ones included, in arming order. */
  list(): readonly Fault[] {
    return [...this.#faults];
  }

  /** For emulators: the first armed fault of this kind that matches, counted as fired; `undefined` when none. */
  take(kind: FaultKind, target: FaultTarget): Fault | undefined {
    const fault = this.#faults.find((f) => f.kind === kind && f.fired < f.times && matches(f.match, target));
    if (fault) fault.fired += 1;
    return fault;
  }

  #base(kind: FaultKind, match: FaultMatch, times: number | undefined): MutableFault {
    return { id: this.#nextId++, kind, match: { ...match }, times: positiveCount(times), fired: 0 };
  }

  #arm(fault: MutableFault): Fault {
    this.#faults.push(fault);
    return fault;
  }
}

/**
 * Reads up to `afterBytes` of a request body and then answers with a network error, the way a connection that breaks
 * mid-upload looks to the client (msw turns `Response.error()` into a failed fetch; the Node server destroys the socket).
 */
export async function dropAfter(request: Request, afterBytes: number): Promise<Response> {
  if (afterBytes > 0 && request.body && !request.bodyUsed) {
    const reader = request.body.getReader();
    let received = 0;
    try {
      while (received < afterBytes) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
      }
    } finally {
      // Cancelling a body the client already broke off rejects; the drop is what the caller wants either way.
      await reader.cancel().catch(() => undefined);
    }
  }
  return Response.error();
}

/** Waits `ms`, or less when the request is aborted first. */
export function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
