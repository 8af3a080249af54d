import { defineConfig } from 'vite';

// The app lives in web/; datasets built by scripts/build-data.ts land in
// public/data/ (generated, not committed) and are served as static files.
export default defineConfig({
  root: 'web',
  publicDir: '../public',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
