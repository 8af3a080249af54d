/**
 * The guided "FP32 vs INT8 on this GPU" experiment, for a workshop: one
 * float variant is quantized to int8 by the Compress pipeline (calibrated on
 * training images), then both are measured by the same code, with the same
 * options, one after the other on this adapter; the outcome puts the two side
 * by side with the ratios computed from those two measurements, says what
 * the int8 multiply on this adapter is (the Device screen's `Int8Outlook`),
 * and names the next experiments as ready-made pipelines.
 *
 * Nothing here re-implements a pass or a measurement: quantizing goes through
 * the worker's own `compress` (injected, so the variant is stored exactly as
 * Compress stores one) and measuring through `evaluateVariant`; results are
 * stored as Compare rows. A cancelled or failed experiment stores nothing:
 * the int8 variant `compress` stored is deleted again.
 */
import { DATASET_INFO } from '../data/manifest.ts';
import { describeAdapter } from '../gpu/device.ts';
import type { Int8Outlook } from '../gpu/int8-multiply.ts';
import { DEFAULTS } from '../model/defaults.ts';
import type { Model } from '../model/model.ts';
import { deleteModel as storeDeleteModel, putResults } from '../store/store.ts';
import { cancelJob, type JobContext } from './jobs.ts';
import { evaluateVariant } from './measure.ts';
import { summarize } from './describe.ts';
import { datasetOf, loadDataset, loadModel } from './session.ts';
import { passById } from './passes.ts';
import type { DeviceStatus, ModelSummary, PipelineStep, Progress, ProgressFn, ResultRecord } from './types.ts';

/** What the experiment is asked to do. */
export interface Int8ExperimentRequest {
  /** A stored float variant (bundled or the user's). */
  sourceId: string;
  /** Test images both variants are scored on (default: the whole test split). A subset is labelled as such. */
  limit?: number;
  /** Batch-1 latency runs after warm-up, for both (default 20). */
  runs?: number;
  /** Name of the int8 variant ('' = "<source> → int8"). */
  name?: string;
}

/** The adapter as the experiment ran on it, and what the Device screen knows about its int8 multiply. */
export interface ExperimentDevice {
  /** `describeAdapter`, or 'CPU reference (no WebGPU)'. */
  name: string;
  /** A software adapter (SwiftShader, llvmpipe…): shaders run on the CPU. */
  software: boolean;
  /** Absent without WebGPU. */
  outlook?: Int8Outlook;
}

/** A next experiment: a pipeline the Compress screen can run as it is. */
export interface FollowUp {
  id: 'prune-finetune' | 'kmeans5' | 'separable';
  label: string;
  /** What it does and costs, in one or two sentences. */
  description: string;
  steps: PipelineStep[];
  /** Name of the variant it stores. */
  name: string;
  /** False when the pass has nothing to act on in this model; `reason` says why. */
  applicable: boolean;
  reason?: string;
  /** It trains on the GPU (takes longer; needs WebGPU). */
  trains: boolean;
}

/** The two measurements side by side and what they mean. */
export interface Int8Experiment {
  source: ModelSummary;
  /** The stored int8 variant (listed in Models, measured in Compare, shared in Share). */
  variant: ModelSummary;
  /** How its activation ranges were calibrated. */
  calibration: { method: string; images: number; dataset: string };
  /** The two stored results (Compare rows), measured in this run with the same options. */
  fp32: ResultRecord;
  int8: ResultRecord;
  /** Test images scored, of the split's `of`; `subset` when fewer than all of them. */
  evaluation: { count: number; of: number; subset: boolean; dataset: string };
  /** int8 images/s ÷ fp32 images/s (> 1: int8 is faster); undefined when throughput was not measured (no WebGPU). */
  throughputRatio?: number;
  /** fp32 batch-1 p50 ÷ int8 batch-1 p50 (> 1: int8 answers one image faster). */
  latencyRatio?: number;
  /** fp32 stored bytes ÷ int8 stored bytes. */
  sizeRatio: number;
  /** What the throughput ratio (else the latency ratio) says, with a ±10 % band for "about the same". */
  speed?: Speed;
  /** (int8 accuracy − fp32 accuracy) in percentage points (negative: int8 lost accuracy). */
  accuracyDeltaPoints: number;
  device: ExperimentDevice;
  /** One paragraph: what the measured ratio means on this adapter. */
  verdict: string;
  followUps: FollowUp[];
}

/** What the experiment borrows from the worker API (so the variant is stored exactly as Compress stores it). */
export interface ExperimentDeps {
  compress(sourceId: string, steps: PipelineStep[], name: string, onProgress: ProgressFn, jobId: string): Promise<ModelSummary>;
  /** Deletes a variant and its results. */
  discard(id: string): Promise<void>;
  device(): Promise<DeviceStatus>;
}

/** The three stages of the experiment, for the progress line. */
const STAGES = 3;

function stage(ctx: JobContext, i: number, what: string, p?: Progress): void {
  ctx.progress({
    phase: `Step ${i + 1}/${STAGES}: ${what}${p && p.phase ? ` — ${p.phase}` : ''}`,
    done: p ? p.done : 0,
    total: p ? p.total : 0,
    detail: p?.detail,
  });
}

/** Forwards a measurement's progress under the experiment's stage name. */
function stageCtx(ctx: JobContext, i: number, what: string): JobContext {
  return { signal: ctx.signal, check: () => ctx.check(), progress: (p) => stage(ctx, i, what, p) };
}

function checkInt(v: number | undefined, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${what} must be an integer from ${min} to ${max.toLocaleString('en-US')}, got ${String(v)}`);
  return v;
}

/** The adapter the run used, in the experiment's terms. */
export function experimentDevice(status: DeviceStatus): ExperimentDevice {
  if (!status.ok) return { name: 'CPU reference (no WebGPU)', software: false };
  return { name: describeAdapter(status.report), software: status.report.software, outlook: status.int8 };
}

const r2 = (x: number): string => x.toPrecision(2);

/** int8 against fp32 from a measured speed ratio (int8 ÷ fp32). */
export type Speed = 'faster' | 'about the same' | 'slower';

/** Ratios within 10 % of 1 count as "about the same": run-to-run noise on a busy machine is of that order. */
export function speedOf(ratio: number | undefined): Speed | undefined {
  if (ratio === undefined) return undefined;
  return ratio > 1.1 ? 'faster' : ratio >= 0.9 ? 'about the same' : 'slower';
}

/**
 * What the measured ratio means here: faster, about the same or slower, and
 * why, from the multiply the int8 executor chose on this adapter and (when
 * measured) the Device screen's matmul probe. A slower int8 on a software
 * adapter is explained, not hidden.
 */
export function int8Verdict(m: { throughputRatio?: number; latencyRatio?: number; sizeRatio: number }, device: ExperimentDevice): string {
  const size = `int8 stores the model ${r2(m.sizeRatio)}× smaller either way.`;
  if (!device.outlook)
    return `Timed on the CPU reference (this browser has no WebGPU), not on a GPU: these times say nothing about int8 on a graphics card. ${size}`;
  const ratio = m.throughputRatio ?? m.latencyRatio;
  const what = m.throughputRatio !== undefined ? 'throughput' : 'batch-1 latency';
  const speed = speedOf(ratio);
  const head =
    ratio === undefined
      ? 'Neither throughput nor latency was timed.'
      : speed === 'faster'
        ? `int8 ran ${r2(ratio)}× as fast as fp32 here (${what}).`
        : speed === 'about the same'
          ? `int8 ran at about fp32's speed here (${r2(ratio)}× its ${what}).`
          : `int8 ran slower than fp32 here: ${r2(ratio)}× its ${what}.`;
  const o = device.outlook;
  const multiply = `On this adapter the int8 executor multiplies with the ${o.multiply.label}: ${o.multiply.detail}`;
  const software = device.software
    ? ' This is a software adapter: the GPU is emulated on the CPU, so these times say little about a real graphics card, where a hardware dot4I8Packed does four int8 multiply-adds in one instruction.'
    : '';
  const probe =
    o.ratio !== undefined
      ? ` The Device screen's matmul probe: ${o.expectation}`
      : ' The Device screen can measure the raw int8 matmul rate beside the f32 rate ("Measure GFLOP/s, int8 rate and GB/s").';
  const small = ' A small model is also dominated by launch and readback overhead, which int8 does not shrink.';
  return `${head} ${multiply}${software}${probe}${speed && speed !== 'faster' ? small : ''} ${size}`;
}

/** True when the model has a convolution with a kernel larger than 1×1 (what the separable pass splits). */
function hasSpatialConv(model: Model): boolean {
  return model.architecture.layers.some((l) => l.kind === 'conv2d' && l.kernel[0] * l.kernel[1] > 1);
}

/**
 * The next experiments on the float source, as pipelines with the passes'
 * own defaults except what the name promises: 90 % magnitude pruning then
 * the default fine-tune, 5-bit k-means, separable convolutions.
 */
export function followUps(source: { name: string; model: Model }): FollowUp[] {
  const ft = passById('finetune').defaults;
  const images = Number(ft.limit) > 0 ? `${Number(ft.limit).toLocaleString('en-US')} training images` : 'the whole training split';
  const epochs = Number(ft.epochs);
  const spatial = hasSpatialConv(source.model);
  return [
    {
      id: 'prune-finetune',
      label: 'Prune 90 % + fine-tune',
      description: `Zero the 90 % smallest weights of each layer, then fine-tune ${epochs} epoch${epochs === 1 ? '' : 's'} on ${images} on this GPU (pruned weights stay zero).`,
      steps: [
        { pass: 'prune', options: { ...passById('prune').defaults, sparsity: 0.9 } },
        { pass: 'finetune', options: { ...ft } },
      ],
      name: `${source.name} → prune 90 % + fine-tune`,
      applicable: true,
      trains: true,
    },
    {
      id: 'kmeans5',
      label: 'k-means 5 bit',
      description: 'Share weights through a 32-entry codebook per layer (Deep Compression): 5-bit indices instead of 32-bit floats, no training.',
      steps: [{ pass: 'kmeans', options: { ...passById('kmeans').defaults, bits: 5 } }],
      name: `${source.name} → k-means 5 bit`,
      applicable: true,
      trains: false,
    },
    {
      id: 'separable',
      label: 'Separable convolutions',
      description: 'Replace each k×k convolution by a depthwise + pointwise pair (rank-1 fit per channel): fewer FLOPs and weights, no training.',
      steps: [{ pass: 'separable', options: { ...passById('separable').defaults } }],
      name: `${source.name} → separable`,
      applicable: spatial,
      ...(spatial ? {} : { reason: 'This model has no convolution larger than 1×1 to split.' }),
      trains: false,
    },
  ];
}

/**
 * Runs the experiment as one job: quantize (the worker's `compress` with an
 * int8 step, as its own job cancelled with this one), measure fp32, measure
 * int8, store both results. Cancel or failure after the variant was stored
 * deletes it again, so nothing of a run that did not finish stays.
 */
export async function runInt8Experiment(request: Int8ExperimentRequest, ctx: JobContext, deps: ExperimentDeps): Promise<Int8Experiment> {
  const source = await loadModel(request.sourceId);
  if (source.stored.runtime !== 'fp32')
    throw new Error(`'${source.stored.name}' already runs as ${source.stored.runtime}; the experiment starts from a float (fp32) variant`);
  const dataset = datasetOf(source);
  const test = await loadDataset(dataset, 'test', ctx);
  const limit = checkInt(request.limit, 'test images', 1, test.count);
  const runs = checkInt(request.runs, 'latency runs', 1, 1000);
  const options = { ...(limit !== undefined ? { limit } : {}), ...(runs !== undefined ? { runs } : {}) };
  ctx.check();

  const subId = `${Math.random().toString(36).slice(2)}-experiment-int8`;
  let variant: ModelSummary | undefined;
  // The job answers a cancel at once while this body runs on to its next
  // check: the stored variant goes now, so a list read right after the
  // cancel no longer shows it (the catch below tidies up the rest).
  const stopSub = (): void => {
    cancelJob(subId);
    if (variant) void storeDeleteModel(variant.id, []).catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', stopSub, { once: true });
  try {
    const name = request.name?.trim() || `${source.stored.name} → int8`;
    const quantizing = `quantizing to int8 (calibrated on ${DEFAULTS.calibrationImages} training images)`;
    stage(ctx, 0, quantizing);
    variant = await deps.compress(source.stored.id, [{ pass: 'int8', options: {} }], name, (p) => stage(ctx, 0, quantizing, p), subId);
    ctx.check();
    const int8 = await loadModel(variant.id);
    if (int8.stored.runtime !== 'int8') throw new Error(`the int8 pipeline stored a ${int8.stored.runtime} variant`);

    const fp32Result = await evaluateVariant(source, options, stageCtx(ctx, 1, `measuring fp32 (${source.stored.name})`));
    ctx.check();
    const int8Result = await evaluateVariant(int8, options, stageCtx(ctx, 2, `measuring int8 (${int8.stored.name})`));
    ctx.check();
    const device = experimentDevice(await deps.device());
    const t = { fp32: fp32Result.throughput, int8: int8Result.throughput };
    const l = { fp32: fp32Result.latencyP50, int8: int8Result.latencyP50 };
    const measured = {
      throughputRatio: t.fp32 !== undefined && t.int8 !== undefined && t.fp32 > 0 ? t.int8 / t.fp32 : undefined,
      latencyRatio: l.fp32 !== undefined && l.int8 !== undefined && l.int8 > 0 ? l.fp32 / l.int8 : undefined,
      sizeRatio: fp32Result.bytes / int8Result.bytes,
    };
    const o = int8.stored.runtimeOptions ?? {};
    const outcome: Int8Experiment = {
      source: summarize(source.stored, source.model),
      variant,
      calibration: {
        method: String(o.method ?? 'minmax'),
        images: Number(o.calibrationImages ?? DEFAULTS.calibrationImages),
        // The dataset's title ("MNIST", "Fashion-MNIST"), not its file id: the screen shows this string.
        dataset: `${DATASET_INFO[dataset].title} training split`,
      },
      fp32: fp32Result,
      int8: int8Result,
      evaluation: { count: fp32Result.count, of: test.count, subset: fp32Result.count < test.count, dataset: `${DATASET_INFO[dataset].title} test split` },
      ...measured,
      speed: speedOf(measured.throughputRatio ?? measured.latencyRatio),
      accuracyDeltaPoints: (int8Result.accuracy - fp32Result.accuracy) * 100,
      device,
      verdict: int8Verdict(measured, device),
      followUps: followUps({ name: source.stored.name, model: source.model }),
    };
    ctx.check();
    await putResults([fp32Result, int8Result]);
    ctx.progress({ phase: 'Stored the int8 variant and both results', done: STAGES, total: STAGES });
    return outcome;
  } catch (e) {
    if (variant) await deps.discard(variant.id).catch(() => undefined);
    throw e;
  } finally {
    ctx.signal.removeEventListener('abort', stopSub);
  }
}
