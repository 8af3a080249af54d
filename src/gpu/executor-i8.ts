/**
 * The int8 inference executor: runs an `Int8Model` lowered by plan-i8.ts the
 * way executor.ts runs a float model — pipelines compiled and weights
 * uploaded once, every activation buffer preallocated for `chunk` images,
 * one command buffer per chunk, nothing created on the hot path.
 *
 * A separate module rather than a branch inside executor.ts: the int8 plan
 * has its own steps (quantize/dequantize boundaries, packed tensors) and its
 * own code variant, and the float executor stays untouched by it. What it
 * shares with executor.ts is the contract: `time()` per step (timestamp-query,
 * else wall clock labelled 'wall'), and a lost device recreated and the run
 * retried once, else a DeviceLostError.
 */
import type { Int8Model } from '../model/int8.ts';
import type { Gpu } from './device.ts';
import { DeviceLostError, reacquireGpu } from './device.ts';
import type { InferenceTiming } from './executor.ts';
import type { AnyKernel } from './kernels/types.ts';
import { encodeUniforms, variantLabel } from './kernels/types.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import { dotVariantFor, unpackActivations } from './kernels/int8-common.ts';
import type { Conv2dI8Params, I8Tiling } from './kernels/conv2d-i8.ts';
import { defaultI8Tiling } from './kernels/conv2d-i8.ts';
import { argmax as argmaxKernel } from './kernels/argmax.ts';
import type { I8Plan } from './plan-i8.ts';
import { planInt8 } from './plan-i8.ts';
import { i8Kernel } from './registry-i8.ts';
import { sharedPipelineCache } from './pipelines.ts';
import type { CompiledKernel, PipelineCache } from './pipelines.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';
import { bindKernel } from './bind.ts';
import { PassTimer } from './timer.ts';

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
  /** Plan steps that run their own one-image-per-thread pipeline at batches ≤ SMALL_BATCH_I8 (the dense steps). */
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

interface Bound {
  kernel: AnyKernel;
  params: Record<string, unknown>;
  layers: string[];
  compiled: CompiledKernel;
  uniforms: GPUBuffer;
  bindGroup: GPUBindGroup;
  /** Dense steps: the pipeline and params for batch ≤ SMALL_BATCH_I8 (same bindings and uniforms, one row per thread). */
  small?: { compiled: CompiledKernel; params: Record<string, unknown> };
}

/**
 * Batches up to this size run dense steps with SMALL_DENSE_I8_TILING: a dense
 * step's rows are images, and a 16-row register block at batch 1 computes the
 * one image 16 times in one thread per channel block (LeNet-300-100's fc1
 * took 70 ms at batch 1 vs fp32's 0.7 ms). As executor.ts's latency path.
 */
export const SMALL_BATCH_I8 = 4;
/** One image per thread, one channel word per thread: oc/4 workgroups of a few live threads each. */
const SMALL_DENSE_I8_TILING = { wg: 16, tm: 1, tn4: 1 };

/** The plan bound to one device: buffers, pipelines and bind groups for `chunk` images. */
interface Instance {
  gpu: Gpu;
  tensors: GPUBuffer[];
  bound: Bound[];
  argmax: Bound;
  argmaxOut: GPUBuffer;
  staging: { logits: GPUBuffer; argmax: GPUBuffer; codes: GPUBuffer };
  owned: GPUBuffer[];
  batch: number;
  timer: PassTimer | null | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Build an int8 executor; resolves once every pipeline is compiled and every weight uploaded. */
export async function createInt8Executor(gpu: Gpu, model: Int8Model, options: Int8ExecutorOptions = {}): Promise<Int8Executor> {
  const maxBatch = options.maxBatch ?? 256;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`int8 executor: maxBatch must be a positive integer, got ${maxBatch}`);
  const dot = options.dot ?? dotVariantFor(gpu.report);
  if (dot === 'dot4' && !gpu.report.wgslLanguageFeatures.packed4x8IntegerDotProduct) {
    throw new Error("int8 executor: the 'dot4' variant needs the WGSL language feature packed_4x8_integer_dot_product, which this adapter lacks; use 'shift'");
  }
  const plan = planInt8(model, { tiling: options.tiling ?? defaultI8Tiling(gpu.report) });
  const limits = gpu.device.limits;
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const perImage = Math.max(...plan.tensorSizes) * 4;
  const chunk = Math.min(maxBatch, Math.floor(limit / perImage));
  if (chunk < 1) throw new Error(`int8 executor: one image needs a ${perImage}-byte buffer, over the device's ${limit}-byte binding limit`);

  const instantiate = async (g: Gpu): Promise<Instance> => {
    const device = g.device;
    const cache = options.cache && options.cache.device === device ? options.cache : sharedPipelineCache(device);
    const owned: GPUBuffer[] = [];
    const tensors = plan.tensorSizes.map((size, i) => {
      const b = storageBuffer(device, i === 0 ? 'int8 input (f32)' : i === plan.output ? 'int8 logits (f32)' : `int8 activation ${i}`, size * chunk * 4);
      owned.push(b);
      return b;
    });
    const bind = async (kernel: AnyKernel, params: Record<string, unknown>, layers: string[], buffers: Record<string, GPUBuffer>): Promise<Bound> => {
      const label = `${kernel.name} (${layers.join('+')})`;
      const compiled = await cache.get(kernel, kernel.constants({ ...params, batch: chunk }));
      const uniforms = uniformBuffer(device, `${label} params`, kernel.uniforms.length);
      owned.push(uniforms);
      const bindGroup = bindKernel(device, kernel, compiled.layout, buffers, uniforms, `int8 executor: ${label}`);
      return { kernel, params, layers, compiled, uniforms, bindGroup };
    };
    const bound = await Promise.all(
      plan.steps.map(async (s) => {
        const kernel = i8Kernel(s.kernel);
        const buffers: Record<string, GPUBuffer> = { input: tensors[s.input], output: tensors[s.output] };
        if (s.weight) owned.push((buffers.weight = uploadBuffer(device, `${s.layers[0]}.weight (int8 packed)`, s.weight)));
        if (s.bias) owned.push((buffers.bias = uploadBuffer(device, `${s.layers[0]}.bias (int32 + requant)`, s.bias)));
        const params = { ...s.params, dot } as Record<string, unknown>;
        const b = await bind(kernel, params, s.layers, buffers);
        const conv = s.params as Partial<Conv2dI8Params>;
        // A dense step (a 1×1 conv of a 1×1 image): rows are images. The tiling changes the code and the dispatch only, not the bindings or uniforms.
        if (s.kernel === 'conv2d-i8' && conv.h === 1 && conv.w === 1 && conv.tiling && chunk > 1) {
          const smallParams = { ...params, tiling: { ...conv.tiling, ...SMALL_DENSE_I8_TILING } };
          const cache = options.cache && options.cache.device === device ? options.cache : sharedPipelineCache(device);
          b.small = { compiled: await cache.get(kernel, kernel.constants({ ...smallParams, batch: SMALL_BATCH_I8 })), params: smallParams };
        }
        return b;
      }),
    );
    const argmaxOut = storageBuffer(device, 'int8 argmax output', chunk * 4);
    owned.push(argmaxOut);
    const argmax = await bind(argmaxKernel, { classes: plan.classes }, ['argmax'], { input: tensors[plan.output], output: argmaxOut });
    const staging = {
      logits: stagingBuffer(device, 'int8 logits readback', plan.classes * chunk * 4),
      argmax: stagingBuffer(device, 'int8 argmax readback', chunk * 4),
      codes: stagingBuffer(device, 'int8 codes readback', plan.tensorSizes[plan.codes] * chunk * 4),
    };
    owned.push(staging.logits, staging.argmax, staging.codes);
    return { gpu: g, tensors, bound, argmax, argmaxOut, staging, owned, batch: -1, timer: undefined };
  };

  const release = (inst: Instance): void => {
    for (const b of inst.owned) b.destroy();
    inst.timer?.destroy();
  };

  const stepConstants = plan.steps.map((s) => i8Kernel(s.kernel).constants({ ...s.params, batch: 1, dot }));
  const stepLabels = plan.steps.map((s, k) => variantLabel(i8Kernel(s.kernel), stepConstants[k]));
  const stepVariants = plan.steps.map((s, k) => i8Kernel(s.kernel).variant?.(stepConstants[k]));
  let inst = await instantiate(gpu);
  let destroyed = false;

  const recover = async (why: string): Promise<void> => {
    const info = await Promise.race([inst.gpu.lost, sleep(0).then(() => null)]);
    const reason = info?.reason ?? 'unknown';
    try {
      release(inst);
      inst = await instantiate(await reacquireGpu(inst.gpu));
    } catch (e) {
      throw new DeviceLostError(String(reason), `${why}; recreating the device failed: ${(e as Error).message}`);
    }
  };
  /** Run `fn` on the current device; after a loss get a new device, rebuild, and retry once. */
  const withDevice = async <T>(fn: (i: Instance) => Promise<T>): Promise<T> => {
    if (destroyed) throw new Error('int8 executor: used after destroy()');
    if (inst.gpu.isLost()) await recover('lost before run');
    try {
      return await fn(inst);
    } catch (e) {
      // A lost device makes mapAsync reject; give `lost` a moment to resolve before deciding.
      await Promise.race([inst.gpu.lost, sleep(100)]);
      if (!inst.gpu.isLost() || destroyed) throw e;
      await recover((e as Error).message);
      return await fn(inst);
    }
  };

  /** Uniforms are rewritten only when the batch changes (shapes live in uniforms, one pipeline per config). */
  const setBatch = (i: Instance, batch: number): void => {
    if (batch === i.batch) return;
    for (const b of [...i.bound, i.argmax]) i.gpu.device.queue.writeBuffer(b.uniforms, 0, encodeUniforms(b.kernel, b.kernel.uniformValues({ ...b.params, batch })));
    i.batch = batch;
  };
  const encode = (pass: GPUComputePassEncoder, b: Bound, batch: number, device: GPUDevice): void => {
    const v = b.small && batch <= SMALL_BATCH_I8 ? b.small : b;
    pass.setPipeline(v.compiled.pipeline);
    pass.setBindGroup(0, b.bindGroup);
    const [x, y, z] = b.kernel.dispatch({ ...v.params, batch }, device.limits);
    pass.dispatchWorkgroups(x, y, z);
  };

  const runChunk = async (i: Instance, input: Float32Array, batch: number, readback: I8Readback): Promise<ArrayBuffer | null> => {
    const device = i.gpu.device;
    device.queue.writeBuffer(i.tensors[0], 0, input.buffer, input.byteOffset, batch * plan.inputSize * 4);
    setBatch(i, batch);
    const enc = device.createCommandEncoder({ label: 'int8 inference' });
    const pass = enc.beginComputePass({ label: 'int8 inference' });
    for (const b of i.bound) encode(pass, b, batch, device);
    if (readback === 'argmax') encode(pass, i.argmax, batch, device);
    pass.end();
    if (readback === 'none') {
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return null;
    }
    const [src, dst, per] =
      readback === 'argmax'
        ? [i.argmaxOut, i.staging.argmax, 1]
        : readback === 'codes'
          ? [i.tensors[plan.codes], i.staging.codes, plan.tensorSizes[plan.codes]]
          : [i.tensors[plan.output], i.staging.logits, plan.classes];
    const bytes = batch * per * 4;
    enc.copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 16) * 16);
    device.queue.submit([enc.finish()]);
    return readStaging(dst, bytes);
  };

  const checkInput = (input: Float32Array, batch: number): void => {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`int8 executor: batch must be a positive integer, got ${batch}`);
    if (input.length !== batch * plan.inputSize) {
      throw new Error(`int8 executor: input has ${input.length} floats, batch ${batch} of [${model.architecture.inputShape.join(', ')}] needs ${batch * plan.inputSize}`);
    }
  };

  return {
    get gpu() {
      return inst.gpu;
    },
    plan,
    dot,
    stepLabels,
    stepVariants,
    get smallBatchSteps() {
      return inst.bound.filter((b) => b.small).length;
    },
    chunk,
    async run<R extends I8Readback = 'logits'>(input: Float32Array, batch: number, opts: { readback?: R } = {}): Promise<I8ReadbackResult<R>> {
      if (destroyed) throw new Error('int8 executor: used after destroy()');
      const readback: I8Readback = opts.readback ?? 'logits';
      checkInput(input, batch);
      const per = readback === 'argmax' ? 1 : readback === 'codes' ? plan.codesPixels * plan.codesChannels : plan.classes;
      const out = readback === 'none' ? null : readback === 'argmax' ? new Int32Array(batch) : readback === 'codes' ? new Int8Array(batch * per) : new Float32Array(batch * per);
      for (let start = 0; start < batch; start += chunk) {
        const b = Math.min(chunk, batch - start);
        const part = input.subarray(start * plan.inputSize, (start + b) * plan.inputSize);
        const data = await withDevice((i) => runChunk(i, part, b, readback));
        if (!data || !out) continue;
        const view =
          readback === 'argmax'
            ? new Int32Array(data)
            : readback === 'codes'
              ? unpackActivations(new Uint32Array(data), plan.codesChannels, b * plan.codesPixels)
              : new Float32Array(data);
        out.set(view as Float32Array & Int32Array & Int8Array, start * per);
      }
      return out as I8ReadbackResult<R>;
    },
    async time(input: Float32Array, batch: number): Promise<InferenceTiming> {
      if (destroyed) throw new Error('int8 executor: used after destroy()');
      checkInput(input, batch);
      if (batch > chunk) throw new Error(`int8 executor: time() takes at most ${chunk} images, got ${batch}`);
      return withDevice(async (i) => {
        const device = i.gpu.device;
        device.queue.writeBuffer(i.tensors[0], 0, input.buffer, input.byteOffset, batch * plan.inputSize * 4);
        setBatch(i, batch);
        if (i.timer === undefined) i.timer = PassTimer.create(device, i.bound.length);
        const timer = i.timer;
        const enc = device.createCommandEncoder({ label: 'timed int8 inference' });
        i.bound.forEach((b, k) => {
          const pass = enc.beginComputePass({ label: b.compiled.key, ...(timer ? { timestampWrites: timer.timestampWrites(k) } : {}) });
          encode(pass, b, batch, device);
          pass.end();
        });
        if (timer) timer.resolve(enc, i.bound.length);
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        const wall = performance.now() - t0;
        if (!timer) return { method: 'wall', totalMs: wall, layers: [] };
        const r = await timer.read(i.bound.length);
        return { method: 'timestamp', totalMs: r.totalMs, layers: i.bound.map((b, k) => ({ layers: b.layers, kernel: stepLabels[k], ms: r.passes[k] })) };
      });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      release(inst);
    },
  };
}
