import { UploadError, UploadErrorCode, toUploadError } from './errors.js';

/** How failures are retried. Delays grow exponentially with jitter; a server's Retry-After wins when longer. */
export interface RetryPolicy {
  /** Retries after the first attempt, for errors that may pass. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Re-signs allowed in a row for an expired URL; these do not count as failures. */
  maxResigns: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxResigns: 3,
  maxRetryAfterMs: 5 * 60_000,
};

/** Reads Retry-After (seconds or an HTTP date) as milliseconds from `now`, or undefined. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before retry number `attempt` (0-based): exponential with jitter in [half, full], or Retry-After if longer. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfter?: string | null, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  const asked = parseRetryAfter(retryAfter);
  return asked === undefined ? jittered : Math.min(Math.max(asked, jittered), policy.maxRetryAfterMs);
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when the browser is back online, or rejects when aborted. */
export function waitForOnline(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      globalThis.removeEventListener('online', onOnline);
      signal?.removeEventListener('abort', onAbort);
    };
    const onOnline = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    globalThis.addEventListener('online', onOnline);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryHooks {
  signal: AbortSignal;
  /** Told before each wait, for logs and tests. */
  onRetry?: (error: UploadError, delayMs: number, attempt: number) => void;
  /** Replaces the timer; tests use it to observe delays without waiting. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  isOnline?: () => boolean;
  random?: () => number;
}

/**
 * Runs `operation` until it succeeds, the error is not retryable, or retries run out. The operation calls `progressed`
 * when it moved bytes, which resets the count (a long upload on a flaky link keeps going). Expired URLs are re-signed
 * at once and not counted; while offline, it waits for `online` without counting. This is the only place that retries.
 */
export async function withRetry<T>(
  operation: (progressed: () => void) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<T> {
  const { signal } = hooks;
  const wait = hooks.wait ?? sleep;
  const isOnline = hooks.isOnline ?? (() => globalThis.navigator?.onLine ?? true);
  let attempt = 0;
  let resigns = 0;
  for (;;) {
    // A pause or cancel that landed between steps must stop the next one before it sends anything.
    signal.throwIfAborted();
    let madeProgress = false;
    try {
      return await operation(() => {
        madeProgress = true;
      });
    } catch (thrown) {
      if (signal.aborted) throw signal.reason;
      const error = toUploadError(thrown);
      if (madeProgress) attempt = 0;
      if (error.code === UploadErrorCode.UrlExpired && resigns < policy.maxResigns) {
        resigns++;
        hooks.onRetry?.(error, 0, attempt);
        continue;
      }
      if (!error.retryable) throw error;
      if (error.code === UploadErrorCode.Network && !isOnline()) {
        await waitForOnline(signal);
        continue;
      }
      if (attempt >= policy.retries) throw error;
      const delay = retryDelay(attempt, policy, error.retryAfter, hooks.random);
      hooks.onRetry?.(error, delay, attempt);
      attempt++;
      await wait(delay, signal);
    }
  }
}
