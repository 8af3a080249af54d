// Checks the real datasets built by `npm run data` in public/data. Missing
// data is a failure, not a skip: a green run must mean the data was checked.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFileName, labelHistogram, toFloatBatch } from './dataset.ts';
import { DATASET_INFO } from './manifest.ts';
import { DEFAULT_DATA_DIR, loadDataset, loadManifest } from './node-loader.ts';

function requireBuilt(file: string): void {
  const path = join(DEFAULT_DATA_DIR, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run data\` before the tests`);
}

describe('built MNIST (public/data)', () => {
  it('test split: 10,000 examples, first label 7, the published class counts', async () => {
    requireBuilt(datasetFileName('mnist', 'test'));
    const ds = await loadDataset('mnist', 'test');
    expect(ds.count).toBe(10_000);
    expect([ds.rows, ds.cols]).toEqual([28, 28]);
    const h = labelHistogram(ds.labels);
    expect(h.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(h).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(ds.labels[0]).toBe(7);
    // The first test image is a 7: ink in the middle, blank corners.
    const x = toFloatBatch(ds, 0, 1);
    expect(x[0]).toBe(0);
    expect(Math.max(...x)).toBe(1);
  });

  it('train split: 60,000 examples', async () => {
    requireBuilt(datasetFileName('mnist', 'train'));
    const ds = await loadDataset('mnist', 'train');
    expect(ds.count).toBe(60_000);
    expect(ds.labels[0]).toBe(5);
    expect(labelHistogram(ds.labels).reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('manifest lists MNIST with credit, and Fashion-MNIST as present or absent with a reason', async () => {
    requireBuilt('manifest.json');
    const m = await loadManifest();
    const mnist = m.datasets.find((d) => d.name === 'mnist')!;
    expect(mnist.present).toBe(true);
    expect(mnist.credit).toMatch(/LeCun.*Cortes.*Burges/);
    expect(mnist.splits.test?.count).toBe(10_000);
    expect(mnist.splits.train?.sources.every((s) => s.md5Verified)).toBe(true);
    const fashion = m.datasets.find((d) => d.name === 'fashion-mnist')!;
    expect(fashion.credit).toMatch(/Zalando/);
    expect(fashion.licence).toMatch(/MIT/);
    if (fashion.present) {
      const ds = await loadDataset('fashion-mnist', 'test');
      expect(labelHistogram(ds.labels)).toEqual(new Array(10).fill(1000));
      expect(DATASET_INFO['fashion-mnist'].classNames[ds.labels[0]]).toBe('Ankle boot');
    } else {
      expect(fashion.absentReason).toMatch(/dataset-fashion-mnist/);
    }
  });
});
