/**
 * The fields each layer kind has in the model file, with their checks and
 * the hint an error prints. The file format (format.ts) rebuilds layers from
 * untrusted JSON through these; shape inference then checks what depends on
 * more than one field (pads against the kernel, leakyRelu's alpha against fn).
 */
import type { LayerKind } from './layers.ts';
import { ACTIVATION_FNS } from './layers.ts';

export type FieldCheck = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const positiveInt: FieldCheck = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const pair: FieldCheck = (v) => Array.isArray(v) && v.length === 2 && positiveInt(v[0]) && positiveInt(v[1]);
const boolean: FieldCheck = (v) => typeof v === 'boolean';
const finite: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const nonNegativeInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** Explicit pads: exactly top, bottom, left, right, each a non-negative integer. */
const pads: FieldCheck = (v) => isObject(v) && Object.keys(v).sort().join() === 'bottom,left,right,top' && Object.values(v).every(nonNegativeInt);
const padding: FieldCheck = (v) => v === 'valid' || v === 'same' || pads(v);
const activationFn: FieldCheck = (v) => (ACTIVATION_FNS as readonly unknown[]).includes(v);

export const FIELD_HINTS = new Map<FieldCheck, string>([
  [positiveInt, 'a positive integer'],
  [pair, 'two positive integers'],
  [boolean, 'true or false'],
  [finite, 'a finite number'],
  [pads, '{ top, bottom, left, right } of non-negative integers'],
  [padding, "'valid' or 'same' or { top, bottom, left, right } of non-negative integers"],
  [activationFn, ACTIVATION_FNS.map((f) => `'${f}'`).join(', ')],
]);

/**
 * The fields each layer kind must have (besides kind and name). Typed per
 * kind so that a new layer kind without an entry here is a compile error,
 * rather than a kind the file format silently cannot load.
 */
export const LAYER_FIELDS = {
  conv2d: { filters: positiveInt, kernel: pair, stride: pair, padding, bias: boolean },
  depthwiseConv2d: { kernel: pair, stride: pair, padding, bias: boolean },
  maxPool2d: { window: pair, stride: pair },
  avgPool2d: { window: pair, stride: pair },
  dense: { units: positiveInt, bias: boolean },
  relu: {},
  flatten: {},
  softmax: {},
  activation: { fn: activationFn },
} satisfies Record<LayerKind, Record<string, FieldCheck>>;

/** Fields a kind may have; when each must be present is shape inference's check (it names the layer). */
export const OPTIONAL_FIELDS: Partial<Record<LayerKind, Record<string, FieldCheck>>> = {
  activation: { alpha: finite },
  depthwiseConv2d: { multiplier: positiveInt },
  maxPool2d: { padding: pads },
  avgPool2d: { padding: pads, countIncludePad: boolean },
};
