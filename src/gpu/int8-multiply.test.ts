/**
 * The Device screen's int8 facts: the multiply named per adapter kind (and,
 * on this machine's adapter, the one the int8 executor's steps really run),
 * and the sentence on the speed-up to expect from the measured rates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { architecture } from '../model/architectures.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createInt8Executor } from './executor-i8.ts';
import { DOT4_CAVEAT, int8MultiplyFor, int8Outlook } from './int8-multiply.ts';

const adapter = (software: boolean, packed: boolean) => ({ software, wgslLanguageFeatures: { packed4x8IntegerDotProduct: packed, all: [] } });

describe('int8MultiplyFor', () => {
  it('names the multiply per adapter kind', () => {
    expect(int8MultiplyFor(adapter(false, true))).toMatchObject({ kind: 'dot4I8Packed', dot: 'dot4', label: 'dot4I8Packed' });
    expect(int8MultiplyFor(adapter(false, false))).toMatchObject({ kind: 'dot4-shift', dot: 'shift', label: 'shift-and-mask unpack' });
    // A CPU adapter with the WGSL feature (SwiftShader) multiplies in exact f32 and never calls dot4I8Packed.
    const sw = int8MultiplyFor(adapter(true, true));
    expect(sw).toMatchObject({ kind: 'outer-f32', dot: 'dot4', label: 'exact f32 outer product' });
    expect(sw.detail).toContain('dot4I8Packed is not called');
    expect(int8MultiplyFor(adapter(true, false)).detail).toContain('shift-and-mask');
  });
});

describe('int8Outlook', () => {
  const m = int8MultiplyFor(adapter(true, true));
  it('says "measure to see" without a measured int8 rate, keeping a measured f32 rate', () => {
    expect(int8Outlook(m).expectation).toMatch(/^Measure to see/);
    const old = int8Outlook(m, { f32Gflops: 5 });
    expect(old).toMatchObject({ f32Gflops: 5, caveat: DOT4_CAVEAT });
    expect(old.ratio).toBeUndefined();
    expect(old.expectation).toMatch(/^Measure to see/);
  });
  it('int8 slower than f32: not faster, still 4× smaller', () => {
    const o = int8Outlook(m, { f32Gflops: 6, int8Gops: 3 });
    expect(o.ratio).toBe(0.5);
    expect(o.expectation).toBe(
      'int8 will not be faster than fp32 on this adapter (its int8 matmul runs at 0.50× the f32 rate); it still shrinks the model 4×.',
    );
  });
  it('about the same rate: little or no speed-up', () => {
    expect(int8Outlook(m, { f32Gflops: 10, int8Gops: 10.5 }).expectation).toMatch(/about the f32 rate .*\(1\.1×\).*little or no speed-up/);
  });
  it('int8 faster: up to about the ratio on compute-bound layers', () => {
    const o = int8Outlook(m, { f32Gflops: 100, int8Gops: 250 });
    expect(o.ratio).toBe(2.5);
    expect(o.expectation).toMatch(/^int8 matmuls run at 2\.5× the f32 rate.*up to about 2\.5× faster/);
  });
  it('says a page cannot tell hardware dot4I8Packed from an emulated one', () => {
    expect(DOT4_CAVEAT).toMatch(/cannot tell a hardware dot4I8Packed from an emulated one.*only the measured int8 rate/);
  });
});

describe('on this adapter', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await acquireGpu();
  });
  afterAll(() => gpu?.device.destroy());

  it("is the multiply the int8 executor's steps really run", async () => {
    const model = initModel(architecture('lenet-300-100'), 1);
    const r = mulberry32(2);
    const cal = Float32Array.from({ length: 16 * 784 }, () => r());
    const ex = await createInt8Executor(gpu, quantizeInt8Model(model, { calibration: cal, batch: 16, method: 'minmax' }));
    try {
      const chosen = int8MultiplyFor(gpu.report);
      expect(ex.dot).toBe(chosen.dot);
      const macs = ex.stepVariants.filter((_, i) => ex.plan.steps[i].kernel === 'conv2d-i8');
      expect(new Set(macs)).toEqual(new Set([chosen.kind]));
    } finally {
      ex.destroy();
    }
  });
});
