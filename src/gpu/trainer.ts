/**
 * Training on the GPU. The dataset is uploaded once as bytes; each epoch
 * uploads one shuffled index order and one per-step schedule (lr and Adam's
 * bias corrections), then every step — gather the batch, forward (the f32
 * inference kernels, unfused so every activation is kept), loss, backward,
 * optimizer, mask, re-pack (and fake-quantize) the weights, advance the step
 * counter — is encoded on the GPU with nothing from the host between steps,
 * `stepsPerSubmit` steps per command buffer. The loss is accumulated per row
 * on the GPU and read back once per epoch; test accuracy is counted on the
 * GPU over the whole test set.
 *
 * Deterministic: every reduction runs in a fixed order (no float atomics),
 * so the same model, data, options and seed give bit-identical weights.
 * No Node APIs here: the browser worker and the CLI run the same code.
 *
 * The parts live in train/: options.ts (what a run is told and reports),
 * graph.ts (dispatches, data, forward and evaluation graphs), weights.ts
 * (trainable state, packing, read-back), distill.ts (teacher), backward.ts,
 * optimizers.ts, step.ts (the whole step), loop.ts (epochs), evaluate.ts.
 */
import type { Model } from '../model/model.ts';
import { validateModel } from '../model/model.ts';
import type { Gpu } from './device.ts';
import { encode, Graph, submit } from './train/graph.ts';
import { profileStep, runEpochs } from './train/loop.ts';
import { hyperOf } from './train/optimizers.ts';
import type { ImageSet, TrainOptions, TrainResult } from './train/options.ts';
import { checkOptions } from './train/options.ts';
import { buildTrainGraph, setupOf } from './train/step.ts';
import { readTrainedModel } from './train/weights.ts';

export type {
  DistillOptions,
  EpochReport,
  EvalResult,
  FakeQuantOptions,
  ImageSet,
  LrSchedule,
  ProfiledDispatch,
  TrainOptions,
  TrainProfile,
  TrainProgress,
  TrainResult,
} from './train/options.ts';
export { TRAIN_REGISTER_TILING } from './train/graph.ts';
export { evaluateModel } from './train/evaluate.ts';

/** Train `model` on `train` (and evaluate on `test` after every epoch). The input model is not modified. */
export async function trainModel(gpu: Gpu, model: Model, train: ImageSet, test: ImageSet | null, options: TrainOptions): Promise<TrainResult> {
  validateModel(model);
  checkOptions(model, options);
  const device = gpu.device;
  const setup = setupOf(gpu, model, train, options);
  const hyper = hyperOf(options);
  const g = new Graph(device);
  const setupStart = performance.now();
  try {
    const tg = await buildTrainGraph(g, model, train, test, options, setup, hyper);
    submit(device, (pass) => encode(pass, tg.initialPack), 'initial pack');
    if (options.profile) await profileStep(device, tg, g.cache, setupStart, options.profile);
    const epochs = await runEpochs(device, tg, options, setup, hyper);
    return { model: await readTrainedModel(device, model, tg.layers), epochs };
  } finally {
    await device.queue.onSubmittedWorkDone().catch(() => undefined);
    g.destroy();
  }
}
