/**
 * The int8 kernels, by name. Typed `satisfies Record<I8KernelName, …>` so a
 * missing kernel is a compile error. The dot-product form (dot4I8Packed or
 * shift-and-mask) is each kernel's code constant DOT4, set from the params'
 * `dot`, never a name. (Kept beside registry.ts rather than in it: the int8
 * path has its own planner; step.ts resolves names from both.)
 */
import type { AnyKernel } from './kernels/types.ts';
import { conv2dI8 } from './kernels/conv2d-i8.ts';
import { depthwiseConv2dI8 } from './kernels/depthwise-conv2d-i8.ts';
import { dequantizeI8 } from './kernels/dequantize-i8.ts';
import { lutI8 } from './kernels/lut-i8.ts';
import { pool2dI8 } from './kernels/pool2d-i8.ts';
import { quantizeI8 } from './kernels/quantize-i8.ts';

/** Names of the int8 kernels (= shaders/<name>.wgsl = src/gpu/kernels/<name>.ts). */
export type I8KernelName = 'conv2d-i8' | 'depthwise-conv2d-i8' | 'pool2d-i8' | 'lut-i8' | 'quantize-i8' | 'dequantize-i8';

export const I8_KERNELS = {
  'conv2d-i8': conv2dI8,
  'depthwise-conv2d-i8': depthwiseConv2dI8,
  'pool2d-i8': pool2dI8,
  'lut-i8': lutI8,
  'quantize-i8': quantizeI8,
  'dequantize-i8': dequantizeI8,
} satisfies Record<I8KernelName, AnyKernel>;

/** The descriptor of `name`. */
export function i8Kernel(name: I8KernelName): AnyKernel {
  return I8_KERNELS[name];
}
