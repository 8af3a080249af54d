/**
 * Keras layouts → the lab's (src/model/layers.ts), and BatchNormalization
 * folding. Keras is channels-last like the lab, so only the weight axes move:
 * - Conv2D kernel `[kH, kW, inC, outC]` → `[outC, kH, kW, inC]`;
 * - DepthwiseConv2D kernel `[kH, kW, C, M]` → `[kH, kW, C·M]` (same bytes; M = depth_multiplier);
 * - Dense kernel `[in, out]` → `[out, in]`.
 * A Dense after a Flatten needs no column permutation: both flatten H, W, C.
 */

/** Conv2D kernel HWIO → the lab's `[outC, kH, kW, inC]`. */
export function hwioToOhwi(w: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) out[((o * kh + y) * kw + x) * inC + i] = w[((y * kw + x) * inC + i) * outC + o];
      }
    }
  }
  return out;
}

/** Dense kernel `[in, out]` → the lab's `[out, in]`. */
export function inOutToOutIn(w: Float32Array, inN: number, outN: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < inN; i++) for (let o = 0; o < outN; o++) out[o * inN + i] = w[i * outN + o];
  return out;
}

/** A BatchNormalization's inference parameters (gamma 1 / beta 0 when the layer has no scale / center). */
export interface BatchNorm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/**
 * Folds y = (x − μ)·γ/√(σ² + ε) + β into the layer that produced x:
 * w' = w·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε), in double precision.
 * `channelOf(i)` is the output channel of weight element i.
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | undefined,
  bn: BatchNorm,
  channelOf: (i: number) => number,
): { weight: Float32Array; bias: Float32Array } {
  const n = bn.gamma.length;
  const s = new Float64Array(n);
  for (let c = 0; c < n; c++) s[c] = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.epsilon);
  const w = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) w[i] = weight[i] * s[channelOf(i)];
  const b = new Float32Array(n);
  for (let c = 0; c < n; c++) b[c] = ((bias ? bias[c] : 0) - bn.mean[c]) * s[c] + bn.beta[c];
  return { weight: w, bias: b };
}

/**
 * A per-feature affine y = x·s + t on a flat vector (a BatchNormalization with
 * nothing before it to fold into) folded forward into the dense layer that
 * reads it: W'[o, i] = W[o, i]·s[i], b'[o] = b[o] + Σᵢ W[o, i]·t[i] (sums in
 * float64). Exact in real arithmetic: the dense layer is linear in its input.
 */
export function foldAffineIntoDense(
  weight: Float32Array,
  bias: Float32Array | undefined,
  units: number,
  affine: { scale: Float64Array; shift: Float64Array },
): { weight: Float32Array; bias: Float32Array } {
  const inN = affine.scale.length;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(units);
  for (let o = 0; o < units; o++) {
    let acc = bias ? bias[o] : 0;
    for (let i = 0; i < inN; i++) {
      w[o * inN + i] = weight[o * inN + i] * affine.scale[i];
      acc += weight[o * inN + i] * affine.shift[i];
    }
    b[o] = acc;
  }
  return { weight: w, bias: b };
}
