/**
 * ONNX Runtime Web as a benchmark peer: one inference session over the bytes
 * of {@link exportOnnx}, on the WebGPU execution provider or on wasm (CPU).
 *
 * The `ort` module is passed in, because which build is loaded decides which
 * .wasm file ORT fetches (see docs/peers.md):
 * - `onnxruntime-web` (default bundle) → `ort-wasm-simd-threaded.jsep.wasm`,
 *   serves both 'wasm' and the JSEP 'webgpu' provider;
 * - `onnxruntime-web/webgpu` → `ort-wasm-simd-threaded.asyncify.wasm`
 *   (ORT's native WebGPU provider, compiled to wasm);
 * - `onnxruntime-web/wasm` → `ort-wasm-simd-threaded.wasm` (CPU only).
 * The lab makes no outside requests, so the caller points
 * `ort.env.wasm.wasmPaths` at locally served copies (`configureOrtWasm`)
 * before the first session is created; ORT reads env once, at its first init.
 *
 * Only the provider asked for is listed in the session options: if it cannot
 * start, session creation fails instead of silently timing another backend.
 */
import type * as ortWeb from 'onnxruntime-web';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../export/onnx.ts';

/** The `onnxruntime-web` module, or one of its builds (`/webgpu`, `/wasm`, `/all`): they share one API. */
export type Ort = typeof ortWeb;

/** Where ORT runs the graph. */
export type OrtExecutionProvider = 'webgpu' | 'wasm';

/** Process-wide ORT wasm settings; effective only before the first session is created. */
export interface OrtWasmConfig {
  /**
   * A URL prefix (ending in '/') under which the dist files are served, or
   * explicit URLs `{ wasm, mjs }`. With a bundled build (`*.bundle.min.mjs`,
   * what a bundler resolves `onnxruntime-web` to) giving only `{ wasm }`
   * keeps the loader .mjs that is embedded in the bundle; a prefix makes ORT
   * import the .mjs from there too.
   */
  wasmPaths?: ortWeb.Env.WasmPrefixOrFilePaths;
  /**
   * Threads of the wasm CPU provider. More than 1 needs SharedArrayBuffer,
   * i.e. a cross-origin-isolated page (COOP: same-origin, COEP: require-corp);
   * without it ORT quietly uses 1. Node tests set 1 (no worker threads to tear down).
   */
  numThreads?: number;
  /** Run ORT in a worker it spawns itself (off the calling thread). */
  proxy?: boolean;
}

/** Sets ORT's wasm environment flags from `config` (only the fields given). */
export function configureOrtWasm(ort: Ort, config: OrtWasmConfig): void {
  if (config.wasmPaths !== undefined) ort.env.wasm.wasmPaths = config.wasmPaths;
  if (config.numThreads !== undefined) {
    if (!(Number.isInteger(config.numThreads) && config.numThreads >= 1)) {
      throw new Error(`configureOrtWasm: numThreads must be a positive integer, got ${config.numThreads}`);
    }
    ort.env.wasm.numThreads = config.numThreads;
  }
  if (config.proxy !== undefined) ort.env.wasm.proxy = config.proxy;
}

/** `batch` NHWC images → NCHW (ONNX's layout). */
export function nhwcToNchw(x: Float32Array, batch: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h * w;
  for (let n = 0; n < batch; n++) {
    const base = n * plane * c;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = x[base + p * c + ch];
  }
  return out;
}

/** Options of {@link createOrtSession}. */
export interface OrtSessionOptions {
  /** One image, NHWC without the batch; default the lab's MNIST shape [28, 28, 1]. */
  inputShape?: readonly [number, number, number];
  /** Extra ORT session options (e.g. `freeDimensionOverrides: { N: 8 }`, `graphOptimizationLevel`). */
  sessionOptions?: Omit<ortWeb.InferenceSession.SessionOptions, 'executionProviders'>;
}

/** An ORT session wrapped to take and return plain float arrays. */
export interface OrtRunner {
  readonly executionProvider: OrtExecutionProvider;
  /** The underlying session, for callers that want ORT's own API (e.g. GPU-resident outputs). */
  readonly session: ortWeb.InferenceSession;
  /**
   * Runs `batch` NHWC images (`batch × H × W × C` floats) and resolves to
   * "logits" (`batch × classes` floats, a fresh array on the CPU).
   */
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  /** Releases the session (and its GPU buffers). */
  dispose(): Promise<void>;
}

/**
 * Creates an ORT session for ONNX bytes written by `exportOnnx` on the given
 * execution provider. Rejects with ORT's own error when the provider cannot
 * start (no WebGPU adapter, wasm files not found) or the bytes are not a model.
 */
export async function createOrtSession(
  ort: Ort,
  onnxBytes: Uint8Array,
  executionProvider: OrtExecutionProvider,
  opts: OrtSessionOptions = {},
): Promise<OrtRunner> {
  if (executionProvider !== 'webgpu' && executionProvider !== 'wasm') {
    throw new Error(`createOrtSession: execution provider must be 'webgpu' or 'wasm', got ${JSON.stringify(executionProvider)}`);
  }
  const [h, w, c] = opts.inputShape ?? [28, 28, 1];
  const perImage = h * w * c;
  const session = await ort.InferenceSession.create(onnxBytes, {
    ...opts.sessionOptions,
    executionProviders: [executionProvider],
  });
  let disposed = false;

  return {
    executionProvider,
    session,
    async run(input: Float32Array, batch: number): Promise<Float32Array> {
      if (disposed) throw new Error(`ORT runner (${executionProvider}) was disposed`);
      if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`ORT runner (${executionProvider}): batch must be a positive integer, got ${batch}`);
      if (input.length !== batch * perImage) {
        throw new Error(
          `ORT runner (${executionProvider}): input has ${input.length} values, expected ${batch * perImage} (batch ${batch} × [${h}, ${w}, ${c}])`,
        );
      }
      // The lab holds NHWC images; the exported graph takes NCHW (the same bytes when there is one channel).
      const x = new ort.Tensor('float32', c === 1 ? input : nhwcToNchw(input, batch, h, w, c), [batch, c, h, w]);
      const results = await session.run({ [ONNX_INPUT_NAME]: x });
      const y = results[ONNX_OUTPUT_NAME];
      try {
        if (!y) throw new Error(`ORT runner (${executionProvider}): the session returned no '${ONNX_OUTPUT_NAME}' output`);
        // Outputs default to CPU location; getData() downloads first if a caller set GPU-resident outputs.
        const data = await y.getData();
        if (!(data instanceof Float32Array)) throw new Error(`ORT runner (${executionProvider}): '${ONNX_OUTPUT_NAME}' is ${y.type}, expected float32`);
        // A copy: the tensor's array may be a view that ORT reuses or frees on dispose.
        return new Float32Array(data);
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
