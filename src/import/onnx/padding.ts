/**
 * Padding of ONNX Conv and pooling nodes as the lab's: `auto_pad` (VALID,
 * SAME_UPPER, SAME_LOWER) or explicit `pads` [top, left, bottom, right]
 * become 'valid', 'same' (TensorFlow's: the odd pixel after) or explicit
 * `{ top, bottom, left, right }`, each below the kernel along its axis.
 */
import type { ExplicitPadding, Padding } from '../../model/layers.ts';
import type { DecodedNode } from './schema.ts';
import { refuse, refuseNotYet } from './support.ts';
import type { Attrs } from './tensors.ts';

function fmtDims(d: number[]): string {
  return `[${d.join(', ')}]`;
}

/** [before, after] of SAME padding along one axis (out = ceil(in / s)); SAME_LOWER puts the odd pixel before. */
export function samePads(inSize: number, k: number, s: number, lower: boolean): [number, number] {
  const total = Math.max((Math.ceil(inSize / s) - 1) * s + k - inSize, 0);
  const before = lower ? Math.ceil(total / 2) : Math.floor(total / 2);
  return [before, total - before];
}

/**
 * The node's pads as explicit `{ top, bottom, left, right }`, from `auto_pad`
 * or `pads` (null: none at all). Refuses pads that are negative, malformed,
 * or not below the kernel along their axis (`<op>.pads` in the refusal table).
 */
function explicitPads(node: DecodedNode, attrs: Attrs, inHW: [number, number], k: [number, number], s: [number, number], noun: string): ExplicitPadding | null {
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'VALID') return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const lower = autoPad === 'SAME_LOWER';
    const [t, b] = samePads(inHW[0], k[0], s[0], lower);
    const [l, r] = samePads(inHW[1], k[1], s[1], lower);
    pads = [t, l, b, r];
  } else {
    if (autoPad !== 'NOTSET') refuse(node, `auto_pad '${autoPad}' is not an ONNX padding mode`);
    pads = attrs.ints('pads', [0, 0, 0, 0]);
    if (pads.length !== 4) refuse(node, `pads ${fmtDims(pads)} should have 4 entries for a 2-D op`);
    if (pads.some((p) => !Number.isInteger(p) || p < 0)) refuse(node, `pads ${fmtDims(pads)} must be non-negative integers`);
  }
  if (pads.every((p) => p === 0)) return null;
  for (let i = 0; i < 4; i++) {
    const ax = i % 2;
    if (pads[i] >= k[ax]) {
      const detail = `${autoPad === 'NOTSET' ? `pads ${fmtDims(pads)}` : `auto_pad ${autoPad}`}: pad ${pads[i]} is not below the ${noun} ${k[ax]} along ${ax === 0 ? 'the height' : 'the width'}`;
      refuseNotYet(node, `${node.opType}.pads`, detail);
    }
  }
  return { top: pads[0], left: pads[1], bottom: pads[2], right: pads[3] };
}

/** A Conv's padding: 'valid', 'same' where the pads equal the lab's same, else explicit pads. */
export function convPadding(node: DecodedNode, attrs: Attrs, inHW: [number, number], k: [number, number], s: [number, number]): Padding {
  const p = explicitPads(node, attrs, inHW, k, s, 'kernel');
  if (!p) return 'valid';
  const [t, b] = samePads(inHW[0], k[0], s[0], false);
  const [l, r] = samePads(inHW[1], k[1], s[1], false);
  if (p.top === t && p.bottom === b && p.left === l && p.right === r) return 'same';
  const oh = Math.floor((inHW[0] + p.top + p.bottom - k[0]) / s[0]) + 1;
  const ow = Math.floor((inHW[1] + p.left + p.right - k[1]) / s[1]) + 1;
  if (oh < 1 || ow < 1) refuse(node, `kernel ${k[0]}×${k[1]} is larger than its padded ${inHW[0]}×${inHW[1]} input`);
  return p;
}

/** A pool's explicit pads (undefined: none), from `auto_pad` or `pads`, each below the window. */
export function poolPadding(node: DecodedNode, attrs: Attrs, inHW: [number, number], k: [number, number], s: [number, number]): ExplicitPadding | undefined {
  return explicitPads(node, attrs, inHW, k, s, 'window') ?? undefined;
}
