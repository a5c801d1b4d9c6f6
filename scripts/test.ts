// `npm test`: the Node tests (node:test, `test/node/**/*.test.ts`), then the browser tests (web-test-runner), both
// streamed as they run, then one closing line "N passed, N failed[, N skipped]" over both, which CI reads.
//
// `npm test -- <files…> [web-test-runner flags…]` runs only the named files: those under test/node/ with node:test,
// the rest with web-test-runner, which also gets every other argument.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where wtr-summary-reporter.mjs writes its counts instead of printing its own closing line (same name there). */
const COUNTS_FILE_ENV = 'MCU_TEST_COUNTS_FILE';
const NODE_TESTS = 'test/node';
/** What the build reads; a change to any of them makes dist/ stale. */
const BUILD_INPUTS = ['src', 'vite.config.ts', 'vite.cdn.config.ts', 'custom-elements-manifest.config.mjs', 'tsconfig.build.json', 'tsconfig.json'];
/** What the build writes that tests load: one file per package entry. */
const BUILD_OUTPUTS = [
  'dist/multi-cloud-uploader.js',
  'dist/react.js',
  'dist/vue.js',
  'dist/cdn/multi-cloud-uploader.js',
  'dist/custom-elements.json',
  'dist/server.js',
  'dist/server-node.js',
  'dist/emulators.js',
  'dist/types/index.d.ts',
  'dist/types/server/index.d.ts',
  'dist/types/server/node.d.ts',
];

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, directory), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(join(ROOT, path))).mtimeMs;
  } catch {
    return undefined;
  }
}

async function distIsStale(): Promise<boolean> {
  let oldestOutput = Infinity;
  for (const output of BUILD_OUTPUTS) {
    const time = await mtime(output);
    if (time === undefined) return true;
    oldestOutput = Math.min(oldestOutput, time);
  }
  for (const input of BUILD_INPUTS) {
    const inputs = (await stat(join(ROOT, input))).isDirectory() ? await filesUnder(input) : [input];
    for (const file of inputs) if ((await mtime(file) ?? 0) > oldestOutput) return true;
  }
  return false;
}

/** Runs a command with this terminal, resolving with its exit code (a signal counts as 1). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** A runner that exited non-zero failed at least once, whatever it managed to count. */
function settled(counts: Counts, exitCode: number): Counts {
  return exitCode !== 0 && counts.failed === 0 ? { ...counts, failed: 1 } : counts;
}

/** node:test's TAP summary: `# pass N`, `# fail N`, `# cancelled N`, `# skipped N`, `# todo N`. */
function countsFromTap(tap: string): Counts {
  const totals = new Map<string, number>();
  for (const [, name, value] of tap.matchAll(/^# (pass|fail|cancelled|skipped|todo) (\d+)$/gm)) totals.set(name!, Number(value));
  const total = (name: string) => totals.get(name) ?? 0;
  return { passed: total('pass'), failed: total('fail') + total('cancelled'), skipped: total('skipped') + total('todo') };
}

async function nodeTests(files: string[], scratch: string): Promise<Counts> {
  const tapFile = join(scratch, 'node-tests.tap');
  const code = await run(process.execPath, [
    '--import', 'tsx', '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ]);
  const tap = await readFile(tapFile, 'utf8').catch(() => '');
  return settled(countsFromTap(tap), code);
}

async function browserTests(args: string[], scratch: string): Promise<Counts> {
  const countsFile = join(scratch, 'wtr-counts.json');
  const code = await run(process.execPath, ['--import', 'tsx', 'node_modules/@web/test-runner/dist/bin.js', ...args], {
    ...process.env,
    [COUNTS_FILE_ENV]: countsFile,
  });
  const counts = await readFile(countsFile, 'utf8').then((text) => JSON.parse(text) as Counts, () => ({ passed: 0, failed: 0, skipped: 0 }));
  return settled(counts, code);
}

function isTestFile(arg: string): boolean {
  return !arg.startsWith('-') && arg.endsWith('.ts');
}

function isNodeTest(file: string): boolean {
  return file.replace(/^\.\//, '').startsWith(`${NODE_TESTS}/`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const named = args.filter(isTestFile);
  const nodeFiles = named.length > 0
    ? named.filter(isNodeTest)
    : (await filesUnder(NODE_TESTS)).filter((file) => file.endsWith('.test.ts')).sort();
  const browserArgs = args.filter((arg) => !(isTestFile(arg) && isNodeTest(arg)));
  const runBrowser = named.length === 0 || named.some((file) => !isNodeTest(file));

  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (counts: Counts) => {
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  };

  if (await distIsStale()) {
    console.log('dist/ is missing or older than src/: building the package first.');
    // A failed build is one failure; the tests still run, so that the rest of the report is there.
    add(settled({ passed: 0, failed: 0, skipped: 0 }, await run('npm', ['run', 'build'])));
  }

  const scratch = await mkdtemp(join(tmpdir(), 'mcu-test-'));
  try {
    if (nodeFiles.length > 0) add(await nodeTests(nodeFiles, scratch));
    if (runBrowser) add(await browserTests(browserArgs, scratch));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  console.log(`${total.passed} passed, ${total.failed} failed` + (total.skipped ? `, ${total.skipped} skipped` : ''));
  return total.failed > 0 ? 1 : 0;
}

process.exitCode = await main();
