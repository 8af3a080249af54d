/** The worker's weight pictures: a stored variant beside its stored parent (idb-keyval replaced by memory). */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

vi.mock('idb-keyval', () => import('../store/memory-idb.ts'));

const { putModels, deleteModel } = await import('../store/store.ts');
const { weightPictures } = await import('./pictures.ts');
const { runPipeline } = await import('../compress/pipeline.ts');
const { parseModel, serializeModel } = await import('../model/format.ts');

describe('weightPictures', () => {
  it('pictures a variant beside its parent on shared ranges, and alone once the parent is deleted', async () => {
    const file = new Uint8Array(readFileSync('models/lenet-300-100.safetensors'));
    const base = parseModel(file, 'lenet-300-100');
    const { model } = await runPipeline(base, 'prune:sparsity=0.8 | kmeans:bits=5');
    const when = new Date().toISOString();
    await putModels([
      { id: 'p', name: 'lenet-300-100', origin: 'bundled', runtime: 'fp32', architecture: 'lenet-300-100', file, createdAt: when },
      { id: 'v', name: 'pruned', origin: 'user', runtime: 'fp32', architecture: 'lenet-300-100', file: serializeModel(model), parentId: 'p', createdAt: when },
    ]);
    const w = await weightPictures('v');
    expect(w.parent?.name).toBe('lenet-300-100');
    expect(w.parentMissing).toBeUndefined();
    expect(w.variant.pictures.layers.map((l) => l.name)).toEqual(['fc1', 'fc2', 'fc3']);
    for (const [i, l] of w.variant.pictures.layers.entries()) {
      const p = w.parent!.pictures.layers[i];
      expect([l.histogram.lo, l.histogram.hi]).toEqual([p.histogram.lo, p.histogram.hi]);
      // prune 0.8 per layer: exactly round(0.8 · n) zeros; the bundled parent has none.
      expect(l.histogram.zeros).toBe(Math.round(0.8 * l.histogram.total));
      expect(p.histogram.zeros).toBe(0);
      expect(l.levels.source).toBe('codebook');
      expect(p.levels.source).toBe('fp32');
      expect(l.bytes.total).toBeLessThan(p.bytes.total / 4);
    }
    expect(w.variant.pictures.firstConv).toBeUndefined();
    await deleteModel('p', []);
    const alone = await weightPictures('v');
    expect(alone.parent).toBeUndefined();
    expect(alone.parentMissing).toBe(true);
  });
});
