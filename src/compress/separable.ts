/**
 * Separable conversion: each conv2d with a kernel larger than 1×1 becomes a
 * depthwise conv (one kH×kW filter per input channel, same stride and
 * padding) followed by a pointwise 1×1 conv (outC filters, the original
 * bias), which cuts MACs from outC·kH·kW·inC to (kH·kW + outC)·inC per
 * output pixel.
 *
 * Initialisation from the trained conv: for each input channel c, the slice
 * M_c = W[:, :, :, c] reshaped to [outC, kH·kW] is replaced by its best
 * rank-1 approximation σ·u·vᵀ (Eckart–Young; the leading singular pair,
 * found by power iteration on M_cᵀM_c): the depthwise filter of channel c is
 * σ·v, the pointwise weights from channel c are u. Exact when every slice is
 * rank 1 (a truly separable conv); otherwise fine-tune afterwards.
 */
import type { Conv2dLayer, DepthwiseConv2dLayer, Layer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { inferShapes } from '../model/shapes.ts';
import { accountModel } from '../model/accounting.ts';
import type { OptionField } from './common.ts';
import { cloneModel, recordStep } from './common.ts';

export const label = 'Separable convolution (depthwise + pointwise)';

export interface Options {
  /** conv2d layer names to convert; empty = every conv2d with a kernel larger than 1×1. */
  layers: string[];
  /** Power-iteration steps per channel. */
  iterations: number;
}

export const defaultOptions: Options = { layers: [], iterations: 100 };

export const schema: readonly OptionField[] = [
  { name: 'layers', type: 'list', description: 'conv2d layers to convert (default: all with k > 1)' },
  { name: 'iterations', type: 'integer', min: 1, max: 10000, description: 'power-iteration steps of the rank-1 fit' },
];

/**
 * Best rank-1 approximation of an m×n row-major matrix: σ ≥ 0, unit u (m)
 * and unit v (n) with A ≈ σ·u·vᵀ. Power iteration on AᵀA from a start that
 * is not orthogonal to the top singular vector of any non-zero A (the
 * column of largest norm), in float64. The sign is fixed so that v's
 * largest-magnitude entry is positive (deterministic output).
 */
export function rank1(a: ArrayLike<number>, m: number, n: number, iterations = 100): { sigma: number; u: Float64Array; v: Float64Array } {
  const ata = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += a[r * n + i] * a[r * n + j];
      ata[i * n + j] = s;
    }
  let v = new Float64Array(n);
  let best = 0;
  for (let j = 0; j < n; j++) if (ata[j * n + j] > ata[best * n + best]) best = j;
  // Start from AᵀA's column of the largest diagonal entry: never orthogonal to the top eigenvector unless A = 0.
  for (let i = 0; i < n; i++) v[i] = ata[i * n + best];
  let norm = Math.hypot(...v);
  if (norm === 0) return { sigma: 0, u: new Float64Array(m), v: Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)) };
  v = v.map((x) => x / norm);
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += ata[i * n + j] * v[j];
      w[i] = s;
    }
    norm = Math.hypot(...w);
    if (norm === 0) break;
    v = w.map((x) => x / norm);
  }
  let big = 0;
  for (let i = 1; i < n; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
  if (v[big] < 0) v = v.map((x) => -x);
  const av = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[r * n + j] * v[j];
    av[r] = s;
  }
  const sigma = Math.hypot(...av);
  const u = sigma > 0 ? av.map((x) => x / sigma) : new Float64Array(m);
  return { sigma, u, v };
}

/** Replaces conv2d layers by depthwise + pointwise pairs initialised by per-channel rank-1 fits. */
export function separable(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  const out = cloneModel(model);
  const shapes = inferShapes(out.architecture);
  const layers: Layer[] = [];
  for (const ls of shapes) {
    const l = ls.layer;
    const pick = l.kind === 'conv2d' && (o.layers.length ? o.layers.includes(l.name) : l.kernel[0] * l.kernel[1] > 1);
    if (!pick || l.kind !== 'conv2d') {
      if (o.layers.includes(l.name) && l.kind !== 'conv2d') throw new Error(`separable: layer '${l.name}' is ${l.kind}, not conv2d`);
      layers.push(l);
      continue;
    }
    const [kh, kw] = l.kernel;
    const inC = ls.input[2];
    const outC = l.filters;
    const taps = kh * kw;
    const w = out.weights[`${l.name}.weight`]; // [outC, kh, kw, inC]
    const dw = new Float32Array(taps * inC); // [kh, kw, C]
    const pw = new Float32Array(outC * inC); // [outC, 1, 1, inC]
    const slice = new Float64Array(outC * taps);
    for (let c = 0; c < inC; c++) {
      for (let f = 0; f < outC; f++) for (let t = 0; t < taps; t++) slice[f * taps + t] = w[(f * taps + t) * inC + c];
      const { sigma, u, v } = rank1(slice, outC, taps, o.iterations);
      for (let t = 0; t < taps; t++) dw[t * inC + c] = sigma * v[t];
      for (let f = 0; f < outC; f++) pw[f * inC + c] = u[f];
    }
    const dwName = `${l.name}_dw`;
    const pwName = `${l.name}_pw`;
    const dwLayer: DepthwiseConv2dLayer = { kind: 'depthwiseConv2d', name: dwName, kernel: [kh, kw], stride: l.stride, padding: l.padding, bias: false };
    const pwLayer: Conv2dLayer = { kind: 'conv2d', name: pwName, filters: outC, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: l.bias };
    layers.push(dwLayer, pwLayer);
    delete out.weights[`${l.name}.weight`];
    out.weights[`${dwName}.weight`] = dw;
    out.weights[`${pwName}.weight`] = pw;
    if (l.bias) {
      out.weights[`${pwName}.bias`] = out.weights[`${l.name}.bias`];
      delete out.weights[`${l.name}.bias`];
    }
    for (const suffix of ['weight', 'bias']) {
      delete out.encodings?.[`${l.name}.${suffix}`];
      delete out.masks?.[`${l.name}.${suffix}`];
    }
  }
  out.architecture = { ...out.architecture, layers };
  recordStep(out, 'separable', o);
  return out;
}

/** FLOPs and parameters before and after, for reports. */
export function flopsSaved(before: Model, after: Model): { flopsBefore: number; flopsAfter: number; paramsBefore: number; paramsAfter: number } {
  const a = accountModel(before.architecture).total;
  const b = accountModel(after.architecture).total;
  return { flopsBefore: a.flops, flopsAfter: b.flops, paramsBefore: a.params, paramsAfter: b.params };
}
