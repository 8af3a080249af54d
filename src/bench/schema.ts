/**
 * The benchmark's result schema and the pure arithmetic on it: the article's
 * relations checked on measured numbers, lab/peer ratios, roofline fractions
 * and the issue's targets with PASS/MISS. Shared by Node and the browser (no
 * Node or DOM APIs); everything here is plain data, so it crosses
 * `page.evaluate` and JSON unchanged.
 */
import type { AdapterReport } from '../gpu/device.ts';

/** Who produced a figure. Peers run the same float weights as the lab. */
export type Runtime = 'lab' | 'tfjs-webgpu' | 'ort-webgpu' | 'ort-wasm' | 'cpu-reference';
/** Where a run happened. */
export type Environment = 'node' | 'chromium';
export type Precision = 'fp32' | 'int8';

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

/** One of the issue's targets, evaluated on this run's numbers. */
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

/** Fill each compressed row's ratios against the decoded row of the same model and compression (rows without a figure get none). */
export function compressedWeightRatios(rows: readonly CompressedWeightsResult[]): CompressedWeightsResult[] {
  return rows.map((r) => {
    if (r.weights !== 'compressed' || r.status !== 'ok') return r;
    const d = rows.find((x) => x.weights === 'decoded' && x.status === 'ok' && x.model === r.model && x.compression === r.compression && x.environment === r.environment);
    if (!d) return r;
    const out = { ...r };
    if (r.residentWeightBytes !== null && d.residentWeightBytes) out.bytesRatio = r.residentWeightBytes / d.residentWeightBytes;
    if (r.latencyP50Ms && d.latencyP50Ms) out.latencySpeedup = d.latencyP50Ms / r.latencyP50Ms;
    if (r.imagesPerSecond !== null && d.imagesPerSecond) out.throughputRatio = r.imagesPerSecond / d.imagesPerSecond;
    return out;
  });
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
  /** Timed batch-1 round trips per runtime (≥ 200 for the issue's figures). */
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

/** The full-size defaults (the issue's figures); `quickOptions` shrinks them. */
export function defaultOptions(): BenchOptions {
  return {
    models: ['lenet5', 'lenet-300-100', 'article-net', 'lenet5-separable'],
    precisions: ['fp32', 'int8'],
    batches: [64, 256, 1024],
    latencyRuns: 200,
    warmup: 10,
    throughputBudgetMs: 3000,
    minThroughputRuns: 1,
    agreementImages: 10_000,
    peers: ['tfjs-webgpu', 'ort-webgpu', 'ort-wasm'],
    cpuReference: true,
    roofline: true,
    seed: 1,
    calibrationImages: 256,
    latencyBudgetMs: 10_000,
    maxCallMs: 25_000,
    agreementBudgetMs: 20_000,
    training: true,
    trainImages: 192,
    trainCpuBudgetMs: 4_000,
  };
}

/** A run that fits about a minute per environment: LeNet-5 only, fewer runs and images. */
export function quickOptions(): BenchOptions {
  return {
    ...defaultOptions(),
    models: ['lenet5'],
    batches: [64, 1024],
    latencyRuns: 50,
    warmup: 3,
    throughputBudgetMs: 1200,
    minThroughputRuns: 2,
    agreementImages: 1000,
    calibrationImages: 64,
    latencyBudgetMs: 8_000,
    maxCallMs: 15_000,
    agreementBudgetMs: 15_000,
    trainImages: 128,
    trainCpuBudgetMs: 3_000,
  };
}

/** Relative tolerance for the article's relations: latency jitter makes p50 and mean differ a little. */
export const RELATION_TOLERANCE = 0.25;

/**
 * The article's relations on measured rows: at batch 1 the back-to-back
 * throughput against 1/p50-latency; batched, the p50 latency against
 * batch/throughput. The throughput is timed independently (total wall time of
 * consecutive calls), so a gap means queueing, jitter or overlap, not algebra.
 */
export function checkRelations(results: readonly BenchResult[], tolerance = RELATION_TOLERANCE): RelationCheck[] {
  const out: RelationCheck[] = [];
  for (const r of results) {
    if (r.status !== 'ok' || r.latencyP50Ms === null || r.imagesPerSecond === null) continue;
    if (r.batch === 1) {
      const predicted = 1000 / r.latencyP50Ms;
      const measured = r.imagesPerSecond;
      const deviation = (measured - predicted) / predicted;
      out.push({ runtime: r.runtime, model: r.model, precision: r.precision, batch: 1, relation: 'throughput = 1/latency', predicted, measured, unit: 'images/s', deviation, holds: Math.abs(deviation) <= tolerance });
    } else {
      const predicted = (r.batch / r.imagesPerSecond) * 1000;
      const measured = r.latencyP50Ms;
      const deviation = (measured - predicted) / predicted;
      out.push({ runtime: r.runtime, model: r.model, precision: r.precision, batch: r.batch, relation: 'latency = batch/throughput', predicted, measured, unit: 'ms', deviation, holds: Math.abs(deviation) <= tolerance });
    }
  }
  return out;
}

type OkResult = BenchResult & { latencyP50Ms: number; imagesPerSecond: number };

function ok(r: BenchResult | undefined): r is OkResult {
  return !!r && r.status === 'ok' && r.latencyP50Ms !== null && r.imagesPerSecond !== null;
}

/** The row of `runtime` for (environment, model, precision, batch), if any. */
export function findResult(results: readonly BenchResult[], q: Pick<BenchResult, 'runtime' | 'environment' | 'model' | 'precision' | 'batch'>): BenchResult | undefined {
  return results.find((r) => r.runtime === q.runtime && r.environment === q.environment && r.model === q.model && r.precision === q.precision && r.batch === q.batch);
}

/**
 * Lab/peer ratios for every lab row that has a peer row at the same
 * environment, model and batch. Peers only run float weights, so an int8 lab
 * row is compared with the peers' fp32 rows (what a user of the peer would run).
 */
export function computeRatios(results: readonly BenchResult[]): RatioRow[] {
  const out: RatioRow[] = [];
  for (const lab of results) {
    if (lab.runtime !== 'lab' || !ok(lab)) continue;
    for (const peer of RUNTIMES) {
      if (peer === 'lab') continue;
      const p = findResult(results, { runtime: peer, environment: lab.environment, model: lab.model, precision: 'fp32', batch: lab.batch });
      if (!ok(p)) continue;
      out.push({
        environment: lab.environment,
        model: lab.model,
        precision: lab.precision,
        batch: lab.batch,
        peer,
        throughputRatio: lab.imagesPerSecond / p.imagesPerSecond,
        latencySpeedup: p.latencyP50Ms / lab.latencyP50Ms,
      });
    }
  }
  return out;
}

/** FLOPs (or int8 ops) per image of each model, for roofline fractions. */
export type FlopsTable = Record<string, number>;

/** Achieved GFLOP/s (fp32) or G int8-ops/s of every lab row against the measured peak. */
export function computeRoofline(results: readonly BenchResult[], flops: FlopsTable, roofline: Roofline): RooflineRow[] {
  const out: RooflineRow[] = [];
  for (const r of results) {
    if (r.runtime !== 'lab' || !ok(r) || flops[r.model] === undefined) continue;
    const achievedGops = (flops[r.model] * r.imagesPerSecond) / 1e9;
    const peakGops = r.precision === 'int8' ? roofline.int8Gops : roofline.matmulGflops;
    out.push({ environment: r.environment, model: r.model, precision: r.precision, batch: r.batch, achievedGops, peakGops, fraction: peakGops ? achievedGops / peakGops : null });
  }
  return out;
}

/**
 * The batch-1 latency floor the issue names: an empty round trip plus the
 * model's FLOPs at the measured peak, in ms. Null when either is unmeasured.
 */
export function latencyFloorMs(flopsPerImage: number, roofline: Roofline): number | null {
  if (roofline.roundTripMs === null || !roofline.matmulGflops) return null;
  return roofline.roundTripMs + flopsPerImage / (roofline.matmulGflops * 1e9) * 1000;
}

function check(environment: Environment, name: string, measured: number | null, comparison: '>=' | '<=', threshold: number, detail: string, unit: TargetCheck['unit'] = '×', sampled?: string): TargetCheck {
  const status = measured === null || !Number.isFinite(measured) ? 'N/A' : (comparison === '>=' ? measured >= threshold : measured <= threshold) ? 'PASS' : 'MISS';
  return { environment, name, measured, threshold, comparison, status, detail, unit, ...(sampled ? { sampled } : {}) };
}

/** The faster WebGPU peer's row (highest images/s) for a configuration, if any ran. */
function fastestWebgpuPeer(results: readonly BenchResult[], environment: Environment, model: string, batch: number, by: 'throughput' | 'latency'): OkResult | undefined {
  const rows: OkResult[] = WEBGPU_PEERS.map((runtime) => findResult(results, { runtime, environment, model, precision: 'fp32', batch })).filter(ok);
  if (!rows.length) return undefined;
  return rows.reduce((a, b) => (by === 'throughput' ? (b.imagesPerSecond > a.imagesPerSecond ? b : a) : b.latencyP50Ms < a.latencyP50Ms ? b : a));
}

/**
 * The faster WebGPU peer's best throughput at any measured batch ≤ `maxBatch`
 * (used when a peer's batch-1024 call was skipped for time).
 */
function bestWebgpuPeerThroughput(results: readonly BenchResult[], environment: Environment, model: string, maxBatch: number): OkResult | undefined {
  const rows = results.filter((r): r is OkResult => WEBGPU_PEERS.includes(r.runtime) && r.environment === environment && r.model === model && r.precision === 'fp32' && r.batch > 1 && r.batch <= maxBatch && ok(r));
  return rows.length ? rows.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a)) : undefined;
}

/** A full agreement check compares every MNIST test image. */
export const AGREEMENT_FULL = 10_000;
/** Issue 4: "a LeNet-5 epoch over 60,000 images should take minutes at most" — read as ≤ 10 minutes. */
export const EPOCH_MINUTES_TARGET = 10;
export const EPOCH_IMAGES = 60_000;

/** The model the issue's speed targets name. */
export const TARGET_MODEL = 'lenet5';
/** The batch the issue's throughput targets name. */
export const TARGET_BATCH = 1024;

/**
 * The issue's targets on one environment's numbers. Anything not measured
 * (no peer ran, no roofline, int8 not run) is N/A with the reason, never a PASS.
 */
export function evaluateTargets(environment: Environment, results: readonly BenchResult[], models: readonly ModelReport[], roofline: Roofline, training: readonly TrainingResult[] = []): TargetCheck[] {
  const env = results.filter((r) => r.environment === environment);
  const out: TargetCheck[] = [];
  const m = TARGET_MODEL;
  const b = TARGET_BATCH;
  const lab1024 = findResult(env, { runtime: 'lab', environment, model: m, precision: 'fp32', batch: b });
  const lab1 = findResult(env, { runtime: 'lab', environment, model: m, precision: 'fp32', batch: 1 });

  // A peer whose batch-1024 call was skipped for time is compared at its best measured batch, and the target says so.
  const peerAt1024 = fastestWebgpuPeer(env, environment, m, b, 'throughput');
  const peerBest = bestWebgpuPeerThroughput(env, environment, m, b);
  const peerT = peerAt1024 ?? peerBest;
  const peerSampled = !peerAt1024 && peerBest ? `peer at batch ${peerBest.batch} (its batch-${b} call was not measured)` : undefined;
  out.push(
    check(
      environment,
      `${m} fp32 throughput @${b} ≥ 10× the faster WebGPU peer`,
      ok(lab1024) && peerT ? lab1024.imagesPerSecond / peerT.imagesPerSecond : null,
      '>=',
      10,
      ok(lab1024) && peerT ? `lab ${fmt(lab1024.imagesPerSecond)} img/s vs ${peerT.runtime} ${fmt(peerT.imagesPerSecond)} img/s @${peerT.batch}` : !ok(lab1024) ? 'lab row missing' : 'no WebGPU peer ran here',
      '×',
      ok(lab1024) ? peerSampled : undefined,
    ),
  );

  const report = models.find((r) => r.model === m);
  const flops = report?.flopsPerImage ?? null;
  const achieved = ok(lab1024) && flops !== null ? (flops * lab1024.imagesPerSecond) / 1e9 : null;
  out.push(
    check(
      environment,
      `${m} fp32 throughput @${b} ≥ 40 % of the f32 matmul roofline`,
      achieved !== null && roofline.matmulGflops ? achieved / roofline.matmulGflops : null,
      '>=',
      0.4,
      achieved !== null && roofline.matmulGflops ? `${fmt(achieved)} of ${fmt(roofline.matmulGflops)} GFLOP/s` : roofline.matmulGflops ? 'lab row missing' : 'matmul roofline not measured',
      '%',
    ),
  );

  const peerL = fastestWebgpuPeer(env, environment, m, 1, 'latency');
  out.push(
    check(
      environment,
      `${m} batch-1 p50 ≤ 0.1× the faster WebGPU peer's`,
      ok(lab1) && peerL ? lab1.latencyP50Ms / peerL.latencyP50Ms : null,
      '<=',
      0.1,
      ok(lab1) && peerL ? `lab ${fmt(lab1.latencyP50Ms)} ms vs ${peerL.runtime} ${fmt(peerL.latencyP50Ms)} ms` : !ok(lab1) ? 'lab row missing' : 'no WebGPU peer ran here',
    ),
  );

  const floor = flops !== null ? latencyFloorMs(flops, roofline) : null;
  out.push(
    check(
      environment,
      `${m} batch-1 p50 within 2× of (empty round trip + FLOPs at peak)`,
      ok(lab1) && floor !== null ? lab1.latencyP50Ms / floor : null,
      '<=',
      2,
      ok(lab1) && floor !== null ? `lab ${fmt(lab1.latencyP50Ms)} ms vs floor ${fmt(floor)} ms` : floor === null ? 'round trip or matmul roofline not measured' : 'lab row missing',
    ),
  );

  const names = [...new Set(env.filter((r) => r.runtime === 'lab').map((r) => r.model))];
  for (const name of names) {
    const f = findResult(env, { runtime: 'lab', environment, model: name, precision: 'fp32', batch: b });
    const i = findResult(env, { runtime: 'lab', environment, model: name, precision: 'int8', batch: b });
    out.push(
      check(
        environment,
        `${name} int8 throughput @${b} ≥ 1.5× fp32`,
        ok(f) && ok(i) ? i.imagesPerSecond / f.imagesPerSecond : null,
        '>=',
        1.5,
        ok(f) && ok(i) ? `int8 ${fmt(i.imagesPerSecond)} vs fp32 ${fmt(f.imagesPerSecond)} img/s` : i?.note ?? 'int8 or fp32 row missing',
      ),
    );
  }

  for (const rep of models) {
    for (const a of rep.agreement) {
      if (a.runtime === 'lab-int8') continue;
      out.push(
        check(
          environment,
          `${rep.model} top-1 agreement lab vs ${a.runtime} ≥ 99.9 %`,
          a.images > 0 ? a.fraction : null,
          '>=',
          0.999,
          `${a.agree}/${a.images} images (${rep.weights} weights)`,
          '%',
          a.images < AGREEMENT_FULL ? `first ${a.images} of the ${AGREEMENT_FULL.toLocaleString('en-US')} test images` : undefined,
        ),
      );
    }
  }

  const gpuTrain = training.find((t) => t.environment === environment && t.runtime === 'lab' && t.model === m && t.status === 'ok' && t.imagesPerSecond);
  const cpuTrain = training.find((t) => t.environment === environment && t.runtime === 'cpu-reference' && t.model === m && t.status === 'ok' && t.imagesPerSecond);
  if (training.some((t) => t.environment === environment && t.model === m)) {
    out.push(
      check(
        environment,
        `${m} GPU training: one epoch of ${EPOCH_IMAGES.toLocaleString('en-US')} images in minutes (≤ ${EPOCH_MINUTES_TARGET} min), not hours`,
        gpuTrain ? EPOCH_IMAGES / gpuTrain.imagesPerSecond! / 60 : null,
        '<=',
        EPOCH_MINUTES_TARGET,
        gpuTrain ? `${fmt(gpuTrain.imagesPerSecond)} img/s at batch ${gpuTrain.batch}${cpuTrain ? `; CPU reference ${fmt(cpuTrain.imagesPerSecond)} img/s (${fmt(gpuTrain.imagesPerSecond! / cpuTrain.imagesPerSecond!)}× the CPU)` : ''}` : 'GPU training did not run',
        'min',
        gpuTrain ? `extrapolated from ${gpuTrain.images} timed images` : undefined,
      ),
    );
  }
  return out;
}

/** A number with 3 significant digits (4 for ≥ 1000), for details and tables. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

/** Fill in relations, ratios, roofline rows and targets of a run from its results. */
export function finalizeRun(run: Omit<BenchRun, 'relations' | 'ratios' | 'rooflineRows' | 'targets' | 'training'> & { training?: TrainingResult[] }): BenchRun {
  const training = run.training ?? [];
  const flops: FlopsTable = Object.fromEntries(run.models.map((m) => [m.model, m.flopsPerImage]));
  return {
    ...run,
    training,
    relations: checkRelations(run.results),
    ratios: computeRatios(run.results),
    rooflineRows: computeRoofline(run.results, flops, run.roofline),
    targets: evaluateTargets(run.environment, run.results, run.models, run.roofline, training),
  };
}

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

/** Assemble the output file from finished runs. */
export function benchFile(runs: BenchRun[], command: string, generatedAt = new Date().toISOString()): BenchFile {
  return { schemaVersion: 1, generatedAt, command, runs, results: runs.flatMap((r) => r.results), training: runs.flatMap((r) => r.training ?? []) };
}

/**
 * Checks the shape a consumer of latest.json relies on; returns the problems
 * (empty = valid). Kept by hand rather than a schema library: the file is small.
 */
export function validateBenchFile(x: unknown): string[] {
  const errs: string[] = [];
  const o = x as Partial<BenchFile> | null;
  if (!o || typeof o !== 'object') return ['not an object'];
  if (o.schemaVersion !== 1) errs.push('schemaVersion must be 1');
  if (!Array.isArray(o.runs)) errs.push('runs must be an array');
  if (!Array.isArray(o.results)) errs.push('results must be an array');
  for (const [i, run] of (o.runs ?? []).entries()) {
    if (run.environment !== 'node' && run.environment !== 'chromium') errs.push(`runs[${i}].environment must be node|chromium`);
    if (!('adapter' in run)) errs.push(`runs[${i}].adapter missing`);
    for (const k of ['matmulGflops', 'int8Gops', 'copyGBps', 'roundTripMs'] as const) {
      const v = run.roofline?.[k];
      if (!(v === null || typeof v === 'number')) errs.push(`runs[${i}].roofline.${k} must be a number or null`);
    }
    if (!Array.isArray(run.results)) errs.push(`runs[${i}].results must be an array`);
    for (const [j, s] of (run.sparsity ?? []).entries()) {
      if (!(s.sparsity >= 0 && s.sparsity < 1)) errs.push(`runs[${i}].sparsity[${j}].sparsity must be in [0, 1)`);
      for (const m of ['dense', 'sparse', 'auto'] as const) {
        const v = s[m]?.latencyP50Ms;
        if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0))) errs.push(`runs[${i}].sparsity[${j}].${m}.latencyP50Ms must be a positive number or null`);
        if (s.status === 'ok' && v === null) errs.push(`runs[${i}].sparsity[${j}].${m}.latencyP50Ms is null on an 'ok' row`);
      }
      if (!Array.isArray(s.layers)) errs.push(`runs[${i}].sparsity[${j}].layers must be an array`);
      for (const [k, l] of (s.layers ?? []).entries()) if (l.autoPick !== 'dense' && l.autoPick !== 'sparse') errs.push(`runs[${i}].sparsity[${j}].layers[${k}].autoPick must be dense|sparse`);
    }
    for (const [j, c] of (run.compressedWeights ?? []).entries()) {
      if (c.weights !== 'decoded' && c.weights !== 'compressed') errs.push(`runs[${i}].compressedWeights[${j}].weights must be decoded|compressed`);
      for (const k of ['residentWeightBytes', 'fp32WeightBytes', 'latencyP50Ms', 'imagesPerSecond'] as const) {
        const v = c[k];
        if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0))) errs.push(`runs[${i}].compressedWeights[${j}].${k} must be a non-negative number or null`);
        if (c.status === 'ok' && v === null) errs.push(`runs[${i}].compressedWeights[${j}].${k} is null on an 'ok' row`);
      }
    }
  }
  for (const [i, r] of (o.results ?? []).entries()) {
    if (!RUNTIMES.includes(r.runtime)) errs.push(`results[${i}].runtime '${String(r.runtime)}' unknown`);
    if (r.precision !== 'fp32' && r.precision !== 'int8') errs.push(`results[${i}].precision must be fp32|int8`);
    if (r.environment !== 'node' && r.environment !== 'chromium') errs.push(`results[${i}].environment must be node|chromium`);
    if (!(Number.isInteger(r.batch) && r.batch >= 1)) errs.push(`results[${i}].batch must be a positive integer`);
    for (const k of ['latencyP50Ms', 'latencyP90Ms', 'imagesPerSecond'] as const) {
      const v = r[k];
      if (!(v === null || (typeof v === 'number' && Number.isFinite(v)))) errs.push(`results[${i}].${k} must be a finite number or null`);
      if (r.status === 'ok' && v === null) errs.push(`results[${i}].${k} is null on an 'ok' row`);
    }
  }
  if (!Array.isArray(o.training)) errs.push('training must be an array');
  for (const [i, t] of (o.training ?? []).entries()) {
    if (t.runtime !== 'lab' && t.runtime !== 'cpu-reference') errs.push(`training[${i}].runtime must be lab|cpu-reference`);
    if (t.environment !== 'node' && t.environment !== 'chromium') errs.push(`training[${i}].environment must be node|chromium`);
    if (!(Number.isInteger(t.batch) && t.batch >= 1)) errs.push(`training[${i}].batch must be a positive integer`);
    const v = t.imagesPerSecond;
    if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0))) errs.push(`training[${i}].imagesPerSecond must be a positive number or null`);
    if (t.status === 'ok' && v === null) errs.push(`training[${i}].imagesPerSecond is null on an 'ok' row`);
  }
  return errs;
}
