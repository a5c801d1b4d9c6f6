/**
 * A sink that answers the S3 multipart calls the bench makes (create, UploadPart, complete, GET of the object) and
 * does nothing else: no signature check, no hashing, no disk; parts are kept in memory as they arrive. Not a store and
 * not an emulator (the strict ones are `src/emulators` and s3rver): it takes the store's CPU off the bench machine's
 * cores, as a real S3 bucket on other machines does, so that a row against it shows what the browser side costs.
 * The bench still reads every object back and compares it byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running sink on loopback. */
export interface S3Sink {
  /** Its origin; `createS3Handler({ endpoint: url, forcePathStyle: true, … })` talks to it. */
  url: string;
  /** Forgets every object and upload. */
  clear(): void;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, PUT, POST, DELETE, HEAD',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': 'ETag',
  'access-control-max-age': '3000',
};

function xml(response: ServerResponse, body: string): void {
  response.writeHead(200, { 'content-type': 'application/xml', ...CORS });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function notFound(response: ServerResponse, code: string): void {
  response.writeHead(404, { 'content-type': 'application/xml', ...CORS });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

async function bodyOf(request: IncomingMessage): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks;
}

/** Starts the sink on a free loopback port. */
export async function startS3Sink(): Promise<S3Sink> {
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer[]> }>();
  const objects = new Map<string, Buffer[]>();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://sink');
    // Path style: /{bucket}/{key}.
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    const uploadId = url.searchParams.get('uploadId');
    if (request.method === 'OPTIONS') {
      response.writeHead(200, CORS);
      response.end();
    } else if (request.method === 'POST' && url.searchParams.has('uploads')) {
      await bodyOf(request);
      const id = randomUUID();
      uploads.set(id, { key, parts: new Map() });
      xml(response, `<InitiateMultipartUploadResult><Bucket>sink</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    } else if (request.method === 'PUT' && uploadId !== null) {
      const upload = uploads.get(uploadId);
      const chunks = await bodyOf(request);
      if (!upload) return notFound(response, 'NoSuchUpload');
      const partNumber = Number(url.searchParams.get('partNumber'));
      upload.parts.set(partNumber, chunks);
      const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      response.writeHead(200, { etag: `"${uploadId}-${partNumber}-${size}"`, ...CORS });
      response.end();
    } else if (request.method === 'POST' && uploadId !== null) {
      await bodyOf(request);
      const upload = uploads.get(uploadId);
      if (!upload) return notFound(response, 'NoSuchUpload');
      uploads.delete(uploadId);
      objects.set(upload.key, [...upload.parts].sort(([a], [b]) => a - b).flatMap(([, chunks]) => chunks));
      xml(response, `<CompleteMultipartUploadResult><Bucket>sink</Bucket><Key>${upload.key}</Key><ETag>"${uploadId}-${upload.parts.size}"</ETag></CompleteMultipartUploadResult>`);
    } else if (request.method === 'DELETE' && uploadId !== null) {
      uploads.delete(uploadId);
      response.writeHead(204, CORS);
      response.end();
    } else if (request.method === 'GET' && objects.has(key)) {
      const chunks = objects.get(key)!;
      response.writeHead(200, { 'content-length': String(chunks.reduce((sum, chunk) => sum + chunk.length, 0)), ...CORS });
      for (const chunk of chunks) response.write(chunk);
      response.end();
    } else {
      await bodyOf(request);
      notFound(response, 'NotImplemented');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clear() {
      uploads.clear();
      objects.clear();
    },
    async close() {
      const closing = new Promise((done) => server.close(done));
      server.closeAllConnections();
      await closing;
    },
  };
}
