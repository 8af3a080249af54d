import shader from '../../../shaders/lut-i8.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { I8DotParams } from './int8-common.ts';
import { packWord } from './int8-common.ts';

/** Packed int8 `[batch·pixels, c]` → packed int8 of the same shape, each code through a 256-entry table (the 'table' binding: packLutI8). */
export interface LutI8Params extends I8DotParams {
  batch: number;
  /** Pixels per image (H·W; 1 for a flat tensor of c values). */
  pixels: number;
  c: number;
  /** The output's zero point: what the tail bytes of a pixel's last word hold. */
  zeroPoint: number;
}

const WG = 64;
/** Words per thread (see lut-i8.wgsl). */
const PER = 16;
const total = (s: LutI8Params): number => s.batch * s.pixels * ceilDiv(s.c, 4);

/** A table of 256 output codes (indexed by input code + 128) as the kernel's 64 words. */
export function packLutI8(table: Int8Array): Uint32Array {
  if (table.length !== 256) throw new Error(`lut-i8: a table has 256 entries, got ${table.length}`);
  return Uint32Array.from({ length: 64 }, (_, w) => packWord(table[4 * w], table[4 * w + 1], table[4 * w + 2], table[4 * w + 3]));
}

export const lutI8 = {
  name: 'lut-i8',
  precision: 'int8',
  shader,
  // Byte shifts only, the same code for both dot-product forms: no DOT4 constant, one pipeline.
  lib: ['flat-index'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'u32' },
    { name: 'table', kind: 'read-only-storage', wgsl: 'table', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  uniforms: ['total', 'c', 'c4', 'zpByte'],
  uniformValues: (s: LutI8Params) => [total(s), s.c, ceilDiv(s.c, 4), s.zeroPoint & 0xff],
  constants: () => ({ WG, PER }),
  dispatch: (s: LutI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG * PER), limits),
} satisfies KernelDescriptor<LutI8Params>;
