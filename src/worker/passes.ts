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
import type { PassInfo } from './types.ts';

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
