import { UploadError, UploadErrorCode, redactUrl } from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';

/** Timing limits of one request. */
export interface TransportOptions {
  /** Longest a request without a body to upload may take, in ms. */
  requestTimeoutMs: number;
  /**
   * Longest a request with a body to upload may go without any progress (upload or download) before it is aborted,
   * in ms. A request without one is bounded by its timeout alone: a server may think longer than this before it answers.
   */
  stallTimeoutMs: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
  requestTimeoutMs: 60_000,
  stallTimeoutMs: 30_000,
};

export interface SendOptions {
  signal: AbortSignal;
  /** Bytes of the request body sent so far. */
  onUploadProgress?: (loaded: number) => void;
}

/** Sends requests; swapped for another implementation only in tests of code that uses it. */
export type Transport = (request: HttpRequest, options: SendOptions) => Promise<HttpResponse>;

/**
 * Sends one request with XMLHttpRequest, the only browser API that reports upload progress for a Blob body.
 * Resolves with any HTTP status (interpreting it is the adapter's job); rejects with `network`, `timeout`, or the
 * signal's reason when aborted.
 */
export function createXhrTransport(options: Partial<TransportOptions> = {}): Transport {
  const { requestTimeoutMs, stallTimeoutMs } = { ...DEFAULT_TRANSPORT_OPTIONS, ...options };
  return (request, { signal, onUploadProgress }) =>
    new Promise<HttpResponse>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const xhr = new XMLHttpRequest();
      const safeUrl = redactUrl(request.url);
      let stallTimer: ReturnType<typeof setTimeout> | undefined;
      let settled = false;

      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(stallTimer);
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const armStallTimer = () => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => {
          xhr.abort();
          finish(() =>
            reject(new UploadError(UploadErrorCode.Timeout, `No progress for ${stallTimeoutMs / 1000} s on ${safeUrl}.`)),
          );
        }, stallTimeoutMs);
      };
      const onAbort = () => {
        xhr.abort();
        finish(() => reject(signal.reason));
      };

      xhr.open(request.method, request.url);
      for (const [name, value] of Object.entries(request.headers ?? {})) xhr.setRequestHeader(name, value);
      const hasBlobBody = isBlob(request.body) || isFormData(request.body);
      // A body upload is bounded by stall detection, not a total time: a 5 GiB part on a slow link is fine while it moves.
      xhr.timeout = request.timeoutMs ?? (hasBlobBody ? 0 : requestTimeoutMs);
      if (hasBlobBody) {
        xhr.upload.onprogress = (event) => {
          armStallTimer();
          onUploadProgress?.(event.loaded);
        };
      }
      if (hasBlobBody) xhr.onprogress = armStallTimer;
      xhr.onload = () =>
        finish(() =>
          resolve({
            status: xhr.status,
            headers: { get: (name) => readHeader(xhr, name) },
            text: xhr.responseType === '' || xhr.responseType === 'text' ? xhr.responseText : '',
            url: safeUrl,
          }),
        );
      xhr.onerror = () =>
        finish(() => reject(new UploadError(UploadErrorCode.Network, `The connection to ${safeUrl} failed.`, { status: 0 })));
      xhr.ontimeout = () =>
        finish(() => reject(new UploadError(UploadErrorCode.Timeout, `The request to ${safeUrl} timed out.`)));
      signal.addEventListener('abort', onAbort, { once: true });
      if (hasBlobBody) armStallTimer();
      xhr.send(bodyToSend(request) ?? null);
    });
}

// By tag, not instanceof: a File picked in another frame of the page is no instance of this frame's Blob.
function isBlob(body: unknown): body is Blob {
  return ['[object Blob]', '[object File]'].includes(Object.prototype.toString.call(body));
}

function isFormData(body: unknown): body is FormData {
  return Object.prototype.toString.call(body) === '[object FormData]';
}

/**
 * The body as XHR should send it. XHR labels a typed Blob with its type when the request names no Content-Type, which
 * would change what a signed request carries: such a body (a whole file, see `partAt`) goes as an untyped slice, as
 * every other part does.
 */
function bodyToSend(request: HttpRequest): HttpRequest['body'] {
  const { body } = request;
  if (!isBlob(body) || body.type === '') return body;
  const named = Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
  return named ? body : body.slice();
}

/** getResponseHeader, but only for headers the response exposes, so the console is not filled with CORS refusals. */
function readHeader(xhr: XMLHttpRequest, name: string): string | null {
  const lower = name.toLowerCase();
  const exposed = xhr
    .getAllResponseHeaders()
    .split(/\r?\n/)
    .some((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === lower);
  return exposed ? xhr.getResponseHeader(name) : null;
}
