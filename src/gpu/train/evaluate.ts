/** Test-set accuracy of a model on the GPU, outside training. */
import type { Model } from '../../model/model.ts';
import { validateModel } from '../../model/model.ts';
import { sizeOf } from '../../model/shapes.ts';
import type { Gpu } from '../device.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import type { GemmVariant } from '../plan.ts';
import { planModel } from '../plan.ts';
import { buildEval, buildForward, defaultVariant, Graph, runEval, TRAIN_REGISTER_TILING, uploadImages, uploadedWeights } from './graph.ts';
import type { EvalResult, ImageSet } from './options.ts';

/**
 * Accuracy of `model` on `test`, computed on the GPU: the set is uploaded
 * once, batches are gathered, run through the fused inference kernels and
 * scored by count-correct; only `batch` counters are read back.
 */
export async function evaluateModel(
  gpu: Gpu,
  model: Model,
  test: ImageSet,
  options: { batch?: number; limit?: number; variant?: GemmVariant; registerTiling?: GemmTiling; signal?: AbortSignal } = {},
): Promise<EvalResult> {
  validateModel(model);
  const arch = model.architecture;
  if (test.rows * test.cols !== sizeOf(arch.inputShape))
    throw new Error(`evaluate: images are ${test.rows}×${test.cols}, model '${arch.name}' takes [${arch.inputShape.join(', ')}]`);
  const count = Math.min(options.limit ?? test.count, test.count);
  const batch = Math.min(options.batch ?? 250, count);
  const plan = planModel(model, { variant: defaultVariant(gpu, options.variant), fuse: true, registerTiling: options.registerTiling ?? TRAIN_REGISTER_TILING });
  const g = new Graph(gpu.device);
  try {
    const set = uploadImages(g, test, count, 'test');
    const state = g.upload('eval state', new Uint32Array(4));
    const input = g.buffer('batch input', batch * plan.inputSize);
    const labels = g.buffer('batch labels', batch);
    const correct = g.buffer('correct per row', batch);
    const fwd = await buildForward(g, plan, batch, input, 'eval', uploadedWeights(g, 'eval'));
    // Softmax is monotonic: argmax over probabilities = argmax over logits.
    const ev = await buildEval(g, set, batch, fwd, fwd.tensors[plan.output], plan.tensorSizes[plan.output], { state, input, labels, correct });
    return await runEval(gpu.device, ev, 64, options.signal);
  } finally {
    g.destroy();
  }
}
