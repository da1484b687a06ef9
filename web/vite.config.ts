// Vite config for the studio web app; `npm run build:web` writes web/dist, which `gantry serve` serves.
// `npx vite web` runs a dev server that forwards the API to a `gantry serve` on port 8080.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { proxy: { '/api': api, '/runs': api } },
});
