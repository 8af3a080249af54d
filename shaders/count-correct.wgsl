/*
 * count-correct — evaluation on the GPU: per row of the current batch,
 * correct[r] += (argmax(logits[r]) == label[r]) for rows that are real
 * examples (global row state[0]·rows + r < valid; the last batch is padded).
 * argmax takes the first maximum, as src/cpu/loss.ts argmax. A per-row
 * counter avoids atomics; the host adds the `rows` counters once per eval.
 *
 * Layouts: logits [rows, classes]; labels u32 [rows]; state u32 [step]; correct u32 [rows].
 * Bindings (group 0): 0 uniform Params · 1 logits (read) · 2 labels (read) · 3 state (read) · 4 correct (read_write)
 * Dispatch: one thread per row, r = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = flatIndex(wid, nwg, lid, WG);
  if (r >= p.rows || state[0] * p.rows + r >= p.valid) {
    return;
  }
  let base = r * p.classes;
  var best = 0u;
  var bestV = logits[base];
  for (var k = 1u; k < p.classes; k++) {
    let v = logits[base + k];
    if (v > bestV) {
      best = k;
      bestV = v;
    }
  }
  correct[r] += select(0u, 1u, best == labels[r]);
}
