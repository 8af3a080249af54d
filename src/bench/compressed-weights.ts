/**
 * What executing straight from compressed weights buys (issue 5, item 3):
 * one model weight-shared two ways — k-means 5-bit codebooks (Deep
 * Compression) and HashedNets at 1/8 (per layer) — each run by the float
 * executor twice, from an fp32 copy of the weights (`weights: 'decoded'`)
 * and from the compressed form itself (`weights: 'compressed'`: packed
 * indices + centroids, or the hash table). Per pair: the weight bytes
 * resident on the GPU, batch-1 round-trip p50, images/s at the throughput
 * batch, the ratios (same run, same inputs, calls interleaved), and top-1
 * agreement of the two paths. No Node or DOM APIs (shared by the Node run and the bench page).
 *
 * The shared values come from the passes applied to the model as loaded,
 * without retraining: the accuracy of these models is not the point (see
 * docs/results.md for trained ones); bytes and speed do not depend on it.
 */
import type { Gpu } from '../gpu/device.ts';
import type { Executor } from '../gpu/executor.ts';
import { createExecutor } from '../gpu/executor.ts';
import type { WeightsMode } from '../gpu/compressed-weights.ts';
import { stepLabel } from '../gpu/plan.ts';
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

/**
 * Both paths of one compression, measured interleaved — each batch-1 call
 * and each throughput call alternates decoded, compressed — so drift in the
 * machine's load (a shared 2-core box here) hits both alike and the ratio
 * holds even when the absolute figures wander.
 */
async function measurePair(env: CompressedWeightsEnv, model: Model, compression: string, options: BenchOptions): Promise<CompressedWeightsResult[]> {
  const modes: WeightsMode[] = ['decoded', 'compressed'];
  const base = (weights: WeightsMode) => ({ environment: env.environment, model: model.architecture.name, compression, weights, batch: COMPRESSED_BATCH });
  const exs: Executor[] = [];
  try {
    for (const weights of modes) exs.push(await createExecutor(env.gpu, model, { maxBatch: COMPRESSED_BATCH, weights }));
    const call = (ex: Executor, x: Float32Array, b: number): Promise<Float32Array> => ex.run(x, b, { readback: 'logits' });
    for (let i = 0; i < options.warmup; i++) for (const ex of exs) await call(ex, env.one(i), 1);
    const lat: number[][] = exs.map(() => []);
    for (let i = 0; i < options.latencyRuns; i++) {
      for (const [j, ex] of exs.entries()) {
        const t0 = performance.now();
        await call(ex, env.one(i), 1);
        lat[j].push(performance.now() - t0);
      }
    }
    const x = env.batch(COMPRESSED_BATCH);
    const logits: Float32Array[] = [];
    let slowest = 0;
    for (const ex of exs) {
      const t0 = performance.now();
      logits.push(await call(ex, x, COMPRESSED_BATCH));
      slowest = Math.max(slowest, performance.now() - t0);
    }
    const runs = runsForBudget(slowest, options.throughputBudgetMs, options.minThroughputRuns, 200);
    const total = exs.map(() => 0);
    for (let i = 0; i < runs; i++) {
      for (const [j, ex] of exs.entries()) {
        const t0 = performance.now();
        await call(ex, x, COMPRESSED_BATCH);
        total[j] += performance.now() - t0;
      }
    }
    const pred = logits.map((l) => argmaxRows(l, CLASSES));
    let same = 0;
    for (let i = 0; i < pred[0].length; i++) if (pred[0][i] === pred[1][i]) same++;
    return exs.map((ex, j) => {
      const row: CompressedWeightsResult = {
        ...base(modes[j]),
        residentWeightBytes: ex.weightBytes.bytes,
        fp32WeightBytes: ex.weightBytes.fp32,
        kernels: [...new Set(ex.plan.steps.filter((s) => s.macs > 0).map(stepLabel))],
        latencyP50Ms: summarize(lat[j]).p50,
        latencyRuns: lat[j].length,
        imagesPerSecond: imagesPerSecond(COMPRESSED_BATCH * runs, total[j]),
        throughputRuns: runs,
        status: 'ok',
        ...(modes[j] === 'compressed' ? { agreement: same / pred[0].length } : {}),
      };
      env.log(
        `  ${compression} ${modes[j]}: ${row.residentWeightBytes} weight bytes on the GPU (fp32 ${row.fp32WeightBytes}), b1 p50 ${row.latencyP50Ms!.toFixed(2)} ms, b${COMPRESSED_BATCH} ${row.imagesPerSecond!.toFixed(1)} img/s`,
      );
      return row;
    });
  } catch (e) {
    const msg = (e as Error).message;
    env.log(`  ${compression} failed: ${msg}`);
    return modes.map((weights) => ({
      ...base(weights),
      residentWeightBytes: null,
      fp32WeightBytes: null,
      kernels: [],
      latencyP50Ms: null,
      latencyRuns: 0,
      imagesPerSecond: null,
      throughputRuns: 0,
      status: 'error' as const,
      note: msg,
    }));
  } finally {
    for (const ex of exs) ex.destroy();
  }
}

/** Decoded and compressed rows for each compression of `model`, compressed rows with their ratios and agreement. */
export async function measureCompressedWeights(env: CompressedWeightsEnv, model: Model, options: BenchOptions): Promise<CompressedWeightsResult[]> {
  const rows: CompressedWeightsResult[] = [];
  for (const c of COMPRESSIONS) rows.push(...(await measurePair(env, c.apply(model), c.name, options)));
  return compressedWeightRatios(rows);
}
