/*
 * flat-index — the thread index of a 1-D dispatch folded into x·z
 * workgroups (`fold1d` in src/gpu/kernels/types.ts splits the count so that
 * neither dimension exceeds maxComputeWorkgroupsPerDimension).
 */

/** Global thread index of a workgroup_size(wg) dispatch folded as x·z. */
fn flatIndex(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg: u32) -> u32 {
  return (wid.x + wid.z * nwg.x) * wg + lid;
}
