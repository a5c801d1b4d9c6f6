import { UploadError, UploadErrorCode } from '../core/errors.js';

/**
 * The hashing worker script's own address: the built chunk next to this module in a build, the `.ts` module under a
 * dev server. Vite finds a worker by the literal `new Worker(new URL('…', import.meta.url))` and rewrites the URL to
 * the built chunk; the stand-in named `Worker` here receives that URL without starting anything.
 */
export function hashWorkerUrl(): URL {
  const Worker = class {
    constructor(
      readonly url: URL,
      readonly options: WorkerOptions,
    ) {}
  };
  return new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' }).url;
}

/** Whether a worker script at `url` can be started directly by a page of `pageOrigin`. */
function startsDirectly(url: URL, pageOrigin: string): boolean {
  return url.origin === pageOrigin || url.protocol === 'blob:' || url.protocol === 'data:';
}

/** A same-origin module that imports the script from the other origin: the one way to start it from there. */
function crossOriginShim(url: URL): string {
  return URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' }));
}

/**
 * Starts a hashing worker. `scriptUrl` (default: the worker shipped next to this module) may be on the page's origin,
 * a `blob:`/`data:` URL, or on another origin (a CDN): a worker cannot be started from another origin, so there a
 * same-origin Blob module imports it, which needs `worker-src blob:` under a Content-Security-Policy and CORS on
 * the script. Throws an UploadError `worker-unavailable` when the browser refuses to start it.
 */
export function createHashWorker(scriptUrl: string | URL = hashWorkerUrl()): Worker {
  const page = globalThis.location?.href;
  const url = new URL(scriptUrl, page);
  const direct = page === undefined || startsDirectly(url, new URL(page).origin);
  try {
    return new Worker(direct ? url : crossOriginShim(url), { type: 'module' });
  } catch (thrown) {
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    throw new UploadError(
      UploadErrorCode.WorkerUnavailable,
      `The hashing worker could not start from ${url.href}${direct ? '' : ' (through a blob: module, since it is on another origin)'}: ${reason}`,
      { retryable: false, cause: thrown },
    );
  }
}
