import { describe, expect, it } from 'vitest';
import type { Architecture } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { accountModel } from '../model/accounting.ts';
import { lenet300100, lenet5 } from '../model/architectures.ts';
import { inferShapes } from '../model/shapes.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { centroidGradients, kmeans, kmeans1d, linearInit, updateCentroids } from './kmeans.ts';
import { gradualPruneStep, polynomialSparsity, prune, structuredPrune } from './prune.ts';
import { binarize, fitLinear, quantize, ternarize } from './quantize.ts';
import { rank1, separable } from './separable.ts';
import { downsample } from './downsample.ts';
import { hashWeights } from './hashing.ts';
import { distinctValues } from '../model/codecs.ts';

const dense3: Architecture = {
  name: 'd3',
  inputShape: [1, 1, 3],
  layers: [
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'fc', units: 3, bias: false },
  ],
};

function withWeights(arch: Architecture, weights: Record<string, number[]>): Model {
  const m = initModel(arch, 1);
  for (const [k, v] of Object.entries(weights)) m.weights[k] = Float32Array.from(v);
  return m;
}

function randomInput(n: number, seed = 3): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r());
}

describe('magnitude pruning', () => {
  const w = [0.1, -0.5, 0.3, -0.05, 0.9, -0.2, 0.4, 0.02, -0.7];
  it('zeroes exactly the smallest |w| of a known 3×3 tensor and records the mask', () => {
    const m = withWeights(dense3, { 'fc.weight': w });
    const p = prune(m, { sparsity: 4 / 9 });
    // smallest magnitudes: 0.02 (7), −0.05 (3), 0.1 (0), −0.2 (5)
    expect(Array.from(p.weights['fc.weight'])).toEqual(Array.from(Float32Array.from([0, -0.5, 0.3, 0, 0.9, 0, 0.4, 0, -0.7])));
    expect(Array.from(p.masks!['fc.weight'])).toEqual([0, 1, 1, 0, 1, 0, 1, 0, 1]);
    expect(Array.from(m.weights['fc.weight'])).toEqual(Array.from(Float32Array.from(w))); // input untouched
    expect(m.masks).toBeUndefined();
  });

  it('network scope ranks across layers; layer scope gives every layer the same fraction', () => {
    const m = initModel(lenet300100(), 2);
    m.weights['fc3.weight'] = m.weights['fc3.weight'].map((x) => x * 100); // big weights in one layer
    const net = prune(m, { sparsity: 0.5, scope: 'network' });
    const lay = prune(m, { sparsity: 0.5, scope: 'layer' });
    const zeros = (mm: Model, n: string): number => mm.weights[n].filter((x) => x === 0).length / mm.weights[n].length;
    expect(zeros(net, 'fc3.weight')).toBeLessThan(0.02);
    expect(zeros(lay, 'fc3.weight')).toBeCloseTo(0.5, 2);
    expect(zeros(lay, 'fc1.weight')).toBeCloseTo(0.5, 4);
    const total = ['fc1.weight', 'fc2.weight', 'fc3.weight'].reduce((a, n) => a + net.weights[n].filter((x) => x === 0).length, 0);
    expect(total).toBe(Math.round(0.5 * (235200 + 30000 + 1000)));
  });

  it('leaves per-channel scales (1×1 depthwise, an imported BatchNorm) whole unless named', () => {
    const arch: Architecture = {
      name: 'affine-net',
      inputShape: [4, 4, 2],
      layers: [
        { kind: 'conv2d', name: 'conv', filters: 3, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
        { kind: 'depthwiseConv2d', name: 'bn', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
        { kind: 'depthwiseConv2d', name: 'dw', kernel: [2, 2], stride: [1, 1], padding: 'valid', bias: false },
      ],
    };
    const m = initModel(arch, 3);
    const p = prune(m, { sparsity: 2 / 3 });
    expect(p.weights['bn.weight'].filter((x) => x === 0).length).toBe(0);
    expect(p.masks!['bn.weight']).toBeUndefined();
    expect(p.weights['conv.weight'].filter((x) => x === 0).length).toBe(36);
    expect(p.weights['dw.weight'].filter((x) => x === 0).length).toBe(8);
    expect(prune(m, { sparsity: 2 / 3, layers: ['bn'] }).weights['bn.weight'].filter((x) => x === 0).length).toBe(2);
  });

  it('follows the Zhu & Gupta polynomial schedule', () => {
    const s = { initialSparsity: 0, finalSparsity: 0.8, beginStep: 100, endStep: 200, frequency: 10 };
    expect(polynomialSparsity(50, s)).toBe(0);
    expect(polynomialSparsity(150, s)).toBeCloseTo(0.8 - 0.8 * 0.125, 12); // (1 − 0.5)^3 = 1/8
    expect(polynomialSparsity(300, s)).toBe(0.8);
    const m = withWeights(dense3, { 'fc.weight': w });
    expect(gradualPruneStep(m, 105, s)).toBeNull();
    const p = gradualPruneStep(m, 200, s)!;
    expect(p.weights['fc.weight'].filter((x) => x === 0).length).toBe(Math.round(0.8 * 9));
  });
});

describe('structured pruning', () => {
  it('removes the lowest-norm neurons, slices the next layer, and keeps the kept neurons exact', () => {
    const m = initModel(lenet300100(), 4);
    const p = structuredPrune(m, { amount: 0.5, norm: 'l1', layers: ['fc1'] });
    expect(inferShapes(p.architecture).find((l) => l.layer.name === 'fc1')!.output).toEqual([150]);
    expect(p.weights['fc1.weight'].length).toBe(150 * 784);
    expect(p.weights['fc2.weight'].length).toBe(100 * 150);
    expect(accountModel(p.architecture).total.flops).toBeLessThan(accountModel(m.architecture).total.flops);
    // The kept neurons' outputs are exactly the old ones at those positions.
    const x = randomInput(2 * 784);
    const before = modelForwardAll(m, x, 2)[1];
    const after = modelForwardAll(p, x, 2)[1];
    const norms = Array.from({ length: 300 }, (_, u) => m.weights['fc1.weight'].subarray(u * 784, (u + 1) * 784).reduce((a, v) => a + Math.abs(v), 0));
    const kept = norms
      .map((n, u) => [n, u] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, 150)
      .map((e) => e[1])
      .sort((a, b) => a - b);
    for (let b = 0; b < 2; b++) kept.forEach((u, j) => expect(after[b * 150 + j]).toBe(before[b * 300 + u]));
  });

  it('gives the same logits when the removed units were dead (zero weights), conv filters and flatten included', () => {
    const m = initModel(lenet5(), 5);
    // Kill conv1 filters 0..9 and fc1 units 0..249: zero rows and biases.
    m.weights['conv1.weight'].fill(0, 0, 10 * 25);
    m.weights['fc1.weight'].fill(0, 0, 250 * 800);
    m.weights['conv1.bias'].fill(0);
    m.weights['fc1.bias'].fill(0);
    const p = structuredPrune(m, { amount: 0.5, layers: ['conv1', 'fc1'] });
    expect(p.architecture.layers.find((l) => l.name === 'conv1')).toMatchObject({ filters: 10 });
    expect(p.weights['conv2.weight'].length).toBe(50 * 25 * 10);
    const x = randomInput(28 * 28);
    const a = modelForward(m, x, 1);
    const b = modelForward(p, x, 1);
    for (let i = 0; i < 10; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });

  it('a depthwise conv with multiplier 3 after a pruned conv loses the M channels of each removed input channel', () => {
    const arch: Architecture = {
      name: 'dw-m',
      inputShape: [6, 6, 1],
      layers: [
        { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
        { kind: 'relu', name: 'r' },
        { kind: 'depthwiseConv2d', name: 'dw', kernel: [2, 2], stride: [1, 1], padding: 'valid', bias: true, multiplier: 3 },
        { kind: 'flatten', name: 'f' },
        { kind: 'dense', name: 'fc', units: 5, bias: true },
      ],
    };
    const m = initModel(arch, 9);
    // Kill filters 1 and 2 of c1 ([4, 3, 3, 1]: 9 weights each).
    m.weights['c1.weight'].fill(0, 9, 27);
    m.weights['c1.bias'][1] = 0;
    m.weights['c1.bias'][2] = 0;
    const p = structuredPrune(m, { amount: 0.5, layers: ['c1'] });
    expect(p.architecture.layers[0]).toMatchObject({ filters: 2 });
    // dw keeps output channels 0..2 (of input 0) and 9..11 (of input 3).
    const dw = m.weights['dw.weight'];
    const kept = [0, 1, 2, 9, 10, 11];
    expect(Array.from(p.weights['dw.weight'])).toEqual(Array.from({ length: 4 }, (_, t) => kept.map((o) => dw[t * 12 + o])).flat());
    expect(Array.from(p.weights['dw.bias'])).toEqual(kept.map((o) => m.weights['dw.bias'][o]));
    expect(p.weights['fc.weight'].length).toBe(5 * 3 * 3 * 6);
    const x = randomInput(36);
    const a = modelForward(m, x, 1);
    const b = modelForward(p, x, 1);
    for (let i = 0; i < 5; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });
});

describe('quantization', () => {
  it('linear min–max follows the article formula (asymmetric) and zero point relation', () => {
    const v = Float32Array.from([-1, 0, 0.5, 3]);
    const enc = fitLinear(v, [4], 8, 'asymmetric', null);
    // scale = oldRange / newRange = 4 / 255; zeroPoint = qmin − oldMin / scale = 63.75 → 64
    expect(enc.scale[0]).toBe(Math.fround(4 / 255));
    expect(enc.zeroPoint[0]).toBe(64);
    const sym = fitLinear(v, [4], 4, 'symmetric', null);
    expect(sym.scale[0]).toBe(Math.fround(3 / 7));
    expect(sym.zeroPoint[0]).toBe(0);
    const q = quantize(withWeights(dense3, { 'fc.weight': [0, 1, -1, 0.5, 0.25, 0, 0, 0, 0] }), { bits: 11, granularity: 'tensor' });
    expect(q.encodings!['fc.weight']).toMatchObject({ kind: 'linear', bits: 11, signed: true });
    expect(q.weights['fc.weight'][0]).toBe(0);
  });

  it('ternary threshold Δ = 0.7·mean|w| on known values; binary α = mean|w|', () => {
    const v = Float32Array.from([1, -2, 0.1, 3]);
    // mean|w| = 1.525, Δ = 1.0675: keep −2 and 3, α = 2.5
    expect(Array.from(ternarize(v, [4], null))).toEqual([0, -2.5, 0, 2.5]);
    expect(Array.from(binarize(v, [4], null))).toEqual([1.525, -1.525, 1.525, 1.525].map(Math.fround));
    // per channel: rows [1, −2] and [0.1, 3]
    expect(Array.from(ternarize(v, [2, 2], 0))).toEqual([0, -2, 0, 3]);
  });
});

describe('k-means weight sharing', () => {
  it('linear initialisation spaces centroids evenly from min to max', () => {
    expect(Array.from(linearInit(-1, 2, 4))).toEqual([-1, 0, 1, 2]);
    // Two well-separated clusters converge to their means.
    const c = kmeans1d([0, 0.1, 0.2, 10, 10.2], 2);
    expect(c[0]).toBeCloseTo(0.1, 12);
    expect(c[1]).toBeCloseTo(10.1, 12);
  });

  it('leaves at most 2^bits distinct values and keeps pruned weights at a fixed 0', () => {
    const m = prune(initModel(lenet300100(), 6), { sparsity: 0.9, layers: ['fc2'] });
    const k = kmeans(m, { bits: 3, layers: ['fc2'] });
    const d = distinctValues(k.weights['fc2.weight']);
    expect(d.length).toBeLessThanOrEqual(8);
    expect(Array.from(d)).toContain(0);
    for (let i = 0; i < k.weights['fc2.weight'].length; i++) if (m.weights['fc2.weight'][i] === 0) expect(k.weights['fc2.weight'][i]).toBe(0);
    expect(k.encodings!['fc2.weight']).toEqual({ kind: 'codebook', k: d.length });
  });

  it('sums gradients per cluster for the centroid update', () => {
    const g = centroidGradients([1, 2, 3, 4], [0, 1, 0, 1], 2);
    expect(Array.from(g)).toEqual([4, 6]);
    expect(Array.from(centroidGradients([1, 2, 3, 4], [0, 1, 0, 1], 2, [1, 1, 0, 1]))).toEqual([1, 6]);
    const u = updateCentroids(Float32Array.from([0, 1]), [4, 6], 0.5, [0, 1, 0, 1]);
    expect(Array.from(u.centroids)).toEqual([-2, -2]);
    expect(Array.from(u.weights)).toEqual([-2, -2, -2, -2]);
  });
});

describe('hashing trick', () => {
  it('every weight equals its bucket value; K per layer follows the ratio', () => {
    const m = hashWeights(initModel(lenet300100(), 7), { ratio: 16 });
    expect(m.encodings!['fc1.weight']).toMatchObject({ kind: 'hashed', k: Math.ceil(235200 / 16) });
    expect(distinctValues(m.weights['fc2.weight']).length).toBeLessThanOrEqual(Math.ceil(30000 / 16));
  });
});

describe('separable conversion', () => {
  const arch: Architecture = {
    name: 'sep',
    inputShape: [7, 7, 3],
    layers: [{ kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true }],
  };

  it('is exact when the conv is truly rank-1 separable per input channel', () => {
    const r = mulberry32(9);
    const m = initModel(arch, 1);
    const w = m.weights['c.weight']; // [4, 3, 3, 3]
    const spatial = Array.from({ length: 3 }, () => Array.from({ length: 9 }, () => r() - 0.5));
    const loads = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => r() - 0.5));
    for (let o = 0; o < 4; o++) for (let t = 0; t < 9; t++) for (let c = 0; c < 3; c++) w[(o * 9 + t) * 3 + c] = loads[c][o] * spatial[c][t];
    m.weights['c.bias'] = Float32Array.from([0.1, -0.2, 0.3, 0]);
    const s = separable(m);
    expect(s.architecture.layers.map((l) => l.kind)).toEqual(['depthwiseConv2d', 'conv2d']);
    const x = randomInput(2 * 7 * 7 * 3);
    const a = modelForward(m, x, 2);
    const b = modelForward(s, x, 2);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });

  it('finds the top singular pair and saves FLOPs on LeNet-5', () => {
    const { sigma, u, v } = rank1([3, 0, 0, 1], 2, 2);
    expect(sigma).toBeCloseTo(3, 10);
    expect(Math.abs(u[0])).toBeCloseTo(1, 10);
    expect(v[0]).toBeCloseTo(1, 10);
    const m = initModel(lenet5(), 1);
    const s = separable(m);
    expect(accountModel(s.architecture).total.flops).toBeLessThan(accountModel(m.architecture).total.flops / 2);
  });
});

describe('downsampling', () => {
  it('inserts a pooling layer and carries the dense weights over by summing pooled positions', () => {
    const m = initModel(lenet5(), 2);
    const d = downsample(m, { mode: 'pool', after: 'conv1', factor: 2 });
    expect(d.architecture.layers[1]).toMatchObject({ kind: 'avgPool2d', window: [2, 2] });
    expect(accountModel(d.architecture).total.flops).toBeLessThan(accountModel(m.architecture).total.flops / 3);
    // conv2 now outputs 2×2 (from 12→6 grid... 6−4 = 2 → pool 1×1): fc1 input shrinks accordingly, sums preserved.
    const old = m.weights['fc1.weight'];
    const nw = d.weights['fc1.weight'];
    const sum = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
    expect(sum(nw)).toBeCloseTo(sum(old), 2);
    const s = downsample(m, { mode: 'stride', factor: 2 });
    expect(s.architecture.layers[0]).toMatchObject({ stride: [2, 2] });
  });
});
