/**
 * Accuracy of a model on a labelled set: one loop for every front end (CLI
 * eval and compress, the worker's Compare and Try-it, the benchmark). A float
 * model on a GPU goes through the trainer's evaluator, which uploads the set
 * once and counts correct answers on the GPU; everything else classifies
 * batch by batch through a runner.
 */
import { describeAdapter } from '../gpu/device.ts';
import { evaluateModel } from '../gpu/trainer.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { DEFAULTS } from '../model/defaults.ts';
import type { AnyModel, Runner, RunTarget } from './runner.ts';
import { createRunner, isInt8Model } from './runner.ts';

/** Accuracy over `count` images. */
export interface Accuracy {
  accuracy: number;
  errors: number;
  count: number;
}

/** Options of a classification loop. */
export interface ClassifyOptions {
  /** First image (default 0). */
  start?: number;
  /** Images to classify (default: the rest of the set). */
  limit?: number;
  /** Images per step (default: the runner's chunk, at most DEFAULTS.evalBatch·2). */
  step?: number;
  /** Called after every step (progress, cancellation: throw to stop). */
  onStep?: (done: number, total: number) => void | Promise<void>;
}

/** Predicted classes of images [start, start + limit) of `ds`. */
export async function classifySet(runner: Runner, ds: Dataset, options: ClassifyOptions = {}): Promise<Int32Array> {
  const start = options.start ?? 0;
  const count = Math.max(0, Math.min(options.limit ?? ds.count - start, ds.count - start));
  const step = Math.max(1, options.step ?? Math.min(runner.chunk, 2 * DEFAULTS.evalBatch));
  const classes = new Int32Array(count);
  for (let s = 0; s < count; s += step) {
    const n = Math.min(step, count - s);
    classes.set(await runner.classify(toFloatBatch(ds, start + s, n), n), s);
    await options.onStep?.(s + n, count);
  }
  return classes;
}

/** Accuracy of predicted `classes` against the labels of `ds` from `start`. */
export function score(classes: Int32Array, ds: Dataset, start = 0): Accuracy {
  let right = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] === ds.labels[start + i]) right++;
  const count = classes.length;
  return { accuracy: count ? right / count : 0, errors: count - right, count };
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** The first N images only (default all). */
  limit?: number;
  /** Images per step. */
  batch?: number;
  signal?: AbortSignal;
}

/**
 * Accuracy of `model` (float or int8) on the first `limit` images of `ds`,
 * on a GPU or the CPU reference. `description` says what ran.
 */
export async function evaluate(target: RunTarget, model: AnyModel, ds: Dataset, options: EvaluateOptions = {}): Promise<Accuracy & { description: string }> {
  const limit = Math.min(options.limit ?? ds.count, ds.count);
  if (target !== 'cpu' && !isInt8Model(model)) {
    const r = await evaluateModel(target, model, ds, { limit, batch: options.batch, signal: options.signal });
    return { ...r, description: describeAdapter(target.report) };
  }
  const runner = await createRunner(target, model, { maxBatch: options.batch ?? DEFAULTS.evalBatch });
  try {
    const classes = await classifySet(runner, ds, { limit, step: options.batch ?? DEFAULTS.evalBatch, onStep: () => options.signal?.throwIfAborted() });
    return { ...score(classes, ds), description: runner.description };
  } finally {
    runner.destroy();
  }
}
