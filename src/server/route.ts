import { corsHeaders, originAllowed, preflightResponse } from './cors.js';
import type { AllowedOrigins } from './cors.js';
import { HttpError, jsonResponse, ServerErrorCode } from './http-json.js';

/** A Fetch-style request handler, the shape every handler in `multi-cloud-uploader/server` has. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** The methods one route answers. */
export type RouteMethods = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', FetchHandler>>;

/**
 * An answer from the storage service or the provider's API that goes to the page as it is, thrown from deep inside
 * a route so that the route's own code stays on the success path.
 */
export class UpstreamAnswer extends Error {
  override readonly name = 'UpstreamAnswer';

  constructor(readonly response: Response) {
    super(`upstream ${response.status}`);
  }
}

/** How {@link serve} runs a handler's routes. */
export interface ServeOptions {
  allowedOrigins: AllowedOrigins | undefined;
  /**
   * The request headers a cross-origin page may send, for preflight: what the routes read (`content-type`, …) and the
   * headers the user's `authorize` reads (`authorization` and the handler's `allowedHeaders` option).
   */
  allowHeaders: readonly string[];
  /** Response headers a cross-origin page may read besides the safelisted ones (`ETag`, `Retry-After`, …). */
  exposeHeaders?: readonly string[];
  onError: (error: unknown) => void;
  /** Turns a thrown error of the handler's own kind (an SDK's, say) into an answer; `undefined` for the default. */
  mapError?: (error: unknown) => HttpError | undefined;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The one way every handler answers: preflight for exactly the route's methods, 404 and 405 as JSON, a cross-site
 * check before any state-changing route runs, one error path, and CORS headers on every answer.
 */
export function serve(match: (url: URL) => RouteMethods | undefined, options: ServeOptions): FetchHandler {
  return async (request) => {
    const methods = match(new URL(request.url));
    if (request.method === 'OPTIONS' && methods) {
      return preflightResponse(request, options.allowedOrigins, Object.keys(methods), options.allowHeaders);
    }
    let response: Response;
    try {
      if (!methods) throw new HttpError(404, ServerErrorCode.NotFound, 'No route matches this path.');
      const handle = Object.hasOwn(methods, request.method) ? methods[request.method as keyof RouteMethods] : undefined;
      if (!handle) {
        throw new HttpError(405, ServerErrorCode.MethodNotAllowed, 'This route does not accept this method.', {
          headers: { allow: [...Object.keys(methods), 'OPTIONS'].join(', ') },
        });
      }
      if (STATE_CHANGING.has(request.method)) checkSameSiteOrAllowed(request, options.allowedOrigins);
      response = await handle(request);
    } catch (error) {
      response = errorResponse(error, request.signal.aborted, options);
    }
    // Answers passed through from fetch() have immutable headers.
    const headers = new Headers(response.headers);
    for (const [name, value] of corsHeaders(request, options.allowedOrigins, options.exposeHeaders)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * The answer for anything a route threw: a passed-through upstream answer, 499 when the page left (no one reads it),
 * the handler's own {@link HttpError}, what `mapError` makes of it, and otherwise a bare 500 whose details go to
 * `onError` only.
 */
export function errorResponse(error: unknown, clientGone: boolean, options: Pick<ServeOptions, 'onError' | 'mapError'>): Response {
  if (error instanceof UpstreamAnswer) return error.response;
  if (clientGone) return jsonResponse(new HttpError(499, ServerErrorCode.ClientClosed, 'The client closed the request.').toBody(), 499);
  const httpError = error instanceof HttpError ? error : options.mapError?.(error);
  if (httpError) return jsonResponse(httpError.toBody(), httpError.status, httpError.headers);
  options.onError(error);
  return jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500);
}

/**
 * Refuses a state-changing request that a browser sent from another site whose origin is not allowed. Browsers mark
 * every request with `Sec-Fetch-Site` and cross-origin writes with `Origin`, so a form or `no-cors` fetch on a
 * hostile page cannot write through the user's cookies; servers and scripts that send neither are let through to
 * `authorize`.
 */
function checkSameSiteOrAllowed(request: Request, allowedOrigins: AllowedOrigins | undefined): void {
  const site = request.headers.get('sec-fetch-site');
  if (site === 'same-origin' || site === 'none') return;
  const origin = request.headers.get('origin');
  if (origin === null && site === null) return;
  if (originAllowed(origin, allowedOrigins)) return;
  if (site === null && origin === new URL(request.url).origin) return;
  throw new HttpError(403, ServerErrorCode.OriginNotAllowed, 'Requests from this page origin are not allowed here.');
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The request headers a preflight allows: `content-type` and `authorization` (what `authorize` usually reads), the
 * headers the routes themselves read, and the user's `allowedHeaders` option, checked and lower-cased.
 */
export function preflightHeaders(factory: string, routeHeaders: readonly string[], allowedHeaders: unknown): string[] {
  const extra = allowedHeaders ?? [];
  if (!Array.isArray(extra) || !extra.every((name) => typeof name === 'string' && HEADER_NAME.test(name))) {
    throw new TypeError(`${factory}: allowedHeaders must be a list of header names.`);
  }
  return [...new Set(['content-type', 'authorization', ...routeHeaders, ...extra].map((name) => name.toLowerCase()))];
}

/** Checks a `basePath` option: empty, or starting with `/`; a trailing `/` is dropped. */
export function normalizeBasePath(factory: string, basePath: string | undefined): string {
  const normalized = (basePath ?? '').replace(/\/+$/, '');
  if (normalized !== '' && !normalized.startsWith('/')) throw new TypeError(`${factory}: basePath must start with "/".`);
  return normalized;
}
