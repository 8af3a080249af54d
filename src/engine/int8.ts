/**
 * Integer-only models from float ones: activation ranges calibrated on the
 * first N training images (never test images), by the method the model's
 * own `int8` pipeline step recorded unless one is asked for. A model file
 * stores no activation ranges, so every front end recalibrates the same way
 * and gets the same integer model.
 */
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import type { CalibrationMethod } from '../compress/int8.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { parsePipeline } from '../compress/pipeline.ts';
import type { Int8Model } from '../model/int8.ts';
import type { Model } from '../model/model.ts';
import { DEFAULTS } from '../model/defaults.ts';

/** A calibration method and its percentile. */
export interface Calibration {
  method: CalibrationMethod;
  percentile?: number;
}

/**
 * The calibration method the model's pipeline `int8` step recorded, if any:
 * files keep the pipeline as its text (`compress`), in-memory models as the
 * list of recorded steps.
 */
export function recordedInt8Method(model: Model): Calibration | undefined {
  const recorded = model.provenance?.pipeline;
  let steps: unknown[];
  if (typeof recorded === 'string') {
    try {
      steps = parsePipeline(recorded).map((s) => ({ step: s.pass, options: s.options }));
    } catch {
      return undefined; // a pipeline this version cannot read records no int8 step it knows
    }
  } else if (Array.isArray(recorded)) steps = recorded;
  else return undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as { step?: unknown; options?: { method?: unknown; percentile?: unknown } };
    if (s?.step !== 'int8') continue;
    const method = s.options?.method === 'percentile' ? 'percentile' : 'minmax';
    return typeof s.options?.percentile === 'number' ? { method, percentile: s.options.percentile } : { method };
  }
  return undefined;
}

/** The integer-only model of `model`, calibrated on the first `images` of `train` (default DEFAULTS.calibrationImages). */
export function calibrateInt8(
  model: Model,
  train: Dataset,
  options: { images?: number; calibration?: Calibration } = {},
): { int8: Int8Model; images: number; calibration: Calibration } {
  const n = Math.min(options.images ?? DEFAULTS.calibrationImages, train.count);
  const calibration = options.calibration ?? recordedInt8Method(model) ?? { method: 'minmax' };
  const int8 = quantizeInt8Model(model, { calibration: toFloatBatch(train, 0, n), batch: n, ...calibration });
  return { int8, images: n, calibration };
}
