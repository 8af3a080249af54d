/**
 * Downsampling early in the network (the article: "using max or average
 * pooling we reduce the number of parameters"): insert a pooling layer
 * after a chosen layer, or raise a conv's stride, so every later layer
 * works on a smaller grid. Conv weights carry over unchanged (a kernel
 * slides on any grid); the first dense layer after flatten sees fewer
 * positions, so its weights are carried over by summing, for each new
 * position, the columns of the old positions that fall into it — on an
 * input that is smooth over a pooling window, Σ_old w·x ≈ (Σ w)·x̄. Then
 * fine-tune.
 */
import type { Layer, Pool2dLayer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { inferShapes } from '../model/shapes.ts';
import type { OptionField } from './common.ts';
import { checkInt, cloneModel, recordStep } from './common.ts';

export const label = 'Downsampling (pooling or stride)';

export interface Options {
  /** 'pool': insert a pooling layer after `after`; 'stride': multiply the stride of conv `after` by `factor`. */
  mode: 'pool' | 'stride';
  /** Layer name; empty = the first conv2d/depthwise layer. */
  after: string;
  /** Pooling window and stride (pool), or stride multiplier (stride). */
  factor: number;
  pool: 'max' | 'avg';
}

export const defaultOptions: Options = { mode: 'pool', after: '', factor: 2, pool: 'avg' };

export const schema: readonly OptionField[] = [
  { name: 'mode', type: 'enum', values: ['pool', 'stride'], description: 'insert a pooling layer, or raise a conv stride' },
  { name: 'after', type: 'string', description: 'layer to pool after / conv to stride (default: the first conv)' },
  { name: 'factor', type: 'integer', min: 2, max: 8, description: 'pooling window and stride, or stride multiplier' },
  { name: 'pool', type: 'enum', values: ['max', 'avg'], description: 'pooling kind' },
];

/** Applies the architecture change and carries the weights over (see the module comment). */
export function downsample(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  checkInt('downsample: factor', o.factor, 2, 8);
  const out = cloneModel(model);
  const before = inferShapes(out.architecture);
  const idx = o.after
    ? before.findIndex((ls) => ls.layer.name === o.after)
    : before.findIndex((ls) => ls.layer.kind === 'conv2d' || ls.layer.kind === 'depthwiseConv2d');
  if (idx < 0) throw new Error(o.after ? `downsample: model has no layer '${o.after}'` : 'downsample: model has no conv layer');
  const target = before[idx].layer;
  const layers: Layer[] = out.architecture.layers.slice();
  if (o.mode === 'pool') {
    const taken = new Set(layers.map((l) => l.name));
    let name = `${target.name}_down`;
    for (let i = 2; taken.has(name); i++) name = `${target.name}_down${i}`;
    const pool: Pool2dLayer = { kind: o.pool === 'max' ? 'maxPool2d' : 'avgPool2d', name, window: [o.factor, o.factor], stride: [o.factor, o.factor] };
    layers.splice(idx + 1, 0, pool);
  } else {
    if (target.kind !== 'conv2d' && target.kind !== 'depthwiseConv2d')
      throw new Error(`downsample: stride mode needs a conv layer, '${target.name}' is ${target.kind}`);
    layers[idx] = { ...target, stride: [target.stride[0] * o.factor, target.stride[1] * o.factor] };
  }
  out.architecture = { ...out.architecture, layers };
  const after = inferShapes(out.architecture); // throws ShapeError naming the layer if the grid got too small
  // Carry over the first dense layer after a flatten of a spatial map.
  const fi = before.findIndex((ls) => ls.layer.kind === 'flatten' && ls.input.length === 3);
  if (fi >= 0) {
    const fName = before[fi].layer.name;
    const [H, W, C] = before[fi].input;
    const newFlatten = after.find((ls) => ls.layer.name === fName)!;
    const [H2, W2] = newFlatten.input;
    const di = before.findIndex((ls, i) => i > fi && ls.layer.kind === 'dense');
    if (di >= 0 && (H2 !== H || W2 !== W)) {
      const dense = before[di].layer;
      const units = (dense as { units: number }).units;
      const wName = `${dense.name}.weight`;
      const old = out.weights[wName];
      const inOld = H * W * C;
      const inNew = H2 * W2 * C;
      const nw = new Float32Array(units * inNew);
      for (let u = 0; u < units; u++) {
        for (let h = 0; h < H; h++) {
          const h2 = Math.min(H2 - 1, Math.floor((h * H2) / H));
          for (let w = 0; w < W; w++) {
            const w2 = Math.min(W2 - 1, Math.floor((w * W2) / W));
            for (let c = 0; c < C; c++) nw[u * inNew + (h2 * W2 + w2) * C + c] += old[u * inOld + (h * W + w) * C + c];
          }
        }
      }
      out.weights[wName] = nw;
      delete out.encodings?.[wName];
      delete out.masks?.[wName];
    }
  }
  recordStep(out, 'downsample', o);
  return out;
}
