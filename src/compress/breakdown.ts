/**
 * Exact size accounting of a model file, byte for byte: the model is
 * serialized for real and every byte of the file is attributed to one role.
 *
 * - values: per-weight payload (fp32/fp16 values, quantized integers,
 *   codebook indices, ternary/binary codes; Huffman payloads of those);
 * - indices: sparse relative-index (gap) streams;
 * - codebooks: k-means centroids, hashed shared values, Huffman code tables;
 * - scales: fp32 scales in the data (ternary/binary) plus the exact header
 *   text taken by linear scales and zero points;
 * - metadata: the rest of the file: the 8-byte length prefix and the JSON
 *   header (architecture, encodings, provenance, tensor offsets, padding).
 *
 * Biases count under `values` with their encoding (fp32 by default).
 */
import type { Model, TensorEncoding } from '../model/model.ts';
import { describeEncoding, encodingParts, fitEncoding } from '../model/codecs.ts';
import { describeModelFile, serializeModel } from '../model/format.ts';
import { weightShapes } from '../model/shapes.ts';
import { cloneModel } from './common.ts';

/** One tensor's bytes by role. */
export interface TensorBreakdown {
  name: string;
  encoding: string;
  elements: number;
  values: number;
  indices: number;
  codebooks: number;
  scales: number;
  /** Data bytes in the file (values + indices + codebooks + data scales). */
  bytes: number;
}

/** The whole file's bytes by role; the five parts sum to `total`, the file length. */
export interface SizeBreakdown {
  values: number;
  indices: number;
  codebooks: number;
  scales: number;
  metadata: number;
  /** Bytes of the model file. */
  total: number;
  /** 4 bytes per parameter: the uncompressed weights (no header). */
  fp32Bytes: number;
  /** fp32Bytes / total. */
  ratio: number;
  tensors: TensorBreakdown[];
}

/** Every encoding refitted to the model's current values (codebook k, stream byte counts), in a copy. */
export function refitEncodings(model: Model): Model {
  const out = cloneModel(model);
  const shapes = weightShapes(out.architecture);
  for (const [name, enc] of Object.entries(out.encodings ?? {})) {
    out.encodings![name] = fitEncoding(out.weights[name], shapes[name], enc);
  }
  return out;
}

/** Header bytes taken by a linear encoding's scale and zero-point arrays (JSON escaped inside the metadata string). */
export function linearHeaderBytes(enc: TensorEncoding): number {
  if (enc.kind === 'huffman' || enc.kind === 'sparse') return linearHeaderBytes(enc.of);
  if (enc.kind !== 'linear') return 0;
  const fragment = `"scale":${JSON.stringify(enc.scale)},"zeroPoint":${JSON.stringify(enc.zeroPoint)}`;
  // The encodings JSON sits in a JSON string of the header: its quotes gain a backslash each.
  return JSON.stringify(fragment).length - 2;
}

/** Serializes the model (encodings refitted) and accounts for every byte of the file. */
export function sizeBreakdown(model: Model): SizeBreakdown & { bytes: Uint8Array } {
  const fitted = refitEncodings(model);
  const bytes = serializeModel(fitted);
  const info = describeModelFile(bytes);
  const shapes = weightShapes(fitted.architecture);
  const tensors: TensorBreakdown[] = [];
  let headerScales = 0;
  const sum = { values: 0, indices: 0, codebooks: 0, scales: 0 };
  for (const t of info.tensors) {
    const enc = fitted.encodings?.[t.name] ?? { kind: 'fp32' };
    const parts = encodingParts(shapes[t.name], enc);
    const dataBytes = parts.values + parts.indices + parts.codebooks + parts.scales;
    if (dataBytes !== t.byteLength)
      throw new Error(`size accounting of '${t.name}' (${describeEncoding(enc)}) found ${dataBytes} bytes, the file holds ${t.byteLength}`);
    headerScales += linearHeaderBytes(enc);
    for (const k of ['values', 'indices', 'codebooks', 'scales'] as const) sum[k] += parts[k];
    tensors.push({ name: t.name, encoding: describeEncoding(enc), elements: shapes[t.name].reduce((a, b) => a * b, 1), ...parts, bytes: dataBytes });
  }
  const params = Object.values(shapes).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  const metadata = 8 + info.headerBytes - headerScales;
  const total = bytes.length;
  const fp32Bytes = 4 * params;
  return { ...sum, scales: sum.scales + headerScales, metadata, total, fp32Bytes, ratio: fp32Bytes / total, tensors, bytes };
}
