/**
 * Layout and visual language of the screens (issue 15): Compare's table fits
 * a 1280 px window (names wrap; the device heads its group of rows), chart
 * legends show values on hover and never "--", a chart with one variant says
 * what to add, the dataset is shown beside every model, and runtime colours
 * come from web/palette.ts. Screenshots land in test-results/screens/.
 */
import type { Page } from '@playwright/test';
import { expect, go, openLab, shot, test } from './fixtures.ts';
import { resultsFile } from './results-file.ts';
import { PALETTE } from '../web/palette.ts';

async function importResults(page: Page, text: string, name: string): Promise<void> {
  await go(page, 'share');
  await page.getByTestId('import-results').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(page.getByTestId('share-ok')).toContainText(`from ${name}`);
}

test('Compare fits 1280 px, groups rows by device, shows datasets and palette colours; legends show values, never "--"', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await openLab(page);

  // One variant: the charts say what to add instead of showing one dot.
  await importResults(page, resultsFile('Ada', ['Pixel 8 · Mali-G715'], 1), 'one.json');
  await go(page, 'compare');
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(page.getByTestId('chart-hint')).toHaveCount(1);
  await expect(page.getByTestId('chart-hint')).toContainText('Add a compressed variant to compare');
  await expect(page.locator('lab-chart canvas')).toHaveCount(0);
  await shot(page, 'compare-one-variant');

  await importResults(page, resultsFile('Ada', ['Pixel 8 · Mali-G715', 'MacBook Air · Apple M2']), 'two.json');
  await go(page, 'compare');
  const rows = page.getByTestId('result-row');
  await expect(rows).toHaveCount(7);
  await expect(page.getByTestId('chart-hint')).toHaveCount(0);

  // The table fits its box at 1280 px: nothing to scroll sideways.
  const fit = await page.getByTestId('results-table').evaluate((t) => ({ table: t.scrollWidth, box: t.parentElement!.clientWidth }));
  expect(fit.table, `table ${fit.table} px in a ${fit.box} px box`).toBeLessThanOrEqual(fit.box);
  // The long name wraps inside its cell rather than widening the table.
  const long = rows.filter({ hasText: 'a long name that needs room' }).first().locator('td.name');
  expect((await long.boundingBox())!.height).toBeGreaterThan(40);
  // The device is said once per group, not on every row.
  const groups = (await page.getByTestId('device-group').allInnerTexts()).map((g) => g.trim());
  expect(groups.sort()).toEqual(['MacBook Air · Apple M2', 'Pixel 8 · Mali-G715']);
  expect(await page.locator('[data-testid="results-table"] thead th').allInnerTexts()).not.toContain('Device');
  // Every row names its dataset; runtimes carry the palette's colours.
  await expect(page.getByTestId('result-dataset')).toHaveText(Array(7).fill('MNIST'));
  const colours = await rows.getByTestId('runtime-badge').evaluateAll((bs) => bs.map((b) => `${b.textContent?.trim()} ${b.getAttribute('data-color')}`));
  expect(new Set(colours)).toEqual(new Set([`fp32 ${PALETTE.fp32}`, `fp32 ${PALETTE.compressed}`, `int8 ${PALETTE.int8}`]));
  await shot(page, 'compare-1280');

  // Legends: nothing before hovering, the values under the cursor while hovering.
  const chart = page.locator('lab-chart').first();
  await chart.scrollIntoViewIfNeeded();
  const legend = chart.locator('.u-legend .u-value');
  expect(await legend.allInnerTexts()).not.toContain('--');
  expect((await legend.allInnerTexts()).join('')).toBe('');
  const over = chart.locator('.u-over');
  const box = (await over.boundingBox())!;
  let shown = '';
  for (let f = 0.02; f < 1 && !shown.includes('%'); f += 0.04) {
    await page.mouse.move(box.x + box.width * f, box.y + box.height / 2);
    shown = (await legend.allInnerTexts()).join(' ');
  }
  expect(shown, 'a legend value while hovering').toMatch(/\d %/);
  expect(await legend.allInnerTexts()).not.toContain('--');
  await page.mouse.move(0, 0);
  await expect.poll(async () => (await legend.allInnerTexts()).join('')).toBe('');

  // The dataset beside every model: Models list (Fashion-MNIST for the Fashion model), Model view header, Try it.
  await go(page, 'models');
  const datasets = await page.getByTestId('model-dataset').allInnerTexts();
  expect(datasets.length).toBe(await page.getByTestId('model-row').count());
  expect(datasets.every((d) => d === 'MNIST' || d === 'Fashion-MNIST')).toBe(true);
  const fashion = page.getByTestId('model-row').filter({ hasText: 'lenet5-fashion' });
  if ((await fashion.count()) > 0) await expect(fashion.getByTestId('model-dataset')).toHaveText('Fashion-MNIST');
  await shot(page, 'models-1280');
  await go(page, 'model');
  await expect(page.getByTestId('model-dataset')).toHaveText(/^(Fashion-)?MNIST$/, { timeout: 60_000 });
  await go(page, 'try');
  await expect(page.getByRole('group', { name: 'Variants to compare' })).toContainText('MNIST');

  // 375 px: the same screens, for a look (screens.spec checks nothing scrolls sideways).
  await page.setViewportSize({ width: 375, height: 812 });
  await go(page, 'compare');
  await expect(page.getByTestId('device-group').first()).toBeVisible();
  await shot(page, 'compare-375');
  await go(page, 'models');
  await shot(page, 'models-375');
});
