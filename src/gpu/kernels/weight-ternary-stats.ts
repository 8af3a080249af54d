import shader from '../../../shaders/weight-ternary-stats.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Per-channel (or, with channels = 1, per-tensor) (Δ, α) of ternary (TWN) or binary (BWN) fake quantization. */
export interface WeightTernaryStatsParams {
  channels: number;
  k: number;
  strideO: number;
  strideK: number;
  /** false: binary (Δ = 0, α = mean |w|). */
  ternary: boolean;
}

const WG = 64;

export const weightTernaryStats = {
  name: 'weight-ternary-stats',
  precision: 'fp32',
  shader,
  flat: { count: 'p.channels' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'w', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'out', type: 'f32' },
  ],
  uniforms: ['channels', 'k', 'strideO', 'strideK'],
  uniformValues: (s: WeightTernaryStatsParams) => [s.channels, s.k, s.strideO, s.strideK],
  constants: (s: WeightTernaryStatsParams) => ({ WG, TERNARY: s.ternary ? 1 : 0 }),
  dispatch: (s: WeightTernaryStatsParams, limits: DispatchLimits) => fold1d(ceilDiv(s.channels, WG), limits),
} satisfies KernelDescriptor<WeightTernaryStatsParams>;
