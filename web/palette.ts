/**
 * The lab's visual language: one small set of colours, the same in every
 * chart, picture and badge. A runtime always has the same colour (fp32 blue,
 * int8 orange, compressed green), so a person learns it once. Chosen to stay
 * apart for the common colour-vision deficiencies and to keep ≥ 3:1 contrast
 * against white as chart marks.
 */
export const PALETTE = {
  fp32: '#1a5fb4',
  int8: '#c64600',
  compressed: '#26a269',
  /** Pruned zeros, masks' "off" cells, anything removed. */
  removed: '#9a9996',
  /** Grid lines, centroids and quantization levels drawn over a histogram. */
  marker: '#a51d2d',
  /** A second series that is none of the above (e.g. test accuracy next to loss). */
  accent: '#813d9c',
  /** Diverging maps (a difference between two variants): negative, zero, positive. */
  negative: '#0f7b7b',
  zero: '#ffffff',
  positive: '#c01c28',
} as const;

/** Colour for a variant: int8 runtime, else compressed (any pass applied), else fp32. */
export function variantColor(v: { runtime: string; compressed?: boolean }): string {
  if (v.runtime === 'int8') return PALETTE.int8;
  return v.compressed ? PALETTE.compressed : PALETTE.fp32;
}
