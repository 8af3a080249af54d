/**
 * The one executor: runs any lowered plan (float or int8 — it never asks
 * which). Pipelines are compiled and weights uploaded once, every activation
 * buffer is preallocated for `chunk` images, and a batch runs as ONE command
 * buffer per chunk, reading back only what is asked. Nothing is created on
 * the hot path ('argmax' / 'logits' / 'none' and the plan's named
 * readbacks); a layer readback creates its staging buffer on first use.
 *
 * Up to three instances of the model, each a plan bound to the device:
 * 'throughput' (built at creation), 'latency' (batches ≤ SMALL_BATCH, when
 * the planner gives a plan tiled for one image; built on first use) and
 * 'unfused' (a layer readback of a layer fusion removed; built on first use).
 * A lost device is recreated and the run retried once, else DeviceLostError.
 */
import type { Gpu } from './device.ts';
import { DeviceLostError, reacquireGpu } from './device.ts';
import { variantLabel } from './kernels/types.ts';
import { sharedPipelineCache } from './pipelines.ts';
import type { PipelineCache } from './pipelines.ts';
import { readStaging, stagingBuffer } from './buffers.ts';
import type { TimingMethod } from './timer.ts';
import { PassTimer } from './timer.ts';
import type { ExecPlan } from './step.ts';
import type { Instance, LoadTime } from './instance.ts';
import { chunkFor, encodeStep, instantiate, releaseInstance, setBatch } from './instance.ts';
import type { SparseDecision } from './sparse-choice.ts';
import { chooseKernels } from './sparse-choice.ts';

/**
 * Batches up to this size run on the latency instance: small workgroups so
 * that a single image still spreads over the cores of a CPU adapter (and the
 * SMs of a GPU), and one row (image) per thread in dense layers — a dense
 * layer's rows are images, and a 16-row register block at batch 1 computes
 * the one image 16 times.
 */
export const SMALL_BATCH = 4;

/** One timed inference. `layers` is empty with wall-clock timing. */
export interface InferenceTiming {
  method: TimingMethod;
  totalMs: number;
  layers: { layers: string[]; kernel: string; ms: number }[];
}

/** What to read back: the logits, class indices, nothing (only wait), a named readback of the plan, or a layer's output. */
export type AnyReadback = string | { layer: string };

/** The plans of one model. */
export interface PlanSet {
  throughput: ExecPlan;
  /** The plan for batches ≤ SMALL_BATCH at this chunk, when one differs from `throughput`. */
  latency?: (chunk: number) => ExecPlan | undefined;
  /** A plan that materialises every layer, for readbacks of layers `throughput` fused away. */
  unfused?: () => ExecPlan;
}

export interface PlanExecutorOptions {
  maxBatch: number;
  /** Names the executor in errors and labels ('gpu executor', 'int8 executor'). */
  who: string;
  /** The model, for input checks and error messages. */
  model: { name: string; inputShape: readonly number[]; layers: readonly string[] };
  /** A pipeline cache to share; used only while its device is the executor's (after a loss the new device's shared cache takes over). */
  cache?: PipelineCache;
}

interface State {
  gpu: Gpu;
  cache: PipelineCache;
  fused: Instance;
  unfused?: Instance;
  small?: Instance;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One inference with one compute pass per step, timestamped when the device can, else the wall clock. */
async function timedPass(device: GPUDevice, inst: Instance, batch: number): Promise<InferenceTiming> {
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
}

/** Where a readback's bytes come from in `inst` for `batch` images (null: 'none'). */
function readbackSource(
  device: GPUDevice,
  inst: Instance,
  readback: AnyReadback,
  tensor: number,
  batch: number,
): { src: GPUBuffer; staging: GPUBuffer; bytes: number } | null {
  if (readback === 'none') return null;
  if (readback === 'argmax') return { src: inst.argmaxOut, staging: inst.staging.get('argmax')!, bytes: batch * 4 };
  const size = inst.plan.tensorSizes[tensor];
  const key = typeof readback === 'object' ? `tensor ${tensor}` : readback;
  let staging = inst.staging.get(key);
  if (!staging) {
    staging = stagingBuffer(device, `${typeof readback === 'object' ? readback.layer : readback} readback`, size * inst.chunk * 4);
    inst.staging.set(key, staging);
  }
  return { src: inst.tensors[tensor], staging, bytes: batch * size * 4 };
}

export class PlanExecutor {
  readonly chunk: number;
  readonly loadTime: LoadTime = { uploadMs: 0, pipelineMs: 0, allocMs: 0, totalMs: 0 };
  /** Every 'auto' sparse choice made so far, in order. */
  readonly sparseDecisions: SparseDecision[] = [];
  private state!: State;
  private destroyed = false;
  /** The latency plan once asked for (null: none, batches ≤ SMALL_BATCH run on the throughput instance). */
  private latencyPlan: ExecPlan | null | undefined;
  private unfusedPlan: ExecPlan | undefined;

  private constructor(
    private readonly plans: PlanSet,
    private readonly opts: PlanExecutorOptions,
    gpu: Gpu,
  ) {
    const { maxBatch, who } = opts;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`${who}: maxBatch must be a positive integer, got ${maxBatch}`);
    this.chunk = chunkFor(plans.throughput, gpu.device.limits, maxBatch, who);
  }

  /** Build the throughput instance; resolves once every pipeline is compiled and every weight uploaded. */
  static async create(gpu: Gpu, plans: PlanSet, opts: PlanExecutorOptions): Promise<PlanExecutor> {
    const ex = new PlanExecutor(plans, opts, gpu);
    const t0 = performance.now();
    ex.state = await ex.build(gpu);
    ex.loadTime.totalMs = performance.now() - t0;
    return ex;
  }

  /** The device in use (replaced after a device loss). */
  get gpu(): Gpu {
    return this.state.gpu;
  }

  private async build(g: Gpu): Promise<State> {
    const cache = this.opts.cache && this.opts.cache.device === g.device ? this.opts.cache : sharedPipelineCache(g.device);
    return { gpu: g, cache, fused: await instantiate(g, cache, this.plans.throughput, this.chunk, this.loadTime, 'throughput', this.opts.who) };
  }

  private release(s: State): void {
    for (const inst of [s.fused, s.unfused, s.small]) if (inst) releaseInstance(inst);
  }

  /** Run `fn` on the current device; after a loss get a new device, rebuild, and retry once. */
  private async withDevice<T>(fn: (s: State) => Promise<T>): Promise<T> {
    if (this.destroyed) throw new Error(`${this.opts.who}: used after destroy()`);
    if (this.state.gpu.isLost()) await this.recover('lost before run');
    try {
      return await fn(this.state);
    } catch (e) {
      // A lost device makes mapAsync reject; give `lost` a moment to resolve before deciding.
      await Promise.race([this.state.gpu.lost, sleep(100)]);
      if (!this.state.gpu.isLost() || this.destroyed) throw e;
      await this.recover((e as Error).message);
      return await fn(this.state);
    }
  }

  private async recover(why: string): Promise<void> {
    const info = await Promise.race([this.state.gpu.lost, sleep(0).then(() => null)]);
    const reason = info?.reason ?? 'unknown';
    try {
      this.release(this.state);
      this.state = await this.build(await reacquireGpu(this.state.gpu));
    } catch (e) {
      throw new DeviceLostError(String(reason), `${why}; recreating the device failed: ${(e as Error).message}`);
    }
  }

  private checkInput(input: Float32Array, batch: number): void {
    const { who, model } = this.opts;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`${who}: batch must be a positive integer, got ${batch}`);
    const need = batch * this.plans.throughput.inputSize;
    if (input.length !== need) throw new Error(`${who}: input has ${input.length} floats, batch ${batch} of [${model.inputShape.join(', ')}] needs ${need}`);
  }

  private checkLayer(layer: string): void {
    if (!this.opts.model.layers.includes(layer)) throw new Error(`${this.opts.who}: model '${this.opts.model.name}' has no layer '${layer}'`);
  }

  /** The instance (and tensor) a readback at `batch` runs on: latency for small batches when there is a latency plan, unfused for a fused-away layer. */
  private async instanceFor(s: State, readback: AnyReadback, batch: number): Promise<{ inst: Instance; tensor: number }> {
    if (typeof readback !== 'object') {
      let inst = s.fused;
      if (batch <= SMALL_BATCH) {
        if (this.latencyPlan === undefined) this.latencyPlan = this.plans.latency?.(this.chunk) ?? null;
        if (this.latencyPlan) inst = s.small ??= await this.instance(s, this.latencyPlan, Math.min(SMALL_BATCH, this.chunk), 'latency');
      }
      return { inst, tensor: inst.plan.readbacks?.[readback]?.tensor ?? inst.plan.output };
    }
    const t = s.fused.plan.layerTensor?.get(readback.layer);
    if (t !== undefined) return { inst: s.fused, tensor: t };
    this.checkLayer(readback.layer);
    if (!this.plans.unfused) throw new Error(`${this.opts.who}: no readback of layer '${readback.layer}'`);
    this.unfusedPlan ??= this.plans.unfused();
    s.unfused ??= await this.instance(s, this.unfusedPlan, this.chunk, 'unfused');
    return { inst: s.unfused, tensor: this.unfusedPlan.layerTensor!.get(readback.layer)! };
  }

  private instance(s: State, plan: ExecPlan, chunk: number, name: string): Promise<Instance> {
    return instantiate(s.gpu, s.cache, plan, chunk, this.loadTime, name, this.opts.who);
  }

  /** Input written, uniforms set for `batch`, the sparse/dense choice made for its class. */
  private async prepare(device: GPUDevice, inst: Instance, input: Float32Array, batch: number): Promise<void> {
    device.queue.writeBuffer(inst.tensors[0], 0, input.buffer, input.byteOffset, batch * inst.plan.inputSize * 4);
    setBatch(device, inst, batch);
    await chooseKernels(device, inst, batch, this.sparseDecisions);
  }

  private async runChunk(s: State, input: Float32Array, batch: number, readback: AnyReadback): Promise<ArrayBuffer | null> {
    const device = s.gpu.device;
    const { inst, tensor } = await this.instanceFor(s, readback, batch);
    await this.prepare(device, inst, input, batch);
    const enc = device.createCommandEncoder({ label: 'inference' });
    const pass = enc.beginComputePass({ label: 'inference' });
    for (const b of inst.bound) encodeStep(pass, b, batch, device.limits);
    if (readback === 'argmax') encodeStep(pass, inst.argmax, batch, device.limits);
    pass.end();
    const copy = readbackSource(device, inst, readback, tensor, batch);
    if (copy) enc.copyBufferToBuffer(copy.src, 0, copy.staging, 0, Math.ceil(copy.bytes / 16) * 16);
    device.queue.submit([enc.finish()]);
    if (!copy) {
      await device.queue.onSubmittedWorkDone();
      return null;
    }
    return readStaging(copy.staging, copy.bytes);
  }

  private decode(readback: AnyReadback, data: ArrayBuffer, batch: number): Float32Array | Int32Array | Int8Array {
    if (readback === 'argmax') return new Int32Array(data);
    const named = typeof readback === 'string' ? this.plans.throughput.readbacks?.[readback] : undefined;
    return named ? named.decode(data, batch) : new Float32Array(data);
  }

  /** Run `batch` images (NHWC floats), in chunks when batch > chunk. */
  async run(input: Float32Array, batch: number, readback: AnyReadback): Promise<Float32Array | Int32Array | Int8Array | null> {
    if (this.destroyed) throw new Error(`${this.opts.who}: used after destroy()`);
    this.checkInput(input, batch);
    if (typeof readback === 'object') this.checkLayer(readback.layer);
    const inputSize = this.plans.throughput.inputSize;
    let out: Float32Array | Int32Array | Int8Array | null = null;
    for (let start = 0; start < batch; start += this.chunk) {
      const b = Math.min(this.chunk, batch - start);
      const part = input.subarray(start * inputSize, (start + b) * inputSize);
      const data = await this.withDevice((s) => this.runChunk(s, part, b, readback));
      if (!data) continue;
      const view = this.decode(readback, data, b);
      if (batch === b) return view;
      // Values per image: a layer's size is known once its chunk is read.
      const per = view.length / b;
      out ??= new (view.constructor as Float32ArrayConstructor)(batch * per);
      out.set(view as Float32Array, start * per);
    }
    return out;
  }

  /** One inference of ≤ chunk images on the instance `run` uses for that batch, with per-step GPU times when available, else the wall clock. */
  async time(input: Float32Array, batch: number): Promise<InferenceTiming> {
    if (this.destroyed) throw new Error(`${this.opts.who}: used after destroy()`);
    this.checkInput(input, batch);
    if (batch > this.chunk) throw new Error(`${this.opts.who}: time() takes at most ${this.chunk} images, got ${batch}`);
    return this.withDevice(async (s) => {
      const { inst } = await this.instanceFor(s, 'logits', batch);
      await this.prepare(s.gpu.device, inst, input, batch);
      return timedPass(s.gpu.device, inst, batch);
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.release(this.state);
  }
}
