/**
 * Float32 reference of the sparse dense-layer kernel (shaders/dense-sparse.wgsl):
 * y[i, o] = act(b[o] + Σ values[j] · x[i, cols[j]]) over row o's nonzeros
 * j ∈ [rows[o], rows[o+1]). Column indices here are plain (unpacked): the
 * oracle shares no packing code with the GPU path it checks.
 */
import type { FloatArray } from './common.ts';

/** A CSR matrix over output rows, columns unpacked. */
export interface Csr {
  rows: ArrayLike<number>;
  cols: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** CSR of a `[n, k]` row-major weight: every entry that is not exactly zero, ascending columns. */
export function csrOf(weight: ArrayLike<number>, n: number, k: number): Csr {
  const rows = [0];
  const cols: number[] = [];
  const values: number[] = [];
  for (let o = 0; o < n; o++) {
    for (let c = 0; c < k; c++) {
      const v = weight[o * k + c];
      if (v !== 0) {
        cols.push(c);
        values.push(v);
      }
    }
    rows.push(cols.length);
  }
  return { rows, cols, values };
}

export function denseSparseForward(batch: number, k: number, n: number, x: FloatArray, w: Csr, b: FloatArray | undefined, relu: boolean, y: FloatArray): void {
  for (let i = 0; i < batch; i++) {
    for (let o = 0; o < n; o++) {
      // Math.fround per step: f32 accumulation, as the kernel does.
      let acc = b ? b[o] : 0;
      for (let j = w.rows[o]; j < w.rows[o + 1]; j++) acc = Math.fround(acc + Math.fround(w.values[j] * x[i * k + w.cols[j]]));
      y[i * n + o] = relu ? Math.max(acc, 0) : acc;
    }
  }
}

/** A CSR matrix whose values are indices into a codebook (the dense-sparse:codebook kernel's meaning). */
export interface CsrCodebook {
  rows: ArrayLike<number>;
  cols: ArrayLike<number>;
  codes: ArrayLike<number>;
}

/** CSR of a `[n, k]` weight given as centroid indices `symbols` into `codebook`; entries whose centroid is exactly zero are left out. */
export function csrCodebookOf(symbols: ArrayLike<number>, codebook: ArrayLike<number>, n: number, k: number): CsrCodebook {
  const rows = [0];
  const cols: number[] = [];
  const codes: number[] = [];
  for (let o = 0; o < n; o++) {
    for (let c = 0; c < k; c++) {
      const s = symbols[o * k + c];
      if (codebook[s] !== 0) {
        cols.push(c);
        codes.push(s);
      }
    }
    rows.push(cols.length);
  }
  return { rows, cols, codes };
}

export function denseSparseCodebookForward(
  batch: number,
  k: number,
  n: number,
  x: FloatArray,
  w: CsrCodebook,
  codebook: ArrayLike<number>,
  b: FloatArray | undefined,
  relu: boolean,
  y: FloatArray,
): void {
  const values = Array.from(w.codes, (s) => codebook[s]);
  denseSparseForward(batch, k, n, x, { rows: w.rows, cols: w.cols, values }, b, relu, y);
}
