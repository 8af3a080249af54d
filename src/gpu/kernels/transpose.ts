import shader from '../../../shaders/transpose.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A row-major `[rows, cols]` matrix to `[cols, rows]`. */
export interface TransposeParams {
  rows: number;
  cols: number;
}

const WG = 64;

export const transpose = {
  name: 'transpose',
  precision: 'fp32',
  shader,
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['total', 'rows', 'cols'],
  uniformValues: (s: TransposeParams) => [s.rows * s.cols, s.rows, s.cols],
  constants: () => ({ WG }),
  dispatch: (s: TransposeParams, limits: DispatchLimits) => fold1d(ceilDiv(s.rows * s.cols, WG), limits),
} satisfies KernelDescriptor<TransposeParams>;
