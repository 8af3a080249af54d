import shader from '../../../shaders/argmax.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Row-wise argmax (first index on ties) into a u32 per row. */
export interface ArgmaxParams {
  batch: number;
  classes: number;
}

const WG = 64;

export const argmax = {
  name: 'argmax',
  precision: 'fp32',
  shader,
  flat: { count: 'p.rows' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  uniforms: ['rows', 'classes'],
  uniformValues: (s: ArgmaxParams) => [s.batch, s.classes],
  constants: () => ({ WG }),
  dispatch: (s: ArgmaxParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch, WG), limits),
} satisfies KernelDescriptor<ArgmaxParams>;
