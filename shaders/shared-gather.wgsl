/*
 * shared-gather — a weight tensor from its shared values (k-means codebook
 * or HashedNets table): w[i] = values[assign[i]], or 0 where assign[i] is
 * 0xffffffff (a pruned weight). Run after the values' optimizer step so the
 * forward pass (via pack-weight) sees the updated table.
 * Layouts: values [k] · assign [n] (u32) · w [n]
 * Bindings (group 0): 0 uniform Params · 1 values (read) · 2 assign (read) · 3 w (read_write)
 * Dispatch: one thread per weight, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  let a = assign[i];
  w[i] = select(values[min(a, arrayLength(&values) - 1u)], 0.0, a == 0xffffffffu);
}
