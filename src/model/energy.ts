/**
 * Energy per inference, an ESTIMATE from operation counts and memory traffic
 * (the article's "power" metric). The per-operation energies are the 45 nm,
 * 0.9 V figures of M. Horowitz, "Computing's energy problem (and what we can
 * do about it)", ISSCC 2014 — the table Deep Compression (Han et al. 2016)
 * and "Learning both weights and connections" (Han et al. 2015) use. Real
 * chips differ (newer nodes are cheaper, GPUs add control overhead); what
 * carries over is the ratio: a DRAM access costs ~100× a float multiply.
 */
import type { ModelAccount } from './accounting.ts';
import { sizeOf } from './shapes.ts';
import type { Precision } from './precision.ts';

/** Energy per operation in picojoules (Horowitz, ISSCC 2014, 45 nm). */
export const HOROWITZ_45NM_PJ = {
  int8Add: 0.03,
  int8Mult: 0.2,
  int32Add: 0.1,
  int32Mult: 3.1,
  fp16Add: 0.4,
  fp16Mult: 1.1,
  fp32Add: 0.9,
  fp32Mult: 3.7,
  /** 32-bit read from an 8 KB SRAM (on-chip cache). */
  sram32: 5,
  /** 32-bit read from DRAM. */
  dram32: 640,
} as const;

/** The arithmetic the energy table prices: the lab's precisions, and fp16. */
export type ComputePrecision = Precision | 'fp16';

export interface EnergyEstimate {
  /** Always true: these are estimates from a published table, not measurements. */
  estimate: true;
  source: string;
  computePJ: number;
  weightTrafficPJ: number;
  activationTrafficPJ: number;
  totalPJ: number;
  /** totalPJ in microjoules, for display. */
  totalMicrojoules: number;
}

/**
 * Estimate energy for one image. Each MAC costs a multiply and an add in the
 * compute precision (int8 multiplies accumulate in int32). Pooling FLOPs are
 * counted as adds/compares. Weights (`weightBytes` as stored) are read once
 * per batch from DRAM and amortised over `batch` images; every layer reads its
 * input and writes its output through SRAM in the activation precision.
 */
export function estimateEnergy(account: ModelAccount, opts: { precision: ComputePrecision; weightBytes: number; batch?: number }): EnergyEstimate {
  const t = HOROWITZ_45NM_PJ;
  const batch = opts.batch ?? 1;
  const mac = opts.precision === 'fp32' ? t.fp32Mult + t.fp32Add : opts.precision === 'fp16' ? t.fp16Mult + t.fp16Add : t.int8Mult + t.int32Add;
  const add = opts.precision === 'fp32' ? t.fp32Add : opts.precision === 'fp16' ? t.fp16Add : t.int8Add;
  let compute = 0;
  let activationWords = 0;
  const actBytes = opts.precision === 'fp32' ? 4 : opts.precision === 'fp16' ? 2 : 1;
  for (const l of account.layers) {
    compute += l.macs > 0 ? l.macs * mac : l.flops * add;
    activationWords += ((sizeOf(l.inputShape) + sizeOf(l.outputShape)) * actBytes) / 4;
  }
  const weightTrafficPJ = ((opts.weightBytes / 4) * t.dram32) / batch;
  const activationTrafficPJ = activationWords * t.sram32;
  const totalPJ = compute + weightTrafficPJ + activationTrafficPJ;
  return {
    estimate: true,
    source: 'Horowitz, ISSCC 2014 (45 nm): per-operation energies',
    computePJ: compute,
    weightTrafficPJ,
    activationTrafficPJ,
    totalPJ,
    totalMicrojoules: totalPJ / 1e6,
  };
}
