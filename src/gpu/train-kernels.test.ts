/**
 * Every training kernel (backward passes, losses, optimizers, gather, pack)
 * against the CPU reference: odd sizes, stride 2, same padding, channels not
 * divisible by 4, batch 1 and an odd larger batch. Real GPU (SwiftShader
 * under Node); no skips: without WebGPU these tests fail with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer, Padding, Pool2dLayer } from '../model/layers.ts';
import { mulberry32 } from '../model/model.ts';
import { convGeometry, inferShapes, sizeOf } from '../model/shapes.ts';
import { layerBackward } from '../cpu/backward.ts';
import { layerForward, layerParams } from '../cpu/forward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import { hintLoss as cpuHintLoss } from '../cpu/hint-loss.ts';
import { adamStep, sgdStep } from '../cpu/optim.ts';
import { gatherFloatBatch, gatherLabels } from '../data/dataset.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import type { AnyKernel } from './kernels/types.ts';
import { encodeUniforms } from './kernels/types.ts';
import { packGemmWeight } from './kernels/conv2d.ts';
import { colSumGroups } from './kernels/col-sum.ts';
import { imagesPerSplit, splitsOf } from './kernels/conv2d-backward-weight.ts';
import { colGradShape, colGradSize, useCol2im } from './kernels/conv2d-col2im.ts';
import { poolPadParams } from './kernels/pool2d.ts';
import { gemmPixels, gemmWeightGradParams, useGemmWeightGrad } from './kernels/weight-grad-gemm.ts';
import { TRAIN_REGISTER_TILING } from './train/graph.ts';
import { transposeMatrix } from '../cpu/transpose.ts';
import { PipelineCache } from './pipelines.ts';
import type { KernelName } from './registry.ts';
import { KERNELS } from './registry.ts';
import { bindKernel } from './bind.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer, uploadBuffer } from './buffers.ts';
import { expectNear, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = new PipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

type Host = Float32Array | Uint32Array;

/**
 * Run one kernel once: every storage binding gets `data[name]` (uploaded) or
 * `zeros[name]` floats of zeros; the bindings named in `read` come back.
 */
async function run(
  name: KernelName,
  params: object,
  data: Record<string, Host>,
  read: string[],
  zeros: Record<string, number> = {},
): Promise<Record<string, Float32Array>> {
  const device = gpu.device;
  const kernel: AnyKernel = KERNELS[name];
  const compiled = await cache.get(kernel, kernel.constants(params));
  const owned: GPUBuffer[] = [];
  const byName: Record<string, GPUBuffer> = {};
  let uniforms: GPUBuffer | undefined;
  for (const b of kernel.bindings) {
    let buf: GPUBuffer;
    if (b.kind === 'uniform') {
      buf = uniformBuffer(device, `${name} params`, kernel.uniforms.length);
      device.queue.writeBuffer(buf, 0, encodeUniforms(kernel, kernel.uniformValues(params)));
      uniforms = buf;
    } else if (data[b.name]) {
      buf = uploadBuffer(device, `${name} ${b.name}`, data[b.name]);
    } else {
      buf = storageBuffer(device, `${name} ${b.name}`, Math.max(1, zeros[b.name] ?? 1) * 4);
    }
    owned.push(buf);
    byName[b.name] = buf;
  }
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, bindKernel(device, kernel, compiled.layout, byName, uniforms, `test ${name}`));
  const [x, y, z] = kernel.dispatch(params, device.limits);
  pass.dispatchWorkgroups(x, y, z);
  pass.end();
  const stagings = read.map((r) => {
    const s = stagingBuffer(device, `${r} readback`, byName[r].size);
    enc.copyBufferToBuffer(byName[r], 0, s, 0, byName[r].size);
    owned.push(s);
    return s;
  });
  device.queue.submit([enc.finish()]);
  const out: Record<string, Float32Array> = {};
  for (let i = 0; i < read.length; i++) out[read[i]] = new Float32Array(await readStaging(stagings[i], byName[read[i]].size));
  for (const b of owned) b.destroy();
  return out;
}

const conv = (filters: number, k: [number, number], stride: [number, number], padding: Padding, bias = true): Layer => ({
  kind: 'conv2d',
  name: 'l',
  filters,
  kernel: k,
  stride,
  padding,
  bias,
});
const dw = (k: [number, number], stride: [number, number], padding: Padding, multiplier = 1): Layer => ({
  kind: 'depthwiseConv2d',
  name: 'l',
  kernel: k,
  stride,
  padding,
  bias: true,
  ...(multiplier > 1 ? { multiplier } : {}),
});
const dense = (units: number, bias = true): Layer => ({ kind: 'dense', name: 'l', units, bias });

/** CPU forward + backward of one layer with a random dOutput. */
function reference(layer: Layer, input: [number, number, number] | [number], batch: number, seed: number) {
  const model = modelOf(
    'case',
    (input.length === 3 ? input : [1, 1, input[0]]) as [number, number, number],
    input.length === 3 ? [layer] : [{ kind: 'flatten', name: 'f' }, layer],
    seed,
  );
  const shapes = inferShapes(model.architecture);
  const ls = shapes[shapes.length - 1];
  const x = randomInput(batch * sizeOf(ls.input), seed + 10);
  const params = layerParams(model, layer);
  const y = layerForward(layer, x, ls.input, batch, params);
  const dy = randomInput(y.length, seed + 20);
  return { ls, x, params, y, dy, grads: layerBackward(layer, x, ls.input, batch, params, y, dy) };
}

const take = (a: Float32Array, n: number): Float32Array => a.subarray(0, n);

describe('conv2d / dense backward vs the CPU reference', () => {
  const cases: { what: string; layer: Layer; input: [number, number, number] | [number] }[] = [
    { what: 'lenet conv1: 5×5 valid, c=1, oc=20', layer: conv(20, [5, 5], [1, 1], 'valid'), input: [12, 12, 1] },
    { what: '3×3 same stride 2, odd 7×9, c=3, oc=5', layer: conv(5, [3, 3], [2, 2], 'same'), input: [7, 9, 3] },
    { what: '2×1 kernel stride (2,1) same, c=5, oc=7, no bias', layer: conv(7, [2, 1], [2, 1], 'same', false), input: [5, 6, 5] },
    { what: '4×4 same stride 2 on even 8×8 (pad 1 before, 1 after), c=8, oc=6', layer: conv(6, [4, 4], [2, 2], 'same'), input: [8, 8, 8] },
    { what: 'pointwise 1×1, c=12, oc=10', layer: conv(10, [1, 1], [1, 1], 'valid'), input: [5, 3, 12] },
    { what: 'lenet conv2: 5×5 valid, c=20, oc=50 (oc not divisible by 4·TN4)', layer: conv(50, [5, 5], [1, 1], 'valid'), input: [12, 12, 20] },
    { what: '5×5 same stride 1 on odd 9×7, c=6, oc=9', layer: conv(9, [5, 5], [1, 1], 'same'), input: [9, 7, 6] },
    { what: '3×3 valid stride 2 on 11×10, c=4, oc=8', layer: conv(8, [3, 3], [2, 2], 'valid'), input: [11, 10, 4] },
    { what: 'pointwise 1×1 stride 2, c=3, oc=2', layer: conv(2, [1, 1], [2, 2], 'valid'), input: [5, 4, 3] },
    { what: 'explicit pads t2 b0 l1 r2, 3×4 stride 1, c=3, oc=5', layer: conv(5, [3, 4], [1, 1], { top: 2, bottom: 0, left: 1, right: 2 }), input: [6, 7, 3] },
    // Every tap of the 3 output rows lands in rows −1..5 of 7: the in-image test alone would miss the top pad.
    {
      what: 'explicit pads t1 b0 l0 r1, 3×3 stride 2 on 7×6, c=4, oc=6',
      layer: conv(6, [3, 3], [2, 2], { top: 1, bottom: 0, left: 0, right: 1 }),
      input: [7, 6, 4],
    },
    { what: 'dense 37 → 13', layer: dense(13), input: [37] },
    { what: 'dense 40 → 13 (K % 4 = 0: the GEMM weight gradient)', layer: dense(13), input: [40] },
    { what: 'pointwise 1×1, c=8, oc=6, no bias (the GEMM weight gradient)', layer: conv(6, [1, 1], [1, 1], 'valid', false), input: [3, 5, 8] },
    { what: 'dense 6 → 3, no bias', layer: dense(3, false), input: [6] },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      for (const batch of [1, 33]) {
        const r = reference(c.layer, c.input, batch, batch + 1);
        const isDense = c.layer.kind === 'dense';
        const ls = r.ls;
        const l = c.layer as Layer & { kind: 'conv2d' | 'dense' };
        const oc = isDense ? (l as { units: number }).units : ls.output[2];
        const [h, w, ch] = isDense ? [1, 1, ls.input[0]] : ls.input;
        const [oh, ow] = isDense ? [1, 1] : [ls.output[0], ls.output[1]];
        const conv2d = l.kind === 'conv2d' ? l : undefined;
        const { padT, padL } = convGeometry(c.layer, ls.input, ls.output);
        const shape = {
          batch,
          h,
          w,
          c: ch,
          oh,
          ow,
          oc,
          kh: conv2d?.kernel[0] ?? 1,
          kw: conv2d?.kernel[1] ?? 1,
          sh: conv2d?.stride[0] ?? 1,
          sw: conv2d?.stride[1] ?? 1,
          padT,
          padL,
        };
        const wt = r.params.weight!;
        const dx = await run('conv2d-backward-input', shape, { dOutput: r.dy, weight: packGemmWeight(wt, oc) }, ['output'], { output: r.x.length });
        expectNear(take(dx.output, r.x.length), r.grads.dInput, `dInput batch ${batch}`, 1e-4, 1e-4);
        if (useCol2im(shape)) {
          // The trainer's path for kernels larger than 1×1: column gradients as a GEMM, then col2im.
          const cols = await run('conv2d-backward-input', colGradShape(shape), { dOutput: r.dy, weight: packGemmWeight(wt, oc) }, ['output'], {
            output: colGradSize(shape),
          });
          const dx2 = await run('conv2d-col2im', shape, { input: take(cols.output, colGradSize(shape)) }, ['output'], { output: r.x.length });
          expectNear(take(dx2.output, r.x.length), r.grads.dInput, `dInput (col2im) batch ${batch}`, 1e-4, 1e-4);
        }
        const ips = imagesPerSplit(batch, Math.ceil(oc / 4) * Math.ceil(wt.length / oc / 4));
        const splits = splitsOf({ batch, ips });
        const part = await run('conv2d-backward-weight', { ...shape, ips }, { input: r.x, dOutput: r.dy }, ['output'], { output: splits * wt.length });
        const dW = await run('col-sum', { rows: splits, n: wt.length }, { input: take(part.output, splits * wt.length) }, ['output'], { output: wt.length });
        expectNear(take(dW.output, wt.length), r.grads.dWeight!, `dWeight batch ${batch}`, 1e-3, 1e-4);
        if (useGemmWeightGrad(shape)) {
          // The trainer's path for dense and 1×1 layers: dyᵀ (transpose, exact), then dW = dyᵀ · x as one conv2d GEMM.
          const pixels = gemmPixels(shape);
          const dyT = await run('transpose', { rows: pixels, cols: oc }, { input: r.dy }, ['output'], { output: r.dy.length });
          expect(take(dyT.output, r.dy.length)).toEqual(transposeMatrix(r.dy, pixels, oc));
          const gemm = await run(
            'conv2d',
            gemmWeightGradParams(shape, TRAIN_REGISTER_TILING),
            { input: take(dyT.output, r.dy.length), weight: r.x, bias: new Float32Array(ch) },
            ['output'],
            { output: wt.length },
          );
          expectNear(take(gemm.output, wt.length), r.grads.dWeight!, `dWeight (GEMM) batch ${batch}`, 1e-3, 1e-4);
        }
        if (r.grads.dBias) {
          const dB = await run('col-sum', { rows: batch * oh * ow, n: oc }, { input: r.dy }, ['output'], { output: oc });
          expectNear(take(dB.output, oc), r.grads.dBias, `dBias batch ${batch}`, 1e-3, 1e-4);
        }
      }
    });
  }
});

describe('depthwise conv2d forward and backward vs the CPU reference', () => {
  const cases: { what: string; layer: Layer; input: [number, number, number] }[] = [
    { what: '3×3 same stride 2, c=6', layer: dw([3, 3], [2, 2], 'same'), input: [7, 8, 6] },
    { what: '5×5 valid, c=1', layer: dw([5, 5], [1, 1], 'valid'), input: [9, 9, 1] },
    { what: '2×3 same stride (1,2), c=5', layer: dw([2, 3], [1, 2], 'same'), input: [6, 7, 5] },
    { what: 'lenet5-separable conv2_dw: 5×5 valid on 12×12, c=20', layer: dw([5, 5], [1, 1], 'valid'), input: [12, 12, 20] },
    { what: '3×3 valid stride 2 on odd 9×8, c=3', layer: dw([3, 3], [2, 2], 'valid'), input: [9, 8, 3] },
    { what: 'explicit pads t0 b2 l2 r1, 3×3 stride (2,1), c=5', layer: dw([3, 3], [2, 1], { top: 0, bottom: 2, left: 2, right: 1 }), input: [7, 6, 5] },
    { what: 'multiplier 2, 3×3 same stride 2, c=3', layer: dw([3, 3], [2, 2], 'same', 2), input: [7, 8, 3] },
    { what: 'multiplier 3, 2×3 valid, c=5', layer: dw([2, 3], [1, 1], 'valid', 3), input: [6, 7, 5] },
    // Whole channel words (the VEC4 bodies): padded, strided, rows not a multiple of the 4-pixel block.
    { what: 'vec4: 3×3 same stride 1 on 7×9, c=8', layer: dw([3, 3], [1, 1], 'same'), input: [7, 9, 8] },
    { what: 'vec4: 3×3 same stride 2 on 9×10, c=4', layer: dw([3, 3], [2, 2], 'same'), input: [9, 10, 4] },
    { what: 'vec4: 2×3 valid stride (1,2) on 6×11, c=12', layer: dw([2, 3], [1, 2], 'valid'), input: [6, 11, 12] },
    { what: 'vec4: explicit pads t2 b0 l1 r1, 3×2 stride (2,1), c=4', layer: dw([3, 2], [2, 1], { top: 2, bottom: 0, left: 1, right: 1 }), input: [7, 5, 4] },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      for (const batch of [1, 33]) {
        const r = reference(c.layer, c.input, batch, batch + 3);
        const l = c.layer as Layer & { kind: 'depthwiseConv2d' };
        const [h, w, ch] = r.ls.input;
        const [oh, ow] = r.ls.output;
        const { padT, padL } = convGeometry(c.layer, r.ls.input, r.ls.output);
        const m = l.multiplier ?? 1;
        const shape = { batch, h, w, c: ch, oh, ow, kh: l.kernel[0], kw: l.kernel[1], sh: l.stride[0], sw: l.stride[1], padT, padL, m };
        const y = await run('depthwise-conv2d', { ...shape, relu: false }, { input: r.x, weight: r.params.weight!, bias: r.params.bias! }, ['output'], {
          output: r.y.length,
        });
        expectNear(take(y.output, r.y.length), r.y, `forward batch ${batch}`);
        const dx = await run('depthwise-conv2d-backward-input', shape, { dOutput: r.dy, weight: r.params.weight! }, ['output'], { output: r.x.length });
        expectNear(take(dx.output, r.x.length), r.grads.dInput, `dInput batch ${batch}`);
        const n = r.params.weight!.length;
        const ips = imagesPerSplit(batch, n);
        const splits = splitsOf({ batch, ips });
        const part = await run('depthwise-conv2d-backward-weight', { ...shape, ips }, { input: r.x, dOutput: r.dy }, ['output'], { output: splits * n });
        const dW = await run('col-sum', { rows: splits, n }, { input: take(part.output, splits * n) }, ['output'], { output: n });
        expectNear(take(dW.output, n), r.grads.dWeight!, `dWeight batch ${batch}`, 1e-3, 1e-4);
      }
    });
  }
});

describe('pool2d forward and backward, relu backward vs the CPU reference', () => {
  const pool = (kind: 'maxPool2d' | 'avgPool2d', w: [number, number], s: [number, number]): Pool2dLayer => ({ kind, name: 'l', window: w, stride: s });
  const cases: { what: string; layer: Layer; input: [number, number, number]; ties?: boolean }[] = [
    { what: 'max 2×2/2 on odd 7×7, c=3 (floor mode)', layer: pool('maxPool2d', [2, 2], [2, 2]), input: [7, 7, 3] },
    { what: 'max 3×3 stride 2 overlapping, with ties (first max in scan order wins)', layer: pool('maxPool2d', [3, 3], [2, 2]), input: [9, 8, 5], ties: true },
    { what: 'avg 3×3 stride 1, c=5', layer: pool('avgPool2d', [3, 3], [1, 1]), input: [6, 5, 5] },
    { what: 'avg 2×2/2, c=5 (disjoint windows: one thread per output)', layer: pool('avgPool2d', [2, 2], [2, 2]), input: [6, 6, 5] },
    { what: 'max 2×2/2 tiling 8×6 exactly, c=3, with ties (disjoint path)', layer: pool('maxPool2d', [2, 2], [2, 2]), input: [8, 6, 3], ties: true },
    { what: 'max 3×2 / stride (3,2) tiling 9×4, c=6 (disjoint path, non-square)', layer: pool('maxPool2d', [3, 2], [3, 2]), input: [9, 4, 6] },
    {
      what: 'max 3×3/2 padded t1 b1 l1 r0 on 7×6, with negative values at the border',
      layer: { ...pool('maxPool2d', [3, 3], [2, 2]), padding: { top: 1, bottom: 1, left: 1, right: 0 } },
      input: [7, 6, 3],
    },
    {
      // Stride = window, 4×4 = the padded-out-by-0 tiling minus a pad: not the disjoint path.
      what: 'avg 2×2/2 padded t1 b0 l0 r1 on 4×4, countIncludePad (not disjoint)',
      layer: { ...pool('avgPool2d', [2, 2], [2, 2]), padding: { top: 1, bottom: 0, left: 0, right: 1 }, countIncludePad: true },
      input: [4, 4, 5],
    },
    {
      what: 'avg 3×2 / stride (2,1) padded t2 b0 l1 r1, excluding pads from the count',
      layer: { ...pool('avgPool2d', [3, 2], [2, 1]), padding: { top: 2, bottom: 0, left: 1, right: 1 }, countIncludePad: false },
      input: [6, 5, 4],
    },
    // Whole channel words (the VEC4 bodies: the argmax is kept per lane).
    { what: 'vec4: max 2×2/2 tiling 8×6, c=8, with ties (disjoint path)', layer: pool('maxPool2d', [2, 2], [2, 2]), input: [8, 6, 8], ties: true },
    { what: 'vec4: avg 2×2/2 tiling 6×4, c=4 (disjoint path)', layer: pool('avgPool2d', [2, 2], [2, 2]), input: [6, 4, 4] },
    {
      what: 'vec4: max 3×3/2 padded t1 b1 l1 r0 on 7×6, c=12, with ties (gather path)',
      layer: { ...pool('maxPool2d', [3, 3], [2, 2]), padding: { top: 1, bottom: 1, left: 1, right: 0 } },
      input: [7, 6, 12],
      ties: true,
    },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      for (const batch of [1, 33]) {
        const r = reference(c.layer, c.input, batch, batch + 5);
        let x = r.x;
        if (c.ties) {
          x = x.map((v) => Math.round(v * 2) / 2); // few distinct values: many equal maxima
        }
        const l = c.layer as Layer & { kind: 'maxPool2d' | 'avgPool2d' };
        const y = layerForward(l, x, r.ls.input, batch, {});
        const ref = layerBackward(l, x, r.ls.input, batch, {}, y, r.dy);
        const [h, w, ch] = r.ls.input;
        const params = {
          batch,
          h,
          w,
          c: ch,
          oh: r.ls.output[0],
          ow: r.ls.output[1],
          winH: l.window[0],
          winW: l.window[1],
          sh: l.stride[0],
          sw: l.stride[1],
          mode: l.kind === 'maxPool2d' ? 'max' : 'avg',
          ...poolPadParams(l),
        };
        const fwd = await run('pool2d', { ...params, relu: false }, { input: x }, ['output'], { output: y.length });
        expectNear(take(fwd.output, y.length), y, `forward batch ${batch}`, 1e-6, 1e-6);
        const dx = await run('pool2d-backward', params, { input: x, dOutput: r.dy }, ['output'], { output: x.length });
        expectNear(take(dx.output, x.length), ref.dInput, `dInput batch ${batch}`, 1e-6, 1e-6);
      }
    });
  }
  it('col-sum in row groups, then over the groups: bit-equal to the same order of f32 adds on the CPU', async () => {
    for (const [rows, n] of [
      [36864 / 16, 20], // LeNet-5 conv1's bias gradient at batch 4
      [1001, 3], // uneven last group
      [100, 7], // too few rows to split: one group
    ]) {
      const x = randomInput(rows * n, rows + n);
      const groups = colSumGroups(rows, n);
      if (rows >= 1001) expect(groups).toBeGreaterThan(1);
      const per = Math.ceil(rows / groups);
      const want = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let gi = 0; gi < groups; gi++) {
          let acc = 0;
          for (let r = gi * per; r < Math.min(rows, (gi + 1) * per); r++) acc = Math.fround(acc + x[r * n + j]);
          total = Math.fround(total + acc);
        }
        want[j] = total;
      }
      const part = await run('col-sum', { rows, n, groups }, { input: x }, ['output'], { output: groups * n });
      const got = await run('col-sum', { rows: groups, n }, { input: take(part.output, groups * n) }, ['output'], { output: n });
      expect(Array.from(take(got.output, n)), `${rows}×${n} in ${groups} groups`).toEqual(Array.from(want));
    }
  });
  it('relu: dy where x > 0, 0 at x ≤ 0 (odd length)', async () => {
    const x = randomInput(1001, 4).map((v, i) => (i % 7 === 0 ? 0 : v));
    const dy = randomInput(1001, 5);
    const l: Layer = { kind: 'relu', name: 'r' };
    const ref = layerBackward(l, x, [1001], 1, {}, layerForward(l, x, [1001], 1, {}), dy);
    const dx = await run('relu-backward', { batch: 1, size: 1001 }, { input: x, dOutput: dy }, ['output'], { output: 1004 });
    expect(Array.from(take(dx.output, 1001))).toEqual(Array.from(ref.dInput));
  });
});

describe('losses vs the CPU reference', () => {
  const classes = 10;
  it.each([1, 33])('softmax cross-entropy, hard labels, batch %i', async (batch) => {
    const z = randomInput(batch * classes, batch).map((v) => v * 8);
    const labels = Uint32Array.from({ length: batch }, (_, i) => (i * 7) % classes);
    const ref = softmaxCrossEntropy(z, batch, classes, { labels });
    const out = await run('softmax-cross-entropy', { batch, classes, distill: false, t: 1, alpha: 0 }, { input: z, labels }, ['output', 'lossAcc'], {
      output: z.length,
      lossAcc: batch,
      teacher: 4,
    });
    expectNear(take(out.output, z.length), ref.dLogits, 'dLogits', 1e-6, 1e-4);
    const loss = take(out.lossAcc, batch).reduce((a, b) => a + b, 0) / batch;
    expect(loss).toBeCloseTo(ref.loss, 4);
  });
  it.each([1, 33])('distillation: (1 − α)·hard + α·T²·soft(T), T = 4, α = 0.7, batch %i', async (batch) => {
    const t = 4;
    const alpha = 0.7;
    const z = randomInput(batch * classes, batch + 1).map((v) => v * 6);
    const teacher = randomInput(batch * classes, batch + 2).map((v) => v * 10);
    const labels = Uint32Array.from({ length: batch }, (_, i) => (i * 3) % classes);
    const soft = new Float32Array(teacher.length);
    for (let n = 0; n < batch; n++) {
      const row = Array.from(teacher.subarray(n * classes, (n + 1) * classes), (v) => v / t);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => (soft[n * classes + k] = v / s));
    }
    const hard = softmaxCrossEntropy(z, batch, classes, { labels });
    const sft = softmaxCrossEntropy(z, batch, classes, { soft }, t);
    const dRef = hard.dLogits.map((v, i) => (1 - alpha) * v + alpha * t * t * sft.dLogits[i]);
    const lossRef = (1 - alpha) * hard.loss + alpha * t * t * sft.loss;
    const out = await run('softmax-cross-entropy', { batch, classes, distill: true, t, alpha }, { input: z, labels, teacher }, ['output', 'lossAcc'], {
      output: z.length,
      lossAcc: batch,
    });
    expectNear(take(out.output, z.length), dRef, 'dLogits', 1e-5, 1e-3);
    expect(take(out.lossAcc, batch).reduce((a, b) => a + b, 0) / batch).toBeCloseTo(lossRef, 3);
  });
  it.each([1, 33])('hint loss adds β·(s − t)/batch to the incoming gradient, batch %i', async (batch) => {
    const size = 53;
    const s = randomInput(batch * size, 1);
    const tt = randomInput(batch * size, 2);
    const incoming = randomInput(batch * size, 3);
    const ref = cpuHintLoss(s, tt, batch, 0.3);
    const out = await run('hint-loss', { batch, size, beta: 0.3 }, { input: s, target: tt, output: incoming }, ['output', 'lossAcc'], { lossAcc: batch });
    expectNear(
      take(out.output, s.length),
      incoming.map((v, i) => v + ref.dStudent[i]),
      'dStudent',
      1e-6,
      1e-5,
    );
    expect(take(out.lossAcc, batch).reduce((a, b) => a + b, 0) / batch).toBeCloseTo(ref.loss, 4);
  });
});

describe('optimizers vs the CPU reference (with a mask)', () => {
  const size = 1037;
  const mask = Float32Array.from({ length: size }, (_, i) => (i % 5 === 0 ? 0 : 1));
  it('sgd with momentum 0.9 and L2 weight decay, three steps', async () => {
    const w = randomInput(size, 1);
    const v = new Float32Array(size);
    const wg = Float32Array.from(w);
    const vg = new Float32Array(size);
    const lrs = [0.1, 0.05, 0.02];
    const schedule = new Float32Array(lrs.length * 4);
    lrs.forEach((lr, i) => (schedule[i * 4] = lr));
    for (let step = 0; step < 3; step++) {
      const g = randomInput(size, 10 + step);
      sgdStep(w, g, v, { lr: lrs[step], momentum: 0.9, weightDecay: 1e-3 }, mask);
      const out = await run(
        'sgd',
        { size, momentum: 0.9, weightDecay: 1e-3, mask: true },
        { grad: g, mask, schedule, state: Uint32Array.of(step, 0, 0, 0), weight: wg, m: vg },
        ['weight', 'm'],
      );
      wg.set(take(out.weight, size));
      vg.set(take(out.m, size));
    }
    expectNear(wg, w, 'weights', 1e-6, 1e-5);
    expectNear(vg, v, 'velocity', 1e-6, 1e-5);
    for (let i = 0; i < size; i += 5) expect(wg[i]).toBe(0);
  });
  it('adam with decoupled weight decay (AdamW), three steps with bias correction', async () => {
    const o = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const w = randomInput(size, 2);
    const m = new Float32Array(size);
    const v = new Float32Array(size);
    const wg = Float32Array.from(w);
    const mg = new Float32Array(size);
    const vg = new Float32Array(size);
    const schedule = new Float32Array(12);
    for (let t = 1; t <= 3; t++) schedule.set([o.lr, 1 - o.beta1 ** t, 1 - o.beta2 ** t, 0], (t - 1) * 4);
    for (let t = 1; t <= 3; t++) {
      const g = randomInput(size, 20 + t);
      adamStep(w, g, m, v, t, o, mask);
      const out = await run(
        'adam',
        { size, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, mask: true },
        { grad: g, mask, schedule, state: Uint32Array.of(t - 1, 0, 0, 0), weight: wg, m: mg, v: vg },
        ['weight', 'm', 'v'],
      );
      wg.set(take(out.weight, size));
      mg.set(take(out.m, size));
      vg.set(take(out.v, size));
    }
    expectNear(wg, w, 'weights', 1e-6, 1e-5);
    expectNear(mg, m, 'm', 1e-7, 1e-5);
    expectNear(vg, v, 'v', 1e-9, 1e-4);
    for (let i = 0; i < size; i += 5) expect(wg[i]).toBe(0);
  });
});

describe('batch gather and weight packing', () => {
  it('gather-batch builds the batch from bytes as gatherFloatBatch does', async () => {
    const count = 37;
    const rows = 5;
    const cols = 3;
    const rand = mulberry32(9);
    const images = Uint8Array.from({ length: count * rows * cols }, () => Math.floor(rand() * 256));
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const ds = { name: 'mnist', split: 'train', count, rows, cols, images, labels } as const;
    const order = Uint32Array.from({ length: count }, (_, i) => (i * 11) % count);
    const batch = 7;
    const step = 2;
    const words = new Uint32Array(Math.ceil(images.length / 4));
    new Uint8Array(words.buffer).set(images);
    const out = await run(
      'gather-batch',
      { batch, pixels: rows * cols },
      { images: words, labels: Uint32Array.from(labels), order, state: Uint32Array.of(step, 0, 0, 0) },
      ['output', 'labelsOut'],
      { output: batch * rows * cols, labelsOut: batch },
    );
    const idx = order.subarray(step * batch, (step + 1) * batch);
    expectNear(take(out.output, batch * rows * cols), gatherFloatBatch(ds, idx), 'pixels', 1e-7, 1e-6);
    expect(Array.from(new Uint32Array(out.labelsOut.buffer, 0, batch))).toEqual(Array.from(gatherLabels(ds, idx)));
  });
  it('pack-weight transposes like packGemmWeight, and fake-quantizes per channel', async () => {
    const oc = 7;
    const k = 13;
    const w = randomInput(oc * k, 3);
    const ocp = 8;
    const plain = await run('pack-weight', { oc, k, transpose: true, bits: 0, perChannel: false }, { master: w, scales: new Float32Array(4) }, ['output'], {
      output: k * ocp,
    });
    expect(Array.from(take(plain.output, k * ocp))).toEqual(Array.from(packGemmWeight(w, oc)));
    const bits = 4;
    const qmax = 7;
    const sc = await run('weight-absmax', { channels: oc, k, strideO: k, strideK: 1, qmax }, { input: w }, ['output'], { output: oc });
    const scales = take(sc.output, oc);
    const q = await run('pack-weight', { oc, k, transpose: true, bits, perChannel: true }, { master: w, scales }, ['output'], { output: k * ocp });
    const expected = new Float32Array(oc * k);
    for (let o = 0; o < oc; o++) {
      let m = 0;
      for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(w[o * k + i]));
      const s = Math.fround(m / qmax);
      expect(scales[o]).toBeCloseTo(s, 6);
      for (let i = 0; i < k; i++) expected[o * k + i] = Math.max(-qmax, Math.min(qmax, Math.round(w[o * k + i] / s))) * s;
    }
    expectNear(take(q.output, k * ocp), packGemmWeight(expected, oc), 'fake-quantized', 1e-6, 1e-5);
  });
});

describe('transpose (the dense weight gradient’s dyᵀ)', () => {
  it('the CPU reference on a hand-written 2×3 matrix', () => {
    expect(transposeMatrix(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3)).toEqual(Float32Array.of(1, 4, 2, 5, 3, 6));
    expect(() => transposeMatrix(new Float32Array(5), 2, 3)).toThrow(/a 2×3 matrix needs 6/);
  });
  it('the kernel equals the reference exactly on an odd 67×13 matrix', async () => {
    const x = randomInput(67 * 13, 5);
    const out = await run('transpose', { rows: 67, cols: 13 }, { input: x }, ['output'], { output: x.length });
    expect(take(out.output, x.length)).toEqual(transposeMatrix(x, 67, 13));
  });
});
