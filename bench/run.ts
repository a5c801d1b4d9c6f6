/**
 * `npm run bench [-- --size <MiB> --big <MiB> --files 50,1000 --runs N --only <regex> --short]`: read, hash and upload
 * throughput in headless Chromium on generated files on disk, given to the page through a real `<input type=file>` so
 * that they are disk-backed like a user's files, with the peers beside ours (raw XHR, Uppy 6 with `@uppy/aws-s3` and
 * its Dashboard, tus-js-client) against the same servers. Rows of one group run interleaved (round by round), every
 * stored object is checked byte for byte, and the table ends with ratios to raw XHR and to the peer. `--short` is the
 * quick form (64 MiB, no 1 GiB row, 50 files, no provider rows). Prints one markdown table. Not a test: figures on a
 * shared machine vary from run to run, so CI runs it only at tiny sizes (test/node/bench/bench-smoke.test.ts), for its
 * byte checks.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { build as viteBuild, createServer as createViteServer } from 'vite';
import { startEmulatorServer, type EmulatorServer } from '../src/emulators/node-server.js';
import { startTusServer } from '../test/helpers/tus-server.js';
import { S3RVER_BUCKET, s3rverMount, startS3rver } from '../test/helpers/s3rver.js';
import { createHasher } from '../src/hashing/hashers.js';
import type { HashAlgorithm } from '../src/hashing/digest-spec.js';
import type { S3Checksum } from '../src/providers/s3.js';
import type { Measurement } from './bench-page.js';
import { BENCH_PACKAGE_DIR } from './bench-package.js';
import { SOAK_PROVIDERS } from './soak-providers.js';
import { startS3Sink } from './s3-sink.js';
import { createS3Handler } from '../src/server/s3-handler.js';
import { CHROMIUM_ARGS } from './chromium.js';
import { browserCpuMs, rendererPids, residentMiB } from './browser-processes.js';

const MiB = 1024 * 1024;
const SLICE_SIZE = 8 * MiB;
const RUN_TIMEOUT_MS = 600_000;
const SMALL_FILE_SIZE = 16 * 1000;
const S3RVER_API_PATH = '/api-s3rver';
const SINK_API_PATH = '/api-sink';
const SINK_BUCKET = 'sink';
const ALGORITHMS: HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'crc32', 'crc32c', 'crc64', 'crc64nvme'];
/** The "one read feeds every hasher" case. */
const COMBINED: HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'crc64'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Provider uploads: id, the mode in words, and adapter options on top of the demo's. Rapid upload is off: every run
 * uploads the same bytes, which would otherwise finish without sending any.
 */
const PROVIDER_CASES: Array<[string, string, Record<string, unknown>]> = [
  ['aliyun-pds', 'serial parts, CRC-64 at complete', { rapidUpload: false }],
  ['aliyun-pds', 'parallel parts with SHA-1 contexts', { rapidUpload: false, parallelUpload: true }],
  ['huawei-koodrive', 'serial parts, SHA-256 at complete', { rapidUpload: false }],
  ['huawei-koodrive', 'parallel parts with SHA-256 contexts', { rapidUpload: false, mode: 'parallel' }],
  ['huawei-metastudio', 'MD5 first, then one PUT (through the handler)', {}],
  ['iflytek-ost', 'form-data slices through the signing proxy', {}],
  ['tencent-cos-v4', 'SHA-1 slice states first, then 1 MiB slices (the default)', {}],
  ['tencent-cos-v4', 'SHA-1 slice states first, then 3 MiB slices (the largest v4 allows)', { sliceSize: 3 * MiB }],
  ['tus', 'concatenation: parallel partial uploads', { checksum: 'none' }],
];

interface BenchOptions {
  sizeMiB: number;
  /** The disk-backed big-file group's size; 0 leaves it out. */
  bigMiB: number;
  /** Batch sizes of the many-files group; empty leaves it out. */
  fileCounts: number[];
  runs: number;
  /** Only the groups whose section matches. */
  only: RegExp | undefined;
  short: boolean;
}

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      big: { type: 'string' },
      files: { type: 'string' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
      short: { type: 'boolean', default: false },
    },
  });
  const short = values.short;
  const whole = (name: string, value: string, min: number): number => {
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < min) throw new Error(`--${name} takes a whole number ≥ ${min}, not "${value}".`);
    return number;
  };
  return {
    sizeMiB: whole('size', values.size ?? (short ? '64' : '256'), 1),
    bigMiB: whole('big', values.big ?? (short ? '0' : '1024'), 0),
    fileCounts: (values.files ?? (short ? '50' : '50,1000')).split(',').filter(Boolean).map((count) => whole('files', count, 1)),
    runs: whole('runs', values.runs, 1),
    only: values.only === undefined ? undefined : new RegExp(values.only, 'i'),
    short,
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Writes `size` random bytes to `path` and returns every algorithm's hex digest of them, computed without our code. */
async function writeTestFile(path: string, size: number): Promise<Record<HashAlgorithm, string>> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  // No Node API computes these three; hash-wasm in Node checks the browser-side plumbing, not the algorithm.
  const [crc32c, crc64, crc64nvme] = await Promise.all([createHasher('crc32c'), createHasher('crc64'), createHasher('crc64nvme')]);
  let crc = 0;
  const chunk = Buffer.alloc(SLICE_SIZE);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const bytes = chunk.subarray(0, Math.min(SLICE_SIZE, size - written));
      randomFillSync(bytes);
      writeSync(fd, bytes);
      for (const hasher of [md5, sha1, sha256]) hasher.update(bytes);
      for (const hasher of [crc32c, crc64, crc64nvme]) hasher.update(bytes);
      crc = crc32(bytes, crc);
      written += bytes.length;
    }
  } finally {
    closeSync(fd);
  }
  return {
    md5: md5.digest('hex'),
    sha1: sha1.digest('hex'),
    sha256: sha256.digest('hex'),
    crc32: (crc >>> 0).toString(16).padStart(8, '0'),
    crc32c: crc32c.digest('hex'),
    crc64: crc64.digest('hex'),
    crc64nvme: crc64nvme.digest('hex'),
  };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${RUN_TIMEOUT_MS / 1000} s.`)), RUN_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const megabytesPerSecond = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** One row of the printed table. */
interface Row {
  section: string;
  name: string;
  result: string;
  runs: string;
  longTasks: string;
  longFrames: string;
  memory: string;
  /** CPU time of this Node process per run: the emulators, stores and servers answering the page. */
  serverCpu: string;
  /** CPU time of the browser's processes per run: the page, its workers, the network and GPU processes. */
  browserCpu: string;
  check: string;
}

/** The cells of a row that only measured rows fill. */
const NO_MEASUREMENT = { runs: '', longTasks: '', longFrames: '', memory: '', serverCpu: '', browserCpu: '', check: '' };

/** A measured case: its row, and its median time and median server CPU time for the ratios. */
interface CaseResult {
  row: Row;
  medianMs: number;
  serverCpuMs: number;
  browserCpuMs: number;
}

interface CaseSpec {
  section: string;
  name: string;
  /** Bytes one run processes, for MB/s. */
  bytes: number;
  /** For a batch: the files one run uploads; the result is then milliseconds per file. */
  files?: number;
  run: () => Promise<Measurement>;
  /** Checks one measured run; returns a problem, or undefined. */
  verify?: (measurement: Measurement) => string | undefined | Promise<string | undefined>;
  /** What a passing `verify` proved, for the check column. */
  verified?: string;
  /** Runs after every run, the warm-up included (store reset); awaited so that it never overlaps the next run. */
  after?: () => unknown;
}

/** Peak memory over one run: the page's JS heap (CDP `Performance.getMetrics`) and the renderer processes' RSS. */
interface MemoryPeak {
  heapMiB: number;
  rendererMiB: number;
}

const MEMORY_POLL_MS = 200;

/** Samples memory until the returned function is called, which resolves with the peaks. */
function sampleMemory(cdp: CDPSession): () => Promise<MemoryPeak> {
  const peak: MemoryPeak = { heapMiB: 0, rendererMiB: 0 };
  const pids = rendererPids();
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
      const heap = metrics.find((metric) => metric.name === 'JSHeapTotalSize')?.value ?? 0;
      peak.heapMiB = Math.max(peak.heapMiB, heap / MiB);
      peak.rendererMiB = Math.max(peak.rendererMiB, residentMiB(pids));
      await new Promise((resolve) => setTimeout(resolve, MEMORY_POLL_MS));
    }
  })();
  return async () => {
    sampling = false;
    await loop;
    return peak;
  };
}

/**
 * Measures a group of cases interleaved: one warm-up round (worker start, WASM compile, the page cache, connection
 * set-up) unless `warmUp` is false, then `runs` rounds, each running every case once, so that a change in the
 * machine's load hits every row of the group alike.
 */
async function measureGroup(page: Page, specs: CaseSpec[], runs: number, options: { warmUp?: boolean; cdp?: CDPSession } = {}): Promise<CaseResult[]> {
  const measurements: Measurement[][] = specs.map(() => []);
  const serverCpu: number[][] = specs.map(() => []);
  const browserCpu: number[][] = specs.map(() => []);
  const peaks: MemoryPeak[][] = specs.map(() => []);
  const problems: string[][] = specs.map(() => []);
  const failures: Array<string | undefined> = specs.map(() => undefined);
  const warmUp = options.warmUp ?? true;
  for (let round = warmUp ? 0 : 1; round <= runs; round++) {
    for (const [index, spec] of specs.entries()) {
      if (failures[index] !== undefined) continue;
      const label = `${spec.section}: ${spec.name}`;
      log(`… ${round === 0 ? 'warm-up' : `round ${round}`}: ${label}`);
      try {
        await page.evaluate(() => window.bench.collectGarbage());
        const stopSampling = options.cdp && sampleMemory(options.cdp);
        let measurement: Measurement;
        const browserCpuBefore = browserCpuMs();
        const cpuBefore = process.cpuUsage();
        try {
          measurement = await withTimeout(spec.run(), label);
          const cpu = process.cpuUsage(cpuBefore);
          if (round > 0) {
            serverCpu[index]!.push((cpu.user + cpu.system) / 1000);
            browserCpu[index]!.push(browserCpuMs() - browserCpuBefore);
          }
        } finally {
          const peak = await stopSampling?.();
          if (peak && round > 0) peaks[index]!.push(peak);
        }
        const problem = await spec.verify?.(measurement);
        if (problem) problems[index]!.push(problem);
        if (round > 0) measurements[index]!.push(measurement);
        log(`  ${Math.round(measurement.ms)} ms${problem ? ` ✗ ${problem}` : ''}`);
      } catch (error) {
        failures[index] = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        log(`  failed: ${failures[index]}`);
      } finally {
        await spec.after?.();
      }
    }
  }
  return specs.map((spec, index) => {
    const failure = failures[index];
    if (failure !== undefined) {
      return { row: { section: spec.section, name: spec.name, result: `failed: ${failure}`, ...NO_MEASUREMENT }, medianMs: NaN, serverCpuMs: NaN, browserCpuMs: NaN };
    }
    const taken = measurements[index]!;
    const medianMs = median(taken.map((m) => m.ms));
    const serverCpuMs = median(serverCpu[index]!);
    const browserCpuMs = median(browserCpu[index]!);
    const figure = (ms: number): string =>
      spec.files ? `${(ms / spec.files).toFixed(1)} ms/file` : `${Math.round(megabytesPerSecond(spec.bytes, ms))}`;
    const memory = peaks[index]!;
    const row: Row = {
      section: spec.section,
      name: spec.name,
      result: `**${figure(medianMs)}**`,
      runs: taken.map((m) => figure(m.ms).replace(' ms/file', '')).join(', '),
      longTasks: `${median(taken.map((m) => m.longTasks.count))} / ${Math.round(median(taken.map((m) => m.longTasks.ms)))} ms`,
      longFrames: `${median(taken.map((m) => m.longFrames.count))} / ${Math.round(median(taken.map((m) => m.longFrames.longestMs)))} ms / ${Math.round(median(taken.map((m) => m.longFrames.blockingMs)))} ms`,
      memory: memory.length
        ? `${Math.round(Math.max(...memory.map((p) => p.heapMiB)))} / ${Math.round(Math.max(...memory.map((p) => p.rendererMiB)))} MiB`
        : '',
      serverCpu: `${(serverCpuMs / 1000).toFixed(2)} s`,
      browserCpu: `${(browserCpuMs / 1000).toFixed(2)} s`,
      check: problems[index]!.length ? `✗ ${problems[index]![0]}` : (spec.verified ?? ''),
    };
    log(`  ${spec.name}: ${row.result.replaceAll('*', '')} [${row.runs}]`);
    return { row, medianMs, serverCpuMs, browserCpuMs };
  });
}

function digestCheck(algorithms: HashAlgorithm[], reference: Record<HashAlgorithm, string>) {
  return (measurement: Measurement): string | undefined => {
    const wrong = algorithms.findIndex((algorithm, i) => measurement.digests[i]?.toLowerCase() !== reference[algorithm]);
    return wrong < 0 ? undefined : `${algorithms[wrong]} ${measurement.digests[wrong]} ≠ ${reference[algorithms[wrong]!]}`;
  };
}

function toMarkdown(rows: Row[]): string {
  const header: Row = {
    section: 'section',
    name: 'case',
    result: 'MB/s, ms/file or value (median)',
    runs: 'runs',
    longTasks: 'main-thread long tasks per run (count / total, median)',
    longFrames: 'long animation frames per run (count / longest / blocking, median)',
    memory: 'peak JS heap / renderer RSS',
    serverCpu: 'Node CPU per run (emulators, stores, servers; median)',
    browserCpu: 'browser CPU per run (page, workers, network and GPU processes; median)',
    check: 'check',
  };
  const cells = (row: Row) =>
    `| ${[row.section, row.name, row.result, row.runs, row.longTasks, row.longFrames, row.memory, row.serverCpu, row.browserCpu, row.check].join(' | ')} |`;
  return [cells(header), '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |', ...rows.map(cells)].join('\n');
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function environmentRows(browserVersion: string, options: BenchOptions, loadBefore: string): Row[] {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const env = (name: string, result: string): Row => ({ section: 'environment', name, result, ...NO_MEASUREMENT });
  return [
    env('Chromium (headless, playwright-core)', browserVersion),
    env('CPU', cpuModel),
    env('cores', String(cpus().length)),
    env('Node', process.version),
    // Other work on the machine competes for the same cores; the load average says how much there was.
    env('load average (1/5/15 min) at start → end', `${loadBefore} → ${loadAverage()}`),
    env('files', [
      `${options.sizeMiB} MiB`,
      ...(options.bigMiB > 0 ? [`${options.bigMiB} MiB`] : []),
      ...options.fileCounts.map((count) => `${count} × ${SMALL_FILE_SIZE / 1000} kB`),
    ].join(', ') + ' of random bytes on disk, picked through <input type=file>'),
    env(
      'method',
      `MB/s = 10^6 B/s; median of ${options.runs} interleaved rounds (after a warm-up round, except for the big file and the batches); 8 MiB slices and parts, 4 in flight`,
    ),
  ];
}

/** The md5 of what a GET of `url` answers, streamed; undefined for a non-2xx answer. */
async function md5OfUrl(url: string): Promise<{ md5: string; size: number } | undefined> {
  const response = await fetch(url);
  if (!response.ok || !response.body) return undefined;
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { md5: hash.digest('hex'), size };
}

/** What is wrong with the bytes a GET of `url` answers, against `expected`; undefined when they are the same. */
async function storedProblem(url: string, expected: { md5: string; size: number }): Promise<string | undefined> {
  const stored = await md5OfUrl(url);
  if (!stored) return `nothing stored under ${new URL(url).pathname}`;
  if (stored.size !== expected.size) return `stored ${stored.size} bytes`;
  return stored.md5 === expected.md5 ? undefined : `stored md5 ${stored.md5}`;
}

const keyPath = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

function md5OfFile(path: string): string {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

/** Writes `count` files of random bytes and returns their paths and md5s. */
function writeSmallFiles(directory: string, count: number): Array<{ path: string; md5: string }> {
  mkdirSync(directory, { recursive: true });
  return Array.from({ length: count }, (_, index) => {
    const path = join(directory, `photo-${String(index).padStart(4, '0')}.bin`);
    const bytes = randomFillSync(Buffer.alloc(SMALL_FILE_SIZE));
    writeFileSync(path, bytes);
    return { path, md5: createHash('md5').update(bytes).digest('hex') };
  });
}


async function main(): Promise<void> {
  // Vite then resolves Lit's production build, as a user's bundler does; its development build checks and warns at
  // every update, which would bill the element for work no user's page does.
  process.env.NODE_ENV = 'production';
  const options = readOptions();
  const { runs } = options;
  const loadBefore = loadAverage();
  const size = options.sizeMiB * MiB;
  const workDir = mkdtempSync(join(tmpdir(), 'mcu-bench-'));
  const closers: Array<() => Promise<unknown>> = [async () => rmSync(workDir, { recursive: true, force: true })];
  const wants = (section: string): boolean => !options.only || options.only.test(section);
  try {
    const filePath = join(workDir, `bench-${options.sizeMiB}MiB.bin`);
    log(`Writing ${options.sizeMiB} MiB to ${filePath} …`);
    const reference = await writeTestFile(filePath, size);

    const s3rver = await startS3rver();
    closers.push(() => s3rver.close());
    const sink = await startS3Sink();
    closers.push(() => sink.close());
    const sinkHandler = createS3Handler({
      bucket: SINK_BUCKET,
      region: 'us-east-1',
      endpoint: sink.url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'SINK', secretAccessKey: 'SINK' },
      keyPrefix: 'uploads/',
      basePath: SINK_API_PATH,
      allowedOrigins: '*',
    });
    const emulator: EmulatorServer = await startEmulatorServer({
      mounts: [s3rverMount(s3rver, S3RVER_API_PATH), { path: SINK_API_PATH, handler: sinkHandler }],
    });
    closers.push(() => emulator.close());
    const api = `${emulator.url}/api`;
    const s3rverApi = `${emulator.url}${S3RVER_API_PATH}`;
    const sinkApi = `${emulator.url}${SINK_API_PATH}`;

    log('Building the package …');
    await viteBuild({
      configFile: join(repoRoot, 'vite.config.ts'),
      root: repoRoot,
      logLevel: 'warn',
      build: { outDir: join(repoRoot, BENCH_PACKAGE_DIR), emptyOutDir: true },
    });

    const port = await freePort();
    const vite = await createViteServer({
      configFile: false,
      root: repoRoot,
      cacheDir: join(workDir, 'vite-cache'),
      logLevel: 'warn',
      server: {
        host: '127.0.0.1',
        port,
        strictPort: true,
        hmr: false,
        watch: null,
        // The same paths the demo proxies, so the page can use the demo's provider configurations unchanged.
        proxy: Object.fromEntries(['/api', '/emulator', '/__admin'].map((path) => [path, { target: emulator.url, changeOrigin: true }])),
      },
      // Bundling every dependency before the page loads keeps Vite from reloading the page (and losing the picked
      // file) when it discovers one on first import.
      optimizeDeps: {
        entries: ['bench/page.html'],
        include: [
          ...['spark-md5', 'hash-wasm', 'idb-keyval', 'dequal', 'tus-js-client', '@uppy/core', '@uppy/aws-s3', '@uppy/dashboard'],
          ...['lit', 'lit/decorators.js', 'lit/directives/guard.js', 'lit/directives/repeat.js', 'lit/directives/style-map.js'],
        ],
      },
      worker: { format: 'es' },
    });
    await vite.listen();
    closers.push(() => vite.close());

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'] });
    closers.push(() => browser.close());
    const page = await browser.newPage();
    page.on('pageerror', (error) => log(`  page exception: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') log(`  page ${message.type()}: ${message.text()}`);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`http://127.0.0.1:${port}/bench/page.html`);
    await page.waitForFunction(() => 'bench' in window);
    await page.setInputFiles('#file', filePath);
    const pickedSize = await page.evaluate(() => window.bench.fileSize());
    if (pickedSize !== size) throw new Error(`The page sees ${pickedSize} bytes, not ${size}.`);

    log('Warm-up read …');
    await page.evaluate((sliceSize) => window.bench.readOnly(sliceSize), SLICE_SIZE);

    const rows: Row[] = [];
    const group = async (specs: CaseSpec[], groupOptions?: { warmUp?: boolean; cdp?: CDPSession }): Promise<Array<CaseResult | undefined>> => {
      const chosen = specs.filter((spec) => wants(spec.section));
      const measured = chosen.length ? await measureGroup(page, chosen, runs, groupOptions) : [];
      rows.push(...measured.map((result) => result.row));
      return specs.map((spec) => {
        const at = chosen.indexOf(spec);
        return at < 0 ? undefined : measured[at];
      });
    };
    const derivedRows: Row[] = [];
    const derived = (name: string, result: string): void => {
      // A ratio between rows that did not run (left out by --only or --short) says nothing.
      if (/^(n\/a|[\s·])+$/.test(result)) return;
      derivedRows.push({ section: 'derived', name, result, ...NO_MEASUREMENT });
    };
    /** How many times faster `subject` ran than `reference` (a speed ratio: above 1 is faster). */
    const times = (subject?: CaseResult, reference?: CaseResult): string =>
      subject && reference && Number.isFinite(reference.medianMs / subject.medianMs) ? `${(reference.medianMs / subject.medianMs).toFixed(2)}×` : 'n/a';

    // Hashing: reading alone, hash-wasm alone on bytes in memory, and ours doing both, interleaved.
    const hashSection = 'read + hash (worker)';
    const algorithms: HashAlgorithm[] = options.short ? ['md5', 'sha256'] : ALGORITHMS;
    const poolWorkers = await page.evaluate(() => window.bench.poolSize());
    if (wants(hashSection)) {
      log('Loading the file into the bench worker for in-memory hashing …');
      await page.evaluate(() => window.bench.load());
    }
    const hashSpecs: CaseSpec[] = [
      {
        section: hashSection,
        name: 'read only: `slice(8 MiB).arrayBuffer()` loop, serial',
        bytes: size,
        run: () => page.evaluate((sliceSize) => window.bench.readOnly(sliceSize), SLICE_SIZE),
      },
      ...algorithms.flatMap((algorithm): CaseSpec[] => [
        {
          section: hashSection,
          name: `hash only: hash-wasm ${algorithm} over the file in memory`,
          bytes: size,
          run: () => page.evaluate(([list, chunkSize]) => window.bench.pure(list, chunkSize), [[algorithm], SLICE_SIZE] as const),
          verify: digestCheck([algorithm], reference),
          verified: '✓',
        },
        {
          section: hashSection,
          name: `our HashClient ${algorithm} over the file (${poolWorkers} workers: one reads, one hashes)`,
          bytes: size,
          run: () => page.evaluate(([list, workers]) => window.bench.ours(list, workers), [[algorithm], poolWorkers] as const),
          verify: digestCheck([algorithm], reference),
          verified: algorithm === 'crc32c' || algorithm.startsWith('crc64') ? '✓ = hash-wasm in Node' : '✓ = Node crypto/zlib',
        },
      ]),
      {
        section: hashSection,
        name: 'our HashClient md5 over the file, 1 worker (reads and hashes in turn)',
        bytes: size,
        run: () => page.evaluate(([list, workers]) => window.bench.ours(list, workers), [['md5'], 1] as const),
        verify: digestCheck(['md5'], reference),
        verified: '✓ = Node crypto',
      },
      {
        section: hashSection,
        name: `our HashClient ${COMBINED.join(' + ')} in one read`,
        bytes: size,
        run: () => page.evaluate(([list, workers]) => window.bench.ours(list, workers), [COMBINED, poolWorkers] as const),
        verify: digestCheck(COMBINED, reference),
        verified: '✓ all four',
      },
      {
        section: hashSection,
        name: 'baseline: spark-md5 3.0.2 on the main thread, 8 MiB slices',
        bytes: size,
        run: () => page.evaluate(() => window.bench.spark()),
        verify: digestCheck(['md5'], reference),
        verified: '✓ = Node crypto',
      },
    ];
    const hashResults = await group(hashSpecs);
    if (wants(hashSection)) await page.evaluate(() => window.bench.drop());
    const hashResult = (name: string) => hashResults[hashSpecs.findIndex((spec) => spec.name.startsWith(name))];
    const read = hashResult('read only');
    for (const algorithm of algorithms) {
      const pure = hashResult(`hash only: hash-wasm ${algorithm} `);
      const ours = hashResult(`our HashClient ${algorithm} over the file (`);
      const slower = [read, pure].reduce<CaseResult | undefined>((a, b) => (a && b ? (a.medianMs > b.medianMs ? a : b) : undefined), read);
      derived(`our ${algorithm} over the file × min(read only, hash-wasm ${algorithm} in memory)${algorithm === 'md5' ? ' (goal ≥ 0.8×)' : ''}`, times(ours, slower));
    }
    derived('our md5: pool × 1 worker', times(hashResult('our HashClient md5 over the file ('), hashResult('our HashClient md5 over the file, 1 worker')));
    derived('our md5 × spark-md5 on the main thread', times(hashResult('our HashClient md5 over the file ('), hashResult('baseline: spark-md5')));

    // S3 multipart to s3rver, ours beside raw XHR and Uppy 6.
    const s3Section = 'S3 multipart to s3rver through createS3Handler (8 MiB parts, 4 in flight)';
    const s3rverCheck = async (key: string | undefined, expected: { md5: string; size: number }): Promise<string | undefined> =>
      key === undefined ? 'no key' : storedProblem(`${s3rver.url}/${S3RVER_BUCKET}/${keyPath(key)}`, expected);
    const emptyS3rver = () => rmSync(join(s3rver.directory, S3RVER_BUCKET, 'uploads'), { recursive: true, force: true });
    const s3Spec = (name: string, run: () => Promise<Measurement>, expected = { md5: reference.md5, size }): CaseSpec => ({
      section: s3Section,
      name,
      bytes: expected.size,
      run,
      verify: (measurement) => s3rverCheck(measurement.objectKey, expected),
      verified: '✓ stored object md5',
      after: emptyS3rver,
    });
    const engine = (checksum: S3Checksum, cores?: number) => () =>
      page.evaluate(([endpoint, mode, coreCount]) => window.bench.uploadEngine(endpoint, mode, coreCount ?? undefined), [s3rverApi, checksum, cores ?? null] as const);
    const s3Specs: CaseSpec[] = [
      s3Spec('raw XHR: presign via the same routes, PUT `file.slice()` parts, complete (ceiling)', () =>
        page.evaluate((endpoint) => window.bench.uploadRaw(endpoint), s3rverApi),
      ),
      s3Spec('raw XHR, each part read once in a worker and sent from memory (`new Blob([bytes])`)', () =>
        page.evaluate((endpoint) => window.bench.uploadRaw(endpoint, true), s3rverApi),
      ),
      s3Spec('Uppy 6.3.1 + @uppy/aws-s3 6.3.1 (companionEndpoint, 8 MiB parts, limit 4)', () =>
        page.evaluate((endpoint) => window.bench.uploadUppy(endpoint), s3rverApi),
      ),
      s3Spec('ours, `checksum: none`', engine('none')),
      s3Spec(`ours, default (Content-MD5 per part, ${poolWorkers} hash workers)`, engine('md5')),
      s3Spec('ours, default, 1 hash worker (hardwareConcurrency read as 1)', engine('md5', 1)),
      s3Spec(`ours, \`checksum: crc32c\` (${poolWorkers} hash workers)`, engine('crc32c')),
      s3Spec(`ours, \`checksum: crc64nvme\` (${poolWorkers} hash workers)`, engine('crc64nvme')),
    ];
    const s3Results = await group(s3Specs);
    const [rawS3, rawMemoryS3, uppyS3, ...oursS3] = s3Results;
    derived('raw XHR from memory × raw XHR of file slices', times(rawMemoryS3, rawS3));
    s3Specs.slice(3).forEach((spec, index) => {
      const goal = spec.name.startsWith('ours, default (') ? ' (goal ≥ 0.9× raw here, ≥ 0.97× on ≥ 4 cores)' : '';
      derived(`${spec.name} × raw XHR · × Uppy 6${goal}`, `${times(oursS3[index], rawS3)} · ${times(oursS3[index], uppyS3)}`);
    });
    derived('Uppy 6 × raw XHR', times(uppyS3, rawS3));
    // Where the cores go: a run's wall on this machine cannot be shorter than its CPU time (browser + Node, s3rver
    // included) over the cores, so raw XHR's wall × cores / a row's CPU is the most that row can reach × raw XHR
    // here without doing less work, however well it overlaps.
    const cores = cpus().length;
    const cpuOf = (result?: CaseResult): number => (result ? result.browserCpuMs + result.serverCpuMs : NaN);
    const cpuLimit = (store: string, raw?: CaseResult, ours?: CaseResult): void => {
      if (!raw || !ours || !Number.isFinite(cpuOf(raw) / cpuOf(ours))) return;
      derived(
        `${store}: CPU per run, browser + Node: raw XHR (the cores it keeps busy: CPU / wall / ${cores}) · ours default · ours default's beyond raw's`,
        `${(cpuOf(raw) / 1000).toFixed(2)} s (${Math.round((cpuOf(raw) / raw.medianMs / cores) * 100)} %) · ${(cpuOf(ours) / 1000).toFixed(2)} s · ${((cpuOf(ours) - cpuOf(raw)) / 1000).toFixed(2)} s`,
      );
      derived(
        `${store}: the most ours default can reach × raw XHR on ${cores} cores with the CPU it uses (raw's wall × ${cores} / ours' CPU)`,
        `${((raw.medianMs * cores) / cpuOf(ours)).toFixed(2)}×`,
      );
    };
    cpuLimit('s3rver', rawS3, oursS3[1]);

    // The same uploads to a sink that checks and hashes nothing: the store's CPU off this machine's cores, as with a
    // real bucket, which shows what the browser side costs when the cores are the browser's.
    const sinkSection = 'S3 multipart to a sink store (keeps the bytes, checks nothing): the store\'s CPU off the cores';
    const sinkSpec = (name: string, run: () => Promise<Measurement>): CaseSpec => ({
      section: sinkSection,
      name,
      bytes: size,
      run,
      verify: ({ objectKey }) =>
        objectKey === undefined ? 'no key' : storedProblem(`${sink.url}/${SINK_BUCKET}/${keyPath(objectKey)}`, { md5: reference.md5, size }),
      verified: '✓ stored object md5',
      after: () => sink.clear(),
    });
    const sinkEngine = (checksum: S3Checksum) => () =>
      page.evaluate(([endpoint, mode]) => window.bench.uploadEngine(endpoint, mode), [sinkApi, checksum] as const);
    const [rawSink, uppySink, noneSink, defaultSink, crcSink] = await group([
      sinkSpec('raw XHR (ceiling)', () => page.evaluate((endpoint) => window.bench.uploadRaw(endpoint), sinkApi)),
      sinkSpec('Uppy 6.3.1 + @uppy/aws-s3', () => page.evaluate((endpoint) => window.bench.uploadUppy(endpoint), sinkApi)),
      sinkSpec('ours, `checksum: none`', sinkEngine('none')),
      sinkSpec(`ours, default (Content-MD5 per part, ${poolWorkers} hash workers)`, sinkEngine('md5')),
      sinkSpec(`ours, \`checksum: crc32c\` (${poolWorkers} hash workers)`, sinkEngine('crc32c')),
    ]);
    derived(
      'to the sink: ours default × raw XHR (goal ≥ 0.9×) · ours `checksum: none` × raw · ours crc32c × raw · ours default × Uppy 6',
      `${times(defaultSink, rawSink)} · ${times(noneSink, rawSink)} · ${times(crcSink, rawSink)} · ${times(defaultSink, uppySink)}`,
    );
    cpuLimit('sink', rawSink, defaultSink);

    // tus against a real @tus/server, ours beside tus-js-client.
    const tus = await startTusServer();
    closers.push(() => tus.close());
    const emptyTusStore = () => {
      for (const entry of readdirSync(tus.directory)) rmSync(join(tus.directory, entry), { recursive: true, force: true });
    };
    const tusStored = (): string | undefined => {
      const whole = readdirSync(tus.directory).filter((entry) => !entry.endsWith('.json') && statSync(join(tus.directory, entry)).size === size);
      if (whole.length === 0) return `no stored file of ${size} bytes`;
      return whole.some((entry) => md5OfFile(join(tus.directory, entry)) === reference.md5) ? undefined : 'stored md5 differs';
    };
    const tusSection = 'tus to a real @tus/server 2.4.5 + @tus/file-store (no checksum extension; one PATCH at a time)';
    const tusSpec = (name: string, run: () => Promise<Measurement>): CaseSpec => ({
      section: tusSection,
      name,
      bytes: size,
      run,
      verify: tusStored,
      verified: '✓ stored file md5',
      after: emptyTusStore,
    });
    const tusSpecs: CaseSpec[] = [
      tusSpec('tus-js-client 4.3.1, `chunkSize` 8 MiB', () =>
        page.evaluate(([endpoint, chunk]) => window.bench.tusJsClient(endpoint, chunk), [tus.endpoint, 8 * MiB] as const),
      ),
      tusSpec('ours, 8 MiB PATCHes, defaults', () => page.evaluate((endpoint) => window.bench.uploadProvider('tus', { endpoint }), tus.endpoint)),
      tusSpec('ours, 8 MiB PATCHes, `checksum: none`', () =>
        page.evaluate((endpoint) => window.bench.uploadProvider('tus', { endpoint, checksum: 'none' }), tus.endpoint),
      ),
      tusSpec('tus-js-client 4.3.1, `chunkSize` Infinity (its default: one PATCH)', () =>
        page.evaluate((endpoint) => window.bench.tusJsClient(endpoint, Number.POSITIVE_INFINITY), tus.endpoint),
      ),
    ];
    const [tusJs8, ourTus, ourTusNone, tusJsWhole] = await group(tusSpecs);
    derived('tus ours default × tus-js-client 8 MiB (goal ≥ 1.0×)', times(ourTus, tusJs8));
    derived('tus ours `checksum: none` × tus-js-client 8 MiB', times(ourTusNone, tusJs8));
    derived('tus ours default × tus-js-client one PATCH', times(ourTus, tusJsWhole));

    // Providers through their emulators, each beside its hashing alone and raw XHR to the S3 emulator.
    if (!options.short) {
      const providerSection = 'providers through their emulators (8 MiB parts, 4 in flight)';
      const resetProvider = (id: string) => () => fetch(`${emulator.url}/__admin/${id}/reset`, { method: 'POST' });
      const emulatorRaw: CaseSpec = {
        section: providerSection,
        name: 'raw XHR to the S3 emulator (same Node process as the other emulators)',
        bytes: size,
        run: () => page.evaluate((endpoint) => window.bench.uploadRaw(endpoint), api),
        verify: (measurement) => {
          const stored = measurement.objectKey === undefined ? undefined : emulator.s3.storedBytes(measurement.objectKey);
          if (!stored) return `no object stored under ${measurement.objectKey}`;
          const md5 = createHash('md5').update(stored).digest('hex');
          return md5 === reference.md5 ? undefined : `stored md5 ${md5}`;
        },
        verified: '✓ stored object md5',
        after: () => emulator.s3.reset(),
      };
      const providerSpecs: CaseSpec[] = [emulatorRaw];
      for (const [id, mode, extra] of PROVIDER_CASES) {
        providerSpecs.push(
          {
            section: providerSection,
            name: `${id}: upload through our engine, ${mode}`,
            bytes: size,
            run: () => page.evaluate(([name, adapterOptions]) => window.bench.uploadProvider(name, adapterOptions), [id, extra] as const),
            verify: async (measurement) => {
              // Where the emulator's admin routes answer the stored bytes: the soak reads them back the same way.
              const path = SOAK_PROVIDERS.find((provider) => provider.id === id)?.storedPath(measurement.result ?? {});
              if (path === undefined) return `no stored file named in ${JSON.stringify(measurement.result)}`;
              return storedProblem(`${emulator.url}/__admin/${path}`, { md5: reference.md5, size });
            },
            verified: '✓ stored file md5',
            after: resetProvider(id),
          },
          {
            section: providerSection,
            name: `${id}: hashing alone, the digests it declares (${mode})`,
            bytes: size,
            run: () => page.evaluate(([name, adapterOptions]) => window.bench.hashProvider(name, adapterOptions), [id, extra] as const),
          },
        );
      }
      const providerResults = await group(providerSpecs);
      const raw = providerResults[0];
      PROVIDER_CASES.forEach(([id, mode], index) => {
        const upload = providerResults[1 + index * 2];
        const hash = providerResults[2 + index * 2];
        // An adapter that declares no digest hashes nothing: its "hashing alone" time is only the run's overhead.
        const hashMs = hash && hash.medianMs >= 5 ? hash.medianMs : 0;
        if (hash && hashMs === 0) Object.assign(hash.row, { result: 'none declared', runs: '' });
        const wall = upload?.medianMs ?? NaN;
        const rawMs = raw?.medianMs ?? NaN;
        // The emulators check what the real services check (SHA chains, slice states) in this Node process, on the
        // same cores as the browser: the CPU time they spend beyond what raw XHR to the S3 emulator costs is the
        // server's share of the wall, which a real service spends on its own machines.
        const serverExtraMs = Math.max(0, (upload?.serverCpuMs ?? NaN) - (raw?.serverCpuMs ?? NaN));
        derived(
          `${id} ${mode}: wall / (hash alone + raw XHR) (goal ≤ 1.15) · wall / max(hash, raw XHR) · (wall − emulator CPU beyond raw's) / (hash + raw XHR)`,
          Number.isFinite(wall / rawMs)
            ? `${(wall / (hashMs + rawMs)).toFixed(2)} · ${(wall / Math.max(hashMs, rawMs)).toFixed(2)} · ${((wall - serverExtraMs) / (hashMs + rawMs)).toFixed(2)}`
            : 'n/a',
        );
      });
    }

    // A big disk-backed file: ours beside raw XHR and Uppy 6, with peak memory.
    const bigSection = `${options.bigMiB} MiB on disk, S3 multipart to s3rver (8 MiB parts, 4 in flight)`;
    if (options.bigMiB > 0 && wants(bigSection)) {
      const bigSize = options.bigMiB * MiB;
      const bigPath = join(workDir, `bench-big-${options.bigMiB}MiB.bin`);
      log(`Writing ${options.bigMiB} MiB to ${bigPath} …`);
      const bigReference = { md5: (await writeTestFile(bigPath, bigSize)).md5, size: bigSize };
      await page.setInputFiles('#file', bigPath);
      const bigSpec = (name: string, run: () => Promise<Measurement>): CaseSpec => ({ ...s3Spec(name, run, bigReference), section: bigSection });
      const [rawBig, uppyBig, oursBig] = await group(
        [
          bigSpec('raw XHR (ceiling)', () => page.evaluate((endpoint) => window.bench.uploadRaw(endpoint), s3rverApi)),
          bigSpec('Uppy 6.3.1 + @uppy/aws-s3', () => page.evaluate((endpoint) => window.bench.uploadUppy(endpoint), s3rverApi)),
          bigSpec('ours, default (Content-MD5 per part)', engine('md5')),
          // The engine without hashing: what of ours' memory is the hashing's.
          bigSpec('ours, `checksum: none`', engine('none')),
        ],
        { warmUp: false, cdp },
      );
      derived(`${options.bigMiB} MiB: ours default × raw XHR · × Uppy 6`, `${times(oursBig, rawBig)} · ${times(oursBig, uppyBig)}`);
      rmSync(bigPath, { force: true });
      await page.setInputFiles('#file', filePath);
    }

    // Many small files at once: our element beside Uppy 6's Dashboard, same files, backend and store.
    const manySection = (count: number) => `${count} files of ${SMALL_FILE_SIZE / 1000} kB dropped at once, to s3rver (4 in flight)`;
    const counts = options.fileCounts.filter((count) => wants(manySection(count)));
    if (counts.length > 0) {
      const smallFiles = writeSmallFiles(join(workDir, 'many'), Math.max(...counts));
      await page.setInputFiles('#many', smallFiles.map((file) => file.path));
      const perFile = new Map<number, { element?: CaseResult; engine?: CaseResult }>();
      const OUR_ELEMENT = 'our <multi-cloud-uploader> (S3, default checksum, resume on)';
      const UPPY_DASHBOARD = 'Uppy 6.3.1 Dashboard 6.0.3 + @uppy/aws-s3 (autoProceed, limit 4)';
      // Requests leaving the page for the backend and the store, CORS preflights included, counted by method.
      const requestCounts = new Map<string, Map<string, number>>();
      let counting: Map<string, number> | undefined;
      const countRequest = (event: { request: { url: string; method: string } }) => {
        if (counting && !event.request.url.startsWith(`http://127.0.0.1:${port}/`)) {
          counting.set(event.request.method, (counting.get(event.request.method) ?? 0) + 1);
        }
      };
      cdp.on('Network.requestWillBeSent', countRequest);
      await cdp.send('Network.enable');
      for (const count of counts) {
        const expected = smallFiles.slice(0, count);
        const verifyMany = async (measurement: Measurement): Promise<string | undefined> => {
          const keys = measurement.objectKeys ?? [];
          if (keys.length !== count) return `${keys.length} keys for ${count} files`;
          for (const [index, key] of keys.entries()) {
            const problem = await s3rverCheck(key, { md5: expected[index]!.md5, size: SMALL_FILE_SIZE });
            if (problem) return `file ${index}: ${problem}`;
          }
          return undefined;
        };
        const manySpec = (name: string, run: () => Promise<Measurement>): CaseSpec => ({
          section: manySection(count),
          name,
          bytes: count * SMALL_FILE_SIZE,
          files: count,
          run: async () => {
            const counted = new Map<string, number>();
            counting = counted;
            try {
              return await run();
            } finally {
              counting = undefined;
              requestCounts.set(name, counted);
            }
          },
          verify: verifyMany,
          verified: '✓ every stored object md5',
          after: emptyS3rver,
        });
        const [ours, uppy, engineAlone, bare] = await group(
          [
            manySpec(OUR_ELEMENT, () =>
              page.evaluate(([endpoint, n]) => window.bench.manyElement(endpoint, n), [s3rverApi, count] as const),
            ),
            manySpec(UPPY_DASHBOARD, () =>
              page.evaluate(([endpoint, n]) => window.bench.manyUppyDashboard(endpoint, n), [s3rverApi, count] as const),
            ),
            manySpec('our UploadManager alone, no element (the engine\'s share)', () =>
              page.evaluate(([endpoint, n]) => window.bench.manyManager(endpoint, n), [s3rverApi, count] as const),
            ),
            manySpec('our element doing what Uppy does: `no-resume`, `checksum: \'none\'`', () =>
              page.evaluate(([endpoint, n]) => window.bench.manyElement(endpoint, n, true), [s3rverApi, count] as const),
            ),
          ],
          { warmUp: false },
        );
        perFile.set(count, { element: ours, engine: engineAlone });
        const perFileRequests = (name: string) =>
          [...(requestCounts.get(name) ?? [])]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([method, n]) => `${method} ${(n / count).toFixed(2)}`)
            .join(', ') || 'n/a';
        derived(
          `${count} files: requests per file leaving the page, preflights included (last round): our element · Uppy 6 Dashboard`,
          `${perFileRequests(OUR_ELEMENT)} · ${perFileRequests(UPPY_DASHBOARD)}`,
        );
        derived(
          `${count} files: our element × Uppy 6 Dashboard (whole batch) · our engine alone × Uppy · our element without resume and checksum × Uppy`,
          `${times(ours, uppy)} · ${times(engineAlone, uppy)} · ${times(bare, uppy)}`,
        );
      }
      await cdp.send('Network.disable');
      cdp.off('Network.requestWillBeSent', countRequest);
      const fewest = Math.min(...counts);
      for (const count of counts.filter((count) => count !== fewest)) {
        const ratio = (at?: CaseResult, base?: CaseResult) => (at && base ? (at.medianMs / count / (base.medianMs / fewest)).toFixed(2) : 'n/a');
        derived(
          `per-file time at ${count} files / at ${fewest}, our element (goal ≤ 1.3) · our engine alone`,
          `${ratio(perFile.get(count)?.element, perFile.get(fewest)?.element)} · ${ratio(perFile.get(count)?.engine, perFile.get(fewest)?.engine)}`,
        );
      }
    }

    process.stdout.write(`${toMarkdown([...environmentRows(browser.version(), options, loadBefore), ...rows, ...derivedRows])}\n`);
  } finally {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => log(`  cleanup: ${String(error)}`));
    }
  }
}

const started = Date.now();
try {
  await main();
  log(`Done in ${Math.round((Date.now() - started) / 1000)} s.`);
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
