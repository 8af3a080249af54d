/** What the GPU commands (train, eval) share: the --backend option and the dataset option. */
import type { Gpu } from '../../gpu/device.ts';
import { acquireGpu } from '../../gpu/device.ts';
import type { DatasetName } from '../../data/dataset.ts';
import { isDatasetName } from '../../data/dataset.ts';
import { UsageError } from '../common.ts';

/** `--backend vulkan` (default: Dawn on SwiftShader or a real Vulkan driver) or `opengl` (Dawn's GL backend, e.g. Mesa llvmpipe). */
export async function acquireBackend(value: string | boolean | undefined): Promise<Gpu> {
  const backend = value === undefined ? 'vulkan' : String(value);
  if (backend === 'vulkan') return acquireGpu();
  // llvmpipe through OpenGL ES is 3–7× faster than SwiftShader for long runs; it needs the compatibility feature level.
  if (backend === 'opengl') return acquireGpu({ nodeFlags: ['backend=opengl'], featureLevel: 'compatibility', timestamps: false });
  throw new UsageError(`--backend must be vulkan or opengl, got '${backend}'`);
}

/** `--dataset` when given (the model's recorded dataset is the default: engine/models.ts `datasetFor`). */
export function datasetFlag(value: string | boolean | undefined): DatasetName | undefined {
  return value === undefined ? undefined : datasetOption(value);
}

/** `--dataset`, default mnist (training from scratch, where no model records one). */
export function datasetOption(value: string | boolean | undefined): DatasetName {
  const name = value === undefined ? 'mnist' : String(value);
  if (!isDatasetName(name)) throw new UsageError(`--dataset must be mnist or fashion-mnist, got '${name}'`);
  return name;
}

/** A positive integer option, or `fallback` when absent. */
export function intOption(values: Record<string, unknown>, key: string, fallback: number | undefined, min = 1): number | undefined {
  const v = values[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer ≥ ${min}, got '${String(v)}'`);
  return n;
}
