/**
 * The Device screen's roofline, a quota error on save, importing shared
 * results (and the Compare table at phone width), and a keyboard /
 * labelling audit of every screen.
 */
import { SCREENS_DIR, expect, go, openLab, shot, test } from './fixtures.ts';
import { resultsFile } from './results-file.ts';
import type { Page, Worker } from '@playwright/test';
import { architecture } from '../src/model/architectures.ts';
import { initModel } from '../src/model/model.ts';
import { serializeModel } from '../src/model/format.ts';

/** The lab's dedicated worker (where every IndexedDB write happens). */
async function labWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().length, { message: 'the lab worker is running' }).toBeGreaterThan(0);
  return page.workers()[0];
}

test('Device: the int8 multiply chosen; measuring the roofline shows GFLOP/s, the int8 rate and GB/s, remembered after a reload', async ({ page }) => {
  test.setTimeout(300_000);
  await openLab(page);
  await expect(page.getByTestId('adapter')).toBeVisible();
  // The multiply the int8 executor really runs here (SwiftShader: exact f32, not dot4I8Packed), and no speed claim before measuring.
  await expect(page.getByTestId('int8-multiply')).toContainText('exact f32 outer product');
  await expect(page.getByTestId('int8-outlook')).toContainText('Measure to see');
  await expect(page.getByTestId('int8-outlook')).toContainText('cannot tell a hardware dot4I8Packed from an emulated one');
  await expect(page.getByTestId('roofline')).toHaveCount(0);
  await page.getByTestId('measure-roofline').click();
  await expect(page.getByTestId('roofline-progress')).toBeVisible();
  await shot(page, 'roofline-running');
  const roof = page.getByTestId('roofline');
  await expect(roof).toBeVisible({ timeout: 240_000 });
  const text = await roof.innerText();
  const gflops = Number(/([\d.]+) GFLOP\/s/.exec(text)?.[1]);
  const gbps = Number(/([\d.]+) GB\/s/.exec(text)?.[1]);
  expect(gflops, text).toBeGreaterThan(0);
  expect(gbps, text).toBeGreaterThan(0);
  // The int8 rate next to the f32 one, and what their ratio means.
  const int8 = Number(/([\d.]+) G int8-ops\/s/.exec(text)?.[1]);
  expect(int8, text).toBeGreaterThan(0);
  await expect(page.getByTestId('int8-outlook')).toContainText(/int8 (will not be faster|runs at about|matmuls run at)/);
  await expect(page.getByTestId('measure-roofline')).toHaveText('Measure again');
  await shot(page, 'roofline');
  // Remembered per adapter; the Model view's time estimates use it.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('roofline')).toContainText(`${gflops.toFixed(2)} GFLOP/s`);
  await go(page, 'model');
  await expect(page.getByTestId('layer-table')).toBeVisible();
  await expect(page.getByText('measured matmul speed')).toBeVisible();
});

test('a quota error while saving: a clear message, stored models unchanged', async ({ page }) => {
  test.setTimeout(240_000);
  await openLab(page);
  await go(page, 'models');
  const rows = page.getByTestId('model-row');
  const before = await rows.count();
  expect(before).toBeGreaterThan(0);

  // The browser refuses every write from now on, as it does when the origin's quota is used up.
  const worker = await labWorker(page);
  await worker.evaluate(() => {
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });

  // Saving an imported model file…
  const file = serializeModel(initModel(architecture('lenet-300-100'), 2));
  await page.getByTestId('import-model').setInputFiles({ name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(file) });
  const error = page.getByTestId('import-error');
  await expect(error).toContainText('Storage is full');
  await expect(error).toContainText('mine');
  await expect(error).toContainText('Nothing stored was changed');
  await expect(error).toContainText('Delete variants or results');
  await expect(rows).toHaveCount(before);
  await shot(page, 'quota-import');

  // … and saving a compressed variant.
  await go(page, 'compress');
  await page.getByTestId('add-pass-select').selectOption('prune');
  await page.getByTestId('add-pass').click();
  await page.getByLabel('Measure it afterwards on').uncheck();
  await page.getByTestId('run-pipeline').click();
  await expect(page.getByTestId('compress-error')).toContainText('Storage is full', { timeout: 120_000 });
  await expect(page.getByTestId('compress-error')).toContainText('Nothing stored was changed');
  await expect(page.getByTestId('compress-done')).toHaveCount(0);
  await shot(page, 'quota-compress');

  // Nothing reached IndexedDB: after a reload (a fresh worker) the same variants are listed.
  await page.reload();
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 60_000 });
  await go(page, 'models');
  await expect(page.getByTestId('model-row')).toHaveCount(before);
});

test('Share: import someone’s results; they appear in Compare, readable at phone width; a bad file is refused whole', async ({ page }) => {
  await openLab(page);
  await go(page, 'share');
  await page.getByTestId('import-results').setInputFiles({
    name: 'ada-results.json',
    mimeType: 'application/json',
    buffer: Buffer.from(resultsFile('Ada', ['Pixel 8 · Mali-G715', 'MacBook Air · Apple M2'])),
  });
  await expect(page.getByTestId('share-ok')).toContainText('Imported 6 results from ada-results.json');
  await shot(page, 'share-imported');

  await go(page, 'compare');
  const rows = page.getByTestId('result-row');
  await expect(rows).toHaveCount(6);
  await expect(rows.filter({ hasText: 'imported from Ada' })).toHaveCount(6);
  await expect(rows.filter({ hasText: 'Pixel 8' }).first()).toContainText('98.36');
  // GPU weight memory and the layers the sparse kernel ran travel with a shared result.
  const dc = rows.filter({ hasText: 'Pixel 8' }).filter({ hasText: 'prune+kmeans' });
  await expect(dc).toContainText('GPU ');
  await expect(dc).toContainText('sparse fc1, fc2');
  // At desktop width too, a wide table scrolls inside its box: the page itself does not.
  const desktopOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(desktopOverflow, 'Compare is wider than the window').toBeLessThanOrEqual(1);
  await shot(page, 'compare-imported');

  // A file with one bad record is refused whole: nothing of it is added.
  await go(page, 'share');
  const bad = JSON.parse(resultsFile('Bob', ['Laptop'])) as { results: { accuracy: number }[] };
  bad.results[1].accuracy = 1.5;
  await page.getByTestId('import-results').setInputFiles({ name: 'bob.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
  await expect(page.getByTestId('share-error')).toContainText('bob.json: result 2: "accuracy" must be in [0, 1]');
  await expect(page.getByTestId('share-error')).toContainText('Nothing was imported');
  await go(page, 'compare');
  await expect(rows).toHaveCount(6);

  // Phone width (375 px): the page does not scroll sideways; the table scrolls inside its own box.
  await page.setViewportSize({ width: 375, height: 812 });
  await go(page, 'compare');
  await expect(rows).toHaveCount(6);
  const layout = await page.evaluate(() => {
    const deep = (root: Document | ShadowRoot, sel: string): Element | null => {
      const hit = root.querySelector(sel);
      if (hit) return hit;
      for (const el of root.querySelectorAll('*')) {
        const found = el.shadowRoot ? deep(el.shadowRoot, sel) : null;
        if (found) return found;
      }
      return null;
    };
    const table = deep(document, '[data-testid="results-table"]') as HTMLElement;
    const box = table.parentElement!.getBoundingClientRect();
    return {
      pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      boxLeft: box.left,
      boxRight: box.right,
      viewport: window.innerWidth,
      boxScrolls: getComputedStyle(table.parentElement!).overflowX,
    };
  });
  expect(layout.pageOverflow, 'Compare is wider than the phone').toBeLessThanOrEqual(1);
  expect(layout.boxLeft).toBeGreaterThanOrEqual(0);
  expect(layout.boxRight).toBeLessThanOrEqual(layout.viewport);
  expect(layout.boxScrolls).toBe('auto');
  // Each result is a card: every cell (name, accuracy, latency, device…) is on screen without scrolling sideways.
  const first = rows.first();
  for (const cell of await first.locator('td').all()) {
    const b = (await cell.boundingBox())!;
    expect(b.x, `'${await cell.innerText()}' starts on the phone screen`).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width, `'${await cell.innerText()}' fits the phone`).toBeLessThanOrEqual(375);
  }
  await expect(first.locator('td[data-label="Accuracy"]')).toBeVisible();
  await shot(page, 'compare-phone');
  // What the phone shows at once: the first result cards, then the charts.
  await first.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENS_DIR}/compare-phone-cards.png` });
  await page.locator('lab-chart').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENS_DIR}/compare-phone-charts.png` });

  // No other screen scrolls sideways at 375 px either (Compress with a training step and its many options).
  for (const screen of ['device', 'experiment', 'models', 'model', 'compress', 'try', 'share'] as const) {
    await go(page, screen);
    if (screen === 'compress') {
      await page.getByTestId('add-pass-select').selectOption('distill');
      await page.getByTestId('add-pass').click();
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${screen} is wider than a 375 px phone`).toBeLessThanOrEqual(1);
    await shot(page, `${screen}-375`);
  }
});

/**
 * Every visible, enabled control of the current screen (through shadow roots):
 * its accessible-name source, and whether Tab reaches it with a visible focus
 * indicator. Returns the problems found, in words.
 */
async function auditScreen(page: Page, screen: string): Promise<string[]> {
  const controls = await page.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of root.querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const sel = 'button, select, input, textarea, a[href], canvas[tabindex], [tabindex]:not([tabindex="-1"])';
    const out: { idx: number; what: string; named: boolean }[] = [];
    let idx = 0;
    for (const el of all) {
      if (!el.matches(sel)) continue;
      const h = el as HTMLElement & { disabled?: boolean; labels?: NodeListOf<HTMLLabelElement> };
      if (h.disabled || !h.getClientRects().length || getComputedStyle(h).visibility === 'hidden') continue;
      const root = h.getRootNode() as Document | ShadowRoot;
      const labelledBy = h.getAttribute('aria-labelledby');
      const named =
        !!h.getAttribute('aria-label')?.trim() ||
        (!!labelledBy && labelledBy.split(/\s+/).every((id) => !!root.getElementById?.(id)?.textContent?.trim())) ||
        !!(h.labels && [...h.labels].some((l) => l.textContent?.trim())) ||
        (['BUTTON', 'A'].includes(h.tagName) && !!h.textContent?.trim()) ||
        !!h.getAttribute('title')?.trim();
      h.dataset.auditIdx = String(idx);
      out.push({
        idx,
        what: `${h.tagName.toLowerCase()}${h.id ? `#${h.id}` : ''}${h.dataset.testid ? `[${h.dataset.testid}]` : ''} "${(h.textContent ?? '').trim().slice(0, 30)}"`,
        named,
      });
      idx++;
    }
    return out;
  });
  const problems = controls.filter((c) => !c.named).map((c) => `${screen}: ${c.what} has no accessible name`);
  // Tab through the whole page once (from the top), recording what gets focus and whether it shows.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.locator('h1').click();
  const reached = new Set<number>();
  for (let i = 0; i < controls.length + 15; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      if (!a || a === document.body) return null;
      const s = getComputedStyle(a);
      const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      return { idx: (a as HTMLElement).dataset.auditIdx, visible, what: `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}` };
    });
    if (!f) continue;
    if (!f.visible) problems.push(`${screen}: ${f.what} shows no focus indicator`);
    if (f.idx !== undefined) reached.add(Number(f.idx));
  }
  for (const c of controls) {
    // Radio groups take one Tab stop; none of the screens has one, so every control must be reached.
    if (!reached.has(c.idx)) problems.push(`${screen}: ${c.what} is not reachable with Tab`);
  }
  return [...new Set(problems)];
}

test('keyboard: every control on every screen is reachable with Tab, labelled, and shows focus', async ({ page }) => {
  test.setTimeout(240_000);
  await openLab(page);
  // Some results, so Compare shows its table, baseline select and delete buttons.
  await go(page, 'share');
  await page
    .getByTestId('import-results')
    .setInputFiles({ name: 'r.json', mimeType: 'application/json', buffer: Buffer.from(resultsFile('Ada', ['Pixel 8'])) });
  await expect(page.getByTestId('share-ok')).toBeVisible();
  const problems: string[] = [];
  for (const s of ['device', 'experiment', 'models', 'model', 'compress', 'compare', 'try', 'share'] as const) {
    await go(page, s);
    if (s === 'compress') {
      // A step with its option controls, including a training step and the teacher picker.
      for (const pass of ['prune', 'distill']) {
        await page.getByTestId('add-pass-select').selectOption(pass);
        await page.getByTestId('add-pass').click();
      }
      await expect(page.getByTestId('step')).toHaveCount(2);
    }
    problems.push(...(await auditScreen(page, s)));
  }
  expect(problems).toEqual([]);
});

test('keyboard only: build, reorder and empty a pipeline, delete a variant; focus stays where the user is', async ({ page }) => {
  await openLab(page);
  await go(page, 'compress');
  const addSel = page.getByTestId('add-pass-select');
  const addBtn = page.getByTestId('add-pass');
  for (const pass of ['prune', 'huffman']) {
    await addSel.focus();
    await addSel.selectOption(pass);
    await page.keyboard.press('Tab');
    await expect(addBtn).toBeFocused();
    await page.keyboard.press('Enter');
  }
  const steps = page.getByTestId('step');
  await expect(steps).toHaveCount(2);
  const button = (name: string) => page.getByRole('button', { name, exact: true });

  // Moving a step keeps focus on that step's arrows, so a second press moves it again.
  await button('Move Magnitude pruning down').focus();
  await page.keyboard.press('Enter');
  await expect(steps.first()).toContainText('Huffman coding');
  await expect(button('Move Magnitude pruning up')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(steps.first()).toContainText('Magnitude pruning');
  await expect(button('Move Magnitude pruning down')).toBeFocused();

  // Removing a step hands focus to the step that took its place, then back to "Pass".
  await button('Remove Magnitude pruning').focus();
  await page.keyboard.press('Enter');
  await expect(steps).toHaveCount(1);
  await expect(button('Remove Huffman coding')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(steps).toHaveCount(0);
  await expect(addSel).toBeFocused();

  // Two-step delete on the Models screen: focus moves to the confirm button, Keep gives it back.
  await go(page, 'models');
  const rows = page.getByTestId('model-row');
  const before = await rows.count();
  const file = serializeModel(initModel(architecture('lenet-300-100'), 5));
  await page.getByTestId('import-model').setInputFiles({ name: 'to-delete.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(file) });
  await expect(rows).toHaveCount(before + 1);
  await button('Delete to-delete').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('confirm-delete')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('keep')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(button('Delete to-delete')).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(rows).toHaveCount(before);
  // Focus lands on the Delete button of the row now in that place, not on the page body.
  await expect(page.locator('[data-testid="delete"]:focus')).toHaveCount(1);
});

test('Try it by keyboard: find test images, pick one, see each chosen variant’s answer and the true label', async ({ page }) => {
  test.setTimeout(180_000);
  await openLab(page);
  await go(page, 'try');
  // Only the bundled LeNet-300-100 (dense: quick to compile on SwiftShader), toggled with the space bar.
  const boxes = page.getByRole('group', { name: 'Variants to compare' }).getByRole('checkbox');
  for (const box of await boxes.all()) {
    const label = await page.locator(`label[for="${await box.getAttribute('id')}"]`).innerText();
    const want = /^lenet-300-100 \(fp32\)$/.test(label.trim());
    if ((await box.isChecked()) !== want) {
      await box.focus();
      await page.keyboard.press('Space');
    }
    await expect(box).toBeChecked({ checked: want });
  }
  await page.getByLabel('Show').selectOption('all');
  await page.getByTestId('scan').focus();
  await page.keyboard.press('Enter');
  const first = page.getByRole('button', { name: /^Test image 0, label 7/ });
  await expect(first).toBeVisible({ timeout: 120_000 });
  await first.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('prediction')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('predictions')).toContainText('label 7');
  // MNIST test image 0 is a clear 7: the trained net gets it right.
  await expect(page.getByTestId('prediction').getByTestId('top')).toHaveText('7');
  await shot(page, 'try-test-image');
});

test('the keyboard audit itself reports an unlabelled control, an unreachable one and a missing focus indicator', async ({ page }) => {
  await openLab(page);
  await go(page, 'share');
  await page.evaluate(() => {
    document.body.insertAdjacentHTML(
      'beforeend',
      '<button id="probe-unnamed"></button><input id="probe-unlabelled" /><button id="probe-untabbable" tabindex="-1">Skipped</button>' +
        '<span id="probe-invisible-focus" tabindex="0" aria-label="No ring" style="outline: none">x</span>',
    );
  });
  const problems = await auditScreen(page, 'probe');
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/button#probe-unnamed .*has no accessible name/),
      expect.stringMatching(/input#probe-unlabelled .*has no accessible name/),
      expect.stringMatching(/button#probe-untabbable .*not reachable with Tab/),
      'probe: span#probe-invisible-focus shows no focus indicator',
    ]),
  );
  // Only the probes are at fault: the Share screen itself is clean.
  expect(problems.every((p) => p.includes('#probe-'))).toBe(true);
});
