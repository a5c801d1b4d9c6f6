/**
 * The in-page half of the bench: each case as one async function on `window.bench`, called by `run.ts` through
 * Playwright. Every case reports its wall time and the main thread's long tasks during that time.
 */
import SparkMD5 from 'spark-md5';
import { HashClient, hashWorkerCount } from '../src/hashing/hash-client.js';
import type { S3Checksum } from '../src/providers/s3.js';
import type { HashAlgorithm } from '../src/hashing/digest-spec.js';
import type { BenchWorkerReply, BenchWorkerRequest } from './bench.worker.js';
import { Upload as TusUpload } from 'tus-js-client';
import { planParts } from '../src/core/part-plan.js';
import type { ProviderAdapter } from '../src/core/adapter.js';
import { demoProviderConfigs } from '../demo/provider-configs.js';
import { loadBenchPackage } from './bench-package.js';
import { uploadManyWithElement, uploadManyWithManager, uploadManyWithUppyDashboard, uploadWithUppy } from './bench-peers.js';

const MiB = 1024 * 1024;
/** Ours as users get it; the HashClient rows (`ours`, `hashProvider`) use the sources, as the package keeps it inside. */
const pkg = await loadBenchPackage();
const PART_SIZE = 8 * MiB;
const CONCURRENCY = 4;
/** Long-task entries reach the observer in a later task than the one they measure; this covers that delay. */
const LONG_TASK_SETTLE_MS = 100;

/** One timed run of a case. */
export interface Measurement {
  /** Wall time of the measured span. */
  ms: number;
  /** Hex digests, in the order the case's algorithms were given (empty for cases that compute none). */
  digests: string[];
  /** Main-thread long tasks (over 50 ms) that started during the run. */
  longTasks: { count: number; ms: number };
  /** Long animation frames (over 50 ms) that started during the run: how many, the longest, and their blocking time. */
  longFrames: { count: number; longestMs: number; blockingMs: number };
  /** The stored object's key, for the upload cases. */
  objectKey?: string;
  /** The stored objects' keys, in file order, for the many-files cases. */
  objectKeys?: string[];
  /** For provider uploads: how long the file spent hashing before the provider was asked to create the upload. */
  hashPhaseMs?: number;
  /** For provider uploads: what the provider reported, to find the stored bytes. */
  result?: Record<string, unknown>;
}

/** The cases `run.ts` calls. */
export interface BenchApi {
  /** Size of the file picked in the page's `<input type=file>`. */
  fileSize(): number;
  /** Runs `gc()` in the page (the browser runs with `--expose-gc`). */
  collectGarbage(): void;
  /** Serial `slice(sliceSize).arrayBuffer()` loop in the bench worker, bytes discarded. */
  readOnly(sliceSize: number): Promise<Measurement>;
  /** Our HashClient with `workers` workers over the file: one whole-file digest per algorithm, all from one read. */
  ours(algorithms: readonly HashAlgorithm[], workers: number): Promise<Measurement>;
  /** The hashing pool our UploadManager makes here with the bench's parts in flight. */
  poolSize(): number;
  /** Reads the whole file into the bench worker's memory for `pure`. */
  load(): Promise<Measurement>;
  /** hash-wasm over the in-memory copy, `chunkSize` bytes per update; `ms` is hashing time only. */
  pure(algorithms: readonly HashAlgorithm[], chunkSize: number): Promise<Measurement>;
  /** Frees the in-memory copy. */
  drop(): Promise<void>;
  /** spark-md5 on the main thread, 8 MiB slices appended incrementally. */
  spark(): Promise<Measurement>;
  /**
   * Our UploadManager with the S3 adapter against the backend routes under `api`; `cores` stands in for
   * `navigator.hardwareConcurrency`, which sizes the hashing pool, to show what the pool adds.
   */
  uploadEngine(api: string, checksum: S3Checksum, cores?: number): Promise<Measurement>;
  /** Uppy 6 with `@uppy/aws-s3` through the same routes, in the same parts, as many at a time. */
  uploadUppy(api: string): Promise<Measurement>;
  /** The first `count` files of `#many` dropped at once on our element (S3, default checksum, auto-start). */
  manyElement(api: string, count: number, bare?: boolean): Promise<Measurement>;
  /** The same files added at once to our UploadManager without the element. */
  manyManager(api: string, count: number): Promise<Measurement>;
  /** The same files added at once to Uppy 6's Dashboard with `@uppy/aws-s3`, auto-proceeding. */
  manyUppyDashboard(api: string, count: number): Promise<Measurement>;
  /**
   * The same parts presigned through the same routes, then plain XHR PUTs, `CONCURRENCY` at a time; with `fromMemory`
   * each part is read in a worker, transferred, and sent as a Blob made of those bytes instead of a file-backed slice
   * (what "read each part once, hash it and send the same bytes" would cost; an ArrayBuffer body is slower still).
   */
  uploadRaw(api: string, fromMemory?: boolean): Promise<Measurement>;
  /** One upload through our engine with a registered provider, configured as the demo does, `extra` on top. */
  uploadProvider(id: string, extra: Record<string, unknown>): Promise<Measurement>;
  /** Our HashClient computing exactly the digests that provider's adapter declares for the file. */
  hashProvider(id: string, extra: Record<string, unknown>): Promise<Measurement>;
  /** tus-js-client uploading the file to a tus server, `chunkSize` bytes per PATCH. */
  tusJsClient(endpoint: string, chunkSize: number): Promise<Measurement>;
}

declare global {
  interface Window {
    bench: BenchApi;
  }
}

const longTasks: PerformanceEntry[] = [];
new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: true });
/** `PerformanceLongAnimationFrameTiming`, which the DOM lib does not type yet. */
type LongFrame = PerformanceEntry & { blockingDuration: number };
const longFrames: LongFrame[] = [];
new PerformanceObserver((list) => longFrames.push(...(list.getEntries() as LongFrame[]))).observe({ type: 'long-animation-frame', buffered: true });

function pickedFile(): File {
  const file = document.querySelector<HTMLInputElement>('#file')?.files?.[0];
  if (!file) throw new Error('No file has been set on #file.');
  return file;
}

function manyFiles(count: number): File[] {
  const files = [...(document.querySelector<HTMLInputElement>('#many')?.files ?? [])];
  if (files.length < count) throw new Error(`#many holds ${files.length} files, not ${count}.`);
  return files.slice(0, count);
}

async function measured(
  work: () => Promise<{
    ms?: number;
    digests?: string[];
    objectKey?: string;
    objectKeys?: string[];
    hashPhaseMs?: number;
    result?: Record<string, unknown>;
  }>,
): Promise<Measurement> {
  const t0 = performance.now();
  const outcome = await work();
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, LONG_TASK_SETTLE_MS));
  const during = longTasks.filter((entry) => entry.startTime >= t0 && entry.startTime <= t1);
  const frames = longFrames.filter((entry) => entry.startTime >= t0 && entry.startTime <= t1);
  longTasks.length = 0;
  longFrames.length = 0;
  return {
    ms: outcome.ms ?? t1 - t0,
    digests: outcome.digests ?? [],
    longTasks: { count: during.length, ms: during.reduce((sum, entry) => sum + entry.duration, 0) },
    longFrames: {
      count: frames.length,
      longestMs: frames.reduce((longest, entry) => Math.max(longest, entry.duration), 0),
      blockingMs: frames.reduce((sum, entry) => sum + entry.blockingDuration, 0),
    },
    ...(outcome.objectKey !== undefined && { objectKey: outcome.objectKey }),
    ...(outcome.objectKeys !== undefined && { objectKeys: outcome.objectKeys }),
    ...(outcome.hashPhaseMs !== undefined && { hashPhaseMs: outcome.hashPhaseMs }),
    ...(outcome.result !== undefined && { result: outcome.result }),
  };
}

let benchWorker: Worker | undefined;

function askWorker(request: BenchWorkerRequest): Promise<{ ms: number; digests: string[]; bytes?: ArrayBuffer }> {
  benchWorker ??= new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
  const worker = benchWorker;
  return new Promise((resolve, reject) => {
    const onMessage = ({ data }: MessageEvent<BenchWorkerReply>) => {
      worker.removeEventListener('message', onMessage);
      if (data.ok) resolve({ ms: data.ms, digests: data.digests, bytes: data.bytes });
      else reject(new Error(data.error));
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage(request);
  });
}

/** One client per pool size, kept across runs as a manager keeps its own. */
const hashClients = new Map<number, HashClient>();

function hashClientWith(workers: number): HashClient {
  let client = hashClients.get(workers);
  if (!client) hashClients.set(workers, (client = new HashClient({ workers })));
  return client;
}

async function hashWithOurs(algorithms: readonly HashAlgorithm[], workers: number): Promise<{ digests: string[] }> {
  const blob = pickedFile();
  const run = hashClientWith(workers).start({
    blob,
    plan: { partSize: PART_SIZE, partCount: Math.max(1, Math.ceil(blob.size / PART_SIZE)) },
    specs: algorithms.map((algorithm) => ({ name: algorithm, algorithm, encoding: 'hex', scope: 'file', when: 'before-complete' })),
  });
  await run.done;
  const digests = await Promise.all(algorithms.map((algorithm) => run.digest(algorithm)));
  return { digests: digests.map(String) };
}

async function hashWithSpark(): Promise<{ digests: string[] }> {
  const file = pickedFile();
  const spark = new SparkMD5.ArrayBuffer();
  for (let start = 0; start < file.size; start += PART_SIZE) {
    spark.append(await file.slice(start, start + PART_SIZE).arrayBuffer());
  }
  return { digests: [spark.end()] };
}

/** Runs `work` with `navigator.hardwareConcurrency` reading `cores`, or as it is when `cores` is undefined. */
async function withCores<T>(cores: number | undefined, work: () => Promise<T>): Promise<T> {
  if (cores === undefined) return work();
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores, configurable: true });
  try {
    return await work();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function uploadWithEngine(api: string, checksum: S3Checksum): Promise<{ objectKey: string }> {
  const file = pickedFile();
  const manager = new pkg.main.UploadManager({
    adapter: pkg.s3.createS3Adapter({ endpoint: api, checksum }),
    concurrency: CONCURRENCY,
    partSize: PART_SIZE,
    resume: false,
  });
  try {
    const finished = new Promise<string>((resolve, reject) => {
      manager.addEventListener('task-complete', (event) => resolve(String(event.detail.result.key)));
      manager.addEventListener('task-error', (event) => reject(event.detail.error));
    });
    await manager.addFiles([file]);
    manager.start();
    return { objectKey: await finished };
  } finally {
    manager.dispose();
  }
}

async function backendJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function putPart(url: string, headers: Record<string, string>, body: Blob | ArrayBuffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.onload = () => {
      const etag = xhr.getResponseHeader('ETag');
      if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
      else reject(new Error(`PUT part: HTTP ${xhr.status}, ETag ${etag ?? 'unreadable'}: ${xhr.responseText.slice(0, 200)}`));
    };
    xhr.onerror = () => reject(new Error('PUT part: network error'));
    xhr.send(body);
  });
}

/** Runs `work(0..count-1)` with at most `limit` in flight, keeping results in index order. */
async function inPool<T>(count: number, limit: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}

/** The bench worker answers one request at a time; reads of parts for the lanes queue here. */
let sliceQueue: Promise<unknown> = Promise.resolve();

function partBytes(file: File, start: number, end: number): Promise<ArrayBuffer> {
  const read = sliceQueue.then(() => askWorker({ type: 'slice', file, start, end }));
  sliceQueue = read.catch(() => undefined);
  return read.then(({ bytes }) => bytes!);
}

async function uploadRawXhr(api: string, fromMemory = false): Promise<{ objectKey: string }> {
  const file = pickedFile();
  const partCount = Math.max(1, Math.ceil(file.size / PART_SIZE));
  const { key, uploadId } = await backendJson<{ key: string; uploadId: string }>(`${api}/s3/multipart`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: file.name, type: file.type, metadata: {}, size: file.size }),
  });
  const id = encodeURIComponent(uploadId);
  const query = `key=${encodeURIComponent(key)}`;
  const signed = await inPool(partCount, CONCURRENCY, (index) =>
    backendJson<{ url: string; headers?: Record<string, string> }>(`${api}/s3/multipart/${id}/${index + 1}?${query}`),
  );
  const etags = await inPool(partCount, CONCURRENCY, async (index) => {
    const [start, end] = [index * PART_SIZE, Math.min((index + 1) * PART_SIZE, file.size)];
    return putPart(signed[index]!.url, signed[index]!.headers ?? {}, fromMemory ? new Blob([await partBytes(file, start, end)]) : file.slice(start, end));
  });
  await backendJson(`${api}/s3/multipart/${id}/complete?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) }),
  });
  return { objectKey: key };
}

/** The adapter the demo would use for `id` (the bench page proxies the demo's paths), with `extra` options on top. */
async function providerAdapter(id: string, extra: Record<string, unknown>): Promise<ProviderAdapter> {
  const config = demoProviderConfigs[id];
  if (!config) throw new Error(`The demo has no configuration for ${id}.`);
  const endpoint = typeof extra.endpoint === 'string' ? extra.endpoint : new URL(config.endpoint, location.href).href;
  return pkg.main.createAdapter(id, { ...config.adapterOptions, ...extra, endpoint });
}

async function uploadWithProvider(id: string, extra: Record<string, unknown>): Promise<{ hashPhaseMs: number; result: Record<string, unknown> }> {
  const manager = new pkg.main.UploadManager({ adapter: await providerAdapter(id, extra), concurrency: CONCURRENCY, partSize: PART_SIZE, resume: false });
  const started = performance.now();
  let hashPhaseMs = 0;
  manager.addEventListener('task-state', (event) => {
    if (event.detail.state === 'uploading' && hashPhaseMs === 0) hashPhaseMs = performance.now() - started;
  });
  try {
    const finished = new Promise<Record<string, unknown>>((resolve, reject) => {
      manager.addEventListener('task-complete', (event) => resolve({ ...event.detail.result }));
      manager.addEventListener('task-error', (event) => reject(event.detail.error));
    });
    await manager.addFiles([pickedFile()]);
    manager.start();
    return { hashPhaseMs, result: await finished };
  } finally {
    manager.dispose();
  }
}

async function hashForProvider(id: string, extra: Record<string, unknown>): Promise<{ digests: string[] }> {
  const adapter = await providerAdapter(id, extra);
  const file = pickedFile();
  const description = { name: file.name, size: file.size, type: file.type, lastModified: file.lastModified };
  const specs = adapter.digests(description);
  if (specs.length === 0) return { digests: [] };
  const run = hashClientWith(hashWorkerCount(CONCURRENCY)).start({
    blob: file,
    plan: adapter.planParts?.(description, PART_SIZE) ?? planParts(file.size, adapter.limits, PART_SIZE),
    specs,
  });
  await run.done;
  return { digests: [] };
}

function uploadWithTusJsClient(endpoint: string, chunkSize: number): Promise<{}> {
  const file = pickedFile();
  return new Promise((resolve, reject) => {
    const upload = new TusUpload(file, {
      endpoint,
      chunkSize,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      storeFingerprintForResuming: false,
      retryDelays: [0, 1000],
      onSuccess: () => resolve({}),
      onError: reject,
    });
    upload.start();
  });
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

window.bench = {
  fileSize: () => pickedFile().size,
  collectGarbage: () => collectGarbage?.(),
  readOnly: (sliceSize) => measured(() => askWorker({ type: 'read', file: pickedFile(), sliceSize })),
  ours: (algorithms, workers) => measured(() => hashWithOurs(algorithms, workers)),
  poolSize: () => hashWorkerCount(CONCURRENCY),
  load: () => measured(() => askWorker({ type: 'load', file: pickedFile() })),
  pure: (algorithms, chunkSize) => measured(() => askWorker({ type: 'hash', algorithms, chunkSize })),
  drop: async () => {
    await askWorker({ type: 'drop' });
  },
  spark: () => measured(hashWithSpark),
  uploadEngine: (api, checksum, cores) => measured(() => withCores(cores, () => uploadWithEngine(api, checksum))),
  uploadUppy: (api) => measured(() => uploadWithUppy(api, pickedFile(), PART_SIZE, CONCURRENCY)),
  manyElement: (api, count, bare = false) => measured(() => uploadManyWithElement(pkg, api, manyFiles(count), CONCURRENCY, { bare })),
  manyManager: (api, count) => measured(() => uploadManyWithManager(pkg, api, manyFiles(count), CONCURRENCY)),
  manyUppyDashboard: (api, count) => measured(() => uploadManyWithUppyDashboard(api, manyFiles(count), CONCURRENCY)),
  uploadRaw: (api, fromMemory) => measured(() => uploadRawXhr(api, fromMemory)),
  uploadProvider: (id, extra) => measured(() => uploadWithProvider(id, extra)),
  hashProvider: (id, extra) => measured(() => hashForProvider(id, extra)),
  tusJsClient: (endpoint, chunkSize) => measured(() => uploadWithTusJsClient(endpoint, chunkSize)),
};
