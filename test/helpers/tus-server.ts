import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

/** Where the real tus server's uploads are created, relative to its origin. */
export const TUS_SERVER_PATH = '/files';
/** Test-only routes on the tus server's origin: stored bytes, upload info and the request log. */
export const TUS_SERVER_ADMIN_PATH = '/__admin/tus';

/** One request the tus server answered, as the log shows it. */
export interface TusServerRequest {
  method: string;
  path: string;
  status: number;
  uploadOffset?: number;
  uploadLength?: number;
  contentLength?: number;
  /** The Location a creation POST answered with. */
  location?: string;
  /** True once the server is done with the request, its bytes (if any) on disk. */
  done: boolean;
}

/** A running @tus/server with @tus/file-store. */
export interface TusServer {
  /** The creation URL, e.g. `http://127.0.0.1:P/files`. */
  endpoint: string;
  /**
   * `http://127.0.0.1:P/__admin/tus`: `GET files/{id}` (stored bytes), `GET uploads/{id}` (the store's JSON record),
   * `GET|DELETE requests` (the request log), `POST|DELETE hold` (hold creation POSTs back until released).
   */
  adminUrl: string;
  directory: string;
  close(): Promise<void>;
}

const ID = /^[A-Za-z0-9_-]+$/;

/** Creation POSTs kept from the tus server while a test holds them, to cancel while a creation is in flight. */
interface PostHold {
  on: boolean;
  waiting: Array<() => void>;
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'access-control-allow-origin': '*' });
  res.end(body);
}

async function serveAdmin(directory: string, log: TusServerRequest[], hold: PostHold, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = new URL(req.url ?? '/', 'http://x').pathname.slice(TUS_SERVER_ADMIN_PATH.length + 1);
  const [kind, id] = route.split('/');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, DELETE' });
    res.end();
    return;
  }
  if (kind === 'requests' && id === undefined) {
    const listed = JSON.stringify(log);
    if (req.method === 'DELETE') log.length = 0;
    send(res, 200, listed, 'application/json');
    return;
  }
  if (kind === 'hold' && id === undefined && (req.method === 'POST' || req.method === 'DELETE')) {
    hold.on = req.method === 'POST';
    const released = hold.on ? 0 : hold.waiting.length;
    for (const release of hold.waiting.splice(0)) release();
    send(res, 200, JSON.stringify({ released }), 'application/json');
    return;
  }
  if ((kind === 'files' || kind === 'uploads') && id && ID.test(id) && req.method === 'GET') {
    try {
      const bytes = await readFile(join(directory, kind === 'files' ? id : `${id}.json`));
      send(res, 200, bytes, kind === 'files' ? 'application/octet-stream' : 'application/json');
    } catch {
      send(res, 404, JSON.stringify({ error: `no upload ${id}` }), 'application/json');
    }
    return;
  }
  send(res, 404, JSON.stringify({ error: `no admin route ${req.method} ${route}` }), 'application/json');
}

/**
 * Starts the real @tus/server 2.4.5 with @tus/file-store 2.1.1 on a free port, storing uploads in a fresh temporary
 * directory. Its default CORS lets any page in and exposes Location, Upload-Offset, Upload-Length and the Tus-*
 * headers. Every tus request is logged (method, path, status, Upload-Offset, Upload-Length, Content-Length).
 */
export async function startTusServer(): Promise<TusServer> {
  const directory = await mkdtemp(join(tmpdir(), 'mcu-tus-'));
  const tus = new Server({ path: TUS_SERVER_PATH, datastore: new FileStore({ directory }) });
  const log: TusServerRequest[] = [];
  const hold: PostHold = { on: false, waiting: [] };
  const http = createServer((req, res) => {
    if (req.url?.startsWith(`${TUS_SERVER_ADMIN_PATH}/`)) {
      void serveAdmin(directory, log, hold, req, res).catch(() => res.destroy());
      return;
    }
    const entry: TusServerRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://x').pathname,
      status: 0,
      done: false,
    };
    const uploadOffset = numberHeader(req.headers['upload-offset']);
    const uploadLength = numberHeader(req.headers['upload-length']);
    const contentLength = numberHeader(req.headers['content-length']);
    if (uploadOffset !== undefined) entry.uploadOffset = uploadOffset;
    if (uploadLength !== undefined) entry.uploadLength = uploadLength;
    if (contentLength !== undefined) entry.contentLength = contentLength;
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    // @tus/server (through srvx) writes its headers as one flat [name, value, …] array, which getHeader never sees.
    const writeHead = res.writeHead;
    res.writeHead = ((...args: unknown[]) => {
      const raw = args.find((arg): arg is unknown[] => Array.isArray(arg)) ?? [];
      const at = raw.findIndex((item, index) => index % 2 === 0 && typeof item === 'string' && item.toLowerCase() === 'location');
      if (at >= 0) entry.location = String(raw[at + 1]);
      return (writeHead as (...all: unknown[]) => ServerResponse).apply(res, args);
    }) as ServerResponse['writeHead'];
    if (req.method !== 'OPTIONS') log.push(entry);
    // A client that breaks off a PATCH (a pause) is routine; @tus/server keeps the bytes that arrived.
    const handle = () =>
      void tus
        .handle(req, res)
        .catch(() => res.destroy())
        .finally(() => {
          entry.done = true;
        });
    if (req.method === 'POST' && hold.on) hold.waiting.push(handle);
    else handle();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    endpoint: `${origin}${TUS_SERVER_PATH}`,
    adminUrl: `${origin}${TUS_SERVER_ADMIN_PATH}`,
    directory,
    close: async () => {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Browsers keep connections alive; without this close() waits for them to time out.
        http.closeAllConnections();
      });
      await rm(directory, { recursive: true, force: true });
    },
  };
}
