/**
 * Run one kernel on host arrays: for tests, tuning and the int8 path's
 * parity checks. Not the hot path (it creates buffers per call); the
 * executor is.
 */
import type { AnyKernel } from './kernels/types.ts';
import { activeBindings, encodeUniforms } from './kernels/types.ts';
import type { PipelineCache } from './pipelines.ts';
import { bindKernel } from './bind.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';

export interface KernelRun {
  /** Host data for every non-uniform, non-output binding, by binding name. */
  inputs: Record<string, Float32Array | Uint32Array | Int32Array>;
  /** Size of the 'output' binding in 4-byte elements. */
  outputLength: number;
  /** How to read the output back. */
  outputType?: 'f32' | 'u32' | 'i32';
  /** Dispatch this many times in one pass (timing); default 1. */
  repeat?: number;
}

/** Compile (cached), run once and read the output back. */
export async function runKernel<S>(cache: PipelineCache, kernel: AnyKernel, shape: S, run: KernelRun): Promise<Float32Array | Uint32Array | Int32Array> {
  const device = cache.device;
  const compiled = await cache.get(kernel, kernel.constants(shape));
  const owned: GPUBuffer[] = [];
  const buffers: Record<string, GPUBuffer> = {};
  let uniforms: GPUBuffer | undefined;
  let output: GPUBuffer | null = null;
  for (const b of activeBindings(kernel, compiled.constants)) {
    let buf: GPUBuffer;
    if (b.kind === 'uniform') {
      const values = kernel.uniformValues(shape);
      buf = uniformBuffer(device, `${kernel.name} ${b.name}`, values.length);
      device.queue.writeBuffer(buf, 0, encodeUniforms(kernel, values));
      uniforms = buf;
    } else if (b.name === 'output') {
      buf = storageBuffer(device, `${kernel.name} output`, run.outputLength * 4);
      output = buf;
    } else {
      const data = run.inputs[b.name];
      if (!data) throw new Error(`runKernel ${kernel.name}: no data for binding '${b.name}'`);
      buf = uploadBuffer(device, `${kernel.name} ${b.name}`, data);
    }
    owned.push(buf);
    buffers[b.name] = buf;
  }
  if (!output) throw new Error(`runKernel ${kernel.name}: kernel has no 'output' binding`);
  const bindGroup = bindKernel(device, kernel, compiled.layout, buffers, uniforms, `runKernel ${kernel.name}`, compiled.constants);
  const bytes = run.outputLength * 4;
  const staging = stagingBuffer(device, `${kernel.name} readback`, bytes);
  owned.push(staging);
  const enc = device.createCommandEncoder({ label: `${kernel.name} run` });
  const pass = enc.beginComputePass({ label: kernel.name });
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, bindGroup);
  const [x, y, z] = kernel.dispatch(shape, device.limits);
  for (let i = 0; i < (run.repeat ?? 1); i++) pass.dispatchWorkgroups(x, y, z);
  pass.end();
  enc.copyBufferToBuffer(output, 0, staging, 0, Math.ceil(bytes / 16) * 16);
  device.queue.submit([enc.finish()]);
  const data = await readStaging(staging, bytes);
  for (const b of owned) b.destroy();
  const t = run.outputType ?? 'f32';
  return t === 'u32' ? new Uint32Array(data) : t === 'i32' ? new Int32Array(data) : new Float32Array(data);
}
