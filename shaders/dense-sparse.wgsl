/*
 * dense-sparse — y = act(x · Wᵀ + b) for a pruned dense layer whose weight is
 * stored as compressed sparse rows (CSR) over the output neurons: only the
 * nonzeros are read and multiplied, so the work is nnz · batch instead of
 * n · k · batch.
 *
 *   y[i, o] = act(b[o] + Σ_{j ∈ [rows[o], rows[o+1])} values[j] · x[i, col(j)])
 *             i < batch, o < n
 *
 * Layouts: x [batch, k] row-major; rows [n + 1] u32 offsets into the
 * nonzeros; cols the column of each nonzero — with PACK16 two u16 per u32
 * word (nonzero j in word j / 2, low half first; k ≤ 65536), halving the
 * index traffic, else one u32 each; values [nnz] f32 (nonzeros of a row in
 * ascending column order, so the sum runs in the same order as the dense
 * reference); b [≥ n] (zeros if no bias); y [batch, n] row-major.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 rows (read) ·
 *   3 cols (read) · 4 values (read) · 5 b (read) · 6 y (read_write)
 * Dispatch: workgroup_size(WG); one thread per (output row, block of TM
 *   images): o = wid.x·WG + lid.x, image block = wid.y + wid.z·nwg.y;
 *   x = ceil(n / WG), y·z = ceil(batch / TM). Each loaded nonzero (column
 *   and value) is reused for TM images — the sparse analogue of a register
 *   block. Rows past n and images past the batch return / are not stored;
 *   surplus images of the last block read the batch's last image (clamped) so
 *   loads need no bounds branch.
 * Code constants (generated, see src/gpu/kernels/dense-sparse.ts): TM
 *   (images per thread; one accumulator each, lines with `$r` repeat),
 *   PACK16 and CODEBOOK.
 *
 * CODEBOOK (kernel 'dense-sparse-codebook'): the nonzero values are codebook
 * indices — a pruned and weight-shared layer (Deep Compression: prune, then
 * k-means) computed from its compressed form, with neither the zeros nor an
 * fp32 copy of the values on the GPU: values[j] = codebook[code(j)], one u8
 * centroid index per nonzero, four per u32 word (nonzero j in word j / 4,
 * lowest byte first), codebook [≤ 256] f32, copied into workgroup memory once
 * per workgroup (every thread looks up every nonzero there; a thread past n
 * still helps copy it, then returns). Params gains `centroids`. Bindings:
 * 0 Params · 1 x · 2 rows · 3 cols · 4 codes · 5 codebook · 6 b · 7 y.
 */
override WG: u32 = 64u;
override RELU: u32 = 0u;

//#if CODEBOOK
var<workgroup> book: array<f32, 256>;
//#endif

fn act(v: f32) -> f32 {
  if (RELU == 1u) {
    return max(v, 0.0);
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = wid.x * WG + lid.x;
  let blk = wid.y + wid.z * nwg.y;
//#if CODEBOOK
  // Every thread helps copy the codebook on chip before any may return (the barrier needs the whole workgroup).
  for (var i = lid.x; i < p.centroids; i += WG) {
    book[i] = codebook[i];
  }
  workgroupBarrier();
//#endif
  if (o >= p.n || blk >= p.blocks) {
    return;
  }
  let img0 = blk * $TM;
  let last = p.batch - 1u;
  let b = bias[o];
  // Accumulators start at the bias: the same summation order as the CPU reference.
  let xb$r = min(img0 + $ru, last) * p.k;
  var acc$r = b;
  let end = rows[o + 1u];
  for (var j = rows[o]; j < end; j++) {
//#if PACK16
    let c = (cols[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
//#else
    let c = cols[j];
//#endif
//#if CODEBOOK
    let v = book[(codes[j >> 2u] >> ((j & 3u) * 8u)) & 0xffu];
//#else
    let v = values[j];
//#endif
    acc$r += v * x[xb$r + c];
  }
  if (img0 + $ru <= last) { y[(img0 + $ru) * p.n + o] = act(acc$r); }
}
