/**
 * Shape inference, accounting and the file format for the layers importers
 * need: explicit (asymmetric) convolution pads and the `activation` layer.
 */
import { describe, expect, it } from 'vitest';
import type { Architecture, Layer } from '../model/layers.ts';
import { initModel } from './model.ts';
import { accountModel } from './accounting.ts';
import { parseModel, serializeModel } from './format.ts';
import { ShapeError, axisPadding, convGeometry, convOutSize, inferShapes, padBefore } from './shapes.ts';
import { expectReject, withMeta } from './format-test-helpers.ts';

const pads = (top: number, bottom: number, left: number, right: number) => ({ top, bottom, left, right });

function arch(): Architecture {
  return {
    name: 'imported',
    inputShape: [9, 8, 2],
    layers: [
      { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 4], stride: [2, 1], padding: pads(2, 0, 1, 3), bias: true },
      { kind: 'activation', name: 'a1', fn: 'leakyRelu', alpha: 0.2 },
      { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [1, 2], padding: pads(0, 1, 2, 0), bias: false },
      { kind: 'activation', name: 'a2', fn: 'relu6' },
      { kind: 'maxPool2d', name: 'mp', window: [2, 2], stride: [1, 1], padding: pads(1, 0, 0, 1) },
      { kind: 'avgPool2d', name: 'ap', window: [2, 3], stride: [2, 2], padding: pads(0, 1, 2, 0), countIncludePad: false },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 3, bias: true },
      { kind: 'activation', name: 'a3', fn: 'sigmoid' },
    ],
  };
}

describe('explicit padding: shapes', () => {
  it('out = floor((in + before + after − k) / s) + 1 per axis; padBefore is the before pad', () => {
    const [c1, , d1] = inferShapes(arch());
    // h: (9 + 2 − 3) / 2 + 1 = 5; w: (8 + 4 − 4) / 1 + 1 = 9
    expect(c1.output).toEqual([5, 9, 4]);
    // h: (5 + 1 − 3) + 1 = 4; w: floor((9 + 2 − 3) / 2) + 1 = 5
    expect(d1.output).toEqual([4, 5, 4]);
    expect(axisPadding(pads(2, 0, 1, 3), 0)).toEqual([2, 0]);
    expect(axisPadding(pads(2, 0, 1, 3), 1)).toEqual([1, 3]);
    expect(axisPadding('same', 1)).toBe('same');
    expect(convOutSize(9, 3, 2, [2, 0])).toBe(5);
    expect(padBefore(9, 3, 2, [2, 0])).toBe(2);
    expect(convGeometry(c1.layer, c1.input, c1.output)).toMatchObject({ padT: 2, padL: 1, oh: 5, ow: 9 });
  });

  it('refuses, naming the layer, pads that are negative, fractional, not below the kernel, or badly formed', () => {
    const bad = (padding: unknown, re: RegExp): void => {
      const a = arch();
      (a.layers[0] as { padding: unknown }).padding = padding;
      let err: unknown;
      try {
        inferShapes(a);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ShapeError);
      expect((err as ShapeError).layerName).toBe('c1');
      expect((err as Error).message).toMatch(re);
    };
    bad(pads(-1, 0, 0, 0), /layer 'c1' \(conv2d\): padding top must be a non-negative integer/);
    bad(pads(0, 0.5, 0, 0), /padding bottom must be a non-negative integer/);
    bad(pads(3, 0, 0, 0), /padding top must be below the kernel's 3 along its axis/);
    bad(pads(0, 0, 0, 4), /padding right must be below the kernel's 4 along its axis/);
    bad({ top: 0, bottom: 0, left: 0 }, /exactly the fields top, bottom, left, right/);
    bad([1, 1, 1, 1], /padding must be 'valid', 'same' or \{ top, bottom, left, right \}/);
    bad('full', /padding must be 'valid', 'same'/);
  });

  it('refuses a kernel larger than its padded input', () => {
    const a: Architecture = {
      name: 'tiny',
      inputShape: [2, 2, 1],
      layers: [{ kind: 'conv2d', name: 'c', filters: 1, kernel: [4, 4], stride: [1, 1], padding: pads(1, 0, 0, 0), bias: false }],
    };
    expect(() => inferShapes(a)).toThrow(/layer 'c' \(conv2d\): kernel 4×4 is larger than its padded 2×2 input/);
  });
});

describe('activation layer: shapes and accounting', () => {
  it('keeps the shape; costs no parameters and 0 FLOPs (like relu)', () => {
    const acc = accountModel(arch());
    for (const l of acc.layers.filter((x) => x.kind === 'activation')) expect([l.params, l.macs, l.flops]).toEqual([0, 0, 0]);
    expect(acc.layers[1].outputShape).toEqual(acc.layers[0].outputShape);
    // c1: 4 filters × 3·4 window × 2 channels × 5·9 outputs = 4320 MACs; explicit pads count like any other.
    expect(acc.layers[0].macs).toBe(4 * 3 * 4 * 2 * 5 * 9);
  });

  it('refuses an unknown fn, a leakyRelu without a finite alpha, and alpha on another fn, naming the layer', () => {
    const shapesOf = (l: Layer) => () => inferShapes({ name: 'x', inputShape: [2, 2, 1], layers: [l] });
    expect(shapesOf({ kind: 'activation', name: 'a', fn: 'gelu' } as unknown as Layer)).toThrow(
      /layer 'a' \(activation\): fn must be one of relu6, leakyRelu, sigmoid, tanh/,
    );
    expect(shapesOf({ kind: 'activation', name: 'a', fn: 'leakyRelu' })).toThrow(/layer 'a' \(activation\): leakyRelu needs a finite alpha/);
    expect(shapesOf({ kind: 'activation', name: 'a', fn: 'leakyRelu', alpha: NaN })).toThrow(/leakyRelu needs a finite alpha/);
    expect(shapesOf({ kind: 'activation', name: 'a', fn: 'tanh', alpha: 0.1 })).toThrow(/alpha is only for leakyRelu, not tanh/);
  });
});

describe('padded pooling: shapes', () => {
  const poolArch = (layer: Record<string, unknown>): Architecture => ({
    name: 'p',
    inputShape: [7, 6, 2],
    layers: [{ kind: 'avgPool2d', name: 'ap', window: [3, 3], stride: [2, 2], ...layer } as Layer],
  });
  it('out = floor((in + before + after − window) / stride) + 1', () => {
    // h: (7 + 1 + 1 − 3) / 2 + 1 = 4; w: floor((6 + 2 + 0 − 3) / 2) + 1 = 3
    expect(inferShapes(poolArch({ padding: pads(1, 1, 2, 0), countIncludePad: false }))[0].output).toEqual([4, 3, 2]);
  });
  it('refuses pads not below the window, a padded avgPool2d without countIncludePad, and countIncludePad elsewhere', () => {
    expect(() => inferShapes(poolArch({ padding: pads(3, 0, 0, 0), countIncludePad: true }))).toThrow(
      /layer 'ap' \(avgPool2d\): padding top must be below the window's 3/,
    );
    expect(() => inferShapes(poolArch({ padding: pads(1, 0, 0, 0) }))).toThrow(/layer 'ap' \(avgPool2d\): padding needs countIncludePad/);
    expect(() => inferShapes(poolArch({ countIncludePad: true }))).toThrow(/countIncludePad is only for an avgPool2d with padding/);
    expect(() => inferShapes(poolArch({ kind: 'maxPool2d', padding: pads(1, 0, 0, 0), countIncludePad: true }))).toThrow(
      /layer 'ap' \(maxPool2d\): countIncludePad is only/,
    );
  });
});

describe('model file: explicit pads and activations', () => {
  const model = initModel(arch(), 4);
  const file = serializeModel(model);

  it('round-trips the architecture exactly', () => {
    const back = parseModel(file);
    expect(back.architecture).toEqual(model.architecture);
  });

  it('rejects bad pads and activation fields by layer', () => {
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[0].padding = { top: 1, bottom: -1, left: 0, right: 0 })),
      /layer 'c1' \(#0\): padding must be 'valid' or 'same' or \{ top, bottom, left, right \} of non-negative integers/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[0].padding = { top: 1, bottom: 0, left: 0, right: 0, front: 0 })),
      /layer 'c1' \(#0\): padding must be/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[0].padding = { top: 3, bottom: 0, left: 0, right: 0 })),
      /c1.*top must be below the kernel's 3/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[1].fn = 'swish')),
      /layer 'a1' \(#1\): fn must be 'relu6', 'leakyRelu', 'sigmoid', 'tanh'/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void delete a.layers[1].alpha),
      /a1.*leakyRelu needs a finite alpha/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[3].alpha = 1)),
      /a2.*alpha is only for leakyRelu, not relu6/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[3].beta = 1)),
      /layer 'a2' \(#3\) has an unknown field 'beta'/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[4].padding = 'same')),
      /layer 'mp' \(#4\): padding must be \{ top, bottom, left, right \} of non-negative integers/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void delete a.layers[5].countIncludePad),
      /'ap'.*padding needs countIncludePad/,
    );
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[5].countIncludePad = 1)),
      /layer 'ap' \(#5\): countIncludePad must be true or false/,
    );
  });
});

describe('depthwise channel multiplier: shapes, accounting, file', () => {
  const dwArch = (multiplier: unknown): Architecture => ({
    name: 'dw-multiplier',
    inputShape: [7, 6, 3],
    layers: [
      { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 2], stride: [2, 1], padding: 'same', bias: true, multiplier } as Layer,
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 4, bias: true },
    ],
  });

  it('output [H′, W′, C·M], weight [kH, kW, C·M], bias [C·M]; MACs = H′·W′·C·M·kH·kW', () => {
    const [d1] = inferShapes(dwArch(3));
    expect(d1.output).toEqual([4, 6, 9]);
    expect(d1.weights).toEqual({ 'd1.weight': [3, 2, 9], 'd1.bias': [9] });
    const acc = accountModel(dwArch(3));
    expect(acc.layers[0].macs).toBe(4 * 6 * 9 * 3 * 2);
    expect(acc.layers[0].params).toBe(3 * 2 * 9 + 9);
  });

  it('refuses a multiplier that is not a positive integer, naming the layer', () => {
    for (const bad of [0, 1.5, -2, '2']) expect(() => inferShapes(dwArch(bad))).toThrow(/layer 'd1': multiplier must be a positive integer/);
  });

  it('round-trips through the model file; the file refuses a bad multiplier by layer', () => {
    const model = initModel(dwArch(2), 5);
    const file = serializeModel(model);
    expect(parseModel(file).architecture).toEqual(model.architecture);
    expectReject(
      withMeta(file, 'architecture', (a) => void (a.layers[0].multiplier = 0)),
      /layer 'd1' \(#0\): multiplier must be a positive integer/,
    );
  });
});
