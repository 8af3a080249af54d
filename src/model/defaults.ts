/**
 * The lab's defaults, in one place. Pure data, so every layer can read it:
 * the trainer, the passes' option defaults, the engine, the CLI's option
 * fallbacks, the worker's request fallbacks and (through the worker) the
 * UI's forms. A default changed here changes everywhere, and no two front
 * ends can disagree.
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
  /** Fine-tuning a trained model (the passes' finetune, gradual, distill): plain SGD at a constant rate. */
  fineTuneOptimizer: 'sgd' as OptimizerName,
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
