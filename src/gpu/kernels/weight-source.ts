import weightSource from '../../../shaders/weight-source.wgsl?raw';
import { expandTemplate } from './types.ts';

/**
 * One kernel template in its float or compressed-weight form: the compressed
 * forms append shaders/weight-source.wgsl (codebook indices or the HashedNets
 * hash) and expand the pair as one template, so conv2d and depthwise-conv2d
 * keep a single body for their fp32 and compressed kernels.
 *
 * `code.HASHED` picks the source (absent or 0: codebook) when `compressed`;
 * the template sees COMPRESSED, HASHED and CODEBOOK (= compressed and not hashed).
 */
export function expandWithWeightSource(template: string, code: Record<string, number>, compressed: boolean): string {
  const hashed = compressed && (code.HASHED ?? 0) !== 0;
  const flags = { COMPRESSED: compressed ? 1 : 0, HASHED: hashed ? 1 : 0, CODEBOOK: compressed && !hashed ? 1 : 0 };
  return expandTemplate(compressed ? `${template}\n${weightSource}` : template, { ...code, ...flags });
}
