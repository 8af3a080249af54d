/**
 * The layers importers need, pinned by hand-computed cases: explicit
 * (asymmetric) convolution padding, the `activation` layer's functions
 * forward and backward, and global average pooling as avgPool2d.
 */
import { describe, expect, it } from 'vitest';
import type { Layer } from '../model/layers.ts';
import { globalAvgPool } from '../model/layers.ts';
import { layerBackward } from './backward.ts';
import { layerForward } from './forward.ts';
import { conv2d, depthwise, expectClose } from './test-helpers.ts';

const f32 = (a: number[]): Float32Array => new Float32Array(a);

describe('explicit padding (hand-computed)', () => {
  it('conv2d, pads top 1, bottom 0, left 0, right 1: out = (2 + 1 − 2) + 1 = 2 per axis', () => {
    // x = [[1,2],[3,4]] padded: [[0,0,0],[1,2,0],[3,4,0]]; 2×2 ones kernel.
    // y00 = 0+0+1+2 = 3; y01 = 0+0+2+0 = 2; y10 = 1+2+3+4 = 10; y11 = 2+0+4+0 = 6
    const layer = conv2d({ kernel: [2, 2], padding: { top: 1, bottom: 0, left: 0, right: 1 } });
    const y = layerForward(layer, f32([1, 2, 3, 4]), [2, 2, 1], 1, { weight: f32([1, 1, 1, 1]) });
    expect(Array.from(y)).toEqual([3, 2, 10, 6]);
  });

  it('conv2d, stride 2, pads top 0, bottom 2, left 2, right 0 on 3×3 with a 3×3 kernel: out 2×2', () => {
    // Both axes: floor((3 + 2 − 3) / 2) + 1 = 2. Rows start at 0 and 2 (rows 3, 4 are padding); cols at −2 and 0.
    // x[r][c] = 3r + c + 1, ones kernel. y00 = rows 0–2 × col 0 = 1 + 4 + 7 = 12; y01 = all of x = 45;
    // y10 = row 2 × col 0 = 7; y11 = row 2 × cols 0–2 = 7 + 8 + 9 = 24.
    const layer = conv2d({ kernel: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 2, left: 2, right: 0 } });
    const y = layerForward(layer, f32([1, 2, 3, 4, 5, 6, 7, 8, 9]), [3, 3, 1], 1, { weight: f32(new Array(9).fill(1)) });
    expect(Array.from(y)).toEqual([12, 45, 7, 24]);
  });

  it('depthwiseConv2d, pads top 0, bottom 1, left 1, right 0, per channel', () => {
    // Two channels, x ch0 = [[1,2],[3,4]], ch1 = 10× that; 2×2 ones kernels.
    // ch0 padded [[0,1,2],[0,3,4],[0,0,0]] → y = [[4, 10], [3, 7]]
    const x = f32([1, 10, 2, 20, 3, 30, 4, 40]);
    const y = layerForward(depthwise({ kernel: [2, 2], padding: { top: 0, bottom: 1, left: 1, right: 0 } }), x, [2, 2, 2], 1, {
      weight: f32(new Array(8).fill(1)),
    });
    expect(Array.from(y)).toEqual([4, 40, 10, 100, 3, 30, 7, 70]);
  });
});

describe('activation layer (hand-computed)', () => {
  const act = (fn: 'relu6' | 'leakyRelu' | 'sigmoid' | 'tanh', alpha?: number): Layer => ({
    kind: 'activation',
    name: 'a',
    fn,
    ...(alpha === undefined ? {} : { alpha }),
  });
  const x = f32([-3, -0.5, 0, 0.5, 6, 7.5]);

  it('relu6 clamps to [0, 6]; its gradient passes only inside (0, 6)', () => {
    const y = layerForward(act('relu6'), x, [6], 1, {});
    expect(Array.from(y)).toEqual([0, 0, 0, 0.5, 6, 6]);
    const g = layerBackward(act('relu6'), x, [6], 1, {}, y, f32([1, 2, 3, 4, 5, 6]));
    expect(Array.from(g.dInput)).toEqual([0, 0, 0, 4, 0, 0]);
  });

  it('leakyRelu α = 0.25: α·x below 0, x above; gradient α at and below 0', () => {
    const y = layerForward(act('leakyRelu', 0.25), x, [6], 1, {});
    expect(Array.from(y)).toEqual([-0.75, -0.125, 0, 0.5, 6, 7.5]);
    const g = layerBackward(act('leakyRelu', 0.25), x, [6], 1, {}, y, f32([4, 4, 4, 4, 4, 4]));
    expect(Array.from(g.dInput)).toEqual([1, 1, 1, 4, 4, 4]);
  });

  it('sigmoid and tanh: values, symmetry, no overflow far out; gradients σ(1 − σ) and 1 − tanh²', () => {
    const far = f32([-100, -1, 0, 1, 100]);
    const s = layerForward(act('sigmoid'), far, [5], 1, {});
    expectClose(s, [0, 1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-1)), 1], 'sigmoid', 1e-7, 1e-6);
    const t = layerForward(act('tanh'), far, [5], 1, {});
    expectClose(t, [-1, -Math.tanh(1), 0, Math.tanh(1), 1], 'tanh', 1e-7, 1e-6);
    const ones = f32([1, 1, 1, 1, 1]);
    expectClose(layerBackward(act('sigmoid'), far, [5], 1, {}, s, ones).dInput, [0, 0.19661193, 0.25, 0.19661193, 0], 'dsigmoid', 1e-7, 1e-6);
    expectClose(layerBackward(act('tanh'), far, [5], 1, {}, t, ones).dInput, [0, 0.41997434, 1, 0.41997434, 0], 'dtanh', 1e-7, 1e-6);
  });
});

describe('global average pooling = avgPool2d with window = stride = [H, W]', () => {
  it('globalAvgPool gives [1, 1, C] channel means (batch 2), and its gradient spreads dy / (H·W)', () => {
    const layer = globalAvgPool('gap', [2, 3, 2]);
    expect(layer).toEqual({ kind: 'avgPool2d', name: 'gap', window: [2, 3], stride: [2, 3] });
    // image 0: ch0 = 1..6, ch1 = 10·(1..6); image 1: ch0 = −(1..6), ch1 = 0.
    const x = new Float32Array(24);
    for (let i = 0; i < 6; i++) {
      x[i * 2] = i + 1;
      x[i * 2 + 1] = 10 * (i + 1);
      x[12 + i * 2] = -(i + 1);
    }
    const y = layerForward(layer, x, [2, 3, 2], 2, {});
    expectClose(y, [3.5, 35, -3.5, 0], 'means');
    const g = layerBackward(layer, x, [2, 3, 2], 2, {}, y, f32([6, 12, 0, 6]));
    expectClose(g.dInput.subarray(0, 2), [1, 2], 'dx image 0');
    expectClose(g.dInput.subarray(22, 24), [0, 1], 'dx image 1');
  });

  it('refuses a non-spatial input by name', () => {
    expect(() => globalAvgPool('gap', [10])).toThrow(/globalAvgPool 'gap': needs a spatial \[H, W, C\] input/);
  });
});

describe('padded pooling (hand-computed)', () => {
  // x = [[1,2,3],[4,5,6],[7,8,9]], 2×2 windows, stride 2, one pad row above and one column left:
  // out = floor((3 + 1 − 2) / 2) + 1 = 2 per axis; windows hold {1}, {2,3}, {4,7}, {5,6,8,9}.
  const padding = { top: 1, bottom: 0, left: 1, right: 0 };
  const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const poolOf = (kind: 'maxPool2d' | 'avgPool2d', countIncludePad?: boolean): Layer => ({
    kind,
    name: 'p',
    window: [2, 2],
    stride: [2, 2],
    padding,
    ...(countIncludePad === undefined ? {} : { countIncludePad }),
  });

  it('max pooling skips padded taps (they are not zeros): on −x the corner window gives −1', () => {
    expect(
      Array.from(
        layerForward(
          poolOf('maxPool2d'),
          x.map((v) => -v),
          [3, 3, 1],
          1,
          {},
        ),
      ),
    ).toEqual([-1, -2, -4, -5]);
    const g = layerBackward(poolOf('maxPool2d'), x, [3, 3, 1], 1, {}, f32([1, 3, 7, 9]), f32([1, 2, 3, 4]));
    expect(Array.from(g.dInput)).toEqual([1, 0, 2, 0, 0, 0, 3, 0, 4]);
  });

  it('average pooling with countIncludePad divides by the window (4), without by the in-image taps', () => {
    expect(Array.from(layerForward(poolOf('avgPool2d', true), x, [3, 3, 1], 1, {}))).toEqual([0.25, 1.25, 2.75, 7]);
    expect(Array.from(layerForward(poolOf('avgPool2d', false), x, [3, 3, 1], 1, {}))).toEqual([1, 2.5, 5.5, 7]);
    const dy = f32([4, 4, 4, 4]);
    const incl = layerBackward(poolOf('avgPool2d', true), x, [3, 3, 1], 1, {}, new Float32Array(4), dy);
    expect(Array.from(incl.dInput)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const excl = layerBackward(poolOf('avgPool2d', false), x, [3, 3, 1], 1, {}, new Float32Array(4), dy);
    expect(Array.from(excl.dInput)).toEqual([4, 2, 2, 2, 1, 1, 2, 1, 1]);
  });
});
