import shader from '../../../shaders/col-sum.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Column sums of a `[rows, n]` matrix, rows added in order; with `groups`, one sum per run of ceil(rows / groups) rows ([groups, n] out). */
export interface ColSumParams {
  rows: number;
  n: number;
  /** Consecutive row groups summed apart (default 1: the plain column sum). */
  groups?: number;
}

const WG = 64;
const groupsOf = (s: ColSumParams): number => s.groups ?? 1;
const perGroup = (s: ColSumParams): number => Math.ceil(s.rows / groupsOf(s));

/**
 * Row groups for the first stage of a long column sum: enough (group,
 * column) threads to fill a CPU adapter's cores (~2048), at least 64 rows per
 * group; 1 (one stage) when the columns alone are that many. A function of
 * the shape only, so every device adds in the same order.
 */
export function colSumGroups(rows: number, n: number): number {
  if (n >= 2048 || rows < 128) return 1;
  return Math.max(1, Math.min(Math.ceil(2048 / n), Math.floor(rows / 64)));
}

export const colSum = {
  name: 'col-sum',
  precision: 'fp32',
  shader,
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  /** total: threads (groups·n); per: rows per group. */
  uniforms: ['total', 'rows', 'n', 'per'],
  uniformValues: (s: ColSumParams) => [groupsOf(s) * s.n, s.rows, s.n, perGroup(s)],
  constants: () => ({ WG }),
  dispatch: (s: ColSumParams, limits: DispatchLimits) => fold1d(ceilDiv(groupsOf(s) * s.n, WG), limits),
} satisfies KernelDescriptor<ColSumParams>;
