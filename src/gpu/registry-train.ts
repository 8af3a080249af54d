/**
 * The training kernels (backward passes, losses, optimizers, batch gather),
 * by name. Spread into KERNELS in registry.ts; typed `satisfies
 * Record<TrainKernelName, …>` so a name without a descriptor is a compile
 * error. Kept in its own file so that the trainer's additions touch
 * registry.ts by two lines only.
 */
import type { AnyKernel } from './kernels/types.ts';
import { activationBackward } from './kernels/activation-backward.ts';
import { adam } from './kernels/adam.ts';
import { colSum } from './kernels/col-sum.ts';
import { conv2dBackwardInput } from './kernels/conv2d-backward-input.ts';
import { conv2dBackwardWeight } from './kernels/conv2d-backward-weight.ts';
import { conv2dCol2im } from './kernels/conv2d-col2im.ts';
import { countCorrect } from './kernels/count-correct.ts';
import { depthwiseConv2dBackwardInput } from './kernels/depthwise-conv2d-backward-input.ts';
import { depthwiseConv2dBackwardWeight } from './kernels/depthwise-conv2d-backward-weight.ts';
import { gatherBatch } from './kernels/gather-batch.ts';
import { hintLoss } from './kernels/hint-loss.ts';
import { packWeight } from './kernels/pack-weight.ts';
import { pool2dBackward } from './kernels/pool2d-backward.ts';
import { reluBackward } from './kernels/relu-backward.ts';
import { sgd } from './kernels/sgd.ts';
import { sharedGather } from './kernels/shared-gather.ts';
import { sharedGrad } from './kernels/shared-grad.ts';
import { softmaxCrossEntropy } from './kernels/softmax-cross-entropy.ts';
import { stepAdvance } from './kernels/step-advance.ts';
import { transpose } from './kernels/transpose.ts';
import { weightAbsmax } from './kernels/weight-absmax.ts';
import { weightTernaryStats } from './kernels/weight-ternary-stats.ts';

/** Names of the training kernels (= shaders/<name>.wgsl = src/gpu/kernels/<name>.ts). */
export type TrainKernelName =
  | 'activation-backward'
  | 'adam'
  | 'col-sum'
  | 'conv2d-backward-input'
  | 'conv2d-backward-weight'
  | 'conv2d-col2im'
  | 'count-correct'
  | 'depthwise-conv2d-backward-input'
  | 'depthwise-conv2d-backward-weight'
  | 'gather-batch'
  | 'hint-loss'
  | 'pack-weight'
  | 'pool2d-backward'
  | 'relu-backward'
  | 'sgd'
  | 'shared-gather'
  | 'shared-grad'
  | 'softmax-cross-entropy'
  | 'step-advance'
  | 'transpose'
  | 'weight-absmax'
  | 'weight-ternary-stats';

export const TRAIN_KERNELS = {
  'activation-backward': activationBackward,
  adam,
  'col-sum': colSum,
  'conv2d-backward-input': conv2dBackwardInput,
  'conv2d-backward-weight': conv2dBackwardWeight,
  'conv2d-col2im': conv2dCol2im,
  'count-correct': countCorrect,
  'depthwise-conv2d-backward-input': depthwiseConv2dBackwardInput,
  'depthwise-conv2d-backward-weight': depthwiseConv2dBackwardWeight,
  'gather-batch': gatherBatch,
  'hint-loss': hintLoss,
  'pack-weight': packWeight,
  'pool2d-backward': pool2dBackward,
  'relu-backward': reluBackward,
  sgd,
  'shared-gather': sharedGather,
  'shared-grad': sharedGrad,
  'softmax-cross-entropy': softmaxCrossEntropy,
  'step-advance': stepAdvance,
  transpose,
  'weight-absmax': weightAbsmax,
  'weight-ternary-stats': weightTernaryStats,
} satisfies Record<TrainKernelName, AnyKernel>;
