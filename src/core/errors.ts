/**
 * The one error type of the uploader. `code` is stable public API: the element maps each code to a translated
 * message, and user code may branch on it.
 */
export const UploadErrorCode = {
  /** The file has no bytes and the provider cannot store an empty object. */
  FileEmpty: 'file-empty',
  /** The file is larger than `max-file-size` or the provider's maximum object size. */
  FileTooLarge: 'file-too-large',
  /** The file's type or name is outside `accept`. */
  FileTypeRejected: 'file-type-rejected',
  /** The file would need more parts than the provider allows, even at the largest part size. */
  TooManyParts: 'too-many-parts',
  /** The file changed on disk (size, date or sampled bytes) since the upload began. */
  FileChanged: 'file-changed',
  /** The file could not be read: deleted, moved or permission revoked mid-upload. */
  FileUnreadable: 'file-unreadable',
  /** A checkpoint record was unreadable, of another version or of another file; it was discarded. */
  CheckpointCorrupt: 'checkpoint-corrupt',
  /** IndexedDB is full or unavailable; the upload goes on without resume. */
  StorageFull: 'storage-full',
  /** A presigned URL or signature expired; the engine re-signs and retries. */
  UrlExpired: 'url-expired',
  /** The provider or backend refused the credentials. */
  AuthFailed: 'auth-failed',
  /** A hash sent with the bytes did not match what the provider received. */
  HashMismatch: 'hash-mismatch',
  /** A provider limit was exceeded (part size, part count, quota). */
  LimitExceeded: 'limit-exceeded',
  /** The upload session or object no longer exists on the provider. */
  NotFound: 'not-found',
  /** The provider refused the request as wrong; retrying will not help. */
  ProviderRejected: 'provider-rejected',
  /** The provider asked to slow down (429 / SlowDown). */
  RateLimited: 'rate-limited',
  /** The provider or backend failed (5xx). */
  ServerError: 'server-error',
  /** The response could not be understood (non-JSON from a JSON API, missing fields). */
  BadResponse: 'bad-response',
  /** A response header the uploader needs is not readable: the bucket's CORS rule does not expose it. */
  CorsBlocked: 'cors-blocked',
  /** The request never got an answer: connection refused, dropped or offline. */
  Network: 'network',
  /** No progress within the stall window, or the request took longer than its timeout. */
  Timeout: 'timeout',
  /** Another tab or window of this site is uploading the same file. */
  InUse: 'in-use',
  /** Canceled by the user. */
  Aborted: 'aborted',
  /** The hashing worker could not start (blocked by the page's policy, its script not found or not allowed). */
  WorkerUnavailable: 'worker-unavailable',
  /** The page's Content-Security-Policy forbids compiling WebAssembly, which the hashers need (`'wasm-unsafe-eval'`). */
  HashingUnavailable: 'hashing-unavailable',
  /** The element's provider or endpoint changed while the file was uploading; it was paused, not sent elsewhere. */
  DestinationChanged: 'destination-changed',
} as const;
export type UploadErrorCode = (typeof UploadErrorCode)[keyof typeof UploadErrorCode];

/** The provider's own view of an error, kept for support requests. */
export interface ProviderErrorDetail {
  id: string;
  code?: string;
  message?: string;
  requestId?: string;
}

export interface UploadErrorInit {
  retryable?: boolean;
  status?: number;
  provider?: ProviderErrorDetail;
  /** Seconds or an HTTP date, as the server's Retry-After header gave it. */
  retryAfter?: string | null;
  /** The store does not offer the operation at all (405, 501, `NotImplemented`), so the engine goes on without it. */
  unsupported?: boolean;
  /** Parts the store refused when completing (unknown part or ETag); empty when it did not say which. */
  refusedParts?: readonly number[];
  cause?: unknown;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<UploadErrorCode> = new Set<UploadErrorCode>([
  UploadErrorCode.UrlExpired,
  UploadErrorCode.RateLimited,
  UploadErrorCode.ServerError,
  UploadErrorCode.Network,
  UploadErrorCode.Timeout,
]);

/** An upload failure with a stable `code`, whether retrying can help, and the provider's own detail. */
export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly code: UploadErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly provider?: ProviderErrorDetail;
  readonly retryAfter?: string | null;
  /** True when the store lacks the operation itself (a listing, say): asking again never helps, doing without may. */
  readonly unsupported: boolean;
  /** Set when completing failed over parts the store does not hold as recorded; empty when it did not say which. */
  readonly refusedParts?: readonly number[];

  constructor(code: UploadErrorCode, message: string, init: UploadErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.retryable = init.retryable ?? (!init.unsupported && RETRYABLE_BY_DEFAULT.has(code));
    this.status = init.status;
    this.provider = init.provider;
    this.retryAfter = init.retryAfter;
    this.unsupported = init.unsupported ?? false;
    this.refusedParts = init.refusedParts;
  }
}

export function isUploadError(value: unknown): value is UploadError {
  return value instanceof UploadError;
}

/** Turns anything thrown into an UploadError, keeping the original as `cause`. */
export function toUploadError(value: unknown): UploadError {
  if (value instanceof UploadError) return value;
  if (value instanceof DOMException && value.name === 'AbortError') {
    return new UploadError(UploadErrorCode.Aborted, 'The upload was canceled.', { cause: value });
  }
  if (value instanceof DOMException && (value.name === 'NotReadableError' || value.name === 'NotFoundError')) {
    return new UploadError(UploadErrorCode.FileUnreadable, 'The file could not be read; it may have been changed, moved or deleted.', {
      cause: value,
    });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new UploadError(UploadErrorCode.BadResponse, message, { cause: value });
}

/** Maps an HTTP status with no better information to a code. */
export function codeForStatus(status: number): UploadErrorCode {
  if (status === 401 || status === 403) return UploadErrorCode.AuthFailed;
  if (status === 404) return UploadErrorCode.NotFound;
  // A backend that gave up waiting for the body (a stalled network): sending again is the cure.
  if (status === 408) return UploadErrorCode.Timeout;
  if (status === 413) return UploadErrorCode.LimitExceeded;
  if (status === 429) return UploadErrorCode.RateLimited;
  if (status === 0) return UploadErrorCode.Network;
  if (status >= 500) return UploadErrorCode.ServerError;
  return UploadErrorCode.ProviderRejected;
}

/** Strips the query and fragment, which may carry a signature or token, before a URL goes into a message or log. */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
