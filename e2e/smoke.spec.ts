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
  // LeNet-5 (trained or its untrained stand-in): Deep Compression's 431,080 parameters.
  const ids = await page
    .getByTestId('variant-select')
    .locator('option')
    .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const lenet5 = ids.find((v) => /lenet5(?!-)/.test(v));
  expect(lenet5, `a LeNet-5 variant among ${ids.join(', ')}`).toBeDefined();
  await page.getByTestId('variant-select').selectOption(lenet5!);
  await expect(page.getByTestId('layer-table')).toContainText('431,080');
});
