// The package as a user gets it: `npm pack`, installed from the tarball into a new project with React, Vue, Vite and
// TypeScript. Each browser entry imports under plain Node (server rendering); the React and Vue example apps
// type-check (misspelt props and wrong handlers are errors), build, and upload byte for byte while their parent
// re-renders on every progress event; the CDN build uploads from another origin; a strict Content-Security-Policy,
// sent as a response header, sees no violation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmulatorServer, type EmulatorServer } from '../../../src/emulators/node-server.js';
import { CHROMIUM_ARGS } from '../../../bench/chromium.js';
import { createConsumerProject, type ConsumerProject } from './consumer-project.js';
import { serveStatic, type StaticServer } from './static-server.js';

const MiB = 1024 * 1024;
const ENTRIES = [
  'multi-cloud-uploader',
  'multi-cloud-uploader/react',
  'multi-cloud-uploader/vue',
  ...['s3', 'huawei-metastudio', 'iflytek-ost', 'aliyun-pds', 'tus', 'tencent-cos-v4', 'huawei-koodrive'].map(
    (id) => `multi-cloud-uploader/providers/${id}`,
  ),
];
const STRICT_POLICY = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; report-uri /csp-report";

interface Outcome {
  key?: string;
  error?: { code: string; message: string };
}

/** A file of random bytes on disk, picked through the element's `<input type=file>` as a person would. */
async function randomFile(project: ConsumerProject, name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(project.dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

async function storedObject(emulator: EmulatorServer, key: string): Promise<Buffer> {
  const response = await fetch(`${emulator.url}/__admin/s3/objects/${encodeURIComponent(key)}`);
  assert.equal(response.status, 200, `object ${key}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Picks a file in the element `selector` and resolves with mcu-complete's key or mcu-error's error. */
async function uploadThroughPage(page: Page, selector: string, path: string): Promise<Outcome> {
  await page.waitForFunction(() => customElements.get('multi-cloud-uploader') !== undefined);
  const outcome = page.evaluate(
    (target) =>
      new Promise<Outcome>((resolve) => {
        const uploader = document.querySelector(target)!;
        uploader.addEventListener('mcu-complete', (event) => resolve({ key: String((event as CustomEvent).detail.result.key) }));
        uploader.addEventListener('mcu-error', (event) => {
          const { code, message } = (event as CustomEvent).detail.error;
          resolve({ error: { code, message } });
        });
      }),
    selector,
  );
  await page.locator(`${selector} input[type=file]`).setInputFiles(path);
  return outcome;
}

/** The script URLs of the workers the page starts. */
function startedWorkers(page: Page): string[] {
  const urls: string[] = [];
  page.on('worker', (worker) => urls.push(worker.url()));
  return urls;
}

function cspConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) errors.push(message.text());
  });
  return errors;
}

describe('the package installed from its tarball', { timeout: 15 * 60_000 }, () => {
  let project: ConsumerProject;
  let browser: Browser;
  let emulator: EmulatorServer;

  before(async () => {
    project = await createConsumerProject();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    emulator = await startEmulatorServer();
  });
  after(async () => {
    await browser?.close();
    await emulator?.close();
    await project?.remove();
  });

  describe('the tarball', () => {
    it('holds the build, the types, the manifest and the LICENSE, and no source maps or sources', () => {
      const paths = project.pack.files.map((file) => file.path);
      for (const needed of [
        'LICENSE',
        'package.json',
        'dist/multi-cloud-uploader.js',
        'dist/react.js',
        'dist/vue.js',
        'dist/cdn/multi-cloud-uploader.js',
        'dist/custom-elements.json',
        'dist/types/index.d.ts',
        'dist/types/react.d.ts',
        'dist/types/vue.d.ts',
        'dist/providers/s3.js',
      ]) {
        assert.ok(paths.includes(needed), `${needed} is missing from the tarball`);
      }
      assert.deepEqual(paths.filter((path) => path.endsWith('.map') || path.startsWith('src/')), []);
    });

    it('leaves Lit, hash-wasm and idb-keyval to npm outside dist/cdn: one Lit for a Lit app', async () => {
      const dist = join(project.dir, 'node_modules/multi-cloud-uploader/dist');
      const files = (await readdir(dist, { recursive: true })).filter((file) => file.endsWith('.js') && !file.startsWith('cdn'));
      const bundlesLit: string[] = [];
      for (const file of files) {
        const text = await readFile(join(dist, file), 'utf8');
        if (text.includes('litElementVersions') || text.includes('reactiveElementVersions')) bundlesLit.push(file);
      }
      assert.deepEqual(bundlesLit, []);
      const { stdout } = await project.exec('npm', ['ls', 'lit', '--all', '--parseable']);
      assert.equal(stdout.trim().split('\n').filter((line) => line.endsWith('/node_modules/lit')).length, 1, stdout);
    });

    it('marks as side effects only the modules that define the element, and the entries that import them bare', async () => {
      const manifest = JSON.parse(await readFile(join(project.dir, 'node_modules/multi-cloud-uploader/package.json'), 'utf8'));
      const dist = join(project.dir, 'node_modules/multi-cloud-uploader/dist');
      const defining: string[] = [];
      for (const file of await readdir(join(dist, 'chunks'))) {
        if ((await readFile(join(dist, 'chunks', file), 'utf8')).includes('customElements.define(')) defining.push(`./dist/chunks/${file}`);
      }
      assert.equal(defining.length, 1);
      const patterns = (manifest.sideEffects as string[]).map((glob) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace('*', '[^/]*')}$`));
      assert.ok(patterns.some((pattern) => pattern.test(defining[0]!)), `${defining[0]} is not in sideEffects`);
      const elements = JSON.parse(await readFile(join(project.dir, 'node_modules/multi-cloud-uploader', manifest.customElements), 'utf8'));
      assert.equal(elements.modules[0].declarations[0].tagName, 'multi-cloud-uploader');
      assert.equal(manifest.scripts.prepack, 'npm run build');
    });
  });

  describe('server rendering: every browser entry under plain Node', () => {
    for (const entry of ENTRIES) {
      it(`import('${entry}') does not throw where there is no DOM`, async () => {
        const script = `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m)));`;
        const { stdout } = await project.exec(process.execPath, ['--input-type=module', '-e', script]);
        assert.ok(JSON.parse(stdout).length > 0, `${entry} exports nothing`);
      });
    }
  });

  for (const app of ['react', 'vue'] as const) {
    describe(`the ${app === 'react' ? 'React' : 'Vue'} example app (demo/${app})`, () => {
      const checker = app === 'react' ? 'tsc' : 'vue-tsc';
      let server: EmulatorServer | undefined;
      after(() => server?.close());

      it(`type-checks with ${checker}, and misspelt props, wrong prop types and handlers for the wrong event are errors`, async () => {
        const typos = join(import.meta.dirname, 'typos', app === 'react' ? 'typos.tsx' : 'Typos.vue');
        const target = join(project.dir, app, 'src', app === 'react' ? 'typos.tsx' : 'Typos.vue');
        await cp(typos, target);
        // Every line there carries an expect-error directive: the check fails if any of them is not an error.
        await project.exec(join(project.dir, 'node_modules/.bin', checker), ['-p', '.'], join(project.dir, app));
      });

      it('builds with Vite', async () => {
        await project.exec(join(project.dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], join(project.dir, app));
      });

      if (app === 'react') {
        it('enables the component again when React sets disabled back to false', async () => {
          server ??= await startEmulatorServer({ staticDir: join(project.dir, app, 'dist') });
          const page = await browser.newPage();
          try {
            await page.goto(`${server.url}/`);
            const section = page.locator('section#component');
            const browse = section.locator('multi-cloud-uploader [part~="browse-button"]');
            for (const disabled of [true, false, true, false]) {
              await section.locator('input.disable').setChecked(disabled);
              await page.waitForFunction(
                ([selector, want]) => document.querySelector(selector)?.shadowRoot?.querySelector<HTMLButtonElement>('[part~="browse-button"]')?.disabled === want,
                ['section#component multi-cloud-uploader', disabled] as const,
                { timeout: 2000 },
              ).catch(() => undefined);
              assert.equal(await browse.isDisabled(), disabled, `disabled={${disabled}}`);
            }
          } finally {
            await page.close();
          }
        });
      }

      // React: the @lit/react component and the bare tag as React 19 renders it; Vue: the tag in a template.
      for (const panel of app === 'react' ? ['component', 'tag'] : ['tag']) {
        it(`uploads byte for byte through the ${panel === 'tag' ? 'bare tag' : 'component'} while its parent re-renders on every progress event`, async () => {
          server ??= await startEmulatorServer({ staticDir: join(project.dir, app, 'dist') });
          const file = await randomFile(project, `${app}-${panel}-upload.bin`, 23 * MiB + 5);
          const page = await browser.newPage();
          try {
            await page.goto(`${server.url}/`);
            const section = page.locator(`section#${panel}`);
            await section.locator('multi-cloud-uploader input[type=file]').setInputFiles(file.path);
            const stored = section.locator('.stored li');
            await stored.first().waitFor({ timeout: 120_000 });
            const [, key] = /stored as (.+)$/.exec((await stored.first().textContent())!.trim())!;
            assert.equal(await section.locator('.problem').count(), 0);
            assert.equal(await section.locator('.percent').textContent(), '100% uploaded');
            const renders = Number(/(\d+)/.exec((await section.locator('.renders').textContent())!)![1]);
            assert.ok(renders > 1, `re-rendered ${renders} times`);
            assert.ok((await storedObject(server, key!)).equals(file.bytes), 'the stored object differs from the file');
          } finally {
            await page.close();
          }
        });
      }
    });
  }

  describe('the CDN build, loaded by a page on another origin', () => {
    let pageServer: StaticServer;
    let cdn: StaticServer;
    before(async () => {
      cdn = await serveStatic(join(project.dir, 'node_modules/multi-cloud-uploader/dist/cdn'), 'localhost', {
        'access-control-allow-origin': '*',
      });
      const html = (await readFile(join(import.meta.dirname, 'pages/cdn/index.html'), 'utf8'))
        .replace('CDN_URL', cdn.url)
        .replace('ENDPOINT', `${emulator.url}/api`);
      await writeFile(join(project.dir, 'pages/cdn.html'), html);
      pageServer = await serveStatic(join(project.dir, 'pages'), '127.0.0.1');
    });
    after(async () => {
      await pageServer?.close();
      await cdn?.close();
    });

    it('starts the hashing worker across origins and uploads with default checksums, byte for byte', async () => {
      const file = await randomFile(project, 'cdn-upload.bin', 17 * MiB + 3);
      const page = await browser.newPage();
      const workers = startedWorkers(page);
      try {
        await page.goto(`${pageServer.url}/cdn.html`);
        const { key, error } = await uploadThroughPage(page, 'multi-cloud-uploader', file.path);
        assert.equal(error, undefined);
        assert.ok((await storedObject(emulator, key!)).equals(file.bytes), 'the stored object differs from the file');
        assert.ok(workers.some((url) => url.startsWith('blob:')), `workers: ${workers.join(', ')}`);
      } finally {
        await page.close();
      }
    });
  });

  describe('a strict Content-Security-Policy, sent as a response header', () => {
    let site: StaticServer;
    before(async () => {
      await cp(join(import.meta.dirname, 'pages/csp'), join(project.dir, 'pages/csp'), { recursive: true });
      await project.exec(join(project.dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error', 'pages/csp']);
      site = await serveStatic(join(project.dir, 'pages/csp/dist'), '127.0.0.1');
    });
    after(() => site?.close());

    async function open(policy: string): Promise<{ page: Page; consoleErrors: string[]; workers: string[] }> {
      site.setHeaders({ 'content-security-policy': policy });
      site.reports.length = 0;
      const page = await browser.newPage();
      const consoleErrors = cspConsoleErrors(page);
      const workers = startedWorkers(page);
      await page.goto(`${site.url}/?endpoint=${encodeURIComponent(`${emulator.url}/api`)}`);
      return { page, consoleErrors, workers };
    }

    it(`uploads with checksums through the npm build and its same-origin worker under "${STRICT_POLICY}", with no violation`, async () => {
      const file = await randomFile(project, 'csp-upload.bin', 13 * MiB + 1);
      const { page, consoleErrors, workers } = await open(STRICT_POLICY);
      try {
        const { key, error } = await uploadThroughPage(page, '#with-checksum', file.path);
        assert.equal(error, undefined);
        assert.ok(workers.length > 0 && workers.every((url) => url.startsWith(`${site.url}/`)), `workers: ${workers.join(', ')}`);
        assert.ok((await storedObject(emulator, key!)).equals(file.bytes), 'the stored object differs from the file');
        // The rows rendered and moved; any inline style would have been refused by now.
        assert.deepEqual(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), []);
        assert.deepEqual(consoleErrors, []);
        assert.deepEqual(site.reports, []);
      } finally {
        await page.close();
      }
    });

    it("without 'wasm-unsafe-eval' fails hashing with hashing-unavailable naming the directive, and a file needing no digest still uploads", async () => {
      const file = await randomFile(project, 'csp-no-wasm.bin', 11 * MiB + 9);
      const { page } = await open(STRICT_POLICY.replace(" 'wasm-unsafe-eval'", ''));
      try {
        const refused = await uploadThroughPage(page, '#with-checksum', file.path);
        assert.equal(refused.error?.code, 'hashing-unavailable');
        assert.match(refused.error!.message, /'wasm-unsafe-eval'/);
        const { key, error } = await uploadThroughPage(page, '#no-checksum', file.path);
        assert.equal(error, undefined);
        assert.ok((await storedObject(emulator, key!)).equals(file.bytes), 'the stored object differs from the file');
      } finally {
        await page.close();
      }
    });

    it('with workers forbidden, fails with worker-unavailable, not bad-response', async () => {
      const file = await randomFile(project, 'csp-no-worker.bin', 6 * MiB);
      const { page } = await open(STRICT_POLICY.replace("worker-src 'self'", "worker-src 'none'"));
      try {
        const { error } = await uploadThroughPage(page, '#with-checksum', file.path);
        assert.equal(error?.code, 'worker-unavailable');
      } finally {
        await page.close();
      }
    });
  });
});
