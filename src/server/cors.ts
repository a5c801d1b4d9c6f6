/**
 * Which page origins may call a handler from another origin: an exact list (`https://app.example.com`) or `'*'`.
 * Unset means none: only pages served from the handler's own origin can read its answers or write through it.
 */
export type AllowedOrigins = string[] | '*';

/** Whether `origin` may call cross-origin. */
export function originAllowed(origin: string | null, allowedOrigins: AllowedOrigins | undefined): boolean {
  if (origin === null || allowedOrigins === undefined) return false;
  return allowedOrigins === '*' || allowedOrigins.includes(origin);
}

/**
 * The CORS headers for a response to `request`: a listed origin is echoed back, `'*'` answers `*`, and anything else
 * gets no `Access-Control-Allow-Origin`, so the browser keeps the answer from the page.
 */
export function corsHeaders(request: Request, allowedOrigins: AllowedOrigins | undefined, exposeHeaders: readonly string[] = []): Headers {
  const headers = new Headers();
  if (allowedOrigins === undefined) return headers;
  if (allowedOrigins === '*') {
    headers.set('access-control-allow-origin', '*');
  } else {
    // Caches must not serve one origin's answer to another.
    headers.set('vary', 'Origin');
    const origin = request.headers.get('origin');
    if (!originAllowed(origin, allowedOrigins)) return headers;
    headers.set('access-control-allow-origin', origin as string);
    // A listed origin is trusted with the user's cookies, which is how most backends' `authorize` knows the user.
    headers.set('access-control-allow-credentials', 'true');
  }
  if (exposeHeaders.length > 0) headers.set('access-control-expose-headers', exposeHeaders.join(', '));
  return headers;
}

/**
 * The answer to a CORS preflight: 204 allowing exactly the route's `methods` and the request headers the routes read
 * (`allowHeaders`), never whatever the page asked for, so a preflight grants no more than the routes use.
 */
export function preflightResponse(
  request: Request,
  allowedOrigins: AllowedOrigins | undefined,
  methods: readonly string[],
  allowHeaders: readonly string[],
): Response {
  const headers = corsHeaders(request, allowedOrigins);
  if (headers.has('access-control-allow-origin')) {
    headers.set('access-control-allow-methods', [...methods, 'OPTIONS'].join(', '));
    if (allowHeaders.length > 0) headers.set('access-control-allow-headers', allowHeaders.join(', '));
    headers.set('access-control-max-age', '600');
  }
  return new Response(null, { status: 204, headers });
}
