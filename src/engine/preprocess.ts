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
import { toFloatBatch } from '../data/dataset.ts';
import { createRunner } from './runner.ts';
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

/** Accuracies this close (a fraction: 1 point) count as a tie, decided by the loss: 512 images measure accuracy to about ±1 point. */
export const TIE_POINTS = 0.01;

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
  /** Mean softmax cross-entropy of the labels (nats): breaks ties in accuracy. */
  loss: number;
}

/** Accuracy and mean cross-entropy of `model` on the first `images` of `ds`. */
async function scoreUnder(target: RunTarget, model: Model, ds: Dataset, images: number): Promise<Omit<ConventionScore, 'convention' | 'label'>> {
  const runner = await createRunner(target, model, { maxBatch: 256 });
  try {
    let right = 0;
    let loss = 0;
    for (let s = 0; s < images; s += runner.chunk) {
      const n = Math.min(runner.chunk, images - s);
      const logits = await runner.logits(toFloatBatch(ds, s, n), n);
      const k = logits.length / n;
      for (let i = 0; i < n; i++) {
        const row = logits.subarray(i * k, i * k + k);
        const max = Math.max(...row);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        const label = ds.labels[s + i];
        loss += Math.log(sum) - (row[label] - max);
        if (row.indexOf(max) === label) right++;
      }
    }
    return { accuracy: right / images, errors: images - right, count: images, loss: loss / images };
  } finally {
    runner.destroy();
  }
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
  options: { images?: number; only?: ConventionName; onCandidate?: (done: number, total: number, c: Convention) => void | Promise<void> } = {},
): Promise<PreprocessChoice> {
  const images = Math.min(options.images ?? 512, train.count);
  const candidates = options.only ? CONVENTIONS.filter((c) => c.name === options.only) : CONVENTIONS;
  if (!candidates.length) throw new Error(`unknown input convention '${options.only}'; known: ${CONVENTIONS.map((c) => c.name).join(', ')}`);
  const scores: ConventionScore[] = [];
  let best = -1;
  for (const c of candidates) {
    await options.onCandidate?.(scores.length, candidates.length, c);
    const r = await scoreUnder(target, under(model, c), train, images);
    scores.push({ convention: c.name, label: c.label, ...r });
  }
  // The most accurate; but a ReLU net is nearly blind to the input's scale (×255 keeps most argmaxes), so candidates
  // within TIE_POINTS of the best accuracy are told apart by their loss, which a wrong scale inflates.
  const top = Math.max(...scores.map((o) => o.accuracy));
  for (let i = 0; i < scores.length; i++) {
    if (top - scores[i].accuracy > TIE_POINTS) continue;
    if (best < 0 || scores[i].loss < scores[best].loss) best = i;
  }
  const win = candidates[best];
  const s = scores[best];
  const pct = (a: number): string => `${(a * 100).toFixed(1)} %`;
  const others = scores.filter((_, i) => i !== best).map((o) => `${o.convention} ${pct(o.accuracy)}`);
  const tied = scores.filter((o, i) => i !== best && top - o.accuracy <= TIE_POINTS);
  const tie = tied.length
    ? `; within ${TIE_POINTS * 100} point of the best accuracy with ${tied.map((o) => o.convention).join(', ')}, chosen by its lower loss (${s.loss.toFixed(3)} against ${tied.map((o) => o.loss.toFixed(3)).join(', ')} nats)`
    : '';
  const reason = options.only
    ? `input convention '${win.name}' (${win.label}) as asked: ${pct(s.accuracy)} on ${s.count} training images`
    : `input convention '${win.name}' (${win.label}): ${pct(s.accuracy)} on the first ${s.count} training images${others.length ? `, against ${others.join(', ')}` : ''}${tie}`;
  const chosen = under(model, win);
  // The identity needs no map in the file.
  const p = chosen.architecture.preprocess!;
  if (p.scale === 1 && p.offset === 0) delete chosen.architecture.preprocess;
  return { model: chosen, chosen: win.name, scores, reason };
}
