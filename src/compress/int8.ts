/**
 * Post-training int8 quantization for integer-only inference (Jacob et al.
 * 2018): calibrate activation ranges by running the float CPU reference on
 * calibration images, then build an `Int8Model` — per-channel symmetric int8
 * weights, int32 biases, per-tensor asymmetric activations, fixed-point
 * requantization multipliers. Pure: the input model is not touched.
 */
import type { Layer } from '../model/layers.ts';
import { applyPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Int8Model, Int8Op, QuantParams } from '../model/int8.ts';
import { INT32_MAX, INT32_MIN, INT8_MAX, activationQuant, quantizeMultiplier } from '../model/int8.ts';
import { quantizeLinear, roundHalfEven } from '../model/codecs.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import { modelForwardAll } from '../cpu/forward.ts';

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

/** The activation functions the int8 kernels cannot compute (only relu6 lowers). */
function unlowered(l: Layer): boolean {
  return l.kind === 'activation' && l.fn !== 'relu6';
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
 * and for calibration data that does not fit the model's input.
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
  for (let i = 0; i < layers.length;) {
    const layer = layers[i];
    switch (layer.kind) {
      case 'relu':
      case 'activation':
      case 'flatten': {
        // A ReLU not right after a weighted layer is a clamp at the current zero point on whatever produced the tensor;
        // flatten is a free reshape (NHWC order), so the tensor keeps its stored shape.
        const last = ops[ops.length - 1];
        if (layer.kind === 'activation' && !isRelu(layer)) throw new Error(`${where}: int8 path has no lowering for layer '${layer.name}' (activation)`);
        checkClamp(layer, cur, where);
        if (layer.kind !== 'flatten') {
          if (last) last.relu = true;
          else inputRelu = true;
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
