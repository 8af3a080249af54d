/**
 * Every GPU kernel, by name. Typed `satisfies Record<KernelName, …>` so a
 * kernel named in `KernelName` without a descriptor (or the reverse) is a
 * compile error. The int8 path adds its names to `KernelName` and its
 * descriptors here (precision 'i8'); the executor needs no other change to
 * run them, only a lowering in plan.ts that chooses them.
 */
import type { AnyKernel } from './kernels/types.ts';
import { activation } from './kernels/activation.ts';
import { argmax } from './kernels/argmax.ts';
import { conv2d } from './kernels/conv2d.ts';
import { copy } from './kernels/copy.ts';
import { dense } from './kernels/dense.ts';
import { denseSparse } from './kernels/dense-sparse.ts';
import { matmul } from './kernels/matmul.ts';
import { depthwiseConv2d } from './kernels/depthwise-conv2d.ts';
import { pool2d } from './kernels/pool2d.ts';
import { preprocess } from './kernels/preprocess.ts';
import { relu } from './kernels/relu.ts';
import { softmax } from './kernels/softmax.ts';
import { TRAIN_KERNELS, type TrainKernelName } from './registry-train.ts';

/**
 * Names of all GPU kernels (= shaders/<name>.wgsl = src/gpu/kernels/<name>.ts).
 * A name never carries a variant: what changes the code (compressed weights,
 * block sizes, load path) is a code constant of the one descriptor.
 */
export type KernelName =
  | 'conv2d'
  | 'depthwise-conv2d'
  | 'dense'
  | 'dense-sparse'
  | 'pool2d'
  | 'relu'
  | 'activation'
  | 'softmax'
  | 'argmax'
  | 'matmul'
  | 'copy'
  | 'preprocess'
  | TrainKernelName;

export const KERNELS = {
  conv2d,
  'depthwise-conv2d': depthwiseConv2d,
  dense,
  'dense-sparse': denseSparse,
  pool2d,
  relu,
  activation,
  softmax,
  argmax,
  matmul,
  copy,
  preprocess,
  ...TRAIN_KERNELS,
} satisfies Record<KernelName, AnyKernel>;

/** The descriptor for `name`. */
export function kernel(name: KernelName): AnyKernel {
  return KERNELS[name];
}
