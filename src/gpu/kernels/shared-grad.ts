import shader from '../../../shaders/shared-grad.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Gradient of `k` shared values: per value, the sum of its member weights' gradients (CSR members, fixed order). */
export interface SharedGradParams {
  k: number;
  /** Add to the output (a table shared by several tensors) instead of overwriting it. */
  accumulate: boolean;
}

const WG = 64;

export const sharedGrad = {
  name: 'shared-grad',
  precision: 'fp32',
  shader,
  flat: { count: 'p.k' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'grad', kind: 'read-only-storage', wgsl: 'grad', type: 'f32' },
    { name: 'offsets', kind: 'read-only-storage', wgsl: 'offsets', type: 'u32' },
    { name: 'members', kind: 'read-only-storage', wgsl: 'members', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'out', type: 'f32' },
  ],
  uniforms: ['k'],
  uniformValues: (s: SharedGradParams) => [s.k],
  constants: (s: SharedGradParams) => ({ WG, ACCUMULATE: s.accumulate ? 1 : 0 }),
  dispatch: (s: SharedGradParams, limits: DispatchLimits) => fold1d(ceilDiv(s.k, WG), limits),
} satisfies KernelDescriptor<SharedGradParams>;

/** Host side of shared-grad: the unmasked weights of each value as CSR (offsets [k + 1], members in index order). */
export function sharedMembers(assignments: ArrayLike<number>, k: number, mask?: ArrayLike<number>): { offsets: Uint32Array; members: Uint32Array } {
  const offsets = new Uint32Array(k + 1);
  const keep = (i: number): boolean => !mask || mask[i] !== 0;
  for (let i = 0; i < assignments.length; i++) if (keep(i)) offsets[assignments[i] + 1]++;
  for (let j = 0; j < k; j++) offsets[j + 1] += offsets[j];
  const next = offsets.slice(0, k);
  const members = new Uint32Array(Math.max(1, offsets[k]));
  for (let i = 0; i < assignments.length; i++) if (keep(i)) members[next[assignments[i]]++] = i;
  return { offsets, members };
}
