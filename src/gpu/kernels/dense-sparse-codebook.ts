import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv } from './types.ts';
import type { DenseSparseParams, PackedCsr } from './dense-sparse.ts';
import { denseSparse, denseSparseBaseUniformValues, packCsr } from './dense-sparse.ts';

/** dense-sparse with codebook indices for values (the CODEBOOK variant of shaders/dense-sparse.wgsl). */
export interface DenseSparseCodebookParams extends DenseSparseParams {
  /** Centroids in the codebook (1…256). */
  centroids: number;
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

export const denseSparseCodebook = {
  name: 'dense-sparse-codebook',
  precision: 'f32',
  shader: denseSparse.shader,
  bindings: denseSparse.bindings,
  uniforms: denseSparse.uniforms,
  uniformValues: (s: DenseSparseCodebookParams) => {
    if (!(s.centroids >= 1 && s.centroids <= 256)) throw new Error(`dense-sparse-codebook: 1..256 centroids, got ${s.centroids}`);
    return [...denseSparseBaseUniformValues(s), s.centroids];
  },
  constants: (s: DenseSparseCodebookParams) => ({ ...denseSparse.constants(s), CODEBOOK: 1 }),
  codeConstants: denseSparse.codeConstants,
  dispatch: (s: DenseSparseCodebookParams, limits: DispatchLimits): [number, number, number] => denseSparse.dispatch(s, limits),
} satisfies KernelDescriptor<DenseSparseCodebookParams>;
