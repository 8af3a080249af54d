/**
 * Try it → activations: each layer's output for one image under one or two
 * variants, each computed by its own runtime, and their differences
 * (src/engine/activations.ts does the arithmetic).
 *
 * - fp32 variants on a GPU: the variant's own float executor (the one
 *   predictions use), one run per row reading that layer back; without
 *   WebGPU, the float32 CPU reference.
 * - int8 variants: the CPU integer reference, dequantized. The int8 GPU
 *   executor reads back only its last tensor; the reference is its bit-exact
 *   oracle.
 * With a GPU, each variant's last row is checked against the logits of the
 * prediction path (`check`), so the screen can say the two agree.
 */
import { compareActivations, floatActivations, int8Activations, type VariantActivations } from '../engine/activations.ts';
import { gpuOrNull, int8ModelOf, runnerFor, type LoadedModel } from './session.ts';
import { yieldToEvents, type JobContext } from './jobs.ts';
import type { ActivationComparison, ActivationVariant } from './types.ts';

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** One variant's activations for image `x` (28×28 floats in [0, 1]), with the rows it computed. */
export async function variantActivations(
  loaded: LoadedModel,
  x: Float32Array,
  ctx?: JobContext,
): Promise<{ info: ActivationVariant; acts: VariantActivations }> {
  const { stored } = loaded;
  const gpu = await gpuOrNull();
  const phase = (what: string): void => ctx?.progress({ phase: `${stored.name}: ${what}`, done: 0, total: 0 });
  let acts: VariantActivations;
  if (stored.runtime === 'int8') {
    phase('integer reference');
    acts = int8Activations(await int8ModelOf(loaded), x);
  } else if (gpu) {
    phase(`preparing the GPU executor${gpu.report.software ? ' (slow on a software adapter)' : ''}`);
    const runner = await runnerFor(loaded);
    const layer = runner.layer?.bind(runner);
    acts = layer
      ? await floatActivations(loaded.model, x, {
          read: (name) => layer(x, 1, name),
          computedBy: `GPU float executor, one layer readback per row (${runner.description})`,
          onLayer: async (done, total, name) => {
            if (!ctx) return;
            ctx.progress({ phase: `${stored.name}: reading ${name || 'layers'} back from the GPU`, done, total });
            await yieldToEvents(ctx);
          },
        })
      : await floatActivations(loaded.model, x);
  } else acts = await floatActivations(loaded.model, x);
  ctx?.check();
  const { layers, ...rest } = acts;
  const info: ActivationVariant = { modelId: stored.id, variant: stored.name, runtime: stored.runtime, ...rest };
  if (gpu) {
    // The prediction path's own logits for the same image (the GPU runner predictions use).
    const runner = await runnerFor(loaded);
    const logits = await runner.logits(x, 1);
    const last = layers[layers.length - 1].values;
    let maxAbsDiff = last.length === logits.length ? 0 : Infinity;
    for (let i = 0; i < Math.min(last.length, logits.length); i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(last[i] - logits[i]));
    info.check = { against: runner.description, maxAbsDiff, sameTop: argmax(logits) === acts.top };
  }
  return { info, acts };
}

/** Activations of `a` (and `b`) for image `x`, row by row with B − A where both have the layer. */
export async function activationComparison(a: LoadedModel, b: LoadedModel | undefined, x: Float32Array, ctx?: JobContext): Promise<ActivationComparison> {
  const va = await variantActivations(a, x, ctx);
  const vb = b ? await variantActivations(b, x, ctx) : undefined;
  return { a: va.info, ...(vb ? { b: vb.info } : {}), rows: compareActivations(va.acts, vb?.acts) };
}
