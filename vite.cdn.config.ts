import { defineConfig } from 'vite';

/**
 * The CDN build, `dist/cdn/`: the element with everything it needs (Lit, hash-wasm, idb-keyval), loadable with one
 * `<script type="module">` from any origin. Providers stay chunks beside it, fetched when a page names one; the
 * hashing worker, with its WebAssembly inside, is started through a Blob module when the page is on another origin.
 */
export default defineConfig({
  base: './',
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: 'dist/cdn',
    // Runs after the npm build, which owns the rest of dist/.
    emptyOutDir: true,
    sourcemap: false,
    lib: { entry: { 'multi-cloud-uploader': 'src/index.ts' }, formats: ['es'] },
    // Fully minified: Vite keeps a library's whitespace for the bundlers that consume it, but nothing re-bundles this.
    rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js', minify: true } },
  },
  worker: { format: 'es' },
});
