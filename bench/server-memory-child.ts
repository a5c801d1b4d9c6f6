/** One proxy of `bench/server-memory.ts` in a process of its own, so that its memory is all that is measured. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from '../src/server/node-http.js';
import { MEMORY_CASES } from './server-memory-cases.js';

const [name, sinkUrl] = process.argv.slice(2);
const memoryCase = MEMORY_CASES.find((candidate) => candidate.name === name);
if (!memoryCase || !sinkUrl) throw new Error(`Usage: server-memory-child.ts <${MEMORY_CASES.map((c) => c.name).join('|')}> <sink URL>`);
const server = createServer(toNodeListener(memoryCase.createHandler(sinkUrl)));
// Long honest uploads: Node's default requestTimeout (300 s) would cut a slow 1 GiB body.
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.(`http://127.0.0.1:${port}`);
});
