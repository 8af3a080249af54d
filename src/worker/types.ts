/**
 * Plain data that crosses the worker boundary: what the UI receives from
 * `labApi` and sends back. No classes, no GPU handles (structured clone).
 */
import type { AdapterReport } from '../gpu/device.ts';
import type { Int8Outlook } from '../gpu/int8-multiply.ts';
import type { ModelOrigin, Runtime } from '../store/store.ts';
import type { ModelPictures } from '../engine/pictures.ts';

export type { FilterImages, Histogram, LayerBytes, LayerPicture, Levels, MaskPicture, ModelPictures } from '../engine/pictures.ts';
import type { ActivationRow, VariantActivations } from '../engine/activations.ts';

export type { ActivationDiff, ActivationRow, LayerActivation } from '../engine/activations.ts';
import type { CurvePoint, TrainingCurve } from '../engine/curves.ts';

export type { CurveEpoch, CurvePoint, CurveStep, TrainingCurve } from '../engine/curves.ts';

/** Progress of a long job; `total` 0 means indeterminate. */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  /** A second line that changes less often, e.g. the last training epoch's loss. */
  detail?: string;
  /** Training: the newest point of the job's training curves (a chunk's loss or an epoch's accuracy); never dropped by throttling. */
  curve?: CurvePoint;
}

/** Callback the UI passes (through comlink.proxy) to follow a long job. */
export type ProgressFn = (p: Progress) => void;

/** What start-up did: copied what, found what. */
export interface StartupReport {
  /** True when bundled files were copied to IndexedDB during this start. */
  copied: boolean;
  /** Datasets available from IndexedDB. */
  datasets: { name: string; title: string; credit: string; licence: string; testCount: number; trainCount: number }[];
  /** Bundled model files found in the build (0 until trained models ship). */
  bundledModels: number;
  /** True when the network could not be reached and stored copies were used. */
  offline: boolean;
  storage: { usage?: number; quota?: number };
}

/** One variant as listed. */
export interface ModelSummary {
  id: string;
  name: string;
  origin: ModelOrigin;
  runtime: Runtime;
  architecture: string;
  /** True for models with random weights (no training): their accuracy is chance. */
  untrained: boolean;
  params: number;
  /** Non-zero weights (pruning lowers it). */
  nonZero: number;
  flops: number;
  /** Stored bytes of the weights under their encodings. */
  bytes: number;
  /** fp32 bytes of the same architecture, for the ratio. */
  fp32Bytes: number;
  fileBytes: number;
  parentId?: string;
  pipeline?: string;
  createdAt: string;
  /** The dataset it is evaluated, calibrated and fine-tuned on ('mnist' | 'fashion-mnist'). */
  dataset: string;
  /** Present for a bundled model whose file is not in this browser yet: fetched on first use, this many bytes. */
  download?: { bytes: number };
}

/** One row of the per-layer table. */
export interface LayerRow {
  name: string;
  kind: string;
  outputShape: number[];
  params: number;
  nonZero: number;
  macs: number;
  flops: number;
  /** Stored bytes of this layer's tensors under their encodings. */
  bytes: number;
  /** How the tensors are stored, e.g. "int8 per-channel". */
  encoding: string;
  /** FLOPs / measured device GFLOP/s, ms; undefined before the roofline is measured. */
  estimatedMs?: number;
  /** Measured GPU time of this layer (median), ms; undefined before profiling. Fused layers share their step's time. */
  measuredMs?: number;
  /** Layers that ran fused in the same GPU step. */
  fusedWith?: string[];
}

/** The Model view's data. */
export interface ModelDetail {
  summary: ModelSummary;
  layers: LayerRow[];
  /**
   * Column totals; `bytes` is the whole file: the layers' stored bytes plus
   * `headerBytes` (tensor names, shapes, encodings, and an int8 file's
   * per-channel scales, all as text in the file's JSON header).
   */
  total: { params: number; nonZero: number; macs: number; flops: number; bytes: number; headerBytes: number; estimatedMs?: number; measuredMs?: number };
  /** How the measured column was obtained ('timestamp' GPU timestamps, 'wall' clock), when profiled. */
  timing?: { method: 'timestamp' | 'wall'; runs: number; batch: number };
  /** GFLOP/s used for estimates and where it came from. */
  deviceSpeed?: { gflops: number; source: string };
  /** The model's input map (x = pixel / 255 → x · scale + offset), when it has one; `reason` says how an import chose it. */
  input?: { scale: number; offset: number; label?: string; reason?: string };
  provenance: Record<string, unknown>;
  /** The training curves recorded when the variant was trained or fine-tuned here (absent for older records and untrained pipelines). */
  curves?: TrainingCurve[];
}

/** A device's measured speed limits. */
export interface RooflineReport {
  matmulGflops: number;
  copyGBps: number;
  roundTripMs?: number;
  /** The int8 executor's n³ matmul, G int8-ops/s (1 MAC = 2 ops); absent in reports measured before it was added. */
  int8Gops?: number;
  /** How it was measured, in words. */
  method: string;
  /** How the int8 rate was measured (size, the kernel as it ran). */
  int8Method?: string;
  measuredAt: string;
}

/** Status of WebGPU in the worker. */
/** `int8`: the multiply the int8 executor chose here and, with a measured roofline, the speed-up to expect. */
export type DeviceStatus = { ok: true; report: AdapterReport; roofline?: RooflineReport; int8: Int8Outlook } | { ok: false; error: string };

/** A measured result of one variant on one device. */
export interface ResultRecord {
  id: string;
  modelId: string;
  variant: string;
  architecture: string;
  runtime: Runtime | 'cpu';
  untrained: boolean;
  dataset: string;
  /** Test images evaluated. */
  count: number;
  accuracy: number;
  errors: number;
  bytes: number;
  fp32Bytes: number;
  /** fp32 bytes / bytes. */
  ratio: number;
  flops: number;
  nonZero: number;
  /** Batch-1 latency, ms (median and p90 over `runs`). */
  latencyP50?: number;
  latencyP90?: number;
  timingMethod?: 'timestamp' | 'wall';
  runs?: number;
  /** Images per second at `throughputBatch`. */
  throughput?: number;
  throughputBatch?: number;
  /** Per GPU step (fused layers joined with '+'), ms, at batch 1. */
  layerMs?: { layers: string; ms: number }[];
  /**
   * Weight bytes resident on the GPU while it ran (float engine): codebook
   * and hashed tensors are held as packed indices + centroids / the table, so
   * this can be far below 4 bytes per weight; `gpuWeightFp32` is the part held
   * as fp32 copies (0 = no fp32 copy of any weight).
   */
  gpuWeightBytes?: number;
  gpuWeightFp32?: number;
  /** Layers the executor ran through the sparse (CSR) kernel because it measured faster on this device. */
  sparseLayers?: string[];
  /** The adapter it was measured on ("CPU reference" without WebGPU). */
  device: string;
  /** Where it came from: measured here or imported from a shared file. */
  source: 'measured' | 'imported';
  createdAt: string;
  /** Who shared it, for imported results (free text from the file). */
  sharedBy?: string;
}

/** A Compare table row: a result plus the comparisons computed against the baseline. */
export interface CompareRow extends ResultRecord {
  /** Baseline p50 / this p50 (same device), when both were timed. */
  speedup?: number;
  /** On the accuracy-vs-latency Pareto front among rows of the same device. */
  pareto: boolean;
  baseline: boolean;
}

/** Input of the Compress pipeline builder: one pass's options control. */
export interface OptionField {
  key: string;
  label: string;
  /** 'model': one of the stored variants, by id (the distillation teacher). */
  kind: 'number' | 'select' | 'boolean' | 'text' | 'model';
  min?: number;
  max?: number;
  step?: number;
  choices?: { value: string; label: string }[];
  help?: string;
}

/** A compression pass as the UI sees it: metadata only. */
export interface PassInfo {
  id: string;
  label: string;
  description: string;
  fields: OptionField[];
  defaults: Record<string, number | string | boolean>;
  /** Trains on the GPU (fine-tune, gradual pruning, distillation): needs WebGPU and takes longer. */
  trains: boolean;
}

/** One step of a pipeline the user built. */
export interface PipelineStep {
  pass: string;
  options: Record<string, number | string | boolean>;
}

/** A prediction of one variant on one image. */
export interface Prediction {
  modelId: string;
  variant: string;
  runtime: Runtime | 'cpu';
  /** Softmax probabilities, 10 values. */
  probabilities: number[];
  top: number;
  /** 'gpu' or 'cpu' (reference, without WebGPU). */
  ranOn: 'gpu' | 'cpu';
}

/** What `predictDrawing` returns: the 28×28 input the nets saw and each variant's answer. */
export interface DrawingPrediction {
  /** 784 grey values 0–255, as the nets saw the drawing. */
  input: number[];
  predictions: Prediction[];
  classNames: string[];
}

/** A test-set image with its label and the stored predictions of chosen variants. */
export interface TestImage {
  index: number;
  label: number;
  pixels: number[];
  predictions: { modelId: string; top: number }[];
}

/** Training a built-in architecture from scratch in the worker (the trainer the CLI's `train` runs). */
export interface TrainRequest {
  /** A built-in architecture name (see `architectures()`). */
  architecture: string;
  epochs: number;
  /** Default 64. */
  batch?: number;
  /** Default 1e-3 (Adam) or 0.01 (SGD). */
  lr?: number;
  /** Default 'adam'. */
  optimizer?: 'sgd' | 'adam';
  /** Default 'cosine'. */
  schedule?: 'constant' | 'cosine';
  /** He initialisation and shuffles; default 1. */
  seed?: number;
  /** Train on the first N training images (0 or absent = all 60,000). */
  limit?: number;
  /** Test images to report accuracy on after each epoch (default 10,000). */
  evalLimit?: number;
  dataset?: 'mnist' | 'fashion-mnist';
}

/** What `train` returns: the stored variant and each epoch's numbers. */
export interface TrainOutcome {
  model: ModelSummary;
  epochs: { epoch: number; trainLoss: number; testAccuracy?: number; testErrors?: number; testCount?: number; seconds: number; imagesPerSecond: number }[];
  /** Loss per chunk of steps and test accuracy per epoch, as stored with the variant. */
  curves: TrainingCurve[];
}

/** A download the Models → Export panel offers: the lab's own file, ONNX (float32, int8) or a TF.js Layers zip. */
export type ExportKey = 'safetensors' | 'onnx' | 'onnx-int8' | 'tfjs' | 'tfjs-uint8' | 'tfjs-float16';

/** One download before it is measured. */
export interface ExportChoice {
  key: ExportKey;
  label: string;
  /** The name the download is saved under. */
  fileName: string;
}

/** One download, measured by writing it: its size, the lab file's beside it, what the format keeps and loses. */
export interface ExportOption extends ExportChoice {
  /** Bytes of the downloaded file (the zip itself for TF.js); absent when `error`. */
  bytes?: number;
  /** Bytes of the lab's own file of the variant. */
  labBytes: number;
  keeps: string[];
  loses: string[];
  /** Why the format cannot hold this variant (names the layer); no download then. */
  error?: string;
  /** A zip's contents (model.json and the weight shards). */
  files?: { name: string; bytes: number }[];
  /** int8: how the activation ranges were calibrated. */
  calibration?: { method: string; percentile?: number; images: number };
}

/** One side of the Model view's weight pictures: a variant and its pictures (src/engine/pictures.ts). */
export interface VariantPictures {
  id: string;
  name: string;
  runtime: Runtime;
  /** Made by a compression pipeline (its colour in pictures: web/palette.ts `variantColor`). */
  compressed: boolean;
  pictures: ModelPictures;
}

/** A variant's weight pictures beside those of the variant it came from (histograms on shared ranges). */
export interface WeightPictures {
  variant: VariantPictures;
  parent?: VariantPictures;
  /** The variant names a parent that is no longer stored. */
  parentMissing?: boolean;
}

/** A variant in the activations view: who it is and which runtime computed its rows (Try it). */
export interface ActivationVariant extends Omit<VariantActivations, 'layers'> {
  modelId: string;
  variant: string;
  runtime: Runtime;
  /**
   * With a GPU: the last row against the prediction path's logits for the
   * same image (the variant's GPU runner, `against` describes it).
   */
  check?: { against: string; maxAbsDiff: number; sameTop: boolean };
}

/** Try it → activations: one or two variants' layers for one image, side by side with B − A. */
export interface ActivationComparison {
  a: ActivationVariant;
  b?: ActivationVariant;
  rows: ActivationRow[];
}
