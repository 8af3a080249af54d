import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../compress/pipeline.ts';
import { sparsityOf } from '../compress/prune.ts';
import { quantize } from '../compress/quantize.ts';
import { describeModelFile, parseModel, serializeModel } from '../model/format.ts';
import type { Int8WeightedOp } from '../model/int8.ts';
import type { Model } from '../model/model.ts';
import { mulberry32 } from '../model/model.ts';
import { layerRows } from '../worker/describe.ts';
import {
  convMask,
  depthwiseImages,
  depthwiseMask,
  filterImages,
  HISTOGRAM_BINS,
  histogram,
  matrixMask,
  maxAbs,
  modelPictures,
  picturePair,
} from './pictures.ts';

const lenet5 = parseModel(readFileSync('models/lenet5.safetensors'), 'lenet5.safetensors');

/** A variant as the lab stores it: written to a file and read back. */
function stored(m: Model): Model {
  return parseModel(serializeModel(m), 'variant');
}

/** The data bytes of tensor `name` in a model file. */
function tensorBytes(file: Uint8Array, name: string): Uint8Array {
  const info = describeModelFile(file);
  const t = info.tensors.find((x) => x.name === name)!;
  const start = 8 + info.headerBytes + t.dataOffsets[0];
  return file.slice(start, start + t.byteLength);
}

const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

function nonZeros(w: Float32Array): number {
  let n = 0;
  for (const v of w) if (v !== 0) n++;
  return n;
}

describe('histogram and masks (hand-computed)', () => {
  it('bins non-zero values and counts zeros apart', () => {
    const h = histogram([-1, -0.5, 0, 0, 0.25, 1, -0.01], -1, 1, 4);
    // bins [-1,-0.5) [-0.5,0) [0,0.5) [0.5,1]
    expect(h.counts).toEqual([1, 2, 1, 1]);
    expect(h).toMatchObject({ zeros: 2, nonZero: 5, total: 7, sparsity: 2 / 7, peak: 2 });
  });

  it('refuses an empty range and non-finite values', () => {
    expect(() => histogram([1], 1, 1)).toThrow(/empty/);
    expect(() => histogram([Number.NaN], -1, 1)).toThrow(/not finite/);
  });

  it('downsamples a dense matrix into cells holding the fraction kept', () => {
    // 3 × 5, cells of 2 × 3 → a 2 × 2 grid with ragged edge cells.
    const w = [1, 0, 1, 0, 0, /**/ 0, 0, 1, 1, 1, /**/ 1, 1, 1, 0, 1];
    const m = matrixMask(w, 3, 5, 2, 2);
    expect(m).toMatchObject({ rows: 2, cols: 2, rowStep: 2, colStep: 3 });
    expect(m.kept).toEqual([3 / 6, 2 / 4, 3 / 3, 1 / 2]);
  });

  it('pictures conv filters by kernel position (over channels) and depthwise kernels', () => {
    // [oc=2, kh=1, kw=2, c=2]
    const c = convMask([1, 0, 1, 1, 0, 0, 0, 3], [2, 1, 2, 2]);
    expect(c.kept).toEqual([0.5, 1, 0, 0.5]);
    // [kh=1, kw=2, ch=2]: position-major, channel fastest.
    const d = depthwiseMask([1, 0, 0, 2], [1, 2, 2]);
    expect(d.kept).toEqual([1, 0, 0, 1]);
    const f = filterImages('c', [2, -4, 0, 1], [1, 2, 2, 1]);
    expect(f.scale).toBe(4);
    expect(f.pixels).toEqual([0.5, -1, 0, 0.25]);
    expect(f.zero).toEqual([0, 0, 1, 0]);
    expect(f.zeros).toBe(1);
    // [kh=1, kw=2, ch=2] → channel 0 is (1, 3), channel 1 is (−2, 0).
    const dw = depthwiseImages('d', [1, -2, 3, 0], [1, 2, 2]);
    expect(dw).toMatchObject({ filters: 2, kh: 1, kw: 2, channels: 1, scale: 3, zeros: 1 });
    expect(dw.pixels).toEqual([1 / 3, 1, -2 / 3, 0]);
  });
});

describe('pictures of the bundled LeNet-5', () => {
  it('fp32: every weight binned, no levels, bytes per layer equal the Model table and sum to the file', () => {
    const p = modelPictures(lenet5);
    const rows = layerRows(lenet5);
    expect(p.layers.map((l) => l.name)).toEqual(rows.filter((r) => r.params > 0).map((r) => r.name));
    for (const l of p.layers) {
      const w = lenet5.weights[`${l.name}.weight`];
      expect(l.histogram.counts).toHaveLength(HISTOGRAM_BINS);
      expect(sum(l.histogram.counts)).toBe(nonZeros(w));
      expect(l.histogram.zeros).toBe(w.length - nonZeros(w));
      expect(l.levels).toMatchObject({ source: 'fp32', values: [] });
      // fp32 layer: weight + bias, 4 bytes each, all of it "values".
      expect(l.bytes.values).toBe(rows.find((r) => r.name === l.name)!.bytes);
      expect(l.bytes.total).toBe(l.bytes.values);
    }
    expect(sum(p.layers.map((l) => l.bytes.total)) + p.fileHeader).toBe(serializeModel(lenet5).length);
    expect(p.fileBytes).toBe(serializeModel(lenet5).length);
    expect(p.firstConv).toMatchObject({ layer: 'conv1', channels: 1 });
    expect(p.firstConv!.filters * p.firstConv!.kh * p.firstConv!.kw).toBe(lenet5.weights['conv1.weight'].length);
    expect(Math.max(...p.firstConv!.pixels.map(Math.abs))).toBe(1);
  });

  it('prune 0.9 + k-means 4 bits: zeros equal the measured sparsity, levels equal the codebook in the file, mask cells add up', async () => {
    const { model } = await runPipeline(lenet5, 'prune:sparsity=0.9 | kmeans:bits=4');
    const v = stored(model);
    const file = serializeModel(v);
    const sparsity = sparsityOf(v).perTensor;
    const { variant, parent } = picturePair({ model: v }, { model: lenet5 });
    for (const l of variant.layers) {
      const name = `${l.name}.weight`;
      const w = v.weights[name];
      expect(l.histogram.zeros / l.histogram.total).toBeCloseTo(sparsity[name], 12);
      expect(l.histogram.zeros / l.histogram.total).toBeGreaterThan(0.89);
      expect(sum(l.histogram.counts)).toBe(nonZeros(w));
      // The codebook is the first k fp32 values of the tensor's data in the file.
      expect(l.levels.source).toBe('codebook');
      const enc = v.encodings![name];
      expect(enc.kind).toBe('codebook');
      const k = enc.kind === 'codebook' ? enc.k : 0;
      const bytes = tensorBytes(file, name);
      expect(l.levels.values).toEqual(Array.from(new Float32Array(bytes.slice(0, 4 * k).buffer)));
      expect(l.levels.perGroup).toBeLessThanOrEqual(17);
      // Every non-zero weight is one of the levels.
      const set = new Set(l.levels.values);
      expect(w.every((x) => set.has(x))).toBe(true);
      // Mask: cell fraction × cell size adds up to the non-zero count.
      if (l.mask.kind === 'matrix') {
        const m = l.mask;
        let kept = 0;
        for (let r = 0; r < m.rows; r++)
          for (let c = 0; c < m.cols; c++) {
            const h = Math.min(m.rowStep, m.outputs - r * m.rowStep);
            const wd = Math.min(m.colStep, m.inputs - c * m.colStep);
            kept += m.kept[r * m.cols + c] * h * wd;
          }
        expect(Math.round(kept)).toBe(nonZeros(w));
      } else {
        expect(Math.round(sum(l.mask.kept) * l.mask.channels)).toBe(nonZeros(w));
      }
      // Histograms of the pair share one range, wide enough for both.
      const p = parent!.layers.find((x) => x.name === l.name)!;
      expect([p.histogram.lo, p.histogram.hi]).toEqual([l.histogram.lo, l.histogram.hi]);
      expect(l.histogram.hi).toBeGreaterThanOrEqual(maxAbs(lenet5.weights[name]));
      // Codebook bytes: codebook + 4-bit indices (+ bias fp32).
      expect(l.bytes.codebooks).toBe(4 * k);
      expect(l.bytes.total).toBe(layerRows(v).find((r) => r.name === l.name)!.bytes);
    }
    expect(sum(variant.layers.map((l) => l.bytes.total)) + variant.fileHeader).toBe(file.length);
  });

  it('int8: the grid is the integer model’s per-channel weight scales; pruned zeros stay apart', async () => {
    const rand = mulberry32(7);
    const images = Float32Array.from({ length: 8 * 28 * 28 }, () => rand());
    const { model, int8 } = await runPipeline(lenet5, 'prune:sparsity=0.5 | int8', { calibration: { images, batch: 8 } });
    const v = stored(model);
    const p = modelPictures(v, { int8: true });
    for (const l of p.layers) {
      const op = int8!.ops.find((o) => o.layers[0] === l.name) as Int8WeightedOp;
      const scales = Array.from(op.weightScale);
      expect(l.levels).toMatchObject({ source: 'int8', bits: 8, perGroup: 255, groups: scales.length });
      expect(l.levels.spread![0]).toBeCloseTo(Math.min(...scales), 9);
      expect(l.levels.spread![1]).toBeCloseTo(Math.max(...scales), 9);
      const widest = Math.max(...scales);
      expect(l.levels.values).toHaveLength(255);
      expect(l.levels.values[0]).toBeCloseTo(-127 * widest, 6);
      expect(l.levels.values[254]).toBeCloseTo(127 * widest, 6);
      // The pictured weights are what the integer model runs: q · scale per channel.
      const w = v.weights[`${l.name}.weight`];
      const inner = w.length / scales.length;
      for (let i = 0; i < w.length; i += 97) expect(w[i]).toBeCloseTo(op.weight[i] * scales[Math.floor(i / inner)], 6);
      expect(l.histogram.zeros).toBe(w.length - nonZeros(w));
      expect(l.histogram.zeros / l.histogram.total).toBeGreaterThanOrEqual(0.5);
      expect(l.encoding).toBe('int8, a scale per channel');
      // Linear scales live in the header text: counted as the layer's header part.
      expect(l.bytes.header).toBeGreaterThan(0);
    }
    expect(sum(p.layers.map((l) => l.bytes.total)) + p.fileHeader).toBe(serializeModel(v).length);
  });

  it('Deep Compression (prune | k-means | sparse | Huffman): gap streams count as indices, levels stay the codebook', async () => {
    const { model } = await runPipeline(lenet5, 'prune:sparsity=0.9 | kmeans:bits=5 | sparse | huffman');
    const v = stored(model);
    const p = modelPictures(v);
    const file = serializeModel(v);
    const info = describeModelFile(file);
    for (const l of p.layers) {
      const w = v.weights[`${l.name}.weight`];
      expect(v.encodings![`${l.name}.weight`].kind).toBe('sparse');
      expect(l.encoding).toMatch(/^sparse \(\d+-bit gaps\), \d+-entry codebook/);
      expect(l.bytes.indices).toBeGreaterThan(0);
      expect(l.levels.source).toBe('codebook');
      expect(new Set(l.levels.values)).toEqual(new Set(Array.from(w).filter((x) => x !== 0)));
      // Every data byte of the layer's tensors is in one part.
      const data = info.tensors.filter((t) => t.name.startsWith(`${l.name}.`)).reduce((a, t) => a + t.byteLength, 0);
      expect(l.bytes.values + l.bytes.indices + l.bytes.codebooks + l.bytes.scales).toBe(data);
    }
    expect(sum(p.layers.map((l) => l.bytes.total)) + p.fileHeader).toBe(file.length);
  });

  it('ternary per tensor: levels are −α, 0, +α with α the file’s side table, and two bins hold every non-zero', () => {
    const v = stored(quantize(lenet5, { mode: 'ternary', granularity: 'tensor' }));
    const file = serializeModel(v);
    const p = modelPictures(v);
    for (const l of p.layers) {
      const alpha = new Float32Array(tensorBytes(file, `${l.name}.weight`).slice(0, 4).buffer)[0];
      expect(l.levels.values).toEqual([-alpha, 0, alpha]);
      expect(l.levels.spread).toEqual([alpha, alpha]);
      expect(l.histogram.counts.filter((c) => c > 0)).toHaveLength(2);
      expect(l.histogram.counts[0] + l.histogram.counts[HISTOGRAM_BINS - 1]).toBe(nonZeros(v.weights[`${l.name}.weight`]));
      expect(l.bytes.scales).toBe(4);
    }
  });
});

describe('pictures of the bundled separable LeNet-5 and of a hashed LeNet-300-100', () => {
  it('depthwise layers: one mask tile per channel, and the first depthwise kernels are the filter images (pointwise has none)', async () => {
    const base = parseModel(readFileSync('models/lenet5-separable.safetensors'), 'lenet5-separable.safetensors');
    const { model } = await runPipeline(base, 'prune:sparsity=0.6');
    const v = stored(model);
    const p = modelPictures(v);
    const dw = p.layers.find((l) => l.kind === 'depthwiseConv2d')!;
    const w = v.weights[`${dw.name}.weight`];
    const [kh, kw, ch] = dw.shape;
    expect(dw.mask).toMatchObject({ kind: 'filters', filters: ch, kh, kw, channels: 1 });
    expect(sum(dw.mask.kept)).toBe(nonZeros(w));
    expect(p.firstConv).toMatchObject({ layer: 'conv1_dw', filters: ch, kh: 5, kw: 5, channels: 1 });
    expect(p.firstConv!.zeros).toBe(w.length - nonZeros(w));
    // Pixel (channel f, position q) is w[q · ch + f] ÷ max |w|.
    const scale = maxAbs(w);
    for (let f = 0; f < ch; f++) for (let q = 0; q < kh * kw; q += 7) expect(p.firstConv!.pixels[f * kh * kw + q]).toBeCloseTo(w[q * ch + f] / scale, 12);
    for (const l of p.layers) expect(l.histogram.zeros).toBe(Math.round(0.6 * l.histogram.total));
  });

  it('hashing: the levels are the shared values, at most k of them, and only those bytes are stored', async () => {
    const base = parseModel(readFileSync('models/lenet-300-100.safetensors'), 'lenet-300-100.safetensors');
    const { model } = await runPipeline(base, 'hash:ratio=64');
    const v = stored(model);
    const p = modelPictures(v);
    for (const l of p.layers) {
      const enc = v.encodings![`${l.name}.weight`];
      expect(enc.kind).toBe('hashed');
      const k = enc.kind === 'hashed' ? enc.k : 0;
      expect(l.levels.source).toBe('hashed');
      expect(l.levels.perGroup).toBe(k);
      expect(l.levels.values.length).toBeLessThanOrEqual(k);
      expect(new Set(l.levels.values)).toEqual(new Set(v.weights[`${l.name}.weight`]));
      expect(l.bytes.codebooks).toBe(4 * k);
      expect(l.bytes.indices).toBe(0);
    }
  });
});
