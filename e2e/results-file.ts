/**
 * A shared-results file (the Share screen's JSON) for e2e tests that need
 * Compare filled without measuring: three LeNet-300-100 variants per device
 * (fp32, a compressed one with a long name, int8). The numbers are made up
 * for layout; nothing asserts them as measurements.
 */
export function resultsFile(sharedBy: string, devices: string[], only?: number): string {
  const rows = [
    {
      variant: 'lenet-300-100',
      runtime: 'fp32',
      accuracy: 0.9836,
      errors: 164,
      bytes: 1_066_560,
      ratio: 1,
      latencyP50: 0.9,
      latencyP90: 1.4,
      throughput: 52_000,
    },
    {
      variant: 'lenet-300-100 → prune+kmeans+huffman (a long name that needs room)',
      runtime: 'fp32',
      accuracy: 0.9766,
      errors: 234,
      bytes: 32_300,
      ratio: 33.02,
      latencyP50: 0.8,
      latencyP90: 1.2,
      throughput: 55_000,
      gpuWeightBytes: 35_120,
      gpuWeightFp32: 0,
      sparseLayers: ['fc1', 'fc2'],
    },
    {
      variant: 'lenet-300-100 → int8',
      runtime: 'int8',
      accuracy: 0.9831,
      errors: 169,
      bytes: 267_000,
      ratio: 3.99,
      latencyP50: 0.6,
      latencyP90: 0.9,
      throughput: 80_000,
    },
  ].slice(0, only);
  const results = devices.flatMap((device, d) =>
    rows.map((r) => ({
      ...r,
      latencyP50: r.latencyP50 + d,
      latencyP90: r.latencyP90 + d,
      modelId: 'bundled:lenet-300-100',
      architecture: 'lenet-300-100',
      untrained: false,
      dataset: 'mnist',
      count: 10_000,
      fp32Bytes: 1_066_560,
      flops: 532_800,
      nonZero: 266_200,
      timingMethod: 'wall',
      runs: 20,
      throughputBatch: 256,
      device,
      source: 'measured',
      createdAt: '2026-11-20T10:00:00.000Z',
    })),
  );
  return JSON.stringify({ format: 'compression-lab-results', version: 1, exportedAt: '2026-11-20T10:00:00.000Z', sharedBy, results });
}
