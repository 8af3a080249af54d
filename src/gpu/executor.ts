/**
 * The f32 inference executor: compiles a model's pipelines once, uploads its
 * weights once, preallocates every activation buffer for `maxBatch`, and runs
 * a batch as ONE command buffer, reading back only what is asked. Nothing is
 * created on the hot path ('argmax' / 'logits' / 'none' readback); a layer
 * readback creates its staging buffer on first use.
 */
import type { Model } from '../model/model.ts';
import type { Gpu } from './device.ts';
import { DeviceLostError, reacquireGpu } from './device.ts';
import type { GemmTiling } from './kernels/conv2d.ts';
import type { DenseTiling } from './kernels/dense.ts';
import type { AnyKernel } from './kernels/types.ts';
import { encodeUniforms, variantLabel } from './kernels/types.ts';
import type { GemmVariant, HostData, Plan, PlanStep, SparseMode } from './plan.ts';
import { planModel } from './plan.ts';
import type { WeightResidency, WeightsMode } from './compressed-weights.ts';
import { weightResidency } from './compressed-weights.ts';
import { sharedPipelineCache } from './pipelines.ts';
import type { PipelineCache } from './pipelines.ts';
import type { CompiledKernel } from './pipelines.ts';
import { KERNELS } from './registry.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';
import { bindKernel } from './bind.ts';
import type { TimingMethod } from './timer.ts';
import { PassTimer } from './timer.ts';

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

/** One 'auto' choice between the dense and the sparse kernel of a layer, with the times it was made on. */
export interface SparseDecision {
  /** Model layers of the step (the dense layer and a fused relu). */
  layers: string[];
  /** Which executor instance: 'throughput', 'latency' (batch ≤ SMALL_BATCH, register variant) or 'unfused' (layer readback). */
  instance: string;
  /** The batch measured, and the class (next power of two) the choice is kept for. */
  batch: number;
  batchClass: number;
  /** Kernel of the dense step ('conv2d' register GEMM or tiled 'dense'). */
  denseKernel: string;
  /** Fastest of the timed samples of one dispatch (ms): what the choice compares. */
  denseMs: number;
  sparseMs: number;
  method: TimingMethod;
  chosen: 'dense' | 'sparse';
  /** Nonzero weights / all weights of the layer. */
  density: number;
  /** Wall time the measurement took (what 'auto' costs the first run of a batch class). */
  costMs: number;
}

/** Batches sharing a sparse/dense choice: the next power of two. */
export function batchClass(batch: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, batch)));
}

/** Where load time went (ms), for the benchmark. */
export interface LoadTime {
  /** Weight upload (buffer creation + copy). */
  uploadMs: number;
  /** Shader modules, pipeline compilation (concurrent; wall time) and bind groups. */
  pipelineMs: number;
  /** Activation and staging buffers. */
  allocMs: number;
  totalMs: number;
}

/** One timed inference. `layers` is empty with wall-clock timing. */
export interface InferenceTiming {
  method: TimingMethod;
  totalMs: number;
  layers: { layers: string[]; kernel: string; ms: number }[];
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

interface Bound {
  step: PlanStep;
  kernel: AnyKernel;
  compiled: CompiledKernel;
  uniforms: GPUBuffer;
  bindGroup: GPUBindGroup;
}

/** A plan bound to a device: buffers, pipelines and bind groups for `chunk` images. */
interface Instance {
  plan: Plan;
  tensors: GPUBuffer[];
  bound: Bound[];
  argmax: Bound;
  argmaxOut: GPUBuffer;
  staging: Map<string, GPUBuffer>;
  owned: GPUBuffer[];
  batch: number;
  timer: PassTimer | null | undefined;
  name: string;
  /** Steps with an alternative (index into `bound`): `bound[index]` is one of the two, per the current batch class. */
  choices: { index: number; dense: Bound; sparse: Bound }[];
  /** Per batch class: sparse chosen, per entry of `choices`. */
  decided: Map<number, boolean[]>;
  /** Batch class `bound` is currently set up for (-1: none). */
  cls: number;
  /** One-pass timer for the choice measurements; created on the first one. */
  choiceTimer: PassTimer | null | undefined;
}

interface State {
  gpu: Gpu;
  cache: PipelineCache;
  fused: Instance;
  unfused?: Instance;
  /** The latency path (batch ≤ SMALL_BATCH), built on first use. */
  small?: Instance;
}

/**
 * Batches up to this size run on a second instance tiled for latency: small
 * workgroups so that a single image still spreads over the cores of a CPU
 * adapter (and the SMs of a GPU), and one row per thread in dense layers.
 */
export const SMALL_BATCH = 4;
const SMALL_TILING: GemmTiling = { wg: 16, tm: 8, tn4: 8 };
/**
 * Dense layers at batch ≤ 4: one row and one channel word per thread, channel
 * words spread over the workgroup's threads (SwiftShader, LeNet-5 fc1 at
 * batch 1: 41 ms with 8 words per thread in dispatch-y blocks, one live thread
 * per workgroup; 8 ms spread one word per thread).
 */
const SMALL_DENSE_TILING: GemmTiling = { wg: 16, tm: 1, tn4: 1, spread: true };

function chunkFor(plan: Plan, gpu: Gpu, maxBatch: number): number {
  const bytes = Math.max(...plan.tensorSizes, plan.outputShape.reduce((a, b) => a * b, 1)) * 4;
  const limit = Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
  const n = Math.floor(limit / bytes);
  if (n < 1) throw new Error(`gpu executor: one image needs a ${bytes}-byte activation buffer, over the device's ${limit}-byte binding limit`);
  return Math.min(maxBatch, n);
}

async function bindStep(
  device: GPUDevice,
  cache: PipelineCache,
  kernel: AnyKernel,
  step: PlanStep,
  buffers: Record<string, GPUBuffer>,
  chunk: number,
  owned: GPUBuffer[],
): Promise<Bound> {
  const params = { ...step.params, batch: chunk };
  const compiled = await cache.get(kernel, kernel.constants(params));
  const label = `${kernel.name} (${step.layers.join('+')})`;
  const uniforms = uniformBuffer(device, `${label} params`, kernel.uniforms.length);
  owned.push(uniforms);
  const bindGroup = bindKernel(device, kernel, compiled.layout, buffers, uniforms, `gpu executor: ${label}`, compiled.constants);
  return { step, kernel, compiled, uniforms, bindGroup };
}

/** A step's host data ('weight', 'bias' and `data`) uploaded once, keyed by the binding name it is bound to. */
function uploadHostData(device: GPUDevice, s: PlanStep, owned: GPUBuffer[], shared = new Map<HostData, GPUBuffer>()): Record<string, GPUBuffer> {
  const name = s.layers[0];
  const host: Record<string, HostData | undefined> = { weight: s.weight, bias: s.bias, ...s.data };
  const out: Record<string, GPUBuffer> = {};
  for (const [binding, data] of Object.entries(host)) {
    if (!data) continue;
    // One buffer per host array: steps handed the same array (a network-wide hash table) bind one buffer.
    let b = shared.get(data);
    if (!b) {
      b = uploadBuffer(device, `${name}.${binding} (packed)`, data);
      owned.push(b);
      shared.set(data, b);
    }
    out[binding] = b;
  }
  return out;
}

async function instantiate(gpu: Gpu, cache: PipelineCache, plan: Plan, chunk: number, load: LoadTime, name: string): Promise<Instance> {
  const device = gpu.device;
  const owned: GPUBuffer[] = [];
  const t0 = performance.now();
  const tensors = plan.tensorSizes.map((size, i) => {
    const b = storageBuffer(device, i === 0 ? 'input' : `activation ${i}`, size * chunk * 4);
    owned.push(b);
    return b;
  });
  const t1 = performance.now();
  const shared = new Map<HostData, GPUBuffer>();
  const hostBuffers = plan.steps.map((s) => uploadHostData(device, s, owned, shared));
  const altSteps = plan.steps.flatMap((s, index) => (s.alternative ? [{ index, step: s.alternative }] : []));
  const altBuffers = altSteps.map((a) => uploadHostData(device, a.step, owned));
  const t2 = performance.now();
  const bindOne = (s: PlanStep, host: Record<string, GPUBuffer>): Promise<Bound> =>
    bindStep(device, cache, KERNELS[s.kernel], s, { ...host, input: tensors[s.input], output: tensors[s.output] }, chunk, owned);
  // Wall time of the compile + bind phase (pipelines compile concurrently, so the per-pipeline times overlap).
  const [bound, alts] = await Promise.all([
    Promise.all(plan.steps.map((s, i) => bindOne(s, hostBuffers[i]))),
    Promise.all(altSteps.map((a, i) => bindOne(a.step, altBuffers[i]))),
  ]);
  const choices = altSteps.map((a, i) => ({ index: a.index, dense: bound[a.index], sparse: alts[i] }));
  const classes = plan.tensorSizes[plan.output];
  const staging = new Map<string, GPUBuffer>();
  const logits = stagingBuffer(device, 'logits readback', classes * chunk * 4);
  const classesBuf = stagingBuffer(device, 'argmax readback', chunk * 4);
  staging.set('logits', logits);
  staging.set('argmax', classesBuf);
  owned.push(logits, classesBuf);
  const argmaxOut = storageBuffer(device, 'argmax output', chunk * 4);
  owned.push(argmaxOut);
  const argmaxStep: PlanStep = { kernel: 'argmax', params: { classes } as never, layers: ['argmax'], input: plan.output, output: -1, macs: 0 };
  const argmax = await bindStep(device, cache, KERNELS.argmax, argmaxStep, { input: tensors[plan.output], output: argmaxOut }, chunk, owned);
  const t3 = performance.now();
  load.uploadMs += t2 - t1;
  load.pipelineMs += t3 - t2;
  load.allocMs += t1 - t0;
  return { plan, tensors, bound, argmax, argmaxOut, staging, owned, batch: -1, timer: undefined, name, choices, decided: new Map(), cls: -1, choiceTimer: undefined };
}

function setBatch(device: GPUDevice, inst: Instance, batch: number): void {
  if (inst.batch === batch) return;
  for (const b of [...inst.bound, ...inst.choices.flatMap((c) => [c.dense, c.sparse]), inst.argmax]) {
    const params = { ...b.step.params, batch };
    device.queue.writeBuffer(b.uniforms, 0, encodeUniforms(b.kernel, b.kernel.uniformValues(params)));
  }
  inst.batch = batch;
}

function encodeStep(pass: GPUComputePassEncoder, b: Bound, batch: number, limits: GPUSupportedLimits): void {
  pass.setPipeline(b.compiled.pipeline);
  pass.setBindGroup(0, b.bindGroup);
  const [x, y, z] = b.kernel.dispatch({ ...b.step.params, batch }, limits);
  pass.dispatchWorkgroups(x, y, z);
}

/** Interleaved samples per kernel when choosing between dense and sparse. */
const CHOICE_SAMPLES = 5;
/** A timed pass repeats the dispatch until it lasts about this long (ms, by the warm-up), at most CHOICE_MAX_REPEATS times. */
const CHOICE_PASS_MS = 1;
const CHOICE_MAX_REPEATS = 8;

/** Time (ms) of one dispatch of `b` at `batch`: a pass of `repeats` dispatches, timestamps or wall clock, divided by `repeats`. */
async function timeDispatch(device: GPUDevice, b: Bound, batch: number, timer: PassTimer | null, repeats: number): Promise<number> {
  const enc = device.createCommandEncoder({ label: 'sparse choice' });
  const pass = enc.beginComputePass({ label: `sparse choice ${b.compiled.key}`, ...(timer ? { timestampWrites: timer.timestampWrites(0) } : {}) });
  for (let r = 0; r < repeats; r++) encodeStep(pass, b, batch, device.limits);
  pass.end();
  if (timer) timer.resolve(enc, 1);
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wall = performance.now() - t0;
  return (timer ? (await timer.read(1)).passes[0] : wall) / repeats;
}

/**
 * Set `inst.bound` to the kernels chosen for `batch`'s class, measuring them
 * first if this class is new: for each step with an alternative, one warm-up
 * dispatch each (which also sizes the timed passes: tiny layers repeat the
 * dispatch so a pass outlasts the timer's resolution), then CHOICE_SAMPLES
 * samples alternating dense and sparse (so drift in machine load hits both);
 * the lower minimum wins — other work on the machine only ever adds time, so
 * the least-disturbed sample is the best estimate of a kernel's own cost, and
 * a tie keeps the dense kernel. Once per (instance, class); afterwards this
 * is a map lookup. The timed dispatches overwrite
 * activations the run then recomputes, and uniforms must already be set for
 * `batch`.
 */
async function chooseKernels(device: GPUDevice, inst: Instance, batch: number, record: SparseDecision[]): Promise<void> {
  if (!inst.choices.length) return;
  const cls = batchClass(batch);
  if (inst.cls === cls) return;
  let picks = inst.decided.get(cls);
  if (!picks) {
    if (inst.choiceTimer === undefined) inst.choiceTimer = PassTimer.create(device, 1);
    const timer = inst.choiceTimer;
    picks = [];
    for (const c of inst.choices) {
      const t0 = performance.now();
      const warm = Math.max(await timeDispatch(device, c.dense, batch, timer, 1), await timeDispatch(device, c.sparse, batch, timer, 1));
      const repeats = Math.min(CHOICE_MAX_REPEATS, Math.max(1, Math.ceil(CHOICE_PASS_MS / Math.max(warm, 1e-3))));
      const dense: number[] = [];
      const sparse: number[] = [];
      for (let i = 0; i < CHOICE_SAMPLES; i++) {
        dense.push(await timeDispatch(device, c.dense, batch, timer, repeats));
        sparse.push(await timeDispatch(device, c.sparse, batch, timer, repeats));
      }
      const denseMs = Math.min(...dense);
      const sparseMs = Math.min(...sparse);
      picks.push(sparseMs < denseMs);
      record.push({
        layers: c.dense.step.layers,
        instance: inst.name,
        batch,
        batchClass: cls,
        denseKernel: variantLabel(c.dense.kernel, c.dense.compiled.constants),
        denseMs,
        sparseMs,
        method: timer ? 'timestamp' : 'wall',
        chosen: sparseMs < denseMs ? 'sparse' : 'dense',
        density: c.sparse.step.macs / c.dense.step.macs,
        costMs: performance.now() - t0,
      });
    }
    inst.decided.set(cls, picks);
  }
  const chosen = picks;
  inst.choices.forEach((c, i) => (inst.bound[c.index] = chosen[i] ? c.sparse : c.dense));
  inst.cls = cls;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Build an executor for `model` on `gpu`. Compiles every pipeline and uploads
 * every weight before resolving, so the first `run` is as fast as the rest.
 */
export async function createExecutor(gpu: Gpu, model: Model, options: ExecutorOptions = {}): Promise<Executor> {
  const maxBatch = options.maxBatch ?? 256;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`gpu executor: maxBatch must be a positive integer, got ${maxBatch}`);
  const variant: GemmVariant = options.variant ?? (gpu.report.software ? 'register' : 'tiled');
  const sparse: SparseMode = options.sparse ?? 'auto';
  const sparseDecisions: SparseDecision[] = [];
  const weights: WeightsMode = options.weights ?? 'compressed';
  const planOpts = { variant, registerTiling: options.registerTiling, denseTiling: options.denseTiling, sparse, weights };
  const plan = planModel(model, { ...planOpts, fuse: options.fuse ?? true });
  let unfusedPlan: Plan | undefined;
  let smallPlan: Plan | undefined;
  const chunk = chunkFor(plan, gpu, maxBatch);
  const loadTime: LoadTime = { uploadMs: 0, pipelineMs: 0, allocMs: 0, totalMs: 0 };
  let destroyed = false;

  const build = async (g: Gpu): Promise<State> => {
    const cache = sharedPipelineCache(g.device);
    return { gpu: g, cache, fused: await instantiate(g, cache, plan, chunk, loadTime, 'throughput') };
  };
  const t0 = performance.now();
  let state = await build(gpu);
  loadTime.totalMs = performance.now() - t0;

  const release = (s: State): void => {
    for (const inst of [s.fused, s.unfused, s.small]) {
      if (!inst) continue;
      for (const b of inst.owned) b.destroy();
      for (const b of inst.staging.values()) b.destroy();
      inst.timer?.destroy();
      inst.choiceTimer?.destroy();
    }
  };

  /** Run `fn` on the current device; after a loss get a new device, rebuild, and retry once. */
  const withDevice = async <T>(fn: (s: State) => Promise<T>): Promise<T> => {
    if (destroyed) throw new Error('gpu executor: used after destroy()');
    if (state.gpu.isLost()) await recover('lost before run');
    try {
      return await fn(state);
    } catch (e) {
      // A lost device makes mapAsync reject; give `lost` a moment to resolve before deciding.
      await Promise.race([state.gpu.lost, sleep(100)]);
      if (!state.gpu.isLost() || destroyed) throw e;
      await recover((e as Error).message);
      return await fn(state);
    }
  };
  const recover = async (why: string): Promise<void> => {
    const info = await Promise.race([state.gpu.lost, sleep(0).then(() => null)]);
    const reason = info?.reason ?? 'unknown';
    try {
      release(state);
      state = await build(await reacquireGpu(state.gpu));
    } catch (e) {
      throw new DeviceLostError(String(reason), `${why}; recreating the device failed: ${(e as Error).message}`);
    }
  };

  const instanceFor = async (s: State, readback: Readback, batch: number): Promise<{ inst: Instance; tensor: number }> => {
    if (typeof readback !== 'object') {
      if (batch > SMALL_BATCH || variant !== 'register') return { inst: s.fused, tensor: s.fused.plan.output };
      smallPlan ??= planModel(model, {
        ...planOpts,
        fuse: options.fuse ?? true,
        registerTiling: options.latencyTiling ?? SMALL_TILING,
        denseRegisterTiling: options.latencyDenseTiling ?? SMALL_DENSE_TILING,
      });
      s.small ??= await instantiate(s.gpu, s.cache, smallPlan, Math.min(SMALL_BATCH, chunk), loadTime, 'latency');
      return { inst: s.small, tensor: smallPlan.output };
    }
    const t = s.fused.plan.layerTensor.get(readback.layer);
    if (t !== undefined) return { inst: s.fused, tensor: t };
    if (!model.architecture.layers.some((l) => l.name === readback.layer)) {
      throw new Error(`gpu executor: model '${model.architecture.name}' has no layer '${readback.layer}'`);
    }
    // The layer was fused away: an unfused plan (built once, on demand) materialises every layer.
    unfusedPlan ??= planModel(model, { ...planOpts, fuse: false });
    s.unfused ??= await instantiate(s.gpu, s.cache, unfusedPlan, chunk, loadTime, 'unfused');
    return { inst: s.unfused, tensor: unfusedPlan.layerTensor.get(readback.layer)! };
  };

  const runChunk = async (s: State, input: Float32Array, batch: number, readback: Readback): Promise<ArrayBuffer | null> => {
    const device = s.gpu.device;
    const { inst, tensor } = await instanceFor(s, readback, batch);
    device.queue.writeBuffer(inst.tensors[0], 0, input.buffer, input.byteOffset, batch * plan.inputSize * 4);
    setBatch(device, inst, batch);
    await chooseKernels(device, inst, batch, sparseDecisions);
    const enc = device.createCommandEncoder({ label: 'inference' });
    const pass = enc.beginComputePass({ label: 'inference' });
    for (const b of inst.bound) encodeStep(pass, b, batch, device.limits);
    if (readback === 'argmax') encodeStep(pass, inst.argmax, batch, device.limits);
    pass.end();
    let staging: GPUBuffer | undefined;
    let bytes = 0;
    if (readback === 'argmax') {
      staging = inst.staging.get('argmax')!;
      bytes = batch * 4;
      enc.copyBufferToBuffer(inst.argmaxOut, 0, staging, 0, Math.ceil(bytes / 16) * 16);
    } else if (readback !== 'none') {
      const key = `tensor ${tensor}`;
      const size = inst.plan.tensorSizes[tensor];
      staging = readback === 'logits' ? inst.staging.get('logits')! : inst.staging.get(key);
      if (!staging) {
        staging = stagingBuffer(device, `${typeof readback === 'object' ? readback.layer : 'logits'} readback`, size * chunk * 4);
        inst.staging.set(key, staging);
      }
      bytes = batch * size * 4;
      enc.copyBufferToBuffer(inst.tensors[tensor], 0, staging, 0, Math.ceil(bytes / 16) * 16);
    }
    device.queue.submit([enc.finish()]);
    if (!staging) {
      await device.queue.onSubmittedWorkDone();
      return null;
    }
    return readStaging(staging, bytes);
  };

  const executor: Executor = {
    get gpu() {
      return state.gpu;
    },
    plan,
    variant,
    chunk,
    loadTime,
    weights,
    weightBytes: weightResidency(plan.steps),
    sparse,
    sparseDecisions,
    async run<R extends Readback = 'logits'>(input: Float32Array, batch: number, options: { readback?: R } = {}): Promise<ReadbackResult<R>> {
      const readback: Readback = options.readback ?? 'logits';
      if (!Number.isInteger(batch) || batch < 1) throw new Error(`gpu executor: batch must be a positive integer, got ${batch}`);
      if (input.length !== batch * plan.inputSize) {
        throw new Error(`gpu executor: input has ${input.length} floats, batch ${batch} of [${model.architecture.inputShape.join(', ')}] needs ${batch * plan.inputSize}`);
      }
      if (typeof readback === 'object' && !model.architecture.layers.some((l) => l.name === readback.layer)) {
        throw new Error(`gpu executor: model '${model.architecture.name}' has no layer '${readback.layer}'`);
      }
      // Floats (or indices) per image in the result; a layer's size is known once its chunk is read.
      const per = readback === 'argmax' || readback === 'none' ? 1 : readback === 'logits' ? plan.tensorSizes[plan.output] : undefined;
      let out: Float32Array | Int32Array | null = null;
      for (let start = 0; start < batch; start += chunk) {
        const b = Math.min(chunk, batch - start);
        const part = input.subarray(start * plan.inputSize, (start + b) * plan.inputSize);
        const data = await withDevice((s) => runChunk(s, part, b, readback));
        if (!data) continue;
        const view = readback === 'argmax' ? new Int32Array(data) : new Float32Array(data);
        if (batch === b) {
          out = view;
          break;
        }
        const size = per ?? view.length / b;
        out ??= readback === 'argmax' ? new Int32Array(batch) : new Float32Array(batch * size);
        out.set(view as Float32Array & Int32Array, start * size);
      }
      return out as ReadbackResult<R>;
    },
    async time(input: Float32Array, batch: number): Promise<InferenceTiming> {
      if (batch > chunk) throw new Error(`gpu executor: time() takes at most ${chunk} images, got ${batch}`);
      return withDevice(async (s) => {
        const device = s.gpu.device;
        // The instance run() would use for this batch (the latency path for small batches), so the times are of what runs.
        const { inst } = await instanceFor(s, 'logits', batch);
        device.queue.writeBuffer(inst.tensors[0], 0, input.buffer, input.byteOffset, batch * plan.inputSize * 4);
        setBatch(device, inst, batch);
        await chooseKernels(device, inst, batch, sparseDecisions);
        if (inst.timer === undefined) inst.timer = PassTimer.create(device, inst.bound.length);
        const timer = inst.timer;
        const enc = device.createCommandEncoder({ label: 'timed inference' });
        inst.bound.forEach((b, i) => {
          const pass = enc.beginComputePass({ label: b.compiled.key, ...(timer ? { timestampWrites: timer.timestampWrites(i) } : {}) });
          encodeStep(pass, b, batch, device.limits);
          pass.end();
        });
        if (timer) timer.resolve(enc, inst.bound.length);
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        const wall = performance.now() - t0;
        if (!timer) return { method: 'wall', totalMs: wall, layers: [] };
        const r = await timer.read(inst.bound.length);
        return {
          method: 'timestamp',
          totalMs: r.totalMs,
          layers: inst.bound.map((b, i) => ({ layers: b.step.layers, kernel: variantLabel(b.kernel, b.compiled.constants), ms: r.passes[i] })),
        };
      });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      release(state);
    },
  };
  return executor;
}
