/**
 * Softmax, softmax cross-entropy (hard and soft targets, temperature) and
 * argmax. Everything is computed in float64 from the float32 logits; only
 * returned arrays are float32.
 */
import type { FloatArray } from './common.ts';

function checkRows(where: string, length: number, batch: number, classes: number): void {
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`${where}: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(classes) || classes <= 0) throw new Error(`${where}: classes must be a positive integer, got ${classes}`);
  if (length !== batch * classes) {
    throw new Error(`${where}: logits have ${length} values, expected batch ${batch} × ${classes} classes = ${batch * classes}`);
  }
}

function checkTemperature(where: string, t: number): void {
  if (!(Number.isFinite(t) && t > 0)) throw new Error(`${where}: temperature must be a finite number > 0, got ${t}`);
}

/**
 * Row-wise softmax of z/T into `out` (either precision). Subtracting the row
 * maximum first keeps exp() from overflowing; the result is unchanged.
 */
export function softmaxInto(z: FloatArray, batch: number, classes: number, temperature: number, out: FloatArray): void {
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[base + k] / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[base + k] / temperature - max);
    for (let k = 0; k < classes; k++) out[base + k] = Math.exp(z[base + k] / temperature - max) / sum;
  }
}

/** Row-wise softmax of logits/T, numerically stable (the row maximum is subtracted first). */
export function softmax(logits: Float32Array, batch: number, classes: number, temperature = 1): Float32Array {
  checkRows('softmax', logits.length, batch, classes);
  checkTemperature('softmax', temperature);
  const out = new Float32Array(logits.length);
  softmaxInto(logits, batch, classes, temperature, out);
  return out;
}

/**
 * Index of the largest value of each row. Ties go to the first (lowest)
 * index; NaN never wins (a row of NaNs gives 0).
 */
export function argmax(values: Float32Array, batch: number, classes: number): Int32Array {
  checkRows('argmax', values.length, batch, classes);
  const out = new Int32Array(batch);
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    let best = -Infinity;
    let at = 0;
    for (let k = 0; k < classes; k++) {
      if (values[base + k] > best) {
        best = values[base + k];
        at = k;
      }
    }
    out[n] = at;
  }
  return out;
}

/** Soft targets may come from a float32 softmax: rows must sum to 1 within this. */
const SOFT_SUM_TOLERANCE = 1e-3;

/**
 * Mean over the batch of softmax cross-entropy at temperature T:
 * p = softmax(z / T), loss = mean_n −Σ_k t[n,k] · log p[n,k].
 *
 * Targets: `labels` (one class per image: t is one-hot), `soft` (a
 * distribution per image, rows ≥ 0 summing to 1), or both — then t is the
 * mean of the two, which makes the loss the mean of the two cross-entropies
 * (cross-entropy is linear in t). For Hinton-style distillation with a
 * weighting α and the T² factor, call once per term and combine.
 *
 * Returns the loss (float64) and dLoss/dLogits = (p − t) / (T · batch). The
 * gradient uses each row's exact target mass s (p·s − t) so that it is the
 * exact derivative of the returned loss even when a float32 soft row sums
 * to 1 ± ε.
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  batch: number,
  classes: number,
  targets: { labels?: ArrayLike<number>; soft?: Float32Array },
  temperature = 1,
): { loss: number; dLogits: Float32Array } {
  const where = 'softmaxCrossEntropy';
  checkRows(where, logits.length, batch, classes);
  checkTemperature(where, temperature);
  const { labels, soft } = targets;
  if (!labels && !soft) throw new Error(`${where}: give targets.labels and/or targets.soft`);
  if (labels) {
    if (labels.length !== batch) throw new Error(`${where}: ${labels.length} labels for a batch of ${batch}`);
    for (let n = 0; n < batch; n++) {
      const l = labels[n];
      if (!Number.isInteger(l) || l < 0 || l >= classes) {
        throw new Error(`${where}: label ${n} is ${l}, expected an integer in [0, ${classes})`);
      }
    }
  }
  if (soft) {
    if (soft.length !== batch * classes) {
      throw new Error(`${where}: soft targets have ${soft.length} values, expected batch ${batch} × ${classes} classes = ${batch * classes}`);
    }
    for (let n = 0; n < batch; n++) {
      let s = 0;
      for (let k = 0; k < classes; k++) {
        const t = soft[n * classes + k];
        if (!(t >= 0 && t <= 1)) throw new Error(`${where}: soft target [${n}, ${k}] is ${t}, expected a probability in [0, 1]`);
        s += t;
      }
      if (Math.abs(s - 1) > SOFT_SUM_TOLERANCE) throw new Error(`${where}: soft targets of row ${n} sum to ${s}, expected 1`);
    }
  }
  // Both kinds of target: each gets half the mass (t is their mean).
  const share = labels && soft ? 0.5 : 1;
  const t = new Float64Array(classes);
  const dLogits = new Float32Array(logits.length);
  const scale = 1 / (temperature * batch);
  let total = 0;
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    t.fill(0);
    if (soft) for (let k = 0; k < classes; k++) t[k] += share * soft[base + k];
    if (labels) t[labels[n]] += share;
    let mass = 0;
    for (let k = 0; k < classes; k++) mass += t[k];
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[base + k] / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[base + k] / temperature - max);
    const logSum = max + Math.log(sum);
    for (let k = 0; k < classes; k++) {
      const logP = logits[base + k] / temperature - logSum;
      // Skip zero targets: 0 · log(0) would be NaN where the limit is 0.
      if (t[k] !== 0) total -= t[k] * logP;
      dLogits[base + k] = (Math.exp(logP) * mass - t[k]) * scale;
    }
  }
  return { loss: total / batch, dLogits };
}
