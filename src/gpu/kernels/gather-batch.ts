import shader from '../../../shaders/gather-batch.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** One mini-batch of `batch` examples of `pixels` bytes each, gathered by the step's slice of the order. */
export interface GatherBatchParams {
  batch: number;
  pixels: number;
}

const WG = 64;

export const gatherBatch = {
  name: 'gather-batch',
  precision: 'fp32',
  shader,
  flat: { count: 'p.batch * p.pixels' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'images', kind: 'read-only-storage', wgsl: 'images', type: 'u32' },
    { name: 'labels', kind: 'read-only-storage', wgsl: 'labels', type: 'u32' },
    { name: 'order', kind: 'read-only-storage', wgsl: 'order', type: 'u32' },
    { name: 'state', kind: 'read-only-storage', wgsl: 'state', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
    { name: 'labelsOut', kind: 'storage', wgsl: 'labelsOut', type: 'u32' },
  ],
  uniforms: ['batch', 'pixels'],
  uniformValues: (s: GatherBatchParams) => [s.batch, s.pixels],
  constants: () => ({ WG }),
  dispatch: (s: GatherBatchParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch * s.pixels, WG), limits),
} satisfies KernelDescriptor<GatherBatchParams>;
