import shader from '../../../shaders/matmul.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** C[m, n] = A[m, k] · B[k, n]; k and n multiples of 4. */
export interface MatmulParams {
  m: number;
  n: number;
  k: number;
  /** Register block: rows per thread (1–16) and column words (4 columns) per thread (1–4). */
  tm: number;
  tn4: number;
  /** Threads per workgroup. */
  wg: number;
}

export const matmul = {
  name: 'matmul',
  precision: 'fp32',
  /** A template: see `codeConstants`. */
  shader,
  lib: ['flat-index'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'a', type: 'vec4<f32>' },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'b', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'c', type: 'vec4<f32>' },
  ],
  uniforms: ['m', 'n4', 'k4'],
  uniformValues: (s: MatmulParams) => {
    if (s.k % 4 || s.n % 4) throw new Error(`matmul: k (${s.k}) and n (${s.n}) must be multiples of 4`);
    return [s.m, s.n / 4, s.k / 4];
  },
  constants: (s: MatmulParams) => ({ WG: s.wg, TM: s.tm, TN4: s.tn4 }),
  codeConstants: ['TM', 'TN4'],
  dispatch: (s: MatmulParams, limits: DispatchLimits) => fold1d(ceilDiv(ceilDiv(s.m, s.tm), s.wg), limits, ceilDiv(s.n / 4, s.tn4)),
} satisfies KernelDescriptor<MatmulParams>;
