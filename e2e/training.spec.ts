/**
 * GPU training in the browser worker: a pipeline with a fine-tune step, and
 * cancelling one. Kept tiny for SwiftShader (dense-only LeNet-300-100, 256
 * images in batches of 64 for the run that finishes).
 */
import { expect, go, openLab, pickLenet300, shot, test, textSeen } from './fixtures.ts';
import type { Page } from '@playwright/test';

async function addPass(page: Page, pass: string): Promise<void> {
  await page.getByTestId('add-pass-select').selectOption(pass);
  await page.getByTestId('add-pass').click();
}

/** Sets an option of pipeline step `i` through its labelled control, as a keyboard user would (type, then Tab commits). */
async function setOption(page: Page, i: number, key: string, value: string): Promise<void> {
  const input = page.getByTestId('step').nth(i).getByLabel(key, { exact: true });
  await input.fill(value);
  await input.press('Tab');
  await expect(input).toHaveValue(value);
}

test('prune + fine-tune a bundled model on the GPU in the worker: stored, measured, its result row in Compare', async ({ page }) => {
  test.setTimeout(480_000);
  await openLab(page);
  await go(page, 'compress');
  await pickLenet300(page);
  await addPass(page, 'prune');
  await addPass(page, 'finetune');
  await expect(page.getByTestId('step')).toHaveCount(2);
  await expect(page.getByTestId('training-note')).toBeVisible();
  await setOption(page, 0, 'sparsity', '0.8');
  await setOption(page, 1, 'limit', '256');
  await setOption(page, 1, 'batch', '64');
  await page.getByTestId('limit-select').selectOption('1000');
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('runs as fp32', { timeout: 300_000 });
  await expect(page.getByTestId('compress-done')).toContainText('Accuracy', { timeout: 180_000 });
  // The fine-tune's curve stays on the screen: its one step group (4 steps) and its epoch's accuracy on 2,000 test images.
  const curves = page.getByTestId('compress-curves');
  await expect(curves).toHaveAttribute('data-steps', '1');
  await expect(curves).toHaveAttribute('data-epochs', '1');
  await expect(curves.getByTestId('curve-summary')).toContainText(
    /Loss \d+\.\d{4} at step 4 \(epoch 1.*test accuracy [\d.]+ % on 2,000 test images after epoch 1/,
  );
  await shot(page, 'finetune-done');

  await go(page, 'compare');
  const row = page.getByTestId('result-row').filter({ hasText: 'prune+finetune' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('/ 1,000');
  // 80 % of the weights pruned, then 4 SGD steps: a trained model stays far above chance (10 %);
  // a fine-tuner that scrambled the weights or ignored the masks' zeros would not.
  const accuracy = await row.locator('td').nth(2).innerText();
  expect(Number.parseFloat(accuracy), `accuracy cell '${accuracy}'`).toBeGreaterThan(90);
  await expect(row).not.toContainText('untrained');
  await shot(page, 'finetune-compare');

  // The variant records the pipeline it came from.
  await go(page, 'models');
  await expect(page.getByTestId('model-row').filter({ hasText: 'prune+finetune' })).toContainText('Fine-tuning');
});

test('a running fine-tune can be cancelled: the job ends as cancelled and nothing is stored', async ({ page }) => {
  test.setTimeout(420_000);
  await openLab(page);
  await go(page, 'models');
  const before = await page.getByTestId('model-row').count();
  expect(before).toBeGreaterThan(0);
  await go(page, 'compress');
  await pickLenet300(page);
  await addPass(page, 'finetune');
  // All 60,000 training images: far longer than the test waits, so it is cancelled mid-epoch.
  await setOption(page, 0, 'limit', '0');
  await page.getByLabel('Measure it afterwards on').uncheck();
  await page.getByTestId('run-pipeline').click();
  // Training has really started (kernels compiled, batches running on the GPU) before the cancel.
  await expect(page.getByTestId('compress-progress')).toContainText(/epoch 1\/1, batch \d+\/937/, { timeout: 240_000 });
  // Training goes on while the user looks elsewhere; back on Compress its progress shows again, still moving.
  const batchOf = async (): Promise<number> => Number(/batch (\d+)\/937/.exec(await page.getByTestId('compress-progress').innerText())?.[1]);
  const seen = await batchOf();
  await go(page, 'models');
  await go(page, 'compress');
  await expect(page.getByTestId('compress-progress')).toBeVisible();
  await expect.poll(batchOf, { timeout: 120_000 }).toBeGreaterThan(seen);
  await shot(page, 'finetune-running');
  const t0 = Date.now();
  await page.getByTestId('compress-cancel').click();
  await expect(page.getByTestId('compress-cancelled')).toBeVisible({ timeout: 10_000 });
  expect(Date.now() - t0, 'cancel answers promptly').toBeLessThan(10_000);
  await expect(page.getByTestId('compress-done')).toHaveCount(0);
  await expect(page.getByTestId('compress-progress')).toHaveCount(0);
  await shot(page, 'finetune-cancelled');

  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
  // Nothing reached IndexedDB either: a reload lists the same variants.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
});

test('train a model from scratch in the worker: progress per batch, test accuracy, stored as a new variant', async ({ page }) => {
  test.setTimeout(480_000);
  await openLab(page);
  await go(page, 'models');
  const rows = page.getByTestId('model-row');
  const before = await rows.count();
  await page.getByTestId('train-arch').selectOption('lenet-300-100');
  // 1,024 images in batches of 64: 16 Adam steps, enough to leave chance (10 %) far behind.
  for (const [id, v] of [
    ['train-epochs', '1'],
    ['train-images', '1024'],
  ] as const) {
    await page.getByTestId(id).fill(v);
    await page.getByTestId(id).press('Tab');
  }
  await page.getByTestId('train-test').selectOption('1000');
  // The first progress event follows the first submitted chunk of steps, i.e.
  // after SwiftShader has compiled every training pipeline (> 120 s in one CI
  // run); with 16 steps per submit it can also be the last, shown only while
  // the test set is scored, so the text is watched frame by frame.
  const progress = textSeen(page, 'train-progress', /Training: epoch 1\/1, batch \d+\/16|Testing: epoch 1\/1/, 240_000);
  await page.getByTestId('train-run').click();
  await progress;
  const done = page.getByTestId('train-done');
  await expect(done).toContainText('test accuracy', { timeout: 240_000 });
  await expect(done).toContainText('on 1,000 images after 1 epoch');
  const acc = Number(/test accuracy ([\d.]+) %/.exec(await done.innerText())?.[1]);
  expect(acc, await done.innerText()).toBeGreaterThan(50);
  await shot(page, 'train-done');
  await expect(rows).toHaveCount(before + 1);
  const made = rows.filter({ hasText: 'lenet-300-100 trained (1 epoch, 1024 images)' });
  await expect(made).toHaveCount(1);
  await expect(made).not.toContainText('untrained');
  await expect(made).toContainText('user');
});

test('distillation: without a teacher a clear error and nothing stored; with a stored variant as teacher a result row', async ({ page }) => {
  test.setTimeout(480_000);
  await openLab(page);
  await go(page, 'models');
  const before = await page.getByTestId('model-row').count();
  await go(page, 'compress');
  await pickLenet300(page);
  await addPass(page, 'prune');
  await addPass(page, 'distill');
  await setOption(page, 0, 'sparsity', '0.8');
  await setOption(page, 1, 'limit', '256');
  await page.getByTestId('limit-select').selectOption('1000');

  // No teacher chosen: refused before any work, naming the step.
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-error')).toContainText('step 2 (Knowledge distillation): choose a teacher among the stored variants');
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);

  // The teacher: the bundled (unpruned) LeNet-300-100, picked from the stored variants.
  await go(page, 'compress');
  await expect(page.getByTestId('step')).toHaveCount(2);
  const teacher = page.getByTestId('step').nth(1).getByLabel('teacher', { exact: true });
  const options = await teacher.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  await teacher.selectOption(options.find((v) => v.startsWith('bundled:') && v.includes('300'))!);
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('Accuracy', { timeout: 420_000 });
  await shot(page, 'distill-done');
  await go(page, 'compare');
  const row = page.getByTestId('result-row').filter({ hasText: 'prune+distill' });
  await expect(row).toHaveCount(1);
  const accuracy = await row.locator('td').nth(2).innerText();
  expect(Number.parseFloat(accuracy), `accuracy cell '${accuracy}'`).toBeGreaterThan(90);
  await go(page, 'models');
  await expect(page.getByTestId('model-row').filter({ hasText: 'prune+distill' })).toContainText('Knowledge distillation');
});
