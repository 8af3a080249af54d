// Corruptions of a real ONNX fixture (truncation, byte flips, inserted bytes): each must import to a
// model that passes validateModel, or throw ImportError — never anything else, never hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateModel } from '../../model/model.ts';
import { ImportError } from '../types.ts';
import { importOnnx } from './import.ts';

const good = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../test-fixtures/onnx/separable.onnx')));

type Corruption = { kind: 'truncate'; at: number } | { kind: 'flip'; at: number; xor: number }[] | { kind: 'insert'; at: number; bytes: number[] };

function corrupt(c: Corruption): Uint8Array {
  if (Array.isArray(c)) {
    const out = good.slice();
    for (const f of c) out[f.at % out.length] ^= f.xor;
    return out;
  }
  if (c.kind === 'truncate') return good.slice(0, c.at % good.length);
  const at = c.at % good.length;
  const out = new Uint8Array(good.length + c.bytes.length);
  out.set(good.subarray(0, at));
  out.set(c.bytes, at);
  out.set(good.subarray(at), at + c.bytes.length);
  return out;
}

const at = fc.nat({ max: good.length * 4 });
// Half the positions land in the first 2 KiB, where the graph's structure (not weight bytes) lives.
const pos = fc.oneof(fc.nat({ max: 2047 }), at);
const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.array(fc.record({ kind: fc.constant('flip' as const), at: pos, xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 }),
  fc.record({ kind: fc.constant('insert' as const), at: pos, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }) }),
);

describe('ONNX import under corruption', () => {
  it('the uncorrupted fixture imports', () => {
    validateModel(importOnnx(good).model);
  });

  it('1,500 corruptions: a valid model or an ImportError, nothing else', () => {
    let imported = 0;
    let refused = 0;
    fc.assert(
      fc.property(corruption, (c) => {
        const bytes = corrupt(c);
        const t0 = performance.now();
        try {
          const { model } = importOnnx(bytes);
          validateModel(model);
          imported++;
        } catch (e) {
          if (!(e instanceof ImportError)) throw e;
          refused++;
        }
        expect(performance.now() - t0).toBeLessThan(2000);
      }),
      { numRuns: 1500, seed: 20240611 },
    );
    expect(imported + refused).toBe(1500);
    // Both outcomes happen: flips in weight bytes still import, structural damage is refused.
    expect(imported).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
