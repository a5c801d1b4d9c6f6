/**
 * `npm run bench:server [-- --size <MiB>]`: how much a server running the shipped proxy handlers grows while a large
 * body goes through each of them (default 1 GiB). Each case runs the handler in a fresh child process behind
 * `toNodeListener`, pushes the body from this process over loopback HTTP at full speed, forwards it to a sink that
 * reads and drops it, and reads the child's resident memory from /proc while the bytes flow. Prints one markdown table:
 * peak growth over the child's resident size after a warm-up request. Not a test: figures vary with the machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MEMORY_CASES, type MemoryCase, type PushedRequest } from './server-memory-cases.js';

const MiB = 1024 * 1024;
const SAMPLE_MS = 10;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Resident set size of `pid` in bytes, from /proc (Linux). */
function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** A sink upstream: reads and drops every body, counts its bytes, and answers what the case says. */
async function startSink(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  let url = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => {
      const answer = sinkAnswer(req.method ?? 'GET', req.url ?? '/', url);
      res.writeHead(200, { 'content-type': answer.type, etag: '"sink"' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    received: () => received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function sinkAnswer(method: string, path: string, sinkUrl: string): { type: string; body: string } {
  for (const memoryCase of MEMORY_CASES) {
    const answer = memoryCase.sinkAnswer?.(method, path, sinkUrl);
    if (answer !== undefined) return { type: 'application/json', body: JSON.stringify(answer) };
  }
  return { type: 'text/plain', body: '' };
}

/** Sends `size` bytes of random data (one 1 MiB buffer over and over) as the body of `pushed`, respecting backpressure. */
function push(origin: string, pushed: PushedRequest, size: number): Promise<{ status: number; body: string }> {
  const block = randomFillSync(Buffer.alloc(MiB));
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${origin}${pushed.path}`, {
      method: pushed.method,
      headers: { ...pushed.headers(size), 'content-length': String(pushed.head.length + size + pushed.tail.length) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.write(pushed.head);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const slice = block.subarray(0, Math.min(MiB, size - sent));
        sent += slice.length;
        if (!request.write(slice)) {
          request.once('drain', write);
          return;
        }
      }
      request.end(pushed.tail);
    };
    write();
  });
}

interface Measured {
  name: string;
  sizeMiB: number;
  baselineMiB: number;
  peakGrowthMiB: number;
  seconds: number;
  forwardedMiB: number;
}

async function runCase(memoryCase: MemoryCase, sinkUrl: string, sink: { received: () => number }, size: number): Promise<Measured> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./server-memory-child.ts', import.meta.url)), [memoryCase.name, sinkUrl], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const origin = await new Promise<string>((resolve, reject) => {
      child.once('message', (message) => resolve(String(message)));
      child.once('exit', (code) => reject(new Error(`The ${memoryCase.name} server exited with ${code}.`)));
    });
    // One small request first, so that lazy initialisation is not counted as growth.
    const warmup = await memoryCase.prepare(origin, 8 * MiB);
    const warm = await push(origin, warmup, 8 * MiB);
    if (warm.status !== 200) throw new Error(`Warm-up of ${memoryCase.name} answered ${warm.status}: ${warm.body}`);
    const pid = child.pid as number;
    const baseline = residentBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, residentBytes(pid));
    }, SAMPLE_MS);
    const before = sink.received();
    const started = performance.now();
    const requestBytes = memoryCase.requestBytes ?? size;
    let answer = { status: 200, body: '' };
    for (let pushedBytes = 0; pushedBytes < size && answer.status === 200; pushedBytes += requestBytes) {
      const bytes = Math.min(requestBytes, size - pushedBytes);
      answer = await push(origin, await memoryCase.prepare(origin, bytes), bytes);
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, residentBytes(pid));
    if (answer.status !== 200) throw new Error(`${memoryCase.name} answered ${answer.status}: ${answer.body}`);
    return {
      name: memoryCase.name,
      sizeMiB: size / MiB,
      baselineMiB: baseline / MiB,
      peakGrowthMiB: (peak - baseline) / MiB,
      seconds,
      forwardedMiB: (sink.received() - before) / MiB,
    };
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '1024' }, case: { type: 'string', multiple: true } } });
  const sizeMiB = Number(values.size);
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB <= 0) throw new Error(`--size takes a whole number of MiB, not "${values.size}".`);
  const cases = values.case ? MEMORY_CASES.filter((memoryCase) => values.case?.includes(memoryCase.name)) : MEMORY_CASES;
  const sink = await startSink();
  const rows: Measured[] = [];
  try {
    for (const memoryCase of cases) {
      log(`${memoryCase.name}: pushing ${sizeMiB} MiB …`);
      rows.push(await runCase(memoryCase, sink.url, sink, sizeMiB * MiB));
    }
  } finally {
    await sink.close();
  }
  const lines = [
    `Server memory while ${sizeMiB} MiB go through each proxy (Node ${process.version}, peak RSS over the warm child's RSS)`,
    '',
    '| proxy | body MiB | forwarded MiB | child RSS at start MiB | peak growth MiB | seconds | MiB/s |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${MEMORY_CASES.find((memoryCase) => memoryCase.name === row.name)?.label ?? row.name} | ${row.sizeMiB} | ${row.forwardedMiB.toFixed(0)} | ${row.baselineMiB.toFixed(1)} | **${row.peakGrowthMiB.toFixed(1)}** | ${row.seconds.toFixed(1)} | ${(row.sizeMiB / row.seconds).toFixed(0)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
