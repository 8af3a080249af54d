/**
 * Pruning. Magnitude pruning (Han et al. 2015; the article's three steps:
 * rank weights per layer or across the network, set the smallest to zero,
 * retrain) with masks recorded in the model so fine-tuning keeps them zero;
 * the gradual polynomial schedule of Zhu & Gupta (2017); and structured
 * pruning of whole neurons and filters by L1/L2 norm, which really shrinks
 * the layers (and slices the next layer's inputs), so FLOPs drop.
 */
import type { Layer } from '../model/layers.ts';
import { depthMultiplier, isChannelAffine } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import type { OptionField } from './common.ts';
import { checkRange, cloneModel, recordStep, weightTensors } from './common.ts';

export const label = 'Magnitude pruning';

export interface Options {
  /** Fraction of the selected weights that end up zero, in [0, 1). */
  sparsity: number;
  /** 'layer': the same fraction in every layer; 'network': one threshold across all selected layers. */
  scope: 'layer' | 'network';
  /** Layer names to prune; empty = every conv, depthwise and dense layer except per-channel affines (1×1 depthwise, see isChannelAffine). */
  layers: string[];
}

export const defaultOptions: Options = { sparsity: 0.5, scope: 'layer', layers: [] };

export const schema: readonly OptionField[] = [
  { name: 'sparsity', type: 'number', min: 0, max: 0.999, description: 'fraction of weights set to zero (already-pruned weights count)' },
  {
    name: 'scope',
    type: 'enum',
    values: ['layer', 'network'],
    description: "rank weights within each layer, or across the whole network (the article's two choices)",
  },
  {
    name: 'layers',
    type: 'list',
    description:
      'layers to prune (default: all weighted layers but per-channel scales, i.e. 1×1 depthwise convs from imported BatchNorms); biases are never pruned',
  },
];

/**
 * Magnitude pruning: in each selected weight tensor (scope 'layer') or over
 * all of them (scope 'network'), exactly round(sparsity · n) weights of
 * smallest |w| become 0 (ties broken by position, so the result is
 * deterministic), and `masks` records what is kept. Weights pruned before
 * (mask 0) stay pruned: they rank first, having |w| = 0.
 */
export function prune(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  checkRange('prune: sparsity', o.sparsity, 0, 0.999999);
  const out = cloneModel(model);
  const tensors = o.layers.length ? weightTensors(out, o.layers) : weightTensors(out).filter((t) => !isChannelAffine(t.layer));
  const masks = (out.masks ??= {});
  const groups = o.scope === 'network' ? [tensors] : tensors.map((t) => [t]);
  for (const group of groups) {
    const arrays = group.map((t) => out.weights[t.name]);
    const total = arrays.reduce((a, w) => a + w.length, 0);
    const cut = Math.round(o.sparsity * total);
    // Global position p → (tensor, index) through the offsets; magnitudes in one float64 array for a fast sort.
    const offsets: number[] = [];
    const mag = new Float64Array(total);
    let at = 0;
    group.forEach((t, gi) => {
      offsets.push(at);
      const w = arrays[gi];
      const m = masks[t.name];
      for (let i = 0; i < w.length; i++) mag[at + i] = m && !m[i] ? 0 : Math.abs(w[i]);
      at += w.length;
    });
    const order = new Uint32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    order.sort((a, b) => mag[a] - mag[b] || a - b);
    group.forEach((t) => (masks[t.name] = new Uint8Array(out.weights[t.name].length).fill(1)));
    for (let r = 0; r < cut; r++) {
      const p = order[r];
      let gi = offsets.length - 1;
      while (offsets[gi] > p) gi--;
      const name = group[gi].name;
      const i = p - offsets[gi];
      out.weights[name][i] = 0;
      masks[name][i] = 0;
    }
  }
  recordStep(out, 'prune', o);
  return out;
}

/** Masks rebuilt from exact zeros (what a loaded file implies): 1 where w ≠ 0. Only tensors that have zeros get one. */
export function masksFromZeros(model: Model, layers: readonly string[] = []): Record<string, Uint8Array> {
  const masks: Record<string, Uint8Array> = {};
  for (const t of weightTensors(model, layers)) {
    const w = model.weights[t.name];
    const m = new Uint8Array(w.length);
    let zeros = 0;
    for (let i = 0; i < w.length; i++) {
      m[i] = w[i] !== 0 ? 1 : 0;
      zeros += 1 - m[i];
    }
    if (zeros > 0) masks[t.name] = m;
  }
  return masks;
}

/** Fraction of zeros per weight tensor and over all of them. */
export function sparsityOf(model: Model): { perTensor: Record<string, number>; overall: number } {
  const perTensor: Record<string, number> = {};
  let zeros = 0;
  let total = 0;
  for (const t of weightTensors(model)) {
    const w = model.weights[t.name];
    let z = 0;
    for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
    perTensor[t.name] = z / w.length;
    zeros += z;
    total += w.length;
  }
  return { perTensor, overall: total ? zeros / total : 0 };
}

// ---------------------------------------------------------------------------
// Gradual pruning (Zhu & Gupta 2017, "To prune, or not to prune")

/** The polynomial-decay schedule: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(n·Δt))^power. */
export interface GradualSchedule {
  initialSparsity: number;
  finalSparsity: number;
  /** First training step that prunes (t0). */
  beginStep: number;
  /** Last step that prunes (t0 + n·Δt); sparsity stays final afterwards. */
  endStep: number;
  /** Prune every `frequency` steps (Δt). */
  frequency: number;
  /** 3 in the paper: prune fast early, when redundancy is high, and slowly near the end. */
  power?: number;
}

/** Target sparsity at training step `step` (initial before beginStep, final after endStep). */
export function polynomialSparsity(step: number, s: GradualSchedule): number {
  if (!(s.endStep > s.beginStep)) throw new Error(`gradual pruning: endStep (${s.endStep}) must be after beginStep (${s.beginStep})`);
  if (step <= s.beginStep) return s.initialSparsity;
  if (step >= s.endStep) return s.finalSparsity;
  const p = s.power ?? 3;
  const progress = (step - s.beginStep) / (s.endStep - s.beginStep);
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * (1 - progress) ** p;
}

/**
 * For a trainer to call once per step: on a pruning step (t0 ≤ t ≤ end, on
 * the Δt grid) returns the model pruned to the schedule's sparsity (masks
 * updated), else null (nothing to do).
 */
export function gradualPruneStep(model: Model, step: number, schedule: GradualSchedule, options: Partial<Omit<Options, 'sparsity'>> = {}): Model | null {
  if (step < schedule.beginStep || step > schedule.endStep) return null;
  if ((step - schedule.beginStep) % Math.max(1, schedule.frequency) !== 0) return null;
  return prune(model, { ...options, sparsity: polynomialSparsity(step, schedule) });
}

// ---------------------------------------------------------------------------
// Structured pruning: whole neurons (dense rows) and conv filters

export const structuredLabel = 'Structured pruning (neurons and filters)';

export interface StructuredOptions {
  /** Fraction of each selected layer's units or filters removed, in [0, 1). */
  amount: number;
  /** Norm of a unit's incoming weights that ranks it. */
  norm: 'l1' | 'l2';
  /** Layers to shrink; empty = every conv2d and dense layer except the last weighted one (the classes). */
  layers: string[];
}

export const structuredDefaultOptions: StructuredOptions = { amount: 0.5, norm: 'l1', layers: [] };

export const structuredSchema: readonly OptionField[] = [
  { name: 'amount', type: 'number', min: 0, max: 0.99, description: 'fraction of neurons / filters removed per layer' },
  { name: 'norm', type: 'enum', values: ['l1', 'l2'], description: 'rank units by the L1 or L2 norm of their weights (Li et al. 2017 use L1)' },
  { name: 'layers', type: 'list', description: 'layers to shrink (default: every conv2d and dense but the output layer)' },
];

/** Copies the entries of `data` (shape `shape`) whose index along `axis` is in `keep` (ascending). */
export function sliceAxis(data: Float32Array, shape: Shape, axis: number, keep: readonly number[]): Float32Array {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const dim = shape[axis];
  const out = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of keep) {
      const start = (a * dim + k) * inner;
      out.set(data.subarray(start, start + inner), o);
      o += inner;
    }
  }
  return out;
}

function sliceMask(mask: Uint8Array, shape: Shape, axis: number, keep: readonly number[]): Uint8Array {
  return Uint8Array.from(sliceAxis(Float32Array.from(mask), shape, axis, keep));
}

/** Slices one tensor (and its mask) along an axis; drops its encoding, which was fitted to the old shape. */
function sliceTensor(model: Model, name: string, shape: Shape, axis: number, keep: readonly number[]): void {
  model.weights[name] = sliceAxis(model.weights[name], shape, axis, keep);
  if (model.masks?.[name]) model.masks[name] = sliceMask(model.masks[name], shape, axis, keep);
  if (model.encodings?.[name]) delete model.encodings[name];
}

/** Units of layer `index` ranked by norm; the indices kept, ascending. */
function keptUnits(w: Float32Array, units: number, norm: 'l1' | 'l2', amount: number): number[] {
  const per = w.length / units;
  const score: number[] = [];
  for (let u = 0; u < units; u++) {
    let s = 0;
    for (let i = u * per; i < (u + 1) * per; i++) s += norm === 'l1' ? Math.abs(w[i]) : w[i] * w[i];
    score.push(s);
  }
  const keepCount = Math.max(1, units - Math.round(amount * units));
  const order = score.map((s, u) => [s, u] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return order
    .slice(0, keepCount)
    .map((e) => e[1])
    .sort((a, b) => a - b);
}

/**
 * Removes the lowest-norm units (dense rows) and filters (conv2d output
 * channels) of each selected layer: the layer's `units`/`filters` shrink,
 * its bias is sliced, and the consumers of those channels are sliced too —
 * a following depthwise conv loses the same channels, a conv2d its input
 * channels, a dense layer after flatten the columns of those channels (NHWC:
 * column (h·W + w)·C + c). Kept units compute exactly what they did. Masks
 * are sliced along; encodings of changed tensors are dropped (quantize after
 * this pass). Layers feeding a softmax cannot shrink.
 */
export function structuredPrune(model: Model, options: Partial<StructuredOptions> = {}): Model {
  const o = { ...structuredDefaultOptions, ...options };
  checkRange('structured pruning: amount', o.amount, 0, 0.99);
  const out = cloneModel(model);
  const all = weightTensors(out).filter((t) => t.layer.kind !== 'depthwiseConv2d');
  const lastWeighted = weightTensors(out).at(-1)?.layer.name;
  const targets = o.layers.length ? weightTensors(out, o.layers).map((t) => t.layer.name) : all.map((t) => t.layer.name).filter((n) => n !== lastWeighted);
  for (const target of targets) {
    const shapes = inferShapes(out.architecture);
    const li = shapes.findIndex((ls) => ls.layer.name === target);
    const layer = shapes[li].layer;
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d')
      throw new Error(`structured pruning: layer '${target}' is ${layer.kind}; only dense and conv2d layers shrink`);
    if (target === lastWeighted) throw new Error(`structured pruning: '${target}' is the output layer; its units are the classes`);
    const wName = `${target}.weight`;
    const wShape = shapes[li].weights[wName];
    const units = wShape[0];
    const keep = keptUnits(out.weights[wName], units, o.norm, o.amount);
    if (keep.length === units) continue;
    sliceTensor(out, wName, wShape, 0, keep);
    if (layer.bias) sliceTensor(out, `${target}.bias`, [units], 0, keep);
    const newLayers: Layer[] = out.architecture.layers.slice();
    newLayers[li] = layer.kind === 'dense' ? { ...layer, units: keep.length } : { ...layer, filters: keep.length };
    // Walk forward to the consumer(s) of the removed channels.
    let channelsKept = keep;
    for (let j = li + 1; j < shapes.length; j++) {
      const next = shapes[j].layer;
      if (next.kind === 'relu' || next.kind === 'activation' || next.kind === 'maxPool2d' || next.kind === 'avgPool2d') continue;
      if (next.kind === 'softmax') throw new Error(`structured pruning: layer '${target}' feeds softmax '${next.name}'; it cannot shrink`);
      if (next.kind === 'depthwiseConv2d') {
        // Input channel k feeds output channels k·M … k·M + M − 1, which go with it.
        const m = depthMultiplier(next);
        channelsKept = channelsKept.flatMap((k) => Array.from({ length: m }, (_, i) => k * m + i));
        const n = `${next.name}.weight`;
        sliceTensor(out, n, shapes[j].weights[n], 2, channelsKept);
        if (next.bias) sliceTensor(out, `${next.name}.bias`, shapes[j].weights[`${next.name}.bias`], 0, channelsKept);
        continue;
      }
      if (next.kind === 'conv2d') {
        const n = `${next.name}.weight`;
        sliceTensor(out, n, shapes[j].weights[n], 3, channelsKept);
        break;
      }
      if (next.kind === 'flatten') {
        const [h, w, c] = shapes[j].input;
        if (shapes[j].input.length === 1) continue; // flatten of a vector changes nothing
        const cols: number[] = [];
        for (let p = 0; p < h * w; p++) for (const k of channelsKept) cols.push(p * c + k);
        channelsKept = cols;
        continue;
      }
      if (next.kind === 'dense') {
        const n = `${next.name}.weight`;
        sliceTensor(out, n, shapes[j].weights[n], 1, channelsKept);
        break;
      }
    }
    out.architecture = { ...out.architecture, layers: newLayers };
  }
  recordStep(out, 'structured', o);
  return out;
}

/** Parameters and FLOPs helpers for reports: count of a model's weights. */
export function parameterCount(model: Model): number {
  return Object.values(model.weights).reduce((a, w) => a + w.length, 0);
}

/** Element count of a shape (re-exported for tests). */
export { sizeOf };
