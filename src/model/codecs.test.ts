import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16 } from './fp16.ts';
import {
  CODECS,
  CodecError,
  decodeTensor,
  describeEncoding,
  encodedByteLength,
  encodeTensor,
  linearRange,
  normalizeEncoding,
  packBits,
  quantizeLinear,
  roundHalfEven,
  storedLayout,
  unpackBits,
} from './codecs.ts';
import type { LinearEncoding, TensorEncoding } from './model.ts';

const lin = (bits: number, signed: boolean, axis: number | null, scale: number[], zeroPoint: number[]): LinearEncoding => ({
  kind: 'linear',
  bits,
  signed,
  axis,
  scale,
  zeroPoint,
});

describe('float32 -> float16 (hand-checked bit patterns)', () => {
  // Each expected pattern worked out from the binary16 layout: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
  const cases: [string, number, number][] = [
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['0.5', 0.5, 0x3800],
    ['0.1 (nearest is 0.0999755859375)', 0.1, 0x2e66],
    ['1/3 (nearest is 0.333251953125)', 1 / 3, 0x3555],
    ['pi (nearest is 3.140625)', Math.PI, 0x4248],
    ['max finite 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 is the tie with 2^16: to even, i.e. Infinity', 65520, 0x7c00],
    ['1e6 overflows to Infinity', 1e6, 0x7c00],
    ['-1e6 overflows to -Infinity', -1e6, 0xfc00],
    ['Infinity', Infinity, 0x7c00],
    ['-Infinity', -Infinity, 0xfc00],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['largest subnormal 1023 * 2^-24', 1023 * 2 ** -24, 0x03ff],
    ['tie between largest subnormal (odd) and smallest normal: up', 2047 * 2 ** -25, 0x0400],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25 is the tie between 0 and 2^-24: to even, 0', 2 ** -25, 0x0000],
    ['just above 2^-25 rounds up to 2^-24', 2 ** -25 * (1 + 2 ** -23), 0x0001],
    ['3 * 2^-25: tie between 1 and 2 (units of 2^-24): to even, 2', 3 * 2 ** -25, 0x0002],
    ['below 2^-25 underflows to 0', 2 ** -26, 0x0000],
    ['-2^-24', -(2 ** -24), 0x8001],
    ['1 + 2^-11: tie, to even 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11: tie, to even 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-23: above the tie, up', 1 + 2 ** -11 + 2 ** -23, 0x3c01],
    ['2047.5: tie, carries into the exponent: 2048', 2047.5, 0x6800],
  ];
  for (const [label, value, bits] of cases) {
    it(label, () => {
      expect(float32ToFloat16Bits(value).toString(16)).toBe(bits.toString(16));
    });
  }

  it('NaN stays a NaN (exponent all ones, mantissa non-zero)', () => {
    const h = float32ToFloat16Bits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(float16BitsToFloat32(h)).toBeNaN();
  });
});

describe('float16 -> float32', () => {
  it('decodes hand-checked patterns', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(5.960464477539063e-8);
    expect(float16BitsToFloat32(0x03ff)).toBe(6.097555160522461e-5);
    expect(float16BitsToFloat32(0x0400)).toBe(6.103515625e-5);
    expect(float16BitsToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16BitsToFloat32(0x2e66)).toBe(0.0999755859375);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0xfc01)).toBeNaN();
  });

  it('every non-NaN pattern survives decode -> encode exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN && float32ToFloat16Bits(float16BitsToFloat32(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('encoding picks the nearest value, ties to the even pattern (property)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        const h = float32ToFloat16Bits(x);
        const v = float16BitsToFloat32(h);
        if (!Number.isFinite(v)) return Math.abs(x) >= 65520;
        // Neighbours in magnitude: the patterns one below and one above.
        const mag = h & 0x7fff;
        const sign = h & 0x8000;
        for (const m of [mag - 1, mag + 1]) {
          if (m < 0 || m > 0x7bff) continue;
          const w = float16BitsToFloat32(sign | m);
          const dv = Math.abs(x - v);
          const dw = Math.abs(x - w);
          if (dw < dv) return false;
          if (dw === dv && (h & 1) === 1) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('roundToFloat16 is idempotent', () => {
    for (const x of [0.1, 1 / 3, 1234.567, -7e-6]) expect(roundToFloat16(roundToFloat16(x))).toBe(roundToFloat16(x));
  });
});

describe('bit packing (little-endian bit order)', () => {
  it('packs 3-bit values [1, 2, 3, 4, 5] into 0xd1 0x58 (hand-checked)', () => {
    // 1 | 2<<3 | 3<<6 | 4<<9 | 5<<12 = 0x58d1, low byte first.
    expect([...packBits(Int32Array.from([1, 2, 3, 4, 5]), 3)]).toEqual([0xd1, 0x58]);
    expect([...unpackBits(Uint8Array.from([0xd1, 0x58]), 5, 3, false)]).toEqual([1, 2, 3, 4, 5]);
  });

  it("packs signed 2-bit [-1, 0, 1, -2] as two's complement 3,0,1,2 = 0x93", () => {
    expect([...packBits(Int32Array.from([-1, 0, 1, -2]), 2)]).toEqual([0x93]);
    expect([...unpackBits(Uint8Array.from([0x93]), 4, 2, true)]).toEqual([-1, 0, 1, -2]);
  });

  it('packs 11-bit [1, 2047] into 01 f8 3f', () => {
    expect([...packBits(Int32Array.from([1, 2047]), 11)]).toEqual([0x01, 0xf8, 0x3f]);
    expect([...unpackBits(Uint8Array.from([0x01, 0xf8, 0x3f]), 2, 11, true)]).toEqual([1, -1]);
  });

  it('round-trips any bit width and sign (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 60 }),
        (bits, signed, us) => {
          const { qmin, qmax } = linearRange(bits, signed);
          const q = Int32Array.from(us, (u) => qmin + Math.floor(u * (qmax - qmin + 1)));
          const bytes = packBits(q, bits);
          expect(bytes.length).toBe(Math.ceil((q.length * bits) / 8));
          expect([...unpackBits(bytes, q.length, bits, signed)]).toEqual([...q]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses non-zero padding bits and wrong lengths', () => {
    expect(() => unpackBits(Uint8Array.from([0xd1, 0xd8]), 5, 3, false)).toThrow(/non-zero padding bits/);
    expect(() => unpackBits(Uint8Array.from([0xd1]), 5, 3, false)).toThrow(CodecError);
  });
});

describe('linear quantization', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it('uses one scale per index along the axis', () => {
    const v = Float32Array.from([1, 2, 4, 3, 6, 12]);
    expect([...quantizeLinear(v, [2, 3], lin(8, true, 1, [1, 2, 4], [0, 0, 0]))]).toEqual([1, 1, 1, 3, 3, 3]);
    expect([...quantizeLinear(v, [2, 3], lin(8, true, 0, [1, 10], [0, 0]))]).toEqual([1, 2, 4, 0, 1, 1]);
    // zero point shifts q; clamping to the integer range
    expect([...quantizeLinear(Float32Array.from([0, 1000, -1000]), [3], lin(8, true, null, [1], [5]))]).toEqual([5, 127, -128]);
    expect([...quantizeLinear(Float32Array.from([-1, 0, 0.3, 1000]), [4], lin(4, false, null, [0.25], [4]))]).toEqual([0, 4, 5, 15]);
  });

  it('decodes scale * (q - zeroPoint) through every storage path', () => {
    const shape = [2, 3];
    const values = Float32Array.from([-1, -0.5, 0, 0.5, 1, 1.5]);
    for (const bits of [2, 3, 5, 8, 11, 15, 16]) {
      for (const signed of [true, false]) {
        const { qmin, qmax } = linearRange(bits, signed);
        const zp = signed ? 0 : Math.min(qmax, 2 ** (bits - 1));
        const enc = lin(bits, signed, null, [1.5 / Math.max(1, Math.min(qmax - zp, zp - qmin, 4))], [zp]);
        const bytes = encodeTensor(values, shape, enc);
        expect(bytes.length).toBe(encodedByteLength(shape, enc));
        const back = decodeTensor(bytes, shape, enc);
        const q = quantizeLinear(values, shape, enc);
        for (let i = 0; i < values.length; i++) expect(back[i]).toBe(Math.fround(enc.scale[0] * (q[i] - zp)));
      }
    }
  });
});

describe('layouts and byte lengths', () => {
  const shape = [300, 784];
  const n = 300 * 784;
  it.each<[string, TensorEncoding, string, number[], number]>([
    ['fp32', { kind: 'fp32' }, 'F32', shape, n * 4],
    ['fp16', { kind: 'fp16' }, 'F16', shape, n * 2],
    ['int8', lin(8, true, null, [1], [0]), 'I8', shape, n],
    ['uint8', lin(8, false, null, [1], [0]), 'U8', shape, n],
    ['int16', lin(16, true, null, [1], [0]), 'I16', shape, n * 2],
    ['uint16', lin(16, false, null, [1], [0]), 'U16', shape, n * 2],
    ['int11 packed', lin(11, true, null, [1], [0]), 'U8', [323400], 323400],
    ['uint2 packed', lin(2, false, null, [1], [0]), 'U8', [58800], 58800],
  ])('%s', (_label, enc, dtype, stored, bytes) => {
    expect(storedLayout(shape, enc)).toEqual({ dtype, shape: stored });
    expect(encodedByteLength(shape, enc)).toBe(bytes);
  });

  it('rounds packed lengths up to whole bytes', () => {
    expect(encodedByteLength([5], lin(3, false, null, [1], [0]))).toBe(2);
    expect(encodedByteLength([10], lin(3, false, null, [1], [0]))).toBe(4);
  });

  it('has a codec for every encoding kind', () => {
    expect(Object.keys(CODECS).sort()).toEqual(['binary', 'codebook', 'fp16', 'fp32', 'hashed', 'huffman', 'linear', 'sparse', 'ternary']);
  });

  it('describes encodings', () => {
    expect(describeEncoding({ kind: 'fp16' })).toBe('fp16');
    expect(describeEncoding(lin(11, true, 0, [1, 1], [0, 0]))).toBe('int11 per-channel (axis 0, 2 scales)');
    expect(describeEncoding(lin(8, false, null, [1], [0]))).toBe('uint8 per-tensor');
  });
});

describe('normalizeEncoding', () => {
  const shape = [4, 3];
  it('returns a clean copy', () => {
    expect(normalizeEncoding({ kind: 'fp16' }, shape)).toEqual({ kind: 'fp16' });
    const e = normalizeEncoding({ kind: 'linear', bits: 4, signed: true, axis: 0, scale: [1, 2, 3, 4], zeroPoint: [0, -0, 1, -8] }, shape);
    expect(e).toEqual(lin(4, true, 0, [1, 2, 3, 4], [0, 0, 1, -8]));
    expect(Object.is((e as LinearEncoding).zeroPoint[1], 0)).toBe(true);
  });

  const base = { kind: 'linear', bits: 8, signed: true, axis: null, scale: [0.1], zeroPoint: [0] };
  it.each<[string, unknown, RegExp]>([
    ['not an object', 'fp32', /must be an object/],
    ['unknown kind', { kind: 'int4' }, /unknown encoding kind "int4"/],
    ['unknown field', { kind: 'fp32', bits: 8 }, /unknown field 'bits'/],
    ['bits 1', { ...base, bits: 1 }, /bits must be an integer from 2 to 16, got 1/],
    ['bits 17', { ...base, bits: 17 }, /bits must be an integer from 2 to 16, got 17/],
    ['bits 2.5', { ...base, bits: 2.5 }, /bits must be an integer/],
    ['signed missing', { ...base, signed: undefined }, /signed must be true or false/],
    ['axis out of shape', { ...base, axis: 2 }, /axis must be null or an integer from 0 to 1/],
    ['axis missing', { ...base, axis: undefined }, /axis must be null/],
    ['too few scales', { ...base, axis: 0, zeroPoint: [0, 0, 0, 0] }, /needs 4 scales \(along axis 0 of \[4, 3\]\), got 1/],
    ['too few zero points', { ...base, axis: 1, scale: [1, 1, 1] }, /needs 3 zero points .* got 1/],
    ['scale 0', { ...base, scale: [0] }, /scale\[0\] must be a finite number > 0, got 0/],
    ['scale negative', { ...base, scale: [-1] }, /scale\[0\] must be a finite number > 0, got -1/],
    ['scale null (NaN in JSON)', { ...base, scale: [null] }, /scale\[0\] must be a finite number > 0, got null/],
    ['scale Infinity', { ...base, scale: [Infinity] }, /scale\[0\] must be a finite number > 0/],
    ['scale subnormal', { ...base, scale: [1e-40] }, /below the smallest normal float32/],
    ['scale overflowing float32', { ...base, scale: [1e37] }, /overflow float32/],
    ['zero point out of range', { ...base, zeroPoint: [128] }, /zeroPoint\[0\] must be an integer from -128 to 127 \(8-bit signed\), got 128/],
    ['zero point negative for unsigned', { ...base, signed: false, zeroPoint: [-1] }, /from 0 to 255/],
    ['zero point fractional', { ...base, zeroPoint: [0.5] }, /zeroPoint\[0\] must be an integer/],
  ])('refuses %s', (_label, raw, message) => {
    expect(() => normalizeEncoding(raw, shape)).toThrow(CodecError);
    expect(() => normalizeEncoding(raw, shape)).toThrow(message);
  });
});
