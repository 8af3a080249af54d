/**
 * The compression passes the Compress screen offers, as metadata (label,
 * options schema, defaults) plus how the worker applies each one. The math is
 * in src/compress; this file only adapts each pass's `{label, Options,
 * defaultOptions}` to form fields and to the worker's data (e.g. int8
 * calibration images come from the training split).
 */
import type { Model, TensorEncoding } from '../model/model.ts';
import type { Int8Model } from '../model/int8.ts';
import * as int8 from '../compress/int8.ts';
import type { Runtime } from '../store/store.ts';
import type { DatasetName } from '../data/dataset.ts';
import { calibrationImages } from './session.ts';
import type { OptionField, PassInfo } from './types.ts';

/** A field of a pass's options schema, as src/compress/common.ts declares it. */
interface SchemaField {
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'list';
  min?: number;
  max?: number;
  values?: readonly string[];
  description: string;
}

type PureFn = (model: Model, options: Record<string, unknown>) => Model;

/**
 * The pure weight passes, `(model, options) -> model`, found by module file
 * and export names. Loaded through a glob so a pass still being written is
 * simply not offered until its module exists; each one's label, defaults and
 * schema come from the module itself.
 */
const PURE_PASSES: { id: string; file: string; prefix: string; fn: string; description: string }[] = [
  { id: 'prune', file: 'prune', prefix: '', fn: 'prune', description: 'Set the smallest-magnitude weights to zero (Han et al. 2015). Sizes shrink once stored sparse; accuracy needs fine-tuning at high sparsity.' },
  { id: 'prune-structured', file: 'prune', prefix: 'structured', fn: 'structuredPrune', description: 'Remove whole neurons and filters by norm: the layers really shrink, so FLOPs and time drop.' },
  { id: 'quantize', file: 'quantize', prefix: '', fn: 'quantize', description: 'Store weights with fewer bits (linear, ternary, binary); runs as float with the rounded values.' },
  { id: 'kmeans', file: 'kmeans', prefix: '', fn: 'kmeans', description: 'Share weights through a k-means codebook (Deep Compression).' },
  { id: 'hashing', file: 'hashing', prefix: '', fn: 'hashWeights', description: 'HashedNets: weights share values chosen by a hash.' },
  { id: 'sparse', file: 'sparse', prefix: '', fn: 'sparsify', description: 'Store pruned tensors as relative-index sparse data.' },
  { id: 'huffman', file: 'huffman', prefix: '', fn: 'huffman', description: 'Huffman-code the stored symbols (Deep Compression’s last step).' },
  { id: 'separable', file: 'separable', prefix: '', fn: 'separable', description: 'Replace convolutions by depthwise + pointwise pairs (rank-1 approximation).' },
  { id: 'downsample', file: 'downsample', prefix: '', fn: 'downsample', description: 'Downsample early (pooling or stride): fewer FLOPs in later layers.' },
];

// Literal paths (a glob each): only these modules are bundled, and an absent one is no error.
const compressModules = import.meta.glob<Record<string, unknown>>(
  ['../compress/prune.ts', '../compress/quantize.ts', '../compress/kmeans.ts', '../compress/hashing.ts', '../compress/sparse.ts', '../compress/huffman.ts', '../compress/separable.ts', '../compress/downsample.ts'],
  { eager: true },
);

function fieldOf(f: SchemaField): OptionField {
  const base = { key: f.name, label: f.name, help: f.description };
  switch (f.type) {
    case 'number':
    case 'integer':
      return { ...base, kind: 'number', min: f.min, max: f.max, step: f.type === 'integer' ? 1 : undefined };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'enum':
      return { ...base, kind: 'select', choices: (f.values ?? []).map((v) => ({ value: v, label: v })) };
    case 'list':
      return { ...base, kind: 'text', help: `${f.description} (comma-separated; empty = all)` };
    default:
      return { ...base, kind: 'text' };
  }
}

function defaultsOf(defaults: Record<string, unknown>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(', ');
  }
  return out;
}

/** Form values back to the pass's option types (lists from comma-separated text). */
function optionsFor(schema: readonly SchemaField[], values: Record<string, number | string | boolean>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema) {
    const v = values[f.name];
    if (v === undefined) continue;
    if (f.type === 'list') out[f.name] = String(v).split(',').map((x) => x.trim()).filter(Boolean);
    else if (f.type === 'number' || f.type === 'integer') out[f.name] = Number(v);
    else out[f.name] = v;
  }
  return out;
}

function purePasses(): PassImpl[] {
  const out: PassImpl[] = [];
  for (const p of PURE_PASSES) {
    const mod = compressModules[`../compress/${p.file}.ts`];
    if (!mod) continue;
    const key = (name: string) => (p.prefix ? `${p.prefix}${name[0].toUpperCase()}${name.slice(1)}` : name);
    const label = mod[key('label')];
    const defaults = mod[key('defaultOptions')];
    const schema = mod[key('schema')] as readonly SchemaField[] | undefined;
    const fn = mod[p.fn] as PureFn | undefined;
    if (typeof label !== 'string' || typeof fn !== 'function' || !defaults || !Array.isArray(schema)) continue;
    out.push({
      id: p.id,
      label,
      description: p.description,
      fields: schema.map(fieldOf),
      defaults: defaultsOf(defaults as Record<string, unknown>),
      async apply(input, options) {
        if (input.runtime === 'int8') throw new Error(`${label} cannot follow int8: put int8 last in the pipeline`);
        const model = fn(input.model, optionsFor(schema, options));
        if (!model || typeof model !== 'object' || !model.architecture || !model.weights) throw new Error(`${label} returned no model`);
        return { model, runtime: input.runtime, runtimeOptions: input.runtimeOptions };
      },
    });
  }
  return out;
}

/** What a pass produced. */
export interface PassOutput {
  model: Model;
  runtime: Runtime;
  runtimeOptions?: Record<string, unknown>;
  int8?: Int8Model;
}

/** Context a pass may use: which dataset the model was trained on. */
export interface PassContext {
  dataset: DatasetName;
  signal: AbortSignal;
}

interface PassImpl extends PassInfo {
  apply(input: PassOutput, options: Record<string, number | string | boolean>, ctx: PassContext): Promise<PassOutput>;
}

/**
 * The model the int8 executor really runs, as a float Model whose weight
 * tensors carry their int8 per-channel encoding: decoded values are exactly
 * scale · q, so the stored file, the size accounting and the GPU agree.
 */
function modelOfInt8(source: Model, q: Int8Model): Model {
  const weights: Record<string, Float32Array> = { ...source.weights };
  const encodings: Record<string, TensorEncoding> = { ...(source.encodings ?? {}) };
  for (const op of q.ops) {
    if (!('weight' in op)) continue;
    const name = `${op.layer.name}.weight`;
    const axis = op.kind === 'depthwiseConv2d' ? 2 : 0;
    const channels = op.weightScale.length;
    const src = source.weights[name];
    const inner = op.kind === 'depthwiseConv2d' ? 1 : src.length / channels;
    const out = new Float32Array(src.length);
    for (let i = 0; i < out.length; i++) {
      const c = op.kind === 'depthwiseConv2d' ? i % channels : Math.floor(i / inner);
      out[i] = op.weight[i] * op.weightScale[c];
    }
    weights[name] = out;
    encodings[name] = { kind: 'linear', bits: 8, signed: true, axis, scale: Array.from(op.weightScale), zeroPoint: new Array(channels).fill(0) };
  }
  return { architecture: source.architecture, weights, encodings, provenance: { ...source.provenance } };
}

const PASSES: PassImpl[] = [
  ...purePasses(),
  {
    id: 'int8',
    label: int8.label,
    description:
      'Post-training quantization (Jacob et al. 2018): int8 per-channel weights, int8 activations calibrated on training images, integer-only GPU kernels. Put it last: it changes how the model runs.',
    fields: [
      {
        key: 'method',
        label: 'Calibration',
        kind: 'select',
        choices: [
          { value: 'minmax', label: 'min/max of activations' },
          { value: 'percentile', label: 'percentile (clip outliers)' },
        ],
      },
      { key: 'percentile', label: 'Percentile', kind: 'number', min: 90, max: 100, step: 0.01, help: 'Only for percentile calibration.' },
      { key: 'calibrationImages', label: 'Calibration images', kind: 'number', min: 16, max: 2048, step: 16, help: 'First N training images.' },
    ],
    defaults: { method: int8.defaultOptions.method, percentile: int8.defaultOptions.percentile ?? 99.99, calibrationImages: 256 },
    async apply(input, options, ctx) {
      if (input.runtime === 'int8') throw new Error('the model is already int8; int8 can appear once, at the end of a pipeline');
      const count = Number(options.calibrationImages);
      const cal = await calibrationImages(ctx.dataset, count);
      const method = options.method === 'percentile' ? 'percentile' : 'minmax';
      const percentile = Number(options.percentile);
      const q = int8.quantizeInt8Model(input.model, { calibration: cal.images, batch: cal.count, method, percentile });
      return {
        model: modelOfInt8(input.model, q),
        runtime: 'int8',
        runtimeOptions: { method, percentile, calibrationImages: cal.count, dataset: ctx.dataset },
        int8: q,
      };
    },
  },
];

/** Metadata of every pass, for the pipeline builder. */
export function passInfos(): PassInfo[] {
  return PASSES.map(({ id, label, description, fields, defaults }) => ({ id, label, description, fields, defaults }));
}

/** The pass `id`; throws naming the known ones. */
export function passById(id: string): PassImpl {
  const p = PASSES.find((x) => x.id === id);
  if (!p) throw new Error(`unknown compression pass '${id}'; known: ${PASSES.map((x) => x.id).join(', ')}`);
  return p;
}
