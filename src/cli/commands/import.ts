/**
 * `compression-lab import`: bring a model from PyTorch (ONNX), TensorFlow.js
 * or Keras (TF.js Layers model.json + shards) into the lab. Prints what each
 * lab layer was made from, parameters and FLOPs, the input convention chosen
 * (and the scores behind the choice), and the test accuracy of the imported
 * model; `--out` writes it as a lab model file that every other command takes.
 * (Every command also takes the .onnx or model.json directly.)
 */
import { writeFile } from 'node:fs/promises';
import { loadDataset } from '../../data/node-loader.ts';
import { CONVENTIONS, evaluate, importModelFiles, type ConventionName } from '../../engine/index.ts';
import { readImportFiles } from '../../engine/node.ts';
import { accountModel } from '../../model/accounting.ts';
import { serializeModel } from '../../model/format.ts';
import type { Command } from '../common.ts';
import { UsageError, fmtShape } from '../common.ts';
import { formatTable } from '../table.ts';
import { acquireBackend, intOption } from './gpu-options.ts';

function conventionFlag(v: string | boolean | undefined): ConventionName | undefined {
  if (v === undefined) return undefined;
  const c = CONVENTIONS.find((k) => k.name === v);
  if (!c) throw new UsageError(`--input must be one of ${CONVENTIONS.map((k) => k.name).join(', ')}, got '${String(v)}'`);
  return c.name;
}

export const importCommand: Command = {
  summary: 'import an ONNX or TF.js Layers model: layers, FLOPs, the input convention chosen, test accuracy; --out writes a lab file',
  usage:
    'compression-lab import <file.onnx | model.json> [--out model.safetensors] [--input unit|mnist|byte|symmetric|inverted] [--name NAME] [--cpu] [--backend vulkan|opengl] [--json]',
  options: {
    out: { type: 'string' },
    input: { type: 'string' },
    name: { type: 'string' },
    cpu: { type: 'boolean' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    // Hidden, for tests: the first N test images only.
    limit: { type: 'string' },
  },
  async run([path], values, io) {
    if (!path) throw new UsageError('missing <file.onnx | model.json>');
    const convention = conventionFlag(values.input);
    const files = await readImportFiles(path);
    const target = values.cpu ? ('cpu' as const) : await acquireBackend(values.backend);
    try {
      const t0 = performance.now();
      const train = await loadDataset('mnist', 'train');
      const r = await importModelFiles(files, {
        target,
        train,
        ...(convention ? { convention } : {}),
        ...(typeof values.name === 'string' ? { name: values.name } : {}),
      });
      if (!r.report || !r.choice) throw new UsageError(`${path} is a Compression Lab model file already; nothing to import`);
      const test = await loadDataset('mnist', 'test');
      const limit = Math.min(intOption(values, 'limit', test.count)!, test.count);
      const acc = await evaluate(target, r.model, test, { limit });
      const model = r.model;
      model.provenance = { ...model.provenance, testAccuracy: acc.accuracy, testErrors: acc.errors, testCount: acc.count, dataset: 'mnist' };
      const account = accountModel(model.architecture);
      let written: number | undefined;
      if (typeof values.out === 'string') {
        const bytes = serializeModel(model);
        await writeFile(values.out, bytes);
        written = bytes.byteLength;
      }
      const seconds = (performance.now() - t0) / 1000;
      const report = r.report;
      if (values.json) {
        io.out(
          JSON.stringify(
            {
              file: path,
              format: r.format,
              producer: report.producer,
              opset: report.opset,
              architecture: model.architecture,
              layers: report.layers,
              dropped: report.dropped,
              notes: report.notes,
              params: account.total.params,
              flops: account.total.flops,
              input: { chosen: r.choice.chosen, preprocess: model.architecture.preprocess ?? null, reason: r.choice.reason, scores: r.choice.scores },
              test: { ...acc, dataset: 'mnist' },
              ...(written !== undefined ? { out: values.out, bytes: written } : {}),
              seconds,
            },
            null,
            2,
          ),
        );
        return;
      }
      const producer = report.producer ? ` from ${report.producer.name} ${report.producer.version}`.trimEnd() : '';
      io.out(`${path}: ${r.format}${producer}${report.opset ? `, opset ${report.opset}` : ''} → lab model '${model.architecture.name}'\n`);
      const byName = new Map(account.layers.map((l) => [l.name, l]));
      io.out(
        formatTable(
          ['layer', 'kind', 'from', 'output', 'params', 'FLOPs'],
          [
            ...report.layers.map((l) => {
              const a = byName.get(l.name);
              return [l.name, l.kind, l.from.join(', '), a ? fmtShape(a.outputShape) : '', a?.params ?? 0, a?.flops ?? 0];
            }),
            ['total', '', '', '', account.total.params, account.total.flops],
          ],
        ),
      );
      for (const d of report.dropped) io.out(`dropped ${d.name} (${d.op}): ${d.why}`);
      for (const n of report.notes) io.out(`note: ${n}`);
      io.out(`input: ${r.choice.reason}`);
      io.out(`test accuracy: ${(acc.accuracy * 100).toFixed(2)} % (${acc.errors} errors of ${acc.count} MNIST test images) on ${acc.description}`);
      if (written !== undefined) io.out(`wrote ${values.out}: ${written.toLocaleString('en-US')} bytes`);
    } finally {
      if (target !== 'cpu') target.device.destroy();
    }
  },
};
