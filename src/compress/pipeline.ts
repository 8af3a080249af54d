/**
 * The compression pipeline: an ordered list of {pass, options}, written in
 * a compact text syntax for the CLI and the UI (docs/compression.md):
 *
 *   prune:sparsity=0.9,scope=layer | finetune:epochs=2 | kmeans:bits=5 | huffman
 *
 * Steps are separated by `|`; a step is a pass name, optionally followed by
 * `:` and comma-separated `key=value` options; list values join items with
 * `+` (layers=fc1+fc2). Each step is a pure (model, options) → model pass,
 * except the training steps (finetune, gradual, distill), which call the
 * `FineTuner` the caller injects — the GPU trainer in the app, the CPU
 * reference in tests — so the pipeline itself holds no device and no data.
 */
import { DEFAULTS, defaultLearningRate } from '../model/defaults.ts';
import type { Int8Model } from '../model/int8.ts';
import type { HashedEncoding, Model, TensorEncoding } from '../model/model.ts';
import { accountModel } from '../model/accounting.ts';
import { weightShapes } from '../model/shapes.ts';
import type { OptionField } from './common.ts';
import { cloneModel, recordStep, weightTensors } from './common.ts';
import type { DistillSpec } from './distill.ts';
import * as distillPass from './distill.ts';
import * as downsamplePass from './downsample.ts';
import * as hashingPass from './hashing.ts';
import * as huffmanPass from './huffman.ts';
import * as int8Pass from './int8.ts';
import * as kmeansPass from './kmeans.ts';
import * as prunePass from './prune.ts';
import * as quantizePass from './quantize.ts';
import * as separablePass from './separable.ts';
import * as sparsePass from './sparse.ts';
import { refitEncodings, sizeBreakdown } from './breakdown.ts';
import { bucketsOf } from './hashing.ts';
import { codebookOf } from './kmeans.ts';
import { masksFromZeros, polynomialSparsity, sparsityOf } from './prune.ts';
import { fitLinear, projectToEncoding } from './quantize.ts';

/** What a trainer is asked to do by a fine-tuning step. */
export interface FineTuneRequest {
  epochs: number;
  lr: number;
  batch: number;
  /** Train on the first `limit` examples only (0 = all). */
  limit: number;
  seed: number;
  /** 'sgd' (momentum 0.9, the default) or 'adam' (β 0.9/0.999; the CPU fine-tuner only does SGD). */
  optimizer?: 'sgd' | 'adam';
  /** Learning rate over the request's steps: constant (the default) or cosine-annealed from `lr` to 0. */
  schedule?: 'constant' | 'cosine';
  /** L2 weight decay (SGD: added to the gradient; Adam: decoupled, AdamW). Default 0. */
  weightDecay?: number;
  /** 0/1 per weight: masked weights stay exactly 0. */
  masks: Record<string, Uint8Array>;
  /** Quantization-aware training: forward with `projectToEncoding(shadow, shape, qat[name])`, update the float shadow (STE). */
  qat?: Record<string, TensorEncoding>;
  /**
   * Shared values (k-means codebooks, hashed buckets): weight i of tensor
   * `name` is value `assignments[i]` of its group's table; the trainer sums
   * the gradients of a value's weights and updates the k values. Tensors with
   * the same `group` share one table (network-wide hashing).
   */
  centroids?: Record<string, { assignments: Int32Array; k: number; group?: string }>;
  distill?: DistillSpec;
}

/** Trains a model as requested and returns a new one (never mutates its input). */
export type FineTuner = (model: Model, request: FineTuneRequest) => Promise<Model>;

/** What the pipeline's caller provides. */
export interface PipelineContext {
  /** Needed by finetune, gradual and distill steps. */
  fineTuner?: FineTuner;
  /** Loads a teacher model for distill steps. */
  loadModel?: (path: string) => Promise<Model>;
  /** Calibration images (NHWC float32) for the int8 step. */
  calibration?: { images: Float32Array; batch: number };
  log?: (line: string) => void;
}

/** One parsed step. */
export interface StepSpec {
  pass: string;
  options: Record<string, unknown>;
}

/** What one step did, measured after it. */
export interface StepReport {
  pass: string;
  options: Record<string, unknown>;
  seconds: number;
  /** Exact model file bytes after the step. */
  bytes: number;
  ratio: number;
  params: number;
  flops: number;
  /** Fraction of zero weights (weight tensors only). */
  sparsity: number;
}

export interface PipelineResult {
  model: Model;
  /** Set by an `int8` step: the integer-only model (weights + activations int8). */
  int8?: Int8Model;
  reports: StepReport[];
}

interface StepDef {
  label: string;
  schema: readonly OptionField[];
  defaultOptions: Record<string, unknown>;
  run(model: Model, options: Record<string, unknown>, ctx: PipelineContext, result: { int8?: Int8Model }): Promise<Model>;
}

// -- training steps ------------------------------------------------------

/** Options of the finetune step. */
export interface FinetuneOptions {
  epochs: number;
  lr: number;
  batch: number;
  limit: number;
  seed: number;
  /** Keep every weight that is exactly 0 at 0 (pruned weights of a loaded file have no mask). */
  keepZeros: boolean;
  /** Keep quantized tensors on their grid while training (QAT, straight-through estimator). */
  qat: boolean;
  optimizer: 'sgd' | 'adam';
  schedule: 'constant' | 'cosine';
  weightDecay: number;
}

export const finetuneDefaults: FinetuneOptions = {
  epochs: 1,
  lr: defaultLearningRate(DEFAULTS.fineTuneOptimizer),
  batch: DEFAULTS.trainBatch,
  limit: 0,
  seed: 1,
  keepZeros: true,
  qat: true,
  optimizer: DEFAULTS.fineTuneOptimizer,
  schedule: 'constant',
  weightDecay: 0,
};

const optimizerField: OptionField = {
  name: 'optimizer',
  type: 'enum',
  values: ['sgd', 'adam'],
  description: 'sgd (momentum 0.9) or adam (GPU trainer only; use lr ≈ 1e-4…1e-3)',
};
/** Shared by finetune, gradual and distill: annealing to 0 ends training in a flatter, better minimum than a constant rate. */
export const scheduleField: OptionField = {
  name: 'schedule',
  type: 'enum',
  values: ['constant', 'cosine'],
  description: 'learning rate: constant, or cosine-annealed from lr to 0 over the step (per stage for gradual)',
};
/** L2 regularisation while (re)training: Han et al. 2015 found it gives the best accuracy after pruning and retraining (small weights are the ones pruned next). */
export const weightDecayField: OptionField = {
  name: 'weightDecay',
  type: 'number',
  min: 0,
  max: 1,
  description: 'L2 weight decay (SGD: added to the gradient; Adam: decoupled, AdamW)',
};

const finetuneSchema: OptionField[] = [
  { name: 'epochs', type: 'integer', min: 1, max: 1000, description: 'training epochs' },
  { name: 'lr', type: 'number', min: 0, max: 10, description: 'learning rate (SGD, momentum 0.9 on the CPU trainer)' },
  { name: 'batch', type: 'integer', min: 1, max: 4096, description: 'mini-batch size' },
  { name: 'limit', type: 'integer', min: 0, max: 1e9, description: 'train on the first N examples only (0 = all)' },
  { name: 'seed', type: 'integer', min: 0, max: 2 ** 31, description: 'shuffle seed' },
  { name: 'keepZeros', type: 'boolean', description: 'weights that are exactly 0 stay 0 (masks of pruned files)' },
  { name: 'qat', type: 'boolean', description: 'keep quantized / shared tensors on their grid (QAT, centroid fine-tuning)' },
  optimizerField,
  scheduleField,
  weightDecayField,
];

function tableKey(t: Float64Array, other: Float64Array): boolean {
  let overlap = 0;
  for (let j = 0; j < t.length; j++) {
    if (Number.isNaN(t[j]) || Number.isNaN(other[j])) continue;
    if (t[j] !== other[j]) return false;
    overlap++;
  }
  return overlap > 0;
}

/** The fine-tuning request a model's encodings and masks imply (see FineTuneRequest). */
export function fineTuneRequestFor(model: Model, o: FinetuneOptions): FineTuneRequest {
  const fromZeros = o.keepZeros ? masksFromZeros(model) : {};
  // A ternary tensor's zeros are its third value, not pruned weights: QAT must be free to move them.
  for (const [name, enc] of Object.entries(model.encodings ?? {})) {
    if (enc.kind === 'ternary' || (enc.kind === 'huffman' && enc.of.kind === 'ternary')) delete fromZeros[name];
  }
  const masks: Record<string, Uint8Array> = { ...fromZeros, ...(model.masks ?? {}) };
  const req: FineTuneRequest = { epochs: o.epochs, lr: o.lr, batch: o.batch, limit: o.limit, seed: o.seed, masks };
  if (o.optimizer && o.optimizer !== 'sgd') req.optimizer = o.optimizer;
  if (o.schedule && o.schedule !== 'constant') req.schedule = o.schedule;
  if (o.weightDecay) req.weightDecay = o.weightDecay;
  if (!o.qat) return req;
  const shapes = weightShapes(model.architecture);
  const qat: Record<string, TensorEncoding> = {};
  const centroids: NonNullable<FineTuneRequest['centroids']> = {};
  const hashGroups: { key: string; k: number; seed: number; table: Float64Array }[] = [];
  for (const [name, enc0] of Object.entries(model.encodings ?? {})) {
    const w = model.weights[name];
    let enc: TensorEncoding = enc0;
    if (enc.kind === 'sparse' || enc.kind === 'huffman') enc = enc.of;
    if (enc.kind === 'codebook') {
      const { centroids: c, assignments } = codebookOf(w);
      centroids[name] = { assignments, k: c.length };
    } else if (enc.kind === 'hashed') {
      const h: HashedEncoding = enc;
      const assignments = bucketsOf(w.length, h);
      const table = new Float64Array(h.k).fill(NaN);
      for (let i = 0; i < w.length; i++) table[assignments[i]] = w[i];
      let g = hashGroups.find((x) => x.k === h.k && x.seed === h.seed && tableKey(x.table, table));
      if (!g) {
        g = { key: `hashed:${name}`, k: h.k, seed: h.seed, table };
        hashGroups.push(g);
      } else for (let j = 0; j < table.length; j++) if (!Number.isNaN(table[j])) g.table[j] = table[j];
      centroids[name] = { assignments, k: h.k, group: g.key };
    } else if (enc.kind === 'linear' || enc.kind === 'ternary' || enc.kind === 'binary' || enc.kind === 'fp16') {
      qat[name] = enc;
      void shapes;
    }
  }
  if (Object.keys(qat).length) req.qat = qat;
  if (Object.keys(centroids).length) req.centroids = centroids;
  return req;
}

/**
 * For trainers that cannot honour every part of a request while training
 * (e.g. a GPU trainer without shared-value updates): projects freely
 * trained weights back onto the request's constraints. Shared values become
 * the mean of their (unmasked) members — the least-squares projection;
 * linear tensors are re-fitted (new min–max scales, same bits/scheme/axis)
 * and quantized; fp16/ternary/binary tensors are re-projected; masked
 * weights are zeroed. Returns a new model.
 */
export function projectOntoRequest(model: Model, req: FineTuneRequest): Model {
  const out = cloneModel(model);
  const shapes = weightShapes(out.architecture);
  for (const [name, m] of Object.entries(req.masks)) {
    const w = out.weights[name];
    for (let i = 0; i < w.length; i++) if (!m[i]) w[i] = 0;
  }
  const groups = new Map<string, { sum: Float64Array; count: Float64Array }>();
  for (const [name, c] of Object.entries(req.centroids ?? {})) {
    const key = c.group ?? name;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { sum: new Float64Array(c.k), count: new Float64Array(c.k) }));
    const w = out.weights[name];
    const m = req.masks[name];
    for (let i = 0; i < w.length; i++) {
      if (m && !m[i]) continue;
      g.sum[c.assignments[i]] += w[i];
      g.count[c.assignments[i]]++;
    }
  }
  for (const [name, c] of Object.entries(req.centroids ?? {})) {
    const g = groups.get(c.group ?? name)!;
    const w = out.weights[name];
    const m = req.masks[name];
    for (let i = 0; i < w.length; i++) {
      const j = c.assignments[i];
      // A value whose members are all masked (the fixed zero centroid) stays at the member's value.
      if (!(m && !m[i]) && g.count[j] > 0) w[i] = g.sum[j] / g.count[j];
    }
  }
  for (const [name, enc] of Object.entries(req.qat ?? {})) {
    const shape = shapes[name];
    let e = enc;
    if (e.kind === 'linear') {
      e = fitLinear(out.weights[name], shape, e.bits, e.signed ? 'symmetric' : 'asymmetric', e.axis);
      const cur = out.encodings?.[name];
      if (cur?.kind === 'linear') out.encodings![name] = e;
      else if ((cur?.kind === 'huffman' || cur?.kind === 'sparse') && cur.of.kind === 'linear') out.encodings![name] = { ...cur, of: e } as TensorEncoding;
    }
    out.weights[name] = projectToEncoding(out.weights[name], shape, e);
  }
  return out;
}

async function finetune(model: Model, o: FinetuneOptions, ctx: PipelineContext, distill?: DistillSpec): Promise<Model> {
  if (!ctx.fineTuner) throw new Error('pipeline: this step needs a trainer, and none was given (the caller injects a FineTuner)');
  const req = fineTuneRequestFor(model, o);
  if (distill) req.distill = distill;
  const out = await ctx.fineTuner(model, req);
  const fitted = refitEncodings(out);
  // The trainer returns the trained weights; masks carry on.
  if (Object.keys(req.masks).length) fitted.masks = { ...req.masks };
  recordStep(fitted, distill ? 'distill' : 'finetune', { ...o, ...(distill ? { temperature: distill.temperature, alpha: distill.alpha } : {}) });
  return fitted;
}

/** Options of the gradual step: prune in `stages` steps on the polynomial schedule, fine-tuning after each. */
export interface GradualOptions {
  sparsity: number;
  initial: number;
  stages: number;
  epochsPerStage: number;
  scope: 'layer' | 'network';
  lr: number;
  batch: number;
  limit: number;
  power: number;
  optimizer: 'sgd' | 'adam';
  schedule: 'constant' | 'cosine';
  weightDecay: number;
  /** Layers to prune (default: all weighted layers but per-channel scales). */
  layers: string[];
  /** Per-layer final sparsities `layer:sparsity` (overrides `sparsity` and `layers`), e.g. fc1:0.92+fc2:0.91+fc3:0.74. */
  perLayer: string[];
}

/** Parses gradual's `perLayer` items (`fc1:0.92`). */
export function parsePerLayer(items: string[]): { layer: string; sparsity: number }[] {
  return items.map((item) => {
    const [layer, v] = item.split(':');
    const sparsity = Number(v);
    if (!layer || !(sparsity >= 0 && sparsity < 1)) throw new Error(`gradual: perLayer item '${item}' must be layer:sparsity with 0 ≤ sparsity < 1`);
    return { layer, sparsity };
  });
}

const gradualDefaults: GradualOptions = {
  sparsity: 0.9,
  initial: 0,
  stages: 4,
  epochsPerStage: 1,
  scope: 'layer',
  lr: finetuneDefaults.lr,
  batch: finetuneDefaults.batch,
  limit: 0,
  power: 3,
  optimizer: finetuneDefaults.optimizer,
  schedule: 'constant',
  weightDecay: 0,
  layers: [],
  perLayer: [],
};

// -- the registry ----------------------------------------------------------

const asStep = <O extends object>(
  label: string,
  schema: readonly OptionField[],
  defaults: O,
  run: (m: Model, o: O, ctx: PipelineContext, r: { int8?: Int8Model }) => Promise<Model> | Model,
): StepDef => ({
  label,
  schema,
  defaultOptions: defaults as Record<string, unknown>,
  run: async (m, o, ctx, r) => run(m, { ...defaults, ...o } as O, ctx, r),
});

const quantizeModeSchema = quantizePass.schema.filter((f) => f.name === 'granularity' || f.name === 'layers');

/** Every step the pipeline knows, by name in the syntax. */
export const STEPS: Record<string, StepDef> = {
  prune: asStep(prunePass.label, prunePass.schema, prunePass.defaultOptions, (m, o) => prunePass.prune(m, o)),
  structured: asStep(prunePass.structuredLabel, prunePass.structuredSchema, prunePass.structuredDefaultOptions, (m, o) => prunePass.structuredPrune(m, o)),
  gradual: asStep(
    'Gradual pruning (Zhu & Gupta) with fine-tuning',
    [
      { name: 'sparsity', type: 'number', min: 0, max: 0.999, description: 'final sparsity' },
      { name: 'initial', type: 'number', min: 0, max: 0.999, description: 'sparsity of the first stage' },
      { name: 'stages', type: 'integer', min: 1, max: 100, description: 'pruning steps (each followed by fine-tuning)' },
      { name: 'epochsPerStage', type: 'integer', min: 1, max: 100, description: 'fine-tuning epochs after each pruning step' },
      { name: 'scope', type: 'enum', values: ['layer', 'network'], description: 'ranking per layer or across the network' },
      { name: 'lr', type: 'number', min: 0, max: 10, description: 'learning rate' },
      { name: 'batch', type: 'integer', min: 1, max: 4096, description: 'mini-batch size' },
      { name: 'limit', type: 'integer', min: 0, max: 1e9, description: 'train on the first N examples (0 = all)' },
      { name: 'power', type: 'number', min: 1, max: 10, description: 'exponent of the polynomial decay (3 in the paper)' },
      optimizerField,
      scheduleField,
      weightDecayField,
      {
        name: 'layers',
        type: 'list',
        description: 'layers to prune (default: all weighted layers but per-channel scales, i.e. 1×1 depthwise convs from imported BatchNorms)',
      },
      { name: 'perLayer', type: 'list', description: 'per-layer final sparsities layer:sparsity (e.g. fc1:0.92+fc2:0.91); overrides sparsity and layers' },
    ],
    gradualDefaults,
    async (m, o, ctx) => {
      let cur = m;
      const targets = o.perLayer.length ? parsePerLayer(o.perLayer) : [{ layer: '', sparsity: o.sparsity }];
      for (let i = 1; i <= o.stages; i++) {
        for (const t of targets) {
          const s = polynomialSparsity(i, {
            initialSparsity: Math.min(o.initial, t.sparsity),
            finalSparsity: t.sparsity,
            beginStep: 0,
            endStep: o.stages,
            frequency: 1,
            power: o.power,
          });
          ctx.log?.(`  gradual stage ${i}/${o.stages}: ${t.layer || 'sparsity'} ${s.toFixed(4)}`);
          cur = prunePass.prune(cur, { sparsity: s, scope: o.scope, layers: t.layer ? [t.layer] : o.layers });
        }
        cur = await finetune(
          cur,
          {
            ...finetuneDefaults,
            epochs: o.epochsPerStage,
            lr: o.lr,
            batch: o.batch,
            limit: o.limit,
            seed: i,
            optimizer: o.optimizer,
            schedule: o.schedule,
            weightDecay: o.weightDecay,
          },
          ctx,
        );
      }
      return cur;
    },
  ),
  quantize: asStep(quantizePass.label, quantizePass.schema, quantizePass.defaultOptions, (m, o) => quantizePass.quantize(m, o)),
  fp16: asStep(
    'fp16 storage',
    quantizePass.schema.filter((f) => f.name === 'biases' || f.name === 'layers' || f.name === 'weights'),
    { biases: true, layers: [] as string[], weights: true },
    (m, o) => quantizePass.quantize(m, { ...o, mode: 'fp16' }),
  ),
  ternary: asStep('Ternary weights (TWN)', quantizeModeSchema, { granularity: 'tensor' as const, layers: [] as string[] }, (m, o) =>
    quantizePass.quantize(m, { ...o, mode: 'ternary' }),
  ),
  binary: asStep('Binary weights (BWN)', quantizeModeSchema, { granularity: 'tensor' as const, layers: [] as string[] }, (m, o) =>
    quantizePass.quantize(m, { ...o, mode: 'binary' }),
  ),
  kmeans: asStep(kmeansPass.label, kmeansPass.schema, kmeansPass.defaultOptions, (m, o) => kmeansPass.kmeans(m, o)),
  hash: asStep(hashingPass.label, hashingPass.schema, hashingPass.defaultOptions, (m, o) => hashingPass.hashWeights(m, o)),
  sparse: asStep(sparsePass.label, sparsePass.schema, sparsePass.defaultOptions, (m, o) => sparsePass.sparsify(m, o)),
  huffman: asStep(huffmanPass.label, huffmanPass.schema, huffmanPass.defaultOptions, (m, o) => huffmanPass.huffman(m, o)),
  finetune: asStep('Fine-tuning', finetuneSchema, finetuneDefaults, (m, o, ctx) => finetune(m, o, ctx)),
  distill: asStep(distillPass.label, distillPass.schema, distillPass.defaultOptions, async (m, o, ctx) => {
    if (!o.teacher) throw new Error('distill: give teacher=<model file>');
    if (!ctx.loadModel) throw new Error('distill: the caller gave no way to load the teacher model');
    const spec = distillPass.distillSpec(await ctx.loadModel(o.teacher), o);
    return finetune(
      m,
      {
        ...finetuneDefaults,
        epochs: o.epochs,
        lr: o.lr,
        batch: o.batch,
        limit: o.limit,
        seed: o.seed,
        optimizer: o.optimizer,
        schedule: o.schedule,
        weightDecay: o.weightDecay,
      },
      ctx,
      spec,
    );
  }),
  downsample: asStep(downsamplePass.label, downsamplePass.schema, downsamplePass.defaultOptions, (m, o) => downsamplePass.downsample(m, o)),
  separable: asStep(separablePass.label, separablePass.schema, separablePass.defaultOptions, (m, o) => separablePass.separable(m, o)),
  int8: asStep(
    int8Pass.label,
    [
      { name: 'method', type: 'enum', values: ['minmax', 'percentile'], description: 'activation range calibration' },
      { name: 'percentile', type: 'number', min: 50, max: 100, description: 'percentile of the percentile method' },
    ],
    { method: 'minmax' as int8Pass.CalibrationMethod, percentile: 99.99 },
    (m, o, ctx, r) => {
      if (!ctx.calibration) throw new Error('int8: needs calibration images; the caller gave none');
      r.int8 = int8Pass.quantizeInt8Model(m, { calibration: ctx.calibration.images, batch: ctx.calibration.batch, method: o.method, percentile: o.percentile });
      // The file stores what the int8 model uses: symmetric per-channel int8 weights (biases stay fp32 in the file).
      const out = quantizePass.quantize(m, { mode: 'linear', bits: 8, scheme: 'symmetric', granularity: 'channel' });
      recordStep(out, 'int8', o);
      return out;
    },
  ),
};

// -- syntax ------------------------------------------------------------------

function parseValue(step: string, field: OptionField, raw: string): unknown {
  const bad = (want: string): never => {
    throw new Error(`pipeline step '${step}': option ${field.name} must be ${want}, got '${raw}'`);
  };
  switch (field.type) {
    case 'number':
    case 'integer': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) return bad('a number');
      if (field.type === 'integer' && !Number.isInteger(v)) return bad('an integer');
      if ((field.min !== undefined && v < field.min) || (field.max !== undefined && v > field.max)) return bad(`from ${field.min} to ${field.max}`);
      return v;
    }
    case 'boolean':
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      return bad('true or false');
    case 'enum':
      if (!field.values!.includes(raw)) return bad(`one of ${field.values!.join(', ')}`);
      return raw;
    case 'list':
      return raw === '' ? [] : raw.split('+').map((s) => s.trim());
    case 'string':
      return raw;
  }
}

/** Parses the pipeline syntax (see the module comment); throws naming the step and option at fault. */
export function parsePipeline(text: string): StepSpec[] {
  const steps: StepSpec[] = [];
  for (const part of text.split('|')) {
    const s = part.trim();
    if (!s) throw new Error(`pipeline '${text}': empty step`);
    const colon = s.indexOf(':');
    const name = (colon < 0 ? s : s.slice(0, colon)).trim();
    const def = STEPS[name];
    if (!def) throw new Error(`pipeline: unknown step '${name}' (known: ${Object.keys(STEPS).join(', ')})`);
    const options: Record<string, unknown> = {};
    if (colon >= 0) {
      for (const kv of s.slice(colon + 1).split(',')) {
        if (!kv.trim()) continue;
        const eq = kv.indexOf('=');
        if (eq < 0) throw new Error(`pipeline step '${name}': option '${kv.trim()}' needs key=value`);
        const key = kv.slice(0, eq).trim();
        const field = def.schema.find((f) => f.name === key);
        if (!field) throw new Error(`pipeline step '${name}': unknown option '${key}' (options: ${def.schema.map((f) => f.name).join(', ')})`);
        options[key] = parseValue(name, field, kv.slice(eq + 1).trim());
      }
    }
    steps.push({ pass: name, options });
  }
  return steps;
}

/** The syntax of a parsed pipeline (inverse of parsePipeline for its output). */
export function formatPipeline(steps: StepSpec[]): string {
  return steps
    .map((s) => {
      const opts = Object.entries(s.options).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`);
      return opts.length ? `${s.pass}:${opts.join(',')}` : s.pass;
    })
    .join(' | ');
}

/** Runs the steps in order; measures size, FLOPs and sparsity after each. Never mutates `model`. */
export async function runPipeline(model: Model, steps: StepSpec[] | string, ctx: PipelineContext = {}): Promise<PipelineResult> {
  const list = typeof steps === 'string' ? parsePipeline(steps) : steps;
  // A model made by an earlier pipeline keeps that history: the file then says how it was made from the trained model, not only its last stage.
  const prior = typeof model.provenance?.pipeline === 'string' && model.provenance.pipeline ? model.provenance.pipeline : undefined;
  let cur = cloneModel(model);
  const result: PipelineResult = { model: cur, reports: [] };
  const done: StepSpec[] = [];
  for (const step of list) {
    const def = STEPS[step.pass];
    if (!def) throw new Error(`pipeline: unknown step '${step.pass}'`);
    const t0 = performance.now();
    ctx.log?.(`${step.pass} ${JSON.stringify(step.options)}`);
    cur = refitEncodings(await def.run(cur, step.options, ctx, result));
    // The provenance is written as the file will hold it before sizing, so each step's bytes are the bytes its file would have.
    done.push(step);
    if (cur.provenance) cur.provenance.pipeline = prior ? `${prior} | ${formatPipeline(done)}` : formatPipeline(done);
    const size = sizeBreakdown(cur);
    const acc = accountModel(cur.architecture).total;
    const report: StepReport = {
      pass: step.pass,
      options: step.options,
      seconds: (performance.now() - t0) / 1000,
      bytes: size.total,
      ratio: size.ratio,
      params: acc.params,
      flops: acc.flops,
      sparsity: sparsityOf(cur).overall,
    };
    result.reports.push(report);
    ctx.log?.(
      `  → ${report.bytes.toLocaleString('en-US')} bytes (${report.ratio.toFixed(2)}× smaller than fp32), ${report.flops.toLocaleString('en-US')} FLOPs, sparsity ${(report.sparsity * 100).toFixed(1)}%`,
    );
  }
  result.model = cur;
  return result;
}

/** Weighted layer names of a model (for UIs listing `layers` choices). */
export function weightedLayers(model: Model): string[] {
  return weightTensors(model).map((t) => t.layer.name);
}
