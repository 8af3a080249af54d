import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { fileURLToPath } from 'node:url';
import { bundledModels } from './web/build-plugins/bundled-models.ts';

// The app lives in web/; datasets built by scripts/build-data.ts land in
// public/data/ (generated, not committed) and are served as static files.
export default defineConfig({
  root: 'web',
  publicDir: '../public',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    // Two pages: the lab, and the benchmark page scripts/bench.ts drives (docs/benchmark.md).
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./web/index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./web/bench.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  plugins: [
    bundledModels(fileURLToPath(new URL('./models', import.meta.url))),
    // Offline after the first load: the service worker precaches the app
    // shell, worker and bundled models. The datasets (47 MB train splits) are
    // not precached: the worker copies them into IndexedDB once, which keeps
    // them out of workbox's size limit and out of a second copy in Cache Storage.
    VitePWA({
      strategies: 'generateSW',
      injectRegister: null, // web/main.ts registers it: the CSP forbids inline scripts
      registerType: 'autoUpdate',
      manifest: {
        name: 'Compression Lab',
        short_name: 'Compression Lab',
        description: 'Make neural networks smaller and faster, and measure what each technique buys on your GPU.',
        theme_color: '#1a5fb4',
        background_color: '#ffffff',
        display: 'standalone',
        icons: [],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,json,safetensors,webmanifest,svg,png,ico,wgsl}'],
        globIgnores: ['data/*.bin', '**/*.wasm'],
        // Bundled models are ~1.7 MB each in fp32; leave room for bigger ones.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/data\//, /^\/models\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
});
