import { chooseVariants, expect, go, openLab, pickLenet300, shot, test } from './fixtures.ts';

/**
 * Try it → "Inside the network": a test digit through LeNet-300-100 (fp32)
 * and its int8 child, each layer's outputs side by side with their
 * difference. Dense-only on purpose: on SwiftShader under load, compiling
 * LeNet-5's conv kernels takes minutes.
 */

test('a test digit through fp32 and int8 LeNet-300-100: every layer of both, and a difference row', async ({ page }) => {
  test.setTimeout(480_000);
  await openLab(page);

  // An int8 child of the bundled LeNet-300-100, made the way a user makes one.
  await go(page, 'compress');
  const pick = await pickLenet300(page);
  await page.getByTestId('add-pass-select').selectOption('int8');
  await page.getByTestId('add-pass').click();
  await page.getByTestId('limit-select').selectOption('1000');
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('runs as int8', { timeout: 180_000 });

  await go(page, 'try');
  await chooseVariants(page, /lenet-300-100/);
  // No image yet: nothing to show.
  await expect(page.getByTestId('show-activations')).toBeDisabled();
  await page.getByLabel('Show', { exact: true }).selectOption('all');
  await page.getByTestId('scan').click();
  const first = page.getByRole('button', { name: /^Test image 0,/ });
  await expect(first).toBeVisible({ timeout: 120_000 });
  await first.click();
  await expect(page.getByTestId('prediction')).toHaveCount(2, { timeout: 60_000 });

  // B defaults to A's int8 child.
  const a = await page.getByTestId('act-pick-a').inputValue();
  const b = await page.getByTestId('act-pick-b').inputValue();
  expect(a).toBe(pick);
  expect(b).not.toBe('');
  await expect(page.getByTestId('act-pick-b').locator('option:checked')).toContainText('(int8)');

  await page.getByTestId('show-activations').click();
  const view = page.getByTestId('activations');
  await expect(view).toBeVisible({ timeout: 120_000 });
  await expect(view.getByTestId('act-variant-a')).toContainText('GPU float executor');
  await expect(view.getByTestId('act-variant-b')).toContainText('CPU integer reference');
  // Each side's last row is checked against its own prediction (int8: bit for bit).
  await expect(view.getByTestId('act-variant-b')).toContainText("equals the prediction's logits");

  // input, fc1 + relu1, fc2 + relu2, fc3: both variants and a difference on every row.
  const layers = view.getByTestId('act-layer');
  await expect(layers).toHaveCount(4);
  for (const [i, shape] of [
    [0, '[28, 28, 1]'],
    [1, '[300]'],
    [2, '[100]'],
    [3, '[10]'],
  ] as const) {
    const row = layers.nth(i);
    await expect(row.getByRole('heading')).toContainText(shape);
    await expect(row.getByTestId('act-a').getByRole('img')).toHaveAttribute('aria-label', new RegExp(`under A .*shape \\${shape.replace(']', '\\]')}, values`));
    await expect(row.getByTestId('act-b').getByRole('img')).toHaveAttribute('aria-label', /under B .*int8/);
    await expect(row.getByTestId('act-diff').getByRole('img')).toHaveAttribute('aria-label', /difference B − A: .*max \|B − A\| \S+, relative error/);
    await expect(row.getByTestId('act-diff-stats')).toContainText(/max \|B − A\| [0-9.e−]+ \([0-9.e−]+ steps\) · relative error\s+[0-9.e−]+ %/);
  }
  await expect(layers.nth(3).getByTestId('act-diff-stats')).toContainText(/class \d \/ \d/);
  // The summary table: one line per layer.
  await expect(view.getByTestId('act-table').locator('tbody tr')).toHaveCount(4);

  // The pictures are drawn (not blank canvases).
  const inked = await layers
    .nth(1)
    .getByTestId('act-a')
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
  expect(inked).toBeGreaterThan(100);
  await view.scrollIntoViewIfNeeded();
  await shot(page, 'activations-1280');

  // Choosing no B shows A alone; choosing it again brings the difference back.
  await page.getByTestId('act-pick-b').selectOption('');
  await expect(view.getByTestId('act-diff')).toHaveCount(0, { timeout: 60_000 });
  await expect(layers).toHaveCount(4);
  await page.getByTestId('act-pick-b').selectOption(b);
  await expect(view.getByTestId('act-diff')).toHaveCount(4, { timeout: 120_000 });

  // The int8 child as A: B becomes its parent, and the view follows the new pick by itself.
  await page.getByTestId('act-pick-a').selectOption(b);
  await expect(page.getByTestId('act-pick-b')).toHaveValue(pick);
  await expect(view.getByTestId('act-variant-a')).toContainText('CPU integer reference', { timeout: 120_000 });
  await expect(view.getByTestId('act-variant-b')).toContainText('GPU float executor');
  await expect(view.getByTestId('act-diff')).toHaveCount(4);

  // Phone width: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'the Try-it screen is wider than the phone').toBeLessThanOrEqual(1);
  // The layer table fits too (as cards): no sideways scrolling inside its box, where the page check cannot see it.
  const table = view.getByTestId('act-table');
  expect(await table.evaluate((t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth), 'the layer table scrolls sideways').toBeLessThanOrEqual(1);
  const boxes = await Promise.all(['act-a', 'act-b', 'act-diff'].map((id) => layers.nth(1).getByTestId(id).boundingBox()));
  expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y + boxes[0]!.height - 1);
  expect(boxes[2]!.y).toBeGreaterThan(boxes[1]!.y + boxes[1]!.height - 1);
  await shot(page, 'activations-375');
});
