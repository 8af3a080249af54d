/**
 * The one step type every planner lowers to (plan.ts for float models,
 * plan-i8.ts for integer-only ones) and the one plan shape the executor runs.
 * A step names its kernel (resolved here to its descriptor), carries its
 * params without the batch, the tensors it reads and writes, and its host
 * data by the binding name it binds to; the executor needs nothing else, so
 * it never asks which precision a plan is.
 */
import type { AnyKernel } from './kernels/types.ts';
import { variantLabel } from './kernels/types.ts';
import { KERNELS } from './registry.ts';
import { I8_KERNELS } from './registry-i8.ts';

/** A typed array the executor uploads as-is into a read-only storage buffer. */
export type HostData = Float32Array | Uint32Array | Int32Array;

/** Kernel params with the batch left to be filled per run. */
export type Unbatched<P> = Omit<P, 'batch'>;

/** One kernel launch. `params` lacks the batch; the executor adds it per run. */
export interface Step<Name extends string = string> {
  /** Registry name of the kernel (stepKernel gives its descriptor). */
  kernel: Name;
  params: object;
  /** The model layers this step computes (fusion makes it several; 'quantize' / 'dequantize' for int8 boundaries). */
  layers: string[];
  /** Tensor ids: 0 is the model input. */
  input: number;
  output: number;
  /** Host data for the 'weight' and 'bias' bindings, already in the kernel's layout. */
  weight?: HostData;
  bias?: HostData;
  /**
   * Host data for any other bindings, by the kernel's binding name (row
   * pointers, column indices, codebooks…): the executor uploads each once and
   * binds it by name, so a new kernel needs no executor change.
   */
  data?: Record<string, HostData>;
  /** MACs per image, for reporting (for a sparse step, the nonzeros). */
  macs: number;
  /**
   * Another step computing the same layers from the same input into the same
   * output (the sparse kernel for a pruned dense layer): the executor times
   * both on the device and runs the faster one.
   */
  alternative?: Step<Name>;
}

/** How a named readback other than 'logits', 'argmax' and 'none' reads a tensor (int8 'codes'). */
export interface ReadbackSpec {
  tensor: number;
  /** The copied bytes of `batch` images → the result. */
  decode(data: ArrayBuffer, batch: number): Float32Array | Int8Array;
}

/** What the executor runs: the steps and every tensor's size, for any precision. */
export interface ExecPlan {
  steps: readonly Step[];
  /** 4-byte elements per image of each tensor, by id (0 = the float input). */
  tensorSizes: number[];
  /** Tensor 'logits' reads and argmax ranks. */
  output: number;
  /** Floats per image of the input. */
  inputSize: number;
  /** Tensor holding each layer's output, for layer readbacks (absent: none). */
  layerTensor?: ReadonlyMap<string, number>;
  /** Further named readbacks, each with its own staging buffer. */
  readbacks?: Readonly<Record<string, ReadbackSpec>>;
}

const ALL_KERNELS: Record<string, AnyKernel> = { ...KERNELS, ...I8_KERNELS };

/** The descriptor of a step's kernel. */
export function stepKernel(name: string): AnyKernel {
  const k = ALL_KERNELS[name];
  if (!k) throw new Error(`gpu plan: no kernel named '${name}'`);
  return k;
}

/** The code constants a step compiles with (the batch never changes them). */
export function stepConstants(s: Pick<Step, 'kernel' | 'params'>): Record<string, number> {
  return stepKernel(s.kernel).constants({ ...s.params, batch: 1 });
}

/** How timings name a step: its kernel and the variant its constants select (variantLabel), e.g. 'conv2d:codebook'. */
export function stepLabel(s: Pick<Step, 'kernel' | 'params'>): string {
  return variantLabel(stepKernel(s.kernel), stepConstants(s));
}

/** The variant alone (KernelDescriptor.variant: 'outer-f32', 'unpack4xI8'…), undefined for a kernel without variants. */
export function stepVariant(s: Pick<Step, 'kernel' | 'params'>): string | undefined {
  return stepKernel(s.kernel).variant?.(stepConstants(s));
}

/** A step's host data by binding name. */
export function hostBindings(s: Step): Record<string, HostData> {
  const out: Record<string, HostData> = {};
  for (const [binding, data] of Object.entries({ weight: s.weight, bias: s.bias, ...s.data })) if (data) out[binding] = data;
  return out;
}
