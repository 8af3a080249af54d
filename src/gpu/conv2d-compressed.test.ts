/**
 * conv2d:codebook and conv2d:hashed (shaders/conv2d.wgsl + lib/weight-source.wgsl) against
 * the CPU reference on the weights they decode (src/cpu/conv2d-compressed.ts):
 * each case's single plan step run alone through runKernel with the packed
 * indices + centroids or the hash table, never an fp32 weight. Odd sizes,
 * stride 2, same padding, scalar and vec4 paths, fused relu/pool, batch 1 and
 * 257, the latency tiling, k = 2 … 256 with every index width 1…8 (5, 6, 7
 * straddle u32 words), a pruned 0 among the centroids; and the bucket of
 * every position of LeNet-300-100's fc1, GPU hash vs `bucketsOf`, exactly.
 * Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer, Padding } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { mulberry32 } from '../model/model.ts';
import { hashedIndex } from '../model/codecs.ts';
import { bucketsOf, hashedEncodingFor } from '../compress/hashing.ts';
import { modelForward } from '../cpu/forward.ts';
import { decodeCodebookWeights, decodeHashedWeights } from '../cpu/conv2d-compressed.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import type { PipelineCache } from './pipelines.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { runKernel } from './kernel-runner.ts';
import type { PlanStep } from './plan.ts';
import { planModel } from './plan.ts';
import type { GemmTiling } from './kernels/conv2d.ts';
import { codebookOf, packCodebookIndices } from './kernels/weight-source.ts';
import { conv2d } from './kernels/conv2d.ts';
import { expectNear, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = sharedPipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

const conv = (name: string, filters: number, k: [number, number], stride: [number, number], padding: Padding, bias = true): Layer => ({
  kind: 'conv2d',
  name,
  filters,
  kernel: k,
  stride,
  padding,
  bias,
});
const pool = (kind: 'maxPool2d' | 'avgPool2d', name: string, w: [number, number], s: [number, number]): Layer => ({ kind, name, window: w, stride: s });
const relu = (name: string): Layer => ({ kind: 'relu', name });
const flatten: Layer = { kind: 'flatten', name: 'flatten' };
const dense = (name: string, units: number, bias = true): Layer => ({ kind: 'dense', name, units, bias });

interface Case {
  what: string;
  input: [number, number, number];
  /** Layers that lower to ONE conv2d step (fused relu/pool, flatten is free). */
  layers: Layer[];
}

const CASES: Case[] = [
  { what: 'lenet conv1: 5×5 valid, c=1 (scalar path), oc=20', input: [12, 12, 1], layers: [conv('c', 20, [5, 5], [1, 1], 'valid')] },
  { what: '3×3 same stride 2, odd 7×9, c=3, oc=5', input: [7, 9, 3], layers: [conv('c', 5, [3, 3], [2, 2], 'same')] },
  {
    what: 'vec4 path c=8, 3×3 same + relu + max pool 2×2 fused, no bias',
    input: [8, 6, 8],
    layers: [conv('c', 6, [3, 3], [1, 1], 'same', false), relu('r'), pool('maxPool2d', 'p', [2, 2], [2, 2])],
  },
  {
    what: 'relu → avg pool 2×2 → relu fused, oc=50 (partial channel block)',
    input: [9, 9, 4],
    layers: [conv('c', 50, [3, 3], [1, 1], 'valid'), relu('r1'), pool('avgPool2d', 'p', [2, 2], [2, 2]), relu('r2')],
  },
  { what: 'pointwise 1×1, c=12, oc=10 + relu', input: [5, 3, 12], layers: [conv('pw', 10, [1, 1], [1, 1], 'valid'), relu('r')] },
  { what: 'dense 37 → 13 + relu (K, N not multiples of 4)', input: [37, 1, 1], layers: [flatten, dense('fc', 13), relu('r')] },
  { what: 'dense 800 → 130', input: [10, 10, 8], layers: [flatten, dense('fc', 130)] },
];

/** The model's only weight tensor replaced by values drawn from k centroids (one of them 0, as pruning leaves), every centroid used. */
function sharedModel(c: Case, k: number, seed: number): { model: Model; name: string } {
  const model = modelOf('shared', c.input, c.layers, seed);
  const name = Object.keys(model.weights).find((n) => n.endsWith('.weight'))!;
  const w = model.weights[name];
  if (w.length < k) throw new Error(`case '${c.what}' has ${w.length} weights, fewer than k = ${k}`);
  const rand = mulberry32(seed);
  const centroids = Float32Array.from({ length: k }, (_, i) => (i === 0 ? 0 : (rand() - 0.5) * 0.6));
  const pick = Int32Array.from({ length: w.length }, (_, i) => (i < k ? i : Math.floor(rand() * k)));
  for (let i = pick.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pick[i], pick[j]] = [pick[j], pick[i]];
  }
  for (let i = 0; i < w.length; i++) w[i] = centroids[pick[i]];
  return { model, name };
}

function onlyStep(model: Model, tiling?: GemmTiling): PlanStep {
  const plan = planModel(model, { variant: 'register', fuse: true, ...(tiling ? { registerTiling: tiling, denseRegisterTiling: tiling } : {}) });
  expect(plan.steps.map((s) => s.kernel)).toEqual(['conv2d']);
  return plan.steps[0];
}

const outSize = (model: Model): number => {
  const plan = planModel(model, { variant: 'register', fuse: true });
  return plan.tensorSizes[plan.output];
};

async function checkCodebook(c: Case, k: number, batches: number[], tiling?: GemmTiling, seed = 5): Promise<void> {
  const { model, name } = sharedModel(c, k, seed);
  const step = onlyStep(model, tiling);
  const oc = (step.params as { oc: number }).oc;
  const w = model.weights[name];
  const cb = codebookOf(w)!;
  expect(cb.codebook.length).toBe(k);
  const words = packCodebookIndices(cb.symbols, oc, cb.bits);
  // The packer and the independent CPU decoder agree on every weight, bit for bit.
  const decoded = decodeCodebookWeights(words, cb.bits, cb.codebook, oc, w.length / oc);
  expect(decoded).toEqual(w);
  const ref: Model = { ...model, weights: { ...model.weights, [name]: decoded } };
  for (const batch of batches) {
    const x = randomInput(batch * planModel(model, { variant: 'register', fuse: true }).inputSize, batch + seed);
    const want = modelForward(ref, x, batch);
    const got = await runKernel(
      cache,
      conv2d,
      { ...step.params, batch, weights: { kind: 'codebook', bits: cb.bits, k } },
      {
        inputs: { input: x, indices: words, codebook: cb.codebook, bias: step.bias! },
        outputLength: batch * outSize(model),
      },
    );
    expectNear(got, want, `codebook k=${k} (${cb.bits} bits) batch ${batch}`);
  }
}

async function checkHashed(c: Case, ratio: number, batches: number[], tiling?: GemmTiling, seed = 9): Promise<void> {
  const model = modelOf('hashed', c.input, c.layers, seed);
  const name = Object.keys(model.weights).find((n) => n.endsWith('.weight'))!;
  const n = model.weights[name].length;
  const enc = hashedEncodingFor(name, Math.max(1, Math.ceil(n / ratio)), seed * 7919);
  const rand = mulberry32(seed);
  const table = Float32Array.from({ length: enc.k }, () => (rand() - 0.5) * 0.6);
  const step = onlyStep(model, tiling);
  const oc = (step.params as { oc: number }).oc;
  const decoded = decodeHashedWeights(table, enc, oc, n / oc);
  const ref: Model = { ...model, weights: { ...model.weights, [name]: decoded } };
  for (const batch of batches) {
    const x = randomInput(batch * planModel(model, { variant: 'register', fuse: true }).inputSize, batch + seed);
    const want = modelForward(ref, x, batch);
    const got = await runKernel(
      cache,
      conv2d,
      { ...step.params, batch, weights: { kind: 'hashed', k: enc.k, seed: enc.seed, salt: enc.salt } },
      {
        inputs: { input: x, table, bias: step.bias! },
        outputLength: batch * outSize(model),
      },
    );
    expectNear(got, want, `hashed k=${enc.k} batch ${batch}`);
  }
}

describe('conv2d:codebook vs the CPU reference on the decoded weights', () => {
  for (const c of CASES) {
    it(`${c.what}, k=5 (3 bits), batch 1 and 257`, async () => {
      await checkCodebook(c, 5, [1, 257]);
    });
  }
  it('every index width 1…8 (k = 2, 3, 8, 9, 32, 33, 128, 256), dense 37 → 13, batch 1 and 257', async () => {
    const c = CASES.find((x) => x.what.startsWith('dense 37'))!;
    for (const k of [2, 3, 8, 9, 32, 33, 128, 256]) await checkCodebook(c, k, [1, 257], undefined, k);
  });
  it('k = 256 on a strided conv, scalar path (c=3)', async () => {
    await checkCodebook({ what: 'c', input: [11, 13, 3], layers: [conv('c', 30, [3, 3], [2, 2], 'same')] }, 256, [1, 3]);
  });
  it('the latency tiling (channel blocks spread over threads, one row per thread), batch 1 and 3', async () => {
    const spread = { wg: 16, tm: 1, tn4: 1, spread: true };
    await checkCodebook(CASES[5], 32, [1, 3], spread);
    await checkCodebook(CASES[3], 7, [1, 3], { wg: 16, tm: 4, tn4: 2, spread: true });
  });
  it('rejects index widths the kernel cannot hold on chip', () => {
    expect(() =>
      conv2d.constants({ ...onlyStep(sharedModel(CASES[5], 2, 1).model).params, batch: 1, weights: { kind: 'codebook', bits: 9, k: 300 } } as never),
    ).toThrow(/1…8/);
    expect(codebookOf(Float32Array.from({ length: 300 }, (_, i) => i))).toBeNull();
  });
});

describe('conv2d:hashed vs the CPU reference on the decoded weights', () => {
  for (const c of CASES) {
    it(`${c.what}, 1/8 of the weights, batch 1 and 257`, async () => {
      await checkHashed(c, 8, [1, 257]);
    });
  }
  it('a table of one value (k = 1) and one as large as the layer (k = n)', async () => {
    await checkHashed(CASES[1], 1e9, [2]);
    await checkHashed(CASES[1], 1, [2]);
  });
  it('the latency tiling, batch 1 and 3', async () => {
    await checkHashed(CASES[5], 8, [1, 3], { wg: 16, tm: 1, tn4: 1, spread: true });
  });

  it('table sizes 1 … 4,000,000 and an all-ones salt: every position of a 64 × 50 layer in its TS bucket', async () => {
    const model = modelOf('dense 64 → 50', [64, 1, 1], [flatten, dense('fc', 50, false)]);
    const step = onlyStep(model);
    const x = new Float32Array(64 * 64);
    for (let i = 0; i < 64; i++) x[i * 64 + i] = 1;
    for (const k of [1, 2, 3, 5, 97, 3200, 65537, 1048575, 1048576, 1048577, 4_000_000]) {
      const enc = { k, seed: 0x9747b28c, salt: 0xffffffff };
      const table = Float32Array.from({ length: k }, (_, j) => j);
      const got = await runKernel(
        cache,
        conv2d,
        { ...step.params, batch: 64, weights: { kind: 'hashed', ...enc } },
        { inputs: { input: x, table, bias: step.bias! }, outputLength: 64 * 50 },
      );
      let bad = 0;
      for (let o = 0; o < 50; o++) for (let i = 0; i < 64; i++) if (got[i * 50 + o] !== hashedIndex(enc, o * 64 + i)) bad++;
      expect(bad, `k = ${k}`).toBe(0);
    }
  });

  it('hashes every position of LeNet-300-100 fc1 (784 × 300) to the same bucket as bucketsOf, exactly', async () => {
    // One-hot inputs (batch 784 = the identity) and a table holding each bucket's own number: output
    // [i, o] is then exactly table[bucket(o·784 + i)] = the bucket (integers < 2^24 are exact in f32).
    const model = modelOf('lenet-300-100 fc1', [784, 1, 1], [flatten, dense('fc1', 300, false)]);
    const n = 784 * 300;
    const enc = hashedEncodingFor('fc1.weight', Math.ceil(n / 8), 0);
    const step = onlyStep(model);
    const x = new Float32Array(784 * 784);
    for (let i = 0; i < 784; i++) x[i * 784 + i] = 1;
    const table = Float32Array.from({ length: enc.k }, (_, j) => j);
    const got = await runKernel(
      cache,
      conv2d,
      { ...step.params, batch: 784, weights: { kind: 'hashed', k: enc.k, seed: enc.seed, salt: enc.salt } },
      {
        inputs: { input: x, table, bias: step.bias! },
        outputLength: 784 * 300,
      },
    );
    const want = bucketsOf(n, enc);
    let mismatches = 0;
    let first = -1;
    for (let o = 0; o < 300; o++) {
      for (let i = 0; i < 784; i++) {
        if (got[i * 300 + o] !== want[o * 784 + i]) {
          mismatches++;
          if (first < 0) first = o * 784 + i;
        }
      }
    }
    expect(
      mismatches,
      `first mismatch at position ${first}: GPU ${first >= 0 ? got[(first % 784) * 300 + Math.floor(first / 784)] : ''}, TS ${first >= 0 ? want[first] : ''}`,
    ).toBe(0);
    // A non-zero seed and a different salt change the buckets (the uniforms reach the hash).
    const other = { k: enc.k, seed: 0xdeadbeef, salt: 12345 };
    const got2 = await runKernel(
      cache,
      conv2d,
      { ...step.params, batch: 784, weights: { kind: 'hashed', ...other } },
      {
        inputs: { input: x, table, bias: step.bias! },
        outputLength: 784 * 300,
      },
    );
    for (const pos of [0, 1, 783, 784, 1000, n - 1]) expect(got2[(pos % 784) * 300 + Math.floor(pos / 784)], `position ${pos}`).toBe(hashedIndex(other, pos));
  });
});
