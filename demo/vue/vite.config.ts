import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { isCustomElement } from 'multi-cloud-uploader/vue';

export default defineConfig({
  plugins: [vue({ template: { compilerOptions: { isCustomElement } } })],
  // The package starts its hashing worker from a file beside it; pre-bundling for the dev server would move the code away from that file.
  optimizeDeps: { exclude: ['multi-cloud-uploader'] },
});
