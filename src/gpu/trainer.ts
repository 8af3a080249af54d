/**
 * Training on the GPU. The dataset is uploaded once as bytes; each epoch
 * uploads one shuffled index order and one per-step schedule (lr and Adam's
 * bias corrections), then every step — gather the batch, forward (the f32
 * inference kernels, unfused so every activation is kept), loss, backward,
 * optimizer, mask, re-pack (and fake-quantize) the weights, advance the step
 * counter — is encoded on the GPU with nothing from the host between steps,
 * `stepsPerSubmit` steps per command buffer. The loss is accumulated per row
 * on the GPU and read back once per epoch; test accuracy is counted on the
 * GPU over the whole test set.
 *
 * Deterministic: every reduction runs in a fixed order (no float atomics),
 * so the same model, data, options and seed give bit-identical weights.
 * No Node APIs here: the browser worker and the CLI run the same code.
 */
import type { Dataset } from '../data/dataset.ts';
import { shuffledIndices } from '../data/dataset.ts';
import type { Layer } from '../model/layers.ts';
import { hasWeights } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { validateModel } from '../model/model.ts';
import type { LayerShapes } from '../model/shapes.ts';
import { inferShapes, convGeometry, sizeOf } from '../model/shapes.ts';
import type { LrSchedule } from '../cpu/optim.ts';
import { learningRate } from '../cpu/optim.ts';
import type { Gpu } from './device.ts';
import type { AnyKernel } from './kernels/types.ts';
import { ceilDiv, encodeUniforms } from './kernels/types.ts';
import { packBias, packGemmWeight } from './kernels/conv2d.ts';
import type { ConvBackwardShape } from './kernels/conv2d-backward-input.ts';
import { imagesPerSplit, splitsOf } from './kernels/conv2d-backward-weight.ts';
import { colGradShape, colGradSize, useCol2im } from './kernels/conv2d-col2im.ts';
import { qmaxOf } from './kernels/pack-weight.ts';
import { PRUNED } from './kernels/shared-gather.ts';
import { sharedMembers } from './kernels/shared-grad.ts';
import type { GemmTiling } from './kernels/conv2d.ts';
import type { GemmVariant, Plan } from './plan.ts';
import { planModel } from './plan.ts';
import { PipelineCache } from './pipelines.ts';
import type { KernelName } from './registry.ts';
import { KERNELS } from './registry.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';
import { bindKernel } from './bind.ts';

export type { LrSchedule } from '../cpu/optim.ts';

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
  /** Base learning rate (default 1e-3 for Adam, 0.01 for SGD). */
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
   * Register tiling of the forward conv2d kernel. Default TRAIN_REGISTER_TILING:
   * SwiftShader needs ~100 s to compile each configuration of the full 8×4
   * block (per distinct layer shape), against < 1 s for 4×2.
   */
  registerTiling?: GemmTiling;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (r: EpochReport) => void;
  /** Diagnostics: time every dispatch of one step (wall clock per dispatch, after a warm-up step) before training; also reports setup time. */
  profile?: (p: { setupMs: number; pipelineMs: number; dispatches: { label: string; ms: number }[] }) => void;
}

/** Reported after every submitted chunk of steps. */
export interface TrainProgress {
  phase: 'train' | 'eval';
  epoch: number;
  step: number;
  steps: number;
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

// ---------------------------------------------------------------------------
// Building blocks: dispatches with their bind groups made once.

interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  xyz: [number, number, number];
}

class Graph {
  readonly owned: GPUBuffer[] = [];
  readonly cache: PipelineCache;
  constructor(readonly device: GPUDevice) {
    this.cache = new PipelineCache(device);
  }
  buffer(label: string, floats: number): GPUBuffer {
    const b = storageBuffer(this.device, label, floats * 4);
    this.owned.push(b);
    return b;
  }
  upload(label: string, data: Float32Array | Uint32Array): GPUBuffer {
    const b = uploadBuffer(this.device, label, data);
    this.owned.push(b);
    return b;
  }
  async dispatch<P extends object>(name: KernelName, params: P, buffers: Record<string, GPUBuffer>, label: string): Promise<Dispatch> {
    const kernel: AnyKernel = KERNELS[name];
    const compiled = await this.cache.get(kernel, kernel.constants(params));
    const uniforms = uniformBuffer(this.device, `${label} params`, kernel.uniforms.length);
    this.owned.push(uniforms);
    this.device.queue.writeBuffer(uniforms, 0, encodeUniforms(kernel, kernel.uniformValues(params)));
    const bindGroup = bindKernel(this.device, kernel, compiled.layout, buffers, uniforms, `trainer: ${label}`);
    return { label, pipeline: compiled.pipeline, bindGroup, xyz: kernel.dispatch(params, this.device.limits) };
  }
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}

function encode(pass: GPUComputePassEncoder, list: Dispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.xyz[0], d.xyz[1], d.xyz[2]);
  }
}

/** A dataset on the GPU: pixels packed 4 bytes per u32, labels one u32 each. */
interface GpuImages {
  images: GPUBuffer;
  labels: GPUBuffer;
  count: number;
  pixels: number;
}

function uploadImages(g: Graph, set: ImageSet, count: number, label: string): GpuImages {
  const pixels = set.rows * set.cols;
  const words = new Uint32Array(Math.ceil((count * pixels) / 4));
  new Uint8Array(words.buffer).set(set.images.subarray(0, count * pixels));
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) labels[i] = set.labels[i];
  return { images: g.upload(`${label} images (u8)`, words), labels: g.upload(`${label} labels`, labels), count, pixels };
}

/** The forward pass of a plan, bound to buffers; `tensors[0]` is the shared input. */
interface Forward {
  plan: Plan;
  tensors: GPUBuffer[];
  dispatches: Dispatch[];
}

async function buildForward(
  g: Graph,
  plan: Plan,
  batch: number,
  input: GPUBuffer,
  label: string,
  weightsOf: (layer: string, step: Plan['steps'][number]) => { weight?: GPUBuffer; bias?: GPUBuffer },
): Promise<Forward> {
  const tensors = plan.tensorSizes.map((size, i) => (i === 0 ? input : g.buffer(`${label} activation ${i}`, size * batch)));
  const dispatches: Dispatch[] = [];
  for (const s of plan.steps) {
    const { weight, bias } = weightsOf(s.layers[0], s);
    const buffers: Record<string, GPUBuffer> = { input: tensors[s.input], output: tensors[s.output] };
    if (weight) buffers.weight = weight;
    if (bias) buffers.bias = bias;
    dispatches.push(await g.dispatch(s.kernel, { ...s.params, batch }, buffers, `${label} ${s.kernel} (${s.layers.join('+')})`));
  }
  return { plan, tensors, dispatches };
}

/** Forward weights straight from the plan's host-packed copies (teachers, evaluation). */
function uploadedWeights(g: Graph, label: string): (layer: string, step: Plan['steps'][number]) => { weight?: GPUBuffer; bias?: GPUBuffer } {
  return (layer, s) => ({
    weight: s.weight ? g.upload(`${label} ${layer}.weight (packed)`, s.weight) : undefined,
    bias: s.bias ? g.upload(`${label} ${layer}.bias (packed)`, s.bias) : undefined,
  });
}

/** The trainer's forward conv2d tiling (see TrainOptions.registerTiling). */
export const TRAIN_REGISTER_TILING: GemmTiling = { wg: 32, tm: 4, tn4: 2 };

function defaultVariant(gpu: Gpu, v?: GemmVariant): GemmVariant {
  return v ?? (gpu.report.software ? 'register' : 'tiled');
}

/** Per-layer trainable state on the GPU. */
interface LayerState {
  ls: LayerShapes;
  layer: Layer & { kind: 'conv2d' | 'depthwiseConv2d' | 'dense' };
  /** Master weight, model layout. */
  master: GPUBuffer;
  /** What the forward pass and dInput read: packed [K, ocp] (conv/dense), or for depthwise the master or a fake-quantized copy. */
  forward: GPUBuffer;
  /** Bias padded to a multiple of 4 (zeros when the layer has none); also the master bias. */
  bias: GPUBuffer;
  oc: number;
  k: number;
  weightSize: number;
  frozen: boolean;
  quant: boolean;
  /** Set when the weight reads a shared-value table (TrainOptions.shared). */
  shared?: { group: string; assignments: ArrayLike<number> };
}

/** One shared-value table on the GPU and the weight tensors that read it. */
interface SharedGroup {
  key: string;
  k: number;
  values: Float32Array;
  members: string[];
}

/** Shared-value tables from TrainOptions.shared: each value starts as the mean of its unmasked members (0 if none). */
function sharedGroupsOf(model: Model, o: TrainOptions, frozen: Set<string>): Map<string, SharedGroup> {
  const groups = new Map<string, SharedGroup & { sum: Float64Array; count: Float64Array }>();
  for (const [name, sh] of Object.entries(o.shared ?? {})) {
    if (frozen.has(name.slice(0, -'.weight'.length))) continue;
    const key = sh.group ?? name;
    let grp = groups.get(key);
    if (!grp) groups.set(key, (grp = { key, k: sh.k, values: new Float32Array(sh.k), members: [], sum: new Float64Array(sh.k), count: new Float64Array(sh.k) }));
    if (grp.k !== sh.k) throw new Error(`trainer: shared group '${key}': '${name}' has k = ${sh.k}, another member ${grp.k}`);
    const w = model.weights[name];
    const mask = o.masks?.[name];
    for (let i = 0; i < w.length; i++) {
      if (mask && mask[i] === 0) continue;
      grp.sum[sh.assignments[i]] += w[i];
      grp.count[sh.assignments[i]]++;
    }
    grp.members.push(name);
  }
  const out = new Map<string, SharedGroup>();
  for (const [key, grp] of groups) {
    for (let j = 0; j < grp.k; j++) grp.values[j] = grp.count[j] > 0 ? grp.sum[j] / grp.count[j] : 0;
    out.set(key, { key, k: grp.k, values: grp.values, members: grp.members });
  }
  return out;
}

function convBackwardShape(ls: LayerShapes, batch: number): ConvBackwardShape {
  const layer = ls.layer;
  if (layer.kind !== 'dense' && layer.kind !== 'conv2d' && layer.kind !== 'depthwiseConv2d') throw new Error(`trainer: ${layer.name} is not a convolution`);
  const oc = layer.kind === 'dense' ? layer.units : ls.output[2];
  return { batch, oc, ...convGeometry(layer, ls.input, ls.output) };
}

function checkOptions(model: Model, o: TrainOptions): void {
  const arch = model.architecture;
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new Error(`trainer: epochs must be a non-negative integer, got ${o.epochs}`);
  const b = o.batch ?? 64;
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
    if (sh.assignments.length !== w.length) throw new Error(`trainer: shared values for '${name}': ${sh.assignments.length} assignments, the tensor has ${w.length}`);
    for (let i = 0; i < sh.assignments.length; i++) {
      const a = sh.assignments[i];
      if (!(Number.isInteger(a) && a >= 0 && a < sh.k)) throw new Error(`trainer: shared values for '${name}': assignment ${i} is ${a}, not in 0..${sh.k - 1}`);
    }
  }
  const last = arch.layers[arch.layers.length - 1];
  arch.layers.forEach((l, i) => {
    if (l.kind === 'softmax' && l !== last) throw new Error(`trainer: layer '${l.name}': a softmax inside the model cannot be trained (the loss applies softmax); only a final one is allowed`);
    if (i === 0 && !last) throw new Error('trainer: empty model');
  });
  if (o.distill) {
    const d = o.distill;
    if (!(d.temperature > 0 && Number.isFinite(d.temperature))) throw new Error(`trainer: distill.temperature must be > 0, got ${d.temperature}`);
    if (!(d.alpha >= 0 && d.alpha <= 1)) throw new Error(`trainer: distill.alpha must be in [0, 1], got ${d.alpha}`);
    if (d.teacher.architecture.inputShape.join() !== arch.inputShape.join()) throw new Error('trainer: the teacher takes a different input shape than the student');
  }
}

/** Train `model` on `train` (and evaluate on `test` after every epoch). The input model is not modified. */
export async function trainModel(gpu: Gpu, model: Model, train: ImageSet, test: ImageSet | null, options: TrainOptions): Promise<TrainResult> {
  validateModel(model);
  checkOptions(model, options);
  const device = gpu.device;
  const arch = model.architecture;
  const optimizer = options.optimizer ?? 'adam';
  const baseLr = options.lr ?? (optimizer === 'adam' ? 1e-3 : 0.01);
  const schedule: LrSchedule = options.schedule ?? { kind: 'constant' };
  const seed = options.seed ?? 1;
  const trainCount = Math.min(options.limit ?? train.count, train.count);
  const batch = Math.min(options.batch ?? 64, trainCount);
  const stepsPerEpoch = Math.floor(trainCount / batch);
  const perSubmit = Math.max(1, options.stepsPerSubmit ?? 16);
  const frozen = new Set(options.freeze ?? []);
  const variant = defaultVariant(gpu, options.variant);
  if (train.rows * train.cols !== sizeOf(arch.inputShape)) {
    throw new Error(`trainer: images are ${train.rows}×${train.cols}, model '${arch.name}' takes [${arch.inputShape.join(', ')}]`);
  }

  const allShapes = inferShapes(arch);
  const endsInSoftmax = arch.layers[arch.layers.length - 1].kind === 'softmax';
  const shapes = endsInSoftmax ? allShapes.slice(0, -1) : allShapes;
  const registerTiling = options.registerTiling ?? TRAIN_REGISTER_TILING;
  const plan = planModel(model, { variant, fuse: false, registerTiling });
  const tensorOf = (i: number): number => (i < 0 ? 0 : plan.layerTensor.get(shapes[i].layer.name)!);
  const logitsTensor = tensorOf(shapes.length - 1);
  const classes = plan.tensorSizes[logitsTensor];

  const g = new Graph(device);
  const setupStart = performance.now();
  try {
    // --- Data: uploaded once.
    const trainSet = uploadImages(g, train, trainCount, 'train');
    const testCount = test ? Math.min(options.evalLimit ?? test.count, test.count) : 0;
    const testSet = test && testCount > 0 ? uploadImages(g, test, testCount, 'test') : null;
    const state = g.upload('train state', new Uint32Array(4));
    const order = g.buffer('epoch order', Math.max(trainCount, 4));
    const schedBuf = g.buffer('lr schedule', Math.max(1, stepsPerEpoch) * 4);
    const input = g.buffer('batch input', batch * plan.inputSize);
    const labels = g.buffer('batch labels', batch);
    const lossAcc = g.buffer('loss per row', batch);
    const lossSum = g.buffer('loss sum', 1);
    const correct = g.buffer('correct per row', batch);
    const dummy = g.buffer('unused binding', 4);

    // --- Student weights.
    const sharedGroups = sharedGroupsOf(model, options, frozen);
    const sharedOf = new Map<string, string>();
    for (const grp of sharedGroups.values()) for (const n of grp.members) sharedOf.set(n, grp.key);
    const layers = new Map<string, LayerState>();
    for (const ls of shapes) {
      const layer = ls.layer;
      if (!hasWeights(layer)) continue;
      const w = Float32Array.from(model.weights[`${layer.name}.weight`]);
      const mask = options.masks?.[`${layer.name}.weight`];
      const groupKey = sharedOf.get(`${layer.name}.weight`);
      const sharedSpec = groupKey ? { group: groupKey, assignments: options.shared![`${layer.name}.weight`].assignments } : undefined;
      if (sharedSpec) {
        const values = sharedGroups.get(sharedSpec.group)!.values;
        for (let i = 0; i < w.length; i++) w[i] = values[sharedSpec.assignments[i]];
      }
      if (mask) for (let i = 0; i < w.length; i++) if (mask[i] === 0) w[i] = 0;
      const oc = layer.kind === 'dense' ? layer.units : ls.output[2];
      const k = w.length / oc;
      const master = g.upload(`${layer.name}.weight (master)`, w);
      const bHost = model.weights[`${layer.name}.bias`];
      const bMasked = bHost ? Float32Array.from(bHost) : undefined;
      const bMask = options.masks?.[`${layer.name}.bias`];
      if (bMasked && bMask) for (let i = 0; i < bMasked.length; i++) if (bMask[i] === 0) bMasked[i] = 0;
      const bias = g.upload(`${layer.name}.bias (padded)`, packBias(bMasked, oc));
      const quant = !!options.fakeQuant && (options.fakeQuant.layers ?? [layer.name]).includes(layer.name);
      const forward =
        layer.kind === 'depthwiseConv2d'
          ? quant
            ? g.buffer(`${layer.name}.weight (fake-quantized)`, w.length)
            : master
          : g.upload(`${layer.name}.weight (packed)`, packGemmWeight(w, oc));
      layers.set(layer.name, { ls, layer, master, forward, bias, oc, k, weightSize: w.length, frozen: frozen.has(layer.name), quant, ...(sharedSpec ? { shared: sharedSpec } : {}) });
    }
    const studentWeights = (name: string): { weight?: GPUBuffer; bias?: GPUBuffer } => {
      const st = layers.get(name);
      return st ? { weight: st.forward, bias: st.bias } : {};
    };
    const fwd = await buildForward(g, plan, batch, input, 'student', studentWeights);
    const T = fwd.tensors;

    // --- Teacher.
    const d = options.distill;
    let teacherFwd: Forward | null = null;
    let teacherLogits: GPUBuffer = dummy;
    let hintTeacher: GPUBuffer | null = null;
    let hintTeacherSize = 0;
    if (d) {
      const tArch = d.teacher.architecture;
      const tEndsSoftmax = tArch.layers[tArch.layers.length - 1].kind === 'softmax';
      // Unfused when a hint or a final softmax needs an inner tensor kept.
      const tPlan = planModel(d.teacher, { variant, fuse: !d.hint && !tEndsSoftmax, registerTiling });
      teacherFwd = await buildForward(g, tPlan, batch, input, 'teacher', uploadedWeights(g, 'teacher'));
      const tLogits = tEndsSoftmax ? tPlan.layerTensor.get(tArch.layers[tArch.layers.length - 2].name)! : tPlan.output;
      if (tPlan.tensorSizes[tLogits] !== classes) throw new Error(`trainer: the teacher has ${tPlan.tensorSizes[tLogits]} outputs, the student ${classes}`);
      teacherLogits = teacherFwd.tensors[tLogits];
      if (d.hint) {
        const tt = tPlan.layerTensor.get(d.hint.teacherLayer);
        if (tt === undefined) throw new Error(`trainer: hint: the teacher has no layer '${d.hint.teacherLayer}'`);
        hintTeacher = teacherFwd.tensors[tt];
        hintTeacherSize = tPlan.tensorSizes[tt];
      }
    }

    // --- Loss, backward, optimizer.
    const grads = new Map<number, GPUBuffer>();
    const gradOf = (id: number): GPUBuffer => {
      let b = grads.get(id);
      if (!b) {
        b = g.buffer(`grad of tensor ${id}`, plan.tensorSizes[id] * batch);
        grads.set(id, b);
      }
      return b;
    };
    const step: Dispatch[] = [];
    step.push(
      await g.dispatch('gather-batch', { batch, pixels: trainSet.pixels }, { images: trainSet.images, labels: trainSet.labels, order, state, output: input, labelsOut: labels }, 'gather train'),
    );
    step.push(...fwd.dispatches);
    if (teacherFwd) step.push(...teacherFwd.dispatches);
    step.push(
      await g.dispatch(
        'softmax-cross-entropy',
        { batch, classes, distill: !!d, t: d?.temperature ?? 1, alpha: d?.alpha ?? 0 },
        { input: T[logitsTensor], labels, teacher: teacherLogits, output: gradOf(logitsTensor), lossAcc },
        'loss',
      ),
    );
    let hintTensor = -1;
    if (d?.hint) {
      const idx = shapes.findIndex((s) => s.layer.name === d.hint!.layer);
      if (idx < 0) throw new Error(`trainer: hint: the student has no layer '${d.hint.layer}'`);
      hintTensor = tensorOf(idx);
      if (plan.tensorSizes[hintTensor] !== hintTeacherSize) {
        throw new Error(`trainer: hint: student '${d.hint.layer}' has ${plan.tensorSizes[hintTensor]} values per image, teacher '${d.hint.teacherLayer}' ${hintTeacherSize}`);
      }
      if (hintTensor === 0) throw new Error('trainer: hint: the model input has no gradient');
    }
    let hintDone = hintTensor < 0;
    const updates: Dispatch[] = [];
    const sharedGrads = new Map<string, GPUBuffer>();
    /** Optimizer state buffers (momentum, Adam m and v): cleared after a profile run. */
    const optimizerState: GPUBuffer[] = [];
    const optimizerStep = async (t: { name: string; size: number; w: GPUBuffer; grad: GPUBuffer }, mask?: ArrayLike<number>): Promise<Dispatch> => {
      const maskBuf = mask ? g.upload(`${t.name} mask`, Float32Array.from(mask, (v) => (v === 0 ? 0 : 1))) : dummy;
      const m = g.buffer(`${t.name} ${optimizer === 'adam' ? 'm' : 'velocity'}`, t.size);
      optimizerState.push(m);
      const common = { grad: t.grad, mask: maskBuf, schedule: schedBuf, state, weight: t.w, m };
      if (optimizer === 'adam') {
        const v = g.buffer(`${t.name} v`, t.size);
        optimizerState.push(v);
        const params = { size: t.size, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0, mask: !!mask };
        return g.dispatch('adam', params, { ...common, v }, `${t.name} adam`);
      }
      const params = { size: t.size, momentum: options.momentum ?? 0.9, weightDecay: options.weightDecay ?? 0, mask: !!mask };
      return g.dispatch('sgd', params, common, `${t.name} sgd`);
    };
    for (let i = shapes.length - 1; i >= 0; i--) {
      const ls = shapes[i];
      const layer = ls.layer;
      const inId = tensorOf(i - 1);
      const outId = tensorOf(i);
      if (!hintDone && outId === hintTensor) {
        const size = plan.tensorSizes[hintTensor];
        step.push(await g.dispatch('hint-loss', { batch, size, beta: d!.hint!.weight }, { input: T[outId], target: hintTeacher!, output: gradOf(outId), lossAcc }, 'hint'));
        hintDone = true;
      }
      const label = `${layer.name} backward`;
      switch (layer.kind) {
        case 'flatten':
          break;
        case 'relu':
          if (inId !== 0) {
            step.push(await g.dispatch('relu-backward', { batch, size: sizeOf(ls.input) }, { input: T[inId], dOutput: gradOf(outId), output: gradOf(inId) }, label));
          }
          break;
        case 'maxPool2d':
        case 'avgPool2d':
          if (inId !== 0) {
            const [h, w, c] = ls.input;
            const params = { batch, h, w, c, oh: ls.output[0], ow: ls.output[1], winH: layer.window[0], winW: layer.window[1], sh: layer.stride[0], sw: layer.stride[1], mode: layer.kind === 'maxPool2d' ? 'max' : 'avg' };
            step.push(await g.dispatch('pool2d-backward', params, { input: T[inId], dOutput: gradOf(outId), output: gradOf(inId) }, label));
          }
          break;
        case 'conv2d':
        case 'dense':
        case 'depthwiseConv2d': {
          const st = layers.get(layer.name)!;
          const shape = convBackwardShape(ls, batch);
          const depthwise = layer.kind === 'depthwiseConv2d';
          if (!st.frozen) {
            const blocks = depthwise ? shape.kh * shape.kw * shape.c : ceilDiv(shape.oc, 4) * ceilDiv(st.k, 4);
            const ips = imagesPerSplit(batch, blocks);
            const splits = splitsOf({ batch, ips });
            const partial = g.buffer(`${layer.name} dW partials`, splits * st.weightSize);
            const dW = g.buffer(`${layer.name} dW`, st.weightSize);
            const params = { ...shape, ips };
            step.push(await g.dispatch(depthwise ? 'depthwise-conv2d-backward-weight' : 'conv2d-backward-weight', params, { input: T[inId], dOutput: gradOf(outId), output: partial }, `${label} dW`));
            step.push(await g.dispatch('col-sum', { rows: splits, n: st.weightSize }, { input: partial, output: dW }, `${label} dW sum`));
            const tensors: { name: string; size: number; w: GPUBuffer; grad: GPUBuffer }[] = st.shared ? [] : [{ name: `${layer.name}.weight`, size: st.weightSize, w: st.master, grad: dW }];
            if (st.shared) sharedGrads.set(`${layer.name}.weight`, dW);
            if (layer.bias) {
              const dB = g.buffer(`${layer.name} dB`, st.oc);
              step.push(await g.dispatch('col-sum', { rows: batch * shape.oh * shape.ow, n: st.oc }, { input: gradOf(outId), output: dB }, `${label} dB`));
              tensors.push({ name: `${layer.name}.bias`, size: st.oc, w: st.bias, grad: dB });
            }
            for (const t of tensors) updates.push(await optimizerStep(t, options.masks?.[t.name]));
            if (!st.shared) updates.push(...(await packDispatches(g, st, options.fakeQuant, dummy)));
          }
          if (inId !== 0) {
            if (depthwise) {
              step.push(await g.dispatch('depthwise-conv2d-backward-input', shape, { dOutput: gradOf(outId), weight: st.forward, output: gradOf(inId) }, `${label} dX`));
            } else {
              if (useCol2im(shape)) {
                // Column gradients as one dense GEMM (no border taps wasted), then a fixed-order gather.
                const dcol = g.buffer(`${layer.name} dX columns`, colGradSize(shape));
                step.push(await g.dispatch('conv2d-backward-input', colGradShape(shape), { dOutput: gradOf(outId), weight: st.forward, output: dcol }, `${label} dX cols`));
                step.push(await g.dispatch('conv2d-col2im', shape, { input: dcol, output: gradOf(inId) }, `${label} dX col2im`));
              } else {
                step.push(await g.dispatch('conv2d-backward-input', shape, { dOutput: gradOf(outId), weight: st.forward, output: gradOf(inId) }, `${label} dX`));
              }
            }
          }
          break;
        }
        case 'softmax':
          throw new Error(`trainer: layer '${layer.name}': softmax inside the model is not trainable`);
        default: {
          const never: never = layer;
          throw new Error(`trainer: no backward for layer kind ${JSON.stringify((never as Layer).kind)}`);
        }
      }
    }
    // Shared values: per table, sum the members' gradients per value, step the k values, gather the weights, re-pack.
    for (const grp of sharedGroups.values()) {
      const values = g.upload(`${grp.key} shared values`, grp.values);
      const grad = g.buffer(`${grp.key} shared-value gradient`, grp.k);
      const after: Dispatch[] = [];
      let first = true;
      for (const name of grp.members) {
        const st = layers.get(name.slice(0, -'.weight'.length))!;
        const mask = options.masks?.[name];
        const { offsets, members } = sharedMembers(st.shared!.assignments, grp.k, mask);
        const buffers = { grad: sharedGrads.get(name)!, offsets: g.upload(`${name} shared offsets`, offsets), members: g.upload(`${name} shared members`, members), output: grad };
        updates.push(await g.dispatch('shared-grad', { k: grp.k, accumulate: !first }, buffers, `${name} shared-grad`));
        first = false;
        const assign = Uint32Array.from(st.shared!.assignments);
        if (mask) for (let i = 0; i < assign.length; i++) if (mask[i] === 0) assign[i] = PRUNED;
        after.push(await g.dispatch('shared-gather', { size: st.weightSize }, { values, assign: g.upload(`${name} shared assignments`, assign), output: st.master }, `${name} shared-gather`));
        after.push(...(await packDispatches(g, st, options.fakeQuant, dummy)));
      }
      updates.push(await optimizerStep({ name: `${grp.key} shared values`, size: grp.k, w: values, grad }));
      updates.push(...after);
    }
    // Updates run after the whole backward pass: dInput must see the weights the forward pass used.
    step.push(...updates);
    step.push(await g.dispatch('step-advance', {}, { state }, 'advance'));
    const lossReduce = await g.dispatch('col-sum', { rows: batch, n: 1 }, { input: lossAcc, output: lossSum }, 'loss sum');

    // Initial pack (fake quantization included) so that step 1 sees the same weights as every later step.
    const initialPack: Dispatch[] = [];
    for (const st of layers.values()) initialPack.push(...(await packDispatches(g, st, options.fakeQuant, dummy)));

    // --- Evaluation graph (same forward, test images).
    let evalStep: Dispatch[] = [];
    let evalSteps = 0;
    if (testSet) {
      evalSteps = ceilDiv(testSet.count, batch);
      const evalOrder = new Uint32Array(evalSteps * batch);
      for (let i = 0; i < testSet.count; i++) evalOrder[i] = i;
      const evalOrderBuf = g.upload('eval order', evalOrder);
      evalStep = [
        await g.dispatch('gather-batch', { batch, pixels: testSet.pixels }, { images: testSet.images, labels: testSet.labels, order: evalOrderBuf, state, output: input, labelsOut: labels }, 'gather test'),
        ...fwd.dispatches,
        await g.dispatch('count-correct', { batch, classes, valid: testSet.count }, { input: T[logitsTensor], labels, state, output: correct }, 'count correct'),
        await g.dispatch('step-advance', {}, { state }, 'advance'),
      ];
    }

    const submit = (fill: (pass: GPUComputePassEncoder, enc: GPUCommandEncoder) => void, label: string, after?: (enc: GPUCommandEncoder) => void): void => {
      const enc = device.createCommandEncoder({ label });
      const pass = enc.beginComputePass({ label });
      fill(pass, enc);
      pass.end();
      after?.(enc);
      device.queue.submit([enc.finish()]);
    };
    const zeroState = (): void => device.queue.writeBuffer(state, 0, new Uint32Array(4));

    submit((pass) => encode(pass, initialPack), 'initial pack');
    if (options.profile) {
      const times: { label: string; ms: number }[] = [];
      // Profiled steps must not train: lr 0 with bias corrections 1 (an all-zero schedule made Adam divide 0 by 0: NaN weights, NaN loss).
      device.queue.writeBuffer(schedBuf, 0, Float32Array.of(0, 1, 1, 0));
      zeroState();
      submit((pass) => encode(pass, step), 'profile warm-up');
      await device.queue.onSubmittedWorkDone();
      for (const dsp of step) {
        zeroState();
        const t = performance.now();
        submit((pass) => encode(pass, [dsp]), dsp.label);
        await device.queue.onSubmittedWorkDone();
        times.push({ label: dsp.label, ms: performance.now() - t });
      }
      // ...and leave no momentum behind.
      const enc = device.createCommandEncoder({ label: 'profile reset' });
      for (const b of optimizerState) enc.clearBuffer(b);
      device.queue.submit([enc.finish()]);
      options.profile({ setupMs: performance.now() - setupStart, pipelineMs: g.cache.creationMs, dispatches: times });
    }

    const readU32 = async (buf: GPUBuffer, n: number): Promise<Uint32Array> => {
      const staging = stagingBuffer(device, 'readback', n * 4);
      const enc = device.createCommandEncoder({ label: 'readback' });
      enc.copyBufferToBuffer(buf, 0, staging, 0, Math.ceil((n * 4) / 16) * 16);
      device.queue.submit([enc.finish()]);
      try {
        return new Uint32Array(await readStaging(staging, n * 4));
      } finally {
        staging.destroy();
      }
    };

    const evaluate = async (epoch: number): Promise<EvalResult | undefined> => {
      if (!testSet) return undefined;
      zeroState();
      const enc0 = device.createCommandEncoder({ label: 'eval reset' });
      enc0.clearBuffer(correct);
      device.queue.submit([enc0.finish()]);
      for (let s = 0; s < evalSteps; s += perSubmit * 4) {
        const n = Math.min(perSubmit * 4, evalSteps - s);
        submit((pass) => {
          for (let k = 0; k < n; k++) encode(pass, evalStep);
        }, 'eval');
        await device.queue.onSubmittedWorkDone();
        options.signal?.throwIfAborted();
        options.onProgress?.({ phase: 'eval', epoch, step: s + n, steps: evalSteps });
      }
      const c = await readU32(correct, batch);
      let right = 0;
      for (const v of c) right += v;
      return { accuracy: right / testSet.count, errors: testSet.count - right, count: testSet.count };
    };

    const reports: EpochReport[] = [];
    const totalSteps = Math.max(1, options.epochs * stepsPerEpoch);
    const beta1 = options.beta1 ?? 0.9;
    const beta2 = options.beta2 ?? 0.999;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      options.signal?.throwIfAborted();
      const t0 = performance.now();
      // One shuffled order and one schedule per epoch; everything else stays on the GPU.
      const epochSeed = (Math.imul(seed, 0x9e3779b1) + epoch) >>> 0;
      const perm = shuffledIndices(trainCount, epochSeed);
      device.queue.writeBuffer(order, 0, perm.buffer as ArrayBuffer, perm.byteOffset, perm.byteLength);
      const sched = new Float32Array(Math.max(1, stepsPerEpoch) * 4);
      for (let s = 0; s < stepsPerEpoch; s++) {
        const global = epoch * stepsPerEpoch + s;
        sched[s * 4] = learningRate(baseLr, schedule, epoch, global / totalSteps);
        sched[s * 4 + 1] = 1 - beta1 ** (global + 1);
        sched[s * 4 + 2] = 1 - beta2 ** (global + 1);
      }
      device.queue.writeBuffer(schedBuf, 0, sched);
      zeroState();
      const enc0 = device.createCommandEncoder({ label: 'epoch reset' });
      enc0.clearBuffer(lossAcc);
      device.queue.submit([enc0.finish()]);
      for (let s = 0; s < stepsPerEpoch; s += perSubmit) {
        const n = Math.min(perSubmit, stepsPerEpoch - s);
        submit((pass) => {
          for (let k = 0; k < n; k++) encode(pass, step);
        }, `train steps ${s}..${s + n - 1}`);
        await device.queue.onSubmittedWorkDone();
        options.signal?.throwIfAborted();
        options.onProgress?.({ phase: 'train', epoch, step: s + n, steps: stepsPerEpoch });
      }
      submit((pass) => encode(pass, [lossReduce]), 'loss sum');
      const lossBits = await readU32(lossSum, 1);
      const seconds = (performance.now() - t0) / 1000;
      const trainLoss = new Float32Array(lossBits.buffer)[0] / Math.max(1, stepsPerEpoch * batch);
      const ev = await evaluate(epoch);
      const report: EpochReport = {
        epoch: epoch + 1,
        trainLoss,
        seconds,
        imagesPerSecond: (stepsPerEpoch * batch) / seconds,
        lr: sched[0],
        ...(ev ? { testAccuracy: ev.accuracy, testErrors: ev.errors, testCount: ev.count } : {}),
      };
      reports.push(report);
      options.onEpoch?.(report);
    }

    // --- Read the trained weights back (model layout; biases without their padding).
    const weights: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(model.weights)) weights[name] = Float32Array.from(t);
    for (const st of layers.values()) {
      const w = await readU32(st.master, st.weightSize);
      weights[`${st.layer.name}.weight`] = new Float32Array(w.buffer, 0, st.weightSize);
      if (st.layer.bias) {
        const b = await readU32(st.bias, st.oc);
        weights[`${st.layer.name}.bias`] = new Float32Array(b.buffer, 0, st.oc);
      }
    }
    const trained: Model = { architecture: structuredClone(arch), weights, ...(model.encodings ? { encodings: structuredClone(model.encodings) } : {}) };
    if (model.provenance) trained.provenance = structuredClone(model.provenance);
    return { model: trained, epochs: reports };
  } finally {
    await device.queue.onSubmittedWorkDone().catch(() => undefined);
    g.destroy();
  }
}

/** The dispatches that refresh a layer's forward weights from its master: absmax (fake quantization only), then pack. */
async function packDispatches(g: Graph, st: LayerState, fq: FakeQuantOptions | undefined, dummy: GPUBuffer): Promise<Dispatch[]> {
  const depthwise = st.layer.kind === 'depthwiseConv2d';
  if (depthwise && !st.quant) return []; // the forward reads the master directly
  const out: Dispatch[] = [];
  let scales = dummy;
  const perChannel = !!fq?.perChannel;
  const mode = fq?.mode ?? 'linear';
  if (st.quant && fq && mode !== 'linear') {
    const channels = perChannel ? st.oc : 1;
    scales = g.buffer(`${st.layer.name} ${mode} Δ, α`, 2 * channels);
    const params = perChannel
      ? depthwise
        ? { channels, k: st.k, strideO: 1, strideK: st.oc, ternary: mode === 'ternary' }
        : { channels, k: st.k, strideO: st.k, strideK: 1, ternary: mode === 'ternary' }
      : { channels: 1, k: st.weightSize, strideO: 0, strideK: 1, ternary: mode === 'ternary' };
    out.push(await g.dispatch('weight-ternary-stats', params, { input: st.master, output: scales }, `${st.layer.name} ${mode} stats`));
    out.push(await g.dispatch('pack-weight', { oc: st.oc, k: st.k, transpose: !depthwise, bits: 0, perChannel, mode }, { master: st.master, scales, output: st.forward }, `${st.layer.name} pack`));
    return out;
  }
  const bits = st.quant && fq ? fq.bits : 0;
  if (bits > 0) {
    const channels = perChannel ? st.oc : 1;
    scales = g.buffer(`${st.layer.name} fake-quant scales`, channels);
    // Per channel: conv/dense rows are contiguous [oc, K]; depthwise channels are strided [K, C].
    const params = perChannel
      ? depthwise
        ? { channels, k: st.k, strideO: 1, strideK: st.oc, qmax: qmaxOf(bits) }
        : { channels, k: st.k, strideO: st.k, strideK: 1, qmax: qmaxOf(bits) }
      : { channels: 1, k: st.weightSize, strideO: 0, strideK: 1, qmax: qmaxOf(bits) };
    out.push(await g.dispatch('weight-absmax', params, { input: st.master, output: scales }, `${st.layer.name} absmax`));
  }
  out.push(
    await g.dispatch('pack-weight', { oc: st.oc, k: st.k, transpose: !depthwise, bits, perChannel }, { master: st.master, scales, output: st.forward }, `${st.layer.name} pack`),
  );
  return out;
}

/**
 * Accuracy of `model` on `test`, computed on the GPU: the set is uploaded
 * once, batches are gathered, run through the fused inference kernels and
 * scored by count-correct; only `batch` counters are read back.
 */
export async function evaluateModel(
  gpu: Gpu,
  model: Model,
  test: ImageSet,
  options: { batch?: number; limit?: number; variant?: GemmVariant; registerTiling?: GemmTiling; signal?: AbortSignal } = {},
): Promise<EvalResult> {
  validateModel(model);
  const device = gpu.device;
  const arch = model.architecture;
  if (test.rows * test.cols !== sizeOf(arch.inputShape)) throw new Error(`evaluate: images are ${test.rows}×${test.cols}, model '${arch.name}' takes [${arch.inputShape.join(', ')}]`);
  const count = Math.min(options.limit ?? test.count, test.count);
  const batch = Math.min(options.batch ?? 250, count);
  const plan = planModel(model, { variant: defaultVariant(gpu, options.variant), fuse: true, registerTiling: options.registerTiling ?? TRAIN_REGISTER_TILING });
  const g = new Graph(device);
  try {
    const set = uploadImages(g, test, count, 'test');
    const state = g.upload('eval state', new Uint32Array(4));
    const input = g.buffer('batch input', batch * plan.inputSize);
    const labels = g.buffer('batch labels', batch);
    const correct = g.buffer('correct per row', batch);
    const steps = ceilDiv(count, batch);
    const orderHost = new Uint32Array(steps * batch);
    for (let i = 0; i < count; i++) orderHost[i] = i;
    const order = g.upload('eval order', orderHost);
    const fwd = await buildForward(g, plan, batch, input, 'eval', uploadedWeights(g, 'eval'));
    // Softmax is monotonic: argmax over probabilities = argmax over logits.
    const out = fwd.tensors[plan.output];
    const classes = plan.tensorSizes[plan.output];
    const list = [
      await g.dispatch('gather-batch', { batch, pixels: set.pixels }, { images: set.images, labels: set.labels, order, state, output: input, labelsOut: labels }, 'gather test'),
      ...fwd.dispatches,
      await g.dispatch('count-correct', { batch, classes, valid: count }, { input: out, labels, state, output: correct }, 'count correct'),
      await g.dispatch('step-advance', {}, { state }, 'advance'),
    ];
    for (let s = 0; s < steps; s += 64) {
      const n = Math.min(64, steps - s);
      const enc = device.createCommandEncoder({ label: 'eval' });
      const pass = enc.beginComputePass({ label: 'eval' });
      for (let k = 0; k < n; k++) encode(pass, list);
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      options.signal?.throwIfAborted();
    }
    const staging = stagingBuffer(device, 'correct readback', batch * 4);
    g.owned.push(staging);
    const enc = device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(correct, 0, staging, 0, Math.ceil((batch * 4) / 16) * 16);
    device.queue.submit([enc.finish()]);
    const c = new Uint32Array(await readStaging(staging, batch * 4));
    let right = 0;
    for (const v of c) right += v;
    return { accuracy: right / count, errors: count - right, count };
  } finally {
    g.destroy();
  }
}
