/**
 * The guided FP32 vs INT8 experiment, as a workshop uses it: one click from
 * the first screen, a bundled model quantized and both measured on this GPU
 * (SwiftShader here: the dense-only LeNet-300-100 on a 1,000-image subset,
 * labelled as one), both columns with numbers, the int8 variant and both
 * results in Compare, a one-click follow-up, and cancel.
 */
import { expect, go, openLab, pickLenet300, shot, test } from './fixtures.ts';
import type { Page } from '@playwright/test';

/** From the first screen the app shows (no hash: Device) to the experiment, in one click. */
async function openExperiment(page: Page): Promise<void> {
  await expect(page.getByTestId('nav-device')).toHaveAttribute('aria-current', 'page');
  await page.getByTestId('nav-experiment').click();
  await expect(page.getByRole('heading', { name: 'FP32 vs INT8', level: 2 })).toBeVisible();
}

/** The bundled LeNet-300-100 on 1,000 test images. */
async function pickExperiment(page: Page): Promise<void> {
  await pickLenet300(page, 'experiment-source');
  await page.getByTestId('experiment-limit').selectOption('1000');
}

/** A number shown in a cell ("97.30 %", "1,234", "2.10 ms"). */
async function num(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).innerText();
  const m = /-?[\d,]+(\.\d+)?/.exec(text);
  expect(m, `a number in ${testId}: '${text}'`).toBeTruthy();
  return Number(m![0].replace(/,/g, ''));
}

test('FP32 vs INT8 from the first screen: both measured side by side, the int8 variant stored and in Compare, a follow-up runs', async ({ page }) => {
  test.setTimeout(600_000);
  await openLab(page);
  await openExperiment(page);
  // What the int8 multiply is here is said before anything runs (the Device screen's outlook).
  await expect(page.getByTestId('experiment-outlook')).toContainText('the int8 multiply is the');
  await pickExperiment(page);
  await page.getByTestId('experiment-run').click();
  await expect(page.getByTestId('experiment-progress')).toContainText(/Step \d\/3/);
  await expect(page.getByTestId('experiment-table')).toBeVisible({ timeout: 480_000 });

  // Both columns hold measured numbers.
  for (const side of ['fp32', 'int8']) {
    expect(await num(page, `${side}-accuracy`), `${side} accuracy`).toBeGreaterThan(90);
    expect(await num(page, `${side}-p50`), `${side} p50`).toBeGreaterThan(0);
    expect(await num(page, `${side}-throughput`), `${side} images/s`).toBeGreaterThan(0);
  }
  // The speed-up shown is int8 ÷ fp32 of the throughputs shown (rounded to whole images/s, so a small tolerance).
  const ratio = (await num(page, 'int8-throughput')) / (await num(page, 'fp32-throughput'));
  const shown = Number.parseFloat(await page.getByTestId('experiment-speedup').locator('strong').innerText());
  expect(Math.abs(shown - ratio)).toBeLessThan(0.01 + ratio * 0.01);
  // The accuracy cost is the difference of the two accuracies shown, in points.
  const cost = (await page.getByTestId('experiment-accuracy-cost').locator('strong').innerText()).replace('−', '-');
  const delta = (await num(page, 'int8-accuracy')) - (await num(page, 'fp32-accuracy'));
  expect(Math.abs(Number.parseFloat(cost.replace('±', '')) - delta)).toBeLessThan(0.006);
  // The subset is labelled; the slower or faster int8 is explained with this adapter's multiply.
  await expect(page.getByTestId('experiment-subset')).toContainText('1,000 of the 10,000');
  await expect(page.getByTestId('experiment-subset')).toContainText('a subset');
  // The dataset by its title, and the timing as the results recorded it.
  await expect(page.getByTestId('experiment-subset')).toContainText('images of the MNIST test split');
  await expect(page.getByTestId('experiment-subset')).toContainText(/\d+ timed batch-1 runs after warm-up,\s+end to end \(wall clock\)/);
  // The verdict follows the measured speed-up (±10 % counts as about the same; a ratio on a boundary may round either way).
  const verdict = page.getByTestId('experiment-verdict');
  await expect(verdict).toContainText(/^int8 ran (slower than fp32 here|at about fp32's speed here|[\d.]+× as fast as fp32 here)/);
  if (Math.abs(shown - 0.9) > 0.01 && Math.abs(shown - 1.1) > 0.01)
    await expect(verdict).toContainText(shown > 1.1 ? 'as fast as fp32' : shown < 0.9 ? 'slower than fp32' : "at about fp32's speed");
  await expect(page.getByTestId('experiment-verdict')).toContainText('int8 executor multiplies with the');
  // LeNet-300-100 is dense only: nothing to make separable, and the page says so.
  await expect(page.getByTestId('run-separable')).toBeDisabled();
  await shot(page, 'experiment-1280');
  await page.setViewportSize({ width: 375, height: 800 });
  await shot(page, 'experiment-375');
  await page.getByTestId('experiment-table').screenshot({ path: 'test-results/screens/experiment-375-table.png' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'no horizontal scrolling at 375 px').toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 800 });

  // The int8 variant is stored like any other, and both measurements are Compare rows.
  await go(page, 'compare');
  await expect(page.getByTestId('result-row').filter({ hasText: 'lenet-300-100 → int8' })).toHaveCount(1);
  await expect(page.getByTestId('result-row')).toHaveCount(2);
  await go(page, 'models');
  await expect(page.getByTestId('model-row').filter({ hasText: 'lenet-300-100 → int8' })).toContainText('int8');

  // A follow-up is one click: k-means 5 bit runs as a pipeline job, stores a variant and measures it.
  await page.getByTestId('nav-experiment').click();
  await page.getByTestId('run-kmeans5').click();
  await expect(page.getByTestId('next-done')).toContainText('Accuracy', { timeout: 300_000 });
  await go(page, 'compare');
  await expect(page.getByTestId('result-row').filter({ hasText: 'k-means 5 bit' })).toHaveCount(1);
});

test('a running experiment can be cancelled: it answers at once and stores no variant and no result', async ({ page }) => {
  test.setTimeout(300_000);
  await openLab(page);
  await go(page, 'models');
  const before = await page.getByTestId('model-row').count();
  await go(page, 'device');
  await openExperiment(page);
  await pickExperiment(page);
  await page.getByTestId('experiment-limit').selectOption('10000');
  await page.getByTestId('experiment-run').click();
  // Past quantizing: the int8 variant is stored and being measured against fp32 when Cancel is pressed.
  await expect(page.getByTestId('experiment-progress')).toContainText(/Step [23]\/3: measuring/, { timeout: 240_000 });
  await shot(page, 'experiment-running');
  const t0 = Date.now();
  await page.getByTestId('experiment-cancel').click();
  await expect(page.getByTestId('experiment-cancelled')).toBeVisible({ timeout: 10_000 });
  expect(Date.now() - t0, 'cancel answers promptly').toBeLessThan(10_000);
  await expect(page.getByTestId('experiment-table')).toHaveCount(0);
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
  await go(page, 'compare');
  await expect(page.getByTestId('no-results')).toBeVisible();
  // Nothing reached IndexedDB either: a reload lists the same variants.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
});
