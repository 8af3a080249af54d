/**
 * The one typed API the UI talks to, exposed from a dedicated worker with
 * comlink. Everything here returns plain structured-clone data; GPU handles
 * never leave the worker.
 */
import { accountModel, type ModelAccount } from '../model/accounting.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import { denseSizeTable, type SizeRow } from '../model/size.ts';
import { acquireGpu, type AdapterReport, type Gpu } from '../gpu/device.ts';

export interface ArchitectureSummary {
  name: string;
  params: number;
  flops: number;
  layers: number;
}

export type DeviceStatus = { ok: true; report: AdapterReport } | { ok: false; error: string };

let gpu: Promise<Gpu> | null = null;

export const labApi = {
  /** The built-in architectures with their headline numbers. */
  architectures(): ArchitectureSummary[] {
    return Object.keys(ARCHITECTURES).map((name) => {
      const acc = accountModel(architecture(name));
      return { name, params: acc.total.params, flops: acc.total.flops, layers: acc.layers.length };
    });
  },

  /** Per-layer accounting and stored sizes of a built-in architecture. */
  account(name: string): { account: ModelAccount; sizes: SizeRow[] } {
    const arch = architecture(name);
    return { account: accountModel(arch), sizes: denseSizeTable(arch) };
  },

  /** Acquire the GPU once per worker and describe it; never throws (the UI shows the error). */
  async device(): Promise<DeviceStatus> {
    try {
      gpu ??= acquireGpu();
      const g = await gpu;
      return { ok: true, report: g.report };
    } catch (e) {
      gpu = null;
      return { ok: false, error: (e as Error).message };
    }
  },
};

export type LabApi = typeof labApi;
