import { DROP_CONNECTION_HEADER, type FetchHandler } from '../server/node-http.js';

/** The answer a provider would give for a failed request, sent before the connection breaks. */
export interface DroppedAnswer {
  body: string;
  contentType: string;
}

/**
 * An emulator answers a dropped connection with `Response.error()`, which is what msw needs. Over real HTTP that
 * becomes a response the Node listener cuts off mid-body; it carries a 500 in the provider's error shape so that even
 * a client that never reads the body cannot take it for success.
 */
export function dropsOverNode(handler: FetchHandler, answer: DroppedAnswer): FetchHandler {
  return async (request) => {
    const response = await handler(request);
    if (response.type !== 'error') return response;
    return new Response(answer.body, {
      status: 500,
      headers: { 'content-type': answer.contentType, [DROP_CONNECTION_HEADER]: '1' },
    });
  };
}
