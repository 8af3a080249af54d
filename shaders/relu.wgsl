/*
 * relu — y = max(x, 0) element-wise, for a ReLU that no producer kernel could
 * fuse (e.g. after a flatten of the model input). Works on vec4 words: the
 * lab pads every buffer to 16 bytes, so the tail word is safe to touch.
 *
 * Layouts: any; x and y have the same length.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(ceil(total / 4) / WG).
 */
override WG: u32 = 64u;

struct Params {
  words: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.words) {
    return;
  }
  y[i] = max(x[i], vec4<f32>(0.0));
}
