/**
 * The shared WGSL helpers (shaders/lib/*.wgsl), by name. A descriptor lists
 * the ones its body calls in `lib`, and the source builder (source.ts)
 * includes them; no shader file copies a helper.
 */
import activation from '../../../shaders/lib/activation.wgsl?raw';
import flatIndex from '../../../shaders/lib/flat-index.wgsl?raw';
import gemmRow from '../../../shaders/lib/gemm-row.wgsl?raw';
import int8Common from '../../../shaders/lib/int8-common.wgsl?raw';
import int8DotDot4 from '../../../shaders/lib/int8-dot-dot4.wgsl?raw';
import int8DotShift from '../../../shaders/lib/int8-dot-shift.wgsl?raw';
import nhwc from '../../../shaders/lib/nhwc.wgsl?raw';
import weightSource from '../../../shaders/lib/weight-source.wgsl?raw';

export const LIBRARY = {
  activation,
  'flat-index': flatIndex,
  'gemm-row': gemmRow,
  'int8-common': int8Common,
  'int8-dot-dot4': int8DotDot4,
  'int8-dot-shift': int8DotShift,
  nhwc,
  'weight-source': weightSource,
} as const;

/** Name of a library helper (= shaders/lib/<name>.wgsl). */
export type LibName = keyof typeof LIBRARY;
