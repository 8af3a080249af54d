/**
 * Weights kept compressed on the GPU: which tensors of a model conv2d and
 * depthwise-conv2d can compute from in their compressed weight sources
 * (code constant WEIGHTS, kernels/weight-source.ts), and what is uploaded for them instead of an fp32 copy —
 * bit-packed codebook indices plus the centroids, or the HashedNets table.
 * Pure (no device), so plans stay inspectable without a GPU.
 *
 * The model holds every tensor decoded (model.ts); its `encodings` say what
 * the file stores. A codebook tensor, bare or inside a Huffman or sparse
 * wrapper, is recovered as (centroids, indices) from its distinct values —
 * Huffman and the sparse gaps are a storage code, so the host has already
 * decoded them and the GPU gets fixed-width indices. A hashed tensor's
 * table is read back from the decoded values (every position of a bucket
 * holds the bucket's value); tensors with the same k and seed whose buckets
 * agree — the tensors of one network-wide table — share ONE table array, so
 * the executor uploads it once.
 */
import type { HashedEncoding, Model, TensorEncoding } from '../model/model.ts';
import { hashedIndex } from '../model/codecs.ts';
import type { Conv2dParams } from './kernels/conv2d.ts';
import type { CodebookTensor, WeightSourceParams } from './kernels/weight-source.ts';
import { codebookOf, MAX_CODEBOOK_BITS, packCodebookIndices, packIndices } from './kernels/weight-source.ts';
import type { DepthwiseConv2dParams } from './kernels/depthwise-conv2d.ts';

/**
 * How the executor holds codebook- and hash-encoded weights. 'compressed'
 * (the executor's default): indices + centroids / the shared table only,
 * computed from by the compressed kernels; 'decoded': an fp32 copy in the
 * float kernels' layout, as for any other tensor.
 */
export type WeightsMode = 'compressed' | 'decoded';

/** What a compressed tensor uploads. */
export type CompressedSource = ({ kind: 'codebook' } & CodebookTensor) | { kind: 'hashed'; enc: HashedEncoding; table: Float32Array };

/** The codebook encoding inside `enc`, if it is one (bare, Huffman-coded or sparse). */
function codebookInside(enc: TensorEncoding | undefined): boolean {
  if (!enc) return false;
  if (enc.kind === 'codebook') return true;
  if (enc.kind === 'huffman' || enc.kind === 'sparse') return enc.of.kind === 'codebook';
  return false;
}

/** Per model: sources by tensor name (null: not computable compressed), built once and shared by every plan of the model. */
const memo = new WeakMap<Model, Map<string, CompressedSource | null>>();
const packed = new WeakMap<CodebookTensor, Map<number, Uint32Array>>();
/** The weight arrays each memo entry was built from. */
const built = new WeakMap<Map<string, CompressedSource | null>, Map<string, Float32Array>>();

function buildSources(model: Model): Map<string, CompressedSource | null> {
  const out = new Map<string, CompressedSource | null>();
  const hashed: { name: string; enc: HashedEncoding; values: Float32Array }[] = [];
  for (const [name, enc] of Object.entries(model.encodings ?? {})) {
    const values = model.weights[name];
    if (!values || !name.endsWith('.weight')) continue;
    if (codebookInside(enc)) {
      const cb = codebookOf(values, MAX_CODEBOOK_BITS);
      out.set(name, cb ? { kind: 'codebook', ...cb } : null);
    } else if (enc.kind === 'hashed') hashed.push({ name, enc, values });
  }
  // Tables: one per group of tensors with the same (k, seed) whose bucket values agree.
  const tables: { k: number; seed: number; table: Float32Array; set: Uint8Array }[] = [];
  for (const { name, enc, values } of hashed) {
    // The tensor's own table first: values that disagree within one bucket are not a hashed tensor
    // (edited after hashing), so it stays fp32.
    const own = new Float32Array(enc.k);
    const set = new Uint8Array(enc.k);
    let consistent = true;
    for (let i = 0; i < values.length && consistent; i++) {
      const b = hashedIndex(enc, i);
      if (set[b] && own[b] !== values[i]) consistent = false;
      own[b] = values[i];
      set[b] = 1;
    }
    if (!consistent) {
      out.set(name, null);
      continue;
    }
    const agrees = (t: (typeof tables)[number]): boolean => {
      if (t.k !== enc.k || t.seed !== enc.seed) return false;
      for (let b = 0; b < enc.k; b++) if (set[b] && t.set[b] && t.table[b] !== own[b]) return false;
      return true;
    };
    let t = tables.find(agrees);
    if (!t) {
      t = { k: enc.k, seed: enc.seed, table: new Float32Array(enc.k), set: new Uint8Array(enc.k) };
      tables.push(t);
    }
    for (let b = 0; b < enc.k; b++) {
      if (!set[b]) continue;
      t.table[b] = own[b];
      t.set[b] = 1;
    }
    out.set(name, { kind: 'hashed', enc, table: t.table });
  }
  return out;
}

/** The compressed form of tensor `name`, or null when it has none the kernels take (fp32, linear, >8-bit codebook…). */
export function compressedSource(model: Model, name: string): CompressedSource | null {
  let m = memo.get(model);
  // Rebuilt when a tensor array was replaced since (a model edited in place after a plan was made).
  if (!m || [...m.keys()].some((n) => model.weights[n] !== built.get(m!)?.get(n))) {
    m = buildSources(model);
    memo.set(model, m);
    built.set(m, new Map([...m.keys()].map((n) => [n, model.weights[n]])));
  }
  return m.get(name) ?? null;
}

/** Packed indices of a codebook source: GEMM order for `oc` output channels, or the tensor's own order (oc 0; depthwise). Cached per source. */
function indicesOf(src: CodebookTensor, oc: number): Uint32Array {
  let byOc = packed.get(src);
  if (!byOc) packed.set(src, (byOc = new Map()));
  let w = byOc.get(oc);
  if (!w) byOc.set(oc, (w = oc ? packCodebookIndices(src.symbols, oc, src.bits) : packIndices(src.symbols, src.bits)));
  return w;
}

/** The kernel's weight source (its code constant WEIGHTS) and host data for a compressed tensor; `oc` orders codebook indices for conv2d ([K, ocp]), 0 keeps the tensor's own order (depthwise). */
function weightSourceOf(src: CompressedSource, oc: number): { weights: WeightSourceParams; data: Record<string, Uint32Array | Float32Array> } {
  if (src.kind === 'codebook') {
    return { weights: { kind: 'codebook', bits: src.bits, k: src.codebook.length }, data: { indices: indicesOf(src, oc), codebook: src.codebook } };
  }
  return { weights: { kind: 'hashed', k: src.enc.k, seed: src.enc.seed >>> 0, salt: src.enc.salt >>> 0 }, data: { table: src.table } };
}

/** Kernel, params and host data of the compressed step replacing a conv2d step with `params`: conv2d reading `src`. */
export function compressedKernel(
  src: CompressedSource,
  params: Omit<Conv2dParams, 'batch'>,
): { kernel: 'conv2d'; params: Omit<Conv2dParams, 'batch'>; data: Record<string, Uint32Array | Float32Array> } {
  const { weights, data } = weightSourceOf(src, params.oc);
  return { kernel: 'conv2d', params: { ...params, weights }, data };
}

/** Weight bytes one plan step keeps on the GPU. */
export interface StepWeightBytes {
  layers: string[];
  kernel: string;
  /** Bytes of its weight buffers (all host data but the bias), shared tables included. */
  bytes: number;
  /** Of which fp32 weights in a float kernel's layout ('weight' bindings). */
  fp32: number;
}

/**
 * GPU-resident weight memory of a plan: every host array a step uploads
 * except its bias (fp32 'weight', packed indices, centroids, hash tables,
 * CSR arrays), each distinct array counted once (a network-wide table is one
 * buffer), alternatives (a sparse step beside its dense one) included since
 * both are uploaded. Host array sizes: a buffer adds at most its alignment
 * padding.
 */
export interface WeightResidency {
  /** All weight buffers. */
  bytes: number;
  /** fp32 weight copies ('weight' bindings). 0 means no layer holds an fp32 copy of its weights. */
  fp32: number;
  /** Biases (fp32, small; listed apart so `bytes` compares weights alone). */
  bias: number;
  steps: StepWeightBytes[];
}

type HostArray = Float32Array | Uint32Array | Int32Array;
interface StepHost {
  kernel: string;
  layers: string[];
  weight?: HostArray;
  bias?: HostArray;
  data?: Record<string, HostArray>;
  alternative?: StepHost;
}

/** Resident weight bytes of `steps` (a plan's steps), each host array counted once. */
export function weightResidency(steps: readonly StepHost[]): WeightResidency {
  const seen = new Set<HostArray>();
  const r: WeightResidency = { bytes: 0, fp32: 0, bias: 0, steps: [] };
  const add = (s: StepHost, row: StepWeightBytes): void => {
    if (s.bias && !seen.has(s.bias)) {
      seen.add(s.bias);
      r.bias += s.bias.byteLength;
    }
    const arrays: [string, HostArray | undefined][] = [['weight', s.weight], ...Object.entries(s.data ?? {})];
    for (const [binding, a] of arrays) {
      if (!a) continue;
      row.bytes += a.byteLength;
      if (binding === 'weight') row.fp32 += a.byteLength;
      if (seen.has(a)) continue;
      seen.add(a);
      r.bytes += a.byteLength;
      if (binding === 'weight') r.fp32 += a.byteLength;
    }
  };
  for (const s of steps) {
    const row: StepWeightBytes = { layers: s.layers, kernel: s.kernel, bytes: 0, fp32: 0 };
    add(s, row);
    if (s.alternative) add(s.alternative, row);
    if (row.bytes) r.steps.push(row);
  }
  return r;
}

/** Kernel, params and host data of the compressed step replacing a depthwise-conv2d step with `params`: depthwise-conv2d reading `src`. */
export function compressedDepthwiseKernel(
  src: CompressedSource,
  params: Omit<DepthwiseConv2dParams, 'batch'>,
): { kernel: 'depthwise-conv2d'; params: Omit<DepthwiseConv2dParams, 'batch'>; data: Record<string, Uint32Array | Float32Array> } {
  const { weights, data } = weightSourceOf(src, 0);
  return { kernel: 'depthwise-conv2d', params: { ...params, weights }, data };
}
