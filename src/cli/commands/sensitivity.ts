/**
 * `compression-lab sensitivity`: per-layer sensitivity sweep (Han et al. 2015
 * Fig. 6 style). One layer at a time is pruned to each sparsity, or
 * quantized to each bit width (linear, symmetric, per output channel), with
 * no fine-tuning, and the accuracy measured on the test images of the
 * model's dataset with the float CPU reference. Tells which layers tolerate aggressive settings.
 */
import { loadDataset } from '../../data/node-loader.ts';
import { weightTensors } from '../../compress/common.ts';
import { prune } from '../../compress/prune.ts';
import { quantize } from '../../compress/quantize.ts';
import { formatTable } from '../table.ts';
import type { Command } from '../common.ts';
import { UsageError } from '../common.ts';
import { datasetFor, evaluate, originLabel } from '../../engine/index.ts';
import { resolveModel } from '../../engine/node.ts';
import type { Model } from '../../model/model.ts';
import type { Dataset } from '../../data/dataset.ts';
import { datasetFlag } from './gpu-options.ts';

async function evaluateCpu(model: Model, test: Dataset, limit: number): Promise<{ accuracy: number; errors: number; count: number }> {
  const { accuracy, errors, count } = await evaluate('cpu', model, test, { limit });
  return { accuracy, errors, count };
}

function list(values: Record<string, unknown>, key: string, fallback: number[], ok: (n: number) => boolean): number[] {
  const v = values[key];
  if (v === undefined) return fallback;
  const items = String(v)
    .split(',')
    .map((s) => Number(s.trim()));
  if (items.length === 0 || items.some((n) => !ok(n))) throw new UsageError(`--${key} must be a comma-separated list, got '${String(v)}'`);
  return items;
}

export const sensitivityCommand: Command = {
  summary: 'per-layer sensitivity: accuracy when one layer at a time is pruned or quantized',
  usage: 'compression-lab sensitivity <model> [--untrained] [--dataset mnist|fashion-mnist] [--sparsity 0.5,0.8,0.9] [--bits 8,4,2] [--eval-limit N] [--json]',
  options: {
    untrained: { type: 'boolean' },
    dataset: { type: 'string' },
    sparsity: { type: 'string' },
    bits: { type: 'string' },
    'eval-limit': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run([arg], values, io) {
    const sparsities = list(values, 'sparsity', [0.5, 0.8, 0.9], (n) => n >= 0 && n < 1);
    const bits = list(values, 'bits', [8, 4, 2], (n) => Number.isInteger(n) && n >= 2 && n <= 16);
    const evalLimit = values['eval-limit'] === undefined ? 10000 : Number(values['eval-limit']);
    if (!Number.isInteger(evalLimit) || evalLimit < 1) throw new UsageError(`--eval-limit must be a positive integer, got '${String(values['eval-limit'])}'`);
    const resolved = await resolveModel(arg, { untrained: values.untrained === true });
    const model = resolved.model;
    const { dataset, warning } = datasetFor(model, datasetFlag(values.dataset));
    if (warning) io.err(warning);
    const test = await loadDataset(dataset, 'test');
    const base = await evaluateCpu(model, test, evalLimit);
    const rows: { layer: string; kind: 'sparsity' | 'bits'; setting: number; accuracy: number; errors: number }[] = [];
    for (const t of weightTensors(model)) {
      for (const s of sparsities) {
        const r = await evaluateCpu(prune(model, { sparsity: s, layers: [t.layer.name] }), test, evalLimit);
        rows.push({ layer: t.layer.name, kind: 'sparsity', setting: s, accuracy: r.accuracy, errors: r.errors });
      }
      for (const b of bits) {
        const r = await evaluateCpu(quantize(model, { bits: b, layers: [t.layer.name] }), test, evalLimit);
        rows.push({ layer: t.layer.name, kind: 'bits', setting: b, accuracy: r.accuracy, errors: r.errors });
      }
    }
    if (values.json) {
      io.out(
        JSON.stringify(
          { model: arg, weights: resolved.origin, dataset, evaluator: 'cpu-reference (float32)', count: base.count, baseline: base, rows },
          null,
          2,
        ),
      );
      return;
    }
    io.out(
      `${arg}${resolved.origin === 'untrained' ? ` [${originLabel('untrained')}]` : ''}: baseline ${(base.accuracy * 100).toFixed(2)}% on ${base.count} ${dataset} test images (float CPU reference); one layer changed at a time, no fine-tuning\n`,
    );
    const header = ['layer', ...sparsities.map((s) => `sparsity ${s}`), ...bits.map((b) => `${b} bits`)];
    const layers = [...new Set(rows.map((r) => r.layer))];
    io.out(
      formatTable(
        header,
        layers.map((l) => [
          l,
          ...sparsities.map((s) => `${(rows.find((r) => r.layer === l && r.kind === 'sparsity' && r.setting === s)!.accuracy * 100).toFixed(2)}%`),
          ...bits.map((b) => `${(rows.find((r) => r.layer === l && r.kind === 'bits' && r.setting === b)!.accuracy * 100).toFixed(2)}%`),
        ]),
      ),
    );
  },
};
