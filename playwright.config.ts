import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

// Playwright's own browser downloads are not used: the lab runs in the
// system Chromium (Debian `chromium`) or whatever CHROMIUM_PATH names. No
// browser means a failed run with instructions, never a skipped suite.
const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];
const executablePath = candidates.find((p) => existsSync(p));
if (!executablePath) {
  throw new Error(
    'No Chromium found for the e2e tests (looked at ' +
      candidates.join(', ') +
      '). Install one: on Debian/Ubuntu `sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chrome/Chromium binary with WebGPU.',
  );
}

// E2E_PORT lets several checkouts run their suites side by side without one
// reusing another's preview server.
const port = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
