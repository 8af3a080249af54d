/**
 * The GPU trainer (src/gpu/trainer.ts) as the pipeline's `FineTuner`, shared
 * by the two front ends: the CLI (`compression-lab compress`) and the browser
 * worker (src/worker/passes.ts). It lives in the engine, the one layer that
 * runs the trainer: not in src/gpu, because it speaks the pipeline's
 * FineTuneRequest (src/gpu knows no pass), and not in src/compress, whose
 * passes are pure functions that know no GPU.
 *
 * SGD with momentum 0.9 like the CPU fine-tuner (or the request's optimizer);
 * symmetric linear QAT of one bit width maps to the trainer's fake
 * quantization, and trainer-extras.ts adds what the trainer also executes
 * itself (shared codebook / hashed values, ternary and binary QAT); what is
 * left (asymmetric grids, mixed QAT modes) is projected back after training
 * (`projectOntoRequest`).
 */
import type { Gpu } from '../gpu/device.ts';
import type { EpochReport, ImageSet, TrainOptions, TrainProgress } from '../gpu/trainer.ts';
import { trainModel } from '../gpu/trainer.ts';
import type { FineTuner, FineTuneRequest } from '../compress/pipeline.ts';
import { projectOntoRequest } from '../compress/pipeline.ts';
import { trainerExtrasFor } from './trainer-extras.ts';
import { cpuFineTuner } from '../compress/cpu-trainer.ts';
import type { CurveRecorder } from './curves.ts';
import type { Dataset } from '../data/dataset.ts';

/** What a front end can follow and stop while the trainer runs. */
export interface GpuFineTunerHooks {
  /** One line per epoch (the CLI prints them to stderr). */
  log?: (line: string) => void;
  /** Aborting stops training after the chunk of steps on the GPU; the fine-tuner then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** After every submitted chunk of steps (per batch group), with the request being served. */
  onProgress?: (p: TrainProgress, req: FineTuneRequest) => void;
  /** After every epoch. */
  onEpoch?: (r: EpochReport, req: FineTuneRequest) => void;
  /** Records each run's training curve (loss per chunk of steps, test accuracy per epoch); one run per request served. */
  curves?: CurveRecorder;
  /** The curve's label of a run (default "Distillation" or "Fine-tuning"). */
  curveLabel?: (req: FineTuneRequest) => string;
  /** A test set to score after every epoch (its first `evalLimit` images), for the curve and the log. */
  test?: ImageSet;
  evalLimit?: number;
}

/** The base trainer options of a fine-tuning request (masks, distillation, symmetric linear QAT); `gpuFineTuner` adds trainerExtrasFor's. */
export function trainOptionsFor(req: FineTuneRequest): TrainOptions {
  const opts: TrainOptions = {
    epochs: req.epochs,
    lr: req.lr,
    batch: req.batch,
    seed: req.seed,
    optimizer: 'sgd',
    momentum: 0.9,
    masks: req.masks,
  };
  if (req.limit > 0) opts.limit = req.limit;
  if (req.schedule === 'cosine') opts.schedule = { kind: 'cosine', minLr: 0 };
  if (req.weightDecay) opts.weightDecay = req.weightDecay;
  if (req.distill) opts.distill = req.distill;
  const qat = Object.entries(req.qat ?? {});
  const linear = qat.filter(([, e]) => e.kind === 'linear' && e.signed);
  if (qat.length && linear.length === qat.length) {
    const bits = new Set(linear.map(([, e]) => (e.kind === 'linear' ? e.bits : 0)));
    const axes = new Set(linear.map(([, e]) => (e.kind === 'linear' ? e.axis : null)));
    if (bits.size === 1 && axes.size === 1) {
      opts.fakeQuant = { bits: [...bits][0], perChannel: [...axes][0] !== null, layers: linear.map(([n]) => n.replace(/\.weight$/, '')) };
    }
  }
  return opts;
}

/** The GPU trainer as a FineTuner on `train` (no test set: the pipeline's caller evaluates). */
export function gpuFineTuner(gpu: Gpu, train: ImageSet, hooks: GpuFineTunerHooks | ((line: string) => void) = {}): FineTuner {
  const h: GpuFineTunerHooks = typeof hooks === 'function' ? { log: hooks } : hooks;
  return async (model, req) => {
    let opts: TrainOptions = {
      ...trainOptionsFor(req),
      ...trainerExtrasFor(req),
      onEpoch: (r) => {
        const test = r.testAccuracy !== undefined ? `, test accuracy ${(r.testAccuracy * 100).toFixed(2)} % on ${r.testCount}` : '';
        h.log?.(`  epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}${test}, ${Math.round(r.imagesPerSecond)} images/s (GPU)`);
        h.onEpoch?.(r, req);
      },
    };
    if (h.signal) opts.signal = h.signal;
    if (h.onProgress) opts.onProgress = (p) => h.onProgress!(p, req);
    if (h.test && h.evalLimit) opts.evalLimit = h.evalLimit;
    if (h.curves) opts = h.curves.track(h.curveLabel?.(req) ?? (req.distill ? 'Distillation' : 'Fine-tuning'), req.batch, opts);
    const r = await trainModel(gpu, model, train, h.test ?? null, opts);
    return projectOntoRequest(r.model, req);
  };
}

/** The pipeline's fine-tuner on `target`: the GPU trainer, or the CPU reference fine-tuner (slow; for tests and machines without WebGPU). */
export function fineTunerFor(target: Gpu | 'cpu', train: ImageSet, log?: (line: string) => void): FineTuner {
  return target === 'cpu' ? cpuFineTuner(train as Dataset, log) : gpuFineTuner(target, train, log ?? {});
}
