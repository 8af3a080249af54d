import shader from '../../../shaders/col-sum.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Column sums of a `[rows, n]` matrix, rows added in order. */
export interface ColSumParams {
  rows: number;
  n: number;
}

const WG = 64;

export const colSum = {
  name: 'col-sum',
  precision: 'fp32',
  shader,
  flat: { count: 'p.n' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['rows', 'n'],
  uniformValues: (s: ColSumParams) => [s.rows, s.n],
  constants: () => ({ WG }),
  dispatch: (s: ColSumParams, limits: DispatchLimits) => fold1d(ceilDiv(s.n, WG), limits),
} satisfies KernelDescriptor<ColSumParams>;
