/**
 * What every compression pass shares: copying a model without touching the
 * input, picking the tensors a pass works on, and the option schema the UI
 * builds its controls from.
 */
import type { Layer } from '../model/layers.ts';
import { hasWeights } from '../model/layers.ts';
import type { Model, TensorEncoding } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes } from '../model/shapes.ts';

/** One option of a pass, for generated UI controls and the CLI syntax's help. */
export interface OptionField {
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'list';
  /** Inclusive bounds of a number/integer. */
  min?: number;
  max?: number;
  /** Choices of an enum. */
  values?: readonly string[];
  description: string;
}

/** A pass as the pipeline and the UI see it. */
export interface PassInfo<O> {
  /** Name in the pipeline syntax, e.g. `prune`. */
  name: string;
  label: string;
  defaultOptions: O;
  schema: readonly OptionField[];
}

/**
 * A copy of the model that shares no mutable state with it: weights, masks
 * and encodings are copied, the architecture deep-copied. Passes start here
 * so that their input is never modified.
 */
export function cloneModel(model: Model): Model {
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(model.weights)) weights[k] = v.slice();
  const out: Model = { architecture: structuredClone(model.architecture), weights };
  if (model.encodings) out.encodings = structuredClone(model.encodings);
  if (model.masks) {
    out.masks = {};
    for (const [k, v] of Object.entries(model.masks)) out.masks[k] = v.slice();
  }
  if (model.provenance) out.provenance = structuredClone(model.provenance);
  return out;
}

/** A weight tensor of a weighted layer. */
export interface WeightTensor {
  /** `${layer}.weight` */
  name: string;
  layer: Layer & { kind: 'conv2d' | 'depthwiseConv2d' | 'dense' };
  shape: Shape;
  /** Index of the layer in the architecture. */
  index: number;
}

/**
 * The `.weight` tensors of a model's conv, depthwise and dense layers, in
 * layer order, restricted to `layers` when it is non-empty. Biases are left
 * to every pass (they are < 1 % of the parameters and sensitive, as Deep
 * Compression and TFLite keep them). Throws naming an unknown layer.
 */
export function weightTensors(model: Model, layers: readonly string[] = []): WeightTensor[] {
  const all: WeightTensor[] = [];
  inferShapes(model.architecture).forEach((ls, index) => {
    if (hasWeights(ls.layer)) all.push({ name: `${ls.layer.name}.weight`, layer: ls.layer, shape: ls.weights[`${ls.layer.name}.weight`], index });
  });
  if (layers.length === 0) return all;
  for (const l of layers) {
    if (!all.some((t) => t.layer.name === l)) {
      throw new Error(`model '${model.architecture.name}' has no weighted layer '${l}' (weighted layers: ${all.map((t) => t.layer.name).join(', ')})`);
    }
  }
  return all.filter((t) => layers.includes(t.layer.name));
}

/** Axis of a tensor that indexes output channels: 0 for conv/dense `[out, …]`, 2 for depthwise `[kH, kW, C·M]`. */
export function channelAxis(t: WeightTensor): number {
  return t.layer.kind === 'depthwiseConv2d' ? 2 : 0;
}

/** Sets an encoding, creating the record when needed. */
export function setEncoding(model: Model, name: string, enc: TensorEncoding): void {
  (model.encodings ??= {})[name] = enc;
}

/** Appends a step to the model's provenance.pipeline list (a record of how it was made). */
export function recordStep(model: Model, step: string, options: unknown): void {
  const prov = (model.provenance ??= {});
  const list = Array.isArray(prov.pipeline) ? prov.pipeline.slice() : [];
  list.push({ step, options });
  prov.pipeline = list;
  prov.source = 'compressed';
}

/** Throws a clear error when `v` is not a number within [lo, hi]. */
export function checkRange(what: string, v: number, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new Error(`${what} must be a number from ${lo} to ${hi}, got ${String(v)}`);
}

/** Throws when `v` is not an integer within [lo, hi]. */
export function checkInt(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
}
