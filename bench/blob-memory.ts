/**
 * `node --import tsx bench/blob-memory.ts [-- --blobs 6 --size 128]`: what hashing in-memory Blobs leaves behind.
 * A page hashes `--blobs` in-memory Blobs of `--size` MiB one after another (per-part MD5 over 8 MiB parts, the S3
 * default, 2 workers) and drops each; after a GC the browser process's resident memory shows whether the Blobs were
 * let go of. Once with our hash workers as they are (ended when idle, and at once after 64 MiB of Blobs), once with
 * them kept for the client's life (what the pool did before). Each case runs in a fresh browser. Prints a markdown
 * table. Not a test: the figures depend on Chromium's blob memory limits on the machine.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { descendants, residentMiB } from './browser-processes.js';
import { CHROMIUM_ARGS } from './chromium.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { blobs: { type: 'string', default: '6' }, size: { type: 'string', default: '128' } } });
const blobs = Number(values.blobs);
const sizeMiB = Number(values.size);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const vite = await createViteServer({
  configFile: false,
  root: repoRoot,
  logLevel: 'warn',
  server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
  optimizeDeps: { entries: [], include: ['hash-wasm'] },
  worker: { format: 'es' },
});
await vite.listen();
const origin = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
const cases: Array<[string, Record<string, number>]> = [
  ['hash workers as they are (ended after 10 s idle, or once idle after 64 MiB)', {}],
  ['hash workers kept for the client\'s life', { idleMs: 2 ** 31 - 1, retireAfterBytes: 2 ** 53 }],
];
const rows: string[] = [];
let browserVersion = '';
try {
  for (const [name, options] of cases) {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'] });
    browserVersion = browser.version();
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/bench/blank.html`);
      const outcome = await page.evaluate(
        async ([count, size, clientOptions]) => {
          const source = '/src/hashing/hash-client.ts';
          const { HashClient } = (await import(/* @vite-ignore */ source)) as typeof import('../src/hashing/hash-client.js');
          const collectGarbage = (globalThis as { gc?: () => void }).gc;
          const client = new HashClient({ workers: 2, ...clientOptions });
          const partSize = 8 * 1024 * 1024;
          for (let index = 0; index < count; index++) {
            const blob = new Blob([new Uint8Array(size).fill(index + 1)]);
            const run = client.start({
              blob,
              plan: { partSize, partCount: Math.ceil(size / partSize) },
              specs: [{ name: 'md5', algorithm: 'md5', encoding: 'base64', scope: 'part', when: 'before-part' }],
            });
            try {
              await run.done;
            } catch (error) {
              return `Blob ${index + 1} could not be read: ${(error as Error).message}`;
            }
            // The page lets go of its own handle at once, so that only what the workers hold stays.
            collectGarbage?.();
          }
          return 'every Blob hashed';
        },
        [blobs, sizeMiB * MiB, options] as const,
      );
      await page.evaluate(() => (globalThis as { gc?: () => void }).gc?.());
      await new Promise((done) => setTimeout(done, 2000));
      await page.evaluate(() => (globalThis as { gc?: () => void }).gc?.());
      const pidsOf = (matches: (commandLine: string) => boolean) =>
        descendants().filter((process) => matches(process.cmdline)).map((process) => process.pid);
      const browserMiB = Math.round(residentMiB(pidsOf((commandLine) => !commandLine.includes('--type='))));
      const rendererMiB = Math.round(residentMiB(pidsOf((commandLine) => commandLine.includes('--type=renderer'))));
      rows.push(`| ${name} | ${outcome} | ${browserMiB} MiB | ${rendererMiB} MiB |`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await vite.close();
}
process.stdout.write(
  [
    `${blobs} in-memory Blobs of ${sizeMiB} MiB hashed one after another and dropped (the page collects its garbage after each), headless Chromium ${browserVersion}, resident memory after a GC:`,
    '',
    '| hash workers | outcome | browser process RSS | renderer RSS |',
    '| --- | --- | ---: | ---: |',
    ...rows,
  ].join('\n') + '\n',
);
