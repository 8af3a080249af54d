/**
 * The same lab model as a TensorFlow.js computation, for the benchmark's
 * "TF.js WebGPU" peer (and, on tfjs's cpu backend, for the parity tests).
 *
 * Built from tf ops rather than a tf.LayersModel: the lab's layers map one to
 * one onto ops, there is nothing to train, and ops avoid Keras' own weight
 * naming and serialisation. The `tf` module is passed in so the caller picks
 * (and initialises) the backend; this file imports no tfjs code at run time.
 *
 * Layouts: TF.js is NHWC like the lab, so activations need no transposes and
 * flatten is a plain reshape. Weights are converted once:
 * - conv2d `[outC, kH, kW, inC]` → TF `[kH, kW, inC, outC]`;
 * - depthwiseConv2d `[kH, kW, C]` → TF `[kH, kW, C, 1]` (same memory order);
 * - dense `[out, in]` → TF `[in, out]`.
 * TF's 'same' padding is the lab's (the odd pixel after), so it passes through;
 * explicit pads become a zero pad (Keras' ZeroPadding2D) before a 'valid' conv.
 *
 * A relu right after a conv or dense layer is folded into tfjs's fused op
 * (bias + activation in one kernel), as a TF.js user writing
 * `activation: 'relu'` would get: the peer is measured at its ordinary best.
 */
import { hasPreprocess } from '../model/layers.ts';
import type * as tfjs from '@tensorflow/tfjs';
import type { Layer, Padding } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';

/** The `@tensorflow/tfjs` module (or anything with the same API), with its backend already chosen. */
export type Tfjs = typeof tfjs;

/** Options of {@link buildTfjsModel}. */
export interface TfjsModelOptions {
  /** Fold a relu that follows a conv/dense layer into tfjs's fused op. Default true. */
  fuseRelu?: boolean;
}

/** A lab model living on one tfjs backend. */
export interface TfjsRunner {
  /** Backend the weights were uploaded to (tf.getBackend() at build time). */
  readonly backend: string;
  /**
   * Runs `batch` NHWC images (`batch × H × W × C` floats) and resolves to the
   * model's output, `batch × classes` floats (a fresh array, read back from the backend).
   */
  predict(input: Float32Array, batch: number): Promise<Float32Array>;
  /**
   * The graph on a tensor already on the backend, without read-back — for
   * timing the device work alone. The caller owns (and disposes) the result;
   * intermediates are freed by an inner tf.tidy.
   */
  forward(x: tfjs.Tensor4D): tfjs.Tensor;
  /** Frees the weight tensors. The runner is unusable afterwards. */
  dispose(): void;
}

type Step = (x: tfjs.Tensor) => tfjs.Tensor;

/** conv2d weight `[outC, kH, kW, inC]` → TF `[kH, kW, inC, outC]`. */
function convWeightToHwio(w: Float32Array, outC: number, kh: number, kw: number, inC: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) out[((y * kw + x) * inC + i) * outC + o] = w[((o * kh + y) * kw + x) * inC + i];
      }
    }
  }
  return out;
}

/** dense weight `[out, in]` → TF `[in, out]`. */
function denseWeightToInOut(w: Float32Array, out: number, inN: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inN; i++) t[i * out + o] = w[o * inN + i];
  return t;
}

/**
 * Builds a tfjs runner holding a converted copy of the model's weights on the
 * current tfjs backend. Throws (naming the layer or tensor) when the
 * architecture does not fit or a weight is missing or mis-sized.
 */
export function buildTfjsModel(tf: Tfjs, model: Model, opts: TfjsModelOptions = {}): TfjsRunner {
  const arch = model.architecture;
  if (hasPreprocess(arch.preprocess))
    throw new Error(`buildTfjsModel: model '${arch.name}' has an input preprocessing, which the TF.js builder does not apply yet`);
  const fuseRelu = opts.fuseRelu ?? true;
  const shapes = inferShapes(arch);
  const owned: tfjs.Tensor[] = [];

  const weight = (layer: Layer, suffix: 'weight' | 'bias', expected: number): Float32Array => {
    const name = `${layer.name}.${suffix}`;
    const t = model.weights[name];
    if (!t) throw new Error(`buildTfjsModel: model '${arch.name}', layer '${layer.name}' (${layer.kind}): tensor '${name}' is missing`);
    if (t.length !== expected) throw new Error(`buildTfjsModel: tensor '${name}' has ${t.length} values, expected ${expected}`);
    return t;
  };
  const upload = (data: Float32Array, shape: number[]): tfjs.Tensor => {
    // A copy: some backends keep the array they are given, and the lab's weights must stay the lab's.
    const t = tf.tensor(data.slice(), shape, 'float32');
    owned.push(t);
    return t;
  };

  // Explicit pads: zero rows/columns first (Keras' ZeroPadding2D), then a 'valid' conv.
  const padded = (pad: Padding, conv: (x: tfjs.Tensor, p: 'valid' | 'same') => tfjs.Tensor): Step => {
    if (typeof pad === 'string') return (x) => conv(x, pad);
    const pads: [number, number][] = [
      [0, 0],
      [pad.top, pad.bottom],
      [pad.left, pad.right],
      [0, 0],
    ];
    return (x) => conv(tf.pad(x as tfjs.Tensor4D, pads), 'valid');
  };

  const steps: Step[] = [];
  try {
    for (let i = 0; i < shapes.length; i++) {
      const { layer, input: inShape } = shapes[i];
      const next = shapes[i + 1]?.layer;
      const fold = fuseRelu && next?.kind === 'relu' && (layer.kind === 'conv2d' || layer.kind === 'depthwiseConv2d' || layer.kind === 'dense');
      const activation = fold ? ('relu' as const) : ('linear' as const);
      switch (layer.kind) {
        case 'conv2d': {
          const [kh, kw] = layer.kernel;
          const inC = inShape[2];
          const w = weight(layer, 'weight', layer.filters * kh * kw * inC);
          const filter = upload(convWeightToHwio(w, layer.filters, kh, kw, inC), [kh, kw, inC, layer.filters]) as tfjs.Tensor4D;
          const bias = layer.bias ? upload(weight(layer, 'bias', layer.filters), [layer.filters]) : undefined;
          const strides = [layer.stride[0], layer.stride[1]] as [number, number];
          steps.push(padded(layer.padding, (x, pad) => tf.fused.conv2d({ x: x as tfjs.Tensor4D, filter, strides, pad, dataFormat: 'NHWC', bias, activation })));
          break;
        }
        case 'depthwiseConv2d': {
          const [kh, kw] = layer.kernel;
          const c = inShape[2];
          // [kH, kW, C] and [kH, kW, C, 1] are the same bytes: only the shape changes.
          const filter = upload(weight(layer, 'weight', kh * kw * c), [kh, kw, c, 1]) as tfjs.Tensor4D;
          const bias = layer.bias ? upload(weight(layer, 'bias', c), [c]) : undefined;
          const strides = [layer.stride[0], layer.stride[1]] as [number, number];
          steps.push(
            padded(layer.padding, (x, pad) => tf.fused.depthwiseConv2d({ x: x as tfjs.Tensor4D, filter, strides, pad, dataFormat: 'NHWC', bias, activation })),
          );
          break;
        }
        case 'maxPool2d':
        case 'avgPool2d': {
          const window = [layer.window[0], layer.window[1]] as [number, number];
          const strides = [layer.stride[0], layer.stride[1]] as [number, number];
          const p = layer.padding;
          const pads: [number, number][] = p
            ? [
                [0, 0],
                [p.top, p.bottom],
                [p.left, p.right],
                [0, 0],
              ]
            : [];
          const avg = (x: tfjs.Tensor): tfjs.Tensor => tf.avgPool((p ? tf.pad(x, pads) : x) as tfjs.Tensor4D, window, strides, 'valid');
          if (layer.kind === 'maxPool2d') {
            // Padded taps are no input: pad with −∞ so the max never picks one.
            steps.push((x) => tf.maxPool((p ? tf.pad(x, pads, -Infinity) : x) as tfjs.Tensor4D, window, strides, 'valid'));
          } else if (!p || layer.countIncludePad) steps.push(avg);
          else {
            // Divide by the in-image taps: the zero-padded mean over the padded mean of an all-ones image.
            const ones = tf.ones([1, inShape[0], inShape[1], 1]);
            owned.push(ones);
            steps.push((x) => tf.div(avg(x), avg(ones)));
          }
          break;
        }
        case 'flatten':
          // NHWC row-major is already the lab's flatten order.
          steps.push((x) => tf.reshape(x, [x.shape[0], -1]));
          break;
        case 'dense': {
          const inN = inShape[0];
          const w = weight(layer, 'weight', layer.units * inN);
          const b = upload(denseWeightToInOut(w, layer.units, inN), [inN, layer.units]) as tfjs.Tensor2D;
          const bias = layer.bias ? upload(weight(layer, 'bias', layer.units), [layer.units]) : undefined;
          steps.push((x) => tf.fused.matMul({ a: x as tfjs.Tensor2D, b, bias, activation }));
          break;
        }
        case 'relu': {
          const prev = shapes[i - 1]?.layer;
          const folded = fuseRelu && (prev?.kind === 'conv2d' || prev?.kind === 'depthwiseConv2d' || prev?.kind === 'dense');
          if (!folded) steps.push((x) => tf.relu(x));
          break;
        }
        case 'activation': {
          const { fn, alpha } = layer;
          if (fn === 'relu6') steps.push((x) => tf.relu6(x));
          else if (fn === 'leakyRelu') steps.push((x) => tf.leakyRelu(x, alpha));
          else steps.push((x) => (fn === 'sigmoid' ? tf.sigmoid(x) : tf.tanh(x)));
          break;
        }
        case 'softmax':
          steps.push((x) => tf.softmax(x));
          break;
        default: {
          const unknown: never = layer;
          throw new Error(`buildTfjsModel: layer '${(unknown as Layer).name}' has unknown kind ${JSON.stringify((unknown as Layer).kind)}`);
        }
      }
    }
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }

  const [h, w, c] = arch.inputShape;
  const perImage = sizeOf(arch.inputShape);
  const backend = tf.getBackend();
  let disposed = false;
  const checkAlive = () => {
    if (disposed) throw new Error(`tfjs runner of model '${arch.name}' was disposed`);
  };

  const forward = (x: tfjs.Tensor4D): tfjs.Tensor => {
    checkAlive();
    return tf.tidy(() => steps.reduce<tfjs.Tensor>((cur, step) => step(cur), x));
  };

  return {
    backend,
    forward,
    async predict(input: Float32Array, batch: number): Promise<Float32Array> {
      checkAlive();
      if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`tfjs runner '${arch.name}': batch must be a positive integer, got ${batch}`);
      if (input.length !== batch * perImage) {
        throw new Error(`tfjs runner '${arch.name}': input has ${input.length} values, expected ${batch * perImage} (batch ${batch} × [${h}, ${w}, ${c}])`);
      }
      const x = tf.tensor4d(input, [batch, h, w, c], 'float32');
      let y: tfjs.Tensor | undefined;
      try {
        y = forward(x);
        const data = await y.data();
        return new Float32Array(data);
      } finally {
        x.dispose();
        y?.dispose();
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of owned) t.dispose();
    },
  };
}
