/** Canonical Huffman coding of small-alphabet symbols: code lengths, codes, encoder and decoder. */
import { BitReader, BitWriter } from './bits.ts';
import { CodecError } from './core.ts';

/** Longest code the lab writes: code lengths are stored in one byte each. */
export const MAX_HUFFMAN_LENGTH = 255;

/**
 * Huffman code lengths (Huffman 1952) for symbol frequencies, index =
 * symbol; absent symbols (frequency 0) get 0, a lone present symbol gets 1.
 * A binary heap keeps this O(n log n) for 16-bit alphabets; ties are broken
 * by creation order so the result is deterministic (the decoder needs only
 * the lengths, so any optimal tie-breaking is as good).
 */
export function huffmanLengths(freqs: ArrayLike<number>): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const weight: number[] = [];
  const parent: number[] = [];
  const heap: number[] = [];
  const less = (a: number, b: number): boolean => weight[a] < weight[b] || (weight[a] === weight[b] && a < b);
  const push = (node: number): void => {
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const leafOf: number[] = [];
  for (let s = 0; s < n; s++) {
    const f = freqs[s];
    if (!(f >= 0) || !Number.isFinite(f)) throw new CodecError(`Huffman frequency of symbol ${s} must be a finite number ≥ 0, got ${f}`);
    if (f > 0) {
      leafOf[s] = weight.length;
      weight.push(f);
      parent.push(-1);
      push(leafOf[s]);
    }
  }
  const leaves = weight.length;
  if (leaves === 0) return lengths;
  if (leaves === 1) {
    for (let s = 0; s < n; s++) if (freqs[s] > 0) lengths[s] = 1;
    return lengths;
  }
  while (heap.length > 1) {
    const a = pop();
    const b = pop();
    const node = weight.length;
    weight.push(weight[a] + weight[b]);
    parent.push(-1);
    parent[a] = node;
    parent[b] = node;
    push(node);
  }
  // Depth of every node: parents are created after their children, so one backward sweep suffices.
  const depth = new Array<number>(weight.length).fill(0);
  for (let i = weight.length - 2; i >= 0; i--) depth[i] = depth[parent[i]] + 1;
  for (let s = 0; s < n; s++) {
    if (!(freqs[s] > 0)) continue;
    const d = depth[leafOf[s]];
    if (d > MAX_HUFFMAN_LENGTH) throw new CodecError(`Huffman code of symbol ${s} would be ${d} bits long (limit ${MAX_HUFFMAN_LENGTH})`);
    lengths[s] = d;
  }
  return lengths;
}

/**
 * Canonical codes from code lengths (as deflate, RFC 1951 §3.2.2): shorter
 * codes first, symbols in order within a length. Codes are plain numbers
 * (not 32-bit ints) so lengths beyond 31 stay exact. Throws CodecError when
 * the lengths over-subscribe the code space.
 */
export function canonicalCodes(lengths: ArrayLike<number>): number[] {
  let max = 0;
  for (let s = 0; s < lengths.length; s++) max = Math.max(max, lengths[s]);
  const count = new Array<number>(max + 1).fill(0);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) count[lengths[s]]++;
  let left = 1;
  for (let len = 1; len <= max; len++) {
    left = left * 2 - count[len];
    if (left < 0) throw new CodecError(`Huffman code lengths over-subscribe the code space at length ${len}`);
  }
  const next = new Array<number>(max + 2).fill(0);
  let code = 0;
  for (let len = 1; len <= max; len++) {
    code = (code + count[len - 1]) * 2;
    next[len] = code;
  }
  count[0] = 0;
  const codes = new Array<number>(lengths.length).fill(0);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (len > 0) codes[s] = next[len]++;
  }
  return codes;
}

/** Frequencies of the symbols 0 … alphabet−1 in `symbols`; throws CodecError on one outside. */
function symbolFrequencies(symbols: ArrayLike<number>, alphabet: number): number[] {
  const f = new Array<number>(alphabet).fill(0);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(s >= 0 && s < alphabet)) throw new CodecError(`symbol ${s} at ${i} is outside the alphabet 0…${alphabet - 1}`);
    f[s]++;
  }
  return f;
}

/**
 * Huffman-codes a symbol stream: the table (one code-length byte per
 * alphabet symbol) and the payload (the codes, zero-padded to a byte).
 */
export function huffmanEncode(symbols: ArrayLike<number>, alphabet: number): { table: Uint8Array; payload: Uint8Array } {
  const table = huffmanLengths(symbolFrequencies(symbols, alphabet));
  const codes = canonicalCodes(table);
  const w = new BitWriter();
  for (let i = 0; i < symbols.length; i++) w.code(codes[symbols[i]], table[symbols[i]]);
  return { table, payload: w.finish() };
}

/** Decoder of one canonical code (the counting method of zlib's puff.c). */
class HuffmanDecoder {
  private readonly count: number[];
  private readonly sorted: number[];
  constructor(lengths: Uint8Array) {
    canonicalCodes(lengths); // refuses over-subscribed tables
    let max = 0;
    for (const l of lengths) max = Math.max(max, l);
    this.count = new Array<number>(max + 1).fill(0);
    for (const l of lengths) if (l > 0) this.count[l]++;
    this.sorted = [];
    for (let len = 1; len <= max; len++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) this.sorted.push(s);
  }

  decode(r: BitReader): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < this.count.length; len++) {
      code += r.bit();
      const c = this.count[len];
      if (code - first < c) return this.sorted[index + code - first];
      index += c;
      first = (first + c) * 2;
      code *= 2;
    }
    throw new CodecError('Huffman payload holds a code that its table does not assign');
  }
}

/** Decodes `count` symbols; the payload must end exactly after them (zero padding). */
export function huffmanDecode(table: Uint8Array, payload: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  const r = new BitReader(payload);
  if (count > 0) {
    const d = new HuffmanDecoder(table);
    for (let i = 0; i < count; i++) out[i] = d.decode(r);
  }
  r.finish('Huffman payload');
  return out;
}
