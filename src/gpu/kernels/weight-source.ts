import type { BindingSpec, CodeValues } from './types.ts';

/**
 * Where a conv2d or depthwise-conv2d kernel reads its weights: the code
 * constant WEIGHTS of those descriptors. 'dense' reads an fp32 buffer; the
 * compressed sources include shaders/lib/weight-source.wgsl (codebook
 * indices, or the HashedNets hash) and bind their own buffers instead, so a
 * kernel keeps a single body for its fp32 and compressed forms.
 */
export const WEIGHT_SOURCES = { dense: 0, codebook: 1, hashed: 2 } as const;

export type WeightSourceKind = keyof typeof WEIGHT_SOURCES;

/** The kind a WEIGHTS value names. */
export function weightSourceKind(code: CodeValues): WeightSourceKind {
  const w = code.WEIGHTS ?? 0;
  const kind = (Object.keys(WEIGHT_SOURCES) as WeightSourceKind[]).find((k) => WEIGHT_SOURCES[k] === w);
  if (!kind) throw new Error(`weight source: WEIGHTS = ${w} names no source`);
  return kind;
}

/** The template flags of a WEIGHTS value: COMPRESSED, CODEBOOK, HASHED. */
export function weightSourceFlags(code: CodeValues): CodeValues {
  const kind = weightSourceKind(code);
  return { COMPRESSED: kind === 'dense' ? 0 : 1, CODEBOOK: kind === 'codebook' ? 1 : 0, HASHED: kind === 'hashed' ? 1 : 0 };
}

/** The library helpers of a WEIGHTS value. */
export function weightSourceLib(code: CodeValues): readonly string[] {
  return weightSourceKind(code) === 'dense' ? [] : ['weight-source'];
}

/**
 * The weight bindings of each source, in binding order: 'weight' (fp32, as
 * `wt: array<denseType>`), or 'indices' + 'codebook', or 'table'.
 */
export function weightSourceBindings(denseType: string): BindingSpec[] {
  const is = (kind: WeightSourceKind) => (code: CodeValues) => weightSourceKind(code) === kind;
  return [
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: denseType, when: is('dense') },
    { name: 'indices', kind: 'read-only-storage', wgsl: 'idx', type: 'u32', when: is('codebook') },
    { name: 'codebook', kind: 'read-only-storage', wgsl: 'codebook', type: 'f32', when: is('codebook') },
    { name: 'table', kind: 'read-only-storage', wgsl: 'table', type: 'f32', when: is('hashed') },
  ];
}
