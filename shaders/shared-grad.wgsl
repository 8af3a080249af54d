/*
 * shared-grad — the gradient of shared values (k-means centroids, Deep
 * Compression eq. 3; HashedNets buckets): for each value j, the sum of the
 * gradients of the weights that read it,
 *
 *   out[j] (+)= Σ_{m = offsets[j]}^{offsets[j+1]−1} grad[members[m]]
 *
 * `members` lists the unmasked weight indices of one tensor grouped by value
 * (CSR), so the sum runs in a fixed order (deterministic, no atomics).
 * ACCUMULATE = 1 adds to `out` (a table shared by several tensors: the first
 * tensor writes, the others add).
 * Layouts: grad [n] · offsets [k + 1] (u32) · members [nnz] (u32) · out [k]
 * Bindings (group 0): 0 uniform Params · 1 grad (read) · 2 offsets (read) ·
 *   3 members (read) · 4 out (read_write)
 * Dispatch: one thread per value, j = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override ACCUMULATE: u32 = 0u;

fn body(j: u32) {
  var s = 0.0;
  for (var m = offsets[j]; m < offsets[j + 1u]; m++) {
    s += grad[members[m]];
  }
  if (ACCUMULATE == 1u) {
    s += out[j];
  }
  out[j] = s;
}
