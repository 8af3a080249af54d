/**
 * Bringing your own model in the browser: an ONNX file written by the ONNX
 * project's Python API in tf2onnx's layout (scripts/fixtures/make-trained-onnx.py)
 * and a model.json + shard that TensorFlow.js itself built, trained and saved
 * (picked as files, and dropped on the import row).
 * Each is imported through Models → Import (the input convention found on
 * training images), the ONNX one is then pruned and quantized to int8, and
 * its result row appears in Compare.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect, go, openLab, shot, test } from './fixtures.ts';
import { saveArtifacts, toFiles, trainedMlp } from '../src/import/tfjs/test-helpers.ts';

let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lab-e2e-import-'));
  try {
    execFileSync('/usr/bin/python3', ['scripts/fixtures/make-trained-onnx.py', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`building the ONNX fixtures failed (needs Debian python3-onnx and python3-numpy): ${String((e as { stderr?: Buffer }).stderr ?? e)}`, {
      cause: e,
    });
  }
  // A small Keras-style MLP, trained by TF.js on 2,000 MNIST images and saved by TF.js (model.json + one shard).
  const model = await trainedMlp(tf, 64, 2000, 3);
  for (const f of toFiles(await saveArtifacts(tf, model))) writeFileSync(join(dir, f.name), f.bytes);
  model.dispose();
});
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('import an ONNX file and a TF.js model.json with its shard; prune + int8 the imported model; its row in Compare', async ({ page }) => {
  test.setTimeout(480_000);
  await openLab(page);
  await go(page, 'models');
  const rows = page.getByTestId('model-row');
  const before = await rows.count();

  const onnx = join(dir, 'lenet-300-100-symmetric.onnx');
  await page.getByTestId('import-model').setInputFiles({ name: 'my-mlp.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(onnx) });
  const ok = page.getByTestId('import-ok');
  await expect(ok).toContainText('Imported my-mlp from ONNX', { timeout: 180_000 });
  await expect(ok).toContainText("input convention 'symmetric'");
  await expect(rows).toHaveCount(before + 1);
  await shot(page, 'import-onnx');
  // Model view says what the first layer sees.
  await rows.filter({ hasText: 'my-mlp' }).getByRole('button', { name: /^View/ }).click();
  await expect(page.getByTestId('input-map')).toContainText('(x − 0.5) / 0.5', { timeout: 60_000 });
  await expect(page.getByTestId('input-map')).toContainText('Chosen at import');
  await shot(page, 'import-model-view');
  await go(page, 'models');

  // TF.js: model.json and its shard dropped together on the import row.
  const files = readdirJson(dir).map((name) => ({ name, bytes: Array.from(readFileSync(join(dir, name))) }));
  const dropped = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, files);
  await page.getByTestId('import-drop').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(ok).toContainText('from TensorFlow.js', { timeout: 180_000 });
  await expect(ok).toContainText("input convention 'unit'");
  await expect(rows).toHaveCount(before + 2);

  // A model.json without its shard: a clear error naming the shard, nothing stored.
  await page.getByTestId('import-model').setInputFiles({ name: 'model.json', mimeType: 'application/json', buffer: readFileSync(join(dir, 'model.json')) });
  await expect(page.getByTestId('import-error')).toContainText('Nothing was stored', { timeout: 60_000 });
  await expect(page.getByTestId('import-error')).toContainText('.bin');
  await expect(rows).toHaveCount(before + 2);

  await go(page, 'compress');
  const source = page.getByTestId('source-select');
  const values = await source.locator('option').evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })));
  const mine = values.find((o) => o.text.includes('my-mlp'));
  expect(mine, `the imported model among ${values.map((o) => o.text).join(', ')}`).toBeTruthy();
  await source.selectOption(mine!.value);
  for (const pass of ['prune', 'int8']) {
    await page.getByTestId('add-pass-select').selectOption(pass);
    await page.getByTestId('add-pass').click();
  }
  await page.getByTestId('limit-select').selectOption('1000');
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('runs as int8', { timeout: 180_000 });
  await expect(page.getByTestId('compress-done')).toContainText('Accuracy', { timeout: 180_000 });

  await go(page, 'compare');
  const row = page.getByTestId('result-row').filter({ hasText: 'my-mlp' }).filter({ hasText: 'int8' });
  await expect(row).toHaveCount(1);
  const acc = Number(/(\d+\.\d+) %/.exec(await row.innerText())?.[1]);
  expect(acc, await row.innerText()).toBeGreaterThan(90);
  await shot(page, 'import-compare');
});

function readdirJson(d: string): string[] {
  const manifest = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  return ['model.json', ...manifest.weightsManifest.flatMap((g) => g.paths).map((p) => p.replace(/^\.\//, ''))];
}
