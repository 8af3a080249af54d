/**
 * What executing straight from compressed weights buys (issue 5, item 3):
 * one model weight-shared two ways — k-means 5-bit codebooks (Deep
 * Compression) and HashedNets at 1/8 (per layer) — each run by the float
 * executor twice, from an fp32 copy of the weights (`weights: 'decoded'`)
 * and from the compressed form itself (`weights: 'compressed'`: packed
 * indices + centroids, or the hash table). Per pair: the weight bytes
 * resident on the GPU, batch-1 round-trip p50, images/s at the throughput
 * batch, the ratios (same run, same inputs), and top-1 agreement of the two
 * paths. No Node or DOM APIs (shared by the Node run and the bench page).
 *
 * The shared values come from the passes applied to the model as loaded,
 * without retraining: the accuracy of these models is not the point (see
 * docs/results.md for trained ones); bytes and speed do not depend on it.
 */
import type { Gpu } from '../gpu/device.ts';
import type { Executor } from '../gpu/executor.ts';
import { createExecutor } from '../gpu/executor.ts';
import type { WeightsMode } from '../gpu/compressed-weights.ts';
import { kmeans } from '../compress/kmeans.ts';
import { hashWeights } from '../compress/hashing.ts';
import type { Model } from '../model/model.ts';
import type { BenchOptions, CompressedWeightsResult, Environment } from './schema.ts';
import { compressedWeightRatios } from './schema.ts';
import { argmaxRows, imagesPerSecond, runsForBudget, summarize } from './stats.ts';

/** The throughput batch of this comparison. */
export const COMPRESSED_BATCH = 256;
const CLASSES = 10;

/** What the comparison needs from the runner: the GPU and the same inputs every runtime gets. */
export interface CompressedWeightsEnv {
  gpu: Gpu;
  environment: Environment;
  /** Batch-1 input i (cycled). */
  one(i: number): Float32Array;
  /** The first n test images as one batch. */
  batch(n: number): Float32Array;
  log(message: string): void;
}

/** The compressions compared, as passes on the loaded model. */
export const COMPRESSIONS: readonly { name: string; apply: (m: Model) => Model }[] = [
  { name: 'k-means 5-bit', apply: (m) => kmeans(m, { bits: 5 }) },
  { name: 'hashed 1/8 (per layer)', apply: (m) => hashWeights(m, { ratio: 8, scope: 'layer' }) },
];

async function measureOne(env: CompressedWeightsEnv, model: Model, compression: string, weights: WeightsMode, options: BenchOptions): Promise<{ row: CompressedWeightsResult; pred: Int32Array | null }> {
  const base = { environment: env.environment, model: model.architecture.name, compression, weights, batch: COMPRESSED_BATCH };
  let ex: Executor | null = null;
  try {
    ex = await createExecutor(env.gpu, model, { maxBatch: COMPRESSED_BATCH, weights });
    const exr = ex;
    const call = (x: Float32Array, b: number): Promise<Float32Array> => exr.run(x, b, { readback: 'logits' });
    for (let i = 0; i < options.warmup; i++) await call(env.one(i), 1);
    const lat: number[] = [];
    for (let i = 0; i < options.latencyRuns; i++) {
      const t0 = performance.now();
      await call(env.one(i), 1);
      lat.push(performance.now() - t0);
    }
    const x = env.batch(COMPRESSED_BATCH);
    const w0 = performance.now();
    const logits = await call(x, COMPRESSED_BATCH);
    const runs = runsForBudget(performance.now() - w0, options.throughputBudgetMs, options.minThroughputRuns, 200);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await call(x, COMPRESSED_BATCH);
    const ips = imagesPerSecond(COMPRESSED_BATCH * runs, performance.now() - t0);
    const row: CompressedWeightsResult = {
      ...base,
      residentWeightBytes: ex.weightBytes.bytes,
      fp32WeightBytes: ex.weightBytes.fp32,
      kernels: [...new Set(ex.plan.steps.filter((s) => s.macs > 0).map((s) => s.kernel))],
      latencyP50Ms: summarize(lat).p50,
      latencyRuns: lat.length,
      imagesPerSecond: ips,
      throughputRuns: runs,
      status: 'ok',
    };
    env.log(`  ${compression} ${weights}: ${row.residentWeightBytes} weight bytes on the GPU (fp32 ${row.fp32WeightBytes}), b1 p50 ${row.latencyP50Ms!.toFixed(2)} ms, b${COMPRESSED_BATCH} ${ips.toFixed(0)} img/s`);
    return { row, pred: argmaxRows(logits, CLASSES) };
  } catch (e) {
    const msg = (e as Error).message;
    env.log(`  ${compression} ${weights} failed: ${msg}`);
    return { row: { ...base, residentWeightBytes: null, fp32WeightBytes: null, kernels: [], latencyP50Ms: null, latencyRuns: 0, imagesPerSecond: null, throughputRuns: 0, status: 'error', note: msg }, pred: null };
  } finally {
    ex?.destroy();
  }
}

/** Decoded and compressed rows for each compression of `model`, compressed rows with their ratios and agreement. */
export async function measureCompressedWeights(env: CompressedWeightsEnv, model: Model, options: BenchOptions): Promise<CompressedWeightsResult[]> {
  const rows: CompressedWeightsResult[] = [];
  for (const c of COMPRESSIONS) {
    const shared = c.apply(model);
    const dec = await measureOne(env, shared, c.name, 'decoded', options);
    const comp = await measureOne(env, shared, c.name, 'compressed', options);
    if (dec.pred && comp.pred) {
      let same = 0;
      for (let i = 0; i < dec.pred.length; i++) if (dec.pred[i] === comp.pred[i]) same++;
      comp.row.agreement = same / dec.pred.length;
    }
    rows.push(dec.row, comp.row);
  }
  return compressedWeightRatios(rows);
}
