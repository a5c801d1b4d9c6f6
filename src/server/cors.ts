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

/** The answer to a CORS preflight: 204 with the methods the routes use and the headers the page asked to send. */
export function preflightResponse(request: Request, allowedOrigins: AllowedOrigins, methods: string): Response {
  const headers = corsHeaders(request, allowedOrigins);
  headers.set('access-control-allow-methods', methods);
  const requested = request.headers.get('access-control-request-headers');
  headers.set('access-control-allow-headers', requested ?? 'content-type');
  if (requested !== null) headers.append('vary', 'Access-Control-Request-Headers');
  headers.set('access-control-max-age', '600');
  return new Response(null, { status: 204, headers });
}
