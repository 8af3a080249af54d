/**
 * Models and comparisons shared by the peer parity tests. Test-only: nothing
 * in the engine or the benchmark imports this.
 */
import { expect } from 'vitest';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import type { Architecture } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { sizeOf } from '../model/shapes.ts';

/**
 * Odd sizes, strides 2 with `same` padding whose totals are odd (so the extra
 * pixel must land after), a strided `valid` conv that leaves a trailing column
 * unread, a depthwise conv on 4 channels, layers without bias, both pools and
 * a softmax: what the MNIST nets do not exercise.
 */
export function oddArchitecture(): Architecture {
  return {
    name: 'odd-strided',
    inputShape: [15, 13, 2],
    layers: [
      // h: out 8, pad total 7·2+4−15 = 3 → 1 before, 2 after; w: out 7, total 6·2+3−13 = 2 → 1, 1.
      { kind: 'conv2d', name: 'c1', filters: 4, kernel: [4, 3], stride: [2, 2], padding: 'same', bias: true },
      { kind: 'relu', name: 'r1' },
      // h: 8 → 4, total 3·2+3−8 = 1 → 0 before, 1 after; w: 7 → 7, total 6+2−7 = 1 → 0, 1.
      { kind: 'depthwiseConv2d', name: 'dw', kernel: [3, 2], stride: [2, 1], padding: 'same', bias: true },
      // h: 4 → 3; w: 7 → floor(5/2)+1 = 3, the last column is never read.
      { kind: 'conv2d', name: 'c2', filters: 6, kernel: [2, 2], stride: [1, 2], padding: 'valid', bias: false },
      { kind: 'maxPool2d', name: 'mp', window: [2, 2], stride: [1, 1] },
      { kind: 'avgPool2d', name: 'ap', window: [2, 1], stride: [1, 1] },
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc1', units: 9, bias: true },
      { kind: 'relu', name: 'r2' },
      { kind: 'dense', name: 'fc2', units: 10, bias: false },
      { kind: 'softmax', name: 'sm' },
    ],
  };
}

/**
 * What an importer brings from PyTorch / Keras: explicit asymmetric conv
 * pads (conv2d and depthwise), every `activation` fn, padded max and average
 * pools (countIncludePad both ways) and global average pooling (avgPool2d
 * over the whole image).
 */
export function importedArchitecture(): Architecture {
  return {
    name: 'imported',
    inputShape: [11, 10, 2],
    layers: [
      // h: (11 + 2 + 0 − 3) / 2 + 1 = 6; w: floor((10 + 1 + 2 − 4) / 2) + 1 = 5.
      { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 4], stride: [2, 2], padding: { top: 2, bottom: 0, left: 1, right: 2 }, bias: true },
      { kind: 'activation', name: 'a1', fn: 'leakyRelu', alpha: 0.125 },
      // h: 6 + 1 − 2 + 1 = 6; w: 5 + 1 − 2 + 1 = 5.
      { kind: 'depthwiseConv2d', name: 'dw', kernel: [2, 2], stride: [1, 1], padding: { top: 0, bottom: 1, left: 1, right: 0 }, bias: true },
      { kind: 'activation', name: 'a2', fn: 'relu6' },
      { kind: 'activation', name: 'a3', fn: 'sigmoid' },
      // Padded pools keep 6×5: max (padded taps skipped), average without and with the pads in the count.
      { kind: 'maxPool2d', name: 'mp', window: [3, 3], stride: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 } },
      { kind: 'avgPool2d', name: 'apx', window: [2, 2], stride: [1, 1], padding: { top: 0, bottom: 1, left: 1, right: 0 }, countIncludePad: false },
      { kind: 'avgPool2d', name: 'api', window: [2, 2], stride: [1, 1], padding: { top: 1, bottom: 0, left: 0, right: 1 }, countIncludePad: true },
      { kind: 'avgPool2d', name: 'gap', window: [6, 5], stride: [6, 5] },
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
      { kind: 'activation', name: 'a4', fn: 'tanh' },
    ],
  };
}

/** Depthwise layers with channel multipliers 2 (1 → 2 channels, then relu) and 3 (2 → 6, then relu6), then a dense layer. */
export function multiplierArchitecture(): Architecture {
  return {
    name: 'dw-multiplier',
    inputShape: [28, 28, 1],
    layers: [
      { kind: 'depthwiseConv2d', name: 'dw1', kernel: [5, 5], stride: [2, 2], padding: 'valid', bias: true, multiplier: 2 },
      { kind: 'relu', name: 'r1' },
      { kind: 'depthwiseConv2d', name: 'dw2', kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true, multiplier: 3 },
      { kind: 'activation', name: 'a2', fn: 'relu6' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ],
  };
}

/**
 * A seeded model whose biases are random too: `initModel` zeroes them, which
 * would let a dropped or misplaced bias pass unnoticed.
 */
export function testModel(arch: Architecture, seed: number): Model {
  const model = initModel(arch, seed);
  const rand = mulberry32(seed * 7919 + 17);
  for (const [name, t] of Object.entries(model.weights)) {
    if (name.endsWith('.bias')) for (let i = 0; i < t.length; i++) t[i] = 0.5 * (rand() * 2 - 1);
  }
  return model;
}

/** Every built-in architecture plus the odd one, as seeded test models. */
export function allTestModels(): Model[] {
  const names = Object.keys(ARCHITECTURES);
  return [...names.map((n, i) => testModel(architecture(n), 11 + i)), testModel(oddArchitecture(), 5), testModel(importedArchitecture(), 6)];
}

/** `batch` images for a model, uniform in [-1, 1), seeded. */
export function testInput(model: Model, batch: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(batch * sizeOf(model.architecture.inputShape));
  for (let i = 0; i < x.length; i++) x[i] = rand() * 2 - 1;
  return x;
}

function argmaxRows(a: Float32Array, rows: number): number[] {
  const cols = a.length / rows;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (a[r * cols + c] > a[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Asserts |got − want| ≤ 1e-4 + 1e-4·|want| everywhere and the same argmax per image. */
export function expectLogitsClose(got: Float32Array, want: Float32Array, batch: number, label: string): void {
  expect(got.length, `${label}: output length`).toBe(want.length);
  let worstAt = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (1e-4 + 1e-4 * Math.abs(want[i]));
    // NaN counts as the worst possible mismatch.
    if (Number.isNaN(excess) || excess > worstExcess) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worstAt = i;
    }
  }
  const detail = worstAt >= 0 ? `worst at ${worstAt}: got ${got[worstAt]}, want ${want[worstAt]}` : 'none';
  expect(worstAt, `${label}: values beyond abs 1e-4 + rel 1e-4 (${detail})`).toBe(-1);
  expect(argmaxRows(got, batch), `${label}: argmax`).toEqual(argmaxRows(want, batch));
}
