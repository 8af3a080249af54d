/**
 * Models → Export: the panel lists every download of a variant with the size
 * measured by writing it, the lab file's beside it, and what each format
 * keeps and loses; the ONNX file and the TF.js zip are downloaded and checked
 * (the shown size is the file's, the ONNX decodes with an NCHW
 * [N, 1, 28, 28] input, the zip holds model.json and the shard its manifest
 * names). A prune + int8 variant also offers the int8 ONNX, ~4× smaller.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { Locator, Page } from '@playwright/test';
import { expect, go, openLab, shot, test } from './fixtures.ts';
import { decodeOnnx } from '../src/import/onnx/schema.ts';

const LENET = 'bundled:lenet5.safetensors';

/** Clicks the option's Download button and returns the saved file's name and bytes. */
async function downloadOption(page: Page, option: Locator): Promise<{ name: string; bytes: Uint8Array }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), option.getByTestId('export-download').click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: new Uint8Array(readFileSync(path)) };
}

/** The option's measured size, once it is shown (data-bytes, and the same number in its text). */
async function shownBytes(option: Locator): Promise<number> {
  const size = option.getByTestId('export-size');
  await expect(size).toHaveAttribute('data-bytes', /^\d+$/, { timeout: 60_000 });
  const n = Number(await size.getAttribute('data-bytes'));
  await expect(size).toContainText(`${n.toLocaleString('en-US')} B`);
  return n;
}

test('export LeNet-5 as ONNX and a TF.js zip with their sizes shown first; an int8 variant adds the int8 ONNX', async ({ page }) => {
  test.setTimeout(180_000);
  await openLab(page);
  await go(page, 'models');
  const row = page.locator(`[data-testid="model-row"][data-model-id="${LENET}"]`);
  await expect(row).toHaveCount(1);
  await row.getByTestId('export').click();
  const panel = page.getByTestId('export-panel');
  await expect(panel).toBeVisible();
  await expect(row.getByTestId('export')).toHaveAttribute('aria-expanded', 'true');
  const options = panel.getByTestId('export-option');
  await expect(options).toHaveCount(5);
  expect(await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-format')))).toEqual([
    'safetensors',
    'onnx',
    'tfjs',
    'tfjs-uint8',
    'tfjs-float16',
  ]);
  // A float variant: no int8 ONNX, and the panel says how to get one.
  await expect(panel.getByTestId('export-int8-hint')).toBeVisible();

  const option = (format: string): Locator => panel.locator(`[data-testid="export-option"][data-format="${format}"]`);
  const onnx = option('onnx');
  const onnxBytes = await shownBytes(onnx);
  expect(onnxBytes).toBe(1_725_826);
  const labBytes = Number(await panel.getByTestId('export-lab-size').getAttribute('data-bytes'));
  expect(await shownBytes(option('safetensors'))).toBe(labBytes);
  await expect(onnx).toContainText('match the lab’s float engine');
  for (const f of ['tfjs', 'tfjs-uint8', 'tfjs-float16']) await shownBytes(option(f));
  await expect(panel.getByTestId('export-progress')).toHaveCount(0);
  await expect(panel.getByTestId('export-error')).toHaveCount(0);
  await shot(page, 'export-panel');

  // ONNX: the shown size is the file's; a ModelProto whose input is NCHW [N, 1, 28, 28].
  const o = await downloadOption(page, onnx);
  expect(o.name).toBe('lenet5.onnx');
  expect(o.bytes.length).toBe(onnxBytes);
  const proto = decodeOnnx(o.bytes);
  const dims = proto.graph.input[0].type?.tensorType?.shape?.dim ?? [];
  expect(dims.map((d) => d.dimParam ?? d.dimValue)).toEqual(['N', 1, 28, 28]);

  // TF.js: one zip, model.json and the shard its manifest names, of the size the manifest implies.
  const tfjs = option('tfjs');
  const z = await downloadOption(page, tfjs);
  expect(z.name).toBe('lenet5.tfjs.zip');
  expect(z.bytes.length).toBe(await shownBytes(tfjs));
  const files = unzipSync(z.bytes);
  const manifest = JSON.parse(new TextDecoder().decode(files['model.json'])) as {
    format: string;
    weightsManifest: { paths: string[]; weights: { shape: number[]; dtype: string }[] }[];
  };
  expect(manifest.format).toBe('layers-model');
  const paths = manifest.weightsManifest.flatMap((g) => g.paths);
  expect(Object.keys(files).sort()).toEqual(['model.json', ...paths].sort());
  expect(paths.every((p) => p.endsWith('.bin'))).toBe(true);
  const want = manifest.weightsManifest.flatMap((g) => g.weights).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  expect(paths.reduce((s, p) => s + files[p].length, 0)).toBe(want);

  await panel.getByTestId('export-close').click();
  await expect(panel).toHaveCount(0);

  // prune + int8 of the same model (no measurement afterwards): its panel adds the int8 ONNX.
  await go(page, 'compress');
  await page.getByTestId('source-select').selectOption(LENET);
  for (const pass of ['prune', 'int8']) {
    await page.getByTestId('add-pass-select').selectOption(pass);
    await page.getByTestId('add-pass').click();
  }
  await page.locator('#measure-after').uncheck();
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-done')).toContainText('runs as int8', { timeout: 90_000 });
  await go(page, 'models');
  const variant = page.getByTestId('model-row').filter({ hasText: 'lenet5 → prune+int8' });
  await expect(variant).toHaveCount(1);
  await variant.getByTestId('export').click();
  const int8 = option('onnx-int8');
  await expect(int8).toHaveCount(1);
  await expect(panel.getByTestId('export-int8-hint')).toHaveCount(0);
  const int8Bytes = await shownBytes(int8);
  const fp32Bytes = await shownBytes(option('onnx'));
  await expect(int8).toContainText('calibrated on 256 training images');
  await shot(page, 'export-panel-int8');
  const q = await downloadOption(page, int8);
  expect(q.name).toMatch(/\.int8\.onnx$/);
  expect(q.bytes.length).toBe(int8Bytes);
  const ratio = fp32Bytes / int8Bytes;
  expect(ratio, `fp32 ${fp32Bytes} B / int8 ${int8Bytes} B`).toBeGreaterThan(3.5);
  expect(ratio).toBeLessThan(4.2);
  expect(decodeOnnx(q.bytes).graph.node.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
});
