/**
 * A BatchNormalization of a flat vector that has no dense layer right before
 * it (a ReLU sits between) and none right after it (another nonlinearity
 * follows) is a per-feature scale and shift: y[k] = x[k]·s[k] + t[k]. The lab
 * holds a per-channel affine as a 1×1 depthwise conv, which acts on images.
 * So the importer lifts the flat tail of the chain back to a 1×1 image:
 *
 * - the flatten before the tail goes away;
 * - the first dense after it becomes a conv2d whose kernel covers its whole
 *   [H, W, C] input ('valid', one output pixel). Its weight bytes stay as they
 *   are, because a dense row in the lab's flatten order (h·W + w)·C + c and a
 *   conv filter [kH, kW, inC] are the same memory;
 * - every later dense becomes a 1×1 conv2d on [1, 1, K];
 * - element-wise layers stay, since they act the same on either shape.
 *
 * The tail then ends as a [1, 1, K] image, the affine is a 1×1 depthwise
 * conv on it, and the importer puts a flatten back before the next dense
 * layer, softmax or the end. Parameters, FLOPs and every output value stay
 * the same; each runtime, compression pass and exporter already knows these
 * layer kinds.
 */
import type { Layer } from '../model/layers.ts';
import { layerOutputShape, type Shape } from '../model/shapes.ts';
import type { ImportedLayer } from './types.ts';

/** The parts of an import in progress that a lift rewrites. */
export interface LiftTarget {
  layers: Layer[];
  weights: Record<string, Float32Array>;
  /** The report's layer list, in step with `layers`. */
  imported: ImportedLayer[];
  inputShape: Shape;
}

/** The lifted tail: its [1, 1, K] shape and the dense layers that became conv2d, for the import notes. */
export interface Lifted {
  shape: [1, 1, number];
  converted: { name: string; kernel: [number, number]; input: Shape }[];
  /** The flatten layer that was removed. */
  flatten: string;
}

/**
 * Lifts the chain's flat tail in place (see the file comment). Returns why
 * not, as a sentence fragment, when the tail has no dense layer (a
 * BatchNormalization of the flattened image itself has one statistic per
 * pixel and channel, which no lab layer holds) or holds a layer that needs a
 * flat input for another reason. Nothing is changed when it refuses.
 */
export function liftFlatTail(t: LiftTarget): Lifted | string {
  const f = t.layers.findLastIndex((l) => l.kind === 'flatten');
  if (f < 0) return 'the chain has no flatten to lift back to an image';
  let shape: Shape = t.inputShape;
  for (let i = 0; i < f; i++) shape = layerOutputShape(t.layers[i], shape);
  if (shape.length !== 3) return `the tensor before the flatten '${t.layers[f].name}' is not an image`;
  const tail = t.layers.slice(f + 1);
  const bad = tail.find((l) => l.kind !== 'dense' && l.kind !== 'relu' && l.kind !== 'activation');
  if (bad) return `the layer '${bad.name}' (${bad.kind}) between the flatten and it needs a flat input`;
  if (!tail.some((l) => l.kind === 'dense')) {
    return `no dense layer lies between the flatten '${t.layers[f].name}' and it: it would scale each of the ${shape.reduce((a, b) => a * b, 1)} pixels and channels on its own, which no lab layer holds`;
  }
  const converted: Lifted['converted'] = [];
  const lifted: Layer[] = tail.map((l) => {
    if (l.kind !== 'dense') return l;
    const kernel: [number, number] = [shape[0], shape[1]];
    converted.push({ name: l.name, kernel, input: shape });
    shape = [1, 1, l.units];
    return { kind: 'conv2d', name: l.name, filters: l.units, kernel, stride: [1, 1], padding: 'valid', bias: l.bias };
  });
  const flatten = t.layers[f];
  const report = t.imported.findIndex((r) => r.name === flatten.name);
  t.layers.splice(f, t.layers.length - f, ...lifted);
  if (report >= 0) {
    const [gone] = t.imported.splice(report, 1);
    const first = t.imported.find((r) => r.name === converted[0].name);
    if (first) first.from.unshift(...gone.from.filter((n) => !first.from.includes(n)));
  }
  for (const c of converted) {
    const r = t.imported.find((x) => x.name === c.name);
    if (r) r.kind = 'conv2d';
  }
  return { shape: shape as [1, 1, number], converted, flatten: flatten.name };
}

/** The import note for a lift, naming each dense layer that became a conv. */
export function liftNote(bn: string, lift: Lifted): string {
  const convs = lift.converted.map((c) => `'${c.name}' (${c.kernel[0]}×${c.kernel[1]} kernel on [${c.input.join(', ')}])`).join(', ');
  return (
    `BatchNormalization '${bn}' acts on a flat vector between two nonlinearities, with no dense layer right before or after it to fold into. ` +
    `The lab holds a per-feature scale and shift as a 1×1 depthwise conv on an image, so the flatten '${lift.flatten}' was moved after it ` +
    `and the dense layer${lift.converted.length > 1 ? 's' : ''} ${convs} became conv2d with the same weights: parameters, FLOPs and outputs are unchanged.`
  );
}
