import shader from '../../../shaders/pack-weight.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/**
 * Master weight → the forward kernels' layout, optionally fake-quantized.
 * `transpose`: conv2d/dense `[oc, K]` → `[K, ocp]`; otherwise (depthwise)
 * `[K, oc]` is copied as is.
 */
export interface PackWeightParams {
  oc: number;
  k: number;
  transpose: boolean;
  /** Symmetric fake quantization with this many bits (2..16), or 0 for none. */
  bits: number;
  perChannel: boolean;
  /** 'ternary' / 'binary': (Δ, α) pairs from weight-ternary-stats instead of linear scales (bits ignored). */
  mode?: 'linear' | 'ternary' | 'binary';
}

const WG = 64;

/** Largest quantized magnitude for symmetric signed `bits` (e.g. 127 for 8). */
export const qmaxOf = (bits: number): number => (bits > 0 ? 2 ** (bits - 1) - 1 : 1);

export const packWeight = {
  name: 'pack-weight',
  precision: 'fp32',
  shader,
  flat: { count: 'p.oc * p.k' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'master', kind: 'read-only-storage', wgsl: 'master', type: 'f32' },
    { name: 'scales', kind: 'read-only-storage', wgsl: 'scales', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'packed', type: 'f32' },
  ],
  uniforms: ['oc', 'k', 'ocp', 'qmax'],
  floatUniforms: ['qmax'],
  uniformValues: (s: PackWeightParams) => [s.oc, s.k, ceilDiv(s.oc, 4) * 4, qmaxOf(s.bits)],
  constants: (s: PackWeightParams) => ({
    WG,
    TRANSPOSE: s.transpose ? 1 : 0,
    QUANT: s.mode === 'ternary' ? 2 : s.mode === 'binary' ? 3 : s.bits > 0 ? 1 : 0,
    PER_CHANNEL: s.perChannel ? 1 : 0,
  }),
  dispatch: (s: PackWeightParams, limits: DispatchLimits) => fold1d(ceilDiv(s.oc * s.k, WG), limits),
} satisfies KernelDescriptor<PackWeightParams>;
