/**
 * The executor's sparse option on a pruned LeNet-300-100 (the bundled model,
 * magnitude-pruned to 90 %): 'always' (every dense layer through the CSR
 * kernel), 'never' and 'auto' give the CPU reference's logits and argmax at
 * batch 1 and 257; 'auto' records one measured choice per dense layer and
 * batch class, and measures a class only once. Real GPU (SwiftShader under
 * Node); without WebGPU these tests fail with the reason.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../compress/kmeans.ts';
import { prune } from '../compress/prune.ts';
import { modelForward } from '../cpu/forward.ts';
import { parseModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import type { SparseMode } from './plan.ts';
import { planModel, stepLabel } from './plan.ts';
import { batchClass, createExecutor } from './executor.ts';
import { expectNear, expectSameClasses, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let dense: Model;
let pruned: Model;
beforeAll(async () => {
  gpu = await acquireGpu();
  dense = parseModel(readFileSync(new URL('../../models/lenet-300-100.safetensors', import.meta.url)), 'lenet-300-100.safetensors');
  pruned = prune(dense, { sparsity: 0.9 });
});
afterAll(() => gpu?.device.destroy());

const images = (batch: number, seed: number): Float32Array => randomInput(batch * 784, seed).map((v) => (v + 1) / 2);

describe('sparse lowering (plan)', () => {
  it("'always' lowers every dense layer to dense-sparse with its nonzeros as MACs; 'auto' attaches it as the alternative only where weights are zero", () => {
    const always = planModel(pruned, { variant: 'register', fuse: true, sparse: 'always' });
    expect(always.steps.map((s) => s.kernel)).toEqual(['dense-sparse', 'dense-sparse', 'dense-sparse']);
    const nonzeros = ['fc1', 'fc2', 'fc3'].map((l) => pruned.weights[`${l}.weight`].filter((v) => v !== 0).length);
    expect(always.steps.map((s) => s.macs)).toEqual(nonzeros);
    const auto = planModel(pruned, { variant: 'register', fuse: true, sparse: 'auto' });
    expect(auto.steps.map((s) => [s.kernel, s.alternative?.kernel])).toEqual([
      ['conv2d', 'dense-sparse'],
      ['conv2d', 'dense-sparse'],
      ['conv2d', 'dense-sparse'],
    ]);
    // The trained, unpruned model has no exact zeros: nothing to measure.
    expect(planModel(dense, { variant: 'register', fuse: true, sparse: 'auto' }).steps.some((s) => s.alternative)).toBe(false);
  });

  it('batch classes are powers of two', () => {
    expect([1, 2, 3, 4, 5, 200, 256, 257].map(batchClass)).toEqual([1, 2, 4, 4, 8, 256, 256, 512]);
  });
});

describe('pruned LeNet-300-100 through the executor', () => {
  const modes: SparseMode[] = ['never', 'always', 'auto'];
  for (const sparse of modes) {
    it(`sparse '${sparse}': logits and argmax of the CPU reference at batch 1 and 257`, async () => {
      const exec = await createExecutor(gpu, pruned, { maxBatch: 257, sparse });
      try {
        expect(exec.sparse).toBe(sparse);
        for (const batch of [1, 257]) {
          const x = images(batch, batch + 17);
          const want = modelForward(pruned, x, batch);
          const got = await exec.run(x, batch, { readback: 'logits' });
          expectNear(got, want, `${sparse} batch ${batch} logits`, 1e-3, 1e-3);
          expectSameClasses(await exec.run(x, batch, { readback: 'argmax' }), want, 10, `${sparse} batch ${batch} argmax`);
        }
        if (sparse !== 'auto') {
          expect(exec.sparseDecisions).toEqual([]);
          return;
        }
        // One choice per dense layer for class 1 (latency path) and class 512 (batch 257), made once despite two runs each.
        const d = exec.sparseDecisions;
        expect(d.map((x) => [x.layers[0], x.batchClass])).toEqual([
          ['fc1', 1],
          ['fc2', 1],
          ['fc3', 1],
          ['fc1', 512],
          ['fc2', 512],
          ['fc3', 512],
        ]);
        for (const x of d) {
          // Timestamps tick in coarse steps on some adapters (docs/benchmark.md): a tiny layer can read 0; a tie keeps dense.
          expect(Number.isFinite(x.denseMs) && x.denseMs >= 0).toBe(true);
          expect(Number.isFinite(x.sparseMs) && x.sparseMs >= 0).toBe(true);
          expect(x.chosen).toBe(x.sparseMs < x.denseMs ? 'sparse' : 'dense');
          expect(x.density).toBeCloseTo(0.1, 2);
        }
        // time() runs the chosen kernels.
        const t = await exec.time(images(257, 3), 257);
        if (t.method === 'timestamp') {
          expect(t.layers.map((l) => l.kernel)).toEqual(d.slice(3).map((x) => (x.chosen === 'sparse' ? 'dense-sparse' : x.denseKernel)));
        }
      } finally {
        exec.destroy();
      }
    });
  }
});

describe('pruned LeNet-300-100, tiled variant (the real-GPU plan)', () => {
  it("'auto' chooses between the workgroup-tiled dense kernel and dense-sparse, same logits as the CPU at batch 1 and 257", async () => {
    const exec = await createExecutor(gpu, pruned, { maxBatch: 257, sparse: 'auto', variant: 'tiled' });
    try {
      for (const batch of [1, 257]) {
        const x = images(batch, batch + 41);
        const want = modelForward(pruned, x, batch);
        expectNear(await exec.run(x, batch, { readback: 'logits' }), want, `tiled batch ${batch} logits`, 1e-3, 1e-3);
      }
      // No latency instance in the tiled variant: every batch runs the one plan, classes 1 and 512.
      expect(exec.sparseDecisions.map((d) => [d.instance, d.batchClass, d.denseKernel])).toEqual([
        ['throughput', 1, 'dense'],
        ['throughput', 1, 'dense'],
        ['throughput', 1, 'dense'],
        ['throughput', 512, 'dense'],
        ['throughput', 512, 'dense'],
        ['throughput', 512, 'dense'],
      ]);
      // Back to batch 1: the class is decided, nothing is measured again.
      const x = images(1, 99);
      expectNear(await exec.run(x, 1, { readback: 'logits' }), modelForward(pruned, x, 1), 'tiled batch 1 again', 1e-3, 1e-3);
      expect(exec.sparseDecisions.length).toBe(6);
    } finally {
      exec.destroy();
    }
    // The workgroup-tiled kernel is a software adapter's slowest (barriers); room for a loaded machine.
  }, 300_000);
});

describe('pruned + k-means LeNet-300-100 (Deep Compression) held compressed', () => {
  let dc: Model;
  beforeAll(() => {
    dc = kmeans(pruned, { bits: 5 });
  });

  it("plans conv2d:codebook with a dense-sparse:codebook alternative sharing its codebook; 'always' keeps no fp32 weight", () => {
    const auto = planModel(dc, { variant: 'register', fuse: true, sparse: 'auto', weights: 'compressed' });
    expect(auto.steps.map((s) => [stepLabel(s), s.alternative && stepLabel(s.alternative)])).toEqual([
      ['conv2d:codebook', 'dense-sparse:codebook'],
      ['conv2d:codebook', 'dense-sparse:codebook'],
      ['conv2d:codebook', 'dense-sparse:codebook'],
    ]);
    for (const s of auto.steps) expect(s.alternative!.data!.codebook).toBe(s.data!.codebook);
    const always = planModel(dc, { variant: 'register', fuse: true, sparse: 'always', weights: 'compressed' });
    expect(always.steps.every((s) => stepLabel(s) === 'dense-sparse:codebook' && !s.weight && !s.data!.values)).toBe(true);
  });

  for (const sparse of ['always', 'auto'] as const) {
    it(`sparse '${sparse}': logits and argmax of the CPU reference at batch 1 and 257`, async () => {
      const exec = await createExecutor(gpu, dc, { maxBatch: 257, sparse, weights: 'compressed' });
      try {
        for (const batch of [1, 257]) {
          const x = images(batch, batch + 29);
          const want = modelForward(dc, x, batch);
          expectNear(await exec.run(x, batch, { readback: 'logits' }), want, `${sparse} batch ${batch} logits`, 1e-3, 1e-3);
          expectSameClasses(await exec.run(x, batch, { readback: 'argmax' }), want, 10, `${sparse} batch ${batch} argmax`);
        }
        if (sparse === 'auto') expect(exec.sparseDecisions.length).toBe(6);
      } finally {
        exec.destroy();
      }
    });
  }
});
