import { describe, it, expect } from 'vitest';
import { lenet5, articleNet, lenet5Separable, lenet300100 } from '../model/architectures.ts';
import type { Layer } from '../model/layers.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { inferShapes } from '../model/shapes.ts';
import { layerForward, layerParams, modelForward, modelForwardAll } from './forward.ts';
import { conv2d, dense, depthwise, expectClose, pool, randomF32 } from './test-helpers.ts';

const f32 = (a: number[]): Float32Array => new Float32Array(a);
/** 1..n as float32: the input of most hand-computed cases. */
const oneTo = (n: number): Float32Array => f32(Array.from({ length: n }, (_, i) => i + 1));

describe('conv2d forward (hand-computed)', () => {
  it('3×3 input, 2×2 kernel, valid, stride 1, with bias', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0.5
    // y00 = 1·1 + 2·2 + 4·3 + 5·4 = 1 + 4 + 12 + 20 = 37
    // y01 = 2·1 + 3·2 + 5·3 + 6·4 = 2 + 6 + 15 + 24 = 47
    // y10 = 4·1 + 5·2 + 7·3 + 8·4 = 4 + 10 + 21 + 32 = 67
    // y11 = 5·1 + 6·2 + 8·3 + 9·4 = 5 + 12 + 24 + 36 = 77
    const y = layerForward(conv2d({ bias: true }), oneTo(9), [3, 3, 1], 1, { weight: f32([1, 2, 3, 4]), bias: f32([0.5]) });
    expect(Array.from(y)).toEqual([37.5, 47.5, 67.5, 77.5]);
  });

  it('4×4 input, 2×2 diagonal kernel, valid, stride 2', () => {
    // x[r][c] = 4r + c + 1; w = [[1,0],[0,1]] so y[i][j] = x[2i][2j] + x[2i+1][2j+1]
    // y00 = 1 + 6 = 7; y01 = 3 + 8 = 11; y10 = 9 + 14 = 23; y11 = 11 + 16 = 27
    const y = layerForward(conv2d({ stride: [2, 2] }), oneTo(16), [4, 4, 1], 1, { weight: f32([1, 0, 0, 1]) });
    expect(Array.from(y)).toEqual([7, 11, 23, 27]);
  });

  it("'same' with an even kernel puts the odd padding pixel after (bottom/right)", () => {
    // 3×3 input, 2×2 kernel, stride 1: out = ceil(3/1) = 3, total pad = (3−1)·1 + 2 − 3 = 1,
    // before = floor(1/2) = 0, so one zero row below and one zero column right.
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]
    // y00..y11 as in the valid case: 37, 47, 67, 77
    // y02 = 3·1 + 0·2 + 6·3 + 0·4 = 21;  y12 = 6·1 + 9·3 = 33
    // y20 = 7·1 + 8·2 = 23;  y21 = 8·1 + 9·2 = 26;  y22 = 9·1 = 9
    const y = layerForward(conv2d({ padding: 'same' }), oneTo(9), [3, 3, 1], 1, { weight: f32([1, 2, 3, 4]) });
    expect(Array.from(y)).toEqual([37, 47, 21, 67, 77, 33, 23, 26, 9]);
  });

  it("'same' with stride 2 on an even size: 4×4, 3×3 ones kernel", () => {
    // out = ceil(4/2) = 2, total pad = (2−1)·2 + 3 − 4 = 1, before 0, after 1.
    // Windows start at rows/cols 0 and 2; x[r][c] = 4r + c + 1.
    // y00 = rows 0–2 × cols 0–2 = (1+2+3) + (5+6+7) + (9+10+11) = 6 + 18 + 30 = 54
    // y01 = rows 0–2 × cols 2–3 (col 4 is padding) = (3+4) + (7+8) + (11+12) = 7 + 15 + 23 = 45
    // y10 = rows 2–3 × cols 0–2 = (9+10+11) + (13+14+15) = 30 + 42 = 72
    // y11 = rows 2–3 × cols 2–3 = 11 + 12 + 15 + 16 = 54
    const layer = conv2d({ kernel: [3, 3], stride: [2, 2], padding: 'same' });
    const y = layerForward(layer, oneTo(16), [4, 4, 1], 1, { weight: new Float32Array(9).fill(1) });
    expect(Array.from(y)).toEqual([54, 45, 72, 54]);
  });

  it("'same' with stride 2 on an odd size pads symmetrically: 5×5, 3×3 ones kernel", () => {
    // out = ceil(5/2) = 3, total pad = 2·2 + 3 − 5 = 2, before 1, after 1. x[r][c] = 5r + c + 1.
    // y00 = rows 0–1 × cols 0–1 = 1 + 2 + 6 + 7 = 16
    // y11 = rows 1–3 × cols 1–3 = (7+8+9) + (12+13+14) + (17+18+19) = 24 + 39 + 54 = 117
    // y22 = rows 3–4 × cols 3–4 = 19 + 20 + 24 + 25 = 88
    const layer = conv2d({ kernel: [3, 3], stride: [2, 2], padding: 'same' });
    const y = layerForward(layer, oneTo(25), [5, 5, 1], 1, { weight: new Float32Array(9).fill(1) });
    expect(y.length).toBe(9);
    expect([y[0], y[4], y[8]]).toEqual([16, 117, 88]);
  });

  it('weight layout [outC, kH, kW, inC] with 2 channels, 2 filters, batch 2', () => {
    // Input H=1, W=2, C=2, NHWC: image 0 = [x(w0,c0)=1, x(w0,c1)=2, x(w1,c0)=3, x(w1,c1)=4],
    // image 1 = [0, 0, 0, 1]. Kernel 1×2.
    // filter 0 = [kx0: (1, 0), kx1: (0, 1)]      → picks x(w0,c0) + x(w1,c1)
    // filter 1 = [kx0: (0.5, −1), kx1: (2, 0)]   → 0.5·x(w0,c0) − x(w0,c1) + 2·x(w1,c0)
    // bias = [10, −1]
    // image 0: f0 = 1 + 4 + 10 = 15; f1 = 0.5 − 2 + 6 − 1 = 3.5
    // image 1: f0 = 0 + 1 + 10 = 11; f1 = 0 − 0 + 0 − 1 = −1
    const layer = conv2d({ filters: 2, kernel: [1, 2], bias: true });
    const y = layerForward(layer, f32([1, 2, 3, 4, 0, 0, 0, 1]), [1, 2, 2], 2, {
      weight: f32([1, 0, 0, 1, 0.5, -1, 2, 0]),
      bias: f32([10, -1]),
    });
    expect(Array.from(y)).toEqual([15, 3.5, 11, -1]);
  });
});

describe('depthwiseConv2d forward (hand-computed)', () => {
  it('2 channels, each with its own 2×2 kernel, weight layout [kH, kW, C]', () => {
    // channel 0 = [[1,2],[3,4]], channel 1 = [[10,20],[30,40]]; NHWC interleaves them.
    // kernel c0 = [[1,1],[1,1]], c1 = [[1,0],[0,−1]] → flat [kH,kW,C] = [1,1, 1,0, 1,0, 1,−1]
    // c0 = 1 + 2 + 3 + 4 = 10, + bias 0.5 = 10.5
    // c1 = 10·1 + 40·(−1) = −30, + bias 1 = −29
    const y = layerForward(depthwise({ bias: true }), f32([1, 10, 2, 20, 3, 30, 4, 40]), [2, 2, 2], 1, {
      weight: f32([1, 1, 1, 0, 1, 0, 1, -1]),
      bias: f32([0.5, 1]),
    });
    expect(Array.from(y)).toEqual([10.5, -29]);
  });

  it('multiplier 2: output channel o = c·2 + m reads input channel ⌊o / 2⌋, weight [kH, kW, C·M]', () => {
    // 1×1 input of 2 channels x = [3, 5], 1×2 kernel on a 1×2 input [[3, 5], [7, 11]] (pixels × channels).
    // weight [1, 2, 4] = tap 0: [1, 2, 3, 4], tap 1: [10, 20, 30, 40]; bias [0, 0, 0, 1]
    // o0 (c0): 3·1 + 7·10 = 73;  o1 (c0): 3·2 + 7·20 = 146
    // o2 (c1): 5·3 + 11·30 = 345;  o3 (c1): 5·4 + 11·40 + 1 = 461
    const layer = depthwise({ kernel: [1, 2], multiplier: 2, bias: true });
    const y = layerForward(layer, f32([3, 5, 7, 11]), [1, 2, 2], 1, { weight: f32([1, 2, 3, 4, 10, 20, 30, 40]), bias: f32([0, 0, 0, 1]) });
    expect(Array.from(y)).toEqual([73, 146, 345, 461]);
  });

  it("'same', 3×3 ones kernel on 3×3: sums of each pixel's neighbourhood", () => {
    // total pad = 2·1 + 3 − 3 = 2, one zero row/column on each side. x = [[1,2,3],[4,5,6],[7,8,9]]
    // y00 = 1+2+4+5 = 12;  y01 = 1+2+3+4+5+6 = 21;  y02 = 2+3+5+6 = 16
    // y10 = 1+2+4+5+7+8 = 27;  y11 = 45;  y12 = 2+3+5+6+8+9 = 33
    // y20 = 4+5+7+8 = 24;  y21 = 4+5+6+7+8+9 = 39;  y22 = 5+6+8+9 = 28
    const layer = depthwise({ kernel: [3, 3], padding: 'same' });
    const y = layerForward(layer, oneTo(9), [3, 3, 1], 1, { weight: new Float32Array(9).fill(1) });
    expect(Array.from(y)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
  });
});

describe('dense forward (hand-computed)', () => {
  it('2×3 weight, batch 2', () => {
    // W = [[1,2,3],[4,5,6]], b = [0.5, −0.5]
    // x = [1, −1, 2]: y0 = 1 − 2 + 6 + 0.5 = 5.5;  y1 = 4 − 5 + 12 − 0.5 = 10.5
    // x = [0, 0, 1]:  y0 = 3 + 0.5 = 3.5;           y1 = 6 − 0.5 = 5.5
    const y = layerForward(dense(2), f32([1, -1, 2, 0, 0, 1]), [3], 2, { weight: f32([1, 2, 3, 4, 5, 6]), bias: f32([0.5, -0.5]) });
    expect(Array.from(y)).toEqual([5.5, 10.5, 3.5, 5.5]);
  });
});

describe('pooling forward (hand-computed)', () => {
  // The article's 3×3 window: [23, 56, 76, 224, 177, 223, 122, 23, 34].
  const article = f32([23, 56, 76, 224, 177, 223, 122, 23, 34]);

  it('article example: max over the 3×3 window is 224', () => {
    const y = layerForward(pool('maxPool2d', [3, 3], [3, 3]), article, [3, 3, 1], 1, {});
    expect(Array.from(y)).toEqual([224]);
  });

  it('article example: average is 958/9 = 106.444… (the article rounds to 106)', () => {
    // 23 + 56 = 79, + 76 = 155, + 224 = 379, + 177 = 556, + 223 = 779, + 122 = 901, + 23 = 924, + 34 = 958
    const y = layerForward(pool('avgPool2d', [3, 3], [3, 3]), article, [3, 3, 1], 1, {});
    expect(y.length).toBe(1);
    expect(Math.abs(y[0] - 106.44444444444444)).toBeLessThan(1e-5);
  });

  it('2×2 window, stride 2, floor mode drops the last row and column; per channel', () => {
    // 3×3×2: channel 0 = [[1,2,3],[4,5,6],[7,8,9]], channel 1 = [[9,8,7],[6,5,4],[3,2,1]].
    // Output is floor((3−2)/2) + 1 = 1 pixel, window = rows 0–1 × cols 0–1.
    // max: c0 = max(1,2,4,5) = 5, c1 = max(9,8,6,5) = 9
    // avg: c0 = (1+2+4+5)/4 = 3, c1 = (9+8+6+5)/4 = 7
    const x = new Float32Array(18);
    for (let i = 0; i < 9; i++) {
      x[2 * i] = i + 1;
      x[2 * i + 1] = 9 - i;
    }
    expect(Array.from(layerForward(pool('maxPool2d', [2, 2], [2, 2]), x, [3, 3, 2], 1, {}))).toEqual([5, 9]);
    expect(Array.from(layerForward(pool('avgPool2d', [2, 2], [2, 2]), x, [3, 3, 2], 1, {}))).toEqual([3, 7]);
  });

  it('overlapping windows (2×2, stride 1)', () => {
    // x = [[1,5,2],[3,4,9],[0,8,6]]
    // max: y00 = max(1,5,3,4) = 5; y01 = max(5,2,4,9) = 9; y10 = max(3,4,0,8) = 8; y11 = max(4,9,8,6) = 9
    // avg: y00 = 13/4 = 3.25; y01 = 20/4 = 5; y10 = 15/4 = 3.75; y11 = 27/4 = 6.75
    const x = f32([1, 5, 2, 3, 4, 9, 0, 8, 6]);
    expect(Array.from(layerForward(pool('maxPool2d', [2, 2], [1, 1]), x, [3, 3, 1], 1, {}))).toEqual([5, 9, 8, 9]);
    expect(Array.from(layerForward(pool('avgPool2d', [2, 2], [1, 1]), x, [3, 3, 1], 1, {}))).toEqual([3.25, 5, 3.75, 6.75]);
  });

  it('max pooling propagates NaN instead of hiding it', () => {
    const y = layerForward(pool('maxPool2d', [2, 1], [2, 1]), f32([1, NaN, NaN, 2]), [4, 1, 1], 1, {});
    expect(Number.isNaN(y[0])).toBe(true);
    expect(Number.isNaN(y[1])).toBe(true);
  });
});

describe('relu, flatten and softmax layers (hand-computed)', () => {
  it('relu clamps negatives and zero to 0, keeps positives, passes NaN', () => {
    const y = layerForward({ kind: 'relu', name: 'r' }, f32([-2, -0.5, 0, 0.5, 3, NaN]), [6], 1, {});
    expect(Array.from(y.subarray(0, 5))).toEqual([0, 0, 0, 0.5, 3]);
    expect(Object.is(y[1], 0)).toBe(true); // not −0
    expect(Number.isNaN(y[5])).toBe(true);
  });

  it('flatten copies the NHWC data unchanged into a fresh array', () => {
    const x = oneTo(12);
    const y = layerForward({ kind: 'flatten', name: 'f' }, x, [2, 3, 2], 1, {});
    expect(Array.from(y)).toEqual(Array.from(x));
    expect(y).not.toBe(x);
  });

  it('softmax of [0, ln 2, ln 3, ln 4] is [1, 2, 3, 4]/10; large logits do not overflow', () => {
    // exp of the logits: 1, 2, 3, 4; sum 10.
    const y = layerForward({ kind: 'softmax', name: 's' }, f32([0, Math.LN2, Math.log(3), Math.log(4)]), [4], 1, {});
    expectClose(y, [0.1, 0.2, 0.3, 0.4], 'softmax', 1e-6);
    const z = layerForward({ kind: 'softmax', name: 's' }, f32([1000, 1000 + Math.log(3), 1000, 1000 + Math.log(3)]), [4], 1, {});
    // exp(1000) overflows; after subtracting the max the exps are 1/3, 1, 1/3, 1 (sum 8/3)
    // → 1/8, 3/8, 1/8, 3/8. 1000 + ln 3 rounds to float32 with an error < 6e-5, hence the tolerance.
    expectClose(z, [0.125, 0.375, 0.125, 0.375], 'softmax large', 5e-5);
  });
});

describe('whole-model forward', () => {
  const archs = [lenet5(), lenet300100(), articleNet(), lenet5Separable()];
  for (const arch of archs) {
    it(`${arch.name}: modelForwardAll chains layerForward; modelForward returns its last output`, () => {
      const model = initModel(arch, 7);
      const batch = 3;
      const x = randomF32(mulberry32(11), batch * 28 * 28, 0, 1);
      const all = modelForwardAll(model, x, batch);
      const shapes = inferShapes(arch);
      expect(all.length).toBe(arch.layers.length);
      let cur = x;
      shapes.forEach((ls, i) => {
        cur = layerForward(ls.layer, cur, ls.input, batch, layerParams(model, ls.layer));
        expect(Array.from(all[i])).toEqual(Array.from(cur));
      });
      const logits = modelForward(model, x, batch);
      expect(logits.length).toBe(batch * 10);
      expect(Array.from(logits)).toEqual(Array.from(all[all.length - 1]));
      expect(logits.every(Number.isFinite)).toBe(true);
    });
  }

  it('batching does not mix images: a batch of 3 equals three batches of 1', () => {
    const model = initModel(articleNet(), 3);
    const x = randomF32(mulberry32(5), 3 * 784, 0, 1);
    const together = modelForward(model, x, 3);
    for (let n = 0; n < 3; n++) {
      const alone = modelForward(model, x.slice(n * 784, (n + 1) * 784), 1);
      expect(Array.from(together.subarray(n * 10, (n + 1) * 10))).toEqual(Array.from(alone));
    }
  });

  it('a bias-free dense layer needs no bias tensor', () => {
    const layers: Layer[] = [{ kind: 'flatten', name: 'f' }, dense(2, false)];
    const model = {
      architecture: { name: 'nb', inputShape: [1, 1, 3] as [number, number, number], layers },
      weights: { 'fc.weight': f32([1, 1, 1, 0, 0, 2]) },
    };
    // y0 = 1 + 2 + 3 = 6; y1 = 2·3 = 6
    expect(Array.from(modelForward(model, f32([1, 2, 3]), 1))).toEqual([6, 6]);
  });
});
