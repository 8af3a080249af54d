/*
 * relu-backward — dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as
 * in src/cpu/activations.ts). x is the relu's input.
 *
 * Layouts: any; x, dy, dx have the same length (buffers padded to 16 bytes,
 * so whole vec4 words are safe).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 dx (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  words: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.words) {
    return;
  }
  dx[i] = select(vec4<f32>(0.0), dy[i], x[i] > vec4<f32>(0.0));
}
