/** The model file format under corruption fuzzing: any damage is a clean ModelFileError or a valid model, never a crash. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LAYER_KINDS } from './layers.ts';
import type { Model } from './model.ts';
import { validateModel } from './model.ts';
import { weightShapes } from './shapes.ts';
import { encodeTensor, storedLayout } from './codecs.ts';
import { ModelFileError, describeModelFile, parseModel, serializeModel } from './format.ts';
import type { Json } from './format-test-helpers.ts';
import { sameBits, sameBytes, canonical, decompose, assemble, mixedFile } from './format-test-helpers.ts';

describe('corruption fuzzing', () => {
  const original = mixedFile;
  const reference = parseModel(original);
  const origInfo = describeModelFile(original);
  const N = origInfo.headerBytes;
  const headerEnd = 8 + N;
  const names = origInfo.tensors.map((t) => t.name);
  const floatTensors = origInfo.tensors.filter((t) => t.dtype === 'F32' || t.dtype === 'F16');
  const origArchJson = origInfo.metadata.architecture;

  interface Corruption {
    label: string;
    apply: (file: Uint8Array) => Uint8Array;
    /** Set when this corruption alone must be refused, with a message matching it. */
    mustFail?: RegExp;
  }

  /** Header edits are made on the decomposed header; a file too broken to decompose is left as is. */
  const headerEdit = (label: string, fn: (h: Json) => void, pad = true): Corruption => ({
    label,
    apply: (file) => {
      let parts;
      try {
        parts = decompose(file);
      } catch {
        return file;
      }
      if (typeof parts.header !== 'object' || parts.header === null) return file;
      try {
        fn(parts.header);
      } catch {
        return file;
      }
      return assemble(parts.header, parts.data, pad);
    },
  });
  const metaEdit = (label: string, key: string, fn: (v: Json) => Json): Corruption =>
    headerEdit(label, (h) => {
      const v = JSON.parse(h.__metadata__[key]);
      const r = fn(v);
      h.__metadata__[key] = JSON.stringify(r === undefined ? v : r);
    });

  const json = fc.jsonValue({ maxDepth: 2 });
  const name = fc.constantFrom(...names);
  const anyInt = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.integer({ min: -1e6, max: 1e10 }), fc.constant(2 ** 31), fc.double());

  const flips = fc
    .array(fc.tuple(fc.oneof(fc.nat(headerEnd - 1), fc.nat(original.length - 1)), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
    .map((fl): Corruption => ({
      label: `flip ${JSON.stringify(fl)}`,
      apply: (file) => {
        const g = file.slice();
        for (const [p, m] of fl) if (p < g.length) g[p] ^= m;
        return g;
      },
    }));
  const dataFlips = fc
    .array(fc.tuple(fc.integer({ min: headerEnd, max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 })
    .map((fl): Corruption => ({
      label: `data flip ${JSON.stringify(fl)}`,
      apply: (file) => {
        const g = file.slice();
        for (const [p, m] of fl) if (p < g.length) g[p] ^= m;
        return g;
      },
    }));
  const truncate = fc
    .nat(original.length - 1)
    .map((k): Corruption => ({ label: `truncate to ${k}`, apply: (file) => file.slice(0, Math.min(k, file.length - 1)), mustFail: /./ }));
  const headerLen = fc
    .oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.integer({ min: -64, max: 64 }).map((d) => BigInt(Math.max(0, N + d))),
    )
    .map((v): Corruption => ({
      label: `header length ${v}`,
      apply: (file) => {
        const g = file.slice();
        if (g.length >= 8) new DataView(g.buffer).setBigUint64(0, v, true);
        return g;
      },
      mustFail: v === BigInt(N) ? undefined : /header length|JSON|UTF-8|trailing|data_offsets|tensor/,
    }));
  const insert = fc.tuple(fc.nat(original.length), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([p, bytes]): Corruption => ({
    label: `insert ${bytes.length} bytes at ${p}`,
    apply: (file) => {
      const q = Math.min(p, file.length);
      const g = new Uint8Array(file.length + bytes.length);
      g.set(file.subarray(0, q));
      g.set(bytes, q);
      g.set(file.subarray(q), q + bytes.length);
      return g;
    },
  }));
  const remove = fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 1, max: 16 })).map(([p, n]): Corruption => ({
    label: `delete ${n} bytes at ${p}`,
    apply: (file) => {
      const g = new Uint8Array(Math.max(0, file.length - n));
      g.set(file.subarray(0, Math.min(p, g.length)));
      if (p + n < file.length) g.set(file.subarray(p + n), p);
      return g;
    },
  }));

  const headerMutation: fc.Arbitrary<Corruption> = fc.oneof(
    fc.tuple(name, fc.tuple(anyInt, anyInt)).map(([n, o]) => headerEdit(`offsets of ${n} = ${o}`, (h) => (h[n].data_offsets = o))),
    fc.tuple(name, fc.integer({ min: -8, max: 8 }), fc.boolean()).map(([n, d, both]) =>
      headerEdit(`shift offsets of ${n} by ${d}`, (h) => {
        h[n].data_offsets[1] += d;
        if (both) h[n].data_offsets[0] += d;
      }),
    ),
    fc
      .tuple(name, name)
      .map(([a, b]) => headerEdit(`swap offsets ${a} ${b}`, (h) => ([h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, h[a].data_offsets]))),
    fc
      .tuple(name, fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'F64', 'BOOL', 'Q4', 'f32', ''))
      .map(([n, d]) => headerEdit(`dtype of ${n} = ${d}`, (h) => (h[n].dtype = d))),
    fc
      .tuple(name, fc.oneof(fc.array(fc.nat(300), { maxLength: 4 }), fc.constant('reverse' as const), json))
      .map(([n, s]) => headerEdit(`shape of ${n} = ${JSON.stringify(s)}`, (h) => (h[n].shape = s === 'reverse' ? h[n].shape.slice().reverse() : s))),
    name.map((n) => headerEdit(`delete ${n}`, (h) => delete h[n])),
    fc.tuple(fc.oneof(fc.string(), name), json).map(([n, v]) => headerEdit(`set entry ${JSON.stringify(n)}`, (h) => (h[n] = v))),
    fc
      .tuple(
        fc.constantFrom('format', 'formatVersion', 'architecture', 'encodings', 'provenance', 'other'),
        fc.oneof(
          fc.string(),
          json.map((v) => JSON.stringify(v) ?? ''),
          json,
          fc.constant(undefined),
        ),
      )
      .map(([k, v]) =>
        headerEdit(`metadata ${k} = ${JSON.stringify(v)}`, (h) => {
          if (v === undefined) delete h.__metadata__[k];
          else h.__metadata__[k] = v;
        }),
      ),
    // Architecture: one field of one layer, or the layer list.
    fc
      .tuple(
        fc.nat(12),
        fc.constantFrom('kind', 'name', 'filters', 'kernel', 'stride', 'padding', 'bias', 'units', 'window', 'extra'),
        fc.oneof(
          json,
          fc.constantFrom(...LAYER_KINDS),
          fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })),
          fc.integer({ min: -2, max: 300 }),
          fc.boolean(),
          fc.constantFrom('valid', 'same', 'relu9'),
        ),
      )
      .map(([i, k, v]) =>
        metaEdit(`architecture layer ${i}.${k} = ${JSON.stringify(v)}`, 'architecture', (a) => {
          const l = a.layers[i % a.layers.length];
          if (v === null && k !== 'name') delete l[k];
          else l[k] = v;
        }),
      ),
    fc.tuple(fc.nat(12), fc.nat(12), fc.constantFrom('swap', 'delete', 'duplicate')).map(([i, j, op]) =>
      metaEdit(`architecture ${op} layers ${i} ${j}`, 'architecture', (a) => {
        const L = a.layers;
        const x = i % L.length;
        const y = j % L.length;
        if (op === 'swap') [L[x], L[y]] = [L[y], L[x]];
        else if (op === 'delete') L.splice(x, 1);
        else L.splice(y, 0, { ...L[x] });
      }),
    ),
    fc
      .tuple(
        fc.constantFrom('name', 'inputShape', 'layers'),
        fc.oneof(json, fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }))),
      )
      .map(([k, v]) => metaEdit(`architecture.${k} = ${JSON.stringify(v)}`, 'architecture', (a) => void (a[k] = v))),
    // Encodings: one field of one tensor's encoding, a nudge to a scale or zero point, or a whole new encoding.
    fc
      .tuple(
        name,
        fc.constantFrom('kind', 'bits', 'signed', 'axis', 'scale', 'zeroPoint', 'extra'),
        fc.oneof(json, fc.integer({ min: -2, max: 18 }), fc.boolean(), fc.constantFrom('fp32', 'fp16', 'linear'), fc.array(fc.double(), { maxLength: 6 })),
      )
      .map(([n, k, v]) =>
        metaEdit(`encoding ${n}.${k} = ${JSON.stringify(v)}`, 'encodings', (e) => {
          e[n] ??= { kind: 'fp32' };
          e[n][k] = v;
        }),
      ),
    fc.tuple(name, fc.nat(200), fc.double({ min: -2, max: 4, noNaN: true }), fc.integer({ min: -3, max: 3 })).map(([n, i, factor, dz]) =>
      metaEdit(`encoding ${n} scale[${i}] *= ${factor}, zeroPoint += ${dz}`, 'encodings', (e) => {
        if (e[n]?.kind !== 'linear') return;
        const c = i % e[n].scale.length;
        e[n].scale[c] *= factor;
        e[n].zeroPoint[c] += dz;
      }),
    ),
    fc
      .tuple(
        name,
        fc.constantFrom<Json>({ kind: 'fp32' }, { kind: 'fp16' }, undefined, {
          kind: 'linear',
          bits: 8,
          signed: true,
          axis: null,
          scale: [0.01],
          zeroPoint: [0],
        }),
      )
      .map(([n, v]) =>
        metaEdit(`encoding ${n} = ${JSON.stringify(v)}`, 'encodings', (e) => {
          if (v === undefined) delete e[n];
          else e[n] = v;
        }),
      ),
    json.map((v) => metaEdit(`provenance = ${JSON.stringify(v)}`, 'provenance', () => v)),
    fc.constant(headerEdit('unpadded header', () => {}, false)),
  );

  const nanInjection = fc.tuple(fc.constantFrom(...floatTensors), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map(([t, k, v]): Corruption => {
    const i = k % t.elements;
    return {
      label: `${v} into ${t.name}[${i}]`,
      apply: (file) => {
        const g = file.slice();
        const size = t.dtype === 'F32' ? 4 : 2;
        const at = headerEnd + t.dataOffsets[0] + size * i;
        // An earlier corruption (a truncation) may have cut the element off: nothing to inject then.
        if (at + size > g.length) return g;
        const dv = new DataView(g.buffer);
        if (t.dtype === 'F32') dv.setFloat32(at, v, true);
        else dv.setUint16(at, Number.isNaN(v) ? 0x7e00 : v > 0 ? 0x7c00 : 0xfc00, true);
        return g;
      },
      mustFail: new RegExp(`tensor '${t.name.replace('.', '\\.')}' holds ${v} at index ${i} `),
    };
  });

  const corruption = fc
    .oneof(
      { arbitrary: flips, weight: 2 },
      { arbitrary: dataFlips, weight: 2 },
      { arbitrary: truncate, weight: 1 },
      { arbitrary: headerLen, weight: 1 },
      { arbitrary: insert, weight: 1 },
      { arbitrary: remove, weight: 1 },
      { arbitrary: headerMutation, weight: 4 },
      { arbitrary: nanInjection, weight: 1 },
    )
    // Counterexamples print as their label rather than as source code.
    .map((c) => Object.assign(c, { [fc.toStringMethod]: () => c.label }));

  it('every corrupted file is refused with a ModelFileError or read as a fully valid model (1,200 runs)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 2 }), (chain) => {
        let file = original;
        for (const c of chain) file = c.apply(file);
        let parsed: Model;
        try {
          parsed = parseModel(file, 'fuzz.safetensors');
        } catch (e) {
          // Only the one error type, naming the file, and never a caught-unexpected failure.
          if (!(e instanceof ModelFileError)) throw e;
          expect(e.message.startsWith('fuzz.safetensors: ')).toBe(true);
          expect(e.message).not.toMatch(/unexpected/);
          if (chain.length === 1 && chain[0].mustFail) expect(e.message).toMatch(chain[0].mustFail);
          refused++;
          return;
        }
        accepted++;
        if (chain.length === 1 && chain[0].mustFail) throw new Error(`${chain[0].label} was accepted`);
        validateModel(parsed);
        const info = describeModelFile(file);
        if (sameBytes(file, original)) {
          // (Not toEqual on the whole model: element-wise typed-array comparison is slow.)
          expect({ ...parsed, weights: null }).toEqual({ ...reference, weights: null });
          for (const n of Object.keys(reference.weights)) expect(sameBits(parsed.weights[n], reference.weights[n]), n).toBe(true);
        }
        if (info.metadata.architecture === origArchJson) expect(parsed.architecture).toEqual(reference.architecture);
        // Tensors whose entry, encoding and bytes did not change decode exactly as before.
        for (const t of info.tensors) {
          const o = origInfo.tensors.find((x) => x.name === t.name);
          if (!o || o.dtype !== t.dtype || JSON.stringify(o.shape) !== JSON.stringify(t.shape)) continue;
          if (JSON.stringify(parsed.encodings![t.name]) !== JSON.stringify(reference.encodings![t.name])) continue;
          const now = file.subarray(8 + info.headerBytes + t.dataOffsets[0], 8 + info.headerBytes + t.dataOffsets[1]);
          const before = original.subarray(headerEnd + o.dataOffsets[0], headerEnd + o.dataOffsets[1]);
          if (sameBytes(now, before)) expect(sameBits(parsed.weights[t.name], reference.weights[t.name]), t.name).toBe(true);
        }
        // Nothing in an accepted file was ignored: every data byte is the
        // canonical encoding of the returned weights, and the metadata says
        // exactly what the returned model holds (no unknown field dropped).
        let covered = 0;
        for (const t of info.tensors) {
          const enc = parsed.encodings![t.name];
          const shape = weightShapes(parsed.architecture)[t.name];
          expect(storedLayout(shape, enc)).toEqual({ dtype: t.dtype, shape: t.shape });
          const stored = file.subarray(8 + info.headerBytes + t.dataOffsets[0], 8 + info.headerBytes + t.dataOffsets[1]);
          expect(sameBytes(encodeTensor(parsed.weights[t.name], shape, enc), stored), t.name).toBe(true);
          covered += stored.length;
        }
        expect(covered).toBe(info.dataBytes);
        expect(canonical(JSON.parse(info.metadata.architecture))).toBe(canonical(parsed.architecture));
        const rawEncodings = JSON.parse(info.metadata.encodings);
        for (const n of Object.keys(parsed.weights)) expect(canonical(rawEncodings[n] ?? { kind: 'fp32' })).toBe(canonical(parsed.encodings![n]));
        expect(canonical(JSON.parse(info.metadata.provenance))).toBe(canonical(parsed.provenance));
        // What was accepted is a first-class model: it writes and reads back identically.
        const again = parseModel(serializeModel(parsed));
        expect(again.architecture).toEqual(parsed.architecture);
        expect(again.encodings).toEqual(parsed.encodings);
        for (const n of Object.keys(parsed.weights)) expect(sameBits(again.weights[n], parsed.weights[n]), n).toBe(true);
      }),
      { numRuns: 1200 },
    );
    // The corruptions must exercise both outcomes, or the test proves little.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(500);
  });
});
