/**
 * Tests only: writes small ONNX models with the shared schema, so refusal
 * tests can state each case in a few lines. Attributes are typed by helper.
 */
import { modelProtoType, ONNX_ATTR, ONNX_DTYPE } from './schema.ts';

type Attr = { name: string; type: number; i?: number; f?: number; s?: Uint8Array; ints?: number[]; floats?: number[] };

export const int = (name: string, v: number): Attr => ({ name, type: ONNX_ATTR.INT, i: v });
export const ints = (name: string, v: number[]): Attr => ({ name, type: ONNX_ATTR.INTS, ints: v });
export const float = (name: string, v: number): Attr => ({ name, type: ONNX_ATTR.FLOAT, f: v });
export const str = (name: string, v: string): Attr => ({ name, type: ONNX_ATTR.STRING, s: new TextEncoder().encode(v) });

export interface TestNode {
  op: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
  domain?: string;
}

export interface TestTensor {
  name: string;
  dims: number[];
  values?: number[];
  int64?: boolean;
  external?: string;
}

/** A deterministic tensor of `dims` (values in [-0.5, 0.5)). */
export function tensor(name: string, dims: number[], seed = 1): TestTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims, values: Array.from({ length: n }, (_, i) => (((i + 1) * 7919 * seed) % 1000) / 1000 - 0.5) };
}

export interface TestGraph {
  nodes: TestNode[];
  inits?: TestTensor[];
  /** Input dims; a string is a symbolic dim. Default ['N', 1, 28, 28]. */
  input?: (number | string)[];
  inputName?: string;
  outputs?: string[];
  opset?: number;
}

/** ONNX bytes of the graph (input 'x' unless named, output = the last node's first output unless given). */
export function buildOnnx(g: TestGraph): Uint8Array {
  const dims = (g.input ?? ['N', 1, 28, 28]).map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  const valueInfo = (name: string, d: object[]) => ({ name, type: { tensorType: { elemType: ONNX_DTYPE.FLOAT, shape: { dim: d } } } });
  const outputs = g.outputs ?? [g.nodes[g.nodes.length - 1].outputs[0]];
  const obj = {
    irVersion: 8,
    producerName: 'test-builder',
    producerVersion: '0',
    opsetImport: [{ domain: '', version: g.opset ?? 13 }],
    graph: {
      name: 'test',
      node: g.nodes.map((n, i) => ({
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attrs ?? [],
        domain: n.domain,
      })),
      initializer: (g.inits ?? []).map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: t.int64 ? ONNX_DTYPE.INT64 : ONNX_DTYPE.FLOAT,
        ...(t.external
          ? {
              dataLocation: 1,
              externalData: [
                { key: 'location', value: t.external },
                { key: 'offset', value: '0' },
              ],
            }
          : t.int64
            ? { int64Data: t.values }
            : { floatData: t.values }),
      })),
      input: [valueInfo(g.inputName ?? 'x', dims)],
      // Outputs without a shape (unknown rank), so runtimes infer it instead of checking a declared one.
      output: outputs.map((o) => ({ name: o, type: { tensorType: { elemType: ONNX_DTYPE.FLOAT } } })),
    },
  };
  const type = modelProtoType();
  return type.encode(type.fromObject(obj)).finish();
}
