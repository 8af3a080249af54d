/**
 * The int8 kernels, by name, each as its two dot-product code variants.
 * Typed `satisfies Record<I8KernelName, …>` so a missing kernel or variant is
 * a compile error. (Kept beside registry.ts rather than in it: an int8
 * kernel is two descriptors, one per variant, and the f32 registry maps a
 * name to one.)
 */
import type { AnyKernel } from './kernels/types.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import { conv2dI8 } from './kernels/conv2d-i8.ts';
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
