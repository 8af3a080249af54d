/**
 * The building blocks of the trainer's GPU graphs: dispatches whose bind
 * groups are made once, encoded as often as needed; datasets uploaded once;
 * a plan's forward pass bound to buffers; the evaluation step (gather, forward,
 * count correct) shared by training and evaluateModel.
 */
import type { Gpu } from '../device.ts';
import type { AnyKernel } from '../kernels/types.ts';
import { ceilDiv, encodeUniforms } from '../kernels/types.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import type { GemmVariant, Plan, PlanStep } from '../plan.ts';
import { PipelineCache } from '../pipelines.ts';
import type { KernelName } from '../registry.ts';
import { KERNELS } from '../registry.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from '../buffers.ts';
import { bindKernel } from '../bind.ts';
import type { EvalResult, ImageSet } from './options.ts';

/** One kernel dispatch, bound once. */
export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  xyz: [number, number, number];
  /** Bytes of the storage buffers it binds (an upper bound of what it reads and writes; profile only). */
  bytes: number;
}

/** Owns every buffer it makes (destroyed together) and the pipeline cache. */
export class Graph {
  readonly owned: GPUBuffer[] = [];
  readonly cache: PipelineCache;
  constructor(readonly device: GPUDevice) {
    this.cache = new PipelineCache(device);
  }
  /** A buffer over the device's binding limit fails here by name, not later as a bind-group validation error. */
  private fits(label: string, bytes: number): void {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bytes > limit) throw new Error(`trainer: '${label}' needs ${bytes} bytes, over this device's ${limit}-byte storage binding limit; use a smaller batch`);
  }
  buffer(label: string, floats: number): GPUBuffer {
    this.fits(label, floats * 4);
    const b = storageBuffer(this.device, label, floats * 4);
    this.owned.push(b);
    return b;
  }
  upload(label: string, data: Float32Array | Uint32Array): GPUBuffer {
    this.fits(label, data.byteLength);
    const b = uploadBuffer(this.device, label, data);
    this.owned.push(b);
    return b;
  }
  async dispatch<P extends object>(name: KernelName, params: P, buffers: Record<string, GPUBuffer>, label: string): Promise<Dispatch> {
    const kernel: AnyKernel = KERNELS[name];
    const compiled = await this.cache.get(kernel, kernel.constants(params));
    const uniforms = uniformBuffer(this.device, `${label} params`, kernel.uniforms.length);
    this.owned.push(uniforms);
    this.device.queue.writeBuffer(uniforms, 0, encodeUniforms(kernel, kernel.uniformValues(params)));
    const bindGroup = bindKernel(this.device, kernel, compiled.layout, buffers, uniforms, `trainer: ${label}`);
    let bytes = 0;
    for (const b of new Set(Object.values(buffers))) bytes += b.size;
    return { label, pipeline: compiled.pipeline, bindGroup, xyz: kernel.dispatch(params, this.device.limits), bytes };
  }
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}

export function encode(pass: GPUComputePassEncoder, list: Dispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.xyz[0], d.xyz[1], d.xyz[2]);
  }
}

/** One command buffer holding one compute pass filled by `fill`. */
export function submit(device: GPUDevice, fill: (pass: GPUComputePassEncoder) => void, label: string): void {
  const enc = device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  fill(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** Clears `buffers` in one submit. */
export function clear(device: GPUDevice, buffers: GPUBuffer[], label: string): void {
  const enc = device.createCommandEncoder({ label });
  for (const b of buffers) enc.clearBuffer(b);
  device.queue.submit([enc.finish()]);
}

/** The first `n` u32 words of `buf`, read back through a staging buffer. */
export async function readU32(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Uint32Array> {
  const staging = stagingBuffer(device, 'readback', n * 4);
  const enc = device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(buf, 0, staging, 0, Math.ceil((n * 4) / 16) * 16);
  device.queue.submit([enc.finish()]);
  try {
    return new Uint32Array(await readStaging(staging, n * 4));
  } finally {
    staging.destroy();
  }
}

/** A dataset on the GPU: pixels packed 4 bytes per u32, labels one u32 each. */
export interface GpuImages {
  images: GPUBuffer;
  labels: GPUBuffer;
  count: number;
  pixels: number;
}

export function uploadImages(g: Graph, set: ImageSet, count: number, label: string): GpuImages {
  const pixels = set.rows * set.cols;
  const words = new Uint32Array(Math.ceil((count * pixels) / 4));
  new Uint8Array(words.buffer).set(set.images.subarray(0, count * pixels));
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) labels[i] = set.labels[i];
  return { images: g.upload(`${label} images (u8)`, words), labels: g.upload(`${label} labels`, labels), count, pixels };
}

/** Where a forward step reads its layer's weight and bias. */
export type WeightsOf = (layer: string, step: PlanStep) => { weight?: GPUBuffer; bias?: GPUBuffer };

/** The forward pass of a plan, bound to buffers; `tensors[0]` is the shared input. */
export interface Forward {
  plan: Plan;
  tensors: GPUBuffer[];
  dispatches: Dispatch[];
}

export async function buildForward(g: Graph, plan: Plan, batch: number, input: GPUBuffer, label: string, weightsOf: WeightsOf): Promise<Forward> {
  const tensors = plan.tensorSizes.map((size, i) => (i === 0 ? input : g.buffer(`${label} activation ${i}`, size * batch)));
  const dispatches: Dispatch[] = [];
  for (const s of plan.steps) {
    const { weight, bias } = weightsOf(s.layers[0], s);
    const buffers: Record<string, GPUBuffer> = { input: tensors[s.input], output: tensors[s.output] };
    if (weight) buffers.weight = weight;
    if (bias) buffers.bias = bias;
    dispatches.push(await g.dispatch(s.kernel, { ...s.params, batch }, buffers, `${label} ${s.kernel} (${s.layers.join('+')})`));
  }
  return { plan, tensors, dispatches };
}

/** Forward weights straight from the plan's host-packed copies (teachers, evaluation). */
export function uploadedWeights(g: Graph, label: string): WeightsOf {
  return (layer, s) => ({
    weight: s.weight ? g.upload(`${label} ${layer}.weight (packed)`, s.weight) : undefined,
    bias: s.bias ? g.upload(`${label} ${layer}.bias (packed)`, s.bias) : undefined,
  });
}

/** The trainer's forward conv2d tiling (see TrainOptions.registerTiling). */
export const TRAIN_REGISTER_TILING: GemmTiling = { wg: 32, tm: 4, tn4: 2 };

export function defaultVariant(gpu: Gpu, v?: GemmVariant): GemmVariant {
  return v ?? (gpu.report.software ? 'register' : 'tiled');
}

/** One evaluation step (gather a test batch, forward, count correct, advance) and what reading its result needs. */
export interface EvalGraph {
  dispatches: Dispatch[];
  /** Steps over the whole set (the last batch padded; count-correct skips rows past `count`). */
  steps: number;
  count: number;
  batch: number;
  /** Correct predictions per batch row, summed over steps. */
  correct: GPUBuffer;
}

/** Buffers an evaluation step shares with the graph around it. */
export interface EvalBuffers {
  state: GPUBuffer;
  input: GPUBuffer;
  labels: GPUBuffer;
  correct: GPUBuffer;
}

/** Evaluation of the logits `logits` (`classes` per row) of `fwd` over `set`, in order. */
export async function buildEval(g: Graph, set: GpuImages, batch: number, fwd: Forward, logits: GPUBuffer, classes: number, b: EvalBuffers): Promise<EvalGraph> {
  const steps = ceilDiv(set.count, batch);
  const orderHost = new Uint32Array(steps * batch);
  for (let i = 0; i < set.count; i++) orderHost[i] = i;
  const order = g.upload('eval order', orderHost);
  const dispatches = [
    await g.dispatch(
      'gather-batch',
      { batch, pixels: set.pixels },
      { images: set.images, labels: set.labels, order, state: b.state, output: b.input, labelsOut: b.labels },
      'gather test',
    ),
    ...fwd.dispatches,
    await g.dispatch(
      'count-correct',
      { batch, classes, valid: set.count },
      { input: logits, labels: b.labels, state: b.state, output: b.correct },
      'count correct',
    ),
    await g.dispatch('step-advance', {}, { state: b.state }, 'advance'),
  ];
  return { dispatches, steps, count: set.count, batch, correct: b.correct };
}

/**
 * Runs `ev` over the whole set, `chunk` steps per submit, and reads back the
 * counters. The step counter and the counters must be zero on entry.
 */
export async function runEval(device: GPUDevice, ev: EvalGraph, chunk: number, signal?: AbortSignal, onChunk?: (done: number) => void): Promise<EvalResult> {
  for (let s = 0; s < ev.steps; s += chunk) {
    const n = Math.min(chunk, ev.steps - s);
    submit(
      device,
      (pass) => {
        for (let k = 0; k < n; k++) encode(pass, ev.dispatches);
      },
      'eval',
    );
    await device.queue.onSubmittedWorkDone();
    signal?.throwIfAborted();
    onChunk?.(s + n);
  }
  const c = await readU32(device, ev.correct, ev.batch);
  let right = 0;
  for (const v of c) right += v;
  return { accuracy: right / ev.count, errors: ev.count - right, count: ev.count };
}
