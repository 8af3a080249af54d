/**
 * Statistics of repeated timings, shared by the Node and the browser bench
 * (no Node or DOM APIs). Quantiles are nearest-rank, the same convention as
 * src/gpu/timer.ts, so a p50 here and a p50 there mean the same thing.
 */

/** Summary of a set of samples (ms). */
export interface SampleSummary {
  p50: number;
  p90: number;
  mean: number;
  min: number;
  max: number;
  /** Number of samples summarised. */
  runs: number;
}

/** Nearest-rank quantile of ascending `sorted` values; q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile: no samples');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** p50, p90, mean, min and max of `samples` (any order). Throws on an empty or non-finite set. */
export function summarize(samples: readonly number[]): SampleSummary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  for (const s of samples) if (!Number.isFinite(s)) throw new Error(`summarize: non-finite sample ${s}`);
  const sorted = samples.slice().sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    runs: samples.length,
  };
}

/** Images per second when `batch` images take `ms` milliseconds. */
export function imagesPerSecond(batch: number, ms: number): number {
  if (!(ms > 0)) throw new Error(`imagesPerSecond: time must be positive, got ${ms} ms`);
  return (batch * 1000) / ms;
}

/**
 * How many timed runs fit a budget: at least `min`, at most `max`, else
 * `budgetMs / estimateMs`. Slow runtimes (a CPU at batch 1024) get the
 * minimum, fast ones as many as the budget allows.
 */
export function runsForBudget(estimateMs: number, budgetMs: number, min: number, max: number): number {
  if (!(min >= 1) || max < min) throw new Error(`runsForBudget: need 1 ≤ min ≤ max, got ${min}, ${max}`);
  if (!(estimateMs > 0)) return max;
  return Math.max(min, Math.min(max, Math.floor(budgetMs / estimateMs)));
}

/** Fraction (0..1) of equal entries between two predictions of the same length. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): { agree: number; total: number; fraction: number } {
  if (a.length !== b.length) throw new Error(`agreement: ${a.length} vs ${b.length} predictions`);
  let agree = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) agree++;
  return { agree, total: a.length, fraction: a.length ? agree / a.length : 0 };
}

/** Index of the largest of each row of `classes` logits (first on ties, like the GPU argmax kernel). */
export function argmaxRows(logits: ArrayLike<number>, classes: number): Int32Array {
  if (!(classes >= 1) || logits.length % classes !== 0) throw new Error(`argmaxRows: ${logits.length} values are not rows of ${classes}`);
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bv = logits[r * classes];
    for (let c = 1; c < classes; c++) {
      const v = logits[r * classes + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
