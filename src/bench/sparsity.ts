/**
 * "Does sparsity pay on this GPU?" (issue 5, item 8). A model's dense layers
 * are magnitude-pruned (per layer, the existing prune pass, no retraining) to
 * each level of SPARSITY_LEVELS, and the pruned model is run by the float
 * executor three ways: every dense layer through the dense kernel
 * (`sparse: 'never'`), through the CSR kernel (`'always'`), and as `'auto'`
 * picks by measuring both on the device. Per level: batch-1 round-trip p50,
 * images/s at the throughput batch, per-layer GPU time of both kernels at
 * batch 1 and the throughput batch (timestamps), auto's pick per layer and
 * batch with the times it decided on, and the top-1 agreement of the two
 * kernels. Ratios come from the same run. No Node or DOM APIs (shared by the
 * Node run and the bench page).
 */
import type { Gpu } from '../gpu/device.ts';
import type { Executor } from '../gpu/executor.ts';
import { batchClass, createExecutor } from '../gpu/executor.ts';
import type { SparseMode } from '../gpu/plan.ts';
import { kmeans } from '../compress/kmeans.ts';
import { prune } from '../compress/prune.ts';
import { accountModel } from '../model/accounting.ts';
import type { Model } from '../model/model.ts';
import type { BenchOptions, Environment, SparsityLayerTime, SparsityModeTiming, SparsityResult } from './schema.ts';
import { argmaxRows, imagesPerSecond, runsForBudget, summarize } from './stats.ts';

/** Fractions of each dense layer's weights set to zero. */
export const SPARSITY_LEVELS: readonly number[] = [0, 0.5, 0.9, 0.95, 0.98];
/**
 * Deep Compression levels measured after SPARSITY_LEVELS: pruned, then k-means
 * shared (dense layers). Held compressed (the executor's default), the dense
 * side is conv2d:codebook and the sparse side dense-sparse:codebook.
 */
export const SPARSITY_SHARED: readonly { sparsity: number; bits: number }[] = [{ sparsity: 0.9, bits: 5 }];
/**
 * Models whose dense layers hold less of the MACs than this are skipped (a
 * 'skipped' row says so): there the dense layers cannot move the whole model,
 * the per-layer answer is LeNet-300-100's, and the 18 executor runs would
 * cost minutes of convolutions on a software adapter.
 */
export const SPARSITY_MIN_DENSE_SHARE = 0.5;
/** The throughput batch of this comparison. */
export const SPARSITY_BATCH = 256;
const CLASSES = 10;
/** time() runs per batch for the per-layer medians (batch 1, throughput batch). */
const LAYER_RUNS_B1 = 9;
const LAYER_RUNS_BATCHED = 5;

/** What the comparison needs from the runner: the GPU and the same inputs every runtime gets. */
export interface SparsityEnv {
  gpu: Gpu;
  environment: Environment;
  /** Batch-1 input i (cycled). */
  one(i: number): Float32Array;
  /** The first n test images as one batch. */
  batch(n: number): Float32Array;
  log(message: string): void;
}

/** Fraction of the model's MACs in its dense layers. */
export function denseMacShare(model: Model): number {
  const a = accountModel(model.architecture);
  const dense = a.layers.filter((l) => l.kind === 'dense').reduce((s, l) => s + l.macs, 0);
  return a.total.macs ? dense / a.total.macs : 0;
}

/** Names of the model's dense layers (what the sparse kernel can run). */
export function denseLayers(model: Model): string[] {
  return model.architecture.layers.filter((l) => l.kind === 'dense').map((l) => l.name);
}

interface ModeRun {
  timing: SparsityModeTiming;
  pred: Int32Array;
  /** Median GPU ms per dense step, by `${batch} ${layers}`. */
  layerMs: Map<string, { ms: number | null; kernel: string; layers: string[] }>;
  method: 'timestamp' | 'wall';
  ex: Executor;
}

async function runMode(
  env: SparsityEnv,
  model: Model,
  sparse: SparseMode,
  options: BenchOptions,
  dense: readonly string[],
  withLayers: boolean,
): Promise<ModeRun> {
  const ex = await createExecutor(env.gpu, model, { maxBatch: SPARSITY_BATCH, sparse });
  try {
    const batch = Math.min(SPARSITY_BATCH, ex.chunk);
    const call = (x: Float32Array, b: number): Promise<Float32Array> => ex.run(x, b, { readback: 'logits' });
    for (let i = 0; i < options.warmup; i++) await call(env.one(i), 1);
    const lat: number[] = [];
    for (let i = 0; i < options.latencyRuns; i++) {
      const t0 = performance.now();
      await call(env.one(i), 1);
      lat.push(performance.now() - t0);
    }
    const x = env.batch(batch);
    const w0 = performance.now();
    const logits = await call(x, batch);
    const runs = runsForBudget(performance.now() - w0, options.throughputBudgetMs, options.minThroughputRuns, 200);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await call(x, batch);
    const ips = imagesPerSecond(batch * runs, performance.now() - t0);
    const layerMs: ModeRun['layerMs'] = new Map();
    let method: 'timestamp' | 'wall' = 'timestamp';
    if (withLayers) {
      for (const b of [1, batch]) {
        const xb = b === 1 ? env.one(0) : x;
        const per: number[][] = [];
        let meta: { layers: string[]; kernel: string }[] = [];
        for (let r = 0; r < (b === 1 ? LAYER_RUNS_B1 : LAYER_RUNS_BATCHED); r++) {
          const t = await ex.time(xb, b);
          method = t.method;
          if (t.method === 'wall') break;
          meta = t.layers;
          t.layers.forEach((l, i) => (per[i] ??= []).push(l.ms));
        }
        meta.forEach((m, i) => {
          if (dense.includes(m.layers[0])) layerMs.set(`${b} ${m.layers[0]}`, { ms: summarize(per[i]).p50, kernel: m.kernel, layers: m.layers });
        });
      }
    }
    return {
      timing: { latencyP50Ms: summarize(lat).p50, latencyRuns: lat.length, imagesPerSecond: ips, throughputRuns: runs },
      pred: argmaxRows(logits, CLASSES),
      layerMs,
      method,
      ex,
    };
  } catch (e) {
    ex.destroy();
    throw e;
  }
}

const NOT_RUN: SparsityModeTiming = { latencyP50Ms: null, latencyRuns: 0, imagesPerSecond: null, throughputRuns: 0 };

/**
 * One row per level: dense vs sparse kernel vs auto on `model` pruned to
 * that level (then k-means shared for the `shared` levels).
 */
export async function measureSparsity(
  env: SparsityEnv,
  model: Model,
  options: BenchOptions,
  levels: readonly number[] = SPARSITY_LEVELS,
  shared: readonly { sparsity: number; bits: number }[] = SPARSITY_SHARED,
): Promise<SparsityResult[]> {
  const dense = denseLayers(model);
  const rows: SparsityResult[] = [];
  if (!dense.length) return rows;
  const share = denseMacShare(model);
  if (share < SPARSITY_MIN_DENSE_SHARE) {
    const note = `dense layers hold ${(share * 100).toFixed(0)} % of the MACs (< ${SPARSITY_MIN_DENSE_SHARE * 100} %): not measured`;
    env.log(`  sparsity skipped: ${note}`);
    return [
      {
        environment: env.environment,
        model: model.architecture.name,
        sparsity: 0,
        zeroFraction: 0,
        batch: SPARSITY_BATCH,
        dense: NOT_RUN,
        sparse: NOT_RUN,
        auto: NOT_RUN,
        latencySpeedup: null,
        throughputRatio: null,
        agreement: null,
        layerTimingMethod: 'wall',
        layers: [],
        status: 'skipped',
        note,
      },
    ];
  }
  for (const { sparsity, bits } of [...levels.map((l) => ({ sparsity: l, bits: undefined })), ...shared]) {
    const cut = sparsity > 0 ? prune(model, { sparsity, scope: 'layer', layers: dense }) : model;
    const pruned = bits ? kmeans(cut, { bits, layers: dense }) : cut;
    let zeros = 0;
    let total = 0;
    const density = new Map<string, number>();
    for (const l of dense) {
      const w = pruned.weights[`${l}.weight`];
      let z = 0;
      for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
      zeros += z;
      total += w.length;
      density.set(l, 1 - z / w.length);
    }
    const base = {
      environment: env.environment,
      model: model.architecture.name,
      sparsity,
      ...(bits ? { kmeansBits: bits } : {}),
      zeroFraction: zeros / total,
      batch: SPARSITY_BATCH,
    };
    const label = `${(sparsity * 100).toFixed(0)} %${bits ? ` + k-means ${bits}-bit` : ''}`;
    const live: Executor[] = [];
    try {
      const d = await runMode(env, pruned, 'never', options, dense, true);
      live.push(d.ex);
      const s = await runMode(env, pruned, 'always', options, dense, true);
      live.push(s.ex);
      const a = await runMode(env, pruned, 'auto', options, dense, false);
      live.push(a.ex);
      const batch = Math.min(SPARSITY_BATCH, d.ex.chunk);
      let same = 0;
      for (let i = 0; i < d.pred.length; i++) if (d.pred[i] === s.pred[i]) same++;
      const layers: SparsityLayerTime[] = [];
      for (const b of [1, batch]) {
        for (const l of dense) {
          const dl = d.layerMs.get(`${b} ${l}`);
          const sl = s.layerMs.get(`${b} ${l}`);
          const pick = a.ex.sparseDecisions.find((x) => x.layers[0] === l && x.batchClass === batchClass(b));
          layers.push({
            layers: (dl?.layers ?? [l]).join('+'),
            batch: b,
            density: density.get(l)!,
            denseKernel: dl?.kernel ?? '',
            denseMs: dl?.ms ?? null,
            sparseMs: sl?.ms ?? null,
            autoPick: pick?.chosen ?? 'dense',
            ...(pick ? { autoDenseMs: pick.denseMs, autoSparseMs: pick.sparseMs, autoMethod: pick.method, autoCostMs: pick.costMs } : {}),
          });
        }
      }
      const row: SparsityResult = {
        ...base,
        batch,
        dense: d.timing,
        sparse: s.timing,
        auto: a.timing,
        latencySpeedup: d.timing.latencyP50Ms && s.timing.latencyP50Ms ? d.timing.latencyP50Ms / s.timing.latencyP50Ms : null,
        throughputRatio: d.timing.imagesPerSecond && s.timing.imagesPerSecond ? s.timing.imagesPerSecond / d.timing.imagesPerSecond : null,
        agreement: same / d.pred.length,
        layerTimingMethod: d.method,
        layers,
        status: 'ok',
      };
      const picks = layers.map((x) => `${x.layers.split('+')[0]}@b${x.batch}:${x.autoPick}`).join(' ');
      env.log(
        `  sparsity ${label}: b1 p50 dense ${d.timing.latencyP50Ms!.toFixed(2)} / sparse ${s.timing.latencyP50Ms!.toFixed(2)} / auto ${a.timing.latencyP50Ms!.toFixed(2)} ms; ` +
          `b${batch} dense ${d.timing.imagesPerSecond!.toFixed(0)} / sparse ${s.timing.imagesPerSecond!.toFixed(0)} / auto ${a.timing.imagesPerSecond!.toFixed(0)} img/s; auto ${picks}`,
      );
      rows.push(row);
    } catch (e) {
      const msg = (e as Error).message;
      env.log(`  sparsity ${label} failed: ${msg}`);
      rows.push({
        ...base,
        dense: NOT_RUN,
        sparse: NOT_RUN,
        auto: NOT_RUN,
        latencySpeedup: null,
        throughputRatio: null,
        agreement: null,
        layerTimingMethod: 'wall',
        layers: [],
        status: 'error',
        note: msg,
      });
    } finally {
      for (const ex of live) ex.destroy();
    }
  }
  return rows;
}
