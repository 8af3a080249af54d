/**
 * Training through the engine: the GPU trainer with the lab's defaults filled
 * in here, so `compression-lab train`, the worker's Train screen, the
 * benchmark and the bundled-model script train the same way.
 */
import type { Gpu } from '../gpu/device.ts';
import type { ImageSet, TrainOptions, TrainResult } from '../gpu/trainer.ts';
import { trainModel } from '../gpu/trainer.ts';
import type { Model } from '../model/model.ts';
import { DEFAULTS, defaultLearningRate } from '../model/defaults.ts';

export type { EpochReport, ImageSet, TrainOptions, TrainProgress, TrainResult } from '../gpu/trainer.ts';

/** Trains `model` on `train` (evaluating on `test` after each epoch when given); the input model is not modified. */
export function train(gpu: Gpu, model: Model, trainSet: ImageSet, testSet: ImageSet | null, options: TrainOptions): Promise<TrainResult> {
  const optimizer = options.optimizer ?? DEFAULTS.trainOptimizer;
  return trainModel(gpu, model, trainSet, testSet, {
    ...options,
    optimizer,
    lr: options.lr ?? defaultLearningRate(optimizer),
    batch: options.batch ?? DEFAULTS.trainBatch,
  });
}
