/**
 * Every GPU kernel, by name. Typed `satisfies Record<KernelName, …>` so a
 * kernel named in `KernelName` without a descriptor (or the reverse) is a
 * compile error. The int8 path adds its names to `KernelName` and its
 * descriptors here (precision 'i8'); the executor needs no other change to
 * run them, only a lowering in plan.ts that chooses them.
 */
import type { AnyKernel } from './kernels/types.ts';
import { argmax } from './kernels/argmax.ts';
import { conv2d } from './kernels/conv2d.ts';
import { conv2dCodebook, conv2dHashed } from './kernels/conv2d-compressed.ts';
import { copy } from './kernels/copy.ts';
import { dense } from './kernels/dense.ts';
import { denseSparse } from './kernels/dense-sparse.ts';
import { denseSparseCodebook } from './kernels/dense-sparse-codebook.ts';
import { matmul } from './kernels/matmul.ts';
import { depthwiseConv2d } from './kernels/depthwise-conv2d.ts';
import { depthwiseConv2dCodebook, depthwiseConv2dHashed } from './kernels/depthwise-conv2d-compressed.ts';
import { pool2d } from './kernels/pool2d.ts';
import { relu } from './kernels/relu.ts';
import { softmax } from './kernels/softmax.ts';
import { TRAIN_KERNELS, type TrainKernelName } from './registry-train.ts';

/** Names of all GPU kernels (= shaders/<name>.wgsl = src/gpu/kernels/<name>.ts). */
export type KernelName = 'conv2d' | 'conv2d-codebook' | 'conv2d-hashed' | 'depthwise-conv2d' | 'depthwise-conv2d-codebook' | 'depthwise-conv2d-hashed' | 'dense' | 'dense-sparse' | 'dense-sparse-codebook' | 'pool2d' | 'relu' | 'softmax' | 'argmax' | 'matmul' | 'copy' | TrainKernelName;

export const KERNELS = {
  conv2d,
  'conv2d-codebook': conv2dCodebook,
  'conv2d-hashed': conv2dHashed,
  'depthwise-conv2d': depthwiseConv2d,
  'depthwise-conv2d-codebook': depthwiseConv2dCodebook,
  'depthwise-conv2d-hashed': depthwiseConv2dHashed,
  dense,
  'dense-sparse': denseSparse,
  'dense-sparse-codebook': denseSparseCodebook,
  pool2d,
  relu,
  softmax,
  argmax,
  matmul,
  copy,
  ...TRAIN_KERNELS,
} satisfies Record<KernelName, AnyKernel>;

/** The descriptor for `name`. */
export function kernel(name: KernelName): AnyKernel {
  return KERNELS[name];
}
