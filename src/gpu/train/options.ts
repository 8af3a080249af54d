/**
 * What a training run can be told and what it reports, and the check of
 * those options against the model before anything touches the GPU.
 */
import { DEFAULTS } from '../../model/defaults.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { Model } from '../../model/model.ts';
import type { LrSchedule } from '../../cpu/optim.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import type { GemmVariant } from '../plan.ts';

export type { LrSchedule } from '../../cpu/optim.ts';

/** The examples a trainer needs: raw bytes as loaded by src/data (pixels 0–255, one label per image). */
export type ImageSet = Pick<Dataset, 'count' | 'rows' | 'cols' | 'images' | 'labels'>;

/** Fake quantization for quantization-aware training (straight-through estimator). */
export interface FakeQuantOptions {
  /**
   * 'linear' (default): symmetric signed `bits`; 'ternary': TWN (Δ = 0.7 · mean|w|,
   * ±α with α the mean |w| above Δ, else 0); 'binary': BWN (±mean|w|) — per
   * channel or per tensor, as quantize.ts's ternarize / binarize.
   */
  mode?: 'linear' | 'ternary' | 'binary';
  /** Symmetric signed integer bits, 2..16: values are round(w / s) · s clamped to ±(2^(bits−1) − 1). Ignored by ternary/binary. */
  bits: number;
  /** One scale per output channel (axis 0 of conv/dense, the channel of depthwise) instead of per tensor. */
  perChannel?: boolean;
  /** Layer names to quantize; default every conv2d, depthwiseConv2d and dense layer. */
  layers?: string[];
}

/** Knowledge distillation from a teacher run on the GPU alongside the student. */
export interface DistillOptions {
  teacher: Model;
  /** Softmax temperature T > 0 for the soft targets. */
  temperature: number;
  /** Weight of the soft loss (×T²); the hard loss gets 1 − alpha. */
  alpha: number;
  /** FitNets hint: L2 between a student layer's output and a teacher layer's output of the same shape. */
  hint?: { layer: string; teacherLayer: string; weight: number };
}

/** Everything a training run can be told. Only `epochs` is required. */
export interface TrainOptions {
  epochs: number;
  /** Mini-batch size (default 64). The last partial batch of each epoch is dropped. */
  batch?: number;
  /** Seeds the per-epoch shuffles (the model's initial weights are the caller's). Default 1. */
  seed?: number;
  optimizer?: 'sgd' | 'adam';
  /** Base learning rate (default: model/defaults.ts `defaultLearningRate`). */
  lr?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** SGD: L2 added to the gradient; Adam: decoupled (AdamW). Default 0. */
  weightDecay?: number;
  /** Learning-rate schedule (default constant). */
  schedule?: LrSchedule;
  /** Per-tensor 0/1 masks (by tensor name): masked weights stay exactly zero through training. */
  masks?: Record<string, ArrayLike<number>>;
  /** Layer names whose weights and biases are not updated. */
  freeze?: string[];
  fakeQuant?: FakeQuantOptions;
  /**
   * Shared values (k-means codebooks, HashedNets buckets), by weight tensor
   * name: weight i is value `assignments[i]` of a table of `k` values; tensors
   * with the same `group` share one table. The optimizer updates the k values
   * with the sum of their (unmasked) members' gradients (Deep Compression
   * eq. 3), and the weights are gathered from the table after every step.
   * Initial values: the mean of each value's unmasked members.
   */
  shared?: Record<string, { assignments: ArrayLike<number>; k: number; group?: string }>;
  distill?: DistillOptions;
  /** Train on the first `limit` training examples only (tests, quick runs). */
  limit?: number;
  /** Evaluate on the first `evalLimit` test examples only. */
  evalLimit?: number;
  /** Steps encoded per command buffer (default 16): fewer submits vs. cancellation latency. */
  stepsPerSubmit?: number;
  /** GEMM variant of the forward kernels; default 'register' on software adapters. */
  variant?: GemmVariant;
  /**
   * Register tiling of the forward conv2d kernel. Default TRAIN_REGISTER_TILING,
   * a small 4×2 block: a software adapter compiles the full 8×4 block far too
   * slowly, once per distinct layer shape (figures in docs/benchmark.md,
   * "Measurements behind design choices").
   */
  registerTiling?: GemmTiling;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /**
   * Read the loss back after every submitted chunk of steps and report it in
   * `onProgress` (`loss`, `lr`): one 4-byte readback per chunk, for live
   * training curves. Off by default.
   */
  groupLoss?: boolean;
  onEpoch?: (r: EpochReport) => void;
  /** Diagnostics: time every dispatch of one step (after a warm-up step) before training, without changing the training; also reports setup time. */
  profile?: (p: TrainProfile) => void;
}

/** One dispatch of a profiled training step. */
export interface ProfiledDispatch {
  label: string;
  /** Wall time of this dispatch alone in its own submit, to onSubmittedWorkDone (includes the round trip). */
  ms: number;
  /** GPU time from timestamp queries (one pass per dispatch), when the device has timestamp-query. */
  gpuMs?: number;
  /** Bytes of the storage buffers it binds. */
  bytes: number;
}

/** What the profile mode reports. */
export interface TrainProfile {
  setupMs: number;
  pipelineMs: number;
  dispatches: ProfiledDispatch[];
  /** 'timestamp' when gpuMs is present. */
  method: 'timestamp' | 'wall';
  /** Wall time of one whole step in one submit (median of 3), encode to onSubmittedWorkDone. */
  stepMs: number;
  /** CPU time to encode and submit one step (median of 3). */
  encodeMs: number;
}

/** Reported after every submitted chunk of steps. */
export interface TrainProgress {
  phase: 'train' | 'eval';
  epoch: number;
  step: number;
  steps: number;
  /** With `groupLoss`, training only: the mean loss over the chunk's examples (as `trainLoss` averages the epoch's). */
  loss?: number;
  /** With `groupLoss`: the learning rate at the chunk's first step. */
  lr?: number;
}

/** One epoch's numbers. */
export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's examples (hint and distillation terms included). */
  trainLoss: number;
  /** Accuracy on the test set (absent without one). */
  testAccuracy?: number;
  testErrors?: number;
  testCount?: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  imagesPerSecond: number;
  /** Learning rate at the epoch's first step. */
  lr: number;
}

export interface TrainResult {
  /** The trained model (a new object; the input is not modified). */
  model: Model;
  epochs: EpochReport[];
}

/** Accuracy on a test set. */
export interface EvalResult {
  accuracy: number;
  errors: number;
  count: number;
}

/** Throws naming the option and the layer or tensor when `o` does not fit `model`. */
export function checkOptions(model: Model, o: TrainOptions): void {
  const arch = model.architecture;
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new Error(`trainer: epochs must be a non-negative integer, got ${o.epochs}`);
  const b = o.batch ?? DEFAULTS.trainBatch;
  if (!Number.isInteger(b) || b < 1) throw new Error(`trainer: batch must be a positive integer, got ${b}`);
  const names = new Set(arch.layers.map((l) => l.name));
  for (const f of o.freeze ?? []) if (!names.has(f)) throw new Error(`trainer: cannot freeze '${f}': model '${arch.name}' has no such layer`);
  for (const f of o.fakeQuant?.layers ?? []) if (!names.has(f)) throw new Error(`trainer: cannot fake-quantize '${f}': no such layer`);
  if (o.fakeQuant && (o.fakeQuant.mode ?? 'linear') === 'linear' && !(Number.isInteger(o.fakeQuant.bits) && o.fakeQuant.bits >= 2 && o.fakeQuant.bits <= 16)) {
    throw new Error(`trainer: fakeQuant.bits must be an integer in 2..16, got ${o.fakeQuant.bits}`);
  }
  for (const [name, m] of Object.entries(o.masks ?? {})) {
    const w = model.weights[name];
    if (!w) throw new Error(`trainer: mask for '${name}': model '${arch.name}' has no such tensor`);
    if (m.length !== w.length) throw new Error(`trainer: mask for '${name}' has ${m.length} values, the tensor has ${w.length}`);
  }
  for (const [name, sh] of Object.entries(o.shared ?? {})) {
    const w = model.weights[name];
    if (!w || !name.endsWith('.weight')) throw new Error(`trainer: shared values for '${name}': model '${arch.name}' has no such weight tensor`);
    if (sh.assignments.length !== w.length)
      throw new Error(`trainer: shared values for '${name}': ${sh.assignments.length} assignments, the tensor has ${w.length}`);
    for (let i = 0; i < sh.assignments.length; i++) {
      const a = sh.assignments[i];
      if (!(Number.isInteger(a) && a >= 0 && a < sh.k)) throw new Error(`trainer: shared values for '${name}': assignment ${i} is ${a}, not in 0..${sh.k - 1}`);
    }
  }
  const last = arch.layers[arch.layers.length - 1];
  arch.layers.forEach((l, i) => {
    if (l.kind === 'softmax' && l !== last)
      throw new Error(`trainer: layer '${l.name}': a softmax inside the model cannot be trained (the loss applies softmax); only a final one is allowed`);
    if (i === 0 && !last) throw new Error('trainer: empty model');
  });
  if (o.distill) {
    const d = o.distill;
    if (!(d.temperature > 0 && Number.isFinite(d.temperature))) throw new Error(`trainer: distill.temperature must be > 0, got ${d.temperature}`);
    if (!(d.alpha >= 0 && d.alpha <= 1)) throw new Error(`trainer: distill.alpha must be in [0, 1], got ${d.alpha}`);
    if (d.teacher.architecture.inputShape.join() !== arch.inputShape.join())
      throw new Error('trainer: the teacher takes a different input shape than the student');
  }
}
