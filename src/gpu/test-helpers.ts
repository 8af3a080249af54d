/** Shared by the GPU test files: one device per file, models from layer lists, CPU comparison. */
import { expect } from 'vitest';
import type { Architecture, Layer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';

/** A seeded model for `layers` with non-zero biases (initModel leaves them at zero, which would hide bias bugs). */
export function modelOf(name: string, inputShape: [number, number, number], layers: Layer[], seed = 7): Model {
  const arch: Architecture = { name, inputShape, layers };
  const model = initModel(arch, seed);
  const rand = mulberry32(seed + 1);
  for (const [k, v] of Object.entries(model.weights)) if (k.endsWith('.bias')) for (let i = 0; i < v.length; i++) v[i] = rand() - 0.5;
  return model;
}

export function randomInput(n: number, seed = 3): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rand() * 2 - 1;
  return x;
}

/** |a − e| ≤ abs + rel·|e| everywhere; the failure names the worst index. */
export function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, abs = 1e-4, rel = 1e-4): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (±${abs} + ${rel}·|e|)`);
}

/** Argmax agreement wherever the reference's top-2 margin is larger than the tolerance (ties may flip legitimately). */
export function expectSameClasses(gpu: Int32Array, logits: Float32Array, classes: number, what: string, margin = 1e-3): void {
  for (let r = 0; r < gpu.length; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const sorted = row.slice().sort((a, b) => b - a);
    if (sorted[0] - sorted[1] <= margin) continue;
    expect(gpu[r], `${what}: row ${r}`).toBe(row.indexOf(sorted[0]));
  }
}

/**
 * A small net with every op kind the int8 path lowers: same padding, channels
 * 3 and 5, avg pool then relu, depthwise stride 2, pointwise, a max pool that
 * cannot fuse (stride 1), dense. Input [11, 13, 2].
 */
export const EVERY_OP_INPUT: [number, number, number] = [11, 13, 2];
export const EVERY_OP_LAYERS: Layer[] = [
  { kind: 'conv2d', name: 'c1', filters: 5, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
  { kind: 'avgPool2d', name: 'p1', window: [2, 2], stride: [2, 2] },
  { kind: 'relu', name: 'r1' },
  { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true },
  { kind: 'relu', name: 'r2' },
  { kind: 'conv2d', name: 'pw', filters: 3, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
  { kind: 'maxPool2d', name: 'p2', window: [2, 2], stride: [1, 1] },
  { kind: 'flatten', name: 'flat' },
  { kind: 'dense', name: 'fc', units: 7, bias: true },
];
