/**
 * Helpers shared by the CPU reference tests (seeded data, layer builders,
 * tolerant comparison). Test-only: nothing in the engine imports this.
 */
import { expect } from 'vitest';
import type { Conv2dLayer, DepthwiseConv2dLayer, DenseLayer, Pool2dLayer } from '../model/layers.ts';

/** `n` uniform values in [lo, hi), rounded to float32. */
export function randomF32(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

/**
 * `n` distinct values in [-1, 1) spaced by 2/n, shuffled: max-pool windows
 * then have no ties and no near-ties for a finite-difference step to cross.
 */
export function distinctF32(rand: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = -1 + (2 * i) / n;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Uniform values with |x| in [0.1, 1): no relu kink within a finite-difference step. */
export function awayFromZeroF32(rand: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (0.1 + 0.9 * rand()) * (rand() < 0.5 ? -1 : 1);
  return a;
}

export const conv2d = (over: Partial<Conv2dLayer> = {}): Conv2dLayer => ({
  kind: 'conv2d',
  name: 'conv',
  filters: 1,
  kernel: [2, 2],
  stride: [1, 1],
  padding: 'valid',
  bias: false,
  ...over,
});

export const depthwise = (over: Partial<DepthwiseConv2dLayer> = {}): DepthwiseConv2dLayer => ({
  kind: 'depthwiseConv2d',
  name: 'dw',
  kernel: [2, 2],
  stride: [1, 1],
  padding: 'valid',
  bias: false,
  ...over,
});

export const pool = (kind: Pool2dLayer['kind'], window: [number, number], stride: [number, number], name = 'pool'): Pool2dLayer => ({
  kind,
  name,
  window,
  stride,
});

export const dense = (units: number, bias = true, name = 'fc'): DenseLayer => ({ kind: 'dense', name, units, bias });

/**
 * Asserts |a − e| ≤ abs + rel·|e| element-wise, reporting the worst element
 * (index, both values) so a failure says where.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, abs = 1e-6, rel = 1e-6): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = excess;
      if (Number.isNaN(excess)) break;
    }
  }
  const msg = worst < 0 ? '' : `${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]}`;
  expect(worst, msg).toBe(-1);
}
