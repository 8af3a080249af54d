/**
 * Weights you can see: the Model view pictures a compressed variant beside
 * the bundled model it was made from — histograms with the stored levels,
 * sparsity masks, the first conv layer's filters, bytes per layer — with the
 * numbers the engine measured in the captions, at 1280 px and at 375 px.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, go, openLab, shot, test } from './fixtures.ts';

const LENET = 'bundled:lenet5.safetensors';
const SPARSITY = 0.8;
const LAYERS = ['conv1', 'conv2', 'fc1', 'fc2'];

/** Pixels a canvas painted (alpha > 0): a blank canvas has none. */
function painted(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
}

async function num(l: Locator, attr: string): Promise<number> {
  return Number(await l.getAttribute(attr));
}

async function makeVariant(page: Page, passes: string[]): Promise<void> {
  await go(page, 'compress');
  await page.getByTestId('source-select').selectOption(LENET);
  // The draft pipeline outlives a run: start from an empty one.
  const steps = page.getByTestId('step');
  while ((await steps.count()) > 0) await page.locator('#remove-0').click();
  for (const pass of passes) {
    await page.getByTestId('add-pass-select').selectOption(pass);
    await page.getByTestId('add-pass').click();
  }
  const sparsity = page.locator('#s0-sparsity');
  await sparsity.fill(String(SPARSITY));
  await sparsity.dispatchEvent('change');
  await page.locator('#measure-after').uncheck();
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText(`${passes.join('+')}`, { timeout: 90_000 });
}

async function openVariant(page: Page, name: string): Promise<void> {
  await go(page, 'model');
  const select = page.getByTestId('variant-select');
  const label = await select.locator('option', { hasText: name }).first().textContent();
  await select.selectOption({ label: label!.trim() });
}

test('the Model view pictures a pruned + k-means LeNet-5 beside the bundled one, with the measured numbers', async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await openLab(page);
  await makeVariant(page, ['prune', 'kmeans']);

  await openVariant(page, 'lenet5 → prune+kmeans');
  const layers = page.getByTestId('weights-layer');
  await expect(layers).toHaveCount(LAYERS.length, { timeout: 60_000 });

  const table = page.getByTestId('layer-table');
  for (const [i, layer] of LAYERS.entries()) {
    const box = layers.nth(i);
    await expect(box).toHaveAttribute('data-layer', layer);
    const mine = box.getByTestId('pictures-variant');
    const theirs = box.getByTestId('pictures-parent');
    await expect(theirs).toContainText('lenet5');

    // Histogram: the pruned zeros are counted apart and are the variant's sparsity (prune per layer: round(s · n) exactly).
    const cap = mine.getByTestId('hist-caption');
    const total = await num(cap, 'data-total');
    const zeros = await num(cap, 'data-zeros');
    expect(zeros, layer).toBe(Math.round(SPARSITY * total));
    expect(await num(cap, 'data-nonzero')).toBe(total - zeros);
    await expect(cap).toContainText(`(${(SPARSITY * 100).toFixed(1)} %)`);
    // k-means 5 bits: at most 32 levels (+ the pruned 0), drawn on the histogram.
    const levels = await num(cap, 'data-levels');
    expect(levels).toBeGreaterThan(1);
    expect(levels).toBeLessThanOrEqual(33);
    await expect(cap).toContainText('codebook');
    const parentCap = theirs.getByTestId('hist-caption');
    expect(await num(parentCap, 'data-zeros')).toBe(0);
    expect(await num(parentCap, 'data-total')).toBe(total);
    await expect(parentCap).toContainText('fp32: any value, no levels');

    // The table agrees: params = weights + biases, non-zero = kept weights + non-zero biases.
    const row = table.locator('tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${layer}$`) }) });
    const cells = row.locator('td');
    const params = Number((await cells.nth(3).textContent())!.replace(/,/g, ''));
    const nonZero = Number((await cells.nth(4).textContent())!.replace(/,/g, ''));
    const biases = params - total;
    expect(biases).toBeGreaterThan(0);
    expect(nonZero).toBeGreaterThanOrEqual(total - zeros);
    expect(nonZero).toBeLessThanOrEqual(total - zeros + biases);
    // Stored bytes: the stacked bar's total is the table's "Stored" (same formatting).
    const stored = (await cells.nth(7).textContent())!.trim();
    await expect(mine.getByTestId('bytes-caption')).toContainText(`${stored} stored`);
    await expect(mine.getByTestId('bytes-caption')).toContainText('codebook');

    // Mask: kept = the non-zero count; painted.
    expect(await num(mine.getByTestId('mask-caption'), 'data-kept')).toBe(total - zeros);
    await expect(mine.getByTestId('mask-caption')).toContainText(`${((1 - SPARSITY) * 100).toFixed(1)} % of weights kept`);
    for (const id of ['histogram', 'mask', 'bytes-bar']) {
      const canvas = mine.getByTestId(id);
      await expect(canvas).toHaveAttribute('aria-label', /\d/);
      expect(await painted(canvas), `${layer} ${id}`).toBeGreaterThan(50);
      expect(await painted(theirs.getByTestId(id)), `${layer} parent ${id}`).toBeGreaterThan(50);
    }
  }

  // First conv layer's filters: 20 of 5 × 5, round(0.8 · 500) of them zero in the variant, none in the parent.
  const filters = page.getByTestId('filters-variant');
  await expect(filters).toHaveAttribute('data-filters', '20');
  await expect(filters).toHaveAttribute('data-zeros', String(Math.round(SPARSITY * 500)));
  await expect(page.getByTestId('filters-parent')).toHaveAttribute('data-zeros', '0');
  expect(await painted(filters.getByTestId('filters'))).toBeGreaterThan(20 * 25);
  await expect(filters.getByTestId('filters')).toHaveAttribute('aria-label', /20 filters of conv1/);

  // Side by side at 1280 px.
  const first = layers.first();
  const a = (await first.getByTestId('pictures-variant').boundingBox())!;
  const b = (await first.getByTestId('pictures-parent').boundingBox())!;
  expect(Math.abs(a.y - b.y)).toBeLessThan(2);
  expect(b.x).toBeGreaterThan(a.x + a.width - 1);
  await page.getByTestId('first-conv').scrollIntoViewIfNeeded();
  await shot(page, 'weights-1280');

  // Stacked at 375 px, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  await expect(async () => {
    const c = (await first.getByTestId('pictures-variant').boundingBox())!;
    const d = (await first.getByTestId('pictures-parent').boundingBox())!;
    expect(d.y).toBeGreaterThanOrEqual(c.y + c.height - 1);
    expect(c.width).toBeLessThanOrEqual(375);
  }).toPass();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow).toBeLessThanOrEqual(375);
  expect(await painted(first.getByTestId('pictures-parent').getByTestId('histogram'))).toBeGreaterThan(50);
  await shot(page, 'weights-375');

  // An int8 variant: its histogram carries the int8 grid it stores (255 levels, a step per output channel) as ticks.
  await page.setViewportSize({ width: 1280, height: 900 });
  await makeVariant(page, ['prune', 'int8']);
  await openVariant(page, 'lenet5 → prune+int8');
  const fc1 = page.locator('[data-testid="weights-layer"][data-layer="fc1"]');
  const cap = fc1.getByTestId('pictures-variant').getByTestId('hist-caption');
  await expect(cap).toContainText('int8 grid of 255 levels', { timeout: 60_000 });
  await expect(cap).toContainText('one per output channel, 500');
  await expect(cap).toHaveAttribute('data-levels', '255');
  // The pruned weights plus those int8 rounds to 0: at least round(s · n) zeros, and the table's non-zero count agrees.
  const zeros = await num(cap, 'data-zeros');
  const total = await num(cap, 'data-total');
  expect(zeros).toBeGreaterThanOrEqual(Math.round(SPARSITY * total));
  const row = page
    .getByTestId('layer-table')
    .locator('tbody tr')
    .filter({ has: page.locator('td:first-child', { hasText: /^fc1$/ }) });
  const nonZero = Number((await row.locator('td').nth(4).textContent())!.replace(/,/g, ''));
  expect(nonZero - (total - zeros)).toBeGreaterThanOrEqual(0);
  expect(nonZero - (total - zeros)).toBeLessThanOrEqual(500);
  await expect(fc1.getByTestId('pictures-variant')).toContainText('int8, a scale per channel');
  await expect(fc1.getByTestId('pictures-variant').getByTestId('bytes-caption')).toContainText('header');
  await fc1.scrollIntoViewIfNeeded();
  await shot(page, 'weights-int8-1280');
});
