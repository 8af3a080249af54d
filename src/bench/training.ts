/**
 * Training throughput for the benchmark (issue 4, item 5): images/s of
 * forward + backward + optimizer update at batch 64, on the GPU trainer
 * (`train`, src/engine/train.ts — exactly what `compression-lab train`
 * and the worker run) and on the float32 CPU reference (src/cpu forward,
 * backward and Adam), in the same run, on the same MNIST training images.
 * No Node or DOM APIs: the Node run and the bench page share it.
 *
 * GPU: one `train` call of two short "epochs" over the first `images`
 * training images. The first epoch pays the first-dispatch costs (shader
 * JIT on a software adapter) and is the warm-up; the second epoch's
 * images/s is the figure — the trainer's own epoch timing, which covers
 * every step from the first submit to the loss read-back and nothing else.
 * Set-up (buffers, pipeline creation, dataset upload) is reported apart.
 *
 * CPU: the same step done by the reference code: gather a shuffled batch,
 * `modelForwardAll`, `softmaxCrossEntropy`, `modelBackward`, `adamStep` on
 * every tensor. One warm-up step, then steps until the time budget (at least
 * `minSteps`), images/s over their total wall time.
 */
import type { Gpu } from '../gpu/device.ts';
import { train as trainOnGpu } from '../engine/train.ts';
import type { Dataset } from '../data/dataset.ts';
import { gatherFloatBatch, gatherLabels, shuffledIndices } from '../data/dataset.ts';
import { modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import type { AdamOptions } from '../cpu/optim.ts';
import { adamStep } from '../cpu/optim.ts';
import type { Model } from '../model/model.ts';
import type { Environment, TrainingResult } from './schema.ts';

/** Adam as the bundled models were trained (scripts/train-bundled.ts): lr 1e-3, PyTorch betas. */
export const TRAIN_ADAM: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
export const TRAIN_BATCH = 64;
const CLASSES = 10;

/** Images of one timed GPU epoch: a whole number of batches, at least one. */
export function trainingImages(requested: number, available: number, batch = TRAIN_BATCH): number {
  const n = Math.min(requested, available);
  return Math.max(batch, Math.floor(n / batch) * batch);
}

/** GPU training throughput of `model` (a copy is trained; the input is not modified). */
export async function measureGpuTraining(
  gpu: Gpu,
  environment: Environment,
  model: Model,
  train: Dataset,
  images: number,
  log: (s: string) => void,
  batch = TRAIN_BATCH,
): Promise<TrainingResult> {
  const name = model.architecture.name;
  const limit = trainingImages(images, train.count, batch);
  const t0 = performance.now();
  try {
    const r = await trainOnGpu(gpu, model, train, null, { epochs: 2, batch, limit, seed: 1, optimizer: 'adam', lr: TRAIN_ADAM.lr });
    const total = performance.now() - t0;
    const [warm, timed] = r.epochs;
    const steps = Math.floor(limit / batch);
    const setupMs = total - (warm.seconds + timed.seconds) * 1000;
    log(
      `  lab train ${name}: ${timed.imagesPerSecond.toFixed(1)} img/s (epoch 2 of ${limit} images; warm-up epoch ${warm.imagesPerSecond.toFixed(1)} img/s; set-up ${setupMs.toFixed(0)} ms)`,
    );
    if (!Number.isFinite(timed.trainLoss)) throw new Error(`training loss is ${timed.trainLoss}`);
    return {
      runtime: 'lab',
      environment,
      model: name,
      batch,
      optimizer: 'adam',
      imagesPerSecond: timed.imagesPerSecond,
      images: steps * batch,
      steps,
      seconds: timed.seconds,
      warmupImagesPerSecond: warm.imagesPerSecond,
      setupMs,
      status: 'ok',
      note: `train (src/engine/train.ts), 2 epochs over the first ${limit} MNIST training images, the second timed; mean loss ${timed.trainLoss.toFixed(3)}`,
    };
  } catch (e) {
    const msg = (e as Error).message;
    log(`  lab train ${name} failed: ${msg}`);
    return failed('lab', environment, name, msg);
  }
}

/**
 * CPU reference training throughput: Adam steps at batch 64 on a copy of the
 * weights until `budgetMs` has passed (at least `minSteps`, at most `maxSteps`).
 */
export function measureCpuTraining(
  environment: Environment,
  model: Model,
  train: Dataset,
  budgetMs: number,
  minSteps: number,
  maxSteps: number,
  log: (s: string) => void,
): TrainingResult {
  const name = model.architecture.name;
  try {
    const m: Model = { architecture: model.architecture, weights: Object.fromEntries(Object.entries(model.weights).map(([k, v]) => [k, v.slice()])) };
    const names = Object.keys(m.weights);
    const moment1 = Object.fromEntries(names.map((k) => [k, new Float32Array(m.weights[k].length)]));
    const moment2 = Object.fromEntries(names.map((k) => [k, new Float32Array(m.weights[k].length)]));
    const order = shuffledIndices(train.count, 1);
    const x = new Float32Array(TRAIN_BATCH * train.rows * train.cols);
    let t = 0;
    let lossSum = 0;
    const step = (): void => {
      const idx = order.subarray((t * TRAIN_BATCH) % (train.count - TRAIN_BATCH), ((t * TRAIN_BATCH) % (train.count - TRAIN_BATCH)) + TRAIN_BATCH);
      gatherFloatBatch(train, idx, x);
      const labels = gatherLabels(train, idx);
      const acts = modelForwardAll(m, x, TRAIN_BATCH);
      const { loss, dLogits } = softmaxCrossEntropy(acts[acts.length - 1], TRAIN_BATCH, CLASSES, { labels });
      const { grads } = modelBackward(m, x, TRAIN_BATCH, acts, dLogits);
      t++;
      for (const k of names) adamStep(m.weights[k], grads[k], moment1[k], moment2[k], t, TRAIN_ADAM);
      lossSum += loss;
    };
    const w0 = performance.now();
    step(); // warm-up (JIT)
    const warmMs = performance.now() - w0;
    lossSum = 0;
    const start = performance.now();
    let steps = 0;
    while (steps < maxSteps && (steps < minSteps || performance.now() - start < budgetMs)) {
      step();
      steps++;
    }
    const seconds = (performance.now() - start) / 1000;
    const ips = (steps * TRAIN_BATCH) / seconds;
    if (!Number.isFinite(lossSum)) throw new Error(`training loss is ${lossSum}`);
    log(`  cpu-reference train ${name}: ${ips.toFixed(1)} img/s (${steps} steps of ${TRAIN_BATCH} after a ${warmMs.toFixed(0)} ms warm-up step)`);
    return {
      runtime: 'cpu-reference',
      environment,
      model: name,
      batch: TRAIN_BATCH,
      optimizer: 'adam',
      imagesPerSecond: ips,
      images: steps * TRAIN_BATCH,
      steps,
      seconds,
      warmupImagesPerSecond: TRAIN_BATCH / (warmMs / 1000),
      setupMs: 0,
      status: 'ok',
      note: `src/cpu modelForwardAll + softmaxCrossEntropy + modelBackward + adamStep, one thread; mean loss ${(lossSum / steps).toFixed(3)}`,
    };
  } catch (e) {
    const msg = (e as Error).message;
    log(`  cpu-reference train ${name} failed: ${msg}`);
    return failed('cpu-reference', environment, name, msg);
  }
}

function failed(runtime: TrainingResult['runtime'], environment: Environment, model: string, msg: string): TrainingResult {
  return {
    runtime,
    environment,
    model,
    batch: TRAIN_BATCH,
    optimizer: 'adam',
    imagesPerSecond: null,
    images: 0,
    steps: 0,
    seconds: 0,
    warmupImagesPerSecond: null,
    setupMs: null,
    status: 'error',
    note: msg,
  };
}
