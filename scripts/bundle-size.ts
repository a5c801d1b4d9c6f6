// Part of `npm run build`: prints what a page pays for the main entry, gzipped: dist/multi-cloud-uploader.js with
// every chunk it imports statically (provider chunks and the hashing worker load only when needed), file by file,
// and the same bundled and minified with the dependencies an app's bundler adds (Lit, idb-keyval, dequal). Fails
// the build when the first is over the budget.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'dist/multi-cloud-uploader.js';
// Issue 10's budget: 30 kB (decimal, as the issue's figures are), gzipped.
const BUDGET_BYTES = 30_000;

/** esbuild's bundle of `entry`, static imports only; bare specifiers stay out unless `withDependencies`. */
async function bundle(entry: string, withDependencies: boolean): Promise<{ files: string[]; minified: Uint8Array }> {
  const { metafile, outputFiles } = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    plugins: [
      {
        name: 'static-imports-only',
        setup(plugin) {
          plugin.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'dynamic-import') return { path: args.path, external: true };
            if (!withDependencies && /^[^./]/.test(args.path)) return { path: args.path, external: true };
            return undefined;
          });
        },
      },
    ],
  });
  return { files: Object.keys((metafile as Metafile).inputs), minified: outputFiles[0]!.contents };
}

async function gzippedSize(files: string[]): Promise<number> {
  let total = 0;
  for (const file of files) total += gzipSync(await readFile(`${ROOT}${file}`), { level: 9 }).length;
  return total;
}

const kib = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const own = (await bundle(ENTRY, false)).files;
const ownSize = await gzippedSize(own);
const shipped = gzipSync((await bundle(ENTRY, true)).minified, { level: 9 }).length;
console.log(`${ENTRY} + its static chunks (${own.length} files): ${kib(ownSize)} gzipped (budget ${kib(BUDGET_BYTES)})`);
console.log(`  bundled with Lit, idb-keyval and dequal and minified, as an app ships it: ${kib(shipped)} gzipped`);
if (ownSize > BUDGET_BYTES) {
  console.error(`The main entry is over its budget by ${kib(ownSize - BUDGET_BYTES)}.`);
  process.exitCode = 1;
}
