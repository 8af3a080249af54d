import { chooseVariants, expect, go, inOwnBrowser, openLab, pickLenet300, shot, test } from './fixtures.ts';
import type { Page } from '@playwright/test';
import { initModel } from '../src/model/model.ts';
import { serializeModel } from '../src/model/format.ts';

/** Keys in the lab's IndexedDB store (what the worker wrote). */
async function storedKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('compression-lab');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const req = db.transaction('kv').objectStore('kv').getAllKeys();
          req.onsuccess = () => {
            resolve(req.result.map(String));
            db.close();
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

/** Draws a "7"-like stroke on the Try-it canvas with the mouse. */
async function drawDigit(page: Page): Promise<void> {
  const box = (await page.getByTestId('draw-canvas').boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.3, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [
    [0.5, 0.25],
    [0.7, 0.25],
    [0.6, 0.45],
    [0.5, 0.65],
    [0.45, 0.8],
  ] as const)
    await page.mouse.move(...at(fx, fy), { steps: 4 });
  await page.mouse.up();
}

test('first load copies MNIST and the models index into IndexedDB; every screen renders', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  // The first load shows its progress while it copies.
  await expect(page.getByTestId('startup-progress')).toBeVisible();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('ready')).toContainText('just copied');
  // MNIST's training split follows in the background (a lighter first load).
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 120_000 });
  const keys = await storedKeys(page);
  // Bundled models come on first use: a first load stores their index, not their files (first-load.spec.ts).
  expect(keys).toEqual(expect.arrayContaining(['dataset:mnist-test.bin', 'dataset:mnist-train.bin', 'meta:manifest', 'meta:bundled-index']));

  await shot(page, 'device');
  for (const s of ['models', 'model', 'compress', 'compare', 'try', 'share'] as const) {
    await go(page, s);
    await shot(page, s);
  }
  // Phone width: navigation and tables stay usable (tables scroll inside their box, the page does not).
  await page.setViewportSize({ width: 390, height: 844 });
  for (const s of ['models', 'model', 'try'] as const) {
    await go(page, s);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${s} screen is wider than the phone`).toBeLessThanOrEqual(1);
    await shot(page, `${s}-phone`);
  }
  // Second load reads from IndexedDB: nothing to copy.
  await page.reload();
  await expect(page.getByTestId('ready')).toContainText('read from this browser', { timeout: 60_000 });
});

test('prune + int8 a model, see its result row, draw a digit; results survive a reload and the lab works offline', async ({ page, context }) => {
  test.setTimeout(420_000);
  await openLab(page);
  await go(page, 'compress');
  await pickLenet300(page);
  for (const pass of ['prune', 'int8']) {
    await page.getByTestId('add-pass-select').selectOption(pass);
    await page.getByTestId('add-pass').click();
  }
  await expect(page.getByTestId('step')).toHaveCount(2);
  await page.getByTestId('limit-select').selectOption('1000');
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('runs as int8', { timeout: 120_000 });
  await expect(page.getByTestId('compress-done')).toContainText('Accuracy', { timeout: 180_000 });
  await shot(page, 'compress-done');

  await go(page, 'compare');
  const row = page.getByTestId('result-row').filter({ hasText: 'prune+int8' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('int8');
  await expect(row).toContainText('/ 1,000');
  await shot(page, 'compare-result');

  await go(page, 'try');
  await chooseVariants(page, /lenet-300-100/);
  await drawDigit(page);
  await expect(page.getByTestId('prediction')).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId('prediction').first().getByTestId('top')).toHaveText(/^[0-9]$/);
  await expect(page.getByTestId('prediction').nth(1)).toContainText('int8');
  await shot(page, 'try-drawn');

  // Reload: the compressed variant and its result are still there.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await go(page, 'compare');
  await expect(page.getByTestId('result-row').filter({ hasText: 'prune+int8' })).toHaveCount(1);

  // Offline: the service worker serves the app, IndexedDB the data.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
    await go(page, 'models');
    await expect(page.getByTestId('model-row').filter({ hasText: 'prune+int8' })).toHaveCount(1);
    await go(page, 'try');
    await chooseVariants(page, /lenet-300-100/);
    await drawDigit(page);
    await expect(page.getByTestId('prediction')).toHaveCount(2, { timeout: 60_000 });
    await shot(page, 'offline-try');
  } finally {
    await context.setOffline(false);
  }
});

test('a corrupt model file or one whose shapes do not fit: a clear error, stored models unchanged', async ({ page }) => {
  await openLab(page);
  await go(page, 'models');
  const rows = page.getByTestId('model-row');
  const before = await rows.count();
  expect(before).toBeGreaterThan(0);

  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
  await page.getByTestId('import-model').setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: junk });
  await expect(page.getByTestId('import-error')).toContainText('broken.safetensors');
  await expect(page.getByTestId('import-error')).toContainText('Nothing was stored');
  await shot(page, 'import-error');

  // A well-formed file of a net for 32×32 colour images: valid, but not for this lab's data.
  const wrong = initModel(
    {
      name: 'cifar-ish',
      inputShape: [32, 32, 3],
      layers: [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc', units: 10, bias: true },
      ],
    },
    3,
  );
  await page
    .getByTestId('import-model')
    .setInputFiles({ name: 'wrong-shape.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(serializeModel(wrong)) });
  await expect(page.getByTestId('import-error')).toContainText('wrong-shape.safetensors');
  await expect(page.getByTestId('import-error')).toContainText('28×28×1');

  await expect(rows).toHaveCount(before);
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
});

test('a long measurement can be cancelled at once; nothing is stored', async ({ playwright }) => {
  test.setTimeout(180_000);
  // Its own browser: the cancelled run leaves the GPU process compiling LeNet-5's
  // conv2d kernels on SwiftShader, which must not slow the tests after it.
  await inOwnBrowser(playwright, test.info().project.use.launchOptions, async (page) => {
    await openLab(page);
    await go(page, 'compare');
    const variants = await page
      .getByTestId('measure-select')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await page.getByTestId('measure-select').selectOption(variants.find((v) => /lenet5(?!-)/.test(v))!);
    await page.getByTestId('measure-limit').selectOption('10000');
    await page.getByTestId('measure-run').click();
    await expect(page.getByTestId('measure-progress')).toBeVisible();
    await shot(page, 'measure-running');
    const t0 = Date.now();
    await page.getByTestId('measure-cancel').click();
    await expect(page.getByTestId('measure-cancelled')).toBeVisible({ timeout: 10_000 });
    expect(Date.now() - t0, 'cancel answers promptly').toBeLessThan(10_000);
    await expect(page.getByTestId('no-results')).toBeVisible();
    await shot(page, 'measure-cancelled');
    // The page and the worker still answer after a cancel.
    await go(page, 'model');
    await expect(page.getByTestId('layer-table')).toBeVisible();
    await page.reload();
    await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
    await go(page, 'compare');
    await expect(page.getByTestId('no-results')).toBeVisible();
  });
});
