/**
 * Test-only helpers for running ONNX bytes in ONNX Runtime Web (wasm, in
 * Node): which kernels ORT really ran, and the lab's CPU reference against
 * ORT on the same input.
 */
import fs from 'node:fs';
import type * as ortWeb from 'onnxruntime-web';
import { expect, vi } from 'vitest';
import { modelForward } from '../cpu/forward.ts';
import type { Model } from '../model/model.ts';
import { createOrtSession } from '../peers/ort-runner.ts';

/**
 * The op types of every kernel ORT ran for one batch of `input` (NCHW dims
 * `dims`), after its graph optimisations, from its profiler. In Node ORT's
 * wasm module prints the profile with fs.writeSync(1, …) on node:fs's shared
 * module object, which is where this listens.
 */
export async function ortKernelsRun(ort: typeof ortWeb, bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<string[]> {
  const lines: string[] = [];
  const write = fs.writeSync;
  const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 1 && typeof data === 'string') {
      lines.push(data);
      return data.length;
    }
    return (write as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], enableProfiling: true });
  try {
    await session.run({ input: new ort.Tensor('float32', input, dims) });
    session.endProfiling();
  } finally {
    spy.mockRestore();
    await session.release();
  }
  return [...lines.join('\n').matchAll(/"op_name" : "(\w+)"/g)].map((m) => m[1]);
}

/** The lab's CPU reference on `model` equals ORT on `bytes` for `n` NHWC images `x` of `inputShape`, to 1e-5 abs + rel. */
export async function expectSameAsOrt(
  ort: typeof ortWeb,
  bytes: Uint8Array,
  model: Model,
  x: Float32Array,
  n: number,
  inputShape: [number, number, number],
): Promise<void> {
  const runner = await createOrtSession(ort, bytes, 'wasm', { inputShape });
  try {
    const want = await runner.run(x, n);
    const got = modelForward(model, x, n);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 + 1e-5 * Math.abs(want[i]));
  } finally {
    await runner.dispose();
  }
}
