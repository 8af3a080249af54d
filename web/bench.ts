/**
 * The benchmark page (bench.html): the Chromium half of `npm run bench`.
 * scripts/bench.ts serves the build, opens this page in headless Chromium and
 * calls `window.runBench(options)`; progress goes to `window.benchLog` when
 * the driver exposed it. The measuring is src/bench/runner.ts — the same code
 * the Node run uses — with the three peers in this same browser: TF.js on its
 * WebGPU backend, and ONNX Runtime Web on its WebGPU and wasm providers.
 *
 * Everything is fetched from this origin (CSP connect-src 'self'): the
 * dataset from /data/, trained weights from /models/, ORT's wasm through a
 * Vite `?url` import. The page talks to the engine directly rather than
 * through the lab's worker, because it measures the engine, not the UI.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import * as ort from 'onnxruntime-web';
// The default ORT bundle fetches this one file; it carries both the wasm and the (JSEP) WebGPU providers.
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { acquireGpu } from '../src/gpu/device.ts';
import { fetchDataset } from '../src/data/web-loader.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { architecture, isArchitectureName } from '../src/model/architectures.ts';
import { serializeModel } from '../src/model/format.ts';
import { initModel } from '../src/model/model.ts';
import type { Model } from '../src/model/model.ts';
import { exportOnnx } from '../src/export/onnx.ts';
import type { Ort } from '../src/peers/ort-runner.ts';
import { configureOrtWasm, createOrtSession } from '../src/peers/ort-runner.ts';
import type { Tfjs } from '../src/peers/tfjs-model.ts';
import { buildTfjsModel } from '../src/peers/tfjs-model.ts';
import { formatRun } from '../src/bench/format.ts';
import type { RooflineModule } from '../src/bench/probes.ts';
import { rooflineProbes } from '../src/bench/probes.ts';
import type { ModelSource, PeerFactory } from '../src/bench/runner.ts';
import { runBench } from '../src/bench/runner.ts';
import type { BenchOptions, BenchRun } from '../src/bench/schema.ts';
import { quickOptions } from '../src/bench/schema.ts';

declare global {
  interface Window {
    /** Runs the benchmark here; resolves to this environment's run. */
    runBench: (options: BenchOptions) => Promise<BenchRun>;
    /** Set by the Playwright driver (page.exposeFunction) to stream progress. */
    benchLog?: (line: string) => Promise<void> | void;
    /** Set once the module has loaded (the driver waits for it). */
    benchReady?: boolean;
  }
}

const logEl = document.getElementById('log')!;
function log(line: string): void {
  logEl.textContent += `${line}\n`;
  void window.benchLog?.(line);
}

// roofline.ts belongs to the f32 engine; glob so the page still builds while it is absent.
const rooflineModules = import.meta.glob<RooflineModule>('../src/gpu/roofline.ts');

const base = import.meta.env.BASE_URL;
const ORT_THREADS = 1;

async function loadModel(name: string, seed: number): Promise<ModelSource> {
  if (!isArchitectureName(name)) throw new Error(`unknown built-in architecture '${name}'`);
  // The build lists the repo's models/*.safetensors (bundled-models plugin) in models/index.json.
  const listed = await fetch(`${base}models/index.json`)
    .then((r) => (r.ok ? (r.json() as Promise<{ models?: { file: string }[] }>) : { models: [] }))
    .catch(() => ({ models: [] as { file: string }[] }));
  const file = `${name}.safetensors`;
  if (listed.models?.some((m) => m.file === file)) {
    const res = await fetch(`${base}models/${file}`);
    const type = res.headers.get('content-type') ?? '';
    // A dev server or service-worker fallback may answer 200 with index.html: only bytes count.
    if (res.ok && !type.includes('text/html')) return { bytes: new Uint8Array(await res.arrayBuffer()), weights: 'trained', source: `models/${file}` };
  }
  return {
    bytes: serializeModel(initModel(architecture(name), seed)),
    weights: 'seeded-random',
    source: `initModel seed ${seed} (no models/${name}.safetensors)`,
  };
}

let tfReady: Promise<Tfjs> | null = null;
function tfjsWebgpu(): PeerFactory {
  return {
    runtime: 'tfjs-webgpu',
    note: `TF.js ${tf.version.tfjs} webgpu backend`,
    async create(model: Model) {
      tfReady ??= (async () => {
        // Pinned explicitly: a failed WebGPU init must not silently time WebGL.
        if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend failed to initialise');
        await tf.ready();
        return tf as unknown as Tfjs;
      })();
      const runner = await buildTfjsModel(await tfReady, model);
      return { run: (x, b) => runner.predict(x, b), dispose: () => runner.dispose() };
    },
  };
}

let ortConfigured = false;
function ortPeer(ep: 'webgpu' | 'wasm'): PeerFactory {
  return {
    runtime: ep === 'webgpu' ? 'ort-webgpu' : 'ort-wasm',
    note:
      ep === 'webgpu'
        ? 'onnxruntime-web 1.30 default bundle, JSEP WebGPU EP'
        : `onnxruntime-web 1.30, wasm EP, ${ORT_THREADS} thread (page not cross-origin isolated)`,
    async create(model: Model) {
      if (!ortConfigured) {
        configureOrtWasm(ort as unknown as Ort, { wasmPaths: { wasm: ortWasmUrl }, numThreads: ORT_THREADS });
        ortConfigured = true;
      }
      return createOrtSession(ort as unknown as Ort, exportOnnx(model), ep);
    },
  };
}

window.runBench = async (options: BenchOptions): Promise<BenchRun> => {
  const gpu = await acquireGpu();
  log(`adapter: ${gpu.report.description || gpu.report.vendor}`);
  const test: Dataset = await fetchDataset('mnist', 'test', `${base}data/`);
  // The training split feeds int8 calibration and the training-throughput steps.
  const train = options.precisions.includes('int8') || options.training ? await fetchDataset('mnist', 'train', `${base}data/`).catch(() => null) : null;
  const load = rooflineModules['../src/gpu/roofline.ts'];
  let mod: RooflineModule | null = null;
  let why: string | undefined;
  try {
    mod = load ? await load() : null;
    if (!load) why = 'src/gpu/roofline.ts was not present when this page was built';
  } catch (e) {
    why = `src/gpu/roofline.ts failed to load: ${(e as Error).message}`;
  }
  const peers: PeerFactory[] = [];
  if (options.peers.includes('tfjs-webgpu')) peers.push(tfjsWebgpu());
  if (options.peers.includes('ort-webgpu')) peers.push(ortPeer('webgpu'));
  if (options.peers.includes('ort-wasm')) peers.push(ortPeer('wasm'));
  const run = await runBench(
    {
      environment: 'chromium',
      host: `${navigator.userAgent}; ${navigator.hardwareConcurrency} logical CPUs`,
      gpu,
      test,
      train,
      loadModel: (name) => loadModel(name, options.seed),
      peers,
      roofline: rooflineProbes(mod, why),
      log,
      notes: train ? [] : ['int8 calibrated on MNIST test images (training split not served)'],
    },
    options,
  );
  document.getElementById('report')!.textContent = formatRun(run);
  gpu.device.destroy();
  return run;
};

window.benchReady = true;
if (new URLSearchParams(location.search).has('auto')) void window.runBench(quickOptions());
