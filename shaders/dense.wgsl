/*
 * dense — y = act(x · Wᵀ + b) as a matmul tiled through workgroup memory:
 * the variant for real GPUs, where a workgroup stages a TILE_M × TILE_K block
 * of x and a TILE_K × TILE_N block of W in shared memory and every thread
 * then computes a 4 × 4 register micro-tile from it. (On CPU adapters the
 * barriers cost more than the reuse saves; they run dense layers through the
 * register-blocked conv2d kernel as 1×1 convolutions of 1×1 images.)
 * Also serves pointwise (1×1, stride 1) convolutions: NHWC pixels are rows.
 *
 *   y[m, o] = act(b[o] + Σ_k x[m, k] · w[o, k])      m < M (batch folded in), o < N
 *
 * Layouts: x [M, K] row-major; w packed by the host as [K, ocp] (ocp = N
 * rounded up to 4, zero padded; the same packing conv2d uses); b [ocp]
 * (zeros if no bias); y [M, N] row-major.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 b (read) · 4 y (read_write)
 * Dispatch: workgroup_size(TILE_N / 4, TILE_M / 4); wid.x = column tile,
 *   row tile = wid.y + wid.z·nwg.y; x = ceil(N / TILE_N), y·z = ceil(M / TILE_M).
 */
override TILE_M: u32 = 64u;
override TILE_N: u32 = 64u;
override TILE_K: u32 = 16u;
override RELU: u32 = 0u;

const RM: u32 = 4u;
const RN: u32 = 4u;

var<workgroup> tileX: array<f32, TILE_M * TILE_K>;
var<workgroup> tileW: array<f32, TILE_K * TILE_N>;

@compute @workgroup_size(TILE_N / RN, TILE_M / RM)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let threads = (TILE_N / RN) * (TILE_M / RM);
  let t = lid.y * (TILE_N / RN) + lid.x;
  let row0 = (wid.y + wid.z * nwg.y) * TILE_M;
  let col0 = wid.x * TILE_N;
  var acc: array<array<f32, RN>, RM>;

  for (var k0 = 0u; k0 < p.k; k0 += TILE_K) {
    // Cooperative, bounds-checked loads; out-of-range elements are zeros.
    for (var i = t; i < TILE_M * TILE_K; i += threads) {
      let r = row0 + i / TILE_K;
      let kk = k0 + i % TILE_K;
      tileX[i] = select(0.0, x[min(r * p.k + kk, arrayLength(&x) - 1u)], (r < p.m) & (kk < p.k));
    }
    for (var i = t; i < TILE_K * TILE_N; i += threads) {
      let kk = k0 + i / TILE_N;
      let c = col0 + i % TILE_N;
      tileW[i] = select(0.0, wt[min(kk * p.ocp + c, arrayLength(&wt) - 1u)], (kk < p.k) & (c < p.ocp));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var a: array<f32, RM>;
      var b: array<f32, RN>;
      for (var r = 0u; r < RM; r++) {
        a[r] = tileX[(lid.y * RM + r) * TILE_K + kk];
      }
      for (var c = 0u; c < RN; c++) {
        b[c] = tileW[kk * TILE_N + lid.x * RN + c];
      }
      for (var r = 0u; r < RM; r++) {
        for (var c = 0u; c < RN; c++) {
          acc[r][c] += a[r] * b[c];
        }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < RM; r++) {
    let row = row0 + lid.y * RM + r;
    if (row >= p.m) {
      break;
    }
    for (var c = 0u; c < RN; c++) {
      let col = col0 + lid.x * RN + c;
      if (col < p.n) {
        var v = acc[r][c] + bias[col];
        if (RELU == 1u) {
          v = max(v, 0.0);
        }
        y[row * p.n + col] = v;
      }
    }
  }
}
