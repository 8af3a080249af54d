/**
 * `compression-lab bench`: the benchmark in Node on Dawn (npm `webgpu`), and
 * the Node half of `npm run bench` (scripts/bench.ts adds the Chromium half).
 * The measuring is src/bench/runner.ts, shared with the bench page; this file
 * only provides what Node has: files on disk, Dawn, ORT's Node build and
 * TF.js's WebGPU backend on a second Dawn instance.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireGpu } from '../../gpu/device.ts';
import type { Gpu } from '../../gpu/device.ts';
import { loadDataset } from '../../data/node-loader.ts';
import { architecture, isArchitectureName } from '../../model/architectures.ts';
import { serializeModel } from '../../model/format.ts';
import { initModel } from '../../model/model.ts';
import type { Model } from '../../model/model.ts';
import { exportOnnx } from '../../export/onnx.ts';
import type { Ort } from '../../peers/ort-runner.ts';
import { configureOrtWasm, createOrtSession } from '../../peers/ort-runner.ts';
import type { Tfjs } from '../../peers/tfjs-model.ts';
import { buildTfjsModel } from '../../peers/tfjs-model.ts';
import { formatRun } from '../../bench/format.ts';
import { rooflineProbes } from '../../bench/probes.ts';
import type { RooflineModule } from '../../bench/probes.ts';
import type { BenchEnv, ModelSource, PeerFactory } from '../../bench/runner.ts';
import { runBench } from '../../bench/runner.ts';
import type { BenchOptions, BenchRun, Precision, Runtime } from '../../bench/schema.ts';
import { benchFile, defaultOptions, quickOptions, validateBenchFile } from '../../bench/schema.ts';
import { isImportPath, readModelFile } from '../../engine/node.ts';
import type { Command } from '../common.ts';
import { UsageError } from '../common.ts';

/** `<repo>/models`: trained weights (`<architecture>.safetensors`) when a colleague has put them there. */
export const MODELS_DIR: string = fileURLToPath(new URL('../../../models/', import.meta.url));

/**
 * A model's bytes: a file path as given; a built-in name from
 * models/<name>.safetensors when present, else serialized seeded weights.
 */
export async function loadModelSource(name: string, seed: number, dir = MODELS_DIR): Promise<ModelSource> {
  if (isArchitectureName(name)) {
    const file = join(dir, `${name}.safetensors`);
    if (existsSync(file)) return { bytes: new Uint8Array(await readFile(file)), weights: 'trained', source: `models/${name}.safetensors` };
    return {
      bytes: serializeModel(initModel(architecture(name), seed)),
      weights: 'seeded-random',
      source: `initModel seed ${seed} (no models/${name}.safetensors)`,
    };
  }
  if (!existsSync(name)) throw new UsageError(`'${name}' is neither a built-in architecture nor an existing model file`);
  // An ONNX or TF.js model is imported (its input convention chosen) and benchmarked as the lab model it becomes.
  if (isImportPath(name)) {
    const r = await readModelFile(name);
    return { bytes: serializeModel(r.model), weights: 'trained', source: r.source };
  }
  return { bytes: new Uint8Array(await readFile(name)), weights: 'trained', source: name };
}

/** ORT Web's Node build (wasm CPU provider only; its WebGPU builds are browser-only). */
function ortWasmNode(): PeerFactory {
  let ort: Promise<Ort> | null = null;
  return {
    runtime: 'ort-wasm',
    note: 'onnxruntime-web 1.30 Node build, wasm EP, 1 thread',
    async create(model: Model) {
      ort ??= import('onnxruntime-web').then((m) => {
        const o = ((m as { default?: Ort }).default ?? m) as Ort;
        configureOrtWasm(o, { numThreads: 1 });
        return o;
      });
      return createOrtSession(await ort, exportOnnx(model), 'wasm');
    },
  };
}

/**
 * TF.js's WebGPU backend in Node, on its own Dawn instance: tfjs-backend-webgpu
 * registers only if navigator.gpu exists when it is imported, so it is put
 * there first (as src/peers/tfjs-webgpu.test.ts does).
 */
function tfjsWebgpuNode(): PeerFactory {
  let tf: Promise<Tfjs> | null = null;
  return {
    runtime: 'tfjs-webgpu',
    note: 'TF.js 4.22 webgpu backend on Dawn (a second adapter instance)',
    async create(model: Model) {
      tf ??= (async () => {
        const webgpu = (await import('webgpu')) as { create(flags: string[]): GPU; globals: object };
        Object.assign(globalThis, webgpu.globals);
        const gpu = webgpu.create([]);
        const nav = (globalThis as { navigator?: object }).navigator;
        if (nav && typeof nav === 'object') Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
        else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
        const t = (await import('@tensorflow/tfjs')) as unknown as Tfjs;
        await import('@tensorflow/tfjs-backend-webgpu');
        if (!(await t.setBackend('webgpu'))) throw new Error('tfjs webgpu backend failed to initialise on Dawn');
        await t.ready();
        return t;
      })();
      const runner = await buildTfjsModel(await tf, model);
      return { run: (x, b) => runner.predict(x, b), dispose: () => runner.dispose() };
    },
  };
}

/** Loads src/gpu/roofline.ts if it exists (it is another engineer's, and may not be there yet). */
async function loadRoofline(): Promise<{ mod: RooflineModule | null; why?: string }> {
  const url = new URL('../../gpu/roofline.ts', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return { mod: null, why: 'src/gpu/roofline.ts is not present yet' };
  try {
    return { mod: (await import(/* @vite-ignore */ url.href)) as RooflineModule };
  } catch (e) {
    return { mod: null, why: `src/gpu/roofline.ts failed to load: ${(e as Error).message}` };
  }
}

/** Options of {@link runNodeBench}. */
export interface NodeBenchOptions {
  log?: (s: string) => void;
  /** An acquired device to reuse; default acquires one. */
  gpu?: Gpu;
}

/** Run the benchmark in this Node process on Dawn. */
export async function runNodeBench(options: BenchOptions, opts: NodeBenchOptions = {}): Promise<BenchRun> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const gpu = opts.gpu ?? (await acquireGpu());
  const test = await loadDataset('mnist', 'test');
  const train = options.precisions.includes('int8') ? await loadDataset('mnist', 'train').catch(() => null) : null;
  const { mod, why } = await loadRoofline();
  const peers: PeerFactory[] = [];
  if (options.peers.includes('tfjs-webgpu')) peers.push(tfjsWebgpuNode());
  if (options.peers.includes('ort-wasm')) peers.push(ortWasmNode());
  const env: BenchEnv = {
    environment: 'node',
    host: `Node ${process.version} on ${process.platform}/${process.arch}, ${cpus().length} logical CPUs (${cpus()[0]?.model ?? 'unknown'})`,
    gpu,
    test,
    train,
    loadModel: (name) => loadModelSource(name, options.seed),
    peers,
    roofline: rooflineProbes(mod, why),
    log,
    notes: [
      "ort-webgpu: ONNX Runtime Web's WebGPU builds run only in a browser; see the chromium run",
      ...(train ? [] : ['int8 calibrated on MNIST test images (training split not built)']),
    ],
  };
  return runBench(env, options);
}

/** Parse "1,64,256" into distinct positive integers. */
export function parseBatches(s: string): number[] {
  const out = s.split(',').map((x) => Number(x.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--batch must be comma-separated positive integers, got '${s}'`);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Build BenchOptions from CLI flags shared by `compression-lab bench` and
 * scripts/bench.ts. Batch 1 in --batch means "also report it" (it always is).
 */
export function optionsFromFlags(values: Record<string, string | boolean | undefined>, models?: string[]): BenchOptions {
  const o = values.quick ? quickOptions() : defaultOptions();
  if (models?.length) o.models = models;
  if (typeof values.models === 'string')
    o.models = values.models
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof values.batch === 'string') o.batches = parseBatches(values.batch).filter((b) => b > 1);
  if (typeof values.precision === 'string') {
    const p = values.precision.split(',').map((s) => s.trim());
    for (const x of p) if (x !== 'fp32' && x !== 'int8') throw new UsageError(`--precision takes fp32,int8; got '${x}'`);
    o.precisions = p as Precision[];
  }
  if (typeof values.peers === 'string') {
    const p = values.peers === 'none' ? [] : values.peers.split(',').map((s) => s.trim());
    for (const x of p)
      if (!['tfjs-webgpu', 'ort-webgpu', 'ort-wasm'].includes(x)) throw new UsageError(`--peers takes tfjs-webgpu,ort-webgpu,ort-wasm or none; got '${x}'`);
    o.peers = p as Runtime[];
  }
  const int = (k: string, set: (n: number) => void) => {
    const v = values[k];
    if (v === undefined) return;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${k} must be a positive integer, got '${String(v)}'`);
    set(n);
  };
  int('runs', (n) => (o.latencyRuns = n));
  int('images', (n) => (o.agreementImages = n));
  int('budget', (n) => (o.throughputBudgetMs = n));
  int('seed', (n) => (o.seed = n));
  int('min-runs', (n) => (o.minThroughputRuns = n));
  int('latency-budget', (n) => (o.latencyBudgetMs = n));
  int('max-call', (n) => (o.maxCallMs = n));
  int('agreement-budget', (n) => (o.agreementBudgetMs = n));
  int('train-images', (n) => (o.trainImages = n));
  int('train-cpu-budget', (n) => (o.trainCpuBudgetMs = n));
  if (values['no-cpu']) o.cpuReference = false;
  if (values['no-roofline']) o.roofline = false;
  if (values['no-train']) o.training = false;
  return o;
}

/** Default whole-run wall-clock limit of `--time-limit`, in minutes. */
export const DEFAULT_TIME_LIMIT_MIN = 25;

/** `--time-limit` in minutes (default 25; 0 = no limit). */
export function timeLimitFromFlags(values: Record<string, string | boolean | undefined>): number {
  const v = values['time-limit'];
  if (v === undefined) return DEFAULT_TIME_LIMIT_MIN;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!(n >= 0)) throw new UsageError(`--time-limit must be minutes ≥ 0 (0 = none), got '${String(v)}'`);
  return n;
}

/**
 * Write a bench file (`runs` measured by `command`) to `out` as JSON, plus
 * the readable .txt and Markdown .md beside it; warns through `log` when the
 * results do not match the schema. Returns the absolute JSON path.
 */
export async function writeBenchResults(out: string, runs: BenchRun[], command: string, log: (s: string) => void): Promise<string> {
  const path = resolve(out);
  const file = benchFile(runs, command);
  const problems = validateBenchFile(file);
  if (problems.length) log(`WARNING: results do not match the schema: ${problems.join('; ')}`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(file, null, 2));
  const stem = path.replace(/\.json$/, '');
  await writeFile(stem + '.txt', runs.map((r) => formatRun(r)).join('\n\n') + '\n');
  await writeFile(stem + '.md', runs.map((r) => formatRun(r, true)).join('\n\n') + '\n');
  return path;
}

/** Flags shared with scripts/bench.ts. */
export const BENCH_FLAGS = {
  batch: { type: 'string' },
  json: { type: 'boolean' },
  quick: { type: 'boolean' },
  models: { type: 'string' },
  precision: { type: 'string' },
  peers: { type: 'string' },
  runs: { type: 'string' },
  images: { type: 'string' },
  budget: { type: 'string' },
  seed: { type: 'string' },
  'min-runs': { type: 'string' },
  'no-cpu': { type: 'boolean' },
  'no-roofline': { type: 'boolean' },
  'latency-budget': { type: 'string' },
  'max-call': { type: 'string' },
  'agreement-budget': { type: 'string' },
  'train-images': { type: 'string' },
  'train-cpu-budget': { type: 'string' },
  'no-train': { type: 'boolean' },
  'time-limit': { type: 'string' },
  out: { type: 'string' },
} as const;

/** The `bench` CLI command (Node only; `npm run bench` also runs Chromium). */
export const benchCommand: Command = {
  summary: 'benchmark a model on this GPU (Node/Dawn): latency, throughput, roofline, peers, top-1 agreement',
  usage:
    'compression-lab bench <architecture|model-file> [--batch 1,64,256,1024] [--json] [--quick] [--precision fp32,int8] [--peers tfjs-webgpu,ort-wasm|none] [--runs N] [--images N] [--budget ms] [--min-runs N] [--no-cpu] [--no-roofline] [--latency-budget ms] [--max-call ms] [--agreement-budget ms] [--train-images N] [--train-cpu-budget ms] [--no-train] [--time-limit min] [--out file.json]',
  options: BENCH_FLAGS,
  async run([arg], values, io) {
    const start = Date.now();
    if (!arg) throw new UsageError('missing <model>: a built-in architecture name or a model file');
    if (values.models !== undefined) throw new UsageError('--models is for npm run bench; compression-lab bench takes one <model> argument');
    const options = optionsFromFlags(values, [arg]);
    const limit = timeLimitFromFlags(values);
    const run = await runNodeBench({ ...options, deadline: limit ? start + limit * 60_000 : null }, { log: (s) => io.err(s) });
    if (!isArchitectureName(arg)) run.notes.push(`model file: ${basename(arg)}`);
    run.notes.push(limit ? `time limit ${limit} min (deadline ${new Date(start + limit * 60_000).toISOString()})` : 'no time limit (--time-limit 0)');
    const flags = Object.entries(values).flatMap(([k, v]) => (v === undefined || v === false ? [] : v === true ? [`--${k}`] : [`--${k}`, String(v)]));
    const command = ['compression-lab bench', arg, ...flags].join(' ');
    if (typeof values.out === 'string') io.err(`wrote ${await writeBenchResults(values.out, [run], command, (s) => io.err(s))} (and .txt, .md beside it)`);
    if (values.json) io.out(JSON.stringify(benchFile([run], command), null, 2));
    else io.out(formatRun(run));
  },
};
