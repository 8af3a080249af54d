/**
 * Post-training int8 quantization for integer-only inference (Jacob et al.
 * 2018): calibrate activation ranges by running the float CPU reference on
 * calibration images, then build an `Int8Model` — per-channel symmetric int8
 * weights, int32 biases, per-tensor asymmetric activations, fixed-point
 * requantization multipliers; sigmoid, tanh and leakyRelu become 256-entry
 * lookup tables (`Int8LutOp`). Pure: the input model is not touched.
 */
import type { ActivationFn, ActivationLayer, Layer } from '../model/layers.ts';
import { applyPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Int8LutOp, Int8Model, Int8Op, QuantParams } from '../model/int8.ts';
import { INT32_MAX, INT32_MIN, INT8_MAX, INT8_MIN, activationQuant, quantizeMultiplier } from '../model/int8.ts';
import { quantizeLinear, roundHalfEven } from '../model/codecs.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import { modelForwardAll } from '../cpu/forward.ts';
import { activationForward } from '../cpu/activations.ts';

export const label = 'INT8 (integer-only inference)';

/** How activation ranges are found from the calibration images. */
export type CalibrationMethod = 'minmax' | 'percentile';

export interface Options {
  /** Calibration images, NHWC float32, `batch` of them back to back. */
  calibration: Float32Array;
  /** Number of images in `calibration`. */
  batch: number;
  /** 'minmax': the observed range; 'percentile': clip outliers at the given percentile (and 100 − it below). */
  method: CalibrationMethod;
  /** For 'percentile', in (50, 100]; default 99.99. */
  percentile?: number;
}

export const defaultOptions: Options = { calibration: new Float32Array(0), batch: 0, method: 'minmax', percentile: 99.99 };

/** Images run through the float reference at a time (bounds the memory of calibration). */
const CHUNK = 64;
/** Values kept per tensor for percentile calibration (evenly strided beyond this). */
const MAX_SAMPLES = 1 << 20;

/** Range statistics of one tensor over all calibration chunks. */
class RangeStat {
  min = Infinity;
  max = -Infinity;
  private readonly samples: number[] = [];
  constructor(
    private readonly stride: number,
    private readonly keep: boolean,
  ) {}

  add(x: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    if (this.keep) for (let i = 0; i < x.length; i += this.stride) this.samples.push(x[i]);
  }

  range(method: CalibrationMethod, percentile: number): [number, number] {
    if (method === 'minmax' || this.samples.length === 0) return [this.min, this.max];
    const s = Float64Array.from(this.samples).sort();
    const at = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
    return [at(100 - percentile), at(percentile)];
  }
}

/** Per-channel symmetric int8 quantization along `axis` (values in [−127, 127]). */
function quantizeWeight(w: Float32Array, shape: Shape, axis: number, fallbackScale: number): { q: Int8Array; scale: Float64Array } {
  const channels = shape[axis];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
  }
  // An all-zero channel gets a scale that makes its multiplier exactly 1, so its bias stays representable.
  const scale = Float64Array.from(maxAbs, (m) => (m > 0 ? m / 127 : fallbackScale));
  const q = quantizeLinear(w, shape, { kind: 'linear', bits: 8, signed: true, axis, scale: Array.from(scale), zeroPoint: new Array(channels).fill(0) });
  return { q: Int8Array.from(q), scale };
}

/** A ReLU, or a relu6 (which the int8 kernels run as the same clamp: see checkClamp). */
function isRelu(l: Layer | undefined): boolean {
  return l?.kind === 'relu' || (l?.kind === 'activation' && l.fn === 'relu6');
}

/** Activation functions the int8 path runs as a lookup table (relu6 is a clamp instead: see checkClamp). */
export const LUT_FNS: readonly ActivationFn[] = ['sigmoid', 'tanh', 'leakyRelu'];

/** An activation layer run as a lookup table. */
function isLut(l: Layer | undefined): boolean {
  return l?.kind === 'activation' && LUT_FNS.includes(l.fn);
}

/** The activation functions the int8 kernels cannot compute (neither a clamp nor a table). */
function unlowered(l: Layer): boolean {
  return l.kind === 'activation' && !isRelu(l) && !isLut(l);
}

/** A clamp of real values folded into a table: [0, ∞) for a ReLU after it, [0, 6] for a relu6. */
export type LutClamp = readonly [number, number];

const NO_CLAMP: LutClamp = [-Infinity, Infinity];

/**
 * `layer`'s function of the real values of the 256 codes of `input`,
 * clamp(f(input.scale · (q − zp))) in float64 (leakyRelu's alpha rounded to
 * f32, as the float kernels hold it), indexed by q + 128.
 */
function lutValues(layer: ActivationLayer, input: QuantParams, [lo, hi]: LutClamp): Float64Array {
  const x = Float64Array.from({ length: 256 }, (_, k) => input.scale * (k + INT8_MIN - input.zeroPoint));
  const y = new Float64Array(256);
  activationForward(layer, x, y);
  return y.map((v) => Math.min(hi, Math.max(lo, v)));
}

/**
 * The lookup table of `layer` (then `clamp`) from `input` codes to `output` codes:
 * table[q + 128] = clamp(roundHalfEven(f(input.scale · (q − input.zeroPoint)) / output.scale) + output.zeroPoint, −128, 127).
 */
export function lutTable(layer: ActivationLayer, input: QuantParams, output: QuantParams, clamp: LutClamp = NO_CLAMP): Int8Array {
  return Int8Array.from(lutValues(layer, input, clamp), (v) => Math.min(INT8_MAX, Math.max(INT8_MIN, roundHalfEven(v / output.scale) + output.zeroPoint)));
}

/**
 * The lookup-table op of an activation layer (and the ReLU/relu6 `clamp`
 * folded after it) on a tensor quantized as `input`. Its output range is the
 * image of the input's 256 codes under the function: every value the table
 * can produce is representable, nothing saturates, and for these monotonic
 * functions it is the calibrated range after the function (f of the
 * calibrated input range) without sampling noise.
 */
function lutOp(layer: ActivationLayer, input: QuantParams, shape: Shape, layerNames: string[], clamp: LutClamp): Int8LutOp {
  const y = lutValues(layer, input, clamp);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of y) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const output = activationQuant(lo, hi);
  return { kind: 'lut', layer, layers: layerNames, inShape: shape, outShape: shape, input, output, table: lutTable(layer, input, output, clamp) };
}

/**
 * A relu6 on a tensor quantized as `q` is the ReLU clamp (codes ≥ the zero
 * point) when quantized 6 is at or above the top code: then every code the
 * clamp keeps is a value in [0, 6] and int8 saturation is its upper bound,
 * exactly. That holds whenever its range was calibrated after the relu6 (it
 * directly follows a conv, dense or pool); otherwise it is refused.
 */
function checkClamp(layer: Layer, q: QuantParams, where: string): void {
  if (layer.kind !== 'activation') return;
  const q6 = roundHalfEven(6 / q.scale) + q.zeroPoint;
  if (q6 < INT8_MAX) {
    const top = (INT8_MAX - q.zeroPoint) * q.scale;
    throw new Error(
      `${where}: layer '${layer.name}' (activation relu6) clamps a tensor quantized up to ${top.toPrecision(4)} > 6, and int8 kernels clamp only at the zero point; put it directly after a conv, dense or pool layer`,
    );
  }
}

/**
 * Calibrate and quantize `model` to int8. Throws naming the layer for
 * layers with no int8 lowering (softmax: the int8 path ends at the logits),
 * and for calibration data that does not fit the model's input. relu and
 * relu6 are clamps; sigmoid, tanh and leakyRelu are lookup tables.
 */
export function quantizeInt8Model(model: Model, options: Options): Int8Model {
  const arch = model.architecture;
  const where = `int8 quantization of '${arch.name}'`;
  const { calibration, batch, method } = options;
  const percentile = options.percentile ?? defaultOptions.percentile!;
  const inSize = sizeOf(arch.inputShape);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`${where}: calibration batch must be a positive integer, got ${batch}`);
  if (calibration.length !== batch * inSize) {
    throw new Error(`${where}: calibration has ${calibration.length} values, ${batch} images of [${arch.inputShape.join(', ')}] need ${batch * inSize}`);
  }
  if (method !== 'minmax' && method !== 'percentile') throw new Error(`${where}: unknown calibration method ${JSON.stringify(method)}`);
  if (method === 'percentile' && !(percentile > 50 && percentile <= 100)) throw new Error(`${where}: percentile must be in (50, 100], got ${percentile}`);
  const softmax = arch.layers.find((l) => l.kind === 'softmax');
  if (softmax) throw new Error(`${where}: layer '${softmax.name}' (softmax) has no int8 lowering; the int8 path ends at the logits`);
  const act = arch.layers.find(unlowered);
  if (act?.kind === 'activation') throw new Error(`${where}: int8 path has no lowering for layer '${act.name}' (activation ${act.fn}); the float path runs it`);

  // Calibration: ranges of the input and of every layer's output.
  const shapes = inferShapes(arch);
  const keep = method === 'percentile';
  const strideFor = (perImage: number): number => Math.max(1, Math.ceil((perImage * batch) / MAX_SAMPLES));
  const inputStat = new RangeStat(strideFor(inSize), keep);
  const stats = shapes.map((ls) => new RangeStat(strideFor(sizeOf(ls.output)), keep));
  for (let start = 0; start < batch; start += CHUNK) {
    const n = Math.min(CHUNK, batch - start);
    const x = calibration.subarray(start * inSize, (start + n) * inSize);
    inputStat.add(applyPreprocess(arch.preprocess, x));
    modelForwardAll(model, x, n).forEach((out, i) => stats[i].add(out));
  }
  const quantOf = (stat: RangeStat): QuantParams => {
    const [lo, hi] = stat.range(method, percentile);
    return activationQuant(lo, hi);
  };

  const layers = arch.layers;
  const input = quantOf(inputStat);
  let inputRelu = false;
  let cur: QuantParams = input;
  let curShape: Shape = arch.inputShape.slice();
  const ops: Int8Op[] = [];
  /** The ReLU/relu6 clamp folded into the last table op so far. */
  let lutClamp = NO_CLAMP;
  for (let i = 0; i < layers.length;) {
    const layer = layers[i];
    switch (layer.kind) {
      case 'relu':
      case 'activation':
      case 'flatten': {
        // A ReLU not right after a weighted layer is a clamp at the current zero point on whatever produced the tensor;
        // flatten is a free reshape (NHWC order), so the tensor keeps its stored shape.
        const last = ops[ops.length - 1];
        if (layer.kind === 'activation' && isLut(layer)) {
          // Its own op, not fused into the conv/dense/pool before it. Fusing (the producer's epilogue looking its
          // requantized code up) would give the very same codes — the table acts on that int8 code either way — and save
          // one pass over a tensor of 1 byte per value, a small fraction of the producer's k·k·c MACs per value; as its own
          // op it follows any op (a pool, the input, another table), and conv2d-i8's epilogue (fused pools, its MAC
          // formulations) stays as it is. A ReLU or relu6 after it is folded into its table (below).
          lutClamp = NO_CLAMP;
          const op = lutOp(layer, cur, curShape, [layer.name], lutClamp);
          ops.push(op);
          cur = op.output;
          i++;
          break;
        }
        if (layer.kind === 'activation' && !isRelu(layer))
          throw new Error(`${where}: int8 path has no lowering for layer '${layer.name}' (activation ${layer.fn})`);
        if (layer.kind !== 'flatten' && last?.kind === 'lut') {
          // The table becomes one of clamp(f), with the clamped function's range as its output's: exact, and every code
          // spent on values the clamp keeps (a relu6 on a tensor wider than 6 is not refused here).
          lutClamp = [Math.max(0, lutClamp[0]), Math.min(layer.kind === 'relu' ? Infinity : 6, lutClamp[1])];
          const op = lutOp(last.layer, last.input, last.inShape, [...last.layers, layer.name], lutClamp);
          ops[ops.length - 1] = op;
          cur = op.output;
          i++;
          break;
        }
        if (layer.kind !== 'flatten') {
          checkClamp(layer, cur, where);
          if (!last) inputRelu = true;
          else if (last.kind !== 'lut') last.relu = true;
        }
        last?.layers.push(layer.name);
        i++;
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const covered = [layer.name];
        let j = i + 1;
        let relu = false;
        while (isRelu(layers[j])) {
          relu = true;
          checkClamp(layers[j], cur, where);
          covered.push(layers[j++].name);
        }
        const outShape = shapes[i].output;
        ops.push({ kind: layer.kind, layer, layers: covered, inShape: curShape, outShape, quant: cur, relu });
        curShape = outShape;
        i = j;
        break;
      }
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'dense': {
        const covered = [layer.name];
        let j = i + 1;
        let relu = false;
        while (isRelu(layers[j])) {
          relu = true;
          covered.push(layers[j++].name);
        }
        // Output range after the fused ReLUs: a ReLU'd tensor spends all 256 codes on [0, max].
        const output = quantOf(stats[j - 1]);
        for (let k = i + 1; k < j; k++) checkClamp(layers[k], output, where);
        const outShape = shapes[i].output;
        const wShape = shapes[i].weights[`${layer.name}.weight`];
        const w = model.weights[`${layer.name}.weight`];
        if (!w) throw new Error(`${where}: layer '${layer.name}' has no tensor '${layer.name}.weight'`);
        const axis = layer.kind === 'depthwiseConv2d' ? 2 : 0;
        const channels = wShape[axis];
        const { q, scale } = quantizeWeight(w, wShape, axis, output.scale / cur.scale);
        const b = layer.bias ? model.weights[`${layer.name}.bias`] : undefined;
        if (layer.bias && !b) throw new Error(`${where}: layer '${layer.name}' has no tensor '${layer.name}.bias'`);
        const bias = new Int32Array(channels);
        const multiplier = new Int32Array(channels);
        const shift = new Int32Array(channels);
        for (let c = 0; c < channels; c++) {
          const accScale = cur.scale * scale[c];
          if (b) bias[c] = Math.min(INT32_MAX, Math.max(INT32_MIN, roundHalfEven(b[c] / accScale)));
          const m = quantizeMultiplier(accScale / output.scale);
          multiplier[c] = m.multiplier;
          shift[c] = m.shift;
        }
        ops.push({
          kind: layer.kind,
          layer,
          layers: covered,
          inShape: curShape,
          outShape,
          input: cur,
          output,
          weight: q,
          weightScale: scale,
          bias,
          multiplier,
          shift,
          relu,
        });
        cur = output;
        curShape = outShape;
        i = j;
        break;
      }
      case 'softmax':
        throw new Error(`${where}: layer '${layer.name}' (softmax) has no int8 lowering`);
      default: {
        const never: never = layer;
        throw new Error(`${where}: unknown layer kind ${JSON.stringify((never as Layer).kind)}`);
      }
    }
  }
  return {
    architecture: arch,
    input,
    inputRelu,
    ops,
    output: cur,
    outputShape: shapes.length ? shapes[shapes.length - 1].output : arch.inputShape.slice(),
    calibration: { method, ...(method === 'percentile' ? { percentile } : {}), images: batch },
  };
}
