/**
 * The one WGSL source builder: a kernel's final shader is its descriptor's
 * generated declarations (the `Params` struct from `uniforms`, one
 * `@group(0) @binding(i)` per present binding, the flat entry point when
 * `flat` asks for it), the library helpers it names (shaders/lib/), and its
 * body (shaders/<name>.wgsl). Code constants expand the result as one
 * template, so a body and its helpers may both hold `//#if` lines.
 */
import { LIBRARY, type LibName } from './library.ts';
import type { AnyKernel, CodeValues } from './types.ts';
import { activeBindings, expandTemplate, uniformType } from './types.ts';

const ACCESS = { 'read-only-storage': 'read', storage: 'read_write' } as const;

/** `struct Params` and the binding declarations of `kernel` in the variant `code`. */
export function declarations(kernel: AnyKernel, code: CodeValues): string {
  const fields = kernel.uniforms.map((u) => `  ${u}: ${uniformType(kernel, u)},`);
  const lines = fields.length ? ['struct Params {', ...fields, '}', ''] : [];
  activeBindings(kernel, code).forEach((b, i) => {
    if (b.kind === 'uniform') {
      lines.push(`@group(0) @binding(${i}) var<uniform> p: Params;`);
      return;
    }
    if (!b.wgsl || !b.type) throw new Error(`kernel ${kernel.name}: binding '${b.name}' has no WGSL name and type`);
    const type = typeof b.type === 'function' ? b.type(code) : b.type;
    const name = typeof b.wgsl === 'function' ? b.wgsl(code) : b.wgsl;
    lines.push(`@group(0) @binding(${i}) var<storage, ${ACCESS[b.kind]}> ${name}: array<${type}>;`);
  });
  return lines.join('\n');
}

/** The generated `main` of a 1-D kernel (see `KernelDescriptor.flat`); the flat index is lib/flat-index.wgsl's. */
function flatEntry(count: string): string {
  return [
    'override WG: u32 = 64u;',
    '',
    '@compute @workgroup_size(WG)',
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {',
    '  let i = flatIndex(wid, nwg, lid, WG);',
    `  if (i >= ${count}) {`,
    '    return;',
    '  }',
    '  body(i);',
    '}',
  ].join('\n');
}

/** Library helpers of `kernel` in the variant `code`, in order, once each. */
export function libraryOf(kernel: AnyKernel, code: CodeValues): LibName[] {
  const names = [...(typeof kernel.lib === 'function' ? kernel.lib(code) : (kernel.lib ?? []))];
  if (kernel.flat) names.unshift('flat-index');
  for (const n of names) if (!(n in LIBRARY)) throw new Error(`kernel ${kernel.name}: no library helper shaders/lib/${n}.wgsl`);
  return [...new Set(names)] as LibName[];
}

/**
 * The final WGSL of `kernel` for the code constants `code` (only those in
 * `codeConstants` are read). `requires` directives of helpers are hoisted to
 * the top, as WGSL wants them before any declaration.
 */
export function kernelSource(kernel: AnyKernel, code: CodeValues = {}): string {
  const helpers = libraryOf(kernel, code).map((n) => LIBRARY[n]);
  const requires = new Set<string>();
  const strip = (src: string): string =>
    src
      .split('\n')
      .filter((l) => {
        if (!/^requires\s/.test(l)) return true;
        requires.add(l.trim());
        return false;
      })
      .join('\n');
  const parts = [kernel.shader, declarations(kernel, code), ...helpers.map(strip)];
  if (kernel.flat) parts.push(flatEntry(kernel.flat.count));
  const source = [...requires, ...parts].join('\n\n');
  if (!(kernel.codeConstants ?? []).length) return source;
  const values: CodeValues = {};
  for (const k of kernel.codeConstants ?? []) {
    if (!(k in code)) throw new Error(`kernel ${kernel.name}: no value for code constant ${k}`);
    values[k] = code[k];
  }
  return expandTemplate(source, { ...values, ...kernel.templateFlags?.(values) });
}
