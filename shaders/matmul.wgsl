/*
 * matmul — C = A · B in f32, register-blocked, no workgroup memory: the
 * roofline microkernel the benchmark measures (and the autotune's probe).
 * The same GEMM blocking as conv2d without the convolution's address
 * arithmetic, so "how close is a model to the matmul roofline" compares like
 * with like. Real GPUs' tiled counterpart is dense.wgsl (workgroup memory).
 *
 *   C[m, n] = Σ_k A[m, k] · B[k, n]
 *
 * Layouts: A [M, K] row-major as vec4 words along k (K % 4 == 0);
 * B [K, N] row-major as vec4 words along n (N % 4 == 0); C [M, N] likewise.
 * Bindings (group 0): 0 uniform Params · 1 A (read) · 2 B (read) · 3 C (read_write)
 * Dispatch: workgroup_size(WG); thread t = (wid.x + wid.z·nwg.x)·WG + lid owns
 *   rows [t·TM, t·TM + TM) and column words [wid.y·TN4, wid.y·TN4 + TN4);
 *   x·z = ceil(ceil(M / TM) / WG), y = ceil(N / 4 / TN4).
 *
 * TEMPLATE (expandTemplate in src/gpu/kernels/types.ts): TM × TN4 is fixed
 * per generated variant; a line holding $-r, $-j or $-q (without the dash)
 * repeats per row, column word and vec4 component, so the accumulators are
 * named registers. Neighbouring invocations (SIMD lanes on a CPU adapter)
 * take neighbouring row blocks and the same B words.
 */
override WG: u32 = 64u;
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row0 = flatIndex(wid, nwg, lid, WG) * TM;
  if (row0 >= p.m) {
    return;
  }
  let j0 = wid.y * TN4;
  // Out-of-range rows and words read valid data (clamped); they are never stored.
  let jb$j = min(j0 + $ju, p.n4 - 1u);
  let ar$r = min(row0 + $ru, p.m - 1u) * p.k4;
  var acc$r_$j = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < p.k4; k4++) {
    let k = k4 * 4u;
    let b$j_$q = b[(k + $qu) * p.n4 + jb$j];
    let a$r = a[ar$r + k4];
    acc$r_$j += a$r.x * b$j_0 + a$r.y * b$j_1 + a$r.z * b$j_2 + a$r.w * b$j_3;
  }
  // `&`, not `&&`: a short-circuit per stored word is a branch, slow to compile on SwiftShader.
  if ((row0 + $ru < p.m) & (j0 + $ju < p.n4)) { c[(row0 + $ru) * p.n4 + j0 + $ju] = acc$r_$j; }
}
