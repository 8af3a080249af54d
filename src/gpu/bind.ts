/**
 * The one place a kernel's bindings meet buffers. Every caller (executor,
 * trainer, kernel runner, roofline probes, tests) names its buffers by the
 * descriptor's binding names; the uniform binding takes `uniforms`. Keeping
 * this in one function keeps binding order a property of the descriptor only.
 */
import type { AnyKernel } from './kernels/types.ts';
import { activeBindings } from './kernels/types.ts';

/**
 * A bind group for `kernel` on `layout`: binding i gets
 * `buffers[bindings[i].name]` (the uniform binding gets `uniforms`), counting
 * only the bindings present in the variant `constants` selects.
 */
export function bindKernel(
  device: GPUDevice,
  kernel: AnyKernel,
  layout: GPUBindGroupLayout,
  buffers: Record<string, GPUBuffer | undefined>,
  uniforms: GPUBuffer | undefined,
  label: string,
  constants: Record<string, number> = {},
): GPUBindGroup {
  const entries = activeBindings(kernel, constants).map((b, i) => {
    const buffer = b.kind === 'uniform' ? uniforms : buffers[b.name];
    if (!buffer) throw new Error(`${label}: no buffer for binding '${b.name}' of kernel ${kernel.name}`);
    return { binding: i, resource: { buffer } };
  });
  return device.createBindGroup({ label: `${label} bind group`, layout, entries });
}
