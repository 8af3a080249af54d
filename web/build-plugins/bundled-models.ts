/**
 * Vite plugin: ships the trained models in `models/*.safetensors` with the
 * app, under `models/`, plus `models/index.json` listing them (file, bytes,
 * sha256, and each model's list entry: parameters, FLOPs, stored bytes,
 * dataset — src/worker/bundled-index.ts). The worker stores the index at
 * start-up and fetches a model's file the first time it is used, so a first
 * load does not carry every model. Nothing is generated into the source
 * tree: files are emitted into the build and served from memory by the dev
 * server. No models yet gives an empty index (the lab then makes untrained
 * stand-ins and says so).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { bundledEntry, type BundledEntry } from '../../src/worker/bundled-index.ts';

function scan(dir: string): { entries: BundledEntry[]; data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  const entries: BundledEntry[] = [];
  if (!existsSync(dir)) return { entries, data };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()) {
    const b = readFileSync(join(dir, file));
    data.set(file, b);
    entries.push(bundledEntry(file, new Uint8Array(b), createHash('sha256').update(b).digest('hex')));
  }
  return { entries, data };
}

/** @param modelsDir absolute path of the repository's `models/` directory */
export function bundledModels(modelsDir: string): Plugin {
  return {
    name: 'compression-lab:bundled-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/models\/([^/?#]+)/.exec(req.url ?? '');
        if (!m) return next();
        const { entries, data } = scan(modelsDir);
        if (m[1] === 'index.json') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ models: entries }));
          return;
        }
        const b = data.get(decodeURIComponent(m[1]));
        if (!b) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(b);
      });
    },
    generateBundle() {
      const { entries, data } = scan(modelsDir);
      for (const e of entries) this.emitFile({ type: 'asset', fileName: `models/${e.file}`, source: data.get(e.file)! });
      this.emitFile({ type: 'asset', fileName: 'models/index.json', source: JSON.stringify({ models: entries }, null, 2) });
    },
  };
}
