// A bare static file server for the package tests: every response carries the headers given (a
// Content-Security-Policy, CORS for a CDN), and POSTs to /csp-report are kept, as a site's report endpoint would.
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  /** `http://<host>:<port>` */
  url: string;
  /** Bodies of the violation reports the browser sent to /csp-report. */
  reports: string[];
  /** Changes the headers of later responses. */
  setHeaders(headers: Record<string, string>): void;
  close(): Promise<void>;
}

export async function serveStatic(directory: string, host: string, headers: Record<string, string> = {}): Promise<StaticServer> {
  let extra = headers;
  const reports: string[] = [];
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method === 'POST' && path === '/csp-report') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      reports.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(204).end();
      return;
    }
    let file = join(directory, normalize(decodeURIComponent(path)).replace(/^([/\\])+/, ''));
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      response.writeHead(200, { ...extra, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404, extra).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    reports,
    setHeaders(next) {
      extra = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
