/**
 * Fuzzing the TF.js importer: corruptions of a real model.json (saved by
 * tfjs) and its shard — deleted and changed fields, wrong shapes and dtypes,
 * swapped class names, truncated, extended and flipped shard bytes — must
 * each import to a model that passes validateModel or throw an ImportError.
 * Never another error, never a hang.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateModel } from '../../model/model.ts';
import type { ImportFile } from '../types.ts';
import { ImportError } from '../types.ts';
import { importTfjs } from './index.ts';
import { saveArtifacts, toFiles } from './test-helpers.ts';

/** Two real bases: a Sequential model and a Functional one (inbound nodes to corrupt too). */
const bases: { json: unknown; shard: Uint8Array }[] = [];

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
  const m = tf.sequential({
    layers: [
      tf.layers.rescaling({ scale: 2, offset: -1, inputShape: [12, 12, 1] }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.depthwiseConv2d({ kernelSize: 2, strides: 2 }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  const input = tf.input({ shape: [10, 10, 2], name: 'img' });
  let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.averagePooling2d({ poolSize: 2, name: 'pool' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: 'flat' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 4, name: 'fc' }).apply(h) as tf.SymbolicTensor;
  const f = tf.model({ inputs: input, outputs: tf.layers.softmax({ name: 'sm' }).apply(h) as tf.SymbolicTensor });
  for (const model of [m, f]) {
    const files = toFiles(await saveArtifacts(tf, model));
    model.dispose();
    bases.push({ json: JSON.parse(new TextDecoder().decode(files[0].bytes)), shard: files[1].bytes });
  }
});

type Path = (string | number)[];

/** Every path to a value inside the JSON tree (the root excluded). */
function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : typeof v === 'object' && v !== null ? Object.entries(v) : [];
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    paths(x, [...prefix, k], out);
  }
  return out;
}

const REPLACEMENTS: unknown[] = [
  null,
  0,
  -1,
  1,
  2,
  6,
  0.5,
  1e9,
  -1e9,
  NaN,
  '',
  'same',
  'valid',
  'causal',
  'channels_first',
  'relu6',
  'sigmoid',
  'softmax',
  'linear',
  'float16',
  'int32',
  'string',
  'uint8',
  'Dense',
  'Conv2D',
  'Add',
  'LeakyReLU',
  'InputLayer',
  'BatchNormalization',
  'Flatten',
  'Sequential',
  'Functional',
  true,
  false,
  [],
  {},
  [null],
  [1, 1],
  [2, 2],
  [3, 3, 1, 1],
  [null, 12, 12, 1],
  { dtype: 'uint8', scale: 0.01, min: -1 },
  { dtype: 'float16' },
];

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; with: number }
  | { kind: 'tweak'; at: number; by: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; bytes: number }
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'cutJson'; keep: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: fc.nat({ max: REPLACEMENTS.length - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tweak' as const), at: fc.nat(), by: fc.constantFrom(1, -1, 2, -2, 0.5, 100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), bytes: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cutJson' as const), keep: fc.nat() }) },
);

/** Applies the mutations to copies of the base files. */
function corrupt(base: number, chain: Mutation[]): ImportFile[] {
  const json = structuredClone(bases[base].json);
  let shard = bases[base].shard.slice();
  let cut: number | undefined;
  for (const m of chain) {
    const all = paths(json);
    const at = 'at' in m && all.length > 0 ? all[m.at % all.length] : undefined;
    const parentOf = (p: Path) =>
      p.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], json) as Record<string | number, unknown>;
    switch (m.kind) {
      case 'delete':
        if (at) {
          const parent = parentOf(at);
          if (Array.isArray(parent)) parent.splice(at.at(-1) as number, 1);
          else delete parent[at.at(-1)!];
        }
        break;
      case 'replace':
        if (at) parentOf(at)[at.at(-1)!] = structuredClone(REPLACEMENTS[m.with]);
        break;
      case 'tweak':
        if (at) {
          const parent = parentOf(at);
          const v = parent[at.at(-1)!];
          if (typeof v === 'number') parent[at.at(-1)!] = v === 0 ? m.by : v * m.by;
          else if (typeof v === 'string') parent[at.at(-1)!] = v.slice(0, Math.max(0, v.length - 1));
        }
        break;
      case 'truncate':
        shard = shard.slice(0, m.keep % (shard.length + 1));
        break;
      case 'extend': {
        const longer = new Uint8Array(shard.length + m.bytes);
        longer.set(shard);
        shard = longer;
        break;
      }
      case 'flip':
        if (shard.length > 0) shard[m.at % shard.length] = m.value;
        break;
      case 'cutJson':
        cut = m.keep;
        break;
    }
  }
  let text = new TextEncoder().encode(JSON.stringify(json));
  if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
  return [
    { name: 'model.json', bytes: text },
    { name: 'model.weights.bin', bytes: shard },
  ];
}

describe('TF.js importer under corruption', () => {
  it('the uncorrupted models import', () => {
    for (let b = 0; b < bases.length; b++) validateModel(importTfjs(corrupt(b, [])).model);
  });

  it('every corruption imports to a valid model or throws ImportError (2,000 cases over two models)', () => {
    let imported = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.nat({ max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (base, chain) => {
        const files = corrupt(base, chain);
        try {
          const { model } = importTfjs(files);
          validateModel(model);
          imported++;
        } catch (e) {
          if (!(e instanceof ImportError)) throw e;
          // Caught by a check that names what is wrong, not by the importer's last-resort wrapper.
          if ((e as { cause?: unknown }).cause !== undefined) throw (e as { cause?: unknown }).cause;
          expect(e.message.length).toBeGreaterThan(0);
          refused++;
        }
      }),
      { numRuns: 2000 },
    );
    // Both outcomes happen: the corruptions are neither all fatal nor all harmless.
    expect(imported).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
