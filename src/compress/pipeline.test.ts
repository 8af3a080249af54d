import { describe, expect, it } from 'vitest';
import type { Architecture } from '../model/layers.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { parseModel, serializeModel } from '../model/format.ts';
import { cpuFineTuner, evaluateCpu, fineTuneCpu, type Examples } from './cpu-trainer.ts';
import { STEPS, fineTuneRequestFor, finetuneDefaults, formatPipeline, parsePipeline, projectOntoRequest, runPipeline } from './pipeline.ts';
import { quantize } from './quantize.ts';
import { sizeBreakdown } from './breakdown.ts';
import { kmeans } from './kmeans.ts';
import { prune } from './prune.ts';
import { distinctValues } from '../model/codecs.ts';
import { trainerExtrasFor } from '../engine/trainer-extras.ts';
import { trainOptionsFor } from '../engine/finetune.ts';
import type { Model } from '../model/model.ts';
import type { FineTuneRequest } from './pipeline.ts';
import { hashWeights } from './hashing.ts';

const arch: Architecture = {
  name: 'tiny',
  inputShape: [6, 6, 1],
  layers: [
    { kind: 'conv2d', name: 'conv', filters: 6, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
    { kind: 'relu', name: 'r1' },
    { kind: 'maxPool2d', name: 'pool', window: [2, 2], stride: [2, 2] },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc1', units: 32, bias: true },
    { kind: 'relu', name: 'r2' },
    { kind: 'dense', name: 'fc2', units: 10, bias: true },
  ],
};

/** A learnable toy task: class c lights a fixed random pattern of pixels, plus noise. */
function toyData(count: number, seed: number): Examples {
  const patterns = Array.from({ length: 10 }, (_, c) => {
    const r = mulberry32(100 + c);
    return Array.from({ length: 36 }, () => (r() < 0.35 ? 1 : 0));
  });
  const r = mulberry32(seed);
  const images = new Uint8Array(count * 36);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const c = Math.floor(r() * 10);
    labels[n] = c;
    for (let i = 0; i < 36; i++) images[n * 36 + i] = Math.min(255, Math.floor(patterns[c][i] * 200 + r() * 80));
  }
  return { name: 'mnist', split: 'train', count, rows: 6, cols: 6, images, labels };
}

describe('pipeline syntax', () => {
  it('parses steps and typed options, and prints them back', () => {
    const steps = parsePipeline('prune:sparsity=0.9,scope=layer | finetune:epochs=2 | kmeans:bits=5,layers=fc1+fc2 | huffman');
    expect(steps).toEqual([
      { pass: 'prune', options: { sparsity: 0.9, scope: 'layer' } },
      { pass: 'finetune', options: { epochs: 2 } },
      { pass: 'kmeans', options: { bits: 5, layers: ['fc1', 'fc2'] } },
      { pass: 'huffman', options: {} },
    ]);
    expect(parsePipeline(formatPipeline(steps))).toEqual(steps);
  });

  it('names the step and option at fault', () => {
    expect(() => parsePipeline('prnue')).toThrow(/unknown step 'prnue'/);
    expect(() => parsePipeline('prune:sparsity=2')).toThrow(/sparsity must be from 0 to 0.999/);
    expect(() => parsePipeline('prune:bits=2')).toThrow(/unknown option 'bits'.*sparsity/);
    expect(() => parsePipeline('quantize:scheme=weird')).toThrow(/one of symmetric, asymmetric/);
    expect(() => parsePipeline('prune | | huffman')).toThrow(/empty step/);
  });

  it('every step has a label, defaults and a schema whose fields exist in the defaults', () => {
    for (const [name, def] of Object.entries(STEPS)) {
      expect(def.label, name).toBeTruthy();
      for (const f of def.schema) expect(Object.keys(def.defaultOptions), `${name}.${f.name}`).toContain(f.name);
    }
  });
});

describe('provenance', () => {
  it('a model made by an earlier pipeline keeps that history: the file records both stages, in order', async () => {
    const first = await runPipeline(initModel(arch, 5), 'prune:sparsity=0.5');
    const stage1 = parseModel(serializeModel(first.model));
    expect(stage1.provenance?.pipeline).toBe('prune:sparsity=0.5');
    const second = await runPipeline(stage1, 'kmeans:bits=4 | huffman');
    const back = parseModel(serializeModel(second.model));
    expect(back.provenance?.pipeline).toBe('prune:sparsity=0.5 | kmeans:bits=4 | huffman');
    expect(parsePipeline(String(back.provenance?.pipeline)).map((s) => s.pass)).toEqual(['prune', 'kmeans', 'huffman']);
    // A model with no pipeline behind it records only its own.
    expect((await runPipeline(initModel(arch, 5), 'fp16')).model.provenance?.pipeline).toBe('fp16');
  });

  it("every step's reported bytes are the bytes of the file that step's model would write", async () => {
    const steps = 'prune:sparsity=0.8 | kmeans:bits=4 | sparse:gapBits=3 | huffman';
    const stage1 = parseModel(serializeModel((await runPipeline(initModel(arch, 5), 'prune:sparsity=0.5')).model));
    const result = await runPipeline(stage1, steps);
    expect(result.reports.at(-1)!.bytes).toBe(serializeModel(result.model).byteLength);
    // And at every step: rerun the prefix and write its file.
    const list = parsePipeline(steps);
    for (let i = 0; i < list.length; i++) {
      const prefix = await runPipeline(stage1, list.slice(0, i + 1));
      expect(result.reports[i].bytes, list[i].pass).toBe(serializeModel(prefix.model).byteLength);
    }
  });
});

describe('fine-tuning requests', () => {
  it('carry masks from zeros and codebook assignments', () => {
    const m = kmeans(prune(initModel(arch, 1), { sparsity: 0.5 }), { bits: 2 });
    delete m.masks; // as after loading a file
    const req = fineTuneRequestFor(m, finetuneDefaults);
    expect(req.masks['fc1.weight'].filter((x) => x === 0).length).toBe(Math.round(0.5 * 32 * 24));
    expect(req.centroids!['fc1.weight'].k).toBeLessThanOrEqual(4);
  });

  it('do not freeze the zeros of ternary tensors (they are a value, not pruned weights)', () => {
    const t = quantize(initModel(arch, 1), { mode: 'ternary' });
    const req = fineTuneRequestFor(t, finetuneDefaults);
    expect(req.masks['fc1.weight']).toBeUndefined();
    expect(req.qat!['fc1.weight']).toEqual({ kind: 'ternary', axis: 0 });
  });

  it('the CPU fine-tuner keeps pruned weights at 0 and shared weights shared', () => {
    const train = toyData(256, 1);
    const m = kmeans(prune(initModel(arch, 2), { sparsity: 0.6 }), { bits: 2 });
    const req = fineTuneRequestFor(m, { ...finetuneDefaults, batch: 32, lr: 0.05 });
    const t = fineTuneCpu(m, train, req);
    for (const n of ['conv.weight', 'fc1.weight', 'fc2.weight']) {
      for (let i = 0; i < t.weights[n].length; i++) if (m.weights[n][i] === 0) expect(t.weights[n][i]).toBe(0);
      expect(distinctValues(t.weights[n]).length).toBeLessThanOrEqual(4);
    }
    expect(t.weights['fc1.weight']).not.toEqual(m.weights['fc1.weight']);
  });
});

describe('projectOntoRequest (for trainers without shared-value updates)', () => {
  it("sets shared values to their members' mean, re-fits linear grids and zeroes masked weights", () => {
    const m = kmeans(prune(initModel(arch, 4), { sparsity: 0.5 }), { bits: 2, layers: ['fc1'] });
    const q = quantize(m, { bits: 4, granularity: 'tensor', layers: ['fc2'] });
    const req = fineTuneRequestFor(q, finetuneDefaults);
    // "Train" freely: perturb every weight.
    const r = mulberry32(5);
    const trained = structuredClone(q);
    for (const w of Object.values(trained.weights)) for (let i = 0; i < w.length; i++) w[i] += (r() - 0.5) * 0.01;
    const p = projectOntoRequest(trained, req);
    const c = req.centroids!['fc1.weight'];
    const sums = new Float64Array(c.k);
    const counts = new Float64Array(c.k);
    trained.weights['fc1.weight'].forEach((v, i) => {
      if (req.masks['fc1.weight'][i]) {
        sums[c.assignments[i]] += v;
        counts[c.assignments[i]]++;
      }
    });
    p.weights['fc1.weight'].forEach((v, i) => {
      if (!req.masks['fc1.weight'][i]) expect(v).toBe(0);
      else expect(v).toBe(Math.fround(sums[c.assignments[i]] / counts[c.assignments[i]]));
    });
    expect(distinctValues(p.weights['fc2.weight']).length).toBeLessThanOrEqual(16);
    expect(p.encodings!['fc2.weight']).toMatchObject({ kind: 'linear', bits: 4 });
    expect(() => serializeModel(p)).not.toThrow();
  });
});

describe('end-to-end pipeline with an injected CPU fine-tuner', () => {
  it('trains, prunes, fine-tunes, shares, codes; the file round-trips and keeps accuracy', async () => {
    const train = toyData(2000, 1);
    const test = toyData(500, 2);
    const trained = await cpuFineTuner(train)(initModel(arch, 3), {
      ...fineTuneRequestFor(initModel(arch, 3), finetuneDefaults),
      epochs: 3,
      batch: 32,
      lr: 0.05,
    });
    const base = evaluateCpu(trained, test);
    expect(base.accuracy).toBeGreaterThan(0.9);
    const lines: string[] = [];
    const result = await runPipeline(
      trained,
      'prune:sparsity=0.7 | finetune:epochs=1,batch=32,lr=0.02 | kmeans:bits=4 | finetune:epochs=1,batch=32,lr=0.01 | sparse:gapBits=3,convGapBits=4 | huffman',
      {
        fineTuner: cpuFineTuner(train),
        log: (s) => lines.push(s),
      },
    );
    const after = evaluateCpu(result.model, test);
    expect(after.accuracy).toBeGreaterThan(base.accuracy - 0.05);
    expect(result.reports.map((r) => r.pass)).toEqual(['prune', 'finetune', 'kmeans', 'finetune', 'sparse', 'huffman']);
    expect(result.reports[0].sparsity).toBeGreaterThan(0.69);
    const size = sizeBreakdown(result.model);
    // A toy model's file is mostly header; its weight data must shrink well.
    expect(size.total - size.metadata).toBeLessThan(size.fp32Bytes / 3);
    expect(size.total).toBeLessThan(sizeBreakdown(trained).total);
    const back = parseModel(serializeModel(result.model));
    expect(evaluateCpu(back, test)).toEqual(after);
    expect(typeof back.provenance?.pipeline).toBe('string');
    expect(lines.some((l) => l.includes('bytes'))).toBe(true);
  });

  it('runs gradual pruning, distillation from a teacher, structured pruning, separable conversion and int8', async () => {
    const train = toyData(600, 1);
    const teacher = await cpuFineTuner(train)(initModel(arch, 3), {
      ...fineTuneRequestFor(initModel(arch, 3), finetuneDefaults),
      epochs: 2,
      batch: 32,
      lr: 0.05,
    });
    const calibration = { images: new Float32Array(64 * 36).map((_, i) => train.images[i] / 255), batch: 64 };
    const result = await runPipeline(
      teacher,
      'gradual:sparsity=0.6,stages=2,batch=32,limit=300 | distill:teacher=t.safetensors,temperature=4,alpha=0.7 | structured:amount=0.25,layers=fc1 | separable | int8',
      { fineTuner: cpuFineTuner(train), loadModel: async (path) => (expect(path).toBe('t.safetensors'), teacher), calibration },
    );
    const [gradual, distill, structured, separable, int8] = result.reports;
    expect(gradual.sparsity).toBeGreaterThan(0.59);
    expect(distill.pass).toBe('distill');
    expect(structured.params).toBeLessThan(distill.params);
    expect(separable.flops).toBeLessThan(structured.flops);
    expect(result.model.architecture.layers.map((l) => l.kind).slice(0, 2)).toEqual(['depthwiseConv2d', 'conv2d']);
    expect(int8.bytes).toBeLessThan(separable.bytes);
    expect(result.int8?.ops.length).toBeGreaterThan(0);
    expect(result.model.encodings!['fc1.weight']).toMatchObject({ kind: 'linear', bits: 8, signed: true, axis: 0 });
  });

  it("gradual perLayer reaches each layer's own sparsity; fp16:weights=false stores only the biases in fp16; optimizer reaches the request", async () => {
    const train = toyData(300, 2);
    const requests: string[] = [];
    const tuner = cpuFineTuner(train);
    const result = await runPipeline(
      initModel(arch, 4),
      'gradual:perLayer=fc1:0.9+conv:0.5,stages=2,batch=32,limit=128,optimizer=adam | kmeans:bits=3 | fp16:weights=false',
      {
        fineTuner: async (m, req) => (requests.push(req.optimizer ?? 'sgd'), tuner(m, req)),
      },
    );
    const zeros = (n: string): number => result.model.weights[n].filter((v) => v === 0).length / result.model.weights[n].length;
    expect(zeros('fc1.weight')).toBeCloseTo(0.9, 2);
    expect(zeros('conv.weight')).toBeCloseTo(0.5, 1);
    expect(zeros('fc2.weight')).toBe(0);
    expect(requests).toEqual(['adam', 'adam']);
    expect(result.model.encodings!['fc1.bias']).toEqual({ kind: 'fp16' });
    expect(result.model.encodings!['fc1.weight'].kind).toBe('codebook');
    expect(() => parsePipeline('gradual:perLayer=fc1:1.5')).not.toThrow();
    await expect(runPipeline(initModel(arch, 4), 'gradual:perLayer=fc1:1.5', { fineTuner: tuner })).rejects.toThrow(/perLayer item 'fc1:1.5'/);
  });

  it('schedule=cosine and weightDecay reach the requests of finetune, gradual and distill and both trainers', async () => {
    const train = toyData(256, 3);
    const seen: (string | undefined)[] = [];
    const tuner = cpuFineTuner(train);
    const fineTuner = async (m: Model, req: FineTuneRequest): Promise<Model> => (seen.push(req.schedule), tuner(m, req));
    const start = initModel(arch, 6);
    await runPipeline(start, 'finetune:schedule=cosine,limit=64,batch=32 | gradual:stages=1,limit=64,batch=32,schedule=cosine | finetune:limit=64,batch=32', {
      fineTuner,
    });
    expect(seen).toEqual(['cosine', 'cosine', undefined]);
    // Same data and seed: the CPU trainer really follows the schedule (the rate formula itself is tested with learningRate).
    const req = fineTuneRequestFor(start, { ...finetuneDefaults, lr: 0.05, batch: 32, limit: 128 });
    const constant = await tuner(start, req);
    const cosine = await tuner(start, { ...req, schedule: 'cosine' });
    const zero = await tuner(start, { ...req, lr: 0 });
    const moved = (m: Model): number =>
      Object.keys(m.weights).reduce((acc, n) => acc + m.weights[n].reduce((a, v, i) => a + Math.abs(v - start.weights[n][i]), 0), 0);
    expect(moved(zero)).toBe(0);
    expect(moved(cosine)).toBeGreaterThan(0);
    expect(moved(cosine)).toBeLessThan(moved(constant));
    expect(trainOptionsFor({ ...req, schedule: 'cosine' }).schedule).toEqual({ kind: 'cosine', minLr: 0 });
    expect(trainOptionsFor(req).schedule).toBeUndefined();
    // weightDecay: parsed, carried to both trainers; L2 pulls the weights towards 0.
    const wdSeen: (number | undefined)[] = [];
    await runPipeline(start, 'finetune:weightDecay=0.01,limit=64,batch=32 | distill:teacher=t,weightDecay=0.001,limit=64,batch=32', {
      fineTuner: async (m, r) => (wdSeen.push(r.weightDecay), tuner(m, r)),
      loadModel: async () => start,
    });
    expect(wdSeen).toEqual([0.01, 0.001]);
    expect(trainOptionsFor({ ...req, weightDecay: 0.01 }).weightDecay).toBe(0.01);
    const norm = (m: Model): number =>
      Object.keys(m.weights)
        .filter((n) => n.endsWith('.weight'))
        .reduce((acc, n) => acc + m.weights[n].reduce((a, v) => a + v * v, 0), 0);
    expect(norm(await tuner(start, { ...req, weightDecay: 0.5 }))).toBeLessThan(norm(constant));
  });

  it('trainerExtrasFor maps shared values, ternary/binary QAT and the optimizer to the GPU trainer options', () => {
    const shared = fineTuneRequestFor(kmeans(prune(initModel(arch, 5), { sparsity: 0.5 }), { bits: 3 }), { ...finetuneDefaults, optimizer: 'adam' });
    const x = trainerExtrasFor(shared);
    expect(x.optimizer).toBe('adam');
    expect(Object.keys(x.shared!).sort()).toEqual(['conv.weight', 'fc1.weight', 'fc2.weight']);
    expect(x.shared!['fc1.weight'].k).toBe(shared.centroids!['fc1.weight'].k);
    const hashed = trainerExtrasFor(fineTuneRequestFor(hashWeights(initModel(arch, 5), { ratio: 4, scope: 'network' }), finetuneDefaults));
    expect(new Set(Object.values(hashed.shared!).map((h) => h.group)).size).toBe(1);
    const t = trainerExtrasFor(fineTuneRequestFor(quantize(initModel(arch, 5), { mode: 'ternary', granularity: 'channel' }), finetuneDefaults));
    expect(t.fakeQuant).toEqual({ mode: 'ternary', bits: 2, perChannel: true, layers: ['conv', 'fc1', 'fc2'] });
    const b = trainerExtrasFor(fineTuneRequestFor(quantize(initModel(arch, 5), { mode: 'binary', granularity: 'tensor' }), finetuneDefaults));
    expect(b.fakeQuant).toMatchObject({ mode: 'binary', perChannel: false });
    expect(trainerExtrasFor(fineTuneRequestFor(quantize(initModel(arch, 5), { bits: 4 }), finetuneDefaults)).fakeQuant).toBeUndefined();
  });

  it('fails clearly without a trainer', async () => {
    await expect(runPipeline(initModel(arch, 1), 'finetune')).rejects.toThrow(/needs a trainer/);
  });
});
