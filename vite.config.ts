import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';

/** Each provider's adapter is its own entry, `multi-cloud-uploader/providers/<id>`, and the chunk the element loads lazily. */
export const PROVIDER_IDS = ['s3', 'huawei-metastudio', 'iflytek-ost', 'aliyun-pds', 'tus', 'tencent-cos-v4', 'huawei-koodrive'];

// Node built-ins and the optional peers of the server and emulator entries stay imports, never bundled.
const nodeOnly = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), /^@aws-sdk\//, /^msw(\/|$)/];
// The package's own dependencies and the frameworks are installed by npm beside it: bundling them would make users
// download them twice and give a Lit app two Lits. The CDN build (vite.cdn.config.ts) bundles them instead.
const installedBeside = [/^lit(\/|$)/, /^@lit\//, /^hash-wasm(\/|$)/, /^idb-keyval(\/|$)/, /^dequal(\/|$)/, /^react(\/|$)/, /^vue(\/|$)/];

export default defineConfig({
  // Relative base keeps the worker URL relative to import.meta.url, so dist works below any path.
  base: './',
  // public/ holds the msw worker, which is test-only.
  publicDir: false,
  build: {
    target: 'es2022',
    // Source maps would be two thirds of the tarball.
    sourcemap: false,
    lib: {
      entry: {
        'multi-cloud-uploader': 'src/index.ts',
        react: 'src/react.ts',
        vue: 'src/vue.ts',
        ...Object.fromEntries(PROVIDER_IDS.map((id) => [`providers/${id}`, `src/providers/${id}.ts`])),
        // Fetch runtimes only: nothing reachable from this entry may import `node:` modules.
        server: 'src/server/index.ts',
        'server-node': 'src/server/node.ts',
        emulators: 'src/emulators/index.ts',
      },
      formats: ['es'],
    },
    rollupOptions: {
      external: [...nodeOnly, ...installedBeside],
      // Minified in full, whitespace too (Vite keeps a library's by default): the code pages load is what the main
      // entry's size budget counts (scripts/bundle-size.ts), and every bundler takes minified ES modules as they are.
      output: { chunkFileNames: 'chunks/[name]-[hash].js', minify: true },
    },
  },
  worker: { format: 'es' },
});
