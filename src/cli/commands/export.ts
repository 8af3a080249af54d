/**
 * `compression-lab export`: a lab model (bundled, a .safetensors variant, or
 * an imported .onnx / model.json) → a file a standard runtime loads as it is:
 * ONNX fp32, ONNX int8 (QDQ) or a TF.js Layers model.json with its shards.
 * It prints the files written and their bytes beside the lab file's, what the
 * format keeps and loses, and then measures the exported file in its own
 * runtime (ONNX Runtime or TF.js, in Node) on the test images, next to the
 * lab engine's answers for the same model (top-1 agreement).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadDataset } from '../../data/node-loader.ts';
import { classifySet, createRunner, datasetFor, score, type AnyModel } from '../../engine/index.ts';
import { EXPORT_FORMATS, exportModel, isExportFormat, type TfjsQuantize } from '../../engine/export.ts';
import { resolveModel } from '../../engine/node.ts';
import { classifyExport } from '../../export/verify.ts';
import type { Ort } from '../../peers/ort-runner.ts';
import { configureOrtWasm } from '../../peers/ort-runner.ts';
import type { Tfjs } from '../../peers/tfjs-model.ts';
import type { Command } from '../common.ts';
import { UsageError } from '../common.ts';
import { acquireBackend, intOption } from './gpu-options.ts';

const loadOrt = async (): Promise<Ort> => {
  const m = await import('onnxruntime-web');
  const ort = ((m as { default?: Ort }).default ?? m) as Ort;
  configureOrtWasm(ort, { numThreads: 1 });
  return ort;
};
const loadTf = async (): Promise<Tfjs> => {
  const tf = (await import('@tensorflow/tfjs')) as unknown as Tfjs;
  // IS_TEST silences tfjs's "install tfjs-node" hint; the cpu backend is what TF.js runs on in plain Node.
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
};

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export const exportCommand: Command = {
  summary: 'export a model as ONNX (fp32 or int8 QDQ) or TF.js Layers, and measure the file in its own runtime on the test images',
  usage:
    'compression-lab export <model> --format onnx|onnx-int8|tfjs [--tfjs-quantize uint8|float16] [--out PATH] [--calibration N] [--no-verify] [--cpu] [--backend vulkan|opengl] [--json]',
  options: {
    format: { type: 'string' },
    'tfjs-quantize': { type: 'string' },
    out: { type: 'string' },
    calibration: { type: 'string' },
    'no-verify': { type: 'boolean' },
    cpu: { type: 'boolean' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    // Hidden, for tests: the first N test images only.
    limit: { type: 'string' },
  },
  async run([arg], values, io) {
    if (!arg) throw new UsageError('missing <model>');
    const format = values.format;
    if (!isExportFormat(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${String(format ?? '')}'`);
    const q = values['tfjs-quantize'];
    if (q !== undefined && format !== 'tfjs') throw new UsageError('--tfjs-quantize applies to --format tfjs only');
    if (q !== undefined && q !== 'uint8' && q !== 'float16') throw new UsageError(`--tfjs-quantize must be uint8 or float16, got '${String(q)}'`);
    const tfjsQuantize = q as TfjsQuantize | undefined;

    const resolved = await resolveModel(arg);
    const model = resolved.model;
    const { dataset, warning } = datasetFor(model, undefined);
    if (warning) io.err(warning);
    const train = format === 'onnx-int8' ? await loadDataset(dataset, 'train') : undefined;
    const calibrationImages = intOption(values, 'calibration', undefined);
    const t0 = performance.now();
    const result = exportModel(model, format, { train, calibrationImages, tfjsQuantize, version: '0.1.0' });

    // Where the files go: a directory (always for TF.js, whose model.json names its shards relatively), or one file path.
    const out = typeof values.out === 'string' ? values.out : '.';
    const intoDir = format === 'tfjs' || (await isDirectory(out)) || out.endsWith('/');
    const paths = result.files.map((f) => (intoDir ? join(out, f.name) : out));
    await mkdir(intoDir ? out : dirname(out), { recursive: true });
    for (let i = 0; i < result.files.length; i++) await writeFile(paths[i], result.files[i].bytes);

    // Measured: the file in its runtime, and the lab engine on the same model (int8 when the export is int8).
    let verify: { runtime: string; accuracy: number; errors: number; count: number; lab: { accuracy: number; on: string }; agreement: number } | undefined;
    if (!values['no-verify']) {
      const test = await loadDataset(dataset, 'test');
      const limit = Math.min(intOption(values, 'limit', test.count)!, test.count);
      const exported = await classifyExport(result, model.architecture, test, limit, { ort: loadOrt, tf: loadTf });
      const subject: AnyModel = result.int8 ?? model;
      const target = values.cpu ? ('cpu' as const) : await acquireBackend(values.backend);
      let labClasses: Int32Array;
      let on: string;
      try {
        const runner = await createRunner(target, subject);
        try {
          labClasses = await classifySet(runner, test, { limit });
          on = runner.description;
        } finally {
          runner.destroy();
        }
      } finally {
        if (target !== 'cpu') target.device.destroy();
      }
      let same = 0;
      for (let i = 0; i < limit; i++) if (labClasses[i] === exported.classes[i]) same++;
      const acc = score(exported.classes, test);
      verify = { runtime: exported.runtime, ...acc, lab: { accuracy: score(labClasses, test).accuracy, on }, agreement: same / limit };
    }
    const seconds = (performance.now() - t0) / 1000;

    if (values.json) {
      io.out(
        JSON.stringify(
          {
            model: model.architecture.name,
            source: resolved.source,
            format,
            ...(tfjsQuantize ? { tfjsQuantize } : {}),
            files: result.files.map((f, i) => ({ path: paths[i], bytes: f.bytes.byteLength })),
            bytes: result.bytes,
            labBytes: result.labBytes,
            ...(result.calibration ? { calibration: result.calibration } : {}),
            keeps: result.keeps,
            loses: result.loses,
            ...(verify ? { verify: { ...verify, dataset } } : {}),
            seconds,
          },
          null,
          2,
        ),
      );
      return;
    }
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    io.out(`${model.architecture.name} (${resolved.source}) → ${format}${tfjsQuantize ? ` with ${tfjsQuantize} weights` : ''}`);
    for (let i = 0; i < paths.length; i++) io.out(`  wrote ${paths[i]}: ${result.files[i].bytes.byteLength.toLocaleString('en-US')} bytes`);
    io.out(`size: ${kb(result.bytes)} exported, ${kb(result.labBytes)} as the lab's own file`);
    if (result.calibration) io.out(`int8 calibration: ${result.calibration.method} on ${result.calibration.images} training images`);
    for (const k of result.keeps) io.out(`keeps: ${k}`);
    for (const l of result.loses) io.out(`loses: ${l}`);
    if (verify) {
      io.out(
        `${verify.runtime}: ${(verify.accuracy * 100).toFixed(2)} % (${verify.errors} errors of ${verify.count} ${dataset} test images); ` +
          `the lab: ${(verify.lab.accuracy * 100).toFixed(2)} % on ${verify.lab.on}; top-1 agreement ${(verify.agreement * 100).toFixed(2)} %`,
      );
    }
  },
};
