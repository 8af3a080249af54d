/**
 * The subset of `onnx.proto` (package `onnx`, proto2) that the exporter
 * writes, as a protobufjs reflection descriptor. Field numbers are the
 * official ones from onnx/onnx `onnx/onnx.proto`; they are what ONNX Runtime
 * reads, names are ours (protobufjs camelCase) and do not reach the wire.
 *
 * Hand-written rather than generated from the .proto so the browser bundle
 * needs only `protobufjs/light` (no .proto parser, no fetch of a schema file).
 * Fields the lab never writes (sparse tensors, training info, functions…)
 * are left out; a decoder skips unknown fields, so files written by other
 * tools still parse for what we read.
 */
import protobuf from 'protobufjs/light.js';

/** proto2 semantics: explicit presence, and repeated scalars unpacked unless the .proto says `[packed = true]`. */
const P2 = 'proto2';
const unpacked = { packed: false };
const packed = { packed: true };

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          edition: P2,
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7, options: unpacked },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: unpacked },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
          },
          nested: {
            AttributeType: {
              edition: P2,
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                SPARSE_TENSOR: 11,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
                SPARSE_TENSORS: 12,
              },
            },
          },
        },
        ValueInfoProto: {
          edition: P2,
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          edition: P2,
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
          },
        },
        ModelProto: {
          edition: P2,
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        StringStringEntryProto: {
          edition: P2,
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          edition: P2,
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          edition: P2,
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: unpacked },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: packed },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: packed },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: packed },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: packed },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: packed },
          },
        },
        TensorShapeProto: {
          edition: P2,
          fields: {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
          nested: {
            Dimension: {
              edition: P2,
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          edition: P2,
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              edition: P2,
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          edition: P2,
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
};

/** `TensorProto.DataType` values the lab uses. */
export const ONNX_DTYPE = { FLOAT: 1, INT64: 7 } as const;

/** `AttributeProto.AttributeType` values the lab uses. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | undefined;

/** The `onnx.ModelProto` message type (built once, on first use). */
export function modelProtoType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(descriptor);
  return root.lookupType('onnx.ModelProto');
}

/** Plain-object view of a decoded ONNX model (int64 fields as numbers, bytes as Uint8Array). */
export interface DecodedOnnx {
  irVersion: number;
  producerName?: string;
  opsetImport: { domain?: string; version: number }[];
  graph: {
    name?: string;
    node: { input: string[]; output: string[]; name?: string; opType: string; domain?: string; attribute: DecodedAttribute[] }[];
    initializer: { name: string; dims: number[]; dataType: number; rawData?: Uint8Array }[];
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
  };
}

export interface DecodedAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats: number[];
  ints: number[];
}

export interface DecodedValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } };
}

/**
 * Decodes ONNX bytes with the same schema the exporter writes with: lets tests
 * (and a curious user) check what a file holds without another toolchain.
 */
export function decodeOnnx(bytes: Uint8Array): DecodedOnnx {
  const type = modelProtoType();
  const msg = type.decode(bytes);
  // longs: Number — every int64 the lab writes is far below 2^53. arrays: absent repeated fields read as [].
  // Bytes stay binary (a Uint8Array; a Buffer, its subclass, in Node): mind byteOffset when viewing them.
  return type.toObject(msg, { longs: Number, arrays: true, defaults: false }) as DecodedOnnx;
}
