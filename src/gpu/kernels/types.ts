/**
 * The shape of a GPU kernel descriptor: plain data plus pure functions from a
 * kernel's shape to uniforms, pipeline constants and dispatch size. The
 * executor needs nothing else to run a kernel, so adding a kernel (an int8
 * one, say) is adding a descriptor to the registry.
 */

import type { Precision } from '../../model/precision.ts';

/** Number precision a kernel computes in; the int8 path adds its kernels under 'int8'. */
export type { Precision };

/** How a binding is declared in the WGSL (group 0, binding = index in `bindings`). */
export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

/** Values of a kernel's code constants (see `KernelDescriptor.codeConstants`). */
export type CodeValues = Record<string, number>;

export interface BindingSpec {
  /** Role, used by the executor to wire buffers and in labels: 'params', 'input', 'weight', 'bias', 'output'… */
  name: string;
  kind: BindingKind;
  /**
   * WGSL variable name of a storage binding (the uniform binding is always
   * `p: Params`); the source builder declares it `array<type>`. A function
   * when a code constant picks it (a vec4 view named apart from the scalar one).
   */
  wgsl?: string | ((code: CodeValues) => string);
  /** Element type of the WGSL array; a function when a code constant picks it (vec4 or scalar loads). */
  type?: string | ((code: CodeValues) => string);
  /** Present only in the code variants where this holds (a codebook's index buffer, say); binding numbers count present bindings only. */
  when?: (code: CodeValues) => boolean;
}

/** A WGSL scalar type of a `Params` field. */
export type UniformType = 'u32' | 'i32' | 'f32';

/** Limits a dispatch computation needs. */
export interface DispatchLimits {
  maxComputeWorkgroupsPerDimension: number;
}

/**
 * A GPU kernel. `S` is its shape record (all numbers, the batch included):
 * shapes go into the uniform buffer, so one pipeline serves every batch size;
 * only `constants(S)` (WGSL `override`s: tile sizes, fused epilogues, vec4
 * paths) changes code, and it is the pipeline cache key.
 */
export interface KernelDescriptor<S> {
  /** Same name as shaders/<name>.wgsl and src/gpu/kernels/<name>.ts. */
  name: string;
  precision: Precision;
  /**
   * The kernel's WGSL body (shaders/<name>.wgsl): everything but the `Params`
   * struct and the binding declarations, which `kernelSource` generates from
   * `uniforms` and `bindings`; entry point `main`, or `body` with `flat`.
   */
  shader: string;
  /** Library helpers (shaders/lib/<name>.wgsl) the body calls; a function when a code constant picks them. */
  lib?: readonly string[] | ((code: CodeValues) => readonly string[]);
  /**
   * Opt-in generated entry point of a 1-D (`fold1d`) kernel: `main` declares
   * `override WG`, computes the flat thread index, returns when it is not
   * below `count` (a WGSL expression) and else calls the body's
   * `fn body(i: u32)`.
   */
  flat?: { count: string };
  bindings: readonly BindingSpec[];
  /** Field names of the `Params` uniform struct, in order; u32 unless listed in `floatUniforms`. */
  uniforms: readonly string[];
  /** Names of `uniforms` that are f32. */
  floatUniforms?: readonly string[];
  /** Names of `uniforms` that are i32. */
  intUniforms?: readonly string[];
  /** Values for `uniforms`, in the same order. */
  uniformValues(s: S): number[];
  /** Pipeline-overridable constants; values must be numbers (booleans as 0/1). */
  constants(s: S): Record<string, number>;
  /** Workgroup counts. */
  dispatch(s: S, limits: DispatchLimits): [number, number, number];
  /**
   * Names among `constants(s)` that are baked into generated code rather than
   * passed as WGSL `override`s (register-block sizes, load path). Why: an
   * unrolled body written once with branches on overrides compiles every
   * branch — 60–80 s per pipeline on SwiftShader's JIT — while a body
   * generated for one block size compiles only what it runs. They stay in
   * `constants` so the pipeline cache key (and every caller) is unchanged.
   */
  codeConstants?: readonly string[];
  /**
   * Template flags derived from the code constants (e.g. CODEBOOK from
   * WEIGHTS), for `//#if` lines; the code constants themselves are always
   * template values.
   */
  templateFlags?(code: CodeValues): CodeValues;
  /**
   * The variant the constants select, as timings and logs name it (e.g.
   * 'codebook', 'dot4I8Packed'); undefined for the kernel's plain form. See
   * `variantLabel`.
   */
  variant?(constants: Record<string, number>): string | undefined;
}

/** The type of uniform field `name` of `kernel` (u32 unless listed as f32 or i32). */
export function uniformType(kernel: AnyKernel, name: string): UniformType {
  if (kernel.floatUniforms?.includes(name)) return 'f32';
  if (kernel.intUniforms?.includes(name)) return 'i32';
  return 'u32';
}

/** How timings and logs name `kernel` run with `constants`: `name`, or `name:variant` (KernelDescriptor.variant). */
export function variantLabel(kernel: AnyKernel, constants: Record<string, number>): string {
  const v = kernel.variant?.(constants);
  return v ? `${kernel.name}:${v}` : kernel.name;
}

/** The code-constant part of `constants` (what selects the generated module). */
export function codeValues(kernel: AnyKernel, constants: Record<string, number>): CodeValues {
  const code: CodeValues = {};
  for (const k of kernel.codeConstants ?? []) if (k in constants) code[k] = constants[k];
  return code;
}

/** The bindings present in the variant `constants` selects, in binding-number order. */
export function activeBindings(kernel: AnyKernel, constants: Record<string, number> = {}): readonly BindingSpec[] {
  if (!kernel.bindings.some((b) => b.when)) return kernel.bindings;
  const code = codeValues(kernel, constants);
  return kernel.bindings.filter((b) => !b.when || b.when(code));
}

/** Any descriptor, for the registry's `satisfies` check. Method parameters are bivariant, so any S fits. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKernel = KernelDescriptor<any>;

/**
 * Split a 1-D workgroup count into x·z so that neither exceeds the
 * per-dimension limit; shaders linearise with `wid.x + wid.z * nwg.x` and
 * return early past the end.
 */
export function fold1d(count: number, limits: DispatchLimits, y = 1): [number, number, number] {
  const max = limits.maxComputeWorkgroupsPerDimension;
  const c = Math.max(1, count);
  if (c <= max) return [c, y, 1];
  const z = Math.ceil(c / max);
  return [Math.ceil(c / z), y, z];
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
export const roundUp = (a: number, b: number): number => Math.ceil(a / b) * b;

/** The uniform struct's bytes for `values` (u32 fields, f32 where the kernel says so). */
export function encodeUniforms(kernel: AnyKernel, values: number[]): ArrayBuffer {
  if (values.length !== kernel.uniforms.length) {
    throw new Error(`kernel ${kernel.name}: ${values.length} uniform values for ${kernel.uniforms.length} fields`);
  }
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16));
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  kernel.uniforms.forEach((name, i) => {
    if (kernel.floatUniforms?.includes(name)) f[i] = values[i];
    else u[i] = values[i];
  });
  return buf;
}

/**
 * Expand a kernel template (see shaders/conv2d.wgsl, shaders/matmul.wgsl):
 * `//#if NAME` / `//#else` / `//#endif` keep lines by a non-zero `values[NAME]`;
 * `$NAME` (upper case) is replaced by its value; a line containing `$r`, `$j`
 * or `$q` is repeated for r < values.TM, j < values.TN4, q < 4 (nested in
 * that order) with the index substituted. Only that — no expressions — so the
 * template stays readable as WGSL.
 */
export function expandTemplate(template: string, values: Record<string, number>): string {
  const out: string[] = [];
  const keep: boolean[] = [];
  const live = (): boolean => keep.every(Boolean);
  const ranges: [string, number][] = [
    ['$r', values.TM ?? 1],
    ['$j', values.TN4 ?? 1],
    ['$q', 4],
  ];
  for (const line of template.split('\n')) {
    const t = line.trim();
    const m = /^\/\/#if (\w+)$/.exec(t);
    if (m) {
      if (!(m[1] in values)) throw new Error(`expandTemplate: no value for //#if ${m[1]}`);
      keep.push(values[m[1]] !== 0);
      continue;
    }
    if (t === '//#else') {
      if (!keep.length) throw new Error('expandTemplate: //#else without //#if');
      keep.push(!keep.pop());
      continue;
    }
    if (t === '//#endif') {
      if (!keep.length) throw new Error('expandTemplate: //#endif without //#if');
      keep.pop();
      continue;
    }
    if (!live()) continue;
    let lines = [
      line.replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => {
        if (!(name in values)) throw new Error(`expandTemplate: no value for $${name}`);
        return String(values[name]);
      }),
    ];
    for (const [tok, n] of ranges) {
      if (!lines[0].includes(tok)) continue;
      const next: string[] = [];
      for (const l of lines) for (let i = 0; i < n; i++) next.push(l.split(tok).join(String(i)));
      lines = next;
    }
    out.push(...lines);
  }
  if (keep.length) throw new Error('expandTemplate: unterminated //#if');
  return out.join('\n');
}
