/**
 * Knowledge distillation (Hinton et al. 2015; FitNets hints, Romero et al.
 * 2015) as a pass description: the student is trained on the teacher's soft
 * targets softmax(z_t / T) with weight α (times T², which keeps the soft
 * gradients' scale independent of T) plus the hard labels with weight 1 − α,
 * optionally with an L2 "hint" between a student layer and a teacher layer
 * of the same shape. The pass itself changes nothing: the trainer (the GPU
 * trainer, or the CPU fine-tuner in tests) executes it as a fine-tuning
 * step; see `FineTuneRequest.distill` in pipeline.ts.
 */
import { DEFAULTS, defaultLearningRate } from '../model/defaults.ts';
import type { Model } from '../model/model.ts';
import type { OptionField } from './common.ts';

export const label = 'Knowledge distillation';

export interface Options {
  /** Teacher model file (the CLI loads it) — or set `teacherModel`. */
  teacher: string;
  /** Softmax temperature T > 0 (Hinton et al. used up to 20 on MNIST). */
  temperature: number;
  /** Weight of the soft loss (×T²); the hard loss gets 1 − alpha. */
  alpha: number;
  /** Student layer whose output is matched to the teacher's `teacherHint` output (empty = no hint). */
  hint: string;
  teacherHint: string;
  /** Weight of the hint loss. */
  hintWeight: number;
  epochs: number;
  lr: number;
  batch: number;
  /** Train on the first N examples (0 = all). */
  limit: number;
  seed: number;
  optimizer: 'sgd' | 'adam';
  schedule: 'constant' | 'cosine';
  weightDecay: number;
}

export const defaultOptions: Options = {
  teacher: '',
  temperature: 4,
  alpha: 0.9,
  hint: '',
  teacherHint: '',
  hintWeight: 1,
  epochs: 1,
  lr: defaultLearningRate(DEFAULTS.fineTuneOptimizer),
  batch: DEFAULTS.trainBatch,
  limit: 0,
  seed: 1,
  optimizer: DEFAULTS.fineTuneOptimizer,
  schedule: 'constant',
  weightDecay: 0,
};

export const schema: readonly OptionField[] = [
  { name: 'teacher', type: 'string', description: 'teacher model file' },
  { name: 'temperature', type: 'number', min: 0.01, max: 100, description: 'softmax temperature T of the soft targets' },
  { name: 'alpha', type: 'number', min: 0, max: 1, description: 'weight of the soft-target loss (×T²); hard labels get 1 − alpha' },
  { name: 'hint', type: 'string', description: 'student layer for a FitNets hint (optional)' },
  { name: 'teacherHint', type: 'string', description: 'teacher layer the hint matches (same output shape)' },
  { name: 'hintWeight', type: 'number', min: 0, max: 1000, description: 'weight of the hint loss' },
  { name: 'epochs', type: 'integer', min: 1, max: 1000, description: 'training epochs' },
  { name: 'lr', type: 'number', min: 0, max: 10, description: 'learning rate' },
  { name: 'batch', type: 'integer', min: 1, max: 4096, description: 'mini-batch size' },
  { name: 'limit', type: 'integer', min: 0, max: 1e9, description: 'train on the first N examples only (0 = all)' },
  { name: 'seed', type: 'integer', min: 0, max: 2 ** 31, description: 'shuffle seed' },
  { name: 'optimizer', type: 'enum', values: ['sgd', 'adam'], description: 'sgd (momentum 0.9) or adam (GPU trainer only)' },
  { name: 'schedule', type: 'enum', values: ['constant', 'cosine'], description: 'learning rate: constant, or cosine-annealed from lr to 0' },
  { name: 'weightDecay', type: 'number', min: 0, max: 1, description: 'L2 weight decay (SGD: added to the gradient; Adam: decoupled, AdamW)' },
];

/** What a trainer needs to distill; the field names match src/gpu/trainer.ts's DistillOptions. */
export interface DistillSpec {
  teacher: Model;
  temperature: number;
  alpha: number;
  hint?: { layer: string; teacherLayer: string; weight: number };
}

/** Builds and checks the trainer's distillation spec from the options and a loaded teacher. */
export function distillSpec(teacher: Model, o: Options): DistillSpec {
  if (!(o.temperature > 0)) throw new Error(`distill: temperature must be > 0, got ${o.temperature}`);
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw new Error(`distill: alpha must be in [0, 1], got ${o.alpha}`);
  const spec: DistillSpec = { teacher, temperature: o.temperature, alpha: o.alpha };
  if (o.hint) {
    if (!o.teacherHint) throw new Error('distill: hint needs teacherHint (the teacher layer to match)');
    spec.hint = { layer: o.hint, teacherLayer: o.teacherHint, weight: o.hintWeight };
  }
  return spec;
}
