/**
 * Stored size of tensors and models under every encoding the lab has. All
 * results are exact byte counts of what would be written, with every side
 * table counted (scales, zero points, codebooks, index streams, Huffman
 * tables), following Deep Compression's accounting.
 *
 * Side-table conventions (docs/flops.md, "Model size"):
 * - a scale is an fp32 (4 bytes); a zero point is stored in the same width
 *   as the values, rounded up to whole bytes;
 * - a codebook entry is an fp32 centroid (4 bytes);
 * - a canonical Huffman table is one byte (the code length) per symbol of
 *   the alphabet: canonical codes are rebuilt from lengths alone;
 * - bit streams are padded to a whole byte once per tensor.
 */
import type { Architecture } from './layers.ts';
import { inferShapes, sizeOf } from './shapes.ts';

/** Bytes of `count` values of `bits` each, packed densely and padded to a byte. */
export function packedBytes(count: number, bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new Error(`bit width must be an integer from 1 to 32, got ${bits}`);
  return Math.ceil((count * bits) / 8);
}

/** Quantization parameters cost: one scale (+ zero point if asymmetric) per group. */
export function quantParamBytes(groups: number, bits: number, asymmetric: boolean): number {
  return groups * (4 + (asymmetric ? Math.ceil(bits / 8) : 0));
}

/** Linear n-bit tensor: packed values plus per-tensor or per-channel parameters. */
export function linearBytes(count: number, bits: number, groups = 1, asymmetric = false): number {
  return packedBytes(count, bits) + quantParamBytes(groups, bits, asymmetric);
}

/** Bits needed to index `k` distinct things (at least 1). */
export function indexBits(k: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(k, 1))));
}

/** Codebook (weight sharing): k fp32 centroids + one ceil(log2 k)-bit index per stored weight. */
export function codebookBytes(count: number, k: number): { values: number; codebook: number; total: number } {
  const values = packedBytes(count, indexBits(k));
  const codebook = 4 * k;
  return { values, codebook, total: values + codebook };
}

/**
 * Sparse storage with relative indices (Deep Compression §3): each non-zero
 * stores the gap to the previous one in `gapBits` bits. A gap d ≥ 1 is stored
 * as d − 1, so gaps 1 … 2^gapBits fit; a longer gap is bridged by filler
 * entries (a zero value with the maximum gap), ceil(d / 2^gapBits) − 1 of them.
 * The first gap is measured from position −1.
 */
export function relativeIndexEntries(
  mask: ArrayLike<boolean | number>,
  gapBits: number,
): { nonZeros: number; fillers: number; entries: number; gaps: number[] } {
  const span = 2 ** gapBits;
  let prev = -1;
  let nonZeros = 0;
  let fillers = 0;
  const gaps: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    let d = i - prev;
    while (d > span) {
      gaps.push(span);
      fillers++;
      d -= span;
    }
    gaps.push(d);
    nonZeros++;
    prev = i;
  }
  return { nonZeros, fillers, entries: nonZeros + fillers, gaps };
}

/** Bytes of a sparse tensor: (values + gap index) per stored entry, fillers included. */
export function sparseBytes(
  mask: ArrayLike<boolean | number>,
  valueBits: number,
  gapBits: number,
): { values: number; indices: number; total: number; entries: number } {
  const { entries } = relativeIndexEntries(mask, gapBits);
  const values = packedBytes(entries, valueBits);
  const indices = packedBytes(entries, gapBits);
  return { values, indices, total: values + indices, entries };
}

/**
 * Huffman code lengths for symbol frequencies (index = symbol). Symbols with
 * frequency 0 get length 0 (absent). A single present symbol gets length 1.
 * Ties are broken by symbol index so the result is deterministic.
 */
export function huffmanCodeLengths(freqs: ArrayLike<number>): number[] {
  const lengths = new Array<number>(freqs.length).fill(0);
  type Node = { w: number; order: number; symbols: number[] };
  let nodes: Node[] = [];
  for (let s = 0; s < freqs.length; s++) {
    const f = freqs[s];
    if (!(f >= 0) || !Number.isFinite(f)) throw new Error(`Huffman frequency of symbol ${s} must be a finite number ≥ 0, got ${f}`);
    if (f > 0) nodes.push({ w: f, order: s, symbols: [s] });
  }
  if (nodes.length === 1) {
    lengths[nodes[0].symbols[0]] = 1;
    return lengths;
  }
  let order = freqs.length;
  // O(k² ) merging is fine: alphabets here are at most a few thousand symbols.
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.w - b.w || a.order - b.order);
    const [a, b] = nodes;
    for (const s of a.symbols) lengths[s]++;
    for (const s of b.symbols) lengths[s]++;
    nodes = [{ w: a.w + b.w, order: order++, symbols: a.symbols.concat(b.symbols) }, ...nodes.slice(2)];
  }
  return lengths;
}

/** Exact Huffman-coded size of a symbol stream given its frequencies: payload bits, table bytes, total bytes. */
export function huffmanBytes(freqs: ArrayLike<number>): { payloadBits: number; payload: number; table: number; total: number } {
  const lengths = huffmanCodeLengths(freqs);
  let payloadBits = 0;
  for (let s = 0; s < lengths.length; s++) payloadBits += lengths[s] * freqs[s];
  const payload = Math.ceil(payloadBits / 8);
  const table = freqs.length; // one code-length byte per alphabet symbol (canonical Huffman)
  return { payloadBits, payload, table, total: payload + table };
}

/** Symbol frequencies of a stream of small non-negative integers. */
export function frequencies(symbols: ArrayLike<number>, alphabet: number): number[] {
  const f = new Array<number>(alphabet).fill(0);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!Number.isInteger(s) || s < 0 || s >= alphabet) throw new Error(`symbol ${s} at ${i} is outside the alphabet 0…${alphabet - 1}`);
    f[s]++;
  }
  return f;
}

export interface SizeRow {
  encoding: string;
  bytes: number;
  /** fp32 bytes / these bytes. */
  ratio: number;
  note: string;
}

/**
 * Sizes of a dense (unpruned) model under the weight-only encodings that need
 * no knowledge of the values: fp32, fp16, int8 per channel, and n-bit packed.
 * Biases stay fp32 in the quantized rows (as TFLite and Deep Compression keep
 * them wide; they are < 1 % of the bytes). Encodings that depend on the values
 * (sparse, codebook, Huffman) are computed from a model's tensors.
 */
export function denseSizeTable(arch: Architecture, extraBits: number[] = [11, 4, 2]): SizeRow[] {
  let weights = 0;
  let biases = 0;
  let channels = 0;
  for (const ls of inferShapes(arch)) {
    for (const [name, shape] of Object.entries(ls.weights)) {
      if (name.endsWith('.bias')) biases += sizeOf(shape);
      else {
        weights += sizeOf(shape);
        channels += ls.layer.kind === 'depthwiseConv2d' ? shape[2] : shape[0];
      }
    }
  }
  const fp32 = 4 * (weights + biases);
  const row = (encoding: string, bytes: number, note: string): SizeRow => ({ encoding, bytes, ratio: fp32 / bytes, note });
  const rows = [
    row('fp32', fp32, '4 bytes per parameter'),
    row('fp16', 2 * (weights + biases), '2 bytes per parameter'),
    row('int8', linearBytes(weights, 8, channels) + 4 * biases, 'per-channel symmetric scales; fp32 biases'),
  ];
  for (const b of extraBits) {
    rows.push(row(`int${b}`, linearBytes(weights, b, channels) + 4 * biases, `${b}-bit packed, per-channel scales; fp32 biases`));
  }
  return rows;
}
