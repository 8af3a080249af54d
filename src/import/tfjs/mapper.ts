/**
 * The state of one TF.js → lab mapping: the lab layers and weights so far,
 * the activation shape, layers waiting for the next one (a ZeroPadding2D for
 * its conv or pool, a vector BatchNormalization for its Dense), and the
 * checked accessors every handler in map.ts uses.
 */
import type { ActivationFn, ExplicitPadding, Layer, Padding, Preprocess } from '../../model/layers.ts';
import type { Shape } from '../../model/shapes.ts';
import { layerOutputShape, ShapeError } from '../../model/shapes.ts';
import type { ImportedLayer, ImportReport } from '../types.ts';
import { ImportError } from '../types.ts';
import type { SourceLayer } from './topology.ts';
import { field, isObject, show } from './topology.ts';
import { layerLabel, refuse, refuseActivation, refuseOption } from './support.ts';
import type { DecodedWeight } from './weights.ts';

/** The lab side of an import, before it becomes a Model. */
export interface Mapped {
  layers: Layer[];
  weights: Record<string, Float32Array>;
  preprocess?: Preprocess;
  imported: ImportedLayer[];
  dropped: ImportReport['dropped'];
  notes: string[];
  /** Manifest weights the lab model was built from. */
  used: Set<string>;
}

export type Handler = (m: Mapper, l: SourceLayer) => void;

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return s === '' ? 'layer' : s;
}

export const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Keras activations the lab holds: its own layer kinds, or an `activation` layer's function. */
export const ACTIVATIONS: ReadonlyMap<string, 'relu' | 'softmax' | ActivationFn> = new Map([
  ['relu', 'relu'],
  ['softmax', 'softmax'],
  ['relu6', 'relu6'],
  ['sigmoid', 'sigmoid'],
  ['tanh', 'tanh'],
]);

/** The lab layer of a supported activation. */
export function activationOf(name: string, fn: 'relu' | 'softmax' | ActivationFn): Layer {
  return fn === 'relu' || fn === 'softmax' ? { name, kind: fn } : { name, kind: 'activation', fn };
}

export class Mapper {
  readonly out: Mapped = { layers: [], weights: {}, imported: [], dropped: [], notes: [], used: new Set() };
  private readonly names = new Set<string>();
  /** True once a layer other than flatten has been added: a Rescaling after it is not at the input. */
  computed = false;
  /** A ZeroPadding2D waiting for the conv or pool after it, which takes its pads. */
  pendingPad: { layer: SourceLayer; pads: ExplicitPadding } | undefined;
  /** A BatchNormalization on a flat vector waiting for the dense layer after it to fold into. */
  pendingAffine: { layer: SourceLayer; scale: Float64Array; shift: Float64Array } | undefined;
  /**
   * Set while the flat tail is lifted to a [1, 1, K] image (src/import/lift.ts)
   * that the source still sees as a vector: the name of the BatchNormalization
   * that caused it. The lab owes a flatten before anything but an
   * element-wise layer.
   */
  lifted: string | undefined;
  /** The lab input shape the chain starts from. */
  readonly inputShape: Shape;

  constructor(
    private readonly source: Map<string, DecodedWeight>,
    public shape: Shape,
  ) {
    this.inputShape = shape.slice();
  }

  /** Puts back the flatten a lifted tail owes (nothing when not lifted). */
  unlift(): void {
    const bn = this.lifted;
    if (bn === undefined) return;
    this.add({ name: bn, className: 'BatchNormalization', config: {} }, `${bn}_flatten`, (name) => ({ name, kind: 'flatten' }), {}, []);
    this.lifted = undefined;
  }

  // ---- config access ----

  /** A config value that must be a positive integer or a pair of them (Keras accepts both for sizes). */
  pair(l: SourceLayer, key: string, fallback?: [number, number]): [number, number] {
    const v = field(l.config, key);
    if ((v === undefined || v === null) && fallback) return fallback;
    if (isPositiveInt(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && isPositiveInt(v[0]) && isPositiveInt(v[1])) return [v[0], v[1]];
    if (Array.isArray(v) && v.length === 1 && isPositiveInt(v[0])) return [v[0], v[0]];
    throw new ImportError(`${layerLabel(l.name, l.className)}: ${key} must be a positive integer or two, got ${show(v)}`, l.name);
  }

  bool(l: SourceLayer, key: string, fallback: boolean): boolean {
    const v = field(l.config, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new ImportError(`${layerLabel(l.name, l.className)}: ${key} must be true or false, got ${show(v)}`, l.name);
    return v;
  }

  num(l: SourceLayer, key: string, fallback?: number): number {
    const v = field(l.config, key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ImportError(`${layerLabel(l.name, l.className)}: ${key} must be a finite number, got ${show(v)}`, l.name);
    return v;
  }

  channelsLast(l: SourceLayer): void {
    const f = field(l.config, 'data_format');
    if (f === undefined || f === null || f === 'channels_last') return;
    if (f === 'channels_first') refuse(l.name, l.className, 'data_format channels_first is not supported: the lab is channels-last (NHWC)');
    throw new ImportError(`${layerLabel(l.name, l.className)}: data_format must be channels_last, got ${show(f)}`, l.name);
  }

  padding(l: SourceLayer): Padding {
    const p = field(l.config, 'padding') ?? 'valid';
    if (p !== 'valid' && p !== 'same') refuse(l.name, l.className, `padding ${show(p)} is not supported (the lab has 'valid' and 'same')`);
    const pad = this.pendingPad;
    if (!pad) return p;
    // A ZeroPadding2D right before: its zeros are the conv's explicit pads (a 'valid' conv reads nothing else).
    if (p === 'same')
      refuse(pad.layer.name, pad.layer.className, `a ZeroPadding2D before the 'same'-padded '${l.name}' is not supported (only before a 'valid' conv or pool)`);
    this.pendingPad = undefined;
    return pad.pads;
  }

  /** The ZeroPadding2D consumed by the layer just added, named in its `from`. */
  tookPad(pad: { layer: SourceLayer } | undefined): void {
    if (pad) this.out.imported.at(-1)!.from.unshift(pad.layer.name);
  }

  /** The activation name of a layer's `activation` (absent = linear). */
  activation(l: SourceLayer): string {
    const a = field(l.config, 'activation');
    if (a === undefined || a === null) return 'linear';
    if (typeof a === 'string') return a;
    // Keras 3 may serialize a built-in activation as { class_name: 'function', config: 'relu', ... }.
    if (isObject(a) && typeof a.config === 'string') return a.config;
    if (isObject(a) && typeof a.class_name === 'string') return a.class_name;
    throw new ImportError(`${layerLabel(l.name, l.className)}: activation must be a name, got ${show(a)}`, l.name);
  }

  checkDilation(l: SourceLayer): void {
    const d = this.pair(l, 'dilation_rate', [1, 1]);
    if (d[0] !== 1 || d[1] !== 1) refuseOption(l.name, l.className, 'dilation_rate', `dilation_rate ${fmt(d)}`);
    const g = field(l.config, 'groups');
    if (g !== undefined && g !== null && g !== 1) refuseOption(l.name, l.className, 'groups', `groups ${show(g)}`);
  }

  // ---- weights ----

  /** The manifest weight `<layer>/<param>` (or one ending in it), checked against the shape the config implies. */
  weight(l: SourceLayer, param: string, shape: number[]): Float32Array {
    const want = `${l.name}/${param}`;
    const strip = (n: string) => n.replace(/:\d+$/, '');
    let found = this.source.get(want) ?? this.source.get(`${want}:0`);
    if (!found) {
      const hits = [...this.source.values()].filter((w) => strip(w.name).endsWith(`/${want}`));
      if (hits.length > 1)
        throw new ImportError(`${layerLabel(l.name, l.className)}: weights ${hits.map((h) => `'${h.name}'`).join(', ')} all match '${want}'`, want);
      found = hits[0];
    }
    if (!found) throw new ImportError(`${layerLabel(l.name, l.className)}: weight '${want}' is not in the weights manifest`, want);
    if (found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
      throw new ImportError(
        `weight '${found.name}' has shape ${fmt(found.shape)}, but ${layerLabel(l.name, l.className)} on input ${fmt(this.shape)} needs ${fmt(shape)}`,
        found.name,
      );
    }
    this.out.used.add(found.name);
    return found.values;
  }

  // ---- output ----

  private uniqueName(base: string): string {
    let name = sanitize(base);
    for (let k = 2; this.names.has(name); k++) name = `${sanitize(base)}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Appends a lab layer made from `from`; `make` gets the unique lab name. */
  add(l: SourceLayer, base: string, make: (name: string) => Layer, weights: Record<string, Float32Array> = {}, from: string[] = [l.name]): Layer {
    const layer = make(this.uniqueName(base));
    let next: Shape;
    try {
      next = layerOutputShape(layer, this.shape);
    } catch (e) {
      if (e instanceof ShapeError) throw new ImportError(`${layerLabel(l.name, l.className)}: ${e.message}`, l.name);
      throw e;
    }
    if (next.some((d) => !(d > 0)))
      throw new ImportError(`${layerLabel(l.name, l.className)}: output ${fmt(next)} from input ${fmt(this.shape)} is empty`, l.name);
    this.shape = next;
    this.out.layers.push(layer);
    for (const [suffix, t] of Object.entries(weights)) this.out.weights[`${layer.name}.${suffix}`] = t;
    this.out.imported.push({ name: layer.name, kind: layer.kind, from });
    if (layer.kind !== 'flatten') this.computed = true;
    return layer;
  }

  /** The lab layer(s) for a fused `activation` after a weighted layer. */
  fusedActivation(l: SourceLayer, labName: string): void {
    const a = this.activation(l);
    if (a === 'linear') return;
    const fn = ACTIVATIONS.get(a);
    if (fn === undefined) refuseActivation(l.name, l.className, a);
    this.add(l, `${labName}_${a}`, (name) => activationOf(name, fn));
    this.out.notes.push(`${l.className} '${l.name}': its fused ${a} activation became the separate lab layer '${this.out.layers.at(-1)!.name}'.`);
  }

  drop(l: SourceLayer, why: string): void {
    this.out.dropped.push({ name: l.name, op: l.className, why });
  }
}
