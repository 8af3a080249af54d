/**
 * The numbers behind the Model view's weight pictures ("weights you can
 * see"), computed from what a variant really stores, never from the UI:
 *
 * - a histogram of each weighted layer's non-zero weights (zeros counted
 *   apart, so pruning does not draw one giant spike at 0), over a range
 *   shared with the variant it came from so the two line up;
 * - the levels a stored weight can take: the linear / int8 grid (scale and
 *   zero point of the stored encoding, per tensor or per output channel), the
 *   k-means codebook, the ternary/binary ±α, the HashedNets shared values;
 * - the sparsity mask: a dense `[out, in]` matrix downsampled to cells that
 *   hold the fraction of weights kept, conv / depthwise filters as a grid of
 *   kernels whose cells hold the fraction kept over input channels;
 * - the first conv layer's filters as small images (values ÷ the layer's
 *   largest |w|, so filters compare with each other): the first conv2d or
 *   depthwise layer with a kernel larger than 1 × 1;
 * - stored bytes per layer by part (values, indices, codebooks, scales,
 *   header), from the file-exact accounting of src/compress/breakdown.ts.
 *
 * An int8 variant's file stores its weights as symmetric per-channel int8
 * (the pipeline's `int8` step writes a linear 8-bit encoding, the grid the
 * integer model runs on), so its grid is read from that encoding; a test
 * checks it against the integer model's own weight scales.
 */
import { linearHeaderBytes, sizeBreakdown } from '../compress/breakdown.ts';
import { distinctValues, linearRange } from '../model/codecs.ts';
import { toSymbols } from '../model/codecs/symbols.ts';
import type { Model, TensorEncoding } from '../model/model.ts';
import { inferShapes } from '../model/shapes.ts';

/** Bins of every histogram (even, so 0 sits on a bin edge and the two signs never share a bin). */
export const HISTOGRAM_BINS = 64;
/** At most this many mask cells along each axis of a dense layer's picture. */
export const MASK_MAX_ROWS = 48;
export const MASK_MAX_COLS = 96;
/** Grids with more levels per group than this are described, not listed (16-bit linear, fp16). */
export const MAX_LISTED_LEVELS = 256;

/** Non-zero weights binned over [lo, hi]; zeros are counted apart. */
export interface Histogram {
  lo: number;
  hi: number;
  /** HISTOGRAM_BINS counts of non-zero values; bin i covers [lo + i·w, lo + (i+1)·w), the last one closed. */
  counts: number[];
  /** Weights exactly 0 (pruned, or a zero level). */
  zeros: number;
  nonZero: number;
  total: number;
  /** zeros / total. */
  sparsity: number;
  /** The largest bin count (the height the picture is drawn to). */
  peak: number;
}

/** Where the levels of a tensor come from. */
export type LevelSource = 'fp32' | 'fp16' | 'linear' | 'int8' | 'codebook' | 'ternary' | 'binary' | 'hashed';

/** The values a stored weight can take. */
export interface Levels {
  source: LevelSource;
  /**
   * The levels, ascending: the codebook / shared values / ±α of the tensor,
   * or, when each group (output channel) has its own, those of the group with
   * the widest spacing (it spans the widest range). Empty for float storage
   * and for grids too fine to list.
   */
  values: number[];
  /** Groups with their own levels (1: one set for the tensor). */
  groups: number;
  /** Levels in one group (k, 3 for ternary, 2^bits for a grid). */
  perGroup: number;
  /** Grid step (linear/int8) or α (ternary/binary) over the groups: [smallest, largest]. */
  spread?: [number, number];
  /** Bits per value of the grid or index, when there is one. */
  bits?: number;
}

/** The kept-weight picture of a dense layer: `rows × cols` cells of `rowStep × colStep` weights. */
export interface MatrixMask {
  kind: 'matrix';
  /** Neurons (weight rows) and inputs (weight columns). */
  outputs: number;
  inputs: number;
  rows: number;
  cols: number;
  rowStep: number;
  colStep: number;
  /** rows·cols fractions of weights kept (non-zero) per cell, row-major. */
  kept: number[];
}

/** The kept-weight picture of a conv / depthwise layer: one `kh × kw` tile per filter. */
export interface FilterMask {
  kind: 'filters';
  filters: number;
  kh: number;
  kw: number;
  /** Input channels each kernel position covers (1 for depthwise). */
  channels: number;
  /** filters·kh·kw fractions kept over the channels, filter-major then row-major. */
  kept: number[];
}

export type MaskPicture = MatrixMask | FilterMask;

/** Stored bytes of one layer (weight and bias tensors) by part. */
export interface LayerBytes {
  /** Per-weight payload: values, quantized codes, codebook indices, Huffman payloads. */
  values: number;
  /** Sparse relative-index (gap) streams. */
  indices: number;
  /** Centroids, shared values, Huffman code tables. */
  codebooks: number;
  /** fp32 scales in the data (ternary/binary α). */
  scales: number;
  /** Header text of linear scales and zero points (the JSON header). */
  header: number;
  total: number;
}

/** Everything pictured for one weighted layer. */
export interface LayerPicture {
  name: string;
  kind: 'conv2d' | 'depthwiseConv2d' | 'dense';
  shape: number[];
  histogram: Histogram;
  levels: Levels;
  /** Human-readable encoding of the weight tensor. */
  encoding: string;
  mask: MaskPicture;
  bytes: LayerBytes;
}

/** The first conv layer's filters as images. */
export interface FilterImages {
  layer: string;
  filters: number;
  kh: number;
  kw: number;
  channels: number;
  /** The layer's largest |w|: pixel = w / scale, in [−1, 1]. */
  scale: number;
  /** filters·channels·kh·kw values in [−1, 1], filter-major, then channel, then row-major. */
  pixels: number[];
  /** Same layout: 1 where the weight is exactly 0 (pruned or a zero level). */
  zero: number[];
  /** How many weights are exactly 0. */
  zeros: number;
}

/** The pictures of one variant. */
export interface ModelPictures {
  layers: LayerPicture[];
  firstConv?: FilterImages;
  /** Bytes of the model file, and those of its header not attributed to a layer. */
  fileBytes: number;
  fileHeader: number;
  zeros: number;
  weights: number;
}

/** A variant's pictures beside those of the variant it came from, histograms on shared ranges. */
export interface PicturePair {
  variant: ModelPictures;
  parent?: ModelPictures;
}

/**
 * Counts the non-zero values of `values` in `bins` equal bins over [lo, hi]
 * (values outside go to the edge bins); zeros are counted apart.
 */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins = HISTOGRAM_BINS): Histogram {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new Error(`histogram: range [${lo}, ${hi}] is empty or not finite`);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) {
      zeros++;
      continue;
    }
    if (!Number.isFinite(v)) throw new Error(`histogram: value ${v} at index ${i} is not finite`);
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  }
  const total = values.length;
  return { lo, hi, counts, zeros, nonZero: total - zeros, total, sparsity: total ? zeros / total : 0, peak: Math.max(0, ...counts) };
}

/** Largest |v| (0 for an empty or all-zero tensor). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** A symmetric range around 0 holding every value (±1 for an all-zero tensor). */
export function symmetricRange(...tensors: ArrayLike<number>[]): [number, number] {
  const m = Math.max(0, ...tensors.map(maxAbs));
  return m > 0 ? [-m, m] : [-1, 1];
}

function groupsOf(shape: readonly number[], axis: number | null): number {
  return axis === null ? 1 : shape[axis];
}

/** Values in ascending order. */
function ascending(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The levels of a tensor stored with `enc` (`int8` marks the linear 8-bit
 * encoding an int8 variant stores). `values` are the decoded weights.
 */
export function levelsOf(values: Float32Array, shape: readonly number[], enc: TensorEncoding, int8 = false): Levels {
  switch (enc.kind) {
    case 'fp32':
    case 'fp16':
      return { source: enc.kind, values: [], groups: 1, perGroup: 0 };
    case 'linear': {
      const { qmin, qmax } = linearRange(enc.bits, enc.signed);
      // An int8 variant's weights are symmetric: codes −127…127 (−128 is never used).
      const lo = int8 ? -127 : qmin;
      const perGroup = qmax - lo + 1;
      let widest = 0;
      for (let g = 1; g < enc.scale.length; g++) if (enc.scale[g] > enc.scale[widest]) widest = g;
      const scale = enc.scale[widest];
      const zp = enc.zeroPoint[widest] ?? 0;
      const list: number[] = [];
      if (perGroup <= MAX_LISTED_LEVELS) for (let q = lo; q <= qmax; q++) list.push(Math.fround(scale * (q - zp)));
      return {
        source: int8 ? 'int8' : 'linear',
        values: list,
        groups: enc.scale.length,
        perGroup,
        spread: [Math.min(...enc.scale), Math.max(...enc.scale)],
        bits: enc.bits,
      };
    }
    case 'ternary':
    case 'binary': {
      // α per group is the side table the file stores (toSymbols is the codec's own split).
      const { side } = toSymbols(values, shape, enc);
      const alphas = Array.from(new Float32Array(side.buffer.slice(side.byteOffset, side.byteOffset + side.byteLength)));
      const a = Math.max(...alphas);
      const list = enc.kind === 'ternary' ? [-a, 0, a] : [-a, a];
      return {
        source: enc.kind,
        values: list,
        groups: groupsOf(shape, enc.axis),
        perGroup: list.length,
        spread: [Math.min(...alphas), a],
        bits: enc.kind === 'ternary' ? 2 : 1,
      };
    }
    case 'codebook': {
      // The codebook the file stores is the tensor's distinct values, ascending (codecs/symbols.ts).
      const { side } = toSymbols(values, shape, enc);
      const centroids = Array.from(new Float32Array(side.buffer.slice(side.byteOffset, side.byteOffset + side.byteLength)));
      return { source: 'codebook', values: centroids, groups: 1, perGroup: centroids.length, bits: Math.max(1, Math.ceil(Math.log2(centroids.length))) };
    }
    case 'hashed': {
      const shared = ascending(distinctValues(values));
      return { source: 'hashed', values: shared, groups: 1, perGroup: enc.k };
    }
    case 'huffman':
      // Huffman codes the symbols of another encoding: same levels.
      return levelsOf(values, shape, enc.of, int8);
    case 'sparse': {
      if (enc.of.kind === 'codebook') {
        // The sparse codebook covers the stored (non-zero) entries.
        const kept = ascending(distinctValues(values.filter((v) => v !== 0)));
        return { source: 'codebook', values: kept, groups: 1, perGroup: kept.length, bits: Math.max(1, Math.ceil(Math.log2(Math.max(2, kept.length)))) };
      }
      return levelsOf(values, shape, enc.of, int8);
    }
  }
}

/** Per (filter, y, x): the fraction of input channels whose weight is non-zero. Conv weights are `[oc, kh, kw, c]`. */
export function convMask(w: ArrayLike<number>, shape: readonly number[]): FilterMask {
  const [oc, kh, kw, c] = shape;
  if (shape.length !== 4 || w.length !== oc * kh * kw * c)
    throw new Error(`convMask: weights of length ${w.length} do not fit the shape [${shape.join(', ')}]`);
  const kept = new Array<number>(oc * kh * kw).fill(0);
  for (let p = 0; p < kept.length; p++) {
    let n = 0;
    for (let ci = 0; ci < c; ci++) if (w[p * c + ci] !== 0) n++;
    kept[p] = n / c;
  }
  return { kind: 'filters', filters: oc, kh, kw, channels: c, kept };
}

/** Per (channel, y, x) of a depthwise `[kh, kw, C·M]` weight: 1 kept, 0 zero. */
export function depthwiseMask(w: ArrayLike<number>, shape: readonly number[]): FilterMask {
  const [kh, kw, ch] = shape;
  if (shape.length !== 3 || w.length !== kh * kw * ch)
    throw new Error(`depthwiseMask: weights of length ${w.length} do not fit the shape [${shape.join(', ')}]`);
  const kept = new Array<number>(ch * kh * kw).fill(0);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let f = 0; f < ch; f++) kept[(f * kh + y) * kw + x] = w[(y * kw + x) * ch + f] !== 0 ? 1 : 0;
  return { kind: 'filters', filters: ch, kh, kw, channels: 1, kept };
}

/**
 * A dense `[out, in]` weight downsampled to at most `maxRows × maxCols`
 * cells; each cell holds the fraction of its weights that are non-zero
 * (edge cells may hold fewer weights than the others).
 */
export function matrixMask(w: ArrayLike<number>, outputs: number, inputs: number, maxRows = MASK_MAX_ROWS, maxCols = MASK_MAX_COLS): MatrixMask {
  if (w.length !== outputs * inputs) throw new Error(`matrixMask: weights of length ${w.length} do not fit [${outputs}, ${inputs}]`);
  const rowStep = Math.ceil(outputs / maxRows);
  const colStep = Math.ceil(inputs / maxCols);
  const rows = Math.ceil(outputs / rowStep);
  const cols = Math.ceil(inputs / colStep);
  const nz = new Array<number>(rows * cols).fill(0);
  const n = new Array<number>(rows * cols).fill(0);
  for (let o = 0; o < outputs; o++) {
    const r = Math.floor(o / rowStep) * cols;
    for (let i = 0; i < inputs; i++) {
      const cell = r + Math.floor(i / colStep);
      n[cell]++;
      if (w[o * inputs + i] !== 0) nz[cell]++;
    }
  }
  return { kind: 'matrix', outputs, inputs, rows, cols, rowStep, colStep, kept: nz.map((k, i) => k / n[i]) };
}

/** A conv2d weight `[oc, kh, kw, c]` as images in [−1, 1] (÷ the layer's largest |w|), channel-major per filter. */
export function filterImages(layer: string, w: ArrayLike<number>, shape: readonly number[]): FilterImages {
  const [oc, kh, kw, c] = shape;
  if (shape.length !== 4 || w.length !== oc * kh * kw * c)
    throw new Error(`filterImages: weights of length ${w.length} do not fit the shape [${shape.join(', ')}]`);
  const scale = maxAbs(w);
  const pixels = new Array<number>(w.length);
  const zero = new Array<number>(w.length);
  for (let f = 0; f < oc; f++)
    for (let ci = 0; ci < c; ci++)
      for (let p = 0; p < kh * kw; p++) {
        const v = w[(f * kh * kw + p) * c + ci];
        const at = (f * c + ci) * kh * kw + p;
        pixels[at] = scale > 0 ? v / scale : 0;
        zero[at] = v === 0 ? 1 : 0;
      }
  return { layer, filters: oc, kh, kw, channels: c, scale, pixels, zero, zeros: zero.reduce((a, z) => a + z, 0) };
}

/** A depthwise weight `[kh, kw, C·M]` as one kh × kw image per output channel (÷ the layer's largest |w|). */
export function depthwiseImages(layer: string, w: ArrayLike<number>, shape: readonly number[]): FilterImages {
  const [kh, kw, ch] = shape;
  if (shape.length !== 3 || w.length !== kh * kw * ch)
    throw new Error(`depthwiseImages: weights of length ${w.length} do not fit the shape [${shape.join(', ')}]`);
  // Reordered to [ch, kh, kw, 1], a conv weight of one input channel.
  const t = new Float32Array(w.length);
  for (let p = 0; p < kh * kw; p++) for (let f = 0; f < ch; f++) t[f * kh * kw + p] = w[p * ch + f];
  return filterImages(layer, t, [ch, kh, kw, 1]);
}

/** Stored bytes per layer by part, and the file header not attributed to a layer. */
export function layerBytes(model: Model): { layers: Map<string, LayerBytes>; fileBytes: number; fileHeader: number } {
  const b = sizeBreakdown(model);
  const layers = new Map<string, LayerBytes>();
  for (const t of b.tensors) {
    const layer = t.name.slice(0, t.name.lastIndexOf('.'));
    const row = layers.get(layer) ?? { values: 0, indices: 0, codebooks: 0, scales: 0, header: 0, total: 0 };
    const header = linearHeaderBytes(model.encodings?.[t.name] ?? { kind: 'fp32' });
    row.values += t.values;
    row.indices += t.indices;
    row.codebooks += t.codebooks;
    row.scales += t.scales;
    row.header += header;
    row.total += t.bytes + header;
    layers.set(layer, row);
  }
  // The breakdown's metadata is the header less the linear scales' text, which the layers above hold.
  return { layers, fileBytes: b.total, fileHeader: b.metadata };
}

/** True when the model is an int8 variant whose file stores its weights on the int8 grid. */
function isInt8Grid(enc: TensorEncoding | undefined, int8: boolean): boolean {
  return int8 && enc?.kind === 'linear' && enc.bits === 8 && enc.signed;
}

/**
 * The pictures of `model` (`int8`: it runs as int8). Histograms span
 * `ranges[layer]` when given (a range shared with another variant), else the
 * layer's own symmetric range.
 */
export function modelPictures(model: Model, options: { int8?: boolean; ranges?: Record<string, [number, number]> } = {}): ModelPictures {
  const { layers: bytes, fileBytes, fileHeader } = layerBytes(model);
  const layers: LayerPicture[] = [];
  let firstConv: FilterImages | undefined;
  let zeros = 0;
  let weights = 0;
  for (const ls of inferShapes(model.architecture)) {
    const l = ls.layer;
    if (l.kind !== 'conv2d' && l.kind !== 'depthwiseConv2d' && l.kind !== 'dense') continue;
    const name = `${l.name}.weight`;
    const w = model.weights[name];
    const shape = ls.weights[name];
    if (!w || !shape) throw new Error(`pictures: layer '${l.name}' has no tensor '${name}'`);
    const enc = model.encodings?.[name] ?? { kind: 'fp32' };
    const [lo, hi] = options.ranges?.[l.name] ?? symmetricRange(w);
    const h = histogram(w, lo, hi);
    zeros += h.zeros;
    weights += h.total;
    const mask = l.kind === 'dense' ? matrixMask(w, shape[0], shape[1]) : l.kind === 'conv2d' ? convMask(w, shape) : depthwiseMask(w, shape);
    // The first layer that looks at pixels: a conv or depthwise conv with a kernel larger than 1 × 1 (a pointwise conv has no picture).
    const spatial = l.kind !== 'dense' && l.kernel[0] * l.kernel[1] > 1;
    if (spatial && !firstConv) firstConv = l.kind === 'conv2d' ? filterImages(l.name, w, shape) : depthwiseImages(l.name, w, shape);
    layers.push({
      name: l.name,
      kind: l.kind,
      shape: [...shape],
      histogram: h,
      levels: levelsOf(w, shape, enc, isInt8Grid(enc, options.int8 ?? false)),
      encoding: describeLevels(enc, options.int8 ?? false),
      mask,
      bytes: bytes.get(l.name) ?? { values: 0, indices: 0, codebooks: 0, scales: 0, header: 0, total: 0 },
    });
  }
  return { layers, firstConv, fileBytes, fileHeader, zeros, weights };
}

function describeLevels(enc: TensorEncoding, int8: boolean): string {
  switch (enc.kind) {
    case 'linear':
      return isInt8Grid(enc, int8)
        ? `int8, ${enc.axis === null ? 'one scale' : 'a scale per channel'}`
        : `${enc.bits}-bit linear, ${enc.axis === null ? 'one scale' : 'a scale per channel'}`;
    case 'huffman':
      return `${describeLevels(enc.of, int8)} + Huffman`;
    case 'sparse':
      return `sparse (${enc.gapBits}-bit gaps), ${describeLevels(enc.of, int8)}${enc.huffman ? ' + Huffman' : ''}`;
    case 'codebook':
      return `${enc.k}-entry codebook`;
    case 'hashed':
      return `hashed, ${enc.k} shared values`;
    case 'ternary':
    case 'binary':
      return `${enc.kind}, ${enc.axis === null ? 'one α' : 'an α per channel'}`;
    default:
      return enc.kind;
  }
}

/**
 * A variant's pictures beside its parent's, each layer's histograms over one
 * range covering both (layers matched by name; a layer the parent lacks
 * keeps its own range).
 */
export function picturePair(variant: { model: Model; int8?: boolean }, parent?: { model: Model; int8?: boolean }): PicturePair {
  if (!parent) return { variant: modelPictures(variant.model, { int8: variant.int8 }) };
  const ranges: Record<string, [number, number]> = {};
  for (const ls of inferShapes(variant.model.architecture)) {
    const name = `${ls.layer.name}.weight`;
    const mine = variant.model.weights[name];
    const theirs = parent.model.weights[name];
    if (mine && theirs) ranges[ls.layer.name] = symmetricRange(mine, theirs);
  }
  return {
    variant: modelPictures(variant.model, { int8: variant.int8, ranges }),
    parent: modelPictures(parent.model, { int8: parent.int8, ranges }),
  };
}
