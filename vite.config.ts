import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledModels } from './web/build-plugins/bundled-models.ts';

const DIST = fileURLToPath(new URL('./dist/', import.meta.url));

/** Built files `entry` loads, transitively (the asset names its HTML and chunks mention). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(DIST + file)) return;
    seen.add(file);
    if (!/\.(html|js)$/.test(file)) return;
    // HTML names `assets/x.js`; a chunk names its siblings `./x.js` or `assets/x.js`.
    for (const m of readFileSync(DIST + file, 'utf8').matchAll(/(?:assets\/|\.\/)([\w.-]+\.(?:js|css|wasm))/g)) visit(`assets/${m[1]}`);
  };
  visit(entry);
  return seen;
}

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
    // shell and the worker's code, nothing else. The datasets and the bundled
    // models are not precached: the worker copies them into IndexedDB once
    // (datasets gzipped, MNIST at start-up and Fashion-MNIST on first use;
    // each bundled model on its first use, src/worker/bundled.ts), and a
    // second copy in Cache Storage would double what a first load transfers. The benchmark page (bench.html, its chunk with TF.js and
    // ONNX Runtime Web, their .wasm files) is not part of the offline app.
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
        globPatterns: ['**/*.{js,css,html,json,webmanifest,svg,png,ico,wgsl}'],
        globIgnores: ['data/*.bin', 'data/*.gz', 'models/**', '**/*.wasm', 'bench.html', 'assets/bench-*.js'],
        // What only the benchmark page loads (e.g. its own chunk of the roofline probe).
        manifestTransforms: [
          (entries) => {
            const app = reachable('index.html');
            const benchOnly = [...reachable('bench.html')].filter((f) => !app.has(f));
            return { manifest: entries.filter((e) => !benchOnly.includes(e.url)) };
          },
        ],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/data\//, /^\/models\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
});
