import { describe, it, expect } from 'vitest';
import type { Architecture, Layer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, layerOutputShape, layerWeightShapes, sizeOf } from '../model/shapes.ts';
import { layerBackward, modelBackward } from './backward.ts';
import type { FloatArray } from './common.ts';
import { forwardInto, layerForward, modelForwardAll } from './forward.ts';
import { softmaxCrossEntropy } from './loss.ts';
import { awayFromZeroF32, conv2d, dense, depthwise, distinctF32, expectClose, pool, randomF32 } from './test-helpers.ts';

/** Central-difference step. The forward runs in float64, so roundoff is ~1e-16/H ≈ 1e-10. */
const H = 1e-6;
/** Analytic gradients are float32: allow a few float32 ulps plus the finite-difference error. */
const ABS = 1e-5;
const REL = 1e-5;

/** d f / d a[i] by central differences, restoring a[i]. */
function centralDiff(f: () => number, a: Float64Array, i: number): number {
  const orig = a[i];
  a[i] = orig + H;
  const up = f();
  a[i] = orig - H;
  const down = f();
  a[i] = orig;
  return (up - down) / (2 * H);
}

type InputKind = 'random' | 'distinct' | 'awayFromZero';

/**
 * Checks layerBackward's dInput, dWeight and dBias against central
 * differences of L = Σ output · R (R fixed and random, so dL/dOutput = R),
 * the forward evaluated in float64 by the same loops (forwardInto).
 */
function gradCheck(layer: Layer, inShape: Shape, batch: number, seed: number, inputKind: InputKind = 'random'): void {
  const rand = mulberry32(seed);
  const outShape = layerOutputShape(layer, inShape);
  const inLen = batch * sizeOf(inShape);
  const x = inputKind === 'distinct' ? distinctF32(rand, inLen) : inputKind === 'awayFromZero' ? awayFromZeroF32(rand, inLen) : randomF32(rand, inLen);
  const wShapes = layerWeightShapes(layer, inShape);
  const wShape = wShapes[`${layer.name}.weight`];
  const bShape = wShapes[`${layer.name}.bias`];
  const weight = wShape ? randomF32(rand, sizeOf(wShape)) : undefined;
  const bias = bShape ? randomF32(rand, sizeOf(bShape)) : undefined;
  const r = randomF32(rand, batch * sizeOf(outShape));

  const output = layerForward(layer, x, inShape, batch, { weight, bias });
  const grads = layerBackward(layer, x, inShape, batch, { weight, bias }, output, r);

  const x64 = Float64Array.from(x);
  const w64 = weight && Float64Array.from(weight);
  const b64 = bias && Float64Array.from(bias);
  const out64 = new Float64Array(r.length);
  const loss = (): number => {
    forwardInto(layer, x64, inShape, batch, { weight: w64, bias: b64 }, out64);
    let s = 0;
    for (let i = 0; i < out64.length; i++) s += out64[i] * r[i];
    return s;
  };
  const numeric = (a: Float64Array): Float64Array => a.map((_, i) => centralDiff(loss, a, i));

  expectClose(grads.dInput, numeric(x64), `${layer.name} dInput`, ABS, REL);
  if (w64) {
    expect(grads.dWeight, 'dWeight').toBeDefined();
    expectClose(grads.dWeight as FloatArray, numeric(w64), `${layer.name} dWeight`, ABS, REL);
  } else {
    expect(grads.dWeight).toBeUndefined();
  }
  if (b64) {
    expect(grads.dBias, 'dBias').toBeDefined();
    expectClose(grads.dBias as FloatArray, numeric(b64), `${layer.name} dBias`, ABS, REL);
  } else {
    expect(grads.dBias).toBeUndefined();
  }
}

describe('layer gradients match central differences', () => {
  describe('conv2d', () => {
    it('valid, stride 1, 3×2 kernel, 3→5 channels, batch 2', () => gradCheck(conv2d({ filters: 5, kernel: [3, 2], bias: true }), [5, 6, 3], 2, 1));
    it('same, stride 2, odd 7×5 input, 3→6 channels, batch 3', () =>
      gradCheck(conv2d({ filters: 6, kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true }), [7, 5, 3], 3, 2));
    it('same, stride [2, 1], even 4×2 kernel (odd pad pixel after), no bias', () =>
      gradCheck(conv2d({ filters: 3, kernel: [4, 2], stride: [2, 1], padding: 'same' }), [6, 5, 5], 2, 3));
    it('same with a kernel larger than the input', () => gradCheck(conv2d({ filters: 2, kernel: [3, 5], padding: 'same', bias: true }), [2, 3, 1], 2, 4));
    it('valid, 1×1 kernel, stride 3 (stride larger than the kernel)', () =>
      gradCheck(conv2d({ filters: 7, kernel: [1, 1], stride: [3, 3], bias: true }), [7, 8, 6], 2, 5));
    it('explicit asymmetric pads (top 2, bottom 0, left 1, right 3), stride [2, 1]', () =>
      gradCheck(conv2d({ filters: 3, kernel: [3, 4], stride: [2, 1], padding: { top: 2, bottom: 0, left: 1, right: 3 }, bias: true }), [6, 5, 2], 2, 51));
  });

  describe('depthwiseConv2d', () => {
    it('valid, stride 1, 5 channels, batch 2', () => gradCheck(depthwise({ kernel: [3, 3], bias: true }), [5, 6, 5], 2, 6));
    it('multiplier 2, same, stride 2, 3 channels', () =>
      gradCheck(depthwise({ kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true, multiplier: 2 }), [5, 6, 3], 2, 61));
    it('multiplier 3, valid, 2 channels', () => gradCheck(depthwise({ kernel: [2, 3], bias: true, multiplier: 3 }), [4, 5, 2], 1, 62));
    it('same, stride 2, odd 7×7 input, 3 channels, batch 3', () =>
      gradCheck(depthwise({ kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true }), [7, 7, 3], 3, 7));
    it('same, stride [1, 2], 2×4 kernel, 6 channels, no bias', () =>
      gradCheck(depthwise({ kernel: [2, 4], stride: [1, 2], padding: 'same' }), [5, 7, 6], 2, 8));
    it('explicit asymmetric pads (top 0, bottom 2, left 2, right 1), stride [2, 2]', () =>
      gradCheck(depthwise({ kernel: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 2, left: 2, right: 1 }, bias: true }), [6, 7, 4], 2, 52));
  });

  describe('maxPool2d (distinct inputs: no ties)', () => {
    it('2×2 stride 2 on odd 5×7, 3 channels (floor mode), batch 2', () => gradCheck(pool('maxPool2d', [2, 2], [2, 2]), [5, 7, 3], 2, 9, 'distinct'));
    it('3×3 stride 2, overlapping windows, 5 channels', () => gradCheck(pool('maxPool2d', [3, 3], [2, 2]), [7, 7, 5], 2, 10, 'distinct'));
    it('2×3 window, stride [1, 2]', () => gradCheck(pool('maxPool2d', [2, 3], [1, 2]), [4, 7, 3], 3, 11, 'distinct'));
    it('padded 3×2 stride [2, 1] (t2 b0 l1 r1)', () =>
      gradCheck({ ...pool('maxPool2d', [3, 2], [2, 1]), padding: { top: 2, bottom: 0, left: 1, right: 1 } }, [5, 6, 3], 2, 59, 'distinct'));
  });

  describe('avgPool2d', () => {
    it('2×2 stride 2 on odd 5×7, 3 channels, batch 2', () => gradCheck(pool('avgPool2d', [2, 2], [2, 2]), [5, 7, 3], 2, 12));
    it('3×3 stride 2, overlapping windows, 5 channels', () => gradCheck(pool('avgPool2d', [3, 3], [2, 2]), [7, 7, 5], 2, 13));
    it('2×3 window, stride [1, 2]', () => gradCheck(pool('avgPool2d', [2, 3], [1, 2]), [4, 7, 3], 3, 14));
    it('padded 3×3 stride 2 (t1 b1 l2 r0), countIncludePad true and false', () => {
      const padding = { top: 1, bottom: 1, left: 2, right: 0 };
      gradCheck({ ...pool('avgPool2d', [3, 3], [2, 2]), padding, countIncludePad: true }, [6, 7, 3], 2, 57);
      gradCheck({ ...pool('avgPool2d', [3, 3], [2, 2]), padding, countIncludePad: false }, [6, 7, 3], 2, 58);
    });
  });

  describe('dense', () => {
    it('7 → 5 with bias, batch 3', () => gradCheck(dense(5), [7], 3, 15));
    it('13 → 3 without bias, batch 2', () => gradCheck(dense(3, false), [13], 2, 16));
  });

  describe('parameter-free layers', () => {
    it('relu (inputs away from the kink), spatial, batch 2', () => gradCheck({ kind: 'relu', name: 'relu' }, [3, 4, 5], 2, 17, 'awayFromZero'));
    it('flatten', () => gradCheck({ kind: 'flatten', name: 'flatten' }, [3, 4, 5], 2, 18));
    it('softmax layer (through its Jacobian), batch 3', () => gradCheck({ kind: 'softmax', name: 'softmax' }, [7], 3, 19));
    it('activation leakyRelu α = 0.1 (away from the kink), spatial', () =>
      gradCheck({ kind: 'activation', name: 'a', fn: 'leakyRelu', alpha: 0.1 }, [3, 4, 5], 2, 53, 'awayFromZero'));
    it('activation relu6 (away from the kink at 0)', () => gradCheck({ kind: 'activation', name: 'a', fn: 'relu6' }, [3, 4, 5], 2, 54, 'awayFromZero'));
    it('activation sigmoid', () => gradCheck({ kind: 'activation', name: 'a', fn: 'sigmoid' }, [3, 4, 5], 2, 55));
    it('activation tanh', () => gradCheck({ kind: 'activation', name: 'a', fn: 'tanh' }, [3, 4, 5], 2, 56));
  });
});

describe('max pooling gradient with ties', () => {
  it('goes entirely to the first maximum in scan order', () => {
    // One 2×2 window over [[3, 5], [5, 1]]: the max 5 appears at scan positions 1 and 2; position 1 gets it all.
    const layer = pool('maxPool2d', [2, 2], [2, 2]);
    const x = new Float32Array([3, 5, 5, 1]);
    const y = layerForward(layer, x, [2, 2, 1], 1, {});
    const g = layerBackward(layer, x, [2, 2, 1], 1, {}, y, new Float32Array([2]));
    expect(Array.from(g.dInput)).toEqual([0, 2, 0, 0]);
  });

  it('overlapping windows add their gradients on a shared maximum', () => {
    // 1×3 input [1, 9, 2], window 1×2 stride 1: both windows pick the 9.
    const layer = pool('maxPool2d', [1, 2], [1, 1]);
    const x = new Float32Array([1, 9, 2]);
    const y = layerForward(layer, x, [1, 3, 1], 1, {});
    const g = layerBackward(layer, x, [1, 3, 1], 1, {}, y, new Float32Array([0.5, 0.25]));
    expect(Array.from(g.dInput)).toEqual([0, 0.75, 0]);
  });
});

describe('relu gradient', () => {
  it('is 0 at x ≤ 0 (including exactly 0) and passes dOutput where x > 0', () => {
    const layer: Layer = { kind: 'relu', name: 'r' };
    const x = new Float32Array([-1, 0, 2]);
    const g = layerBackward(layer, x, [3], 1, {}, layerForward(layer, x, [3], 1, {}), new Float32Array([5, 6, 7]));
    expect(Array.from(g.dInput)).toEqual([0, 0, 7]);
  });
});

/** The model's forward pass in float64 (same loops via forwardInto), for finite differences. */
function forward64(arch: Architecture, weights: Record<string, Float64Array>, x: Float64Array, batch: number): Float64Array {
  let cur = x;
  for (const ls of inferShapes(arch)) {
    const out = new Float64Array(batch * sizeOf(ls.output));
    forwardInto(ls.layer, cur, ls.input, batch, { weight: weights[`${ls.layer.name}.weight`], bias: weights[`${ls.layer.name}.bias`] }, out);
    cur = out;
  }
  return cur;
}

/** Mean softmax cross-entropy in float64, written out independently of loss.ts. */
function crossEntropy64(z: Float64Array, labels: number[], classes: number): number {
  let total = 0;
  labels.forEach((label, n) => {
    const row = z.subarray(n * classes, (n + 1) * classes);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    total += lse - row[label];
  });
  return total / labels.length;
}

function modelGradCheck(arch: Architecture, batch: number, seed: number): void {
  const model: Model = initModel(arch, seed);
  const rand = mulberry32(seed + 100);
  // initModel zeroes biases; random ones make every bias gradient and relu pattern non-trivial.
  for (const [name, t] of Object.entries(model.weights)) if (name.endsWith('.bias')) t.set(randomF32(rand, t.length, -0.2, 0.2));
  const classes = sizeOf(inferShapes(arch).at(-1)!.output);
  const x = randomF32(rand, batch * sizeOf(arch.inputShape));
  const labels = Array.from({ length: batch }, () => Math.floor(rand() * classes));

  const acts = modelForwardAll(model, x, batch);
  const { dLogits } = softmaxCrossEntropy(acts[acts.length - 1], batch, classes, { labels });
  const { grads, dInput } = modelBackward(model, x, batch, acts, dLogits);
  expect(Object.keys(grads)).toEqual(Object.keys(model.weights));

  const w64: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(model.weights)) w64[name] = Float64Array.from(t);
  const x64 = Float64Array.from(x);
  const loss = (): number => crossEntropy64(forward64(arch, w64, x64, batch), labels, classes);
  for (const [name, t] of Object.entries(w64)) {
    expectClose(
      grads[name],
      t.map((_, i) => centralDiff(loss, t, i)),
      name,
      ABS,
      REL,
    );
  }
  expectClose(
    dInput,
    x64.map((_, i) => centralDiff(loss, x64, i)),
    'dInput',
    ABS,
    REL,
  );
}

describe('whole-model gradient (modelBackward + softmaxCrossEntropy) matches central differences', () => {
  it('conv(same) → relu → maxPool → flatten → dense, batch 3', () => {
    modelGradCheck(
      {
        name: 'tiny-conv',
        inputShape: [6, 7, 2],
        layers: [
          conv2d({ name: 'conv1', filters: 3, kernel: [3, 3], padding: 'same', bias: true }),
          { kind: 'relu', name: 'relu1' },
          pool('maxPool2d', [2, 2], [2, 2], 'pool1'),
          { kind: 'flatten', name: 'flatten' },
          dense(4, true, 'fc1'),
        ],
      },
      3,
      21,
    );
  });

  it('depthwise(stride 2) → pointwise conv → avgPool → flatten → dense → relu → dense, batch 2', () => {
    modelGradCheck(
      {
        name: 'tiny-separable',
        inputShape: [7, 7, 3],
        layers: [
          depthwise({ name: 'dw', kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true }),
          conv2d({ name: 'pw', filters: 5, kernel: [1, 1], bias: true }),
          pool('avgPool2d', [2, 2], [2, 2], 'pool'),
          { kind: 'flatten', name: 'flatten' },
          dense(6, true, 'fc1'),
          { kind: 'relu', name: 'relu' },
          dense(3, false, 'fc2'),
        ],
      },
      2,
      22,
    );
  });
});
