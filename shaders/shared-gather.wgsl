/*
 * shared-gather — a weight tensor from its shared values (k-means codebook
 * or HashedNets table): w[i] = values[assign[i]], or 0 where assign[i] is
 * 0xffffffff (a pruned weight). Run after the values' optimizer step so the
 * forward pass (via pack-weight) sees the updated table.
 * Layouts: values [k] · assign [n] (u32) · w [n]
 * Bindings (group 0): 0 uniform Params · 1 values (read) · 2 assign (read) · 3 w (read_write)
 * Dispatch: one thread per weight, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> assign: array<u32>;
@group(0) @binding(3) var<storage, read_write> w: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.size) {
    return;
  }
  let a = assign[i];
  w[i] = select(values[min(a, arrayLength(&values) - 1u)], 0.0, a == 0xffffffffu);
}
