/**
 * The benchmark's result schema: every row, report and option type, plain
 * data so that it crosses `page.evaluate` and JSON unchanged.
 */
import type { AdapterReport } from '../gpu/device.ts';
import type { Precision } from '../model/precision.ts';

/** Who produced a figure. Peers run the same float weights as the lab. */
export type Runtime = 'lab' | 'tfjs-webgpu' | 'ort-webgpu' | 'ort-wasm' | 'cpu-reference';
/** Where a run happened. */
export type Environment = 'node' | 'chromium';
/** Number precision of a row: see src/model/precision.ts. */
export type { Precision } from '../model/precision.ts';

/** The WebGPU peers (the targets compare against the faster of them). */
export const WEBGPU_PEERS: readonly Runtime[] = ['tfjs-webgpu', 'ort-webgpu'];
/** All runtimes in table order. */
export const RUNTIMES: readonly Runtime[] = ['lab', 'tfjs-webgpu', 'ort-webgpu', 'ort-wasm', 'cpu-reference'];

/** One timed configuration. A figure that could not be measured is null with `status` saying why. */
export interface BenchResult {
  runtime: Runtime;
  environment: Environment;
  model: string;
  precision: Precision;
  batch: number;
  /** Round trip per call (upload, run, read back the 10 outputs per image), ms. */
  latencyP50Ms: number | null;
  latencyP90Ms: number | null;
  latencyMeanMs: number | null;
  /** Images over the wall time of the timed calls run back to back. */
  imagesPerSecond: number | null;
  /** Timed calls (after warm-up). */
  runs: number;
  status: 'ok' | 'not-available' | 'skipped' | 'error';
  /** Why a row is not 'ok', or what is special about it (e.g. ORT thread count). */
  note?: string;
  /**
   * Set when the row measured less than the options asked for to stay inside
   * the run's time budgets (e.g. fewer batch-1 runs than `latencyRuns`): says what.
   */
  sampled?: string;
}

/**
 * Training throughput at one batch (forward + backward + optimizer update),
 * the GPU trainer (`lab`) or the CPU reference, on MNIST training images.
 */
export interface TrainingResult {
  runtime: 'lab' | 'cpu-reference';
  environment: Environment;
  model: string;
  batch: number;
  optimizer: 'adam';
  /** Timed images over the wall time of the timed steps. */
  imagesPerSecond: number | null;
  /** Images (steps × batch) in the timed part. */
  images: number;
  steps: number;
  /** Wall time of the timed part, s. */
  seconds: number;
  /** The warm-up part's rate (GPU: the first epoch; CPU: the first step). */
  warmupImagesPerSecond: number | null;
  /** GPU: trainer set-up (buffers, pipelines, dataset upload) and weight read-back, ms. */
  setupMs: number | null;
  status: 'ok' | 'not-available' | 'error';
  note?: string;
}

/** The device's own limits, measured in the same run. Null: not measured (with `notes` saying why). */
export interface Roofline {
  /** Best tiled f32 matmul, GFLOP/s (1 MAC = 2 FLOPs). */
  matmulGflops: number | null;
  /** Packed int8 dot products, G int8-ops/s (1 MAC = 2 ops). */
  int8Gops: number | null;
  /** Buffer copy kernel, GB/s (bytes read + written). */
  copyGBps: number | null;
  /** Empty submit + tiny readback, ms (p50). */
  roundTripMs: number | null;
  notes: string[];
}

/** Where a model's load time went (ms). */
export interface LoadBreakdown {
  /** Parsing the model file (or the serialized seeded model) from bytes. */
  parseMs: number;
  /** Null where the executor does not break its load down (the int8 executor). */
  uploadMs: number | null;
  pipelineMs: number | null;
  /** Everything else createExecutor did (buffers, bind groups). */
  allocMs: number | null;
  /** int8 only: the calibration pass (float CPU reference over the calibration images) and quantization. */
  quantizeMs?: number;
  /** parse (+ quantize) + executor creation, wall time. */
  totalMs: number;
}

/** GPU time of one fused step at one batch (median of repeated timestamped runs). */
export interface LayerTime {
  /** Which lab engine: the float executor or the integer-only int8 one. */
  precision: Precision;
  batch: number;
  layers: string[];
  kernel: string;
  ms: number;
}

/** Top-1 agreement of a runtime with the lab fp32 engine on the same images. */
export interface Agreement {
  runtime: Runtime | 'lab-int8';
  /** Images compared: the first `images` of the test split. */
  images: number;
  /** Images asked for (`agreementImages`); more than `images` when the time budget cut the check short. */
  requested: number;
  agree: number;
  fraction: number;
  /** Accuracy of that runtime against the dataset labels (0..1). */
  accuracy: number;
}

/** Per model: what was run and the non-timing figures. */
export interface ModelReport {
  model: string;
  /** 'trained' from models/<name>.safetensors, or 'seeded-random' (initModel, seed given). */
  weights: 'trained' | 'seeded-random';
  weightSource: string;
  flopsPerImage: number;
  macsPerImage: number;
  load: Partial<Record<Precision, LoadBreakdown>>;
  layerTimingMethod: 'timestamp' | 'wall' | 'none';
  layers: LayerTime[];
  agreement: Agreement[];
  /** Lab fp32 accuracy on the evaluated images (0..1). */
  labAccuracy: number | null;
  /** How many test images `labAccuracy` (and the agreement reference) covers. */
  labAccuracyImages?: number;
}

/** One relation of the article checked on measured numbers. */
export interface RelationCheck {
  runtime: Runtime;
  model: string;
  precision: Precision;
  batch: number;
  relation: 'throughput = 1/latency' | 'latency = batch/throughput';
  /** What the relation predicts from the other measured figure. */
  predicted: number;
  measured: number;
  unit: 'images/s' | 'ms';
  /** (measured − predicted) / predicted. */
  deviation: number;
  holds: boolean;
}

/** Lab figure over a peer's, for one configuration. >1 means the lab is better for both kinds. */
export interface RatioRow {
  environment: Environment;
  model: string;
  precision: Precision;
  batch: number;
  peer: Runtime;
  /** lab images/s ÷ peer images/s. */
  throughputRatio: number | null;
  /** peer p50 ÷ lab p50 (a speedup: >1 = lab faster). */
  latencySpeedup: number | null;
}

/** A model's achieved compute against the device's measured peak. */
export interface RooflineRow {
  environment: Environment;
  model: string;
  precision: Precision;
  batch: number;
  achievedGops: number;
  /** Of matmulGflops (fp32) or int8Gops (int8). */
  peakGops: number | null;
  fraction: number | null;
}

/** One of the targets, evaluated on this run's numbers. */
export interface TargetCheck {
  environment: Environment;
  name: string;
  /** The measured quantity, in the unit of `threshold`. */
  measured: number | null;
  threshold: number;
  comparison: '>=' | '<=';
  status: 'PASS' | 'MISS' | 'N/A';
  detail: string;
  /** How `measured` and `threshold` read: a ratio, a fraction shown as %, or minutes. */
  unit: '×' | '%' | 'min';
  /** Set when the measurement behind it was sampled (fewer images, another batch): what differs. Printed with a star (PASS* or MISS*). */
  sampled?: string;
}

/**
 * One model run from an fp32 copy of its shared weights or from the
 * compressed form itself (src/bench/compressed-weights.ts). Compressed rows
 * carry their ratios to the decoded row of the same compression (same run).
 */
export interface CompressedWeightsResult {
  environment: Environment;
  model: string;
  /** e.g. 'k-means 5-bit', 'hashed 1/8 (per layer)'. */
  compression: string;
  /** The executor's `weights` option. */
  weights: 'decoded' | 'compressed';
  /** Weight bytes resident on the GPU (executor.weightBytes: biases excluded). */
  residentWeightBytes: number | null;
  /** Of which fp32 weight copies (0: none). */
  fp32WeightBytes: number | null;
  /** Kernels of the weighted steps. */
  kernels: string[];
  /** Batch-1 round trip p50, ms. */
  latencyP50Ms: number | null;
  latencyRuns: number;
  /** Throughput batch and images/s there. */
  batch: number;
  imagesPerSecond: number | null;
  throughputRuns: number;
  /** Compressed rows: resident bytes ÷ the decoded row's. */
  bytesRatio?: number;
  /** Compressed rows: decoded p50 ÷ compressed p50 (>1: compressed faster). */
  latencySpeedup?: number;
  /** Compressed rows: compressed images/s ÷ decoded. */
  throughputRatio?: number;
  /** Compressed rows: top-1 agreement with the decoded path on the throughput batch (0..1). */
  agreement?: number;
  status: 'ok' | 'error' | 'skipped';
  note?: string;
}

/** Whole-model figures of one kernel choice in the sparsity comparison. */
export interface SparsityModeTiming {
  /** Batch-1 round trip p50, ms. */
  latencyP50Ms: number | null;
  latencyRuns: number;
  /** Images/s at the row's throughput batch. */
  imagesPerSecond: number | null;
  throughputRuns: number;
}

/** One dense layer at one batch: GPU time through each kernel and what 'auto' picked there. */
export interface SparsityLayerTime {
  /** The step's layers joined with '+' (the dense layer and a fused relu). */
  layers: string;
  batch: number;
  /** Nonzero weights ÷ all weights of the layer. */
  density: number;
  /** Kernel of the dense step ('conv2d' register GEMM or tiled 'dense'). */
  denseKernel: string;
  /** Median GPU time (timestamps) of the step through each kernel; null with wall-clock timing. */
  denseMs: number | null;
  sparseMs: number | null;
  /** 'auto''s choice for this batch's class ('dense' without a measurement when the layer has no zero weight). */
  autoPick: 'dense' | 'sparse';
  /** The times 'auto' decided on (its own short measurement at start-up of the batch class). */
  autoDenseMs?: number;
  autoSparseMs?: number;
  autoMethod?: 'timestamp' | 'wall';
  /** Wall time 'auto''s measurement of this layer took (paid once, by the first run of the batch class). */
  autoCostMs?: number;
}

/**
 * "Does sparsity pay?" (src/bench/sparsity.ts): one model with its dense
 * layers magnitude-pruned to `sparsity`, run with every dense layer through
 * the dense kernel, through the sparse (CSR) kernel, and as 'auto' picks.
 */
export interface SparsityResult {
  environment: Environment;
  model: string;
  /** Fraction of each dense layer's weights pruned (per layer). */
  sparsity: number;
  /** Then k-means shared at this many bits and held compressed (Deep Compression): codebook kernels on both sides. */
  kmeansBits?: number;
  /** Zero weights ÷ all dense-layer weights of the pruned model (measured). */
  zeroFraction: number;
  /** Throughput batch. */
  batch: number;
  /** sparse: 'never', 'always' and 'auto'. */
  dense: SparsityModeTiming;
  sparse: SparsityModeTiming;
  auto: SparsityModeTiming;
  /** Dense b1 p50 ÷ sparse b1 p50 (>1: sparse faster). */
  latencySpeedup: number | null;
  /** Sparse images/s ÷ dense. */
  throughputRatio: number | null;
  /** Top-1 agreement of the sparse and the dense kernel on the throughput batch (0..1). */
  agreement: number | null;
  layerTimingMethod: 'timestamp' | 'wall';
  layers: SparsityLayerTime[];
  status: 'ok' | 'error' | 'skipped';
  note?: string;
}

/** Everything one environment's bench produced. */
export interface BenchRun {
  environment: Environment;
  startedAt: string;
  durationMs: number;
  adapter: AdapterReport | null;
  /** Free-form description of the host (user agent or Node version, cores). */
  host: string;
  options: BenchOptions;
  roofline: Roofline;
  results: BenchResult[];
  /** Training throughput (issue 4 item 5): GPU trainer and CPU reference per model. */
  training: TrainingResult[];
  models: ModelReport[];
  relations: RelationCheck[];
  ratios: RatioRow[];
  rooflineRows: RooflineRow[];
  targets: TargetCheck[];
  /** Dense vs sparse (CSR) kernel on pruned dense layers (absent in runs made before it existed or with it off). */
  sparsity?: SparsityResult[];
  /** Executing from compressed weights vs an fp32 copy (absent in runs made before it existed or with it off). */
  compressedWeights?: CompressedWeightsResult[];
  /** Honest remarks: what was unavailable, thread counts, shared machine… */
  notes: string[];
}

/** What to run. Plain data so the Node driver can hand it to the bench page. */
export interface BenchOptions {
  models: string[];
  precisions: Precision[];
  /** Throughput batches (batch 1 latency is always measured). */
  batches: number[];
  /** Timed batch-1 round trips per runtime (≥ 200 for the figures). */
  latencyRuns: number;
  /** Warm-up calls before any timing. */
  warmup: number;
  /** Time budget per throughput configuration, ms (at least `minThroughputRuns` runs regardless). */
  throughputBudgetMs: number;
  minThroughputRuns: number;
  /** MNIST test images for the top-1 agreement check (10,000 = all). */
  agreementImages: number;
  /** Peers to run (those unavailable in an environment are reported as such). */
  peers: Runtime[];
  /** Include the CPU reference. */
  cpuReference: boolean;
  /** Measure the device roofline. */
  roofline: boolean;
  /** Seed of random weights when no trained file exists. */
  seed: number;
  /** Calibration images for int8 (taken from the MNIST training set). */
  calibrationImages: number;
  /** Peers and the CPU reference: time for their batch-1 runs, ms (the lab always does `latencyRuns`; others at least 30). */
  latencyBudgetMs: number;
  /** Peers and the CPU reference: a throughput batch whose estimated call exceeds this (ms) is skipped, and says so. */
  maxCallMs: number;
  /** Time per runtime for the top-1 agreement check, ms (the lab's reference predictions get twice this). */
  agreementBudgetMs: number;
  /** Measure training throughput (GPU trainer and CPU reference). */
  training: boolean;
  /** Images per GPU training epoch (two epochs: warm-up and timed), a multiple of 64. */
  trainImages: number;
  /** Time for the CPU reference's training steps, ms (at least 2 steps). */
  trainCpuBudgetMs: number;
  /**
   * Wall-clock deadline of this environment's run (`Date.now()` ms), or null.
   * Past it, the parts not yet started (peers, agreement checks, training,
   * further models) are skipped and reported as skipped, never left out silently.
   */
  deadline?: number | null;
  /** Dense vs sparse kernel on pruned copies of each model with dense layers (src/bench/sparsity.ts); default on. */
  sparsity?: boolean;
  /** Compare executing from compressed weights with an fp32 copy (src/bench/compressed-weights.ts); default on. */
  compressedWeights?: boolean;
}

/** FLOPs (or int8 ops) per image of each model, for roofline fractions. */
export type FlopsTable = Record<string, number>;

/** The file written to bench-results/latest.json. */
export interface BenchFile {
  schemaVersion: 1;
  generatedAt: string;
  command: string;
  /** One entry per environment run (each with `environment`, `adapter`, `roofline`, `results`). */
  runs: BenchRun[];
  /** Every run's results in one list (each row carries its `environment`). */
  results: BenchResult[];
  /** Every run's training throughput rows (each with its `environment`). */
  training: TrainingResult[];
}
