import { fileURLToPath } from 'node:url';
import type { TestRunnerPlugin } from '@web/test-runner';
import { build } from 'vite';
import type { Rolldown } from 'vite';

/** Where the page imports Uppy from: `const { Uppy, AwsS3 } = await import(UPPY_BUNDLE_PATH)`. */
export const UPPY_BUNDLE_PATH = '/__uppy.js';

const ENTRY = fileURLToPath(new URL('./uppy-entry.ts', import.meta.url));

/**
 * A test-runner plugin serving `@uppy/core` and `@uppy/aws-s3` as one ES module at {@link UPPY_BUNDLE_PATH}. The
 * dev server serves packages file by file and cannot run the CommonJS ones Uppy imports (lodash, classnames,
 * namespace-emitter, mime-match), so Vite bundles them once, on first request, as an app's bundler would.
 */
export function uppyBundlePlugin(): TestRunnerPlugin {
  let bundle: Promise<string> | undefined;
  return {
    name: 'mcu-uppy-bundle',
    async serve(context) {
      if (context.path !== UPPY_BUNDLE_PATH) return undefined;
      bundle ??= bundleUppy();
      return { body: await bundle, type: 'js', headers: { 'cache-control': 'no-store' } };
    },
  };
}

async function bundleUppy(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: ENTRY, formats: ['es'], fileName: 'uppy' },
    },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const [first] = Array.isArray(output) ? output : [output];
  const chunk = first?.output.find((item) => item.type === 'chunk' && item.isEntry);
  if (!chunk || chunk.type !== 'chunk') throw new Error('Vite produced no Uppy bundle');
  return chunk.code;
}
