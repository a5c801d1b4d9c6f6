/**
 * `npm run soak [-- --runs N --seed S --providers s3,tus --stall]`: the fault soak. For each provider, `runs` uploads
 * of sizes drawn around its part boundaries (0 B to 64 MiB, files on disk given through `<input type=file>`), with
 * faults drawn from what its emulator can inject, page reloads mid-upload (a new page in the same browser context,
 * resuming from IndexedDB), pause/resume and offline/online; `--stall` adds requests held past the 30 s stall window.
 * Every run must end in a byte-exact stored object; an error is retried once by the soak, and counts as a failure
 * unless a drawn fault warrants it. Prints one markdown table per provider and exits non-zero on any failure. Every
 * draw comes from the seed, the run number and the provider, so `--seed S --providers P` (and `--stall`, if it was
 * given) replays a failing run.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger, createServer as createViteServer } from 'vite';
import { startEmulatorServer } from '../src/emulators/node-server.js';
import type { SoakSetup, SoakState } from './soak-page.js';
import { drawRun, STALL_MS } from './soak-draw.js';
import { resendAllowance, SOAK_FAULT_KINDS, SOAK_PROVIDERS, type SoakFaultKind, type SoakProvider } from './soak-providers.js';
import { CHROMIUM_ARGS } from './chromium.js';

const MiB = 1024 * 1024;
const CONCURRENCY = 3;
const RUN_DEADLINE_MS = 90_000;
const POLL_MS = 50;
/** Chromium logs every non-2xx response and aborted request as a console error; the faults cause those on purpose. */
const NETWORK_NOISE = /^Failed to load resource|net::ERR_/;
/** A connection the server breaks before any header reads, to Chromium, as a cross-origin response without CORS. */
const DROPPED_CROSS_ORIGIN = /blocked by CORS policy: No 'Access-Control-Allow-Origin' header/;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function readOptions(): { runs: number; seed: number; providers: SoakProvider[] } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      providers: { type: 'string', default: SOAK_PROVIDERS.map((provider) => provider.id).join(',') },
      // Each stall costs half a minute, so the default run leaves them out.
      stall: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error(`--runs takes a positive whole number, not "${values.runs}".`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed takes a whole number, not "${values.seed}".`);
  const providers = values.providers.split(',').map((id) => {
    const provider = SOAK_PROVIDERS.find((candidate) => candidate.id === id.trim());
    if (!provider) throw new Error(`No soak profile for "${id}"; known: ${SOAK_PROVIDERS.map((p) => p.id).join(', ')}.`);
    return values.stall ? { ...provider, kinds: [...provider.kinds, 'stall' as const] } : provider;
  });
  return { runs, seed, providers };
}

/** Writes `size` random bytes and returns their SHA-256. */
function writeTestFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(8 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const bytes = chunk.subarray(0, Math.min(chunk.length, size - written));
      randomFillSync(bytes);
      writeSync(fd, bytes);
      hash.update(bytes);
      written += bytes.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** One provider's tally, printed as its table. */
interface Tally {
  runs: number;
  exact: number;
  armed: Record<SoakFaultKind, number>;
  fired: Record<SoakFaultKind, number>;
  reloads: number;
  pauses: number;
  offline: number;
  retried: string[];
  /** Error codes of empty files refused by a provider that cannot store them. */
  refused: string[];
  resentBytes: number;
  beyondBytes: number;
  failures: string[];
}

function emptyTally(): Tally {
  const zero = () => Object.fromEntries(SOAK_FAULT_KINDS.map((kind) => [kind, 0])) as Record<SoakFaultKind, number>;
  return { runs: 0, exact: 0, armed: zero(), fired: zero(), reloads: 0, pauses: 0, offline: 0, retried: [], refused: [], resentBytes: 0, beyondBytes: 0, failures: [] };
}

interface Harness {
  browser: Browser;
  pageUrl: string;
  adminUrl: string;
}

async function admin(harness: Harness, path: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(`${harness.adminUrl}/${path}`, init);
  if (!response.ok && response.status !== 404) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Runs one upload to its end and records it in `tally`. */
async function soakRun(harness: Harness, provider: SoakProvider, seed: number, run: number, workDir: string, tally: Tally): Promise<void> {
  const { size, faults, disturbances } = drawRun(seed, run, provider);
  const label = `${provider.id} seed ${seed} run ${run}: ${size} B, faults [${faults.map((f) => JSON.stringify(f.spec)).join(', ')}], ${disturbances.map((d) => `${d.kind}@${Math.round(d.at * 100)}%`).join(' ') || 'no disturbance'}`;
  log(`… ${label}`);
  tally.runs += 1;
  const fail = (why: string) => {
    tally.failures.push(`${label}: ${why}`);
    log(`  ✗ ${why}`);
  };

  const path = join(workDir, `soak-${provider.id}-${run}.bin`);
  const digest = writeTestFile(path, size);
  await admin(harness, `${provider.id}/reset`, { method: 'POST' });
  for (const fault of faults) {
    await admin(harness, `${provider.id}/faults`, { method: 'POST', body: JSON.stringify(fault.spec), headers: { 'content-type': 'application/json' } });
    tally.armed[fault.kind] += 1;
  }

  const setup: SoakSetup = {
    provider: provider.id,
    ...(provider.setsPartSize && { partSize: provider.partSize }),
    concurrency: CONCURRENCY,
    extra: provider.extra,
  };
  const consoleErrors: string[] = [];
  const context: BrowserContext = await harness.browser.newContext();
  const openPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (error) => consoleErrors.push(`page exception: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !NETWORK_NOISE.test(message.text())) consoleErrors.push(message.text());
    });
    await page.goto(harness.pageUrl);
    await page.waitForFunction(() => 'soak' in window);
    await page.setInputFiles('#file', path);
    await page.evaluate((options) => window.soak.begin(options), setup);
    return page;
  };

  try {
    let page = await openPage();
    const stalls = faults.filter((fault) => fault.kind === 'stall').length;
    const deadline = Date.now() + RUN_DEADLINE_MS + stalls * STALL_MS;
    const pending = [...disturbances];
    let stops = 0;
    let retries = 0;
    let state: SoakState;
    for (;;) {
      state = await page.evaluate(() => window.soak.state());
      if (state.status === 'complete') break;
      if (state.status === 'refused') {
        if (size === 0 && !provider.allowsEmptyFile && state.error) tally.refused.push(state.error.code);
        else fail(`the element refused the file: ${state.error?.code}: ${state.error?.message}`);
        break;
      }
      if (state.status === 'error') {
        // A typed error is acceptable only when a drawn fault warrants it, and only if the soak's retry then succeeds.
        const warranted = faults.some((fault) => provider.sessionEnding.includes(fault.kind));
        tally.retried.push(`${state.error?.code}${warranted ? '' : ' (unwarranted)'}`);
        if (!warranted) fail(`unwarranted ${state.error?.code}: ${state.error?.message}`);
        if (retries++ > 0) {
          fail(`still failing after the soak's retry: ${state.error?.code}: ${state.error?.message}`);
          break;
        }
        await page.evaluate(() => window.soak.retry());
        continue;
      }
      if (Date.now() > deadline) {
        fail(`no end after ${(RUN_DEADLINE_MS + stalls * STALL_MS) / 1000} s (${state.bytesSent}/${state.bytesTotal} B, status ${state.status})`);
        break;
      }
      const next = pending[0];
      if (next && state.bytesTotal > 0 && state.bytesSent >= next.at * state.bytesTotal) {
        pending.shift();
        stops += 1;
        if (next.kind === 'reload') {
          tally.reloads += 1;
          await page.close();
          page = await openPage();
        } else if (next.kind === 'pause') {
          tally.pauses += 1;
          await page.evaluate(() => window.soak.pause());
          await sleep(next.ms);
          await page.evaluate(() => window.soak.resume());
        } else {
          tally.offline += 1;
          await context.setOffline(true);
          await sleep(next.ms);
          await context.setOffline(false);
        }
        continue;
      }
      await sleep(POLL_MS);
    }

    const firedFaults = (await (await admin(harness, `${provider.id}/faults`)).json()) as Array<{ fired: number }>;
    const firedDrops = firedFaults.filter((fault, i) => fault.fired > 0 && faults[i]?.kind === 'drop').length;
    const unexplained = consoleErrors.filter((message) => !DROPPED_CROSS_ORIGIN.test(message));
    const droppedReports = consoleErrors.length - unexplained.length;
    if (droppedReports > firedDrops) unexplained.push(`${droppedReports} CORS-blocked requests for ${firedDrops} dropped connection(s)`);
    firedFaults.forEach((fault, i) => {
      if (faults[i] && fault.fired > 0) tally.fired[faults[i].kind] += 1;
    });
    if (state.status === 'complete' && state.result) {
      const stats = (await (await admin(harness, `${provider.id}/stats`)).json()) as Record<string, unknown>;
      const partCount = Math.max(1, Math.ceil(size / provider.partSize));
      const resent = provider.resentBytes({ size, partSize: provider.partSize, partCount, result: state.result, stats });
      const partFaults = firedFaults.filter((fault, i) => fault.fired > 0 && faults[i]?.onPart).length;
      // A fault that ends the session on the store (a tus upload's own expiry) warrants sending the whole file again.
      const sessionLost = firedFaults.some((fault, i) => fault.fired > 0 && provider.sessionEnding.includes(faults[i]!.kind));
      const allowance = resendAllowance(provider, size, stops, partFaults, CONCURRENCY) + (sessionLost ? size : 0);
      tally.resentBytes += resent;
      tally.beyondBytes += Math.max(0, resent - allowance);
      if (resent > allowance) {
        // What the store took and what the page heard, so that a run lost to timing can be told from a real loss.
        const received = stats['partNumbersReceived'] ?? stats['sliceIdsReceived'];
        fail(`re-sent ${resent} B, more than the ${allowance} B in flight at the stops and faults (parts stored in order: ${JSON.stringify(received)}; warnings: ${state.warnings.join(', ') || 'none'})`);
      }

      const storedPath = provider.storedPath(state.result);
      if (!storedPath) fail(`the result names no stored object: ${JSON.stringify(state.result)}`);
      else {
        const response = await admin(harness, storedPath);
        if (!response.ok) fail(`nothing stored at ${storedPath} (HTTP ${response.status})`);
        else {
          const stored = new Uint8Array(await response.arrayBuffer());
          const storedDigest = createHash('sha256').update(stored).digest('hex');
          if (stored.byteLength !== size || storedDigest !== digest) fail(`stored ${stored.byteLength} B with sha256 ${storedDigest}, not ${size} B ${digest}`);
          else tally.exact += 1;
        }
      }
    }
    for (const message of unexplained) fail(`console: ${message}`);
  } catch (error) {
    fail(`driver: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  } finally {
    await context.close();
    rmSync(path, { force: true });
  }
}

function toMarkdown(provider: SoakProvider, tally: Tally): string {
  const kinds = (counts: Record<SoakFaultKind, number>) =>
    provider.kinds.map((kind) => `${kind} ${counts[kind]}`).join(', ');
  const rows: Array<[string, string]> = [
    ['runs', String(tally.runs)],
    ['byte-exact stored objects', String(tally.exact)],
    ['faults armed, by kind', kinds(tally.armed)],
    ['faults that fired, by kind', kinds(tally.fired)],
    ['page reloads (new page, same context)', String(tally.reloads)],
    ['pause/resume', String(tally.pauses)],
    ['offline/online', String(tally.offline)],
    ['typed errors, then retried by the soak', tally.retried.length ? tally.retried.join(', ') : '0'],
    ['empty files refused (the provider stores none)', tally.refused.length ? tally.refused.join(', ') : '0'],
    ['bytes re-sent (stored twice)', String(tally.resentBytes)],
    ['bytes re-sent beyond the parts in flight', String(tally.beyondBytes)],
    ['failures', String(tally.failures.length)],
  ];
  return [`### ${provider.id}`, '', '| measure | value |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name} | ${value} |`)].join('\n');
}

/** Vite's logger, minus the proxy's reports of connections that dropped faults and page reloads break on purpose. */
function quietProxyLogger() {
  const logger = createLogger('warn');
  const error = logger.error.bind(logger);
  logger.error = (message, options) => {
    if (!message.includes('http proxy error')) error(message, options);
  };
  return logger;
}

async function main(): Promise<number> {
  const { runs, seed, providers } = readOptions();
  const workDir = mkdtempSync(join(tmpdir(), 'mcu-soak-'));
  const closers: Array<() => Promise<unknown>> = [async () => rmSync(workDir, { recursive: true, force: true })];
  try {
    const emulator = await startEmulatorServer();
    closers.push(() => emulator.close());
    const port = await freePort();
    const vite = await createViteServer({
      configFile: false,
      root: repoRoot,
      cacheDir: join(workDir, 'vite-cache'),
      customLogger: quietProxyLogger(),
      server: {
        host: '127.0.0.1',
        port,
        strictPort: true,
        hmr: false,
        watch: null,
        proxy: Object.fromEntries(['/api', '/emulator', '/__admin'].map((prefix) => [prefix, { target: emulator.url, changeOrigin: true }])),
      },
      // Bundled before the first page loads, so Vite never reloads a page mid-run on discovering a dependency.
      optimizeDeps: { entries: ['bench/soak.html'], include: ['hash-wasm', 'idb-keyval', 'lit'] },
      worker: { format: 'es' },
    });
    await vite.listen();
    closers.push(() => vite.close());
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    closers.push(() => browser.close());
    const harness: Harness = { browser, pageUrl: `http://127.0.0.1:${port}/bench/soak.html`, adminUrl: `${emulator.url}/__admin` };

    let failures = 0;
    const tables: string[] = [];
    for (const provider of providers) {
      const tally = emptyTally();
      for (let run = 1; run <= runs; run++) await soakRun(harness, provider, seed, run, workDir, tally);
      failures += tally.failures.length;
      tables.push(toMarkdown(provider, tally));
      if (tally.failures.length) tables.push(['', ...tally.failures.map((failure) => `- ${failure}`)].join('\n'));
    }
    process.stdout.write(`Soak: ${runs} run(s) per provider, seed ${seed}.\n\n${tables.join('\n\n')}\n`);
    return failures;
  } finally {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log(`  cleanup: ${String(error)}`));
  }
}

const started = Date.now();
try {
  const failures = await main();
  log(`Done in ${Math.round((Date.now() - started) / 1000)} s, ${failures} failure(s).`);
  if (failures > 0) process.exitCode = 1;
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
