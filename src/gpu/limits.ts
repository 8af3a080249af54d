/**
 * What a kernel variant asks of the device's limits, read from its
 * descriptor and its generated WGSL: storage and uniform buffers per shader
 * stage (the bindings its code constants keep), workgroup size (the
 * `@workgroup_size` expression with its overrides and consts evaluated) and
 * workgroup memory (every `var<workgroup>`). Pure: no device, so a test can
 * check every kernel the engine uses against WebGPU's default limits
 * (limits.test.ts), and a planner can ask whether a variant fits a device.
 */
import type { ComputeLimits } from './device.ts';
import { WEBGPU_DEFAULT_LIMITS } from './device.ts';
import type { AnyKernel, DispatchLimits } from './kernels/types.ts';
import { activeBindings, codeValues } from './kernels/types.ts';
import { kernelSource } from './kernels/source.ts';

/** What one kernel variant (kernel + constants) needs from the device. */
export interface KernelLimitUse {
  storageBuffers: number;
  uniformBuffers: number;
  workgroupSize: [number, number, number];
  /** x·y·z. */
  invocations: number;
  /** Bytes of `var<workgroup>` declarations. */
  workgroupStorageBytes: number;
}

/** Byte size and array stride of a WGSL type (the scalar, vector, atomic and fixed-size array types kernels declare). */
function typeSize(type: string, values: Map<string, number>): { size: number; stride: number } {
  const t = type.replace(/\s+/g, '');
  if (/^(f32|u32|i32|atomic<(u32|i32)>)$/.test(t)) return { size: 4, stride: 4 };
  if (t === 'f16') return { size: 2, stride: 2 };
  const vec = /^vec([234])<(f32|u32|i32|f16)>$/.exec(t) ?? /^vec([234])([fiuh])$/.exec(t);
  if (vec) {
    const n = Number(vec[1]);
    const el = vec[2] === 'f16' || vec[2] === 'h' ? 2 : 4;
    const align = (n === 2 ? 2 : 4) * el;
    return { size: n * el, stride: Math.ceil((n * el) / align) * align };
  }
  const arr = /^array<(.+),([^,<>]+)>$/.exec(t);
  if (arr) {
    const el = typeSize(arr[1], values);
    const n = evaluate(arr[2], values);
    return { size: el.stride * n, stride: el.stride * n };
  }
  throw new Error(`limits: cannot size the WGSL type ${type}`);
}

/** Value of a WGSL integer expression over literals, + − * / % and parentheses, and names in `values`. */
export function evaluate(expr: string, values: Map<string, number>): number {
  const tokens = expr.match(/\d+[uif]?|[A-Za-z_]\w*|[-+*/%()]/g) ?? [];
  if (tokens.join('') !== expr.replace(/\s+/g, '')) throw new Error(`limits: cannot evaluate '${expr}'`);
  let i = 0;
  const atom = (): number => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`limits: '${expr}' ends early`);
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') throw new Error(`limits: unbalanced '${expr}'`);
      return v;
    }
    if (t === '-') return -atom();
    if (/^\d/.test(t)) return parseInt(t, 10);
    const v = values.get(t);
    if (v === undefined) throw new Error(`limits: '${t}' in '${expr}' has no value`);
    return v;
  };
  const product = (): number => {
    let v = atom();
    while (tokens[i] === '*' || tokens[i] === '/' || tokens[i] === '%') {
      const op = tokens[i++];
      const r = atom();
      v = op === '*' ? v * r : op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`limits: cannot evaluate '${expr}'`);
  return v;
}

/**
 * The limits `kernel` with `constants` needs (the constants a plan step's
 * `kernel.constants(params)` gives). Overrides not in `constants` take the
 * default their WGSL declaration gives, as the pipeline does.
 */
export function kernelLimitUse(kernel: AnyKernel, constants: Record<string, number>): KernelLimitUse {
  const bindings = activeBindings(kernel, constants);
  const src = kernelSource(kernel, codeValues(kernel, constants)).replace(/\/\/.*$/gm, '');
  const values = new Map<string, number>();
  // Module-scope overrides and consts, in declaration order (a const may use an earlier name).
  for (const m of src.matchAll(/^(override|const)\s+(\w+)\s*(?::\s*\w+\s*)?(?:=\s*([^;]+))?;/gm)) {
    const [, what, name, init] = m;
    if (what === 'override' && name in constants) values.set(name, constants[name]);
    else if (init !== undefined) {
      try {
        values.set(name, evaluate(init.trim(), values));
      } catch {
        // Not an integer expression (a float const, a function call): no workgroup size or array length uses it.
      }
    }
  }
  const wg = /@workgroup_size\(([^)]*)\)/.exec(src);
  if (!wg) throw new Error(`limits: kernel ${kernel.name} declares no @workgroup_size`);
  const dims = wg[1]
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => evaluate(d, values));
  const size: [number, number, number] = [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1];
  let shared = 0;
  for (const m of src.matchAll(/var<workgroup>\s+\w+\s*:\s*([^;]+);/g)) shared += typeSize(m[1].trim(), values).size;
  return {
    storageBuffers: bindings.filter((b) => b.kind !== 'uniform').length,
    uniformBuffers: bindings.filter((b) => b.kind === 'uniform').length,
    workgroupSize: size,
    invocations: size[0] * size[1] * size[2],
    workgroupStorageBytes: shared,
  };
}

/**
 * Every limit of `limits` (default: WebGPU's defaults) the variant exceeds, one
 * message each naming the kernel, its variant's constants, the limit, what it
 * needs and what the limit allows; empty when it fits.
 */
export function limitViolations(kernel: AnyKernel, constants: Record<string, number>, limits: ComputeLimits = WEBGPU_DEFAULT_LIMITS): string[] {
  const use = kernelLimitUse(kernel, constants);
  const c = Object.entries(constants)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const out: string[] = [];
  const check = (limit: keyof ComputeLimits, needs: number): void => {
    if (needs > limits[limit]) out.push(`${kernel.name}[${c}]: ${limit} ${limits[limit]} < ${needs}`);
  };
  check('maxStorageBuffersPerShaderStage', use.storageBuffers);
  check('maxUniformBuffersPerShaderStage', use.uniformBuffers);
  check('maxBindingsPerBindGroup', use.storageBuffers + use.uniformBuffers);
  check('maxComputeInvocationsPerWorkgroup', use.invocations);
  check('maxComputeWorkgroupSizeX', use.workgroupSize[0]);
  check('maxComputeWorkgroupSizeY', use.workgroupSize[1]);
  check('maxComputeWorkgroupSizeZ', use.workgroupSize[2]);
  check('maxComputeWorkgroupStorageSize', use.workgroupStorageBytes);
  return out;
}

/** Dispatch-size violations of `kernel` on `params` (each dimension ≤ maxComputeWorkgroupsPerDimension). */
export function dispatchViolations(kernel: AnyKernel, params: object, limits: DispatchLimits = WEBGPU_DEFAULT_LIMITS): string[] {
  const xyz = kernel.dispatch(params, limits);
  return xyz.some((n) => n > limits.maxComputeWorkgroupsPerDimension)
    ? [`${kernel.name}: dispatch ${xyz.join('×')} exceeds maxComputeWorkgroupsPerDimension ${limits.maxComputeWorkgroupsPerDimension}`]
    : [];
}
