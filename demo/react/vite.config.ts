import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // The package starts its hashing worker from a file beside it; pre-bundling for the dev server would move the code away from that file.
  optimizeDeps: { exclude: ['multi-cloud-uploader'] },
});
