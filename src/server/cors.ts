/** Which page origins may call a handler from the browser: `'*'` or an exact list (`https://app.example.com`). */
export type AllowedOrigins = string[] | '*';

/**
 * The CORS headers for a response to `request`. With a list, a listed origin is echoed back and any other gets no
 * `Access-Control-Allow-Origin`, so the browser blocks the page from reading the answer.
 */
export function corsHeaders(request: Request, allowedOrigins: AllowedOrigins): Headers {
  const headers = new Headers();
  if (allowedOrigins === '*') {
    headers.set('access-control-allow-origin', '*');
    return headers;
  }
  // Caches must not serve one origin's answer to another.
  headers.set('vary', 'Origin');
  const origin = request.headers.get('origin');
  if (origin !== null && allowedOrigins.includes(origin)) headers.set('access-control-allow-origin', origin);
  return headers;
}

/**
 * The answer to a CORS preflight: 204 allowing the route's `methods` and whatever method and headers the page asked
 * for. Allowing the asked method lets a wrong one reach the route and get a readable 405 JSON instead of an opaque
 * CORS failure; CORS is not what protects the routes.
 */
export function preflightResponse(request: Request, allowedOrigins: AllowedOrigins, methods: string[]): Response {
  const headers = corsHeaders(request, allowedOrigins);
  const requestedMethod = request.headers.get('access-control-request-method')?.toUpperCase();
  const allowed = requestedMethod && !methods.includes(requestedMethod) ? [...methods, requestedMethod] : methods;
  headers.set('access-control-allow-methods', allowed.join(', '));
  const requested = request.headers.get('access-control-request-headers');
  headers.set('access-control-allow-headers', requested ?? 'content-type');
  if (requested !== null) headers.append('vary', 'Access-Control-Request-Headers');
  headers.set('access-control-max-age', '600');
  return new Response(null, { status: 204, headers });
}
