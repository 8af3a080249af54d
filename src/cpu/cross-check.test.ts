/**
 * Property tests relating layers to each other (fast-check, seeded): each
 * identity is a second, independent route to the same numbers, so an
 * indexing slip in one kernel cannot hide behind the same slip in its test.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Padding } from '../model/layers.ts';
import { mulberry32 } from '../model/model.ts';
import { layerBackward } from './backward.ts';
import { layerForward } from './forward.ts';
import { conv2d, dense, depthwise, expectClose, pool, randomF32 } from './test-helpers.ts';

const RUNS = { numRuns: 60, seed: 20240601 };
const TOL = 1e-5;

const geometry = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 7 }),
  w: fc.integer({ min: 1, max: 7 }),
  c: fc.integer({ min: 1, max: 5 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  filters: fc.integer({ min: 1, max: 5 }),
  padding: fc.constantFrom<Padding>('valid', 'same'),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

describe('cross-checks between layers', () => {
  it('a 1×1 valid conv2d is a dense layer applied at every pixel (same weight layout)', () => {
    fc.assert(
      fc.property(geometry, ({ batch, h, w, c, filters, seed }) => {
        const rand = mulberry32(seed);
        const x = randomF32(rand, batch * h * w * c);
        const weight = randomF32(rand, filters * c);
        const bias = randomF32(rand, filters);
        const viaConv = layerForward(conv2d({ filters, kernel: [1, 1], bias: true }), x, [h, w, c], batch, { weight, bias });
        // Every pixel of every image is one dense input of c values.
        const viaDense = layerForward(dense(filters), x, [c], batch * h * w, { weight, bias });
        expectClose(viaConv, viaDense, 'conv 1×1 vs dense', TOL, TOL);
      }),
      RUNS,
    );
  });

  it('depthwiseConv2d (multiplier 1–3) equals conv2d with block-diagonal weights (forward and backward)', () => {
    fc.assert(
      fc.property(geometry, fc.integer({ min: 1, max: 3 }), ({ batch, h, w, c, kh, kw, sh, sw, padding, seed }, m) => {
        if (padding === 'valid') [kh, kw] = [Math.min(kh, h), Math.min(kw, w)];
        const rand = mulberry32(seed);
        const cm = c * m;
        const x = randomF32(rand, batch * h * w * c);
        const dwWeight = randomF32(rand, kh * kw * cm);
        const bias = randomF32(rand, cm);
        // conv weight [outC, kH, kW, inC]: filter o sees only channel ⌊o / m⌋, with the depthwise kernel [kH, kW, C·M] at o.
        const convWeight = new Float32Array(cm * kh * kw * c);
        for (let o = 0; o < cm; o++) {
          for (let k = 0; k < kh * kw; k++) convWeight[(o * kh * kw + k) * c + Math.floor(o / m)] = dwWeight[k * cm + o];
        }
        const dwLayer = depthwise({ kernel: [kh, kw], stride: [sh, sw], padding, bias: true, ...(m > 1 ? { multiplier: m } : {}) });
        const convLayer = conv2d({ filters: cm, kernel: [kh, kw], stride: [sh, sw], padding, bias: true });
        const yDw = layerForward(dwLayer, x, [h, w, c], batch, { weight: dwWeight, bias });
        const yConv = layerForward(convLayer, x, [h, w, c], batch, { weight: convWeight, bias });
        expectClose(yDw, yConv, 'forward', TOL, TOL);

        const dy = randomF32(rand, yDw.length);
        const gDw = layerBackward(dwLayer, x, [h, w, c], batch, { weight: dwWeight, bias }, yDw, dy);
        const gConv = layerBackward(convLayer, x, [h, w, c], batch, { weight: convWeight, bias }, yConv, dy);
        expectClose(gDw.dInput, gConv.dInput, 'dInput', TOL, TOL);
        expectClose(gDw.dBias!, gConv.dBias!, 'dBias', TOL, TOL);
        const diag = new Float32Array(kh * kw * cm);
        for (let o = 0; o < cm; o++) for (let k = 0; k < kh * kw; k++) diag[k * cm + o] = gConv.dWeight![(o * kh * kw + k) * c + Math.floor(o / m)];
        expectClose(gDw.dWeight!, diag, 'dWeight', TOL, TOL);
      }),
      RUNS,
    );
  });

  it('avgPool2d equals a valid depthwise conv with constant weights 1/(kH·kW)', () => {
    fc.assert(
      fc.property(geometry, ({ batch, h, w, c, kh, kw, sh, sw, seed }) => {
        [kh, kw] = [Math.min(kh, h), Math.min(kw, w)];
        const rand = mulberry32(seed);
        const x = randomF32(rand, batch * h * w * c);
        const yPool = layerForward(pool('avgPool2d', [kh, kw], [sh, sw]), x, [h, w, c], batch, {});
        const weight = new Float32Array(kh * kw * c).fill(1 / (kh * kw));
        const yConv = layerForward(depthwise({ kernel: [kh, kw], stride: [sh, sw] }), x, [h, w, c], batch, { weight });
        expectClose(yPool, yConv, 'avgPool vs depthwise', TOL, TOL);
      }),
      RUNS,
    );
  });

  it("'same' conv2d equals 'valid' conv2d on an explicitly zero-padded input (forward and backward)", () => {
    fc.assert(
      fc.property(geometry, ({ batch, h, w, c, kh, kw, sh, sw, filters, seed }) => {
        // TensorFlow's SAME, written out here independently of shapes.ts:
        // out = ceil(in / s), total = max((out − 1)·s + k − in, 0), before = floor(total / 2), the rest after.
        const pad = (n: number, k: number, s: number): [number, number] => {
          const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
          return [Math.floor(total / 2), total - Math.floor(total / 2)];
        };
        const [top, bottom] = pad(h, kh, sh);
        const [left, right] = pad(w, kw, sw);
        const ph = h + top + bottom;
        const pw = w + left + right;
        const rand = mulberry32(seed);
        const x = randomF32(rand, batch * h * w * c);
        const padded = new Float32Array(batch * ph * pw * c);
        for (let n = 0; n < batch; n++)
          for (let y = 0; y < h; y++)
            for (let xx = 0; xx < w; xx++)
              for (let ch = 0; ch < c; ch++) padded[((n * ph + y + top) * pw + xx + left) * c + ch] = x[((n * h + y) * w + xx) * c + ch];
        const params = { weight: randomF32(rand, filters * kh * kw * c), bias: randomF32(rand, filters) };
        const common = { filters, kernel: [kh, kw] as [number, number], stride: [sh, sw] as [number, number], bias: true };
        const same = conv2d({ ...common, padding: 'same' });
        const valid = conv2d({ ...common, padding: 'valid' });
        const ySame = layerForward(same, x, [h, w, c], batch, params);
        const yValid = layerForward(valid, padded, [ph, pw, c], batch, params);
        expectClose(ySame, yValid, 'forward', TOL, TOL);

        const dy = randomF32(rand, ySame.length);
        const gSame = layerBackward(same, x, [h, w, c], batch, params, ySame, dy);
        const gValid = layerBackward(valid, padded, [ph, pw, c], batch, params, yValid, dy);
        expectClose(gSame.dWeight!, gValid.dWeight!, 'dWeight', TOL, TOL);
        expectClose(gSame.dBias!, gValid.dBias!, 'dBias', TOL, TOL);
        const cropped = new Float32Array(x.length);
        for (let n = 0; n < batch; n++)
          for (let y = 0; y < h; y++)
            for (let xx = 0; xx < w; xx++)
              for (let ch = 0; ch < c; ch++) cropped[((n * h + y) * w + xx) * c + ch] = gValid.dInput[((n * ph + y + top) * pw + xx + left) * c + ch];
        expectClose(gSame.dInput, cropped, 'dInput', TOL, TOL);
      }),
      RUNS,
    );
  });
});
