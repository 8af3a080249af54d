/**
 * The float entry point: lowers a model (plan.ts) to its throughput plan and,
 * on the register variant, a latency plan tiled for one image (batches ≤
 * SMALL_BATCH), then hands them to the one executor (plan-executor.ts).
 */
import type { Model } from '../model/model.ts';
import type { Gpu } from './device.ts';
import type { GemmTiling } from './kernels/conv2d.ts';
import type { DenseTiling } from './kernels/dense.ts';
import type { GemmVariant, Plan, PlanOptions, SparseMode } from './plan.ts';
import { planModel } from './plan.ts';
import type { WeightResidency, WeightsMode } from './compressed-weights.ts';
import { weightResidency } from './compressed-weights.ts';
import type { InferenceTiming } from './plan-executor.ts';
import { PlanExecutor } from './plan-executor.ts';
import type { LoadTime } from './instance.ts';
import type { SparseDecision } from './sparse-choice.ts';

export type { InferenceTiming } from './plan-executor.ts';
export { SMALL_BATCH } from './plan-executor.ts';
export type { LoadTime } from './instance.ts';
export type { SparseDecision } from './sparse-choice.ts';
export { batchClass } from './sparse-choice.ts';

/** What to read back from a run. 'none' only waits for the GPU (benchmarks). */
export type Readback = 'argmax' | 'logits' | 'none' | { layer: string };

/** Result type per readback: class indices, float activations, or nothing. */
export type ReadbackResult<R extends Readback> = R extends 'argmax' ? Int32Array : R extends 'none' ? null : Float32Array;

export interface ExecutorOptions {
  /** Largest batch encoded as one command buffer; larger batches run in chunks. Default 256. */
  maxBatch?: number;
  /** GEMM variant; default 'register' on software adapters, 'tiled' otherwise. */
  variant?: GemmVariant;
  /** Fuse relu/pool into producers (default true). */
  fuse?: boolean;
  registerTiling?: GemmTiling;
  denseTiling?: DenseTiling;
  /** Register tilings of the latency path (batch ≤ SMALL_BATCH, register variant): convolutions and dense layers. */
  latencyTiling?: GemmTiling;
  latencyDenseTiling?: GemmTiling;
  /** Workgroups a batch-1 GEMM dispatch gets at least on the latency path (smaller workgroups, same register block); default LATENCY_MIN_WORKGROUPS, 1 keeps the tilings' sizes. */
  latencyMinWorkgroups?: number;
  /**
   * Codebook- and hash-encoded conv/dense weights: 'compressed' (default)
   * computes from the packed indices + centroids or the HashedNets table, no
   * fp32 copy on the GPU; 'decoded' uploads an fp32 copy and runs the float
   * kernels. See `weightBytes`.
   */
  weights?: WeightsMode;
  /**
   * Pruned dense layers through the sparse (CSR) kernel. Default 'auto': the
   * first run in each batch class times the dense and the sparse kernel of
   * every dense layer that has zero weights, on this device at that batch,
   * and keeps the faster (see `sparseDecisions`).
   */
  sparse?: SparseMode;
}

export interface Executor {
  /** The device in use (replaced after a device loss). */
  readonly gpu: Gpu;
  readonly plan: Plan;
  readonly variant: GemmVariant;
  /** Images per command buffer: min(maxBatch, what the storage-binding limit allows). */
  readonly chunk: number;
  readonly loadTime: LoadTime;
  readonly weights: WeightsMode;
  /**
   * Weight bytes resident on the GPU for the throughput plan (each buffer
   * once; a network-wide hash table is one buffer): `fp32` is what fp32
   * weight copies take — 0 when every weighted layer computes from its
   * compressed form. The latency instance, built on first small batch,
   * holds the same again.
   */
  readonly weightBytes: WeightResidency;
  readonly sparse: SparseMode;
  /** Every 'auto' choice made so far, in order (empty until a run meets a layer with a sparse alternative). */
  readonly sparseDecisions: readonly SparseDecision[];
  /**
   * Run `batch` images (NHWC, `batch · inputSize` floats). Splits into chunks
   * when batch > chunk. On device loss recreates the device and retries once.
   */
  run<R extends Readback = 'logits'>(input: Float32Array, batch: number, options?: { readback?: R }): Promise<ReadbackResult<R>>;
  /**
   * One inference of ≤ chunk images (on the instance `run` uses for that
   * batch) with per-layer GPU timestamps when available, else wall clock.
   */
  time(input: Float32Array, batch: number): Promise<InferenceTiming>;
  destroy(): void;
}

/** Convolutions on the latency path: small workgroups, so one image still spreads over the cores. */
export const SMALL_TILING: GemmTiling = { wg: 16, tm: 8, tn4: 8 };
/**
 * Dense layers at batch ≤ 4: one row and one channel word per thread, channel
 * words spread over the workgroup's threads (SwiftShader, LeNet-5 fc1 at
 * batch 1: 41 ms with 8 words per thread in dispatch-y blocks, one live thread
 * per workgroup; 8 ms spread one word per thread).
 */
export const SMALL_DENSE_TILING: GemmTiling = { wg: 16, tm: 1, tn4: 1, spread: true };

/**
 * The latency path's batch-1 GEMMs get at least this many workgroups (see
 * fitWorkgroup): SwiftShader runs a dispatch as up to 16 tasks of whole
 * workgroups, so 16 lets every core of a CPU adapter take a share.
 */
export const LATENCY_MIN_WORKGROUPS = 16;

/**
 * Build an executor for `model` on `gpu`. Compiles every pipeline and uploads
 * every weight before resolving, so the first `run` is as fast as the rest.
 */
export async function createExecutor(gpu: Gpu, model: Model, options: ExecutorOptions = {}): Promise<Executor> {
  const variant: GemmVariant = options.variant ?? (gpu.report.software ? 'register' : 'tiled');
  const sparse: SparseMode = options.sparse ?? 'auto';
  const weights: WeightsMode = options.weights ?? 'compressed';
  const planOpts: PlanOptions = {
    variant,
    registerTiling: options.registerTiling,
    denseTiling: options.denseTiling,
    sparse,
    weights,
    fuse: options.fuse ?? true,
  };
  const plan = planModel(model, planOpts);
  // The latency path's tilings change the register GEMMs only; the tiled variant has none to change.
  const latency = (): Plan =>
    planModel(model, {
      ...planOpts,
      registerTiling: options.latencyTiling ?? SMALL_TILING,
      denseRegisterTiling: options.latencyDenseTiling ?? SMALL_DENSE_TILING,
      minWorkgroups: options.latencyMinWorkgroups ?? LATENCY_MIN_WORKGROUPS,
    });
  const arch = model.architecture;
  const ex = await PlanExecutor.create(
    gpu,
    { throughput: plan, latency: variant === 'register' ? latency : undefined, unfused: () => planModel(model, { ...planOpts, fuse: false }) },
    { maxBatch: options.maxBatch ?? 256, who: 'gpu executor', model: { name: arch.name, inputShape: arch.inputShape, layers: arch.layers.map((l) => l.name) } },
  );
  return {
    get gpu() {
      return ex.gpu;
    },
    plan,
    variant,
    chunk: ex.chunk,
    loadTime: ex.loadTime,
    weights,
    weightBytes: weightResidency(plan.steps),
    sparse,
    sparseDecisions: ex.sparseDecisions,
    run: async <R extends Readback = 'logits'>(input: Float32Array, batch: number, opts: { readback?: R } = {}) =>
      (await ex.run(input, batch, opts.readback ?? 'logits')) as ReadbackResult<R>,
    time: (input, batch) => ex.time(input, batch),
    destroy: () => ex.destroy(),
  };
}
