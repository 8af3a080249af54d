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
