/**
 * Every registered kernel (KERNELS, with the training kernels, and
 * I8_KERNELS) in the variants the engine uses fits WebGPU's default limits:
 * storage and uniform buffers per stage, workgroup size and invocations,
 * workgroup memory, workgroups per dispatch dimension, and the size of every
 * weight buffer the plans upload. Static: the variants come from the plans
 * of every built-in architecture (both GEMM variants, every tiling the
 * executors and autotune pick, compressed and sparse weights; int8 with the
 * GPU and CPU-adapter tilings and both dot forms) and, for the training
 * kernels, from every code-constant combination the trainer sets. A failure
 * names the kernel, its constants and the limit.
 */
import { describe, expect, it } from 'vitest';
import { architecture, ARCHITECTURES } from '../model/architectures.ts';
import type { Layer } from '../model/layers.ts';
import { globalAvgPool } from '../model/layers.ts';
import { EVERY_OP_INPUT, EVERY_OP_LAYERS, modelOf, randomInput } from './test-helpers.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { WEBGPU_DEFAULT_LIMITS } from './device.ts';
import { dispatchViolations, evaluate, kernelLimitUse, limitViolations } from './limits.ts';
import type { AnyKernel } from './kernels/types.ts';
import { DEFAULT_REGISTER_TILING, type GemmTiling } from './kernels/conv2d.ts';
import { DEFAULT_DENSE_TILING } from './kernels/dense.ts';
import { DEFAULT_I8_TILING, SOFTWARE_I8_TILING, type I8Tiling } from './kernels/conv2d-i8.ts';
import { DOT_VARIANTS } from './kernels/int8-common.ts';
import { MAX_CODEBOOK_BITS } from './kernels/weight-source.ts';
import { MATMUL_CANDIDATES } from './roofline.ts';
import { TRAIN_REGISTER_TILING } from './trainer.ts';
import type { GemmVariant, PlanStep } from './plan.ts';
import { planModel } from './plan.ts';
import { planInt8 } from './plan-i8.ts';
import { KERNELS } from './registry.ts';
import { I8_KERNELS } from './registry-i8.ts';
import { LATENCY_MIN_WORKGROUPS, SMALL_DENSE_TILING, SMALL_TILING } from './executor.ts';
import { SMALL_DENSE_I8_TILING } from './executor-i8.ts';
import { stepKernel } from './step.ts';
import { TRAIN_KERNELS, type TrainKernelName } from './registry-train.ts';

/** Layers of imported models: asymmetric conv and pool pads, every activation fn, global average pooling. */
const IMPORTED_LAYERS: Layer[] = [
  { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 3], stride: [1, 1], padding: { top: 2, bottom: 0, left: 0, right: 1 }, bias: true },
  { kind: 'activation', name: 'a1', fn: 'relu6' },
  { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 1, left: 2, right: 0 }, bias: true },
  { kind: 'activation', name: 'a2', fn: 'leakyRelu', alpha: 0.1 },
  { kind: 'conv2d', name: 'c2', filters: 8, kernel: [2, 3], stride: [1, 1], padding: { top: 1, bottom: 0, left: 0, right: 2 }, bias: true },
  { kind: 'activation', name: 'a3', fn: 'relu6' },
  { kind: 'maxPool2d', name: 'p', window: [2, 2], stride: [2, 2] },
  { kind: 'maxPool2d', name: 'pp', window: [3, 3], stride: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 } },
  { kind: 'avgPool2d', name: 'ap', window: [2, 2], stride: [1, 1], padding: { top: 1, bottom: 0, left: 0, right: 1 }, countIncludePad: false },
  { kind: 'activation', name: 'a4', fn: 'sigmoid' },
  globalAvgPool('gap', [3, 2, 8]),
  { kind: 'flatten', name: 'f' },
  { kind: 'dense', name: 'fc', units: 10, bias: true },
  { kind: 'activation', name: 'a5', fn: 'tanh' },
];

/** Batch the dispatch check uses: the executors' largest default chunk. */
const BATCH = 1024;

/** The executors' latency tilings (batches ≤ SMALL_BATCH). */
const LATENCY_TILINGS: GemmTiling[] = [SMALL_TILING, SMALL_DENSE_TILING];
const SMALL_DENSE_I8 = SMALL_DENSE_I8_TILING;

/** Register tilings the float plans may get: the default, the trainer's, the latency ones, and each autotune candidate. */
const REGISTER_TILINGS: GemmTiling[] = [
  DEFAULT_REGISTER_TILING,
  TRAIN_REGISTER_TILING,
  ...LATENCY_TILINGS,
  ...MATMUL_CANDIDATES.flatMap((c) => (c.kind === 'register' ? [{ wg: c.wg, tm: c.tm, tn4: c.tn4 }] : [])),
];
const DENSE_TILINGS = [DEFAULT_DENSE_TILING, ...MATMUL_CANDIDATES.flatMap((c) => (c.kind === 'tiled' ? [c.tile] : []))];

interface Use {
  kernel: AnyKernel;
  params: Record<string, unknown>;
}

const builtIn = (name: string) => {
  const arch = architecture(name);
  return modelOf(arch.name, arch.inputShape as [number, number, number], arch.layers, 5);
};

/** Every step (and sparse alternative) of the float plans, with compressed-weight variants of its conv2d/depthwise steps. */
function floatUses(): Use[] {
  const out: Use[] = [];
  const add = (s: PlanStep): void => {
    const params = { ...s.params, batch: BATCH } as Record<string, unknown>;
    out.push({ kernel: KERNELS[s.kernel], params });
    if (s.kernel === 'conv2d' || s.kernel === 'depthwise-conv2d') {
      out.push({ kernel: KERNELS[s.kernel], params: { ...params, weights: { kind: 'codebook', bits: MAX_CODEBOOK_BITS, k: 2 ** MAX_CODEBOOK_BITS } } });
      out.push({ kernel: KERNELS[s.kernel], params: { ...params, weights: { kind: 'hashed', k: 1000, seed: 1, salt: 2 } } });
    }
    if (s.kernel === 'dense-sparse') out.push({ kernel: KERNELS[s.kernel], params: { ...params, centroids: 256 } });
    if (s.alternative) add(s.alternative);
  };
  for (const name of Object.keys(ARCHITECTURES)) {
    const model = builtIn(name);
    for (const variant of ['register', 'tiled'] as GemmVariant[]) {
      for (const fuse of [true, false]) {
        for (const registerTiling of REGISTER_TILINGS) {
          for (const denseTiling of DENSE_TILINGS) {
            for (const denseRegisterTiling of [registerTiling, ...LATENCY_TILINGS]) {
              // The latency plan also fits workgroups (down to 4 threads) per step.
              for (const minWorkgroups of LATENCY_TILINGS.includes(denseRegisterTiling) ? [undefined, LATENCY_MIN_WORKGROUPS] : [undefined]) {
                const plan = planModel(model, { variant, fuse, registerTiling, denseRegisterTiling, denseTiling, sparse: 'always', minWorkgroups });
                for (const s of plan.steps) add(s);
              }
            }
          }
        }
      }
    }
  }
  // A model with an input map: its plan starts with the preprocess step.
  const mapped = builtIn('lenet5');
  mapped.architecture.preprocess = { scale: 2, offset: -1 };
  for (const s of planModel(mapped, { variant: 'register', fuse: true }).steps) add(s);
  // Imported layers: explicit pads and every activation fn (standalone 'activation' steps).
  const imported = modelOf('imported', [12, 11, 3], IMPORTED_LAYERS, 5);
  for (const fuse of [true, false]) for (const s of planModel(imported, { variant: 'register', fuse }).steps) add(s);
  // The executors' argmax readback, the roofline probes (matmul candidates, copy) and softmax.
  out.push({ kernel: KERNELS.argmax, params: { batch: BATCH, classes: 10 } });
  out.push({ kernel: KERNELS.copy, params: { words: (32 * 2 ** 20) / 16 } });
  out.push({ kernel: KERNELS.softmax, params: { batch: BATCH, classes: 10 } });
  for (const c of MATMUL_CANDIDATES) {
    if (c.kind === 'register') out.push({ kernel: KERNELS.matmul, params: { m: 1024, n: 1024, k: 1024, tm: c.tm, tn4: c.tn4, wg: c.wg } });
    else out.push({ kernel: KERNELS.dense, params: { batch: 1024, rowsPerImage: 1, k: 1024, n: 1024, relu: false, tile: c.tile } });
  }
  return out;
}

/** Every step of the int8 plans of the built-in architectures and a net with every op kind, for both tilings, the latency dense tiling and both dot forms. */
function int8Uses(): Use[] {
  const out: Use[] = [];
  // Standalone pools (after a depthwise conv, or a 3×3 window): pool2d-i8.
  const pools = modelOf(
    'pools',
    [9, 9, 3],
    [
      { kind: 'depthwiseConv2d', name: 'd', kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
      { kind: 'maxPool2d', name: 'p1', window: [3, 3], stride: [2, 2] },
      { kind: 'avgPool2d', name: 'p2', window: [2, 2], stride: [2, 2] },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ],
  );
  // Explicit pads on the SLIDE first conv (one channel), depthwise and a fused pool; relu6 as the clamp, the other fns as tables (lut-i8).
  const padded = modelOf('padded', [12, 11, 1], IMPORTED_LAYERS, 5);
  const models = [...Object.keys(ARCHITECTURES).map(builtIn), modelOf('every-op', EVERY_OP_INPUT, EVERY_OP_LAYERS, 21), pools, padded];
  for (const model of models) {
    const size = model.architecture.inputShape.reduce((a, b) => a * b, 1);
    const q = quantizeInt8Model(model, { calibration: randomInput(8 * size, 9).map((v) => (v + 1) / 2), batch: 8, method: 'minmax' });
    const tilings: I8Tiling[] = [DEFAULT_I8_TILING, SOFTWARE_I8_TILING, ...([0, 1, 2] as const).map((mac) => ({ ...DEFAULT_I8_TILING, mac }))];
    for (const tiling of tilings) {
      for (const s of planInt8(q, { tiling }).steps) {
        for (const dot of DOT_VARIANTS) {
          const params = { ...s.params, batch: BATCH, dot } as Record<string, unknown>;
          out.push({ kernel: stepKernel(s.kernel), params });
          if (s.kernel === 'conv2d-i8') out.push({ kernel: stepKernel(s.kernel), params: { ...params, tiling: { ...tiling, ...SMALL_DENSE_I8 } } });
        }
      }
    }
  }
  return out;
}

/**
 * The training kernels: one shape (LeNet-5's conv2 at batch 1024, the
 * largest the trainer meets) with every field any of them reads, and each
 * flag the trainer sets turned on in turn (every code-constant value).
 */
function trainUses(): Use[] {
  const base = {
    batch: BATCH,
    ...{ h: 12, w: 12, c: 20, oc: 50, oh: 8, ow: 8, kh: 5, kw: 5, sh: 1, sw: 1, padT: 0, padL: 0 },
    ...{ ips: 1, size: 25050, k: 500, n: 500, rows: BATCH, classes: 10, pixels: 784, channels: 50, winH: 2, winW: 2 },
    ...{
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0.9,
      t: 4,
      alpha: 0.5,
      bits: 0,
      transpose: false,
      perChannel: false,
      mask: false,
      distill: false,
      accumulate: false,
      ternary: false,
      mode: 'max',
      fn: 'relu6',
    },
  };
  const flags: Record<string, unknown>[] = [
    {},
    { mask: true },
    { distill: true },
    { accumulate: true },
    { ternary: true },
    { transpose: true, bits: 8, perChannel: true, mode: 'linear' },
    { mode: 'ternary' },
    { mode: 'binary' },
    { fn: 'leakyRelu' },
    { fn: 'sigmoid' },
    { fn: 'tanh' },
    { mode: 'avg' },
    { winH: 3, winW: 3, sh: 2, sw: 2 },
    { padT: 2, padL: 2, oh: 12, ow: 12 },
    { c: 1, h: 28, w: 28, oh: 24, ow: 24, oc: 20 },
    { kh: 1, kw: 1, c: 800, oc: 500, h: 1, w: 1, oh: 1, ow: 1 },
  ];
  const names = Object.keys(TRAIN_KERNELS) as TrainKernelName[];
  return names.flatMap((n) => flags.map((f) => ({ kernel: KERNELS[n], params: { ...base, ...f } })));
}

/** Distinct (kernel, constants) variants of `uses`, each with the params of its first use. */
function variants(uses: Use[]): Map<string, Use & { constants: Record<string, number> }> {
  const out = new Map<string, Use & { constants: Record<string, number> }>();
  for (const u of uses) {
    const constants = u.kernel.constants(u.params);
    const key = `${u.kernel.name}${JSON.stringify(Object.entries(constants).sort())}`;
    if (!out.has(key)) out.set(key, { ...u, constants });
  }
  return out;
}

describe('kernel limits: the static reading of a descriptor', () => {
  it('evaluates WGSL integer expressions with overrides and consts', () => {
    const v = new Map([
      ['TILE_N', 64],
      ['RN', 4],
    ]);
    expect(evaluate('TILE_N / RN', v)).toBe(16);
    expect(evaluate('(TILE_N + 2u) * 3 % 7', v)).toBe(198 % 7);
    expect(() => evaluate('WG', v)).toThrow(/WG/);
  });
  it('reads the dense tile: 16×16 threads, 8 KiB of workgroup memory, 4 storage buffers + 1 uniform', () => {
    const use = kernelLimitUse(KERNELS.dense, KERNELS.dense.constants({ batch: 1, rowsPerImage: 1, k: 8, n: 8, relu: false, tile: DEFAULT_DENSE_TILING }));
    expect(use).toEqual({ storageBuffers: 4, uniformBuffers: 1, workgroupSize: [16, 16, 1], invocations: 256, workgroupStorageBytes: 8192 });
  });
  it('names the kernel and the limit when a variant exceeds it (a 128×128×32 dense tile)', () => {
    const constants = KERNELS.dense.constants({ batch: 1, rowsPerImage: 1, k: 8, n: 8, relu: false, tile: { m: 128, n: 128, k: 32 } });
    const v = limitViolations(KERNELS.dense, constants).join('\n');
    expect(v).toMatch(/^dense\[.*TILE_M=128.*\]: maxComputeInvocationsPerWorkgroup 256 < 1024$/m);
    expect(v).toMatch(/^dense\[.*\]: maxComputeWorkgroupStorageSize 16384 < 32768$/m);
  });
  it('counts only the bindings a code constant keeps (dense-sparse:codebook binds codes + codebook instead of values)', () => {
    const s = { batch: 1, k: 8, n: 8, relu: false, pack16: true, wg: 64, tm: 1 };
    expect(kernelLimitUse(KERNELS['dense-sparse'], KERNELS['dense-sparse'].constants(s)).storageBuffers).toBe(6);
    expect(kernelLimitUse(KERNELS['dense-sparse'], KERNELS['dense-sparse'].constants({ ...s, centroids: 4 })).storageBuffers).toBe(7);
  });
});

describe("every kernel the engine uses fits WebGPU's default limits", () => {
  const groups: [string, () => Use[], readonly string[]][] = [
    ['float inference (KERNELS)', floatUses, Object.keys(KERNELS).filter((k) => !(k in TRAIN_KERNELS))],
    ['int8 inference (I8_KERNELS)', int8Uses, Object.keys(I8_KERNELS)],
    ['training (TRAIN_KERNELS)', trainUses, Object.keys(TRAIN_KERNELS)],
  ];
  for (const [what, uses, names] of groups) {
    it(`${what}: bindings, workgroup size and memory, dispatch size; every kernel covered`, () => {
      const all = variants(uses());
      const covered = new Set([...all.values()].map((u) => u.kernel.name));
      expect(
        [...names].filter((n) => !covered.has(n)),
        'kernels no variant exercised',
      ).toEqual([]);
      const violations: string[] = [];
      for (const u of all.values()) {
        violations.push(...limitViolations(u.kernel, u.constants, WEBGPU_DEFAULT_LIMITS));
        violations.push(...dispatchViolations(u.kernel, u.params, WEBGPU_DEFAULT_LIMITS));
      }
      expect(violations, `${all.size} variants`).toEqual([]);
      expect(all.size).toBeGreaterThanOrEqual(names.length);
    }, 60_000);
  }

  it('every weight buffer the plans upload fits one default storage binding (128 MiB)', () => {
    const bytes: [string, number][] = [];
    for (const name of Object.keys(ARCHITECTURES)) {
      const plan = planModel(builtIn(name), { variant: 'register', fuse: true, sparse: 'auto', weights: 'decoded' });
      for (const s of plan.steps.flatMap((x) => (x.alternative ? [x, x.alternative] : [x]))) {
        for (const [k, d] of Object.entries({ weight: s.weight, bias: s.bias, ...s.data }))
          if (d) bytes.push([`${name} ${s.layers.join('+')}.${k}`, d.byteLength]);
      }
    }
    const over = bytes.filter(([, b]) => b > WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize).map(([w, b]) => `${w}: ${b} bytes`);
    expect(over).toEqual([]);
  });
});
