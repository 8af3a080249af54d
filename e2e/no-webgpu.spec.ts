import { expect, go, inOwnBrowser, openLab, shot, test } from './fixtures.ts';

test('without WebGPU: a clear page says what is missing, and CPU-reference accuracy still works', async ({ playwright }) => {
  test.setTimeout(240_000);
  // A browser with WebGPU switched off: no --enable-unsafe-webgpu (needed on Linux) and the Blink feature disabled.
  const base = test.info().project.use.launchOptions ?? {};
  const args = (base.args ?? []).filter((a) => a !== '--enable-unsafe-webgpu').concat('--disable-blink-features=WebGPU');
  await inOwnBrowser(playwright, { ...base, args }, async (page) => {
    await openLab(page);
    const adapter = await page.evaluate(async () => ('gpu' in navigator ? !!(await navigator.gpu.requestAdapter()) : false));
    expect(adapter, 'WebGPU should be off in this browser').toBe(false);
    const notice = page.getByTestId('no-webgpu');
    await expect(notice).toBeVisible();
    await expect(notice).toContainText('WebGPU is unavailable');
    await expect(notice).toContainText('How to enable it');
    await shot(page, 'no-webgpu');

    // Accuracy through the CPU reference, on a dense-only net so it is quick.
    await go(page, 'compare');
    const variants = await page
      .getByTestId('measure-select')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await page.getByTestId('measure-select').selectOption(variants.find((v) => v.includes('lenet-300-100'))!);
    await page.getByTestId('measure-limit').selectOption('1000');
    await page.getByTestId('measure-run').click();
    const row = page.getByTestId('result-row');
    await expect(row).toHaveCount(1, { timeout: 180_000 });
    await expect(row).toContainText('cpu');
    await expect(row).toContainText('CPU reference (no WebGPU)');
    await expect(row).toContainText('/ 1,000');
    await shot(page, 'no-webgpu-compare');

    // Training needs the GPU: a clear refusal, nothing stored.
    await go(page, 'models');
    const before = await page.getByTestId('model-row').count();
    await expect(page.getByTestId('train-run')).toBeDisabled();
    await expect(page.getByTestId('train-needs-gpu')).toHaveText('Training needs WebGPU.');
    await go(page, 'compress');
    await page.getByTestId('add-pass-select').selectOption('finetune');
    await page.getByTestId('add-pass').click();
    await page.getByTestId('run-pipeline').click();
    await expect(page.getByTestId('compress-error')).toContainText('Fine-tuning trains on the GPU, and WebGPU is not available in this browser');
    await go(page, 'models');
    await expect(page.getByTestId('model-row')).toHaveCount(before);
    await shot(page, 'no-webgpu-train');
  });
});
