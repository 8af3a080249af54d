/*
 * weight-absmax — per channel, the quantization scale max_k |w[o, k]| / qmax
 * for fake quantization (pack-weight). One thread per channel scans its
 * elements in order (deterministic; a per-tensor scale is the same kernel
 * with one "channel" covering the whole tensor).
 *
 *   scales[o] = max_{k < K} |w[o·strideO + k·strideK]| / qmax
 *
 * Bindings (group 0): 0 uniform Params · 1 w (read) · 2 scales (read_write)
 * Dispatch: one thread per channel, o = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  channels: u32,
  k: u32,
  strideO: u32,
  strideK: u32,
  qmax: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> scales: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.z * nwg.x) * WG + lid;
  if (o >= p.channels) {
    return;
  }
  var m = 0.0;
  for (var k = 0u; k < p.k; k++) {
    m = max(m, abs(w[o * p.strideO + k * p.strideK]));
  }
  scales[o] = m / p.qmax;
}
