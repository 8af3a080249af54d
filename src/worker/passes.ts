/**
 * The compression passes the Compress screen offers: the steps of
 * src/compress/pipeline.ts (its `STEPS` registry: label, schema, defaults),
 * turned into form fields, and run through its `runPipeline`. This file adds
 * only what the worker knows: the training split (int8 calibration, and the
 * GPU fine-tuner of the training steps — the same `gpuFineTuner` the CLI
 * injects), stored variants as distillation teachers, progress and
 * cancellation.
 */
import { DEFAULTS } from '../model/defaults.ts';
import type { Model } from '../model/model.ts';
import type { Int8Model } from '../model/int8.ts';
import type { OptionField as SchemaField } from '../compress/common.ts';
import type { FineTuner, FineTuneRequest } from '../compress/pipeline.ts';
import { STEPS, runPipeline } from '../compress/pipeline.ts';
import { gpuFineTuner } from '../engine/finetune.ts';
import type { CurvePoint, TrainingCurve } from '../engine/curves.ts';
import { CurveRecorder } from '../engine/curves.ts';
import type { TrainProgress } from '../gpu/trainer.ts';
import type { Runtime } from '../store/store.ts';
import type { DatasetName } from '../data/dataset.ts';
import { calibrationImages, getGpu, loadDataset, loadModel, trainingSplit } from './session.ts';
import type { OptionField, PassInfo } from './types.ts';

/** What a pipeline produced. */
export interface PassOutput {
  model: Model;
  runtime: Runtime;
  runtimeOptions?: Record<string, unknown>;
  int8?: Int8Model;
  /** The training curves of the pipeline's training steps, one per trainer run. */
  curves?: TrainingCurve[];
}

/** What the worker passes in: the dataset the model is for (calibration and training use its training split). */
export interface PassContext {
  dataset: DatasetName;
  /** The job's signal: training stops after its current chunk of steps when it is aborted. */
  signal?: AbortSignal;
}

/** Where a training step is, for the progress bar: batch `step` of `steps` in epoch `epoch` (1-based) of `epochs`. */
export interface TrainingProgress {
  step: number;
  steps: number;
  epoch: number;
  epochs: number;
}

/**
 * Test images scored after every epoch of a training step, for its curve: a
 * fixed share of the test split, so an epoch costs little next to training;
 * the measurement after the run uses the count the user picks.
 */
export const CURVE_TEST_IMAGES = 2000;

/** Steps that train on the GPU through the injected fine-tuner. */
const TRAINING_STEPS = new Set(['finetune', 'gradual', 'distill']);

/** One line on what a step does, for the builder (the registry has labels only). */
const DESCRIPTIONS: Record<string, string> = {
  prune: 'Set the smallest-magnitude weights to zero (Han et al. 2015). Bytes drop once stored sparse; accuracy needs fine-tuning at high sparsity.',
  structured: 'Remove whole neurons and filters by norm: layers really shrink, so FLOPs and time drop.',
  quantize: 'Store weights with fewer bits; the model runs in float with the rounded values.',
  fp16: 'Store weights as 16-bit floats.',
  ternary: 'Ternary weights (0, ±α) per tensor or channel (Li & Liu 2016).',
  binary: 'Binary weights (±α) (Rastegari et al. 2016).',
  kmeans: 'Share weights through a k-means codebook (Deep Compression).',
  hash: 'HashedNets: weights share values picked by a hash (Chen et al. 2015).',
  sparse: 'Store pruned tensors as relative-index sparse data.',
  huffman: 'Huffman-code the stored symbols (Deep Compression’s last step).',
  downsample: 'Downsample early (pooling or stride): fewer FLOPs in later layers.',
  separable: 'Replace convolutions by depthwise + pointwise pairs (rank-1 approximation).',
  finetune:
    'Train the current weights further on the training split (SGD, momentum 0.9, on this GPU). Pruned weights stay zero; quantized and shared weights stay on their grid. limit = first N images (0 = all 60,000).',
  gradual: 'Prune in stages up to the final sparsity (Zhu & Gupta 2017), fine-tuning on this GPU after each stage.',
  distill: 'Train this model on a teacher’s softened outputs (Hinton et al. 2015), on this GPU. Pick the teacher among the stored variants.',
  int8: 'Integer-only inference (Jacob et al. 2018): int8 per-channel weights, int8 activations calibrated on training images, integer GPU kernels. Put it last.',
};

function fieldOf(f: SchemaField, stepId: string): OptionField {
  const base = { key: f.name, label: f.name, help: f.description };
  // The CLI names a teacher by file; in the browser it is one of the stored variants (by id).
  if (stepId === 'distill' && f.name === 'teacher')
    return { ...base, kind: 'model', help: 'the variant whose softened outputs the student learns (usually a bigger, trained model)' };
  switch (f.type) {
    case 'number':
    case 'integer':
      return { ...base, kind: 'number', min: f.min, max: f.max, step: f.type === 'integer' ? 1 : undefined };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'enum':
      return { ...base, kind: 'select', choices: (f.values ?? []).map((v) => ({ value: v, label: v })) };
    case 'list':
      return { ...base, kind: 'text', help: `${f.description} (comma-separated layer names; empty = all)` };
    default:
      return { ...base, kind: 'text' };
  }
}

function defaultsOf(defaults: Record<string, unknown>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(', ');
  }
  return out;
}

/** Form values back to the step's option types (lists from comma-separated text). */
function optionsFor(schema: readonly SchemaField[], values: Record<string, number | string | boolean>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema) {
    const v = values[f.name];
    if (v === undefined) continue;
    if (f.type === 'list')
      out[f.name] = String(v)
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    else if (f.type === 'number' || f.type === 'integer') out[f.name] = Number(v);
    else out[f.name] = v;
  }
  return out;
}

/** Metadata of every pass the worker can run, for the pipeline builder. */
export function passInfos(): PassInfo[] {
  return Object.entries(STEPS).map(([id, d]) => ({
    id,
    label: d.label,
    description: DESCRIPTIONS[id] ?? '',
    fields: d.schema.map((f) => fieldOf(f, id)),
    defaults: defaultsOf(d.defaultOptions),
    trains: TRAINING_STEPS.has(id),
  }));
}

/** The pass `id`; throws naming the known ones. */
export function passById(id: string): PassInfo {
  const p = passInfos().find((x) => x.id === id);
  if (!p)
    throw new Error(
      `unknown compression pass '${id}'; known: ${passInfos()
        .map((x) => x.id)
        .join(', ')}`,
    );
  return p;
}

/** The GPU fine-tuner for a pipeline's training steps; a clear error when this browser has no WebGPU. */
async function fineTunerFor(
  stepLabel: string,
  ctx: PassContext & { onTraining(p: TrainingProgress): void; onDetail(line: string): void; curves: CurveRecorder; curveLabel(): string },
): Promise<FineTuner> {
  let gpu;
  try {
    gpu = await getGpu();
  } catch (e) {
    // The CPU reference trainer would block the worker (and its cancel) for minutes: not offered here.
    throw new Error(`${stepLabel} trains on the GPU, and WebGPU is not available in this browser: ${(e as Error).message}`, { cause: e });
  }
  const train = await trainingSplit(ctx.dataset);
  const test = await loadDataset(ctx.dataset, 'test');
  return gpuFineTuner(gpu, train, {
    signal: ctx.signal,
    log: ctx.onDetail,
    curves: ctx.curves,
    curveLabel: ctx.curveLabel,
    test,
    evalLimit: CURVE_TEST_IMAGES,
    onProgress: (p: TrainProgress, req: FineTuneRequest) => {
      if (p.phase === 'train') ctx.onTraining({ step: p.step, steps: p.steps, epoch: p.epoch + 1, epochs: req.epochs });
    },
  });
}

/**
 * Runs the steps with src/compress/pipeline.ts. `onStep(i)` is called as each
 * step starts, `onTraining` after every chunk of training steps on the GPU,
 * `onDetail` with the pipeline's indented log lines (epoch losses, gradual
 * stages). An int8 step must come last (it changes how the model runs).
 */
export async function applyPipeline(
  input: PassOutput,
  steps: { pass: string; options: Record<string, number | string | boolean> }[],
  ctx: PassContext & {
    onStep(i: number, label: string): void;
    onTraining?(i: number, label: string, p: TrainingProgress): void;
    onDetail?(line: string): void;
    /** Each point of the training curves as it comes (a chunk's loss, an epoch's test accuracy). */
    onCurve?(p: CurvePoint): void;
  },
): Promise<PassOutput> {
  const i8 = steps.findIndex((s) => s.pass === 'int8');
  if (input.runtime === 'int8') throw new Error('this variant already runs as int8; start from a float variant');
  if (i8 >= 0 && i8 !== steps.length - 1) throw new Error('int8 must be the last step: it fixes the weights and activations the integer kernels run');
  const specs = steps.map((s) => {
    const def = STEPS[s.pass];
    if (!def) throw new Error(`unknown compression pass '${s.pass}'; known: ${Object.keys(STEPS).join(', ')}`);
    return { pass: s.pass, options: optionsFor(def.schema, { ...defaultsOf(def.defaultOptions), ...s.options }) };
  });
  // Teachers are checked before any work, so a missing one costs nothing.
  for (const [k, s] of specs.entries()) {
    if (s.pass !== 'distill') continue;
    const id = String(s.options.teacher ?? '');
    if (!id) throw new Error(`step ${k + 1} (${STEPS.distill.label}): choose a teacher among the stored variants`);
    await loadModel(id).catch(() => {
      throw new Error(`step ${k + 1} (${STEPS.distill.label}): the teacher ${id} is no longer stored; choose another`);
    });
  }
  let n = 0;
  const firstTraining = specs.find((s) => TRAINING_STEPS.has(s.pass));
  const curves = new CurveRecorder(ctx.onCurve);
  // Runs of the current step so far: gradual pruning trains once per stage.
  let stepRuns = { step: -1, runs: 0 };
  const curveLabel = (): string => {
    const k = n - 1;
    stepRuns = stepRuns.step === k ? { step: k, runs: stepRuns.runs + 1 } : { step: k, runs: 1 };
    const s = specs[k];
    const stage = s.pass === 'gradual' ? `, stage ${stepRuns.runs}/${Number(s.options.stages)}` : '';
    return `Step ${k + 1}: ${STEPS[s.pass].label}${stage}`;
  };
  const fineTuner = firstTraining
    ? await fineTunerFor(STEPS[firstTraining.pass].label, {
        ...ctx,
        onTraining: (p) => ctx.onTraining?.(n - 1, STEPS[specs[n - 1].pass].label, p),
        onDetail: (line) => ctx.onDetail?.(line.trim()),
        curves,
        curveLabel,
      })
    : undefined;
  const calibration = i8 >= 0 ? await calibrationImages(ctx.dataset, DEFAULTS.calibrationImages) : undefined;
  const result = await runPipeline(input.model, specs, {
    calibration: calibration ? { images: calibration.images, batch: calibration.count } : undefined,
    fineTuner,
    loadModel: async (id) => (await loadModel(id)).model,
    // The pipeline logs "<pass> {options}" as each step starts, and indented lines after it.
    log: (line) => {
      if (!line.startsWith(' ') && n < specs.length) {
        ctx.onStep(n, STEPS[specs[n].pass].label);
        n++;
      } else if (line.startsWith(' ')) ctx.onDetail?.(line.trim());
    },
  });
  if (result.int8) {
    const opts = specs[i8].options;
    return {
      model: result.model,
      runtime: 'int8',
      runtimeOptions: { method: opts.method, percentile: opts.percentile, calibrationImages: calibration!.count, dataset: ctx.dataset },
      int8: result.int8,
      curves: curves.curves,
    };
  }
  return { model: result.model, runtime: input.runtime, runtimeOptions: input.runtimeOptions, curves: curves.curves };
}

/** Whether a pipeline trains (its result is no longer the random weights of an untrained source). */
export function pipelineTrains(steps: { pass: string }[]): boolean {
  return steps.some((s) => TRAINING_STEPS.has(s.pass));
}
