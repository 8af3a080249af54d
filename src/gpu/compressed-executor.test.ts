/**
 * Whole models executed from compressed weights (weights: 'compressed') vs
 * the same models from an fp32 copy (weights: 'decoded') and the CPU
 * reference: a k-means 5-bit LeNet-5, a hashed LeNet-300-100 (1/8, per layer
 * and network-wide), and k-means under Huffman and sparse wrappers. Checks
 * that the plan lowers those tensors to the compressed kernels, that no fp32
 * weight copy is resident, and that a network-wide table is one buffer.
 * Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { architecture } from '../model/architectures.ts';
import type { Model } from '../model/model.ts';
import { initModel } from '../model/model.ts';
import { kmeans } from '../compress/kmeans.ts';
import { hashWeights } from '../compress/hashing.ts';
import { prune } from '../compress/prune.ts';
import { huffman } from '../compress/huffman.ts';
import { sparsify } from '../compress/sparse.ts';
import { modelForward } from '../cpu/forward.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createExecutor } from './executor.ts';
import { planModel, stepLabel } from './plan.ts';
import { weightResidency } from './compressed-weights.ts';
import { expectNear, expectSameClasses, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

const WEIGHTED = ['conv2d', 'dense'];
const weightedSteps = (m: Model, weights: 'compressed' | 'decoded'): string[] =>
  planModel(m, { variant: 'register', fuse: true, weights })
    .steps.filter((s) => s.macs > 0)
    .map(stepLabel);

/** Compressed and decoded executors give the same logits (the MAC order is the same) and match the CPU at batch 1 and 257. */
async function checkModel(model: Model, kernel: string): Promise<void> {
  expect(
    weightedSteps(model, 'compressed').every((k) => k === kernel),
    weightedSteps(model, 'compressed').join(),
  ).toBe(true);
  expect(weightedSteps(model, 'decoded').every((k) => WEIGHTED.includes(k))).toBe(true);
  const comp = await createExecutor(gpu, model, { maxBatch: 257, weights: 'compressed' });
  const dec = await createExecutor(gpu, model, { maxBatch: 257, weights: 'decoded' });
  try {
    expect(comp.weightBytes.fp32, 'no fp32 weight copy').toBe(0);
    expect(dec.weightBytes.fp32).toBeGreaterThan(0);
    expect(comp.weightBytes.bytes).toBeLessThan(dec.weightBytes.bytes / 4);
    for (const batch of [1, 257]) {
      const x = randomInput(batch * 784, batch);
      const want = modelForward(model, x, batch);
      const got = await comp.run(x, batch, { readback: 'logits' });
      const ref = await dec.run(x, batch, { readback: 'logits' });
      expectNear(got, want, `compressed vs CPU, batch ${batch}`);
      expectNear(got, ref, `compressed vs decoded, batch ${batch}`, 1e-5, 1e-5);
      const idx = await comp.run(x, batch, { readback: 'argmax' });
      expectSameClasses(idx, want, 10, `argmax batch ${batch}`);
    }
  } finally {
    comp.destroy();
    dec.destroy();
  }
}

// Whole-model runs at batch 257 are slow on a software adapter, slower on a loaded machine.
const SLOW = 400_000;

describe('executor on compressed weights', () => {
  it(
    'k-means 5-bit LeNet-5: conv2d:codebook everywhere, 5-bit indices resident',
    async () => {
      const model = kmeans(initModel(architecture('lenet5'), 3), { bits: 5 });
      await checkModel(model, 'conv2d:codebook');
      const r = weightResidency(planModel(model, { variant: 'register', fuse: true, weights: 'compressed' }).steps);
      // [oc, K] per layer: 5-bit indices over K × ocp (out channels padded to 4), a spare word, then ≤ 32 centroids.
      const layers = [
        [20, 25],
        [50, 500],
        [500, 800],
        [10, 500],
      ];
      const indexBytes = layers.reduce((a, [oc, k]) => a + 4 * (Math.ceil((k * Math.ceil(oc / 4) * 4 * 5) / 32) + 1), 0);
      const centroidBytes = r.bytes - indexBytes;
      expect(centroidBytes).toBeGreaterThanOrEqual(4 * 4 * 2);
      expect(centroidBytes).toBeLessThanOrEqual(4 * 4 * 32);
      expect(r.fp32).toBe(0);
    },
    SLOW,
  );

  it(
    'hashed LeNet-300-100, 1/8 per layer: conv2d:hashed, one table per layer',
    async () => {
      const model = hashWeights(initModel(architecture('lenet-300-100'), 4), { ratio: 8, scope: 'layer' });
      await checkModel(model, 'conv2d:hashed');
      const r = weightResidency(planModel(model, { variant: 'register', fuse: true, weights: 'compressed' }).steps);
      expect(r.bytes).toBe(4 * [784 * 300, 300 * 100, 100 * 10].reduce((a, n) => a + Math.ceil(n / 8), 0));
    },
    SLOW,
  );

  it(
    'hashed LeNet-300-100, 1/8 network-wide: the three layers bind ONE table buffer',
    async () => {
      const model = hashWeights(initModel(architecture('lenet-300-100'), 5), { ratio: 8, scope: 'network' });
      await checkModel(model, 'conv2d:hashed');
      const steps = planModel(model, { variant: 'register', fuse: true, weights: 'compressed' }).steps.filter((s) => stepLabel(s) === 'conv2d:hashed');
      expect(steps.length).toBe(3);
      expect(steps[1].data!.table).toBe(steps[0].data!.table);
      expect(steps[2].data!.table).toBe(steps[0].data!.table);
      const k = Math.ceil((784 * 300 + 300 * 100 + 100 * 10) / 8);
      expect(weightResidency(steps).bytes).toBe(4 * k);
    },
    SLOW,
  );

  it(
    'Deep Compression LeNet-300-100 (pruned 90 %, k-means 5 bits, Huffman; then sparse): indices decoded on the host, conv2d:codebook',
    async () => {
      const shared = kmeans(prune(initModel(architecture('lenet-300-100'), 6), { sparsity: 0.9 }), { bits: 5 });
      const coded = huffman(shared, { when: 'always' });
      expect(Object.values(coded.encodings!).filter((e) => e.kind === 'huffman').length).toBeGreaterThanOrEqual(3);
      await checkModel(coded, 'conv2d:codebook');
      const sparse = sparsify(shared, { when: 'always' });
      expect(Object.values(sparse.encodings!).filter((e) => e.kind === 'sparse').length).toBeGreaterThanOrEqual(3);
      await checkModel(sparse, 'conv2d:codebook');
    },
    SLOW,
  );

  it(
    "weights: 'decoded' keeps the fp32 path; an fp32 model has nothing to compress",
    async () => {
      const model = initModel(architecture('lenet-300-100'), 7);
      expect(weightedSteps(model, 'compressed').every((k) => WEIGHTED.includes(k))).toBe(true);
      const exec = await createExecutor(gpu, model, { maxBatch: 4 });
      try {
        expect(exec.weights).toBe('compressed');
        expect(exec.weightBytes.fp32).toBe(exec.weightBytes.bytes);
      } finally {
        exec.destroy();
      }
    },
    SLOW,
  );
});
