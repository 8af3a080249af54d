import shader from '../../../shaders/dense-sparse.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv } from './types.ts';

/**
 * A pruned dense layer y[batch, n] = act(x[batch, k] · Wᵀ + b) with W in
 * compressed sparse rows over the output neurons (see shaders/dense-sparse.wgsl
 * and `packCsr`).
 */
export interface DenseSparseParams {
  batch: number;
  k: number;
  n: number;
  relu: boolean;
  /** Column indices packed two u16 per word (`packCsr` decides: k ≤ 65536). */
  pack16: boolean;
  /** Threads per workgroup (over output rows). */
  wg: number;
  /** Images per thread (1–16): each loaded nonzero is reused this many times. */
  tm: number;
  /**
   * Present: the nonzeros are u8 indices into a codebook of this many
   * centroids (1…256; bindings 'codes' + 'codebook' instead of 'values',
   * code constant CODEBOOK).
   */
  centroids?: number;
}

/** Host layout of a CSR weight, the kernel's 'rows', 'cols' and 'values' bindings. */
export interface PackedCsr {
  /** [n + 1] offsets of each output row's nonzeros. */
  rows: Uint32Array;
  /** Column indices: two u16 per word when `pack16`, else one u32 each. */
  cols: Uint32Array;
  values: Float32Array;
  nnz: number;
  pack16: boolean;
}

/** Largest input width whose column indices fit a u16. */
export const PACK16_MAX_K = 65536;

/**
 * CSR of a dense weight `[n, k]` row-major (the model's dense layout),
 * keeping entries that are not exactly zero, in ascending column order.
 * Column indices are packed two per word whenever k allows (`pack16: false`
 * forces one per word, for tests of that path).
 */
export function packCsr(weight: Float32Array, n: number, k: number, options: { pack16?: boolean } = {}): PackedCsr {
  if (weight.length !== n * k) throw new Error(`packCsr: ${weight.length} values are not [${n}, ${k}]`);
  let nnz = 0;
  for (let i = 0; i < weight.length; i++) if (weight[i] !== 0) nnz++;
  const pack16 = (options.pack16 ?? true) && k <= PACK16_MAX_K;
  const rows = new Uint32Array(n + 1);
  // At least one word each: WGSL runtime arrays need a non-empty binding even for a fully pruned layer.
  const cols = new Uint32Array(Math.max(1, pack16 ? ceilDiv(nnz, 2) : nnz));
  const values = new Float32Array(Math.max(1, nnz));
  let j = 0;
  for (let o = 0; o < n; o++) {
    rows[o] = j;
    for (let c = 0; c < k; c++) {
      const v = weight[o * k + c];
      if (v === 0) continue;
      values[j] = v;
      if (pack16) cols[j >> 1] |= c << ((j & 1) * 16);
      else cols[j] = c;
      j++;
    }
  }
  rows[n] = j;
  return { rows, cols, values, nnz, pack16 };
}

/** The column of nonzero `j` (the host mirror of the shader's unpacking; used by tests and accounting). */
export function csrColumn(csr: PackedCsr, j: number): number {
  return csr.pack16 ? (csr.cols[j >> 1] >>> ((j & 1) * 16)) & 0xffff : csr.cols[j];
}

/** A CSR weight whose values are u8 codebook indices, four per word. */
export interface PackedCsrCodebook extends Omit<PackedCsr, 'values'> {
  codes: Uint32Array;
}

/**
 * CSR of a `[n, k]` weight whose entries are `codebook[symbols[i]]`: the
 * nonzero entries' column indices (as `packCsr`) and their centroid indices
 * packed four per word. Throws when a centroid index needs more than 8 bits.
 */
export function packCsrCodebook(weight: Float32Array, symbols: Int32Array, n: number, k: number, options: { pack16?: boolean } = {}): PackedCsrCodebook {
  if (symbols.length !== weight.length) throw new Error(`packCsrCodebook: ${symbols.length} indices for ${weight.length} weights`);
  const { rows, cols, nnz, pack16 } = packCsr(weight, n, k, options);
  const codes = new Uint32Array(Math.max(1, ceilDiv(nnz, 4)));
  let j = 0;
  for (let i = 0; i < weight.length; i++) {
    if (weight[i] === 0) continue;
    const s = symbols[i];
    if (!(s >= 0 && s < 256)) throw new Error(`packCsrCodebook: centroid index ${s} at ${i} does not fit 8 bits`);
    codes[j >> 2] |= s << ((j & 3) * 8);
    j++;
  }
  return { rows, cols, codes, nnz, pack16 };
}

export const denseSparse = {
  name: 'dense-sparse',
  precision: 'fp32',
  /** A template: see `codeConstants`. */
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'rows', kind: 'read-only-storage', wgsl: 'rows', type: 'u32' },
    { name: 'cols', kind: 'read-only-storage', wgsl: 'cols', type: 'u32' },
    { name: 'values', kind: 'read-only-storage', wgsl: 'values', type: 'f32', when: (code) => !code.CODEBOOK },
    { name: 'codes', kind: 'read-only-storage', wgsl: 'codes', type: 'u32', when: (code) => !!code.CODEBOOK },
    { name: 'codebook', kind: 'read-only-storage', wgsl: 'codebook', type: 'f32', when: (code) => !!code.CODEBOOK },
    { name: 'bias', kind: 'read-only-storage', wgsl: 'bias', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  /** centroids: the codebook's size (CODEBOOK only). */
  uniforms: ['batch', 'k', 'n', 'blocks', 'centroids'],
  uniformValues: (s: DenseSparseParams) => {
    if (s.centroids !== undefined && !(s.centroids >= 1 && s.centroids <= 256)) throw new Error(`dense-sparse: 1..256 codebook centroids, got ${s.centroids}`);
    return [s.batch, s.k, s.n, ceilDiv(s.batch, s.tm), s.centroids ?? 0];
  },
  constants: (s: DenseSparseParams) => {
    if (!(s.tm >= 1 && s.tm <= 16 && Number.isInteger(s.tm))) throw new Error(`dense-sparse: images per thread must be 1..16, got ${s.tm}`);
    if (s.pack16 && s.k > PACK16_MAX_K) throw new Error(`dense-sparse: k = ${s.k} does not fit u16 column indices`);
    return { WG: s.wg, RELU: s.relu ? 1 : 0, TM: s.tm, PACK16: s.pack16 ? 1 : 0, CODEBOOK: s.centroids === undefined ? 0 : 1 };
  },
  /** CODEBOOK: values are u8 codebook indices (codes + codebook) instead of f32. */
  codeConstants: ['TM', 'PACK16', 'CODEBOOK'],
  variant: (c: Record<string, number>) => (c.CODEBOOK ? 'codebook' : undefined),
  dispatch: (s: DenseSparseParams, limits: DispatchLimits): [number, number, number] => {
    const blocks = ceilDiv(s.batch, s.tm);
    const z = ceilDiv(blocks, limits.maxComputeWorkgroupsPerDimension);
    return [ceilDiv(s.n, s.wg), ceilDiv(blocks, z), z];
  },
} satisfies KernelDescriptor<DenseSparseParams>;
