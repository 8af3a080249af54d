/**
 * Training curves: what a training run reports as it goes, kept as plain
 * data so the UI can plot it live (one point per progress event) and the
 * stored variant can keep it. The GPU trainer reads the loss back once per
 * submitted chunk of steps when asked (`groupLoss`); a readback per step
 * would stall the GPU pipeline, so a chunk ("step group") is the finest
 * grain. One job can run the trainer several times (a pipeline with a
 * fine-tune and a distillation, or gradual pruning's stages): each run is one
 * `TrainingCurve`, and `step` counts on across them so they share an x axis.
 */
import type { EpochReport, TrainOptions, TrainProgress } from '../gpu/trainer.ts';

/** One submitted chunk of training steps. */
export interface CurveStep {
  /** Steps done in the whole job when the chunk ended (counts on across runs). */
  step: number;
  /** Epoch of the run, 1-based. */
  epoch: number;
  /** Mean training loss over the chunk's examples (distillation and hint terms included). */
  loss: number;
  /** Learning rate at the chunk's first step. */
  lr: number;
}

/** One finished epoch. */
export interface CurveEpoch {
  /** 1-based, within the run. */
  epoch: number;
  /** Steps done in the whole job when the epoch ended. */
  step: number;
  /** Mean training loss over the epoch (the trainer's `trainLoss`). */
  trainLoss: number;
  /** Test accuracy (0–1) on `testCount` test images, when the run had a test set. */
  testAccuracy?: number;
  testCount?: number;
  /** Training accuracy (0–1), when the trainer computed it (the GPU trainer does not yet). */
  trainAccuracy?: number;
}

/** One training run: its chunks and its epochs, in order. */
export interface TrainingCurve {
  /** What trained, e.g. "Training", "Fine-tuning", "Gradual pruning stage 2/4". */
  label: string;
  batch: number;
  /** Steps per epoch of this run. */
  stepsPerEpoch: number;
  steps: CurveStep[];
  epochs: CurveEpoch[];
}

/** What one progress event carries: a chunk or an epoch of run `run` (0-based within the job). */
export type CurvePoint =
  | ({ run: number; label: string; batch: number; stepsPerEpoch: number; kind: 'step' } & CurveStep)
  | ({ run: number; label: string; batch: number; stepsPerEpoch: number; kind: 'epoch' } & CurveEpoch);

/** Folds a point into `curves` (a new run starts a new curve). The worker's recorder and the UI's live view build the same curves this way. */
export function addCurvePoint(curves: TrainingCurve[], p: CurvePoint): void {
  let c = curves[p.run];
  if (!c) {
    c = { label: p.label, batch: p.batch, stepsPerEpoch: p.stepsPerEpoch, steps: [], epochs: [] };
    curves[p.run] = c;
  }
  if (p.kind === 'step') c.steps.push({ step: p.step, epoch: p.epoch, loss: p.loss, lr: p.lr });
  else {
    const e: CurveEpoch = { epoch: p.epoch, step: p.step, trainLoss: p.trainLoss };
    if (p.testAccuracy !== undefined) Object.assign(e, { testAccuracy: p.testAccuracy, testCount: p.testCount });
    if (p.trainAccuracy !== undefined) e.trainAccuracy = p.trainAccuracy;
    c.epochs.push(e);
  }
}

/**
 * Records the curves of one job. `track(label, batch, options)` wraps a
 * trainer run's options: it turns on `groupLoss` and chains `onProgress` and
 * `onEpoch`, so every chunk and epoch becomes a point (handed to `onPoint`
 * as it arrives) and lands in `curves`.
 */
export class CurveRecorder {
  readonly curves: TrainingCurve[] = [];
  #runs = 0;
  /** The job's step count at the end of the last chunk or epoch reported. */
  #end = 0;

  constructor(private readonly onPoint?: (p: CurvePoint) => void) {}

  #emit(p: CurvePoint): void {
    addCurvePoint(this.curves, p);
    this.#end = p.step;
    this.onPoint?.(p);
  }

  /** `options` with this recorder listening, as a new run labelled `label`; `batch` is the run's batch size. */
  track<T extends TrainOptions>(label: string, batch: number, options: T): T {
    const run = this.#runs++;
    const offset = this.#end;
    let stepsPerEpoch = 0;
    const head = (): { run: number; label: string; batch: number; stepsPerEpoch: number } => ({ run, label, batch, stepsPerEpoch });
    const { onProgress, onEpoch } = options;
    return {
      ...options,
      groupLoss: true,
      onProgress: (p: TrainProgress) => {
        onProgress?.(p);
        if (p.phase !== 'train') return;
        stepsPerEpoch = p.steps;
        if (p.loss === undefined || p.lr === undefined) return;
        this.#emit({ ...head(), kind: 'step', step: offset + p.epoch * p.steps + p.step, epoch: p.epoch + 1, loss: p.loss, lr: p.lr });
      },
      onEpoch: (r: EpochReport) => {
        onEpoch?.(r);
        const e: CurvePoint = { ...head(), kind: 'epoch', epoch: r.epoch, step: offset + r.epoch * stepsPerEpoch, trainLoss: r.trainLoss };
        if (r.testAccuracy !== undefined) Object.assign(e, { testAccuracy: r.testAccuracy, testCount: r.testCount });
        this.#emit(e);
      },
    };
  }
}
