import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { HttpError, ServerErrorCode } from './http-json.js';
import type { FetchHandler } from './route.js';

export type { FetchHandler } from './route.js';

/**
 * Fault injection for tests: a Response carrying this header with the value `'1'` is sent as its status, its other
 * headers (with the full Content-Length) and the first half of its body, and then the socket is destroyed, so the
 * client sees a connection dropped mid-body. The header itself is never sent.
 */
export const DROP_CONNECTION_HEADER = 'x-mcu-drop-connection';

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Called with whatever a handler threw (the client gets a plain 500); defaults to `console.error`. */
  onError?: (error: unknown) => void;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD']);
/** How long a client that was answered early may go on sending its body before its socket is closed. */
const LINGER_MS = 2_000;

/** Adapts a Fetch-style handler to a `node:http` request listener (`http.createServer(toNodeListener(handler))`). */
export function toNodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  return (req, res) => {
    void serve(handler, req, res).catch((error: unknown) => {
      // A client that hung up mid-body (a paused or canceled upload) is routine, not a server fault to report.
      if (req.destroyed && !res.writableFinished) {
        res.destroy();
        return;
      }
      onError(error);
      if (res.headersSent) {
        // The status line is gone already, so the only honest signal left is a broken connection.
        res.destroy();
        return;
      }
      const body = JSON.stringify({ error: { code: ServerErrorCode.InternalError, message: 'Internal server error.' } });
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

async function serve(handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = BODYLESS_METHODS.has(req.method ?? 'GET') ? undefined : new RequestBody(req);
  const request = toFetchRequest(req, res, body);
  const response = request ? await handler(request) : invalidHost();
  // An answer before the whole body arrived (a refusal, a timeout): Node reads and drops the rest so that the client,
  // still sending, gets to read the answer (closing at once would reset the connection under it); a client that has
  // not finished within LINGER_MS loses its socket, so a slow one cannot keep it.
  if (body && !req.complete) {
    res.once('finish', () => {
      if (req.complete) return;
      // The handler may never have touched the body (a refusal on its headers): read it now, dropping it.
      body.drop();
      const timer = setTimeout(() => req.destroy(), LINGER_MS);
      req.once('close', () => clearTimeout(timer));
      req.once('end', () => clearTimeout(timer));
    });
  }
  if (response.headers.get(DROP_CONNECTION_HEADER) === '1') {
    await sendTruncated(response, res);
    return;
  }
  writeHead(response, res);
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  // @types/node's web ReadableStream and the DOM one are the same object at run time but distinct types.
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}

function invalidHost(): Response {
  const error = new HttpError(400, ServerErrorCode.InvalidHost, 'The Host header is not a valid host.');
  return new Response(JSON.stringify(error.toBody()), { status: 400, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/** The Fetch request for `req`, or `undefined` when its `Host` header (or target) makes no valid URL. */
function toFetchRequest(req: IncomingMessage, res: ServerResponse, body: RequestBody | undefined): Request | undefined {
  const protocol = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const host = req.headers.host ?? 'localhost';
  // Only a host and port: anything else would let the header rewrite the path the routes see.
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return undefined;
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `${protocol}://${host}`);
  } catch {
    return undefined;
  }
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    // HTTP/2 pseudo-headers (":path") are not valid Fetch header names.
    if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? 'GET';
  const controller = new AbortController();
  // A client that goes away should stop the handler's S3 calls and body reads, not leave them running.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: controller.signal };
  if (body) {
    init.body = body.stream;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/**
 * A request body as a web stream that pauses the socket while the handler is not reading (backpressure) and, once the
 * handler cancels it (a refusal, a timeout) or the answer went out, reads and drops the rest instead of destroying
 * the socket, which would reset the connection before the client could read the answer (`Readable.toWeb` destroys).
 */
class RequestBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #req: IncomingMessage;
  #open = true;

  constructor(req: IncomingMessage) {
    this.#req = req;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          req.on('data', (chunk: Buffer) => {
            if (!this.#open) return;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((controller.desiredSize ?? 0) <= 0) req.pause();
          });
          req.once('end', () => {
            if (this.#open) controller.close();
            this.#open = false;
          });
          req.on('error', (error) => {
            if (this.#open) controller.error(error);
            this.#open = false;
          });
          req.pause();
        },
        pull: () => {
          req.resume();
        },
        cancel: () => this.drop(),
      },
      // As much as the socket itself buffers before it pauses (Node's 16 KiB), as `Readable.toWeb` does.
      { highWaterMark: req.readableHighWaterMark, size: (chunk) => chunk.byteLength },
    );
  }

  /** Reads the rest of the body and drops it. */
  drop(): void {
    this.#open = false;
    this.#req.resume();
  }
}

function writeHead(response: Response, res: ServerResponse, omit?: string): void {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === omit || name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
}

async function sendTruncated(response: Response, res: ServerResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  writeHead(response, res, DROP_CONNECTION_HEADER);
  res.setHeader('content-length', body.length);
  res.removeHeader('transfer-encoding');
  await new Promise<void>((resolve) => {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => resolve());
  });
  res.destroy();
}
