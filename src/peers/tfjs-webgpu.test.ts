/**
 * The benchmark's actual TF.js peer path — the lab's TF.js export loaded by
 * tf.loadLayersModel on tfjs-backend-webgpu — run in Node on Dawn (npm
 * `webgpu`, SwiftShader through Vulkan as set up in vitest.config.ts),
 * against the CPU reference.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { create, globals } from 'webgpu';
import type { Tfjs } from './tfjs-model.ts';
import { buildTfjsModel } from './tfjs-model.ts';
import { modelForward } from '../cpu/forward.ts';
import { expectLogitsClose, testInput } from './test-cases.ts';
import { tfjsPeerModels } from './tfjs-test-cases.ts';

let tf: Tfjs;
let restoreNavigator: () => void = () => {};

beforeAll(async () => {
  // tfjs-backend-webgpu registers itself at import time only if navigator.gpu exists, so Dawn goes in first.
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav && typeof nav === 'object') {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    restoreNavigator = () => delete (nav as { gpu?: unknown }).gpu;
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
    restoreNavigator = () => {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    };
  }
  tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('IS_TEST', true);
  expect(await tf.setBackend('webgpu'), 'tfjs webgpu backend initialises on Dawn').toBe(true);
  await tf.ready();
});

afterAll(() => {
  restoreNavigator();
});

describe('TF.js model on the webgpu backend (Dawn) matches the CPU reference', () => {
  for (const model of tfjsPeerModels()) {
    it(`${model.architecture.name}: batch 1 and 7`, async () => {
      const runner = await buildTfjsModel(tf, model);
      try {
        expect(runner.backend).toBe('webgpu');
        for (const batch of [1, 7]) {
          const x = testInput(model, batch, 300 + batch);
          expectLogitsClose(await runner.predict(x, batch), modelForward(model, x, batch), batch, `${model.architecture.name} batch ${batch}`);
        }
      } finally {
        runner.dispose();
      }
    });
  }
});
