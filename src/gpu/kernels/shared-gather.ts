import shader from '../../../shaders/shared-gather.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A weight tensor from its shared values: w[i] = values[assign[i]] (0xffffffff → 0, a pruned weight). */
export interface SharedGatherParams {
  size: number;
}

const WG = 64;

/** The assignment a pruned weight gets in shared-gather. */
export const PRUNED = 0xffffffff;

export const sharedGather = {
  name: 'shared-gather',
  precision: 'fp32',
  shader,
  flat: { count: 'p.size' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'values', kind: 'read-only-storage', wgsl: 'values', type: 'f32' },
    { name: 'assign', kind: 'read-only-storage', wgsl: 'assign', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'w', type: 'f32' },
  ],
  uniforms: ['size'],
  uniformValues: (s: SharedGatherParams) => [s.size],
  constants: () => ({ WG }),
  dispatch: (s: SharedGatherParams, limits: DispatchLimits) => fold1d(ceilDiv(s.size, WG), limits),
} satisfies KernelDescriptor<SharedGatherParams>;
