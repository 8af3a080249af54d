/**
 * The int8 kernels, by name, each as its two dot-product code variants.
 * Typed `satisfies Record<I8KernelName, …>` so a missing kernel or variant is
 * a compile error. (Kept beside registry.ts rather than in it: an int8
 * kernel is two descriptors, one per variant, and the f32 registry maps a
 * name to one.)
 */
import type { AnyKernel } from './kernels/types.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import type { Conv2dI8Params } from './kernels/conv2d-i8.ts';
import { conv2dI8, i8Mac } from './kernels/conv2d-i8.ts';
import { depthwiseConv2dI8 } from './kernels/depthwise-conv2d-i8.ts';
import { dequantizeI8 } from './kernels/dequantize-i8.ts';
import { pool2dI8 } from './kernels/pool2d-i8.ts';
import { quantizeI8 } from './kernels/quantize-i8.ts';

/** Names of the int8 kernels (= shaders/<name>.wgsl = src/gpu/kernels/<name>.ts). */
export type I8KernelName = 'conv2d-i8' | 'depthwise-conv2d-i8' | 'pool2d-i8' | 'quantize-i8' | 'dequantize-i8';

export const I8_KERNELS = {
  'conv2d-i8': conv2dI8,
  'depthwise-conv2d-i8': depthwiseConv2dI8,
  'pool2d-i8': pool2dI8,
  'quantize-i8': quantizeI8,
  'dequantize-i8': dequantizeI8,
} satisfies Record<I8KernelName, Record<DotVariant, AnyKernel>>;

/** The descriptor of `name` in `variant`. */
export function i8Kernel(name: I8KernelName, variant: DotVariant): AnyKernel {
  return I8_KERNELS[name][variant];
}

/**
 * How conv2d-i8 multiplies, as reported: the MAC formulation its tiling and K
 * picked (i8Mac), not the code variant — on CPU adapters the 'dot4' variant
 * mostly runs the exact-f32 outer product and never calls dot4I8Packed.
 */
export function i8MacLabel(mac: 0 | 1 | 2, variant: DotVariant): string {
  if (mac === 2) return 'outer-f32';
  if (mac === 1) return 'outer-i32';
  return variant === 'dot4' ? 'dot4I8Packed' : 'dot4-shift';
}

/**
 * Name of one int8 step for timings and logs: conv2d-i8 with the MAC it ran
 * (i8MacLabel); kernels that unpack bytes with the unpack they compiled
 * (WGSL's unpack4xI8, or shifts); quantize-i8 alone (it only packs, the same
 * code in both variants).
 */
export function i8StepLabel(name: I8KernelName, variant: DotVariant, params: Record<string, unknown>): string {
  if (name === 'conv2d-i8') return `${name}:${i8MacLabel(i8Mac({ ...(params as unknown as Conv2dI8Params), batch: 1 }), variant)}`;
  if (name === 'quantize-i8') return name;
  return `${name}:${variant === 'dot4' ? 'unpack4xI8' : 'unpack-shift'}`;
}
