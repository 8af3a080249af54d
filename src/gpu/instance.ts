/**
 * A plan bound to a device: activation buffers for `chunk` images, host data
 * uploaded once, one pipeline, uniform buffer and bind group per step (and
 * per alternative), the argmax step and the readback staging buffers. The
 * executor keeps one instance per plan it runs (throughput, latency,
 * unfused); nothing here depends on the plan's precision.
 */
import type { Gpu } from './device.ts';
import type { AnyKernel } from './kernels/types.ts';
import { encodeUniforms } from './kernels/types.ts';
import { argmax as argmaxKernel } from './kernels/argmax.ts';
import type { CompiledKernel, PipelineCache } from './pipelines.ts';
import { stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';
import { bindKernel } from './bind.ts';
import type { PassTimer } from './timer.ts';
import type { ExecPlan, HostData, Step } from './step.ts';
import { hostBindings, stepKernel } from './step.ts';

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

/** One step on the device. */
export interface Bound {
  step: Step;
  kernel: AnyKernel;
  compiled: CompiledKernel;
  uniforms: GPUBuffer;
  bindGroup: GPUBindGroup;
}

export interface Instance {
  plan: ExecPlan;
  tensors: GPUBuffer[];
  bound: Bound[];
  argmax: Bound;
  argmaxOut: GPUBuffer;
  /** Readback staging by name ('logits', 'argmax', the plan's readbacks, then `tensor <id>` for layers on first use). */
  staging: Map<string, GPUBuffer>;
  owned: GPUBuffer[];
  /** Images per buffer. */
  chunk: number;
  /** Batch the uniforms are written for (-1: none). */
  batch: number;
  timer: PassTimer | null | undefined;
  /** Which instance, as sparse decisions name it: 'throughput', 'latency' or 'unfused'. */
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

/** Images per command buffer: min(maxBatch, what the storage-binding limit allows for the largest tensor). */
export function chunkFor(plan: ExecPlan, limits: GPUSupportedLimits, maxBatch: number, who: string): number {
  const bytes = Math.max(...plan.tensorSizes) * 4;
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const n = Math.floor(limit / bytes);
  if (n < 1) throw new Error(`${who}: one image needs a ${bytes}-byte activation buffer, over the device's ${limit}-byte binding limit`);
  return Math.min(maxBatch, n);
}

async function bindStep(
  device: GPUDevice,
  cache: PipelineCache,
  step: Step,
  buffers: Record<string, GPUBuffer>,
  chunk: number,
  owned: GPUBuffer[],
  who: string,
  kernel: AnyKernel = stepKernel(step.kernel),
): Promise<Bound> {
  const compiled = await cache.get(kernel, kernel.constants({ ...step.params, batch: chunk }));
  const label = `${kernel.name} (${step.layers.join('+')})`;
  const uniforms = uniformBuffer(device, `${label} params`, kernel.uniforms.length);
  owned.push(uniforms);
  const bindGroup = bindKernel(device, kernel, compiled.layout, buffers, uniforms, `${who}: ${label}`, compiled.constants);
  return { step, kernel, compiled, uniforms, bindGroup };
}

/** A step's host data uploaded once, keyed by the binding name it is bound to; steps handed the same array (a network-wide hash table) bind one buffer. */
function uploadHostData(device: GPUDevice, s: Step, owned: GPUBuffer[], shared: Map<HostData, GPUBuffer>): Record<string, GPUBuffer> {
  const out: Record<string, GPUBuffer> = {};
  for (const [binding, data] of Object.entries(hostBindings(s))) {
    let b = shared.get(data);
    if (!b) {
      b = uploadBuffer(device, `${s.layers[0]}.${binding} (packed)`, data);
      owned.push(b);
      shared.set(data, b);
    }
    out[binding] = b;
  }
  return out;
}

function stagingBuffers(device: GPUDevice, plan: ExecPlan, chunk: number): Map<string, GPUBuffer> {
  const staging = new Map<string, GPUBuffer>();
  staging.set('logits', stagingBuffer(device, 'logits readback', plan.tensorSizes[plan.output] * chunk * 4));
  staging.set('argmax', stagingBuffer(device, 'argmax readback', chunk * 4));
  for (const [name, r] of Object.entries(plan.readbacks ?? {}))
    staging.set(name, stagingBuffer(device, `${name} readback`, plan.tensorSizes[r.tensor] * chunk * 4));
  return staging;
}

/** Bind `plan` on `gpu` for `chunk` images, adding what it took to `load`. */
export async function instantiate(gpu: Gpu, cache: PipelineCache, plan: ExecPlan, chunk: number, load: LoadTime, name: string, who: string): Promise<Instance> {
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
  // Alternatives upload their own copies, apart from the steps' (only arrays within one alternative are shared).
  const altBuffers = altSteps.map((a) => uploadHostData(device, a.step, owned, new Map()));
  const t2 = performance.now();
  const bindOne = (s: Step, host: Record<string, GPUBuffer>): Promise<Bound> =>
    bindStep(device, cache, s, { ...host, input: tensors[s.input], output: tensors[s.output] }, chunk, owned, who);
  // Wall time of the compile + bind phase (pipelines compile concurrently, so the per-pipeline times overlap).
  const [bound, alts] = await Promise.all([
    Promise.all(plan.steps.map((s, i) => bindOne(s, hostBuffers[i]))),
    Promise.all(altSteps.map((a, i) => bindOne(a.step, altBuffers[i]))),
  ]);
  const choices = altSteps.map((a, i) => ({ index: a.index, dense: bound[a.index], sparse: alts[i] }));
  const staging = stagingBuffers(device, plan, chunk);
  const argmaxOut = storageBuffer(device, 'argmax output', chunk * 4);
  owned.push(argmaxOut);
  const argmaxStep: Step = {
    kernel: 'argmax',
    params: { classes: plan.tensorSizes[plan.output] },
    layers: ['argmax'],
    input: plan.output,
    output: -1,
    macs: 0,
  };
  const argmax = await bindStep(device, cache, argmaxStep, { input: tensors[plan.output], output: argmaxOut }, chunk, owned, who, argmaxKernel);
  const t3 = performance.now();
  load.uploadMs += t2 - t1;
  load.pipelineMs += t3 - t2;
  load.allocMs += t1 - t0;
  return {
    plan,
    tensors,
    bound,
    argmax,
    argmaxOut,
    staging,
    owned,
    chunk,
    batch: -1,
    timer: undefined,
    name,
    choices,
    decided: new Map(),
    cls: -1,
    choiceTimer: undefined,
  };
}

/** Uniforms are rewritten only when the batch changes (shapes live in uniforms, one pipeline per configuration). */
export function setBatch(device: GPUDevice, inst: Instance, batch: number): void {
  if (inst.batch === batch) return;
  for (const b of [...inst.bound, ...inst.choices.flatMap((c) => [c.dense, c.sparse]), inst.argmax]) {
    device.queue.writeBuffer(b.uniforms, 0, encodeUniforms(b.kernel, b.kernel.uniformValues({ ...b.step.params, batch })));
  }
  inst.batch = batch;
}

export function encodeStep(pass: GPUComputePassEncoder, b: Bound, batch: number, limits: GPUSupportedLimits): void {
  pass.setPipeline(b.compiled.pipeline);
  pass.setBindGroup(0, b.bindGroup);
  const [x, y, z] = b.kernel.dispatch({ ...b.step.params, batch }, limits);
  pass.dispatchWorkgroups(x, y, z);
}

export function releaseInstance(inst: Instance): void {
  for (const b of inst.owned) b.destroy();
  for (const b of inst.staging.values()) b.destroy();
  inst.timer?.destroy();
  inst.choiceTimer?.destroy();
}
