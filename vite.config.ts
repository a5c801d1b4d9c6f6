import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';

// Node built-ins and the optional peers of the server and emulator entries stay imports, never bundled.
const nodeOnly = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), /^@aws-sdk\//, /^msw(\/|$)/];

export default defineConfig({
  // Relative base keeps the worker URL relative to import.meta.url, so dist works below any path.
  base: './',
  // public/ holds the msw worker, which is test-only.
  publicDir: false,
  build: {
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: {
        'multi-cloud-uploader': 'src/index.ts',
        // Fetch runtimes only: nothing reachable from this entry may import `node:` modules.
        server: 'src/server/index.ts',
        'server-node': 'src/server/node.ts',
        emulators: 'src/emulators/index.ts',
      },
      formats: ['es'],
    },
    rollupOptions: { external: nodeOnly },
  },
  worker: { format: 'es' },
});
