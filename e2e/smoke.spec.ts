import { expect, go, openLab, test } from './fixtures.ts';

test('the app page opens and WebGPU gives an adapter', async ({ page }) => {
  await openLab(page);
  await expect(page.getByRole('heading', { name: 'Compression Lab', level: 1 })).toBeVisible();

  // Directly in the page: the browser itself must offer an adapter.
  const adapter = await page.evaluate(async () => {
    if (!('gpu' in navigator)) return { ok: false, why: 'navigator.gpu is undefined' };
    const a = await navigator.gpu.requestAdapter();
    return a ? { ok: true, features: [...a.features] } : { ok: false, why: 'requestAdapter() returned null' };
  });
  expect(adapter, JSON.stringify(adapter)).toMatchObject({ ok: true });

  // Through the lab: the worker acquired a device and the Device screen reports it.
  await expect(page.getByTestId('adapter')).toBeVisible();
  await expect(page.getByTestId('adapter-name')).not.toBeEmpty();
  await go(page, 'model');
  await expect(page.getByTestId('layer-table')).toContainText('431,080');
});
