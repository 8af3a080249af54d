/**
 * Pipeline cache: one compute pipeline per (kernel, constants). Shapes live
 * in uniforms, so a model compiles each distinct kernel configuration once
 * whatever the batch.
 */
import type { AnyKernel, BindingKind } from './kernels/types.ts';
import { activeBindings, codeValues } from './kernels/types.ts';
import { kernelSource } from './kernels/source.ts';
import { limitViolations } from './limits.ts';

const LAYOUT_TYPE: Record<BindingKind, GPUBufferBindingType> = {
  uniform: 'uniform',
  'read-only-storage': 'read-only-storage',
  storage: 'storage',
};

/** Cache key of a pipeline: the kernel name and its sorted override constants (never shapes). */
export function pipelineKey(kernel: AnyKernel, constants: Record<string, number>): string {
  const c = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',');
  return `${kernel.name}[${c}]`;
}

/** A compiled pipeline plus the explicit bind-group layout its bind groups are made from. */
export interface CompiledKernel {
  key: string;
  /** The constants it was compiled with (code constants pick its bindings, see `activeBindings`). */
  constants: Record<string, number>;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** Compiles pipelines on first use, remembers them per device, and times creation for the load-time breakdown. */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, Promise<CompiledKernel>>();
  /** Wall time spent creating pipelines (ms), summed. */
  creationMs = 0;
  /** Creation time of each pipeline (ms, wall clock, including concurrent waits), for the compile-time report. */
  readonly timings: { key: string; ms: number }[] = [];

  constructor(readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  /** The module for `kernel` (its generated code variant when it has one) and the constants left as overrides. */
  private module(kernel: AnyKernel, constants: Record<string, number>): { module: GPUShaderModule; overrides: Record<string, number> } {
    const codeNames = kernel.codeConstants ?? [];
    const code = codeValues(kernel, constants);
    const overrides: Record<string, number> = {};
    for (const [k, v] of Object.entries(constants)) if (!codeNames.includes(k)) overrides[k] = v;
    const variant = pipelineKey(kernel, code);
    let m = this.modules.get(variant);
    if (!m) {
      m = this.device.createShaderModule({ label: `${kernel.name}.wgsl ${variant}`, code: kernelSource(kernel, code) });
      this.modules.set(variant, m);
    }
    return { module: m, overrides };
  }

  /** The layout of the bindings present in the variant `constants` selects (one per kernel and set of bindings). */
  private bindGroupLayout(kernel: AnyKernel, constants: Record<string, number>): GPUBindGroupLayout {
    const bindings = activeBindings(kernel, constants);
    const key = `${kernel.name}(${bindings.map((b) => b.name).join(',')})`;
    let l = this.layouts.get(key);
    if (!l) {
      l = this.device.createBindGroupLayout({
        label: `${key} bind group layout`,
        entries: bindings.map((b, i) => ({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: LAYOUT_TYPE[b.kind] },
        })),
      });
      this.layouts.set(key, l);
    }
    return l;
  }

  /** The pipeline for `kernel` with `constants`, compiled once (concurrent callers share the promise). */
  get(kernel: AnyKernel, constants: Record<string, number>): Promise<CompiledKernel> {
    const key = pipelineKey(kernel, constants);
    let p = this.pipelines.get(key);
    if (!p) {
      p = (async () => {
        const t0 = performance.now();
        // Said here by name rather than as WebGPU's validation error: a tiling that needs more than this device grants.
        const over = limitViolations(kernel, constants, this.device.limits);
        if (over.length) throw new Error(`kernel ${key}: needs more than this device's limits (${over.join('; ')})`);
        const layout = this.bindGroupLayout(kernel, constants);
        const { module, overrides } = this.module(kernel, constants);
        this.device.pushErrorScope('validation');
        const pipeline = await this.device.createComputePipelineAsync({
          label: key,
          layout: this.device.createPipelineLayout({ label: `${key} layout`, bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'main', constants: overrides },
        });
        const err = await this.device.popErrorScope();
        if (err) throw new Error(`kernel ${key}: pipeline creation failed: ${err.message}`);
        const ms = performance.now() - t0;
        this.creationMs += ms;
        this.timings.push({ key, ms });
        return { key, constants, pipeline, layout };
      })();
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }
}

const shared = new WeakMap<GPUDevice, PipelineCache>();

/**
 * The one pipeline cache of `device`, shared by every executor on it: a
 * pipeline costs seconds to compile on a software adapter, and a model opened
 * twice (or fp32 next to its pruned copy) uses the same kernel configurations.
 */
export function sharedPipelineCache(device: GPUDevice): PipelineCache {
  let c = shared.get(device);
  if (!c) {
    c = new PipelineCache(device);
    shared.set(device, c);
  }
  return c;
}
