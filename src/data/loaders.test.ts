import { describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from './dataset.ts';
import { encodeDatasetFile } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { loadDataset, loadManifest } from './node-loader.ts';
import { gzipSync } from 'node:zlib';
import { fetchDataset, fetchGzipped } from './web-loader.ts';

const tiny: Dataset = {
  name: 'mnist',
  split: 'test',
  count: 3,
  rows: 2,
  cols: 2,
  labels: Uint8Array.from([7, 2, 1]),
  images: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
};

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-data-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('node loader', () => {
  it('loads a file written by encodeDatasetFile', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'mnist-test.bin'), encodeDatasetFile(tiny));
      const ds = await loadDataset('mnist', 'test', dir);
      expect(Array.from(ds.labels)).toEqual([7, 2, 1]);
    });
  });

  it('says to run `npm run data` when the file or manifest is missing', async () => {
    await withTempDir(async (dir) => {
      await expect(loadDataset('mnist', 'train', dir)).rejects.toThrow(/mnist-train\.bin: not found; run `npm run data` first/);
      await expect(loadManifest(dir)).rejects.toThrow(/manifest\.json: not found; run `npm run data` first/);
    });
  });

  it('explains a dataset the build recorded as absent', async () => {
    await withTempDir(async (dir) => {
      const manifest = {
        format: 'CLDS',
        formatVersion: 1,
        builderVersion: 1,
        generatedAt: '',
        datasets: [{ name: 'fashion-mnist', present: false, absentReason: 'Fashion-MNIST not found at /nowhere', splits: {} }],
      };
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      await expect(loadDataset('fashion-mnist', 'test', dir)).rejects.toThrow(
        /not built: Fashion-MNIST was absent at build time \(Fashion-MNIST not found at \/nowhere\)/,
      );
    });
  });

  it('rejects a file renamed to another split, and a corrupt one', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'mnist-train.bin'), encodeDatasetFile(tiny));
      await expect(loadDataset('mnist', 'train', dir)).rejects.toThrow(/holds mnist\/test, expected mnist\/train/);
      const bad = encodeDatasetFile(tiny);
      bad[40] ^= 1;
      await writeFile(join(dir, 'mnist-test.bin'), bad);
      await expect(loadDataset('mnist', 'test', dir)).rejects.toBeInstanceOf(DatasetError);
    });
  });

  it('rejects unknown names from untyped callers', async () => {
    await expect(loadDataset('cifar' as never, 'test')).rejects.toThrow(/unknown dataset/);
  });
});

describe('web loader', () => {
  const serve =
    (body: Uint8Array | string, init: ResponseInit = {}): typeof fetch =>
    async (input) => {
      expect(String(input)).toBe('/base/mnist-test.bin');
      return new Response(body as BodyInit, init);
    };

  it('fetches, verifies and reports progress', async () => {
    const bytes = encodeDatasetFile(tiny);
    const seen: number[] = [];
    const ds = await fetchDataset('mnist', 'test', '/base', {
      fetch: serve(bytes, { headers: { 'content-length': String(bytes.length) } }),
      onProgress: (loaded, total) => {
        expect(total).toBe(bytes.length);
        seen.push(loaded);
      },
    });
    expect(ds.count).toBe(3);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('turns a 404 and a dev-server HTML fallback into clear errors', async () => {
    await expect(fetchDataset('mnist', 'test', '/base/', { fetch: serve('nope', { status: 404, statusText: 'Not Found' }) })).rejects.toThrow(
      '/base/mnist-test.bin: HTTP 404 Not Found; run `npm run data` before starting the app',
    );
    await expect(fetchDataset('mnist', 'test', '/base/', { fetch: serve('<!doctype html><html><body>app</body></html>') })).rejects.toThrow(
      /HTML page instead of a dataset file/,
    );
  });

  it('rejects a truncated download', async () => {
    const bytes = encodeDatasetFile(tiny).subarray(0, 40);
    await expect(fetchDataset('mnist', 'test', '/base/', { fetch: serve(bytes) })).rejects.toThrow(/expected 47 bytes, got 40 \(truncated\?\)/);
  });

  it('wraps network failures', async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(fetchDataset('mnist', 'test', '/base/', { fetch: failing })).rejects.toThrow('/base/mnist-test.bin: download failed: fetch failed');
  });
});

describe("fetchGzipped (the worker's dataset download)", () => {
  const raw = encodeDatasetFile({ ...tiny, count: 400, labels: new Uint8Array(400), images: new Uint8Array(1600).map((_, i) => (i * 31) % 256) });
  const gz = gzipSync(raw, { level: 9 });
  /** Serves `body` in 100-byte chunks, as a network would. */
  const chunked =
    (body: Uint8Array): typeof fetch =>
    async () => {
      let at = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= body.length) return c.close();
          c.enqueue(body.slice(at, at + 100));
          at += 100;
        },
      });
      return new Response(stream);
    };

  it('decompresses a gzip body with DecompressionStream, counting decompressed bytes of the raw size', async () => {
    const seen: [number, number | null][] = [];
    const bytes = await fetchGzipped('/data/mnist-test.bin.gz', raw.length, { fetch: chunked(gz), onProgress: (l, t) => seen.push([l, t]) });
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(raw))).toBe(0);
    expect(seen[0]).toEqual([0, raw.length]);
    expect(seen.at(-1)).toEqual([raw.length, raw.length]);
  });

  it('takes a body the server already decoded (Content-Encoding: gzip) as it is', async () => {
    const bytes = await fetchGzipped('/data/mnist-test.bin.gz', raw.length, { fetch: chunked(raw) });
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(raw))).toBe(0);
  });

  it('rejects a corrupt or truncated gzip stream, and a 404, naming the URL', async () => {
    const corrupt = gz.slice();
    corrupt[gz.length >> 1] ^= 0xff;
    corrupt[(gz.length >> 1) + 1] ^= 0xff;
    await expect(fetchGzipped('/data/x.bin.gz', raw.length, { fetch: chunked(corrupt) })).rejects.toThrow(/^\/data\/x\.bin\.gz: /);
    await expect(fetchGzipped('/data/x.bin.gz', raw.length, { fetch: chunked(gz.subarray(0, gz.length - 20)) })).rejects.toThrow(
      /^\/data\/x\.bin\.gz: corrupt or truncated gzip stream/,
    );
    await expect(fetchGzipped('/data/x.bin.gz', raw.length, { fetch: async () => new Response('no', { status: 404 }) })).rejects.toThrow(
      '/data/x.bin.gz: HTTP 404',
    );
  });
});
