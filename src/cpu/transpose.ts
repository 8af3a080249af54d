/** Reference of the GPU `transpose` kernel: a row-major [rows, cols] matrix as [cols, rows]. */
export function transposeMatrix(x: Float32Array, rows: number, cols: number): Float32Array {
  if (x.length < rows * cols) throw new Error(`transposeMatrix: ${x.length} values, a ${rows}×${cols} matrix needs ${rows * cols}`);
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c];
  return y;
}
