import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from '../../../src/server/node-http.js';
import type { FetchHandler } from '../../../src/server/route.js';

/** A Fetch-style handler served on a loopback port through `toNodeListener`, as a user's Node server runs it. */
export interface Listening {
  url: string;
  server: Server;
  /** What `onError` received. */
  errors: unknown[];
  close(): Promise<void>;
}

export async function listen(handler: FetchHandler): Promise<Listening> {
  const errors: unknown[] = [];
  const server = createServer(toNodeListener(handler, { onError: (error) => errors.push(error) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    errors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
