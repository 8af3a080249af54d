import { describe, expect, it } from 'vitest';
import { accountModel, estimatedSeconds, relations } from './accounting.ts';
import { architecture, ARCHITECTURES } from './architectures.ts';
import type { Architecture } from './layers.ts';
import { convGeometry, inferShapes, ShapeError } from './shapes.ts';
import { codebookBytes, denseSizeTable, huffmanBytes, huffmanCodeLengths, linearBytes, packedBytes, relativeIndexEntries, sparseBytes } from './size.ts';
import { estimateEnergy, HOROWITZ_45NM_PJ } from './energy.ts';

/** The article's "Numerical 1": 25×25×9 input, 64 kernels of 7×7×9, output 19×19×64. */
const numerical1: Architecture = {
  name: 'numerical-1',
  inputShape: [25, 25, 9],
  layers: [{ kind: 'conv2d', name: 'conv', filters: 64, kernel: [7, 7], stride: [1, 1], padding: 'valid', bias: false }],
};

describe("the article's Numerical 1", () => {
  const acc = accountModel(numerical1);
  it('has the output shape 19×19×64', () => {
    expect(acc.layers[0].outputShape).toEqual([19, 19, 64]);
  });
  it('MACs and FLOPs match the article (it is right here)', () => {
    // 64 × 7 × 7 × 9 × 19 × 19 = 3136 × 9 × 361 = 28224 × 361 = 10,188,864
    expect(acc.total.macs).toBe(10_188_864);
    expect(acc.total.flops).toBe(20_377_728);
  });
  it('inference time at 4 TFLOP/s is 5.09 µs, not the article’s 0.509 ms', () => {
    // 20,377,728 / 4e12 = 5.094432e-6 s. The article divides by 4×10^9 (giga,
    // not tera) and then also slips a decimal: 20,377,728 / 4e9 = 5.09e-3, not 0.509e-3.
    expect(estimatedSeconds(acc.total.flops, 4e12)).toBeCloseTo(5.094432e-6, 15);
    const articleValue = 0.5094432e-3;
    expect(estimatedSeconds(acc.total.flops, 4e9)).not.toBeCloseTo(articleValue, 6);
    expect(estimatedSeconds(acc.total.flops, 4e9)).toBeCloseTo(5.094432e-3, 12);
  });
});

describe("the article's Numerical 2 (article-net)", () => {
  const acc = accountModel(architecture('article-net'));
  const byName = Object.fromEntries(acc.layers.map((l) => [l.name, l]));
  it('has the article’s shapes', () => {
    expect(byName.conv1.outputShape).toEqual([26, 26, 5]);
    expect(byName.pool1.outputShape).toEqual([13, 13, 5]);
    expect(byName.conv2.outputShape).toEqual([11, 11, 5]);
    // floor((11 − 2) / 2) + 1 = 5: the article's 5×5×5 is right.
    expect(byName.pool2.outputShape).toEqual([5, 5, 5]);
    expect(byName.flatten.outputShape).toEqual([125]);
  });
  it('conv1: 60,840 FLOPs (the article writes 3×2 for the 3×3 window but gets the right value)', () => {
    // 2 × 5 kernels × 3 × 3 × depth 1 × 26 × 26 = 90 × 676 = 60,840
    expect(byName.conv1.flops).toBe(60_840);
  });
  it('pool1: 3,380 FLOPs', () => {
    // 13 × 13 × 5 outputs × 2 × 2 window = 845 × 4 = 3,380
    expect(byName.pool1.flops).toBe(3_380);
  });
  it('conv2: 54,450 FLOPs, not the article’s 108,900 (its input depth is 5, not 10)', () => {
    // 2 × 5 × 3 × 3 × 5 × 11 × 11 = 450 × 121 = 54,450
    expect(byName.conv2.flops).toBe(54_450);
  });
  it('pool2: 500 FLOPs, not the article’s 2,420 (it multiplied the 11×11 input, not the 5×5 output)', () => {
    // 5 × 5 × 5 outputs × 4 = 500
    expect(byName.pool2.flops).toBe(500);
  });
  it('fc1 32,000 and fc2 2,560 FLOPs (the article is right)', () => {
    expect(byName.fc1.flops).toBe(32_000);
    expect(byName.fc2.flops).toBe(2_560);
  });
  it('totals 153,730 FLOPs, not the article’s 210,100', () => {
    // 60,840 + 3,380 + 54,450 + 500 + 32,000 + 2,560 = 153,730
    expect(acc.total.flops).toBe(153_730);
    // The article's own sum of its (partly wrong) terms is right: 210,100.
    expect(60_840 + 3_380 + 108_900 + 2_420 + 32_000 + 2_560).toBe(210_100);
  });
  it('ReLUs and flatten add no FLOPs (the article counts none)', () => {
    for (const l of acc.layers) if (l.kind === 'relu' || l.kind === 'flatten') expect(l.flops).toBe(0);
  });
  it('parameters: 50 + 230 + 16,128 + 1,290 = 17,698', () => {
    // conv1 5×3×3×1 + 5; conv2 5×3×3×5 + 5; fc1 125×128 + 128; fc2 128×10 + 10
    expect(acc.total.params).toBe(50 + 230 + 16_128 + 1_290);
  });
});

describe('LeNet-5 and LeNet-300-100', () => {
  it('LeNet-5 has 431,080 parameters (Deep Compression’s 431K) and 4,600,720 FLOPs', () => {
    const acc = accountModel(architecture('lenet5'));
    expect(acc.total.params).toBe(431_080);
    // conv1 576,000 + pool1 11,520 + conv2 3,200,000 + pool2 3,200 + fc1 800,000 + fc2 10,000
    expect(acc.layers.map((l) => l.flops)).toEqual([576_000, 11_520, 3_200_000, 3_200, 0, 800_000, 0, 10_000]);
    expect(acc.total.flops).toBe(4_600_720);
    expect(acc.total.macs).toBe(288_000 + 1_600_000 + 400_000 + 5_000);
  });
  it('LeNet-300-100 has 266,610 parameters', () => {
    const acc = accountModel(architecture('lenet-300-100'));
    expect(acc.total.params).toBe(266_610);
    expect(acc.total.flops).toBe(2 * 266_200);
  });
  it('the separable LeNet-5 needs far fewer conv FLOPs', () => {
    const sep = accountModel(architecture('lenet5-separable'));
    const convFlops = (a: typeof sep) => a.layers.filter((l) => l.kind === 'conv2d' || l.kind === 'depthwiseConv2d').reduce((s, l) => s + l.flops, 0);
    // dw1 2×25×1×24×24 = 28,800; pw1 2×20×1×24×24 = 23,040; dw2 2×25×20×8×8 = 64,000; pw2 2×50×20×8×8 = 128,000
    expect(convFlops(sep)).toBe(28_800 + 23_040 + 64_000 + 128_000);
    expect(convFlops(accountModel(architecture('lenet5'))) / convFlops(sep)).toBeGreaterThan(3);
  });
  it('the docs/flops.md table of built-in networks', () => {
    const row = (n: string) => {
      const t = accountModel(architecture(n)).total;
      return [t.params, t.macs, t.flops];
    };
    expect(row('article-net')).toEqual([17_698, 74_925, 153_730]);
    // dw1 25+1, pw1 20+20, dw2 25×20+20, pw2 20×50+50, fc1 400,500, fc2 5,010
    expect(row('lenet5-separable')).toEqual([26 + 40 + 520 + 1_050 + 400_500 + 5_010, 526_920, 1_068_560]);
    expect(row('lenet-300-100')).toEqual([266_610, 266_200, 532_400]);
  });
  it('every built-in architecture infers shapes and ends at 10 logits', () => {
    for (const name of Object.keys(ARCHITECTURES)) {
      const shapes = inferShapes(architecture(name));
      expect(shapes.at(-1)!.output).toEqual([10]);
    }
  });
  it('activation memory: peak is the largest input+output pair', () => {
    const acc = accountModel(architecture('lenet5'));
    // conv1 output 24×24×20 = 11,520 floats in, pool1 output 12×12×20 = 2,880 out (> 784 + 11,520)
    expect(acc.total.peakActivationBytes).toBe((11_520 + 2_880) * 4);
  });
});

describe('shape errors name the layer and the mismatch', () => {
  it('dense on a spatial input', () => {
    const a = architecture('lenet5');
    a.layers = a.layers.filter((l) => l.kind !== 'flatten');
    expect(() => inferShapes(a)).toThrow(ShapeError);
    expect(() => inferShapes(a)).toThrow(/layer 'fc1' \(dense\) needs a flat input, got \[4, 4, 50\]/);
  });
  it('kernel larger than its input', () => {
    const a: Architecture = {
      name: 't',
      inputShape: [4, 4, 1],
      layers: [{ kind: 'conv2d', name: 'big', filters: 2, kernel: [5, 5], stride: [1, 1], padding: 'valid', bias: true }],
    };
    expect(() => inferShapes(a)).toThrow(/layer 'big' \(conv2d\): kernel 5×5 is larger than its 4×4 input/);
  });
  it('duplicate names and unknown kinds', () => {
    const a = architecture('lenet-300-100');
    a.layers[2] = { ...a.layers[2], name: 'fc1' };
    expect(() => inferShapes(a)).toThrow(/two layers are named 'fc1'/);
    const b = architecture('lenet-300-100');
    (b.layers[1] as { kind: string }).kind = 'lstm';
    expect(() => inferShapes(b)).toThrow(/unknown kind "lstm"/);
  });
  it('convGeometry: same padding puts the odd pixel after; dense is a 1×1 conv of a 1×1 image', () => {
    const a: Architecture = {
      name: 't',
      inputShape: [7, 5, 3],
      layers: [{ kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true }],
    };
    const [ls] = inferShapes(a);
    // out 4×3; rows: total pad (4−1)·2 + 3 − 7 = 2 → 1 before; cols: (3−1)·2 + 3 − 5 = 2 → 1 before
    expect(convGeometry(ls.layer, ls.input, ls.output)).toEqual({ h: 7, w: 5, c: 3, oh: 4, ow: 3, kh: 3, kw: 3, sh: 2, sw: 2, padT: 1, padL: 1 });
    expect(convGeometry({ kind: 'dense', name: 'd', units: 10, bias: true }, [800], [10])).toMatchObject({ h: 1, w: 1, c: 800, padT: 0 });
    expect(() => convGeometry({ kind: 'relu', name: 'r' }, [3], [3])).toThrow(/'r' \(relu\) is not a convolution/);
  });
  it('same padding keeps ceil(in / stride)', () => {
    const a: Architecture = {
      name: 't',
      inputShape: [7, 5, 3],
      layers: [{ kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true }],
    };
    expect(inferShapes(a)[0].output).toEqual([4, 3, 4]);
  });
});

describe('time and relations', () => {
  it('throughput = 1 / latency, latency = batch / throughput', () => {
    expect(relations.throughputFromLatency(0.004)).toBeCloseTo(250, 9);
    expect(relations.latencyFromThroughput(64, 1600)).toBeCloseTo(0.04, 12);
  });
  it('rejects a non-positive hardware speed', () => {
    expect(() => estimatedSeconds(1, 0)).toThrow(/positive/);
  });
});

describe('stored size under every encoding', () => {
  it('packs n-bit values densely (the article’s INT11)', () => {
    expect(packedBytes(8, 11)).toBe(11);
    expect(packedBytes(9, 11)).toBe(13); // 99 bits → 13 bytes
    expect(linearBytes(1000, 8, 10, true)).toBe(1000 + 10 * 5);
  });
  it('fp32/fp16/int8 table for LeNet-5', () => {
    const rows = Object.fromEntries(denseSizeTable(architecture('lenet5')).map((r) => [r.encoding, r]));
    expect(rows.fp32.bytes).toBe(1_724_320);
    expect(rows.fp16.bytes).toBe(862_160);
    // weights 430,500 bytes + 580 channel scales (20 + 50 + 500 + 10) × 4 + 580 biases × 4
    expect(rows.int8.bytes).toBe(430_500 + 580 * 4 + 580 * 4);
    expect(rows.int11.bytes).toBe(Math.ceil((430_500 * 11) / 8) + 580 * 4 + 580 * 4);
  });
  it('codebook: k fp32 centroids plus ceil(log2 k)-bit indices', () => {
    expect(codebookBytes(1000, 32)).toEqual({ values: 625, codebook: 128, total: 753 });
    expect(codebookBytes(10, 3).values).toBe(3); // 2 bits × 10 = 20 bits → 3 bytes
  });
  it('relative sparse index inserts filler entries for long gaps (Deep Compression)', () => {
    const mask = new Array(30).fill(0);
    mask[0] = 1;
    mask[20] = 1;
    // 3-bit gaps cover 1…8. Position 0: gap 1. Position 20: gap 20 = 8 + 8 + 4 → two fillers.
    const r = relativeIndexEntries(mask, 3);
    expect(r).toEqual({ nonZeros: 2, fillers: 2, entries: 4, gaps: [1, 8, 8, 4] });
    // 4 entries × (5 value bits + 3 index bits) = 4 + 2 bytes
    expect(sparseBytes(mask, 5, 3)).toEqual({ values: 3, indices: 2, total: 5, entries: 4 });
  });
  it('Huffman code lengths and exact bytes on a textbook case', () => {
    // Frequencies a5 b9 c12 d13 e16 f45: f gets 1 bit, c d e 3 bits, a b 4 bits.
    expect(huffmanCodeLengths([5, 9, 12, 13, 16, 45])).toEqual([4, 4, 3, 3, 3, 1]);
    // 45×1 + (12+13+16)×3 + (5+9)×4 = 45 + 123 + 56 = 224 bits = 28 bytes; table 6 bytes.
    expect(huffmanBytes([5, 9, 12, 13, 16, 45])).toEqual({ payloadBits: 224, payload: 28, table: 6, total: 34 });
    expect(huffmanCodeLengths([0, 7, 0])).toEqual([0, 1, 0]);
  });
});

describe('energy estimate', () => {
  it('counts MACs, DRAM weight reads and SRAM activation traffic from the Horowitz table', () => {
    const acc = accountModel(numerical1);
    const e = estimateEnergy(acc, { precision: 'fp32', weightBytes: 64 * 7 * 7 * 9 * 4 });
    expect(e.estimate).toBe(true);
    expect(e.computePJ).toBeCloseTo(10_188_864 * (3.7 + 0.9), 3);
    expect(e.weightTrafficPJ).toBeCloseTo(64 * 7 * 7 * 9 * HOROWITZ_45NM_PJ.dram32, 6);
    expect(e.activationTrafficPJ).toBeCloseTo((25 * 25 * 9 + 19 * 19 * 64) * 5, 6);
    const int8 = estimateEnergy(acc, { precision: 'int8', weightBytes: 64 * 7 * 7 * 9 });
    expect(int8.computePJ).toBeCloseTo(10_188_864 * (0.2 + 0.1), 3);
    expect(int8.totalPJ).toBeLessThan(e.totalPJ / 5);
  });
});
