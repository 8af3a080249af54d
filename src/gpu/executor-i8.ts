/**
 * The int8 entry point: lowers an `Int8Model` (plan-i8.ts) to its throughput
 * plan and, when dense steps would compute one image many times over at
 * small batches, a latency plan with one image per thread, then hands them to
 * the one executor (plan-executor.ts) — the same contract as the float path:
 * `time()` per step (timestamp-query, else wall clock labelled 'wall'), and a
 * lost device recreated and the run retried once, else a DeviceLostError.
 */
import type { Int8Model } from '../model/int8.ts';
import type { Gpu } from './device.ts';
import type { InferenceTiming } from './plan-executor.ts';
import { PlanExecutor } from './plan-executor.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import { unpackActivations } from './kernels/int8-common.ts';
import { int8Defaults } from './int8-multiply.ts';
import type { I8Tiling } from './kernels/conv2d-i8.ts';
import type { I8Plan, I8PlanOptions } from './plan-i8.ts';
import { isDenseI8, planInt8 } from './plan-i8.ts';
import type { PipelineCache } from './pipelines.ts';
import type { ExecPlan } from './step.ts';
import { stepLabel, stepVariant } from './step.ts';

/** 'codes': the int8 codes of the last op (natural NHWC layout, padding dropped) — for bit-exact parity checks. */
export type I8Readback = 'logits' | 'argmax' | 'codes' | 'none';

export type I8ReadbackResult<R extends I8Readback> = R extends 'argmax' ? Int32Array : R extends 'codes' ? Int8Array : R extends 'none' ? null : Float32Array;

export interface Int8ExecutorOptions {
  /** Largest batch per command buffer (default 256). */
  maxBatch?: number;
  /** Dot-product code variant; default 'dot4' when the adapter's WGSL has packed_4x8_integer_dot_product. */
  dot?: DotVariant;
  /** Register block and MAC formulation of conv2d-i8; default per adapter (defaultI8Tiling). */
  tiling?: I8Tiling;
  /**
   * A pipeline cache to share; default the device's shared cache. Used only
   * while its device is the executor's (after a device loss the new device's
   * shared cache takes over).
   */
  cache?: PipelineCache;
}

export interface Int8Executor {
  /** The device in use (replaced after a device loss). */
  readonly gpu: Gpu;
  readonly plan: I8Plan;
  readonly dot: DotVariant;
  /** Per plan step, the kernel as it runs (variantLabel): conv2d-i8 named by its MAC formulation (i8MacVariant), byte unpackers by their unpack. */
  readonly stepLabels: string[];
  /** Per plan step, the variant alone (KernelDescriptor.variant: 'outer-f32', 'unpack4xI8'…; undefined for quantize-i8). */
  readonly stepVariants: (string | undefined)[];
  /** Plan steps the latency plan (batches ≤ SMALL_BATCH) runs one image per thread: the dense steps, 0 when chunk is 1. */
  readonly smallBatchSteps: number;
  readonly chunk: number;
  /** Run `batch` float images (NHWC); larger batches than `chunk` run in chunks. */
  /** On device loss recreates the device and retries once. */
  run<R extends I8Readback = 'logits'>(input: Float32Array, batch: number, options?: { readback?: R }): Promise<I8ReadbackResult<R>>;
  /**
   * One inference of ≤ chunk images, one compute pass per plan step, with
   * per-step GPU timestamps when the device has timestamp-query, else the
   * wall clock around onSubmittedWorkDone (method 'wall', no per-step times).
   */
  time(input: Float32Array, batch: number): Promise<InferenceTiming>;
  destroy(): void;
}

/**
 * Dense steps at batches ≤ SMALL_BATCH: a dense step's rows are images, and a
 * 16-row register block at batch 1 computes the one image 16 times in one
 * thread per channel block (LeNet-300-100's fc1 took 70 ms at batch 1 vs
 * fp32's 0.7 ms). One image and one channel word per thread: oc/4 workgroups
 * of a few live threads each.
 */
export const SMALL_DENSE_I8_TILING = { wg: 16, tm: 1, tn4: 1 };

/** The executor's view of an int8 plan: its codes readback, unpacked to the natural NHWC layout. */
function execPlan(plan: I8Plan): ExecPlan {
  const decode = (data: ArrayBuffer, batch: number): Int8Array => unpackActivations(new Uint32Array(data), plan.codesChannels, batch * plan.codesPixels);
  return { ...plan, readbacks: { codes: { tensor: plan.codes, decode } } };
}

/** Build an int8 executor; resolves once every pipeline is compiled and every weight uploaded. */
export async function createInt8Executor(gpu: Gpu, model: Int8Model, options: Int8ExecutorOptions = {}): Promise<Int8Executor> {
  // The same defaults the Device screen reports (int8MultiplyFor).
  const defaults = int8Defaults(gpu.report);
  const dot = options.dot ?? defaults.dot;
  if (dot === 'dot4' && !gpu.report.wgslLanguageFeatures.packed4x8IntegerDotProduct) {
    throw new Error("int8 executor: the 'dot4' variant needs the WGSL language feature packed_4x8_integer_dot_product, which this adapter lacks; use 'shift'");
  }
  const planOpts: I8PlanOptions = { tiling: options.tiling ?? defaults.tiling, dot };
  const plan = planInt8(model, planOpts);
  const dense = plan.steps.filter(isDenseI8).length;
  // With one image per chunk the dense steps keep their tiling (nothing to gain at one image per thread either).
  const latency = (chunk: number): ExecPlan | undefined =>
    dense && chunk > 1 ? execPlan(planInt8(model, { ...planOpts, denseTiling: SMALL_DENSE_I8_TILING })) : undefined;
  const arch = model.architecture;
  const ex = await PlanExecutor.create(
    gpu,
    { throughput: execPlan(plan), latency },
    { maxBatch: options.maxBatch ?? 256, who: 'int8 executor', model: { name: arch.name, inputShape: arch.inputShape, layers: [] }, cache: options.cache },
  );
  return {
    get gpu() {
      return ex.gpu;
    },
    plan,
    dot,
    stepLabels: plan.steps.map(stepLabel),
    stepVariants: plan.steps.map(stepVariant),
    smallBatchSteps: ex.chunk > 1 ? dense : 0,
    chunk: ex.chunk,
    run: async <R extends I8Readback = 'logits'>(input: Float32Array, batch: number, opts: { readback?: R } = {}) =>
      (await ex.run(input, batch, opts.readback ?? 'logits')) as I8ReadbackResult<R>,
    time: (input, batch) => ex.time(input, batch),
    destroy: () => ex.destroy(),
  };
}
