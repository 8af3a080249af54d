/**
 * Tensor codecs: how each `TensorEncoding` kind turns a model's float32
 * values into the bytes of a model file (safetensors layout) and back.
 *
 * One codec per encoding kind, in `CODECS`, typed so that adding an encoding
 * kind to `TensorEncoding` without writing its codec is a compile error.
 * The codecs only move bytes; the file format (format.ts) owns the header,
 * and reports codec failures with the file and tensor name.
 *
 * This file is the public entry. The parts, in codecs/: core (dtypes, the
 * codec interface, byte helpers), bits (bit packing and bit streams), dense
 * (fp32, fp16, linear), huffman, symbols (ternary, binary, codebook and
 * Huffman-coded tensors), hashing (HashedNets), sparse, registry (CODECS,
 * encode/decode, fit, byte accounting) and validate (normalizeEncoding).
 */
export type { Codec, Dtype, StoredLayout } from './codecs/core.ts';
export { CodecError, DTYPE_BYTES, isDtype } from './codecs/core.ts';
export { BitReader, BitWriter, indexBitsFor, packBits, packedByteLength, unpackBits } from './codecs/bits.ts';
export { FLOAT32_MAX, MIN_LINEAR_SCALE, dequantizeLinear, linearRange, quantizeLinear, roundHalfEven } from './codecs/dense.ts';
export { MAX_HUFFMAN_LENGTH, canonicalCodes, huffmanDecode, huffmanEncode, huffmanLengths } from './codecs/huffman.ts';
export { alphabetSize, distinctValues } from './codecs/symbols.ts';
export { fmix32, fnv1a32, hashedIndex, murmur3Words } from './codecs/hashing.ts';
export { sparseEntries } from './codecs/sparse.ts';
export { CODECS, decodeTensor, describeEncoding, encodeTensor, encodedByteLength, encodingParts, fitEncoding, storedLayout } from './codecs/registry.ts';
export { MAX_CODEBOOK_K, normalizeEncoding } from './codecs/validate.ts';
