import { HttpError, ServerErrorCode } from './http-json.js';

/** Time limits of one proxied request, in milliseconds. */
export interface TransferTimeouts {
  /**
   * Longest wait for the next bytes of the page's body (default 30 s): a client that stops sending is cut off and
   * its upstream connection freed (408 `request-timeout`).
   */
  idleTimeoutMs?: number;
  /**
   * Longest time one proxied request may take in all, body and upstream answer together (default 1 h, enough for a
   * 5 GiB slice at 1.5 MB/s); past it the page gets 408 `request-timeout`.
   */
  totalTimeoutMs?: number;
  /** Longest wait for the provider's API to answer a call without a streamed body (default 30 s; 504 `upstream-timeout`). */
  upstreamTimeoutMs?: number;
}

/** {@link TransferTimeouts} with every default filled in. */
export type ResolvedTimeouts = Required<TransferTimeouts>;

const DEFAULT_TIMEOUTS: ResolvedTimeouts = { idleTimeoutMs: 30_000, totalTimeoutMs: 3_600_000, upstreamTimeoutMs: 30_000 };

/** Checks the timeout options of a handler factory and fills in the defaults. */
export function resolveTimeouts(factory: string, options: TransferTimeouts): ResolvedTimeouts {
  const resolved = { ...DEFAULT_TIMEOUTS };
  for (const name of Object.keys(DEFAULT_TIMEOUTS) as (keyof ResolvedTimeouts)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${factory}: ${name} must be a positive integer of milliseconds.`);
    resolved[name] = value;
  }
  return resolved;
}

function requestTimeout(message: string): HttpError {
  return new HttpError(408, ServerErrorCode.RequestTimeout, message, { headers: { connection: 'close' } });
}

/**
 * One streamed request on its way upstream: the page's body passed through as the upstream connection asks for it
 * (so no more than a chunk or two is ever held), with an idle and a total time limit. `signal` aborts the upstream
 * call when the page leaves or a limit passes; `failure()` then says which limit, as the error to answer.
 */
export class StreamedTransfer {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timeouts: ResolvedTimeouts;
  #failure: HttpError | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #totalTimer: ReturnType<typeof setTimeout>;
  #pageBody: ReadableStreamDefaultReader<Uint8Array> | undefined;

  constructor(request: Request, timeouts: ResolvedTimeouts) {
    this.#timeouts = timeouts;
    this.signal = AbortSignal.any([request.signal, this.#controller.signal]);
    this.#totalTimer = setTimeout(
      () => this.#fail(requestTimeout(`The request took longer than the ${timeouts.totalTimeoutMs} ms this server allows.`)),
      timeouts.totalTimeoutMs,
    );
  }

  /** Why the transfer was cut off, when it was. */
  failure(): HttpError | undefined {
    return this.#failure;
  }

  /**
   * Stops the timers and lets go of the page's body; call it once the upstream answer is in. A storage service may
   * answer before it read the whole body (a refusal): what the page still sends is then dropped here, so that a page
   * that goes away afterwards errors no stream that the finished upstream request might still be reading.
   */
  finish(): void {
    clearTimeout(this.#totalTimer);
    clearTimeout(this.#idleTimer);
    void this.#pageBody?.cancel().catch(() => undefined);
  }

  /** `body` passed through lazily, each wait for the page's next bytes bounded by the idle limit. */
  guard(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    this.#pageBody = reader;
    const fail = (error: HttpError) => {
      this.#fail(error);
      void reader.cancel(error).catch(() => undefined);
    };
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          clearTimeout(this.#idleTimer);
          this.#idleTimer = setTimeout(
            () => fail(requestTimeout(`The page sent nothing for ${this.#timeouts.idleTimeoutMs} ms.`)),
            this.#timeouts.idleTimeoutMs,
          );
          try {
            const { done, value } = await reader.read();
            clearTimeout(this.#idleTimer);
            if (this.#failure) return controller.error(this.#failure);
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (error) {
            clearTimeout(this.#idleTimer);
            controller.error(this.#failure ?? error);
          }
        },
        // Never rejects: undici's fetch rethrows a failed cancel of a request body it gives up on as an unhandled
        // rejection, which would end the process. A page body that errored already (the page went away) fails it.
        cancel: (reason) => reader.cancel(reason).catch(() => undefined),
      },
      // Pull only when the upstream connection asks: backpressure reaches the page's socket.
      { highWaterMark: 0 },
    );
  }

  #fail(error: HttpError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#controller.abort(error);
  }
}

/**
 * How a streamed body's `fetch` treats a redirect: `'error'` where the runtime has it, because Node's fetch keeps a
 * copy of every chunk sent unless it is told to fail on a redirect (`'manual'` still keeps them: a 1 GiB body grew the
 * process by 1 GiB). workerd refuses `'error'` but never keeps a streamed body, so `'manual'` is right there. A
 * redirect from a storage service is an error either way.
 */
const STREAMING_REDIRECT: RequestRedirect = (() => {
  try {
    new Request('http://localhost/', { redirect: 'error' });
    return 'error';
  } catch {
    return 'manual';
  }
})();

/** `fetch` options for a streamed body: no redirect replay (see above) and `duplex: 'half'`. */
export function streamingInit(init: RequestInit): RequestInit & { duplex: 'half' } {
  return { ...init, redirect: STREAMING_REDIRECT, duplex: 'half' };
}

/** A signal that aborts with the page's request or after `ms`, for upstream calls without a streamed body. */
export function upstreamSignal(request: Request, ms: number): AbortSignal {
  return AbortSignal.any([request.signal, AbortSignal.timeout(ms)]);
}

/** The 504 for an upstream call that ran past {@link upstreamSignal}'s limit (the page's own abort is not one). */
export function upstreamTimedOut(request: Request, signal: AbortSignal): HttpError | undefined {
  if (request.signal.aborted || !signal.aborted) return undefined;
  return new HttpError(504, ServerErrorCode.UpstreamTimeout, 'The storage service did not answer in time.');
}
