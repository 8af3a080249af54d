/**
 * Which input convention an imported model was trained on. A model trained on
 * (x − 0.1307) / 0.3081, on [0, 255], on [−1, 1] or on inverted images gives
 * garbage on the lab's [0, 1] pixels, and most files do not say. The lab
 * tries the standard conventions on the first training images (never the
 * test split) and keeps the one the model classifies best; a tie keeps the
 * earlier candidate, so a map the file itself declares wins when nothing
 * beats it.
 */
import type { Dataset } from '../data/dataset.ts';
import type { Preprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { evaluate } from './evaluate.ts';
import type { RunTarget } from './runner.ts';

/** One input convention, as the map from the lab's pixel / 255 to what the model was trained on. */
export interface Convention {
  /** Short name for flags and reports: 'unit', 'mnist', 'byte', 'symmetric', 'inverted'. */
  name: ConventionName;
  /** What it means to a person. */
  label: string;
  map: Preprocess;
}

export type ConventionName = 'unit' | 'mnist' | 'byte' | 'symmetric' | 'inverted';

/** The conventions MNIST models are trained with, the lab's own first. */
export const CONVENTIONS: readonly Convention[] = [
  { name: 'unit', label: 'pixel / 255, in [0, 1]', map: { scale: 1, offset: 0 } },
  { name: 'mnist', label: '(x − 0.1307) / 0.3081 (torchvision MNIST normalisation)', map: { scale: 1 / 0.3081, offset: -0.1307 / 0.3081 } },
  { name: 'byte', label: 'raw pixels, in [0, 255]', map: { scale: 255, offset: 0 } },
  { name: 'symmetric', label: '(x − 0.5) / 0.5, in [−1, 1]', map: { scale: 2, offset: -1 } },
  { name: 'inverted', label: '1 − x (white background)', map: { scale: -1, offset: 1 } },
];

/** `outer ∘ inner`: first `inner`, then `outer` (either absent = identity). */
export function composePreprocess(outer: Preprocess | undefined, inner: Preprocess | undefined): Preprocess {
  const o = outer ?? { scale: 1, offset: 0 };
  const i = inner ?? { scale: 1, offset: 0 };
  return { scale: o.scale * i.scale, offset: o.scale * i.offset + o.offset };
}

/** The model with the file's own map (if any) applied after convention `c`. */
function under(model: Model, c: Convention): Model {
  const own = model.architecture.preprocess;
  const map = composePreprocess(own, c.map);
  const label = own?.label ? `${own.label} of ${c.label}` : c.label;
  return { ...model, architecture: { ...model.architecture, preprocess: { ...map, label } } };
}

/** One candidate's score. */
export interface ConventionScore {
  convention: ConventionName;
  label: string;
  accuracy: number;
  errors: number;
  count: number;
}

/** The choice and why. */
export interface PreprocessChoice {
  /** The model with the chosen map in its architecture. */
  model: Model;
  chosen: ConventionName;
  /** Every candidate tried, in order. */
  scores: ConventionScore[];
  /** One sentence for the report. */
  reason: string;
}

/**
 * Tries each convention (all of them, or `only`) on the first `images`
 * training images and returns the model under the best one. The file's own
 * map, if it declares one, is kept and composed after the convention: a
 * Keras model with Rescaling(1/255) is right under 'byte'.
 */
export async function choosePreprocess(
  target: RunTarget,
  model: Model,
  train: Dataset,
  options: { images?: number; only?: ConventionName } = {},
): Promise<PreprocessChoice> {
  const images = Math.min(options.images ?? 512, train.count);
  const candidates = options.only ? CONVENTIONS.filter((c) => c.name === options.only) : CONVENTIONS;
  if (!candidates.length) throw new Error(`unknown input convention '${options.only}'; known: ${CONVENTIONS.map((c) => c.name).join(', ')}`);
  const scores: ConventionScore[] = [];
  let best = -1;
  for (const c of candidates) {
    const r = await evaluate(target, under(model, c), train, { limit: images });
    scores.push({ convention: c.name, label: c.label, accuracy: r.accuracy, errors: r.errors, count: r.count });
    if (best < 0 || r.accuracy > scores[best].accuracy) best = scores.length - 1;
  }
  const win = candidates[best];
  const s = scores[best];
  const pct = (a: number): string => `${(a * 100).toFixed(1)} %`;
  const others = scores.filter((_, i) => i !== best).map((o) => `${o.convention} ${pct(o.accuracy)}`);
  const reason = options.only
    ? `input convention '${win.name}' (${win.label}) as asked: ${pct(s.accuracy)} on ${s.count} training images`
    : `input convention '${win.name}' (${win.label}): ${pct(s.accuracy)} on the first ${s.count} training images${others.length ? `, against ${others.join(', ')}` : ''}`;
  const chosen = under(model, win);
  // The identity needs no map in the file.
  const p = chosen.architecture.preprocess!;
  if (p.scale === 1 && p.offset === 0) delete chosen.architecture.preprocess;
  return { model: chosen, chosen: win.name, scores, reason };
}
