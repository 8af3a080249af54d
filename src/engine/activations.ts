/**
 * Per-layer activations of one image under a variant, and the comparison of
 * two variants layer by layer: what the Try-it screen draws as feature maps,
 * bars and difference maps.
 *
 * A float model's activations come from its runtime: the GPU executor's layer
 * readbacks when a reader is given, else the float32 CPU reference. An int8
 * model's come from the CPU integer reference (src/cpu/quantized.ts), which
 * the int8 GPU executor matches bit for bit, dequantized for display.
 *
 * Rows are "stages": a layer with the relu / relu6 / flatten layers that
 * follow it, the grouping the int8 quantizer fuses into one op (so an fp32
 * and an int8 variant of one architecture line up row for row). A stage's
 * values are the output of its last layer; a flatten is drawn in the spatial
 * shape it flattens (NHWC flatten keeps the memory order).
 */
import type { Layer, LayerKind } from '../model/layers.ts';
import { applyPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Int8Model, QuantParams } from '../model/int8.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import { modelForwardAll } from '../cpu/forward.ts';
import { dequantizeInt8, int8ModelForward } from '../cpu/quantized.ts';

/** One stage's output for one image. */
export interface LayerActivation {
  /** The layer whose output this is (the stage's last layer); rows of two variants are matched on it. */
  name: string;
  /** The model layers the stage covers, in order (e.g. ['fc1', 'relu1']); ['input'] for the input row. */
  layers: string[];
  /** Kind of the stage's first layer ('input' for the input row). */
  kind: LayerKind | 'input';
  /** Per-image shape drawn: `[H, W, C]` feature maps or `[N]` units. */
  shape: number[];
  /** Real values (int8: the codes dequantized), NHWC. */
  values: Float32Array;
  min: number;
  max: number;
  /** The index of the most active channel (mean over the map) of a `[H, W, C]` tensor, or unit of an `[N]` one. */
  strongest: number;
  /** int8 tensors: their quantization (one code step is `scale`). */
  quant?: QuantParams;
}

/** What one variant computed for one image. */
export interface VariantActivations {
  precision: 'fp32' | 'int8';
  /** Where the values were computed. */
  on: 'gpu' | 'cpu';
  /** In words, for the screen: which runtime computed the values. */
  computedBy: string;
  /** The input row first, then one per stage; the last is the logits. */
  layers: LayerActivation[];
  /** The predicted class: argmax of the last row. */
  top: number;
}

/** A stage of a float architecture. */
export interface Stage {
  name: string;
  layers: string[];
  kind: LayerKind;
  /** Shape drawn (the spatial shape before a flatten). */
  shape: Shape;
}

/** Layers that join the stage before them: the int8 quantizer fuses exactly these into their producer. */
function joinsPrevious(layer: Layer): boolean {
  return layer.kind === 'relu' || layer.kind === 'flatten' || (layer.kind === 'activation' && layer.fn === 'relu6');
}

/**
 * The stages of a float architecture. Leading relu/flatten layers (before
 * any producer) form a stage of their own only when they change values (a
 * leading flatten is the input again).
 */
export function floatStages(model: Pick<Model, 'architecture'>): Stage[] {
  const shapes = inferShapes(model.architecture);
  const stages: Stage[] = [];
  let cur: Stage | undefined;
  for (const ls of shapes) {
    const drawn = ls.layer.kind === 'flatten' ? ls.input : ls.output;
    if (joinsPrevious(ls.layer) && (cur || ls.layer.kind === 'flatten')) {
      // Joins the stage before it; a leading flatten (no stage yet) is the input again.
      if (cur) {
        cur.layers.push(ls.layer.name);
        cur.name = ls.layer.name;
        if (ls.layer.kind !== 'flatten') cur.shape = drawn.slice();
      }
      continue;
    }
    cur = { name: ls.layer.name, layers: [ls.layer.name], kind: ls.layer.kind, shape: drawn.slice() };
    stages.push(cur);
  }
  return stages;
}

function rangeOf(v: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return v.length ? { min, max } : { min: 0, max: 0 };
}

/** Most active channel (largest mean over H×W) of `[H, W, C]`, or argmax of `[N]`; the lowest index on ties. */
export function strongestIndex(values: Float32Array, shape: readonly number[]): number {
  const c = shape.length === 3 ? shape[2] : values.length;
  const sums = new Float64Array(c);
  for (let i = 0; i < values.length; i++) sums[i % c] += values[i];
  let best = 0;
  for (let k = 1; k < c; k++) if (sums[k] > sums[best]) best = k;
  return best;
}

function activation(
  name: string,
  layers: string[],
  kind: LayerActivation['kind'],
  shape: readonly number[],
  values: Float32Array,
  quant?: QuantParams,
): LayerActivation {
  if (values.length !== sizeOf(shape as Shape)) {
    throw new Error(`activations: layer '${name}' has ${values.length} values, its shape [${shape.join(', ')}] needs ${sizeOf(shape as Shape)}`);
  }
  return { name, layers, kind, shape: shape.slice(), values, ...rangeOf(values), strongest: strongestIndex(values, shape), ...(quant ? { quant } : {}) };
}

function checkImage(shape: readonly number[], x: Float32Array, who: string): void {
  if (x.length !== sizeOf(shape as Shape))
    throw new Error(`${who}: the image has ${x.length} values, one [${shape.join(', ')}] input needs ${sizeOf(shape as Shape)}`);
}

/** Reads one layer's output for the image (batch 1), e.g. a GPU executor's layer readback. */
export type LayerReader = (layer: string) => Promise<Float32Array>;

/**
 * A float model's activations for one image `x` (NHWC floats in [0, 1]).
 * With `read`, each stage's values come from it (one call per stage, in
 * order; `onLayer` follows them); without, from one CPU reference pass.
 */
export async function floatActivations(
  model: Model,
  x: Float32Array,
  options: { read?: LayerReader; computedBy?: string; onLayer?: (done: number, total: number, layer: string) => Promise<void> | void } = {},
): Promise<VariantActivations> {
  const arch = model.architecture;
  checkImage(arch.inputShape, x, `activations of '${arch.name}'`);
  const stages = floatStages(model);
  const rows: LayerActivation[] = [activation('input', ['input'], 'input', arch.inputShape, applyPreprocess(arch.preprocess, x))];
  if (options.read) {
    for (const [k, s] of stages.entries()) {
      await options.onLayer?.(k, stages.length, s.name);
      rows.push(activation(s.name, s.layers, s.kind, s.shape, await options.read(s.name)));
    }
    await options.onLayer?.(stages.length, stages.length, '');
  } else {
    const outs = modelForwardAll(model, x, 1);
    const index = new Map(arch.layers.map((l, i) => [l.name, i]));
    for (const s of stages) rows.push(activation(s.name, s.layers, s.kind, s.shape, outs[index.get(s.name)!]));
  }
  const last = rows[rows.length - 1];
  return {
    precision: 'fp32',
    on: options.read ? 'gpu' : 'cpu',
    computedBy: options.computedBy ?? (options.read ? 'GPU float executor (layer readbacks)' : 'CPU float32 reference'),
    layers: rows,
    top: strongestIndex(last.values, [last.values.length]),
  };
}

/**
 * An int8 model's activations for one image: the CPU integer reference's
 * codes of every op (bit-exact with the int8 GPU executor), dequantized with
 * each tensor's scale and zero point; the input row is the quantized input.
 */
export function int8Activations(
  model: Int8Model,
  x: Float32Array,
  computedBy = 'CPU integer reference (bit-exact with the int8 GPU executor), dequantized',
): VariantActivations {
  const arch = model.architecture;
  checkImage(arch.inputShape, x, `activations of int8 '${arch.name}'`);
  const { tensors } = int8ModelForward(model, x, 1);
  const rows: LayerActivation[] = [activation('input', ['input'], 'input', arch.inputShape, dequantizeInt8(tensors[0], model.input), model.input)];
  model.ops.forEach((op, k) => {
    const quant = 'quant' in op ? op.quant : op.output;
    const name = op.layers[op.layers.length - 1];
    rows.push(activation(name, op.layers.slice(), op.layer.kind, op.outShape, dequantizeInt8(tensors[k + 1], quant), quant));
  });
  const last = rows[rows.length - 1];
  return { precision: 'int8', on: 'cpu', computedBy, layers: rows, top: strongestIndex(last.values, [last.values.length]) };
}

/** B − A of one row, where both variants have the layer in the same shape. */
export interface ActivationDiff {
  /** b − a, elementwise. */
  values: Float32Array;
  /** max |b − a|. */
  maxAbs: number;
  /** ‖b − a‖₂ / ‖a‖₂ (0 when both are 0; Infinity when only a is 0). */
  relError: number;
  /** Whether the most active channel/unit (the predicted class on the last row) is the same. */
  topAgrees: boolean;
  /** max |b − a| in quantization steps of the int8 side (B's when both are): how many codes the error spans. */
  maxSteps?: number;
  /**
   * The magnitude a difference map saturates at: max |b − a|, but at least
   * one quantization step of the int8 side, or a millionth of the row's
   * range between two float variants — so float32 rounding noise (an exact
   * input dequantized, say) draws as no difference rather than full colour.
   */
  span: number;
}

/** One row of the comparison: the layer under A and under B (either may lack it), and their difference. */
export interface ActivationRow {
  name: string;
  a?: LayerActivation;
  b?: LayerActivation;
  /** Common value range of the row's maps, widened to include 0 (so both variants are drawn on one scale). */
  range: { lo: number; hi: number };
  diff?: ActivationDiff;
  /** Why there is no difference map, when there is none and both are present. */
  note?: string;
}

/** Elementwise b − a with its max |·|, relative error and top agreement; throws when the sizes differ. */
export function differenceOf(a: LayerActivation, b: LayerActivation): ActivationDiff {
  if (a.values.length !== b.values.length) throw new Error(`activations: layer '${a.name}' has ${a.values.length} values in A and ${b.values.length} in B`);
  const values = new Float32Array(a.values.length);
  let maxAbs = 0;
  let d2 = 0;
  let a2 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = b.values[i] - a.values[i];
    values[i] = d;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    d2 += d * d;
    a2 += a.values[i] * a.values[i];
  }
  const relError = a2 > 0 ? Math.sqrt(d2 / a2) : d2 > 0 ? Infinity : 0;
  return { values, maxAbs, relError, topAgrees: a.strongest === b.strongest, span: maxAbs };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Rows of A and B side by side, in A's order with B's other rows after the
 * last row they follow; a difference where both have the layer in the same
 * shape (a structurally pruned or different architecture may not).
 */
export function compareActivations(a: VariantActivations, b?: VariantActivations): ActivationRow[] {
  const order: string[] = a.layers.map((l) => l.name);
  if (b) {
    let at = 0;
    for (const l of b.layers) {
      const k = order.indexOf(l.name);
      if (k >= 0) at = k + 1;
      else order.splice(at++, 0, l.name);
    }
  }
  return order.map((name) => {
    const la = a.layers.find((l) => l.name === name);
    const lb = b?.layers.find((l) => l.name === name);
    const lo = Math.min(0, la?.min ?? 0, lb?.min ?? 0);
    const hi = Math.max(0, la?.max ?? 0, lb?.max ?? 0);
    const row: ActivationRow = { name, ...(la ? { a: la } : {}), ...(lb ? { b: lb } : {}), range: { lo, hi } };
    if (la && lb) {
      if (sameShape(la.shape, lb.shape)) {
        const d = differenceOf(la, lb);
        const q = lb.quant ?? la.quant;
        if (q) d.maxSteps = d.maxAbs / q.scale;
        d.span = Math.max(d.maxAbs, q ? q.scale : 1e-6 * (hi - lo));
        row.diff = d;
      } else row.note = `shapes differ: [${la.shape.join(', ')}] and [${lb.shape.join(', ')}]`;
    }
    return row;
  });
}
