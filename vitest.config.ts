import { defineConfig } from 'vitest/config';

// Dawn (npm `webgpu`) finds SwiftShader through the Vulkan loader. This must be
// set in the main process before test workers start: a worker thread's
// process.env never reaches the Vulkan loader.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: GPU parity tests share one software adapter; keep the pool small.
    maxWorkers: 2,
  },
});
