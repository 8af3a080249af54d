/**
 * Accessibility audit (issue 15, item 6): axe-core runs on every screen at
 * 1280 px and at 375 px and the test fails on any serious or critical
 * violation, listing each (rule, impact, the elements). axe-core is a
 * devDependency; its browser build (`axe.min.js`) is read from node_modules
 * and injected into the page. Screenshots of every screen at both widths land
 * in test-results/screens/a11y-<screen>-<width>.png, to look at.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { expect, go, openLab, shot, test } from './fixtures.ts';
import { resultsFile } from './results-file.ts';

function axeSource(): string {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve('axe-core/axe.min.js');
  } catch (e) {
    throw new Error('axe-core is not installed: it is a devDependency of the lab (package.json); run `npm ci` (or `npm i -D axe-core@4.14.1`).', { cause: e });
  }
  return readFileSync(path, 'utf8');
}

// The lab's CSP allows scripts from 'self' only; the audit's injected script is the one exception, for the test's page only.
test.use({ bypassCSP: true });

const SCREENS = ['device', 'experiment', 'models', 'model', 'compress', 'compare', 'try', 'share'] as const;

/** Serious and critical violations axe finds in the page as it is (through open shadow roots), one line each. */
async function audit(page: Page, where: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource() });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    interface AxeViolation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown[]; failureSummary?: string }[];
    }
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      nodes: v.nodes
        .slice(0, 4)
        .map((n) => `${JSON.stringify(n.target)}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`),
    }));
  });
  for (const v of found) console.log(`${where}: ${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${where}: ${v.impact} ${v.id} — ${v.help}: ${v.nodes.join('; ')}`);
}

test('axe: no serious or critical accessibility violation on any screen, at 1280 px and at 375 px', async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await openLab(page);
  // Results from two devices, so Compare shows its table, groups and charts.
  await go(page, 'share');
  await page.getByTestId('import-results').setInputFiles({
    name: 'r.json',
    mimeType: 'application/json',
    buffer: Buffer.from(resultsFile('Ada', ['Pixel 8 · Mali-G715', 'MacBook Air · Apple M2'])),
  });
  await expect(page.getByTestId('share-ok')).toBeVisible();
  // A pipeline with a compression and a training step (the teacher picker), as a user builds one.
  await go(page, 'compress');
  for (const pass of ['prune', 'distill']) {
    await page.getByTestId('add-pass-select').selectOption(pass);
    await page.getByTestId('add-pass').click();
  }
  await expect(page.getByTestId('step')).toHaveCount(2);

  const problems: string[] = [];
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
    for (const s of SCREENS) {
      await go(page, s);
      if (s === 'model') await expect(page.getByTestId('layer-table')).toBeVisible({ timeout: 60_000 });
      if (s === 'compare') await expect(page.getByTestId('result-row')).toHaveCount(6);
      await shot(page, `a11y-${s}-${width}`);
      problems.push(...(await audit(page, `${s} at ${width} px`)));
    }
  }
  expect(problems).toEqual([]);
});

test('the audit catches a fault: an unlabelled button and text without contrast are reported', async ({ page }) => {
  await openLab(page);
  await page.evaluate(() => {
    const b = document.createElement('button');
    document.body.append(b);
    const p = document.createElement('p');
    p.textContent = 'faint text';
    p.style.color = '#eee';
    p.style.background = '#fff';
    document.body.append(p);
  });
  const found = await audit(page, 'probe');
  expect(found.some((f) => f.includes('button-name'))).toBe(true);
  expect(found.some((f) => f.includes('color-contrast'))).toBe(true);
});
