/**
 * Live training curves: a short training run from scratch (dense-only
 * LeNet-300-100, 2,048 images in batches of 64 = two step groups of 16 per
 * epoch, 2 epochs, tested on 1,000 images) plots its loss while it runs, keeps
 * the plot when it ends, and the stored variant shows the same curves in the
 * Model view after a reload — also at phone width.
 */
import { expect, go, openLab, shot, test } from './fixtures.ts';
import type { Page } from '@playwright/test';

/** Resolves once the element `testId` (through open shadow roots) has `data-steps` ≥ 1 while `whileId` is on the page; checked every frame. */
function pointsWhileRunning(page: Page, testId: string, whileId: string, timeout: number): Promise<unknown> {
  return page.waitForFunction(
    ([id, running]) => {
      const find = (root: Document | ShadowRoot, sel: string): Element | null => {
        const hit = root.querySelector(sel);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot, sel) : null;
          if (inner) return inner;
        }
        return null;
      };
      const curves = find(document, `[data-testid="${id}"]`);
      const progress = find(document, `[data-testid="${running}"]`);
      return !!curves && !!progress && Number(curves.getAttribute('data-steps')) >= 1;
    },
    [testId, whileId] as const,
    { polling: 'raf', timeout },
  );
}

test('training from scratch plots loss and test accuracy while it runs; the stored variant keeps the curves after a reload', async ({ page }) => {
  test.setTimeout(600_000);
  await openLab(page);
  await go(page, 'models');
  await page.getByTestId('train-arch').selectOption('lenet-300-100');
  for (const [id, v] of [
    ['train-epochs', '2'],
    ['train-images', '2048'],
  ] as const) {
    await page.getByTestId(id).fill(v);
    await page.getByTestId(id).press('Tab');
  }
  await page.getByTestId('train-test').selectOption('1000');
  const live = pointsWhileRunning(page, 'train-curves', 'train-progress', 300_000);
  await page.getByTestId('train-run').click();
  // A loss point is drawn while the progress bar (and Cancel) is still there: the plot is live.
  await live;
  await expect(page.getByTestId('train-progress')).toBeVisible();
  await shot(page, 'curves-live');

  const done = page.getByTestId('train-done');
  await expect(done).toContainText('test accuracy', { timeout: 300_000 });
  // Finished: every step group and epoch is there, and the plot stays.
  const curves = page.getByTestId('train-curves');
  await expect(curves).toHaveAttribute('data-steps', '4');
  await expect(curves).toHaveAttribute('data-epochs', '2');
  const summary = curves.getByTestId('curve-summary');
  await expect(summary).toContainText(/Loss \d+\.\d{4} at step 64 \(epoch 2/);
  await expect(summary).toContainText('on 1,000 test images after epoch 2');
  await expect(summary).not.toContainText('so far');
  // Both charts were drawn, with legends that name their series and hold no "--" placeholder.
  await expect(curves.locator('canvas')).toHaveCount(2);
  const legend = await curves.locator('.u-legend').allInnerTexts();
  expect(legend.join(' ')).toContain('loss per step group');
  expect(legend.join(' ')).toContain('test accuracy');
  expect(legend.join(' ')).not.toContain('--');
  const accLine = /test accuracy ([\d.]+) %/.exec(await done.innerText())?.[1];
  await expect(summary).toContainText(`test accuracy ${accLine} %`);
  await shot(page, 'curves-done');

  // After a reload (the job's memory is gone) the variant's own record draws the same curves.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 120_000 });
  await go(page, 'model');
  await page.getByTestId('variant-select').selectOption({ label: 'lenet-300-100 trained (2 epochs, 2048 images) (MNIST)' });
  const stored = page.getByTestId('model-curves');
  await expect(stored).toHaveAttribute('data-steps', '4');
  await expect(stored).toHaveAttribute('data-epochs', '2');
  await expect(stored.getByTestId('curve-summary')).toContainText(`test accuracy ${accLine} % on 1,000 test images after epoch 2`);
  await shot(page, 'curves-model-view');

  // At 375 px the charts shrink to the screen: nothing wider than the page.
  await page.setViewportSize({ width: 375, height: 800 });
  await expect
    .poll(async () => Math.max(...(await stored.locator('canvas').evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().right)))))
    .toBeLessThanOrEqual(375);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await shot(page, 'curves-model-view-375');
});
