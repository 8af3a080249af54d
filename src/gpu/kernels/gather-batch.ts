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
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'images', kind: 'read-only-storage' },
    { name: 'labels', kind: 'read-only-storage' },
    { name: 'order', kind: 'read-only-storage' },
    { name: 'state', kind: 'read-only-storage' },
    { name: 'output', kind: 'storage' },
    { name: 'labelsOut', kind: 'storage' },
  ],
  uniforms: ['batch', 'pixels'],
  uniformValues: (s: GatherBatchParams) => [s.batch, s.pixels],
  constants: () => ({ WG }),
  dispatch: (s: GatherBatchParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch * s.pixels, WG), limits),
} satisfies KernelDescriptor<GatherBatchParams>;
