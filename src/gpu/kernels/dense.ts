import shader from '../../../shaders/dense.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv } from './types.ts';

/**
 * A matmul y[M, N] = act(x[M, K] · Wᵀ + b) through workgroup-memory tiles.
 * For a dense layer M = batch; for a pointwise conv M = batch · h · w.
 * Weights use conv2d's packed `[K, ocp]` layout (see packGemmWeight).
 */
export interface DenseParams {
  /** Rows per image (1 for dense, h·w for pointwise). */
  rowsPerImage: number;
  batch: number;
  k: number;
  n: number;
  relu: boolean;
  tile: DenseTiling;
}

/** Workgroup tile; each thread computes 4×4, so the workgroup is (n/4)×(m/4) threads. */
export interface DenseTiling {
  m: number;
  n: number;
  k: number;
}

/** 64×64×16: 256 threads and 8 KiB of workgroup memory, within every WebGPU adapter's defaults. */
export const DEFAULT_DENSE_TILING: DenseTiling = { m: 64, n: 64, k: 16 };

export const dense = {
  name: 'dense',
  precision: 'fp32',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: 'f32' },
    { name: 'bias', kind: 'read-only-storage', wgsl: 'bias', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['m', 'n', 'k', 'ocp'],
  uniformValues: (s: DenseParams) => [s.batch * s.rowsPerImage, s.n, s.k, ceilDiv(s.n, 4) * 4],
  constants: (s: DenseParams) => ({ TILE_M: s.tile.m, TILE_N: s.tile.n, TILE_K: s.tile.k, RELU: s.relu ? 1 : 0 }),
  dispatch: (s: DenseParams, limits: DispatchLimits): [number, number, number] => {
    const rowTiles = ceilDiv(s.batch * s.rowsPerImage, s.tile.m);
    const max = limits.maxComputeWorkgroupsPerDimension;
    const z = ceilDiv(rowTiles, max);
    return [ceilDiv(s.n, s.tile.n), ceilDiv(rowTiles, z), z];
  },
} satisfies KernelDescriptor<DenseParams>;
