/**
 * A runner: one model on one target (a GPU executor, float or integer, or
 * the CPU reference), behind one interface. The engine is the only place
 * that picks an executor for a model, so front ends never branch on
 * precision or cast between executor types.
 */
import type { Gpu } from '../gpu/device.ts';
import { describeAdapter } from '../gpu/device.ts';
import { createExecutor, type Executor, type ExecutorOptions, type InferenceTiming, type LoadTime } from '../gpu/executor.ts';
import { createInt8Executor, type Int8Executor } from '../gpu/executor-i8.ts';
import { modelForward } from '../cpu/forward.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import type { Model } from '../model/model.ts';
import type { Int8Model } from '../model/int8.ts';

/** A float model or an integer-only one. */
export type AnyModel = Model | Int8Model;

export const isInt8Model = (m: AnyModel): m is Int8Model => !('weights' in m);

/** Where a runner runs. */
export type RunTarget = Gpu | 'cpu';

export interface Runner {
  readonly on: 'gpu' | 'cpu';
  readonly precision: 'fp32' | 'int8';
  /** Images per step the runner handles best (the executor's chunk; the CPU's evaluation step). */
  readonly chunk: number;
  /** Human label: the adapter and the code path, e.g. "…, int8 GPU path (outer-f32 MACs, dot4 code variant)". */
  readonly description: string;
  /** The code path alone, for tables that name the device elsewhere (e.g. "variant register, chunk 256"). */
  readonly codePath: string;
  /** GPU runners: where creating the executor spent its time. */
  readonly loadTime?: LoadTime;
  /** Class index of each of `n` NHWC float images. */
  classify(x: Float32Array, n: number): Promise<Int32Array>;
  logits(x: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Float GPU runners only: the output of layer `name` for `n` images — one
   * whole run reading that layer's tensor back (a layer fusion removed runs
   * on the executor's unfused instance, built on first use).
   */
  layer?(x: Float32Array, n: number, name: string): Promise<Float32Array>;
  /** Runs and waits for the result without reading it back (throughput). */
  run(x: Float32Array, n: number): Promise<void>;
  /** One timed inference of ≤ chunk images, per layer where the device has timestamps; null on the CPU. */
  time(x: Float32Array, n: number): Promise<InferenceTiming | null>;
  /** Float GPU runners: weight bytes resident on the GPU and the layers the sparse kernel won. */
  gpuWeights(): { bytes: number; fp32: number } | undefined;
  sparseLayers(): string[];
  destroy(): void;
}

/** Options of a runner. */
export interface RunnerOptions {
  /** Largest batch per command buffer (GPU) or per step (CPU). */
  maxBatch?: number;
  /** Float executor options (tilings, sparse and weight modes) for measurements that pin them. */
  executor?: ExecutorOptions;
}

function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

function cpuRunner(model: AnyModel, chunk: number): Runner {
  const int8 = isInt8Model(model);
  const forward = (x: Float32Array, n: number): Float32Array => (int8 ? int8ModelForward(model, x, n).logits : modelForward(model, x, n));
  return {
    on: 'cpu',
    precision: int8 ? 'int8' : 'fp32',
    chunk,
    description: int8 ? 'cpu (integer reference)' : 'cpu (float32 reference)',
    codePath: int8 ? 'CPU integer reference' : 'CPU float32 reference',
    classify: async (x, n) => {
      const logits = forward(x, n);
      return argmaxRows(logits, logits.length / n);
    },
    logits: async (x, n) => forward(x, n),
    run: async (x, n) => void forward(x, n),
    time: async () => null,
    gpuWeights: () => undefined,
    sparseLayers: () => [],
    destroy: () => undefined,
  };
}

/** The code variants the int8 executor's steps really run (e.g. outer-f32 MACs on CPU adapters), from the descriptors' constants. */
function int8Macs(ex: Int8Executor): string {
  return [...new Set(ex.stepVariants.filter((v) => v !== undefined))].join(', ') || ex.dot;
}

/** The convolutions' multiply-accumulate formulation alone, for the benchmark's tables. */
function convMacs(ex: Int8Executor): string {
  return [...new Set(ex.plan.steps.flatMap((s, i) => (s.kernel === 'conv2d-i8' ? [ex.stepVariants[i]] : [])))].join(' + ') || 'none';
}

function floatGpuRunner(gpu: Gpu, ex: Executor): Runner {
  return {
    on: 'gpu',
    precision: 'fp32',
    chunk: ex.chunk,
    description: describeAdapter(gpu.report),
    codePath: `variant ${ex.variant}, chunk ${ex.chunk}`,
    loadTime: ex.loadTime,
    classify: (x, n) => ex.run(x, n, { readback: 'argmax' }),
    logits: (x, n) => ex.run(x, n, { readback: 'logits' }),
    layer: (x, n, name) => ex.run(x, n, { readback: { layer: name } }),
    run: async (x, n) => void (await ex.run(x, n, { readback: 'none' })),
    time: (x, n) => ex.time(x, n),
    gpuWeights: () => ({ bytes: ex.weightBytes.bytes, fp32: ex.weightBytes.fp32 }),
    sparseLayers: () => [...new Set(ex.sparseDecisions.filter((d) => d.chosen === 'sparse').map((d) => d.layers[0]))],
    destroy: () => ex.destroy(),
  };
}

function int8GpuRunner(gpu: Gpu, ex: Int8Executor): Runner {
  return {
    on: 'gpu',
    precision: 'int8',
    chunk: ex.chunk,
    description: `${describeAdapter(gpu.report)}, int8 GPU path (${int8Macs(ex)} MACs, ${ex.dot} code variant)`,
    codePath: `MACs ${convMacs(ex)} (${ex.dot} code variant)`,
    classify: (x, n) => ex.run(x, n, { readback: 'argmax' }),
    logits: (x, n) => ex.run(x, n, { readback: 'logits' }),
    run: async (x, n) => void (await ex.run(x, n, { readback: 'none' })),
    time: (x, n) => ex.time(x, n),
    gpuWeights: () => undefined,
    sparseLayers: () => [],
    destroy: () => ex.destroy(),
  };
}

/** A runner for `model` on `target`: the float or the integer executor on a GPU, else the matching CPU reference. */
export async function createRunner(target: RunTarget, model: AnyModel, options: RunnerOptions = {}): Promise<Runner> {
  if (target === 'cpu') return cpuRunner(model, options.maxBatch ?? 250);
  const maxBatch = options.maxBatch ?? options.executor?.maxBatch;
  if (isInt8Model(model)) return int8GpuRunner(target, await createInt8Executor(target, model, maxBatch ? { maxBatch } : {}));
  return floatGpuRunner(target, await createExecutor(target, model, { ...options.executor, ...(maxBatch ? { maxBatch } : {}) }));
}
