/**
 * depthwise-conv2d:codebook / -hashed against the CPU reference on the
 * weights they decode (src/cpu/conv2d-compressed.ts), each case's single
 * plan step run alone with the packed indices + centroids or the table:
 * stride 2, same padding, c = 1 and odd c, fused relu, batch 1 and 257,
 * k = 2 … 256 with index widths straddling u32 words, a pruned 0 centroid;
 * then a separable model (depthwise + pointwise + dense) through the
 * executor, compressed vs decoded. Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer, Padding } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { mulberry32 } from '../model/model.ts';
import { hashedEncodingFor, hashWeights } from '../compress/hashing.ts';
import { kmeans } from '../compress/kmeans.ts';
import { modelForward } from '../cpu/forward.ts';
import { decodeCodebookStream, decodeHashedWeights } from '../cpu/conv2d-compressed.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import type { PipelineCache } from './pipelines.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { runKernel } from './kernel-runner.ts';
import type { PlanStep } from './plan.ts';
import { planModel, stepLabel } from './plan.ts';
import { createExecutor } from './executor.ts';
import { codebookOf, packIndices } from './kernels/weight-source.ts';
import { depthwiseConv2d } from './kernels/depthwise-conv2d.ts';
import { expectNear, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = sharedPipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

const dw = (name: string, k: [number, number], stride: [number, number], padding: Padding, multiplier = 1): Layer => ({
  kind: 'depthwiseConv2d',
  name,
  kernel: k,
  stride,
  padding,
  bias: true,
  ...(multiplier > 1 ? { multiplier } : {}),
});
const relu = (name: string): Layer => ({ kind: 'relu', name });

interface Case {
  what: string;
  input: [number, number, number];
  layers: Layer[];
}

const CASES: Case[] = [
  { what: '3×3 same stride 2, c=6, + relu', input: [7, 8, 6], layers: [dw('d', [3, 3], [2, 2], 'same'), relu('r')] },
  { what: '5×5 valid, c=1', input: [9, 9, 1], layers: [dw('d', [5, 5], [1, 1], 'valid')] },
  { what: '5×5 same, c=13 (325 weights)', input: [6, 7, 13], layers: [dw('d', [5, 5], [1, 1], 'same')] },
  { what: 'multiplier 3, 3×3 same stride 2, c=5, + relu', input: [7, 6, 5], layers: [dw('d', [3, 3], [2, 2], 'same', 3), relu('r')] },
];

function onlyStep(model: Model): PlanStep {
  const plan = planModel(model, { variant: 'register', fuse: true });
  expect(plan.steps.map((s) => s.kernel)).toEqual(['depthwise-conv2d']);
  return plan.steps[0];
}

const sizes = (model: Model): { input: number; output: number } => {
  const plan = planModel(model, { variant: 'register', fuse: true });
  return { input: plan.inputSize, output: plan.tensorSizes[plan.output] };
};

async function checkCodebook(c: Case, k: number, batches: number[], seed = 3): Promise<void> {
  const model = modelOf('dw codebook', c.input, c.layers, seed);
  const w = model.weights['d.weight'];
  const rand = mulberry32(seed);
  const centroids = Float32Array.from({ length: k }, (_, i) => (i === 0 ? 0 : (rand() - 0.5) * 0.8));
  for (let i = 0; i < w.length; i++) w[i] = centroids[i < k ? i : Math.floor(rand() * k)];
  const cb = codebookOf(w)!;
  expect(cb.codebook.length).toBe(Math.min(k, w.length));
  const words = packIndices(cb.symbols, cb.bits);
  const decoded = decodeCodebookStream(words, cb.bits, cb.codebook, w.length);
  expect(decoded).toEqual(w);
  const step = onlyStep(model);
  const { input, output } = sizes(model);
  for (const batch of batches) {
    const x = randomInput(batch * input, batch + seed);
    const want = modelForward({ ...model, weights: { ...model.weights, 'd.weight': decoded } }, x, batch);
    const got = await runKernel(
      cache,
      depthwiseConv2d,
      { ...step.params, batch, weights: { kind: 'codebook', bits: cb.bits, k: cb.codebook.length } },
      {
        inputs: { input: x, indices: words, codebook: cb.codebook, bias: step.bias! },
        outputLength: batch * output,
      },
    );
    expectNear(got, want, `depthwise codebook k=${k} (${cb.bits} bits) batch ${batch}`);
  }
}

async function checkHashed(c: Case, ratio: number, batches: number[], seed = 4): Promise<void> {
  const model = modelOf('dw hashed', c.input, c.layers, seed);
  const n = model.weights['d.weight'].length;
  const enc = hashedEncodingFor('d.weight', Math.max(1, Math.ceil(n / ratio)), seed * 31);
  const rand = mulberry32(seed);
  const table = Float32Array.from({ length: enc.k }, () => (rand() - 0.5) * 0.8);
  const decoded = decodeHashedWeights(table, enc, 1, n);
  const step = onlyStep(model);
  const { input, output } = sizes(model);
  for (const batch of batches) {
    const x = randomInput(batch * input, batch + seed);
    const want = modelForward({ ...model, weights: { ...model.weights, 'd.weight': decoded } }, x, batch);
    const got = await runKernel(
      cache,
      depthwiseConv2d,
      { ...step.params, batch, weights: { kind: 'hashed', k: enc.k, seed: enc.seed, salt: enc.salt } },
      {
        inputs: { input: x, table, bias: step.bias! },
        outputLength: batch * output,
      },
    );
    expectNear(got, want, `depthwise hashed k=${enc.k} batch ${batch}`);
  }
}

describe('depthwise-conv2d:codebook / -hashed vs the CPU reference on the decoded weights', () => {
  for (const c of CASES) {
    it(`${c.what}: codebook k=5, hashed 1/8, batch 1 and 257`, async () => {
      await checkCodebook(c, 5, [1, 257]);
      await checkHashed(c, 8, [1, 257]);
    });
  }
  it('index widths 1…8 (k = 2, 3, 9, 17, 33, 65, 129, 256) on 325 weights, and tables of 1 and n values', async () => {
    for (const k of [2, 3, 9, 17, 33, 65, 129, 256]) await checkCodebook(CASES[2], k, [2], k);
    await checkHashed(CASES[2], 1e9, [2]);
    await checkHashed(CASES[2], 1, [2]);
  });
});

describe('executor: a separable model with depthwise, pointwise and dense layers from compressed weights', () => {
  const layers: Layer[] = [
    dw('d', [3, 3], [1, 1], 'same'),
    relu('r1'),
    { kind: 'conv2d', name: 'pw', filters: 12, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
    relu('r2'),
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'fc', units: 10, bias: true },
  ];
  const base = modelOf('separable', [6, 6, 8], layers, 11);
  const variants: [string, Model, string[]][] = [
    ['k-means 4-bit', kmeans(base, { bits: 4 }), ['depthwise-conv2d:codebook', 'conv2d:codebook', 'conv2d:codebook']],
    ['hashed 1/4, network-wide', hashWeights(base, { ratio: 4, scope: 'network' }), ['depthwise-conv2d:hashed', 'conv2d:hashed', 'conv2d:hashed']],
  ];
  for (const [what, model, kernels] of variants) {
    it(`${what}: same logits as the decoded path and the CPU, no fp32 weight copy`, async () => {
      expect(planModel(model, { variant: 'register', fuse: true, weights: 'compressed' }).steps.map(stepLabel)).toEqual(kernels);
      const comp = await createExecutor(gpu, model, { maxBatch: 257, weights: 'compressed' });
      const dec = await createExecutor(gpu, model, { maxBatch: 257, weights: 'decoded' });
      try {
        expect(comp.weightBytes.fp32).toBe(0);
        for (const batch of [1, 257]) {
          const x = randomInput(batch * 288, batch);
          const got = await comp.run(x, batch, { readback: 'logits' });
          expectNear(got, modelForward(model, x, batch), `${what} vs CPU, batch ${batch}`);
          expectNear(got, await dec.run(x, batch, { readback: 'logits' }), `${what} vs decoded, batch ${batch}`, 1e-5, 1e-5);
        }
      } finally {
        comp.destroy();
        dec.destroy();
      }
    }, 400_000);
  }
});
