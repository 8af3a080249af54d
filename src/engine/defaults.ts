/**
 * The lab's defaults, in one place: the CLI's option fallbacks, the worker's
 * request fallbacks and the UI's labels all read these, so a default changed
 * here changes everywhere and no two front ends can disagree.
 */

/** Optimizers the trainer implements. */
export type OptimizerName = 'sgd' | 'adam';

/** Learning rate when none is given: Adam's usual 1e-3, plain SGD (with momentum 0) 0.01. */
export function defaultLearningRate(optimizer: OptimizerName): number {
  return optimizer === 'adam' ? 1e-3 : 0.01;
}

export const DEFAULTS = {
  /** Mini-batch of training and fine-tuning. */
  trainBatch: 64,
  /** Training from scratch: Adam on a cosine schedule. */
  trainOptimizer: 'adam' as OptimizerName,
  trainSchedule: 'cosine' as const,
  /** First N training images that calibrate int8 activation ranges (never test images). */
  calibrationImages: 256,
  /** Images per evaluation step. */
  evalBatch: 250,
  /** Batch-1 round trips timed after warm-up for p50/p90. */
  latencyRuns: 50,
  latencyWarmup: 5,
  /** Batch at which throughput (images/s) is measured. */
  throughputBatch: 256,
  throughputRuns: 3,
} as const;
