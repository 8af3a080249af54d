/**
 * A fine-tuner and an evaluator on the float32 CPU reference: slow, but it
 * needs no GPU, so tests (and a CLI without the GPU trainer) can run a whole
 * pipeline. Implements every part of a `FineTuneRequest`: masks (pruned
 * weights stay 0), shared values (codebook/hashed: gradients summed per
 * shared value, Deep Compression's centroid update), quantization-aware
 * training (straight-through estimator: forward with the projected weights,
 * update float shadows) and distillation from a teacher's soft targets.
 * SGD with momentum 0.9.
 */
import type { Dataset } from '../data/dataset.ts';
import { gatherFloatBatch, gatherLabels, shuffledIndices, toFloatBatch } from '../data/dataset.ts';
import type { Model } from '../model/model.ts';
import { weightShapes } from '../model/shapes.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { argmax, softmax, softmaxCrossEntropy } from '../cpu/loss.ts';
import { learningRate } from '../cpu/optim.ts';
import { cloneModel } from './common.ts';
import type { FineTuneRequest, FineTuner } from './pipeline.ts';
import { projectToEncoding } from './quantize.ts';

/** The examples a CPU trainer reads (a loaded Dataset fits). */
export type Examples = Pick<Dataset, 'count' | 'rows' | 'cols' | 'images' | 'labels' | 'name' | 'split'>;

/** Accuracy of the float CPU reference on the first `limit` examples (all by default). */
export function evaluateCpu(model: Model, data: Examples, limit = data.count, batch = 250): { accuracy: number; errors: number; count: number } {
  const count = Math.min(limit, data.count);
  const classes = 10;
  let errors = 0;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const x = toFloatBatch(data as Dataset, start, n);
    const pred = argmax(modelForward(model, x, n), n, classes);
    for (let i = 0; i < n; i++) if (pred[i] !== data.labels[start + i]) errors++;
  }
  return { accuracy: count ? (count - errors) / count : 0, errors, count };
}

/** A `FineTuner` on the CPU reference over `train` (progress lines go to `log`). */
export function cpuFineTuner(train: Examples, log: (s: string) => void = () => {}): FineTuner {
  return async (model, req) => fineTuneCpu(model, train, req, log);
}

/** One run of fine-tuning (see the module comment); returns a new model. */
export function fineTuneCpu(model: Model, train: Examples, req: FineTuneRequest, log: (s: string) => void = () => {}): Model {
  const out = cloneModel(model);
  const shapes = weightShapes(out.architecture);
  const names = Object.keys(shapes);
  const shadow: Record<string, Float32Array> = {};
  const velocity: Record<string, Float64Array> = {};
  for (const n of names) {
    shadow[n] = out.weights[n].slice();
    velocity[n] = new Float64Array(shadow[n].length);
  }
  // Shared-value groups: one value table per group (a tensor, or several for network-wide hashing).
  const groups = new Map<string, { values: Float64Array; velocity: Float64Array; members: string[] }>();
  for (const [name, s] of Object.entries(req.centroids ?? {})) {
    const key = s.group ?? name;
    let g = groups.get(key);
    if (!g) {
      g = { values: new Float64Array(s.k), velocity: new Float64Array(s.k), members: [] };
      groups.set(key, g);
    }
    const w = out.weights[name];
    for (let i = 0; i < w.length; i++) g.values[s.assignments[i]] = w[i];
    g.members.push(name);
  }
  const masks = req.masks ?? {};
  const effective = (): void => {
    for (const n of names) {
      const c = req.centroids?.[n];
      if (c) {
        const g = groups.get(c.group ?? n)!;
        const w = out.weights[n];
        for (let i = 0; i < w.length; i++) w[i] = g.values[c.assignments[i]];
      } else if (req.qat?.[n]) out.weights[n] = projectToEncoding(shadow[n], shapes[n], req.qat[n]);
      else out.weights[n] = shadow[n].slice();
      const m = masks[n];
      if (m) {
        const w = out.weights[n];
        for (let i = 0; i < w.length; i++) if (!m[i]) w[i] = 0;
      }
    }
  };
  const count = req.limit > 0 ? Math.min(req.limit, train.count) : train.count;
  const batch = req.batch;
  const classes = 10;
  const momentum = 0.9;
  const distill = req.distill;
  const stepsPerEpoch = Math.floor(count / batch);
  const totalSteps = Math.max(1, stepsPerEpoch * req.epochs);
  const wd = req.weightDecay ?? 0;
  const schedule = req.schedule === 'cosine' ? ({ kind: 'cosine', minLr: 0 } as const) : ({ kind: 'constant' } as const);
  for (let epoch = 0; epoch < req.epochs; epoch++) {
    const order = shuffledIndices(count, req.seed + epoch);
    let lossSum = 0;
    let steps = 0;
    for (let start = 0; start + batch <= count; start += batch) {
      // The same per-step rate as the GPU trainer (src/gpu/train/optimizers.ts fills its schedule buffer with learningRate too).
      const lr = learningRate(req.lr, schedule, epoch, (epoch * stepsPerEpoch + steps) / totalSteps);
      effective();
      const idx = order.subarray(start, start + batch);
      const x = gatherFloatBatch(train as Dataset, idx);
      const labels = gatherLabels(train as Dataset, idx);
      const acts = modelForwardAll(out, x, batch);
      const logits = acts[acts.length - 1];
      let dLogits: Float32Array;
      let loss: number;
      if (distill) {
        const T = distill.temperature;
        const soft = softmax(modelForward(distill.teacher, x, batch), batch, classes, T);
        const s = softmaxCrossEntropy(logits, batch, classes, { soft }, T);
        const h = softmaxCrossEntropy(logits, batch, classes, { labels });
        const a = distill.alpha;
        dLogits = s.dLogits.map((d, i) => a * T * T * d + (1 - a) * h.dLogits[i]);
        loss = a * T * T * s.loss + (1 - a) * h.loss;
      } else {
        const r = softmaxCrossEntropy(logits, batch, classes, { labels });
        dLogits = r.dLogits;
        loss = r.loss;
      }
      lossSum += loss;
      steps++;
      const { grads } = modelBackward(out, x, batch, acts, dLogits);
      // Shared values: sum the member weights' gradients per value.
      for (const [key, g] of groups) {
        const sum = new Float64Array(g.values.length);
        for (const n of g.members) {
          const a = req.centroids![n].assignments;
          const m = masks[n];
          const d = grads[n];
          for (let i = 0; i < d.length; i++) if (!m || m[i]) sum[a[i]] += d[i];
        }
        for (let j = 0; j < sum.length; j++) {
          g.velocity[j] = momentum * g.velocity[j] + sum[j];
          g.values[j] = Math.fround(g.values[j] - lr * g.velocity[j]);
        }
        void key;
      }
      for (const n of names) {
        if (req.centroids?.[n]) continue;
        const w = shadow[n];
        const v = velocity[n];
        const d = grads[n];
        const m = masks[n];
        for (let i = 0; i < w.length; i++) {
          if (m && !m[i]) {
            w[i] = 0;
            v[i] = 0;
            continue;
          }
          // L2 weight decay added to the gradient, as the GPU trainer's SGD does.
          v[i] = momentum * v[i] + d[i] + wd * w[i];
          w[i] -= lr * v[i];
        }
      }
    }
    log(`  epoch ${epoch + 1}/${req.epochs}: mean loss ${(lossSum / Math.max(steps, 1)).toFixed(4)} over ${steps} steps of ${batch}`);
  }
  effective();
  return out;
}
