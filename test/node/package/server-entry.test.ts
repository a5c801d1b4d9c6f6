// The built `./server` entries, as a user's runtime loads them: the Fetch-only build must import in any Fetch runtime
// (no Node built-in, no AWS SDK until the S3 handler is used), and Node must still get `toNodeListener` from it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILTINS = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]!);
}

interface ImportEdge {
  from: string;
  path: string;
  kind: string;
}

/** Every import of `entry` and of each chunk it reaches, as esbuild reads them; bare specifiers stay unresolved. */
async function importsReachableFrom(entry: string): Promise<ImportEdge[]> {
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
    plugins: [
      {
        name: 'keep-bare-specifiers',
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./]/ }, ({ path }) => ({ path, external: true }));
        },
      },
    ],
  });
  return Object.entries((metafile as Metafile).inputs).flatMap(([from, input]) =>
    input.imports.map((edge) => ({ from, path: edge.path, kind: edge.kind })),
  );
}

/** The entry file a Fetch runtime's bundler picks for `multi-cloud-uploader/server`, and whether it bundled. */
async function bundleForWorkerd(): Promise<string[]> {
  const { metafile } = await build({
    absWorkingDir: ROOT,
    stdin: { contents: "export * from 'multi-cloud-uploader/server';", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return Object.keys((metafile as Metafile).inputs);
}

describe('the built ./server entries', () => {
  before(async () => {
    await access(`${ROOT}dist/server.js`).catch(() => {
      throw new Error('dist/server.js is missing: run `npm run build` (npm test builds it when stale)');
    });
  });

  it('dist/server.js and every chunk it loads import no Node built-in', async () => {
    const builtins = (await importsReachableFrom('dist/server.js')).filter((edge) => isBuiltin(edge.path));
    assert.deepEqual(builtins, []);
  });

  it('dist/server.js and its chunks load @aws-sdk only lazily, with import()', async () => {
    const eager = (await importsReachableFrom('dist/server.js')).filter(
      (edge) => edge.path.startsWith('@aws-sdk/') && edge.kind !== 'dynamic-import',
    );
    assert.deepEqual(eager, []);
  });

  it('a Fetch runtime bundler (workerd conditions, browser platform) resolves ./server to the Fetch-only build', async () => {
    const inputs = await bundleForWorkerd();
    assert.ok(inputs.includes('dist/server.js'), `bundled: ${inputs.join(', ')}`);
    assert.ok(!inputs.includes('dist/server-node.js'), `bundled: ${inputs.join(', ')}`);
  });

  it('dist/server-node.js exports everything dist/server.js does, plus the node:http adapter', async () => {
    const fetchOnly = Object.keys(await import(`${ROOT}dist/server.js`));
    const forNode = await import(`${ROOT}dist/server-node.js`);
    assert.deepEqual(fetchOnly.filter((name) => !(name in forNode)), []);
    assert.equal(typeof forNode.toNodeListener, 'function');
    assert.equal(typeof forNode.DROP_CONNECTION_HEADER, 'string');
    assert.ok(!fetchOnly.includes('toNodeListener'));
  });

  it('every file package.json exports exists in dist/', async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { exports: Record<string, unknown> };
    const targets: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(manifest.exports);
    const missing: string[] = [];
    for (const target of targets) await access(`${ROOT}${target}`).catch(() => missing.push(target));
    assert.deepEqual(missing, []);
  });

  describe("import('multi-cloud-uploader/server') under Node, through package exports", () => {
    let server: Server | undefined;
    after(() => {
      server?.closeAllConnections();
      server?.close();
    });

    it('gets toNodeListener, which serves a Fetch handler over node:http', async () => {
      const entry: Record<string, unknown> = await import('multi-cloud-uploader/server');
      const toNodeListener = entry['toNodeListener'] as typeof import('multi-cloud-uploader/server/node').toNodeListener;
      assert.equal(typeof toNodeListener, 'function');
      server = createServer(toNodeListener(async (request) => Response.json({ path: new URL(request.url).pathname })));
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/through/node`);
      assert.deepEqual(await response.json(), { path: '/through/node' });
    });

    it('multi-cloud-uploader/server/node is the same build', async () => {
      const viaCondition = await import('multi-cloud-uploader/server');
      const explicit = await import('multi-cloud-uploader/server/node');
      assert.equal((viaCondition as Record<string, unknown>)['toNodeListener'], (explicit as Record<string, unknown>)['toNodeListener']);
    });
  });
});
