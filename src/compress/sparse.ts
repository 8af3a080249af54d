/**
 * Sparse storage of pruned tensors (Deep Compression §3, Fig. 2): only the
 * non-zero values are stored, each with its distance from the previous one
 * in `gapBits` bits (relative indexing); a gap longer than 2^gapBits is
 * bridged by filler entries of value 0. The stored values keep the tensor's
 * encoding (fp32, fp16, per-tensor linear or codebook indices). The bytes
 * are exact: see the 'sparse' codec in src/model/codecs/sparse.ts.
 */
import type { Model, SparseEncoding, TensorEncoding } from '../model/model.ts';
import { encodedByteLength, fitEncoding } from '../model/codecs.ts';
import type { OptionField } from './common.ts';
import { checkInt, cloneModel, recordStep, setEncoding, weightTensors } from './common.ts';

export const label = 'Sparse storage (relative indices)';

export interface Options {
  /** Gap bits of dense layers (Deep Compression: 5 for fc). */
  gapBits: number;
  /** Gap bits of conv layers (Deep Compression: 8). */
  convGapBits: number;
  /** 'smaller': store sparse only where it saves bytes; 'always': every tensor that has zeros. */
  when: 'smaller' | 'always';
  layers: string[];
}

export const defaultOptions: Options = { gapBits: 5, convGapBits: 8, when: 'smaller', layers: [] };

export const schema: readonly OptionField[] = [
  { name: 'gapBits', type: 'integer', min: 1, max: 16, description: 'bits per relative index in dense layers' },
  { name: 'convGapBits', type: 'integer', min: 1, max: 16, description: 'bits per relative index in conv layers' },
  { name: 'when', type: 'enum', values: ['smaller', 'always'], description: 'store sparse only where it is smaller, or always' },
  { name: 'layers', type: 'list', description: 'layers (default: all weighted layers)' },
];

/** What a sparse tensor's stored values can be, from its current dense encoding; null when it cannot. */
export function sparseValueEncoding(enc: TensorEncoding): { of: SparseEncoding['of']; huffman: boolean } | null {
  switch (enc.kind) {
    case 'fp32':
    case 'fp16':
    case 'codebook':
      return { of: enc, huffman: false };
    case 'linear':
      return enc.axis === null ? { of: enc, huffman: false } : null;
    case 'huffman': {
      const inner = sparseValueEncoding(enc.of);
      return inner ? { of: inner.of, huffman: true } : null;
    }
    case 'sparse':
      return { of: enc.of, huffman: enc.huffman };
    default:
      return null; // ternary, binary (already ≤ 2 bits, no position stream helps) and hashed (nothing per weight)
  }
}

/**
 * Stores each selected tensor that has zeros sparsely. Tensors whose
 * encoding cannot be stored sparsely (per-channel linear, ternary, binary,
 * hashed) are left as they are.
 */
export function sparsify(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  checkInt('sparse: gapBits', o.gapBits, 1, 16);
  checkInt('sparse: convGapBits', o.convGapBits, 1, 16);
  const out = cloneModel(model);
  for (const t of weightTensors(out, o.layers)) {
    const w = out.weights[t.name];
    if (!w.some((v) => v === 0)) continue;
    const cur = fitEncoding(w, t.shape, out.encodings?.[t.name] ?? { kind: 'fp32' });
    const v = sparseValueEncoding(cur);
    if (!v) continue;
    const gapBits = t.layer.kind === 'dense' ? o.gapBits : o.convGapBits;
    const sparse = fitEncoding(w, t.shape, { kind: 'sparse', gapBits, of: v.of, huffman: v.huffman, entries: 0, valueBytes: 0, gapBytes: 0 });
    if (o.when === 'always' || cur.kind === 'sparse' || encodedByteLength(t.shape, sparse) < encodedByteLength(t.shape, cur)) setEncoding(out, t.name, sparse);
  }
  recordStep(out, 'sparse', o);
  return out;
}
