/*
 * softmax-cross-entropy — the training loss and its gradient dL/dlogits, one
 * thread per row, with optional distillation (Hinton et al. 2015):
 *
 *   hard = −log softmax(z)[label]
 *   soft = −Σ_k q_k · log softmax(z / T)_k,   q = softmax(teacher / T)
 *   loss_r = (1 − α) · hard + α · T² · soft          (α = 0 without a teacher)
 *   dz = ((1 − α) · (softmax(z) − onehot) + α · T · (softmax(z / T) − q)) / batch
 *   lossAcc[r] += loss_r       (a per-row running sum over the steps of an
 *                               epoch; col-sum reduces it once per epoch)
 * The T² keeps the soft term's gradient scale independent of T; each row's
 * maximum is subtracted before exp() (src/cpu/loss.ts does the same in f64).
 *
 * Layouts: z, teacher, dz [rows, classes]; labels u32 [rows]; lossAcc [rows].
 * Bindings (group 0): 0 uniform Params · 1 z (read) · 2 labels (read) ·
 *   3 teacher (read; a dummy without DISTILL) · 4 dz (read_write) · 5 lossAcc (read_write)
 * Dispatch: one thread per row, r = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override DISTILL: u32 = 0u;

fn body(r: u32) {
  let base = r * p.classes;
  let label = labels[r];
  let hardW = 1.0 - p.alpha;
  // Hard targets at T = 1.
  var m = z[base];
  for (var k = 1u; k < p.classes; k++) {
    m = max(m, z[base + k]);
  }
  var s = 0.0;
  for (var k = 0u; k < p.classes; k++) {
    s += exp(z[base + k] - m);
  }
  let logS = m + log(s);
  var loss = hardW * (logS - z[base + label]);
  for (var k = 0u; k < p.classes; k++) {
    let pk = exp(z[base + k] - logS);
    dz[base + k] = hardW * (pk - select(0.0, 1.0, k == label)) * p.invBatch;
  }
  if (DISTILL == 1u) {
    let t = 1.0 / p.invT;
    var ms = z[base] * p.invT;
    var mt = teacher[base] * p.invT;
    for (var k = 1u; k < p.classes; k++) {
      ms = max(ms, z[base + k] * p.invT);
      mt = max(mt, teacher[base + k] * p.invT);
    }
    var ss = 0.0;
    var st = 0.0;
    for (var k = 0u; k < p.classes; k++) {
      ss += exp(z[base + k] * p.invT - ms);
      st += exp(teacher[base + k] * p.invT - mt);
    }
    let logSs = ms + log(ss);
    var soft = 0.0;
    for (var k = 0u; k < p.classes; k++) {
      let q = exp(teacher[base + k] * p.invT - mt) / st;
      let logP = z[base + k] * p.invT - logSs;
      soft -= q * logP;
      dz[base + k] += p.alpha * t * (exp(logP) - q) * p.invBatch;
    }
    loss += p.alpha * t * t * soft;
  }
  lossAcc[r] += loss;
}
