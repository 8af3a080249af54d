/**
 * Every compression pass end to end on a bundled trained model, the way a
 * user runs it: `compression-lab compress models/<model>.safetensors
 * --pipeline … --json`, file written, accuracy measured on the first 1,000
 * MNIST test images next to the input's own accuracy on the same images.
 * The hand-checked unit tests of each pass are in src/compress/passes.test.ts;
 * these check that the pass does its job on a real network: a lossless pass
 * loses nothing, a lossy one costs what it should at most, size and FLOPs
 * move the right way, and the written file reads back.
 *
 * article-net (17,698 parameters) keeps the CPU fine-tuning short; the
 * training steps run on the first 2,000–4,000 training images with the
 * float CPU trainer (`--trainer cpu`: deterministic, and no GPU queue to
 * share with the GPU suites). int8 runs on the GPU: it checks the integer
 * GPU path against the CPU integer reference on the bundled weights.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import { parseModel } from '../../model/format.ts';

const MODEL = 'models/article-net.safetensors';
// The CPU trainer runs the teacher's forward pass per batch: LeNet-300-100 (0.53 MFLOP) keeps it cheap.
const TEACHER = 'models/lenet-300-100.safetensors';
const EVAL = '1000';
const KMEANS_MAX_DROP = 1.5;

interface Report {
  accuracy: number;
  errors: number;
  count: number;
  bytes: number;
  fp32Bytes: number;
  ratio: number;
  sparsity: number;
  params: { before: number; after: number };
  flops: { before: number; after: number };
  baseline: { accuracy: number; errors: number; bytes: number };
  int8?: { errors: number; accuracy: number };
  int8Gpu?: { errors: number; accuracy: number };
  tensors: { name: string; encoding: string }[];
}

let dir: string | undefined;
async function compress(pipeline: string, ...extra: string[]): Promise<{ report: Report; file: Uint8Array }> {
  dir ??= await mkdtemp(join(tmpdir(), 'bundled-passes-'));
  const out = join(dir, `${pipeline.replace(/[^a-z0-9]+/gi, '_').slice(0, 80)}.safetensors`);
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(['compress', MODEL, '--pipeline', pipeline, '--out', out, '--json', '--eval-limit', EVAL, '--quiet', ...extra], {
    out: (s) => lines.push(s),
    err: (s) => errs.push(s),
  });
  expect(errs.join('\n')).toBe('');
  expect(code).toBe(0);
  const report = JSON.parse(lines.join('\n')) as Report;
  if (process.env.CALIB)
    console.log(
      `CALIB ${pipeline} acc ${report.accuracy} base ${report.baseline?.accuracy} ratio ${report.ratio.toFixed(3)} sparsity ${report.sparsity.toFixed(3)} params ${JSON.stringify(report.params)} flops ${JSON.stringify(report.flops)} int8 ${report.int8?.errors} int8Gpu ${report.int8Gpu?.errors} bytes ${report.bytes}`,
    );
  const file = new Uint8Array(await readFile(out));
  expect(file.length).toBe(report.bytes);
  parseModel(file); // reads back
  return { report, file };
}
const cpu = ['--trainer', 'cpu'];
/** Accuracy lost, in points (positive = worse than the bundled model on the same images). */
const drop = (r: Report): number => (r.baseline.accuracy - r.accuracy) * 100;

describe('every pass on the bundled article-net (compress CLI, first 1,000 test images)', () => {
  // A net of 17,698 weights has little slack: one-shot pruning or 1–2-bit
  // weights cost it many points until it is fine-tuned. So the lossy passes
  // are checked as a user judges them: what the pass costs right away, and
  // that the training step the recipe prescribes wins most of it back.
  it('prune: 50 % costs points at once, a short fine-tune wins them back; sparse + Huffman coding on top are lossless and smaller', async () => {
    const pruned = (await compress('prune:sparsity=0.5', ...cpu)).report;
    expect(pruned.baseline.accuracy).toBeGreaterThan(0.97);
    expect(pruned.sparsity).toBeCloseTo(0.5, 2);
    const coded = (await compress('prune:sparsity=0.5 | sparse:when=always | huffman', ...cpu)).report;
    expect(coded.errors).toBe(pruned.errors);
    expect(coded.bytes).toBeLessThan(pruned.bytes);
    expect(coded.tensors.find((t) => t.name === 'fc1.weight')!.encoding).toMatch(/huffman/);
    const tuned = (await compress('prune:sparsity=0.5 | finetune:limit=4000,lr=0.01', ...cpu)).report;
    expect(tuned.sparsity).toBeCloseTo(0.5, 2);
    expect(tuned.accuracy).toBeGreaterThan(pruned.accuracy + 0.02);
    expect(drop(tuned)).toBeLessThan(2);
  }, 600_000);

  it('gradual pruning to 80 % (fine-tuning between stages) beats one-shot pruning to 80 % by far', async () => {
    const oneShot = (await compress('prune:sparsity=0.8', ...cpu)).report;
    const gradual = (await compress('gradual:sparsity=0.8,stages=2,epochsPerStage=1,limit=3000,lr=0.01', ...cpu)).report;
    expect(gradual.sparsity).toBeCloseTo(0.8, 2);
    expect(oneShot.sparsity).toBeCloseTo(0.8, 2);
    expect(gradual.accuracy).toBeGreaterThan(oneShot.accuracy + 0.1);
    expect(drop(gradual)).toBeLessThan(8);
  }, 600_000);

  it('structured pruning really removes units (fewer parameters and FLOPs); fine-tuning recovers the accuracy', async () => {
    const cut = (await compress('structured:amount=0.3', ...cpu)).report;
    const r = (await compress('structured:amount=0.3 | finetune:limit=4000,lr=0.01', ...cpu)).report;
    expect(r.params.after).toBeLessThan(0.6 * r.params.before);
    expect(r.flops.after).toBeLessThan(0.6 * r.flops.before);
    expect(r.bytes).toBeLessThan(0.6 * r.baseline.bytes);
    expect(r.accuracy).toBeGreaterThan(cut.accuracy + 0.1);
    expect(drop(r)).toBeLessThan(5);
  }, 600_000);

  it('fp16, INT11 and 8-bit linear cost at most 0.3 point; k-means sharing is smaller still', async () => {
    const fp16 = (await compress('fp16', ...cpu)).report;
    const int11 = (await compress('quantize:bits=11,scheme=asymmetric', ...cpu)).report;
    const q8 = (await compress('quantize:bits=8,granularity=channel', ...cpu)).report;
    const km = (await compress('kmeans:bits=5 | huffman', ...cpu)).report;
    expect(fp16.ratio).toBeGreaterThan(1.8);
    expect(int11.ratio).toBeGreaterThan(fp16.ratio);
    expect(q8.ratio).toBeGreaterThan(int11.ratio);
    expect(km.ratio).toBeGreaterThan(q8.ratio);
    for (const r of [fp16, int11, q8]) expect(drop(r)).toBeLessThanOrEqual(0.3);
    expect(drop(km)).toBeLessThan(KMEANS_MAX_DROP);
  }, 600_000);

  it('ternary and binary weights: quantization-aware fine-tuning wins back much of what they cost', async () => {
    const t0 = (await compress('ternary:granularity=channel', ...cpu)).report;
    const t = (await compress('ternary:granularity=channel | finetune:limit=4000,lr=0.01', ...cpu)).report;
    expect(t.ratio).toBeGreaterThan(8);
    expect(t.accuracy).toBeGreaterThan(t0.accuracy + 0.03);
    const b0 = (await compress('binary:granularity=channel', ...cpu)).report;
    const b = (await compress('binary:granularity=channel | finetune:limit=4000,lr=0.01', ...cpu)).report;
    expect(b.bytes).toBeLessThan(t.bytes);
    expect(b.accuracy).toBeGreaterThan(b0.accuracy + 0.1);
  }, 600_000);

  it('hashing to 1/4 of the values: useless untrained, trained as shared values it learns', async () => {
    const h0 = (await compress('hash:ratio=4', ...cpu)).report;
    const h = (await compress('hash:ratio=4 | finetune:limit=4000,lr=0.01', ...cpu)).report;
    expect(h.ratio).toBeGreaterThan(3);
    expect(h.accuracy).toBeGreaterThan(h0.accuracy + 0.5);
  }, 600_000);

  it('distillation from the bundled lenet-300-100 repairs a 70 %-pruned net', async () => {
    const pruned = (await compress('prune:sparsity=0.7', ...cpu)).report;
    const d = (await compress(`prune:sparsity=0.7 | distill:teacher=${TEACHER},temperature=4,alpha=0.7,limit=2000,lr=0.01`, ...cpu)).report;
    expect(d.sparsity).toBeCloseTo(0.7, 2);
    expect(d.accuracy).toBeGreaterThan(pruned.accuracy + 0.2);
  }, 600_000);

  it('downsampling and separable conversion cut FLOPs; fine-tuning trains the changed net back', async () => {
    for (const pass of ['downsample:after=conv1', 'separable']) {
      const raw = (await compress(pass, ...cpu)).report;
      const tuned = (await compress(`${pass} | finetune:limit=4000,lr=0.01`, ...cpu)).report;
      expect(tuned.flops.after).toBeLessThan(0.7 * tuned.flops.before);
      expect(tuned.accuracy).toBeGreaterThan(raw.accuracy + 0.2);
    }
  }, 600_000);

  it('int8 weights + activations: the GPU integer path equals the CPU integer reference, within 0.5 point of fp32', async () => {
    const r = (await compress('int8')).report;
    expect(r.int8Gpu!.errors).toBe(r.int8!.errors);
    expect((r.baseline.accuracy - r.int8Gpu!.accuracy) * 100).toBeLessThanOrEqual(0.5);
  }, 600_000);
});
