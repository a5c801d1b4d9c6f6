/**
 * `npm run screenshots [-- --out <folder>]`: opens the demo page in headless Chromium against the local emulators,
 * puts the element in every state at once (uploaded, uploading, paused, failed, refused, an image with its thumbnail)
 * and writes PNGs of it in light, dark, zh-CN and at 360 px, plus the empty element, to a folder a person can look at
 * (default `screenshots/`).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { createServer } from 'vite';
import { startEmulatorServer } from '../src/emulators/node-server.js';
import { CHROMIUM_ARGS } from '../bench/chromium.js';

interface Variant {
  name: string;
  theme: 'light' | 'dark';
  lang: string;
  width: number;
}

const VARIANTS: Variant[] = [
  { name: 'light', theme: 'light', lang: 'en', width: 900 },
  { name: 'dark', theme: 'dark', lang: 'en', width: 900 },
  { name: 'zh-CN', theme: 'light', lang: 'zh-CN', width: 900 },
  { name: '360px', theme: 'light', lang: 'en', width: 360 },
];

const { values } = parseArgs({ options: { out: { type: 'string', default: 'screenshots' } } });
const out = resolve(values.out!);
await mkdir(out, { recursive: true });

const host = '127.0.0.1';
const emulators = await startEmulatorServer({ port: 0, host });
const vite = await createServer({
  root: 'demo',
  configFile: false,
  logLevel: 'error',
  server: {
    host,
    port: 0,
    proxy: Object.fromEntries(['/api', '/emulator', '/__admin'].map((path) => [path, { target: emulators.url, changeOrigin: true }])),
  },
});
await vite.listen();
const demoUrl = vite.resolvedUrls!.local[0];
const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });

/** Arms a fault on the S3 emulator for part uploads (see src/emulators/admin-routes.ts). */
async function fault(spec: Record<string, unknown> | 'clear'): Promise<void> {
  const url = `${emulators.url}/__admin/s3/faults`;
  if (spec === 'clear') await fetch(url, { method: 'DELETE' });
  else await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
}

/** Builds every state in the demo's element: each step adds a file and waits until it shows the state wanted. */
async function buildScene(page: Page): Promise<void> {
  const step = (name: string, size: number, kind: 'bytes' | 'image' | 'zeros', state: string) =>
    page.evaluate(
      async ({ name, size, kind, state }) => {
        const uploader = document.getElementById('uploader') as HTMLElement & {
          addFiles(files: File[]): Promise<{ id: string; state: string }[]>;
          files: readonly { state: string; file: File }[];
        };
        let file: File;
        if (kind === 'image') {
          const canvas = new OffscreenCanvas(640, 480);
          const context = canvas.getContext('2d')!;
          const sky = context.createLinearGradient(0, 0, 0, 480);
          sky.addColorStop(0, '#38bdf8');
          sky.addColorStop(1, '#fde68a');
          context.fillStyle = sky;
          context.fillRect(0, 0, 640, 480);
          context.fillStyle = '#0369a1';
          context.fillRect(0, 330, 640, 150);
          file = new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
        } else {
          const bytes = new Uint8Array(size);
          if (kind === 'bytes') for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
          file = new File([bytes], name, { type: name.endsWith('.mp4') ? 'video/mp4' : name.endsWith('.pdf') ? 'application/pdf' : '' });
        }
        await uploader.addFiles([file]);
        if (state === 'refused') return;
        const deadline = Date.now() + 20_000;
        while (!uploader.files.some((task) => task.file === file && task.state === state)) {
          if (Date.now() > deadline) throw new Error(`${name} never became ${state}: ${uploader.files.map((task) => task.state).join(', ')}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      { name, size, kind, state },
    );
  const MiB = 1024 * 1024;
  await step('quarterly-report-2024.pdf', 300 * 1024, 'bytes', 'done');
  await step('holiday-beach-sunset.png', 0, 'image', 'done');
  await fault({ kind: 'fail', status: 403, times: 20 });
  await step('broken-export.csv', 64 * 1024, 'bytes', 'failed');
  await fault('clear');
  await fault({ kind: 'delay', operation: 'UploadPart', ms: 120_000, times: 2 });
  await step('product-launch-video-final-cut-v3.mp4', 12 * MiB, 'bytes', 'uploading');
  await page.waitForFunction(() => {
    const uploader = document.getElementById('uploader') as HTMLElement & { files: readonly { progress: { bytesStored?: number } }[] };
    return (uploader.files.at(-1)?.progress.bytesStored ?? 0) > 0;
  });
  await step('team-photo-archive.zip', 40 * MiB, 'bytes', 'uploading');
  await page.waitForFunction(() => {
    const uploader = document.getElementById('uploader') as HTMLElement & {
      files: readonly { id: string; progress: { bytesStored?: number } }[];
      pause(id: string): void;
    };
    const last = uploader.files.at(-1)!;
    if ((last.progress.bytesStored ?? 0) === 0) return false;
    uploader.pause(last.id);
    return true;
  });
  await page.evaluate(() => {
    (document.getElementById('uploader') as HTMLElement & { maxFileSize?: number }).maxFileSize = 20 * 1024 * 1024;
  });
  await step('raw-footage.mov', 21 * MiB, 'zeros', 'refused');
  await page.waitForTimeout(1500);
}

try {
  for (const variant of VARIANTS) {
    const context = await browser.newContext({ viewport: { width: variant.width, height: 900 }, colorScheme: variant.theme, deviceScaleFactor: 2 });
    await context.addInitScript((choices) => localStorage.setItem('mcu-demo-choices', JSON.stringify(choices)), {
      provider: 's3',
      theme: variant.theme,
      lang: variant.lang,
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[${variant.name}] ${error.message}`));
    await page.goto(demoUrl);
    await page.locator('#uploader').waitFor();
    await page.locator('#uploader').screenshot({ path: join(out, `${variant.name}-empty.png`) });
    await fault('clear');
    // The list scrolls past 24rem; the picture shows every row.
    await page.locator('#uploader').evaluate((element) => (element as HTMLElement).style.setProperty('--mcu-list-max-height', 'none'));
    await buildScene(page);
    await page.locator('#uploader').screenshot({ path: join(out, `${variant.name}-states.png`) });
    await page.screenshot({ path: join(out, `${variant.name}-page.png`), fullPage: true });
    console.log(`${variant.name}: ${variant.name}-empty.png, ${variant.name}-states.png, ${variant.name}-page.png`);
    await fault('clear');
    await context.close();
  }
  console.log(`Screenshots in ${out}`);
} finally {
  await browser.close();
  await vite.close();
  await emulators.close();
}
