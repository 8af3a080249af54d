/*
 * copy — y = x, vec4 words: the memory-bandwidth probe of the roofline
 * (src/gpu/roofline.ts). Bytes moved = 2 × size (one read, one write).
 *
 * Layouts: x and y the same number of vec4 words.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(words / WG).
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
  y[i] = x[i];
}
