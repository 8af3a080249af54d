/**
 * dense-sparse (CSR over output neurons) against its CPU reference and the
 * dense reference: sparsity 0 / 50 / 95 / 99 %, all-zero rows next to a fully
 * dense row, a fully pruned layer, odd widths, batch 1 and 257, one and
 * several images per thread, u16-packed and u32 column indices. Real GPU
 * (SwiftShader under Node); without WebGPU these tests fail with the reason.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrCodebookOf, csrOf, denseSparseCodebookForward, denseSparseForward } from '../cpu/dense-sparse.ts';
import { denseForward } from '../cpu/dense.ts';
import { mulberry32 } from '../model/model.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { runKernel } from './kernel-runner.ts';
import type { DenseSparseParams } from './kernels/dense-sparse.ts';
import { csrColumn, denseSparse, packCsr, packCsrCodebook } from './kernels/dense-sparse.ts';

import type { PipelineCache } from './pipelines.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { expectNear, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = sharedPipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

/** A [n, k] weight with about `sparsity` of its entries exactly zero. */
function prunedWeight(n: number, k: number, sparsity: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const w = new Float32Array(n * k);
  for (let i = 0; i < w.length; i++) {
    const v = rand() * 2 - 1;
    w[i] = rand() < sparsity ? 0 : v;
  }
  return w;
}

describe('dense-sparse CPU reference', () => {
  it('matches a hand-computed case (an empty row, relu, bias)', () => {
    // W = [[0, 2, 0], [0, 0, 0], [-1, 0, 3]], b = [0.5, -1, 0], x = [1, 2, 3]
    const w = new Float32Array([0, 2, 0, 0, 0, 0, -1, 0, 3]);
    const csr = csrOf(w, 3, 3);
    expect(Array.from(csr.rows)).toEqual([0, 1, 1, 3]);
    expect(Array.from(csr.cols)).toEqual([1, 0, 2]);
    const y = new Float32Array(3);
    denseSparseForward(1, 3, 3, new Float32Array([1, 2, 3]), csr, new Float32Array([0.5, -1, 0]), false, y);
    expect(Array.from(y)).toEqual([4.5, -1, 8]);
    denseSparseForward(1, 3, 3, new Float32Array([1, 2, 3]), csr, new Float32Array([0.5, -1, 0]), true, y);
    expect(Array.from(y)).toEqual([4.5, 0, 8]);
  });
});

describe('packCsr', () => {
  it('holds exactly the nonzeros, in row then column order, with u16 or u32 columns (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 70 }),
        fc.double({ min: 0, max: 1 }),
        fc.integer(),
        fc.boolean(),
        (n, k, sparsity, seed, pack16) => {
          const w = prunedWeight(n, k, sparsity, seed);
          const ref = csrOf(w, n, k);
          const csr = packCsr(w, n, k, { pack16 });
          expect(csr.pack16).toBe(pack16);
          expect(csr.nnz).toBe(ref.values.length);
          expect(Array.from(csr.rows)).toEqual(Array.from(ref.rows));
          for (let j = 0; j < csr.nnz; j++) {
            expect(csrColumn(csr, j)).toBe(ref.cols[j]);
            expect(csr.values[j]).toBe(ref.values[j]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs columns up to 65535 into the high half without sign trouble', () => {
    const k = 65536;
    const w = new Float32Array(2 * k);
    w[3] = 1;
    w[k - 1] = 2;
    w[k + 40000] = 3;
    const csr = packCsr(w, 2, k);
    expect(csr.pack16).toBe(true);
    expect([0, 1, 2].map((j) => csrColumn(csr, j))).toEqual([3, k - 1, 40000]);
    expect(Array.from(csr.rows)).toEqual([0, 2, 3]);
  });

  it('rejects a weight of the wrong size', () => {
    expect(() => packCsr(new Float32Array(5), 2, 3)).toThrow(/5 values are not \[2, 3\]/);
  });
});

interface Case {
  what: string;
  k: number;
  n: number;
  /** Weight builder. */
  weight: () => Float32Array;
  relu: boolean;
  tm: number;
  wg: number;
  pack16?: boolean;
}

const CASES: Case[] = [
  ...[0, 0.5, 0.95, 0.99].map((s, i) => ({
    what: `784 → 300 at ${s * 100} % sparsity`,
    k: 784,
    n: 300,
    weight: () => prunedWeight(300, 784, s, 11 + i),
    relu: i % 2 === 0,
    tm: i < 2 ? 4 : 16,
    wg: 64,
  })),
  {
    what: 'odd 37 → 13, all-zero rows beside a fully dense row, one image per thread',
    k: 37,
    n: 13,
    weight: () => {
      const w = prunedWeight(13, 37, 0.7, 5);
      for (const o of [0, 4, 12]) w.fill(0, o * 37, (o + 1) * 37);
      const dense = prunedWeight(1, 37, 0, 6);
      w.set(dense, 7 * 37);
      return w;
    },
    relu: true,
    tm: 1,
    wg: 16,
  },
  { what: 'fully pruned 19 → 7: the output is the (relu of the) bias', k: 19, n: 7, weight: () => new Float32Array(7 * 19), relu: true, tm: 4, wg: 64 },
  { what: '101 → 65 at 80 %, u32 column indices', k: 101, n: 65, weight: () => prunedWeight(65, 101, 0.8, 9), relu: false, tm: 4, wg: 64, pack16: false },
];

describe('dense-sparse kernel vs the CPU references', () => {
  for (const c of CASES) {
    it(c.what, async () => {
      const w = c.weight();
      const csr = packCsr(w, c.n, c.k, { pack16: c.pack16 });
      const rand = mulberry32(c.n * 31 + c.k);
      const bias = new Float32Array(Math.ceil(c.n / 4) * 4).map((_, i) => (i < c.n ? rand() - 0.5 : 0));
      for (const batch of [1, 257]) {
        const x = randomInput(batch * c.k, batch + c.k);
        const shape: DenseSparseParams = { batch, k: c.k, n: c.n, relu: c.relu, pack16: csr.pack16, wg: c.wg, tm: c.tm };
        const got = await runKernel(cache, denseSparse, shape, {
          inputs: { input: x, rows: csr.rows, cols: csr.cols, values: csr.values, bias },
          outputLength: batch * c.n,
        });
        const want = new Float32Array(batch * c.n);
        denseSparseForward(batch, c.k, c.n, x, csrOf(w, c.n, c.k), bias.subarray(0, c.n), c.relu, want);
        expectNear(got, want, `${c.what}, batch ${batch} vs the sparse reference`);
        // And the layer's meaning: the dense reference on the unpruned-layout weight.
        const dense = new Float32Array(batch * c.n);
        denseForward(batch, c.k, c.n, x, w, bias.subarray(0, c.n), dense);
        if (c.relu) for (let i = 0; i < dense.length; i++) dense[i] = Math.max(dense[i], 0);
        expectNear(got, dense, `${c.what}, batch ${batch} vs the dense reference`);
      }
    });
  }
});

/** A [n, k] weight drawn from a `centroids`-entry codebook whose entry 0 is 0.0, about `sparsity` of it pruned to that entry. */
function sharedWeight(
  n: number,
  k: number,
  centroids: number,
  sparsity: number,
  seed: number,
): { weight: Float32Array; symbols: Int32Array; codebook: Float32Array } {
  const rand = mulberry32(seed);
  const codebook = new Float32Array(centroids).map((_, i) => (i === 0 ? 0 : rand() * 2 - 1));
  const symbols = new Int32Array(n * k).map(() => (rand() < sparsity ? 0 : 1 + Math.floor(rand() * (centroids - 1))));
  return { weight: Float32Array.from(symbols, (s) => codebook[s]), symbols, codebook };
}

describe('dense-sparse:codebook kernel vs the CPU references', () => {
  it('CPU reference: hand-computed (codebook [0, 2, -1], an empty row)', () => {
    // W = [[0, 2, 0], [0, 0, 0], [-1, 0, 2]] as indices [[0, 1, 0], [0, 0, 0], [2, 0, 1]]
    const csr = csrCodebookOf([0, 1, 0, 0, 0, 0, 2, 0, 1], [0, 2, -1], 3, 3);
    expect(Array.from(csr.rows)).toEqual([0, 1, 1, 3]);
    expect(Array.from(csr.codes)).toEqual([1, 2, 1]);
    const y = new Float32Array(3);
    denseSparseCodebookForward(1, 3, 3, new Float32Array([1, 2, 3]), csr, [0, 2, -1], new Float32Array([0.5, -1, 0]), false, y);
    expect(Array.from(y)).toEqual([4.5, -1, 5]);
  });

  it('packs codes four per word, the CSR of the nonzeros', () => {
    const { weight, symbols } = sharedWeight(5, 11, 32, 0.6, 4);
    const csr = packCsrCodebook(weight, symbols, 5, 11);
    const ref = csrCodebookOf(
      symbols,
      Float32Array.from({ length: 32 }, (_, i) => (i === 0 ? 0 : 1)),
      5,
      11,
    );
    expect(Array.from(csr.rows)).toEqual(Array.from(ref.rows));
    for (let j = 0; j < csr.nnz; j++) expect((csr.codes[j >> 2] >>> ((j & 3) * 8)) & 0xff).toBe(ref.codes[j]);
    expect(() =>
      packCsrCodebook(
        weight,
        symbols.map((s) => s + 250),
        5,
        11,
      ),
    ).toThrow(/does not fit 8 bits/);
  });

  const cases = [
    {
      what: '784 → 300, 32 centroids (5-bit), 92 % pruned, 16 images per thread',
      n: 300,
      k: 784,
      centroids: 32,
      sparsity: 0.92,
      tm: 16,
      wg: 64,
      relu: true,
      pack16: true,
    },
    {
      what: 'odd 37 → 13, 256 centroids, 50 % pruned, one image per thread, u32 columns',
      n: 13,
      k: 37,
      centroids: 256,
      sparsity: 0.5,
      tm: 1,
      wg: 16,
      relu: false,
      pack16: false,
    },
    { what: '19 → 7 fully pruned, 4 centroids', n: 7, k: 19, centroids: 4, sparsity: 1, tm: 4, wg: 64, relu: true, pack16: true },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const { weight, symbols, codebook } = sharedWeight(c.n, c.k, c.centroids, c.sparsity, c.n + c.k);
      const csr = packCsrCodebook(weight, symbols, c.n, c.k, { pack16: c.pack16 });
      const rand = mulberry32(c.n);
      const bias = new Float32Array(Math.ceil(c.n / 4) * 4).map((_, i) => (i < c.n ? rand() - 0.5 : 0));
      for (const batch of [1, 257]) {
        const x = randomInput(batch * c.k, batch + 1);
        const shape: DenseSparseParams = { batch, k: c.k, n: c.n, relu: c.relu, pack16: csr.pack16, wg: c.wg, tm: c.tm, centroids: c.centroids };
        const got = await runKernel(cache, denseSparse, shape, {
          inputs: { input: x, rows: csr.rows, cols: csr.cols, codes: csr.codes, codebook, bias },
          outputLength: batch * c.n,
        });
        const want = new Float32Array(batch * c.n);
        denseSparseCodebookForward(batch, c.k, c.n, x, csrCodebookOf(symbols, codebook, c.n, c.k), codebook, bias.subarray(0, c.n), c.relu, want);
        expectNear(got, want, `${c.what}, batch ${batch} vs the codebook reference`);
        const dense = new Float32Array(batch * c.n);
        denseForward(batch, c.k, c.n, x, weight, bias.subarray(0, c.n), dense);
        if (c.relu) for (let i = 0; i < dense.length; i++) dense[i] = Math.max(dense[i], 0);
        expectNear(got, dense, `${c.what}, batch ${batch} vs the dense reference`);
      }
    });
  }
});
