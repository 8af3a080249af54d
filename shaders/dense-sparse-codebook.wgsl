/*
 * dense-sparse-codebook — dense-sparse (see dense-sparse.wgsl) whose nonzero
 * values are codebook indices: a pruned and weight-shared layer (Deep
 * Compression: prune, then k-means) computed from its compressed form, with
 * neither the zeros nor an fp32 copy of the values on the GPU.
 *
 *   y[i, o] = act(b[o] + Σ_{j ∈ [rows[o], rows[o+1])} codebook[code(j)] · x[i, col(j)])
 *
 * Layouts: as dense-sparse, with `values` replaced by codes — one u8 centroid
 * index per nonzero, four per u32 word (nonzero j in word j / 4, lowest byte
 * first) — and codebook [≤ 256] f32. The codebook is copied into workgroup
 * memory once per workgroup (every thread looks up every nonzero there).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 rows (read) ·
 *   3 cols (read) · 4 codes (read) · 5 codebook (read) · 6 b (read) ·
 *   7 y (read_write)
 * Dispatch: as dense-sparse (WG threads over output rows, y·z over blocks of
 *   TM images); a thread past n still helps copy the codebook, then returns.
 * Code constants: TM (images per thread; `$r` lines repeat) and PACK16.
 */
override WG: u32 = 64u;
override RELU: u32 = 0u;

struct Params {
  batch: u32,
  k: u32,
  n: u32,
  blocks: u32,
  centroids: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read> cols: array<u32>;
@group(0) @binding(4) var<storage, read> codes: array<u32>;
@group(0) @binding(5) var<storage, read> codebook: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

var<workgroup> book: array<f32, 256>;

fn act(v: f32) -> f32 {
  if (RELU == 1u) {
    return max(v, 0.0);
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  for (var i = lid.x; i < p.centroids; i += WG) {
    book[i] = codebook[i];
  }
  workgroupBarrier();
  let o = wid.x * WG + lid.x;
  let blk = wid.y + wid.z * nwg.y;
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
    let v = book[(codes[j >> 2u] >> ((j & 3u) * 8u)) & 0xffu];
    acc$r += v * x[xb$r + c];
  }
  if (img0 + $ru <= last) { y[(img0 + $ru) * p.n + o] = act(acc$r); }
}
