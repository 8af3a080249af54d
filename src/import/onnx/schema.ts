/**
 * The subset of `onnx.proto` (package `onnx`, proto2) that the exporter
 * writes and the importer reads, as a protobufjs reflection descriptor. Field numbers are the
 * official ones from onnx/onnx `onnx/onnx.proto`; they are what ONNX Runtime
 * reads, names are ours (protobufjs camelCase) and do not reach the wire.
 *
 * Hand-written rather than generated from the .proto so the browser bundle
 * needs only `protobufjs/light` (no .proto parser, no fetch of a schema file).
 * Fields the lab neither writes nor reads (sparse tensors, training info,
 * functions…) are left out; a decoder skips unknown fields, so files written
 * by other tools still parse for what we read. The importer needs external
 * data (`data_location`, `external_data`) only to refuse it by name.
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
            segment: { type: 'Segment', id: 3 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: packed },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: packed },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: packed },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: packed },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: packed },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'DataLocation', id: 14 },
          },
          nested: {
            Segment: {
              edition: P2,
              fields: {
                begin: { type: 'int64', id: 1 },
                end: { type: 'int64', id: 2 },
              },
            },
            DataLocation: { edition: P2, values: { DEFAULT: 0, EXTERNAL: 1 } },
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

/** `TensorProto.DataType` values the lab writes or reads. */
export const ONNX_DTYPE = { FLOAT: 1, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

/** `AttributeProto.AttributeType` values the lab uses. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** `TensorProto.DataLocation.EXTERNAL`: the values live in another file. */
export const ONNX_EXTERNAL = 1;

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
  producerVersion?: string;
  opsetImport: { domain?: string; version: number }[];
  graph: {
    name?: string;
    node: DecodedNode[];
    initializer: DecodedTensor[];
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
    valueInfo: DecodedValueInfo[];
  };
}

/** One `NodeProto`. */
export interface DecodedNode {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute: DecodedAttribute[];
}

/** One `TensorProto`: values in exactly one of the data fields, or in `externalData` when `dataLocation` is EXTERNAL. */
export interface DecodedTensor {
  name?: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  segment?: { begin?: number; end?: number };
  dataLocation?: number;
  externalData: { key?: string; value?: string }[];
}

export interface DecodedAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: DecodedTensor;
  floats: number[];
  ints: number[];
}

export interface DecodedValueInfo {
  name: string;
  /** Absent for inputs of old files and for non-tensor values; `tensorType` absent for sequences and maps. */
  type?: { tensorType?: { elemType?: number; shape?: { dim: { dimValue?: number; dimParam?: string }[] } } };
}

/**
 * Decodes ONNX bytes with the same schema the exporter writes with: lets tests
 * (and a curious user) check what a file holds without another toolchain.
 */
export function decodeOnnx(bytes: Uint8Array): DecodedOnnx {
  const type = modelProtoType();
  const msg = type.decode(bytes);
  // longs: Number — every int64 the lab writes is far below 2^53 (the importer checks what it reads). arrays: absent repeated fields read as [].
  // Bytes stay binary (a Uint8Array; a Buffer, its subclass, in Node): mind byteOffset when viewing them.
  return type.toObject(msg, { longs: Number, arrays: true, defaults: false }) as DecodedOnnx;
}

/** The `onnx.TensorProto` message type (for test data sets, which store each input and output as one TensorProto). */
export function tensorProtoType(): protobuf.Type {
  modelProtoType();
  return root!.lookupType('onnx.TensorProto');
}
