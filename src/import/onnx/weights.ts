/**
 * Weight layout conversions from ONNX (NCHW, OIHW) to the lab (NHWC, OHWI),
 * the flatten reorder of a dense layer's columns, and BatchNormalization
 * folding. Pure arithmetic on float arrays.
 */

/** Conv weight `[O, I, kH, kW]` → lab `[O, kH, kW, I]`. */
export function convWeightToLab(w: Float64Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(o * kh * kw * i);
  for (let a = 0; a < o; a++)
    for (let c = 0; c < i; c++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((a * kh + y) * kw + x) * i + c] = w[((a * i + c) * kh + y) * kw + x];
  return out;
}

/** Depthwise weight `[C·M, 1, kH, kW]` → lab `[kH, kW, C·M]` (`c` = C·M output channels). */
export function depthwiseWeightToLab(w: Float64Array, c: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(kh * kw * c);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * c + ch] = w[(ch * kh + y) * kw + x];
  return out;
}

/**
 * Dense weight `[M, K]` whose columns index a flattened `C×H×W` tensor in
 * ONNX's (c, h, w) order → the lab's (h, w, c) order, so the same image gives
 * the same outputs.
 */
export function reorderChwColumns(w: Float32Array, m: number, [c, h, wd]: [number, number, number]): Float32Array {
  const k = c * h * wd;
  const out = new Float32Array(m * k);
  for (let r = 0; r < m; r++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) out[r * k + (y * wd + x) * c + ch] = w[r * k + (ch * h + y) * wd + x];
  return out;
}

/** Output channel of weight index `i` in the lab's layout of each weighted kind. */
export function channelOf(kind: 'conv2d' | 'depthwiseConv2d' | 'dense', weightLength: number, channels: number): (i: number) => number {
  const per = weightLength / channels;
  return kind === 'depthwiseConv2d' ? (i) => i % channels : (i) => Math.floor(i / per);
}

/** Batch-norm statistics of one BatchNormalization node (one value per channel). */
export interface BatchNormStats {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  epsilon: number;
}

/**
 * Folds y = γ (x − μ) / √(σ² + ε) + β into the layer before it:
 * w' = w · γ/√(σ²+ε), b' = (b − μ) · γ/√(σ²+ε) + β. Returns new arrays.
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | null,
  channel: (i: number) => number,
  bn: BatchNormStats,
): { weight: Float32Array; bias: Float32Array } {
  const n = bn.gamma.length;
  const factor = new Float64Array(n);
  for (let c = 0; c < n; c++) factor[c] = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.epsilon);
  const w = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) w[i] = weight[i] * factor[channel(i)];
  const b = new Float32Array(n);
  for (let c = 0; c < n; c++) b[c] = ((bias ? bias[c] : 0) - bn.mean[c]) * factor[c] + bn.beta[c];
  return { weight: w, bias: b };
}
