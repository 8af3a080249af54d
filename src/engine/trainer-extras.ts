/**
 * The parts of a FineTuneRequest that the GPU trainer executes itself since
 * it learned them: the optimizer choice, shared values (k-means codebooks and
 * hashed buckets trained through their summed gradients, Deep Compression
 * eq. 3 / HashedNets) and ternary/binary fake quantization (TWN/BWN QAT with
 * the straight-through estimator). Spread over the base options of a GPU
 * fine-tuner (`{ ...trainOptionsFor(req), ...trainerExtrasFor(req) }`); what
 * is left (asymmetric grids, mixed QAT modes, shared biases) is still
 * projected after training by projectOntoRequest.
 */
import type { TrainOptions } from '../gpu/trainer.ts';
import type { TensorEncoding } from '../model/model.ts';
import type { FineTuneRequest } from '../compress/pipeline.ts';

const base = (e: TensorEncoding): TensorEncoding => (e.kind === 'huffman' || e.kind === 'sparse' ? e.of : e);

/** Trainer options for what the request asks beyond masks, distillation and symmetric linear QAT. */
export function trainerExtrasFor(req: FineTuneRequest): Pick<TrainOptions, 'optimizer' | 'shared' | 'fakeQuant'> {
  const out: Pick<TrainOptions, 'optimizer' | 'shared' | 'fakeQuant'> = {};
  if (req.optimizer) out.optimizer = req.optimizer;
  const shared: NonNullable<TrainOptions['shared']> = {};
  for (const [name, c] of Object.entries(req.centroids ?? {})) {
    if (!name.endsWith('.weight')) continue;
    shared[name] = { assignments: c.assignments, k: c.k, ...(c.group ? { group: c.group } : {}) };
  }
  if (Object.keys(shared).length) out.shared = shared;
  const qat = Object.entries(req.qat ?? {}).filter(([n]) => n.endsWith('.weight'));
  const kinds = new Set(qat.map(([, e]) => base(e).kind));
  const axes = new Set(
    qat.map(([, e]) => {
      const b = base(e);
      return b.kind === 'ternary' || b.kind === 'binary' ? b.axis : null;
    }),
  );
  if (qat.length && kinds.size === 1 && axes.size === 1) {
    const kind = [...kinds][0];
    if (kind === 'ternary' || kind === 'binary') {
      out.fakeQuant = { mode: kind, bits: 2, perChannel: [...axes][0] !== null, layers: qat.map(([n]) => n.replace(/\.weight$/, '')) };
    }
  }
  return out;
}
