/**
 * `npm run bench [-- --size <MiB>]`: read, hash and upload throughput in headless Chromium on a generated file on
 * disk, given to the page through a real `<input type=file>` so that it is disk-backed like a user's file. Prints one
 * markdown table. Not a test and never run in CI: figures on a shared 2-core machine vary from run to run.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { startEmulatorServer, type EmulatorServer } from '../src/emulators/node-server.js';
import { startTusServer } from '../test/helpers/tus-server.js';
import { createHasher } from '../src/hashing/hashers.js';
import type { HashAlgorithm } from '../src/hashing/digest-spec.js';
import type { S3Checksum } from '../src/providers/s3.js';
import type { Measurement } from './bench-page.js';
import { CHROMIUM_ARGS } from './chromium.js';

const MiB = 1024 * 1024;
const SLICE_SIZE = 8 * MiB;
const RUNS = 3;
const RUN_TIMEOUT_MS = 180_000;
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
  ['huawei-koodrive', 'parallel parts with SHA-256 contexts (hash first)', { rapidUpload: false, mode: 'parallel' }],
  ['huawei-metastudio', 'MD5 first, then one PUT (through the handler)', {}],
  ['iflytek-ost', 'form-data slices through the signing proxy', {}],
  ['tencent-cos-v4', 'SHA-1 slice states first, then slices', {}],
  ['tus', 'concatenation: parallel partial uploads', { checksum: 'none' }],
];

function readOptions(): { sizeMiB: number } {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256' } } });
  const sizeMiB = Number(values.size);
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB <= 0) throw new Error(`--size takes a whole number of MiB, not "${values.size}".`);
  return { sizeMiB };
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
  check: string;
}

/** A measured case: its row, and its median time for the derived rows. */
interface CaseResult {
  row: Row;
  medianMs: number;
}

interface CaseSpec {
  section: string;
  name: string;
  /** Bytes one run processes, for MB/s. */
  bytes: number;
  run: () => Promise<Measurement>;
  /** Checks one measured run; returns a problem, or undefined. */
  verify?: (measurement: Measurement) => string | undefined;
  /** What a passing `verify` proved, for the check column. */
  verified?: string;
  /** Runs after every run, the warm-up included (emulator reset); awaited so that it never overlaps the next run. */
  after?: () => unknown;
}

async function measureCase(page: Page, spec: CaseSpec): Promise<CaseResult> {
  const label = `${spec.section}: ${spec.name}`;
  log(`… ${label}`);
  const measurements: Measurement[] = [];
  const problems: string[] = [];
  try {
    for (let i = 0; i <= RUNS; i++) {
      await page.evaluate(() => window.bench.collectGarbage());
      const measurement = await withTimeout(spec.run(), label);
      const problem = spec.verify?.(measurement);
      await spec.after?.();
      if (problem) problems.push(problem);
      // Run 0 warms up: worker start, WASM compile, the page cache, connection set-up.
      if (i > 0) measurements.push(measurement);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    log(`  failed: ${message}`);
    return { row: { section: spec.section, name: spec.name, result: `failed: ${message}`, runs: '', longTasks: '', check: '' }, medianMs: NaN };
  }
  const speeds = measurements.map((m) => megabytesPerSecond(spec.bytes, m.ms));
  const medianMs = median(measurements.map((m) => m.ms));
  const taskCount = median(measurements.map((m) => m.longTasks.count));
  const taskMs = median(measurements.map((m) => m.longTasks.ms));
  const row: Row = {
    section: spec.section,
    name: spec.name,
    result: `**${Math.round(megabytesPerSecond(spec.bytes, medianMs))}**`,
    runs: speeds.map((speed) => Math.round(speed)).join(', '),
    longTasks: `${taskCount} / ${Math.round(taskMs)} ms`,
    check: problems.length ? `✗ ${problems[0]}` : (spec.verified ?? ''),
  };
  log(`  ${row.result.replaceAll('*', '')} MB/s [${row.runs}]`);
  return { row, medianMs };
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
    result: 'MB/s (median) or value',
    runs: 'runs, MB/s',
    longTasks: 'main-thread long tasks per run (count / ms, median)',
    check: 'check',
  };
  const cells = (row: Row) => `| ${[row.section, row.name, row.result, row.runs, row.longTasks, row.check].join(' | ')} |`;
  return [cells(header), '| --- | --- | --- | --- | --- | --- |', ...rows.map(cells)].join('\n');
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function environmentRows(browserVersion: string, size: number, loadBefore: string): Row[] {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const env = (name: string, result: string): Row => ({ section: 'environment', name, result, runs: '', longTasks: '', check: '' });
  return [
    env('Chromium (headless, playwright-core)', browserVersion),
    env('CPU', cpuModel),
    env('cores', String(cpus().length)),
    env('Node', process.version),
    // Other work on the machine competes for the same cores; the load average says how much there was.
    env('load average (1/5/15 min) at start → end', `${loadBefore} → ${loadAverage()}`),
    env('file', `${size / MiB} MiB random bytes on disk, picked through <input type=file>`),
    env('method', `MB/s = 10^6 B/s; median of ${RUNS} runs after one warm-up run; 8 MiB slices and parts`),
  ];
}

async function main(): Promise<void> {
  const { sizeMiB } = readOptions();
  const loadBefore = loadAverage();
  const size = sizeMiB * MiB;
  const workDir = mkdtempSync(join(tmpdir(), 'mcu-bench-'));
  const closers: Array<() => Promise<unknown>> = [async () => rmSync(workDir, { recursive: true, force: true })];
  try {
    const filePath = join(workDir, `bench-${sizeMiB}MiB.bin`);
    log(`Writing ${sizeMiB} MiB to ${filePath} …`);
    const reference = await writeTestFile(filePath, size);

    const emulator: EmulatorServer = await startEmulatorServer();
    closers.push(() => emulator.close());
    const api = `${emulator.url}/api`;

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
      optimizeDeps: { entries: ['bench/page.html'], include: ['spark-md5', 'hash-wasm', 'idb-keyval', 'tus-js-client'] },
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
    await page.goto(`http://127.0.0.1:${port}/bench/page.html`);
    await page.waitForFunction(() => 'bench' in window);
    await page.setInputFiles('#file', filePath);
    const pickedSize = await page.evaluate(() => window.bench.fileSize());
    if (pickedSize !== size) throw new Error(`The page sees ${pickedSize} bytes, not ${size}.`);

    log('Warm-up read …');
    await page.evaluate((sliceSize) => window.bench.readOnly(sliceSize), SLICE_SIZE);

    const results: CaseResult[] = [];
    const add = async (spec: CaseSpec) => {
      const result = await measureCase(page, spec);
      results.push(result);
      return result;
    };
    const read = await add({
      section: 'read (worker)',
      name: '`slice(8 MiB).arrayBuffer()` loop, serial, no hashing',
      bytes: size,
      run: () => page.evaluate((sliceSize) => window.bench.readOnly(sliceSize), SLICE_SIZE),
    });

    const ours = new Map<HashAlgorithm, CaseResult>();
    for (const algorithm of ALGORITHMS) {
      ours.set(
        algorithm,
        await add({
          section: 'read + hash, our HashClient (worker)',
          name: algorithm,
          bytes: size,
          run: () => page.evaluate((algorithms) => window.bench.ours(algorithms), [algorithm]),
          verify: digestCheck([algorithm], reference),
          verified: algorithm === 'crc32c' || algorithm.startsWith('crc64') ? '✓ = hash-wasm in Node' : '✓ = Node crypto/zlib',
        }),
      );
    }
    const combined = await add({
      section: 'read + hash, our HashClient (worker)',
      name: `${COMBINED.join(' + ')} in one read`,
      bytes: size,
      run: () => page.evaluate((algorithms) => window.bench.ours(algorithms), COMBINED),
      verify: digestCheck(COMBINED, reference),
      verified: '✓ all four',
    });

    log('Loading the file into the bench worker for in-memory hashing …');
    await page.evaluate(() => window.bench.load());
    const pure = new Map<HashAlgorithm, CaseResult>();
    for (const algorithms of [...ALGORITHMS.map((algorithm) => [algorithm]), COMBINED]) {
      const result = await add({
        section: 'hash only, hash-wasm on an in-memory buffer (worker)',
        name: algorithms.length > 1 ? `${algorithms.join(' + ')} on each chunk` : algorithms[0]!,
        bytes: size,
        run: () => page.evaluate(([list, chunkSize]) => window.bench.pure(list, chunkSize), [algorithms, SLICE_SIZE] as const),
        verify: digestCheck(algorithms, reference),
        verified: '✓',
      });
      if (algorithms.length === 1) pure.set(algorithms[0]!, result);
    }
    await page.evaluate(() => window.bench.drop());

    const spark = await add({
      section: 'baseline: spark-md5 3.0.2 (main thread)',
      name: 'md5, 8 MiB slices, `SparkMD5.ArrayBuffer` append',
      bytes: size,
      run: () => page.evaluate(() => window.bench.spark()),
      verify: digestCheck(['md5'], reference),
      verified: '✓ = Node crypto',
    });

    const storedCheck = (measurement: Measurement): string | undefined => {
      const stored = measurement.objectKey === undefined ? undefined : emulator.s3.storedBytes(measurement.objectKey);
      if (!stored) return `no object stored under ${measurement.objectKey}`;
      if (stored.byteLength !== size) return `stored ${stored.byteLength} bytes`;
      const md5 = createHash('md5').update(stored).digest('hex');
      return md5 === reference.md5 ? undefined : `stored md5 ${md5}`;
    };
    const uploadSpec = (name: string, run: () => Promise<Measurement>): CaseSpec => ({
      section: 'upload to the S3 emulator (localhost, 4 parts in flight)',
      name,
      bytes: size,
      run,
      verify: storedCheck,
      verified: '✓ stored object md5',
      after: () => emulator.s3.reset(),
    });
    const engineMd5 = await add(
      uploadSpec('our UploadManager + S3 adapter, `checksum: md5` (Content-MD5 per part, hashing overlaps upload)', () =>
        page.evaluate(([endpoint, checksum]) => window.bench.uploadEngine(endpoint, checksum), [api, 'md5' satisfies S3Checksum] as const),
      ),
    );
    const engineNone = await add(
      uploadSpec('our UploadManager + S3 adapter, `checksum: none`', () =>
        page.evaluate(([endpoint, checksum]) => window.bench.uploadEngine(endpoint, checksum), [api, 'none' satisfies S3Checksum] as const),
      ),
    );
    const raw = await add(
      uploadSpec('raw: presign via the same routes, XHR PUT of `file.slice()` parts, complete', () =>
        page.evaluate((endpoint) => window.bench.uploadRaw(endpoint), api),
      ),
    );

    const tus = await startTusServer();
    closers.push(() => tus.close());
    const emptyTusStore = () => {
      for (const entry of readdirSync(tus.directory)) rmSync(join(tus.directory, entry), { recursive: true, force: true });
    };
    const tusSection = 'tus to a real @tus/server 2.4.5 + @tus/file-store (one PATCH at a time)';
    // tus-js-client first: the first case after big uploads pays for the Node process collecting their buffers.
    const tusJs8 = await add({
      section: tusSection,
      name: 'tus-js-client 4.3.1, `chunkSize` 8 MiB',
      bytes: size,
      run: () => page.evaluate(([endpoint, chunk]) => window.bench.tusJsClient(endpoint, chunk), [tus.endpoint, 8 * MiB] as const),
      after: emptyTusStore,
    });
    const ourTus = await add({
      section: tusSection,
      name: 'our engine + tus adapter, 8 MiB PATCHes, `checksum: none`',
      bytes: size,
      run: () => page.evaluate((endpoint) => window.bench.uploadProvider('tus', { endpoint, checksum: 'none' }), tus.endpoint),
      after: emptyTusStore,
    });
    const tusJsWhole = await add({
      section: tusSection,
      name: 'tus-js-client 4.3.1, `chunkSize` Infinity (its default: one PATCH)',
      bytes: size,
      run: () => page.evaluate((endpoint) => window.bench.tusJsClient(endpoint, Number.POSITIVE_INFINITY), tus.endpoint),
      after: emptyTusStore,
    });

    const resetProvider = (id: string) => () => fetch(`${emulator.url}/__admin/${id}/reset`, { method: 'POST' });
    const providerRows: Row[] = [];
    for (const [id, mode, extra] of PROVIDER_CASES) {
      const section = `provider ${id} (emulator, 4 parts in flight)`;
      const upload = await add({
        section,
        name: `upload through our engine: ${mode}`,
        bytes: size,
        run: () => page.evaluate(([name, options]) => window.bench.uploadProvider(name, options), [id, extra] as const),
        after: resetProvider(id),
      });
      const hash = await add({
        section,
        name: 'hashing alone: the digests this adapter declares, in one read',
        bytes: size,
        run: () => page.evaluate(([name, options]) => window.bench.hashProvider(name, options), [id, extra] as const),
      });
      const wall = upload.medianMs;
      // An adapter that declares no digest hashes nothing: its "hashing alone" time is only the run's overhead.
      const declaresNone = hash.medianMs < 5;
      if (declaresNone) hash.row.result = 'none declared';
      const hashMs = declaresNone ? 0 : hash.medianMs;
      const rawMs = raw.medianMs;
      providerRows.push({
        section: 'derived',
        name: `${id} ${mode}: wall / max(hash, raw XHR) · wall / (hash + raw XHR)`,
        result: Number.isFinite(wall * hashMs * rawMs)
          ? `${(wall / Math.max(hashMs, rawMs)).toFixed(2)}× · ${(wall / (hashMs + rawMs)).toFixed(2)}×`
          : 'n/a',
        runs: '',
        longTasks: '',
        check: '',
      });
    }

    const derived = (name: string, result: string): Row => ({ section: 'derived', name, result, runs: '', longTasks: '', check: '' });
    const ratio = (numerator?: CaseResult, denominator?: CaseResult) =>
      numerator && denominator && Number.isFinite(numerator.medianMs / denominator.medianMs)
        ? `${(numerator.medianMs / denominator.medianMs).toFixed(2)}×`
        : 'n/a';
    const separateMs = COMBINED.reduce((sum, algorithm) => sum + (ours.get(algorithm)?.medianMs ?? NaN), 0);
    const derivedRows = [
      derived('our md5 speed-up over spark-md5 (time ratio)', ratio(spark, ours.get('md5'))),
      derived(
        `one read for ${COMBINED.join(' + ')} vs ${COMBINED.length} separate reads`,
        Number.isFinite(combined.medianMs) && Number.isFinite(separateMs)
          ? `${(combined.medianMs / 1000).toFixed(2)} s vs ${(separateMs / 1000).toFixed(2)} s`
          : 'n/a',
      ),
      derived('our md5 time / serial read-only time (read cost included)', ratio(ours.get('md5'), read)),
      derived('our md5 time / in-memory md5 time', ratio(ours.get('md5'), pure.get('md5'))),
      derived('upload time, engine md5 / raw XHR', ratio(engineMd5, raw)),
      derived('upload time, engine none / raw XHR', ratio(engineNone, raw)),
      ...providerRows,
      derived('tus upload time, ours / tus-js-client (8 MiB chunks)', ratio(ourTus, tusJs8)),
      derived('tus upload time, ours / tus-js-client (one PATCH)', ratio(ourTus, tusJsWhole)),
    ];

    const rows = [
      ...environmentRows(browser.version(), size, loadBefore),
      ...results.map((result) => result.row),
      ...derivedRows,
    ];
    process.stdout.write(`${toMarkdown(rows)}\n`);
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
