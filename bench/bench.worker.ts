/**
 * The bench's own worker: a bare read loop (no hashing) and hash-wasm on bytes already in memory (no reading), so that
 * read cost and hash cost can be told apart from what the hashing layer does with both.
 */
import type { HashAlgorithm } from '../src/hashing/digest-spec.js';
import { createHasher, type Hasher } from '../src/hashing/hashers.js';

/** What the page asks of this worker; each request gets exactly one reply. */
export type BenchWorkerRequest =
  | { type: 'read'; file: Blob; sliceSize: number }
  | { type: 'load'; file: Blob }
  | { type: 'hash'; algorithms: readonly HashAlgorithm[]; chunkSize: number }
  | { type: 'drop' }
  | { type: 'slice'; file: Blob; start: number; end: number };

/** The reply: elapsed milliseconds, the hex digests of a `hash` request, and the bytes of a `slice` request (transferred). */
export type BenchWorkerReply = { ok: true; ms: number; digests: string[]; bytes?: ArrayBuffer } | { ok: false; error: string };

interface WorkerScope {
  postMessage(message: BenchWorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<BenchWorkerRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
let loaded: Uint8Array | undefined;

async function readLoop(file: Blob, sliceSize: number): Promise<void> {
  let bytesRead = 0;
  for (let start = 0; start < file.size; start += sliceSize) {
    bytesRead += (await file.slice(start, start + sliceSize).arrayBuffer()).byteLength;
  }
  if (bytesRead !== file.size) throw new Error(`Read ${bytesRead} of ${file.size} bytes.`);
}

async function hashLoaded(algorithms: readonly HashAlgorithm[], chunkSize: number): Promise<{ ms: number; digests: string[] }> {
  if (!loaded) throw new Error('Nothing loaded to hash.');
  // Hasher creation (WASM instantiation) stays outside the timed span: only the bytes per second count.
  const hashers: Hasher[] = await Promise.all(algorithms.map((algorithm) => createHasher(algorithm)));
  const t0 = performance.now();
  for (let start = 0; start < loaded.length; start += chunkSize) {
    const chunk = loaded.subarray(start, start + chunkSize);
    for (const hasher of hashers) hasher.update(chunk);
  }
  const digests = hashers.map((hasher) => hasher.digest('hex'));
  return { ms: performance.now() - t0, digests };
}

async function handle(request: BenchWorkerRequest): Promise<{ ms: number; digests: string[]; bytes?: ArrayBuffer }> {
  const t0 = performance.now();
  switch (request.type) {
    case 'read':
      await readLoop(request.file, request.sliceSize);
      return { ms: performance.now() - t0, digests: [] };
    case 'load':
      loaded = new Uint8Array(await request.file.arrayBuffer());
      return { ms: performance.now() - t0, digests: [] };
    case 'hash':
      return hashLoaded(request.algorithms, request.chunkSize);
    case 'slice':
      return { ms: 0, digests: [], bytes: await request.file.slice(request.start, request.end).arrayBuffer() };
    case 'drop':
      loaded = undefined;
      collectGarbage?.();
      return { ms: performance.now() - t0, digests: [] };
  }
}

scope.addEventListener('message', ({ data }) => {
  handle(data).then(
    ({ ms, digests, bytes }) => scope.postMessage({ ok: true, ms, digests, bytes }, bytes ? [bytes] : []),
    (error: unknown) => scope.postMessage({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
