/**
 * Huffman coding (Deep Compression §4): the quantized values / codebook
 * indices and the sparse gaps are far from uniform, so a canonical Huffman
 * code shrinks them further, losslessly. The coding is real (encode and
 * decode, in src/model/codecs.ts); each tensor's table costs one byte per
 * alphabet symbol (the code lengths; canonical codes are rebuilt from them).
 */
import type { Model, TensorEncoding } from '../model/model.ts';
import { encodedByteLength, fitEncoding } from '../model/codecs.ts';
import type { OptionField } from './common.ts';
import { cloneModel, recordStep, setEncoding, weightTensors } from './common.ts';

export { huffmanEncode, huffmanDecode, huffmanLengths, canonicalCodes } from '../model/codecs.ts';

export const label = 'Huffman coding';

export interface Options {
  /** 'smaller': keep a tensor's packed form when Huffman (with its table) would not be smaller. */
  when: 'smaller' | 'always';
  layers: string[];
}

export const defaultOptions: Options = { when: 'smaller', layers: [] };

export const schema: readonly OptionField[] = [
  { name: 'when', type: 'enum', values: ['smaller', 'always'], description: 'code a tensor only when it gets smaller, or always' },
  { name: 'layers', type: 'list', description: 'layers (default: all weighted layers)' },
];

/** The Huffman-coded form of an encoding, or null when its values are not symbols (fp32, fp16, hashed). */
export function huffmanFormOf(enc: TensorEncoding): TensorEncoding | null {
  switch (enc.kind) {
    case 'linear':
    case 'codebook':
    case 'ternary':
    case 'binary':
      return { kind: 'huffman', of: enc, payloadBytes: 0 };
    case 'sparse':
      return { ...enc, huffman: true };
    case 'huffman':
      return enc;
    default:
      return null;
  }
}

/** Huffman-codes every selected tensor whose values are symbols (linear, codebook, ternary, binary, sparse). */
export function huffman(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  const out = cloneModel(model);
  for (const t of weightTensors(out, o.layers)) {
    const w = out.weights[t.name];
    const cur = fitEncoding(w, t.shape, out.encodings?.[t.name] ?? { kind: 'fp32' });
    const form = huffmanFormOf(cur);
    if (!form) continue;
    const coded = fitEncoding(w, t.shape, form);
    if (o.when === 'always' || encodedByteLength(t.shape, coded) < encodedByteLength(t.shape, cur)) setEncoding(out, t.name, coded);
  }
  recordStep(out, 'huffman', o);
  return out;
}
