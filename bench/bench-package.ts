/**
 * The bench measures ours as users get it: the package built by `vite build` (the first step of `npm run build`),
 * minified, its hashing worker one file, loaded by the page as an app's bundler would load it from node_modules.
 * `run.ts` builds it here before each run, so that it is always the code in the working tree.
 */
export const BENCH_PACKAGE_DIR = 'node_modules/.cache/mcu-bench/package';

/** The package's main entry and its S3 entry, typed as their sources. */
export interface BenchPackage {
  main: typeof import('../src/index.js');
  s3: typeof import('../src/providers/s3.js');
}

/** Loads the built package into the page (its main entry defines `<multi-cloud-uploader>`). */
export async function loadBenchPackage(): Promise<BenchPackage> {
  const entry = (path: string) => import(/* @vite-ignore */ `/${BENCH_PACKAGE_DIR}/${path}`);
  const [main, s3] = await Promise.all([entry('multi-cloud-uploader.js'), entry('providers/s3.js')]);
  return { main, s3 } as BenchPackage;
}
