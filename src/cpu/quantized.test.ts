/**
 * The CPU integer reference of the int8 path, pinned by hand-computed cases,
 * with the fixed-point arithmetic checked against BigInt (64-bit exact).
 */
import { describe, expect, it } from 'vitest';
import { INT32_MAX, INT32_MIN, activationQuant, quantizeMultiplier } from '../model/int8.ts';
import { architecture } from '../model/architectures.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { lutTable, quantizeInt8Model } from '../compress/int8.ts';
import type { ActivationLayer, Layer } from '../model/layers.ts';
import { importedArchitecture, testInput, testModel } from '../peers/test-cases.ts';
import { modelForward } from './forward.ts';
import { convGeometry } from './conv2d.ts';
import {
  avgPool2dInt8,
  conv2dInt8,
  denseInt8,
  depthwiseConv2dInt8,
  dequantizeInt8,
  int8ModelForward,
  int8OpForward,
  lutInt8,
  maxPool2dInt8,
  multiplyByQuantizedMultiplier,
  quantizeInt8,
  requantize,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from './quantized.ts';
import type { Int8Requant } from './quantized.ts';

/** gemmlowp's definition, verbatim, in 64-bit BigInt arithmetic (C++ `/` truncates toward zero, as BigInt's does). */
function srdhmBig(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

function rdbpBig(x: number, e: number): number {
  const mask = (1n << BigInt(e)) - 1n;
  const bx = BigInt(x);
  const rem = bx & mask;
  const threshold = (mask >> 1n) + (bx < 0n ? 1n : 0n);
  return Number((bx >> BigInt(e)) + (rem > threshold ? 1n : 0n));
}

const EDGES = [
  0,
  1,
  -1,
  2,
  -2,
  3,
  255,
  -255,
  32767,
  -32768,
  65535,
  65536,
  -65536,
  2 ** 30,
  -(2 ** 30),
  2 ** 30 + 1,
  INT32_MAX,
  INT32_MIN,
  INT32_MAX - 1,
  INT32_MIN + 1,
];

function randInt32(rand: () => number): number {
  // Mix magnitudes so that small, medium and full-width values all occur.
  const bits = 1 + Math.floor(rand() * 32);
  return (Math.floor(rand() * 2 ** 32) >> (32 - bits)) | 0;
}

describe('fixed-point arithmetic (gemmlowp / TFLite)', () => {
  it('SaturatingRoundingDoublingHighMul: hand cases', () => {
    // 2·a·b / 2^32 = a·b / 2^31, ties: positive up, negative toward zero (the nudge is 1 − 2^30 below zero).
    expect(saturatingRoundingDoublingHighMul(100, 2 ** 30)).toBe(50);
    expect(saturatingRoundingDoublingHighMul(101, 2 ** 30)).toBe(51); // 50.5 → 51
    expect(saturatingRoundingDoublingHighMul(-101, 2 ** 30)).toBe(-50); // −50.5 → −50
    expect(saturatingRoundingDoublingHighMul(-103, 2 ** 30)).toBe(-51); // −51.5 → −51
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX); // the one overflow: saturates
    expect(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(0, INT32_MIN)).toBe(0);
  });

  it('SaturatingRoundingDoublingHighMul equals the 64-bit BigInt definition (edges × edges + 20,000 random pairs)', () => {
    for (const a of EDGES) for (const b of EDGES) expect(saturatingRoundingDoublingHighMul(a, b), `${a}·${b}`).toBe(srdhmBig(a, b));
    const rand = mulberry32(11);
    for (let i = 0; i < 20000; i++) {
      const a = randInt32(rand);
      const b = randInt32(rand);
      const got = saturatingRoundingDoublingHighMul(a, b);
      if (got !== srdhmBig(a, b)) expect(got, `${a}·${b}`).toBe(srdhmBig(a, b));
    }
  });

  it('RoundingDivideByPOT: hand cases (half away from zero) and BigInt for every exponent', () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(4, 1)).toBe(2);
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // −1.5
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // −1.25
    expect(roundingDivideByPOT(7, 0)).toBe(7);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
    const rand = mulberry32(12);
    for (let i = 0; i < 5000; i++) {
      const x = i < EDGES.length ? EDGES[i] : randInt32(rand);
      const e = i % 32;
      expect(roundingDivideByPOT(x, e), `${x} / 2^${e}`).toBe(rdbpBig(x, e));
    }
  });

  it('quantizeMultiplier: hand cases and ≤ 2^-31 relative error', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    expect(quantizeMultiplier(0.1)).toEqual({ multiplier: 1717986918, shift: -3 }); // 0.8 · 2^-3
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 }); // 0.75 · 2^2
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 }); // rounds up to 2^31: renormalised
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 }); // below 2^-31: flushed
    expect(() => quantizeMultiplier(-1)).toThrow(/≥ 0/);
    expect(() => quantizeMultiplier(2 ** 31)).toThrow(/too large/);
    const rand = mulberry32(13);
    for (let i = 0; i < 2000; i++) {
      const real = 2 ** (rand() * 40 - 30);
      const { multiplier, shift } = quantizeMultiplier(real);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplier * 2 ** (shift - 31) - real) / real).toBeLessThanOrEqual(2 ** -31);
    }
  });

  it('MultiplyByQuantizedMultiplier approximates x · real within one unit, both shift directions', () => {
    const rand = mulberry32(14);
    for (let i = 0; i < 5000; i++) {
      const real = 2 ** (rand() * 14 - 12); // 2^-12 … 4
      const { multiplier, shift } = quantizeMultiplier(real);
      const x = Math.floor((rand() * 2 - 1) * 2 ** 20);
      const got = multiplyByQuantizedMultiplier(x, multiplier, shift);
      // Two roundings (the high multiply, then the shift): within one unit, not half.
      expect(Math.abs(got - x * real)).toBeLessThanOrEqual(1 + Math.abs(x * real) * 2 ** -30);
      // And equals the BigInt composition.
      const left = Math.max(shift, 0);
      expect(got).toBe(rdbpBig(srdhmBig(x * 2 ** left, multiplier), Math.max(-shift, 0)));
    }
    expect(multiplyByQuantizedMultiplier(1000, 2 ** 30, -1)).toBe(250); // ·0.5, then /2
    expect(multiplyByQuantizedMultiplier(-1000, 1610612736, 2)).toBe(-3000); // ·0.75·4
  });

  it('requantize adds the zero point and clamps (saturation at −128/127, ReLU floor at the zero point)', () => {
    expect(requantize(100, 2 ** 30, 0, -3, -128)).toBe(47);
    expect(requantize(1e6, 2 ** 30, 0, 0, -128)).toBe(127);
    expect(requantize(-1e6, 2 ** 30, 0, 0, -128)).toBe(-128);
    expect(requantize(-20, 2 ** 30, 0, -5, -5)).toBe(-5); // ReLU: below the zero point → the zero point
    expect(requantize(-20, 2 ** 30, 0, -5, -128)).toBe(-15);
  });
});

describe('int8 kernels (CPU reference), hand-computed', () => {
  const rq = (over: Partial<Int8Requant>): Int8Requant => ({
    inZp: 0,
    outZp: 0,
    bias: new Int32Array([0]),
    multiplier: new Int32Array([2 ** 30]),
    shift: new Int32Array([0]),
    relu: false,
    ...over,
  });

  it('quantize / dequantize: round half to even, zero point, saturation, ReLU floor', () => {
    const q = { scale: 0.5, zeroPoint: -10 };
    expect(Array.from(quantizeInt8(new Float32Array([1.25, 1.75, 0, -0.25, 100, -100]), q))).toEqual([-8, -6, -10, -10, 127, -128]);
    expect(Array.from(quantizeInt8(new Float32Array([-3, 2]), q, true))).toEqual([-10, -6]);
    expect(Array.from(dequantizeInt8(new Int8Array([-10, -6, 127, -128]), q))).toEqual([0, 2, 68.5, -59]);
  });

  it('conv2d: 2×2 valid, input zero point 1, bias, ×0.5, output zero point −3', () => {
    const layer = { kind: 'conv2d', name: 'c', filters: 1, kernel: [2, 2], stride: [1, 1], padding: 'valid', bias: true } as const;
    const g = convGeometry({ ...layer, kernel: [2, 2], stride: [1, 1] }, [2, 2, 1], 1);
    const y = new Int8Array(1);
    // acc = 5 + (0·1 + 1·(−1) + 2·2 + 3·0) = 8 → ·0.5 = 4 → −3 + 4 = 1
    conv2dInt8(g, new Int8Array([1, 2, 3, 4]), new Int8Array([1, -1, 2, 0]), rq({ inZp: 1, outZp: -3, bias: new Int32Array([5]) }), y);
    expect(Array.from(y)).toEqual([1]);
  });

  it('conv2d: same padding contributes real zero (the input zero point), stride 2, two channels', () => {
    const layer = { kind: 'conv2d', name: 'c', filters: 1, kernel: [3, 3], stride: [2, 2], padding: 'same', bias: false } as const;
    const g = convGeometry({ ...layer, kernel: [3, 3], stride: [2, 2] }, [3, 3, 2], 1);
    expect([g.outH, g.outW, g.padTop, g.padLeft]).toEqual([2, 2, 1, 1]);
    // Input all at the zero point except pixel (0,0) = (zp+1, zp+2): only taps that see (0,0) contribute.
    const zp = -7;
    const x = new Int8Array(18).fill(zp);
    x[0] = zp + 1;
    x[1] = zp + 2;
    const w = new Int8Array(18);
    for (let i = 0; i < 18; i++) w[i] = i - 9; // w[ky,kx,c]
    const y = new Int8Array(4);
    conv2dInt8(g, x, w, rq({ inZp: zp, multiplier: new Int32Array([2 ** 30]), shift: new Int32Array([1]) }), y); // ×1
    // Output (0,0): input (0,0) is tap (1,1): w[(1·3+1)·2 + c] = w[8], w[9] = −1, 0 → 1·(−1) + 2·0 = −1.
    expect(Array.from(y)).toEqual([-1, 0, 0, 0]);
  });

  it('depthwise: per-channel weights, multipliers and relu floor', () => {
    const layer = { kind: 'depthwiseConv2d', name: 'd', kernel: [1, 2], stride: [1, 1], padding: 'valid', bias: true } as const;
    const g = convGeometry({ ...layer, kernel: [1, 2], stride: [1, 1] }, [1, 2, 2], 1);
    const y = new Int8Array(2);
    // ch0: 1 + (3·2 + 5·1) = 12 → ×0.5 = 6 → +2 = 8; ch1: 0 + (−4·3 + 1·1) = −11 → ×1 = −11 → +2 = −9 → relu floor 2.
    depthwiseConv2dInt8(
      g,
      new Int8Array([3, -4, 5, 1]),
      new Int8Array([2, 3, 1, 1]),
      rq({ outZp: 2, bias: new Int32Array([1, 0]), multiplier: new Int32Array([2 ** 30, 2 ** 30]), shift: new Int32Array([0, 1]), relu: true }),
      y,
    );
    expect(Array.from(y)).toEqual([8, 2]);
  });

  it('depthwise multiplier 2: output channel o reads input channel ⌊o / 2⌋, weight [kH, kW, C·M]', () => {
    const layer = { kind: 'depthwiseConv2d', name: 'd', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true, multiplier: 2 } as const;
    const g = convGeometry({ ...layer, kernel: [1, 1], stride: [1, 1] }, [1, 1, 2], 1);
    const y = new Int8Array(4);
    // x = [3, −4], w = [1, 2, 3, −1], ×1: o0 = 3·1, o1 = 3·2, o2 = −4·3, o3 = −4·(−1) + 1 (bias).
    const one = new Int32Array(4).fill(2 ** 30);
    depthwiseConv2dInt8(
      g,
      new Int8Array([3, -4]),
      new Int8Array([1, 2, 3, -1]),
      rq({ bias: new Int32Array([0, 0, 0, 1]), multiplier: one, shift: new Int32Array(4).fill(1) }),
      y,
    );
    expect(Array.from(y)).toEqual([3, 6, -12, 5]);
  });

  it('dense: input zero point −128 (a ReLU output), batch 2, saturation', () => {
    const y = new Int8Array(4);
    const x = new Int8Array([-128, -127, 127, 127]);
    const w = new Int8Array([1, 2, 127, 127]); // [2 out, 2 in]
    denseInt8(
      2,
      2,
      2,
      x,
      w,
      rq({ inZp: -128, bias: new Int32Array([0, 0]), multiplier: new Int32Array([2 ** 30, 2 ** 30]), shift: new Int32Array([1, 1]) }),
      y,
    );
    // n0: o0 = 0·1 + 1·2 = 2; o1 = 0 + 127 = 127. n1: o0 = 255 + 510 = 765 → 127; o1 = 2·255·127 → 127.
    expect(Array.from(y)).toEqual([2, 127, 127, 127]);
  });

  it('max and average pool on codes: integer rounding half away from zero, ReLU floor', () => {
    const g = { batch: 1, inH: 2, inW: 2, c: 4, outH: 1, outW: 1, windowH: 2, windowW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, includePad: false };
    // Channel-major reading: ch0 {1,2,2,2} ch1 {1,1,2,2} ch2 {−1,−1,−2,−2} ch3 {−1,−1,−1,−2}
    const x = new Int8Array([1, 1, -1, -1, 2, 1, -1, -1, 2, 2, -2, -1, 2, 2, -2, -2]);
    const y = new Int8Array(4);
    avgPool2dInt8(g, x, -128, y);
    expect(Array.from(y)).toEqual([2, 2, -2, -1]); // 1.75, 1.5, −1.5, −1.25
    avgPool2dInt8(g, x, -1, y);
    expect(Array.from(y)).toEqual([2, 2, -1, -1]);
    maxPool2dInt8(g, x, -128, y);
    expect(Array.from(y)).toEqual([2, 2, -1, -1]);
    maxPool2dInt8(g, new Int8Array(16).fill(-100), -50, y);
    expect(Array.from(y)).toEqual([-50, -50, -50, -50]);
  });
});

describe('int8 model (calibration pass + integer reference)', () => {
  it('activationQuant includes zero and spends all 256 codes', () => {
    expect(activationQuant(0, 2.55).scale).toBeCloseTo(0.01, 15);
    expect(activationQuant(0, 2.55).zeroPoint).toBe(-128);
    const q = activationQuant(-1, 1);
    expect(q.scale).toBeCloseTo(2 / 255, 12);
    expect(q.zeroPoint).toBe(0); // −128 + 127.5 → round → 0 (Math.round, half up)
    expect(activationQuant(0.5, 1).zeroPoint).toBe(-128);
  });

  it('lenet-300-100: int8 logits track float, structured-clone data, top-1 agreement ≥ 95% on random inputs', () => {
    const model = initModel(architecture('lenet-300-100'), 5);
    const rand = mulberry32(9);
    const n = 128;
    const x = Float32Array.from({ length: n * 784 }, () => rand());
    const q = quantizeInt8Model(model, { calibration: x.subarray(0, 64 * 784), batch: 64, method: 'minmax' });
    expect(structuredClone(q)).toEqual(q);
    expect(q.ops.map((o) => o.kind)).toEqual(['dense', 'dense', 'dense']);
    expect(q.ops.map((o) => 'relu' in o && o.relu)).toEqual([true, true, false]);
    const f = modelForward(model, x, n);
    const { logits } = int8ModelForward(q, x, n);
    let agree = 0;
    for (let i = 0; i < n; i++) {
      const a = f.subarray(i * 10, i * 10 + 10);
      const b = logits.subarray(i * 10, i * 10 + 10);
      if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) agree++;
    }
    expect(agree / n).toBeGreaterThanOrEqual(0.95);
  });

  it('rejects softmax layers and calibration of the wrong size, naming them', () => {
    const arch = architecture('lenet-300-100');
    arch.layers.push({ kind: 'softmax', name: 'probs' });
    expect(() => quantizeInt8Model(initModel(arch, 1), { calibration: new Float32Array(784), batch: 1, method: 'minmax' })).toThrow(/'probs' \(softmax\)/);
    expect(() => quantizeInt8Model(initModel(architecture('lenet5'), 1), { calibration: new Float32Array(700), batch: 1, method: 'minmax' })).toThrow(
      /700 values/,
    );
  });

  it('percentile calibration narrows ranges with outliers', () => {
    const model = initModel(architecture('lenet-300-100'), 5);
    const rand = mulberry32(10);
    const x = Float32Array.from({ length: 64 * 784 }, () => rand());
    x[5] = 1000; // one outlier pixel
    const mm = quantizeInt8Model(model, { calibration: x, batch: 64, method: 'minmax' });
    const pc = quantizeInt8Model(model, { calibration: x, batch: 64, method: 'percentile', percentile: 99.9 });
    expect(mm.input.scale).toBeGreaterThan(3);
    expect(pc.input.scale).toBeLessThan(0.01);
  });
});

describe('int8 lookup tables: sigmoid, tanh, leakyRelu', () => {
  const act = (fn: ActivationLayer['fn'], alpha?: number): ActivationLayer => ({
    kind: 'activation',
    name: 'a',
    fn,
    ...(alpha !== undefined ? { alpha } : {}),
  });
  const at = (table: Int8Array, q: number): number => table[q + 128];

  it('table entries, hand-computed: f in float64, round half to even, output zero point, saturation', () => {
    // sigmoid, in 0.05·(q + 10), out q/255 − 128: q = −10 is σ(0) = 0.5 → 127.5 → 128 (even) → 0; q = 10: σ(1)·255 = 186.42 → 58;
    // q = −128: σ(−5.9)·255 = 0.697 → −127; q = 127: σ(6.85)·255 = 254.73 → 127.
    const s = lutTable(act('sigmoid'), { scale: 0.05, zeroPoint: -10 }, { scale: 1 / 255, zeroPoint: -128 });
    expect([at(s, -10), at(s, 10), at(s, -128), at(s, 127)]).toEqual([0, 58, -127, 127]);
    // tanh, in 0.1·q, out 2/255: tanh(0.5)·127.5 = 58.92 → ±59; saturation at ±1 → 127.5 → 128 (even) → clamped to 127.
    const t = lutTable(act('tanh'), { scale: 0.1, zeroPoint: 0 }, { scale: 2 / 255, zeroPoint: 0 });
    expect([at(t, 0), at(t, 5), at(t, -5), at(t, 127), at(t, -128)]).toEqual([0, 59, -59, 127, -127]);
    // leakyRelu α = 0.1 (held as f32: 0.100000001…), in and out 0.5·q: q = −25 is −1.25000002 / 0.5 = −2.50000004 → −3
    // (α exactly 0.1 would tie at −2.5 and round to −2); q = 100 → 100; output zero point 3 adds 3; −128 saturates.
    const l = lutTable(act('leakyRelu', 0.1), { scale: 0.5, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 3 });
    expect([at(l, -25), at(l, 100), at(l, 124), at(l, 125), at(l, -10)]).toEqual([0, 103, 127, 127, 2]);
    const x = new Int8Array([-128, -10, 0, 10, 127]);
    const y = new Int8Array(5);
    lutInt8(x, s, y);
    expect(Array.from(y)).toEqual(Array.from(x, (q) => at(s, q)));
    expect(() => lutInt8(x, new Int8Array(255), y)).toThrow(/255 entries, expected 256/);
  });

  it('quantizeInt8Model lowers every fn of an imported model to a table (relu6 stays the clamp), output range the image of the input codes', () => {
    const model = testModel(importedArchitecture(), 6);
    const x = testInput(model, 96, 3);
    const q = quantizeInt8Model(model, { calibration: x.subarray(0, 64 * 220), batch: 64, method: 'minmax' });
    expect(structuredClone(q)).toEqual(q);
    expect(q.ops.map((o) => `${o.kind}:${o.layers.join('+')}`)).toEqual([
      'conv2d:c1',
      'lut:a1',
      'depthwiseConv2d:dw+a2',
      'lut:a3',
      'maxPool2d:mp',
      'avgPool2d:apx',
      'avgPool2d:api',
      'avgPool2d:gap+flat',
      'dense:fc',
      'lut:a4',
    ]);
    for (const op of q.ops) {
      if (op.kind !== 'lut') continue;
      const prev = q.ops[q.ops.indexOf(op) - 1];
      expect(op.input, `${op.layers[0]} reads its producer's codes`).toEqual('quant' in prev ? prev.quant : prev.output);
      // The image of the 256 input codes under f, through activationQuant (0 included).
      const y = Array.from({ length: 256 }, (_, k) => {
        const v = op.input.scale * (k - 128 - op.input.zeroPoint);
        return op.layer.fn === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : op.layer.fn === 'tanh' ? Math.tanh(v) : v > 0 ? v : Math.fround(op.layer.alpha!) * v;
      });
      expect(op.output).toEqual(activationQuant(Math.min(...y), Math.max(...y)));
      expect(Array.from(op.table)).toEqual(Array.from(lutTable(op.layer, op.input, op.output)));
      // Monotonic functions give non-decreasing tables, and the image's end farther from 0 is an end code (a3, σ of a
      // relu6 output in [0.5, 1), spends half the codes on [0, 0.5]: 0 stays a code, for the padding of what follows).
      for (let k = 1; k < 256; k++) expect(op.table[k]).toBeGreaterThanOrEqual(op.table[k - 1]);
      expect(op.table[0] === -128 || op.table[255] === 127, `${op.layers[0]} reaches an end code`).toBe(true);
    }
    // The integer model tracks the float one: tanh logits in [−1, 1].
    const f = modelForward(model, x, 96);
    const { logits, tensors } = int8ModelForward(q, x, 96);
    let worst = 0;
    for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i] - logits[i]));
    expect(worst).toBeLessThan(0.05);
    // A table op maps each code alone: the reference is table[q + 128] on its input tensor.
    const a3 = q.ops.findIndex((o) => o.layers[0] === 'a3');
    expect(Array.from(int8OpForward(q.ops[a3], tensors[a3], 96))).toEqual(Array.from(tensors[a3], (v) => (q.ops[a3] as { table: Int8Array }).table[v + 128]));
  });

  it('a ReLU or relu6 after a table is folded into it: a table of the clamped function over its own range', () => {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c', filters: 3, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'activation', name: 'lr', fn: 'leakyRelu', alpha: 0.2 },
      { kind: 'activation', name: 'r6', fn: 'relu6' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 4, bias: true },
      { kind: 'activation', name: 'th', fn: 'tanh' },
      { kind: 'relu', name: 'r' },
    ];
    for (const gain of [1, 20]) {
      const model = testModel({ name: 'lut-relu', inputShape: [6, 5, 2], layers }, 4);
      // ×20: outputs well past 6 before the relu6 (a clamp-only lowering would refuse it: its range is calibrated before it).
      model.weights['c.weight'] = model.weights['c.weight'].map((w) => gain * w);
      const x = testInput(model, 64, 8);
      const q = quantizeInt8Model(model, { calibration: x, batch: 64, method: 'minmax' });
      expect(q.ops.map((o) => `${o.kind}:${o.layers.join('+')}`)).toEqual(['conv2d:c', 'lut:lr+r6+f', 'dense:fc', 'lut:th+r']);
      for (const k of [1, 3]) {
        const op = q.ops[k] as Extract<(typeof q.ops)[number], { kind: 'lut' }>;
        const clamp = k === 1 ? ([0, 6] as const) : ([0, Infinity] as const);
        expect(Array.from(op.table)).toEqual(Array.from(lutTable(op.layer, op.input, op.output, clamp)));
        // The clamped function's range: [0, its max] (relu6 ∘ leakyRelu at ×20: exactly [0, 6]); negative values are code −128.
        expect(op.output.zeroPoint).toBe(-128);
        if (k === 1 && gain === 20) expect(op.output.scale).toBeCloseTo(6 / 255, 12);
        expect(op.table[0], `${op.layers[0]}: negative values clamp to the code of 0`).toBe(-128);
      }
      if (gain === 1) {
        const f = modelForward(model, x, 64);
        const { logits } = int8ModelForward(q, x, 64);
        for (let i = 0; i < f.length; i++) expect(Math.abs(f[i] - logits[i])).toBeLessThan(0.05);
      }
    }
  });

  it('still refuses what neither a clamp nor a table computes (an unknown fn), naming the layer', () => {
    const layers = [
      { kind: 'flatten', name: 'f' },
      { kind: 'activation', name: 'g', fn: 'gelu' },
      { kind: 'dense', name: 'fc', units: 2, bias: true },
    ] as unknown as Layer[];
    const model = { ...testModel({ name: 'gelu', inputShape: [2, 2, 1], layers: [layers[0], layers[2]] }, 1) };
    model.architecture = { ...model.architecture, layers };
    expect(() => quantizeInt8Model(model, { calibration: new Float32Array(4), batch: 1, method: 'minmax' })).toThrow(
      /int8 path has no lowering for layer 'g' \(activation gelu\)/,
    );
  });
});
