/**
 * Shared e2e fixtures: every test fails on a request outside 127.0.0.1 (the
 * lab ships everything it needs) and on an uncaught page error; `shot` keeps
 * a screenshot under test-results/screens/ as a test artifact.
 */
import { test as base, expect, type BrowserContext, type BrowserType, type LaunchOptions, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const SCREENS_DIR = 'test-results/screens';

/** Saves a full-page screenshot as test-results/screens/<name>.png and returns its path. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  const path = `${SCREENS_DIR}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Opens the lab and waits until start-up (copy into IndexedDB) is done, and
 * the background copy of MNIST's training split after it, so a test starts
 * with everything stored (as the suite did before that copy moved after "ready").
 */
export async function openLab(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('ready')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 120_000 });
}

/** Goes to a screen through the navigation (as a user would). */
export async function go(page: Page, screen: 'device' | 'experiment' | 'models' | 'model' | 'compress' | 'compare' | 'try' | 'share'): Promise<void> {
  await page.getByTestId(`nav-${screen}`).click();
  await expect(page.getByTestId(`nav-${screen}`)).toHaveAttribute('aria-current', 'page');
}

/** Only the lab's own origin; data:/blob: URLs never leave the machine. */
function isOutside(url: string): boolean {
  return !/^http:\/\/127\.0\.0\.1(:\d+)?\//.test(url) && !/^(data|blob):/.test(url);
}

/**
 * Resolves once the element with `testId` (searched through open shadow roots)
 * has shown text matching `pattern`, checked on every animation frame. Start
 * it before the action: a status that lives for a fraction of a second (the
 * last progress of a short job) is still seen, where polling a locator could
 * step right over it.
 */
/**
 * Ticks exactly the Try-it variants whose label matches. Specs keep to
 * dense-only nets there: on SwiftShader under load, compiling the conv2d
 * kernels of LeNet-5 takes minutes (a real GPU takes well under a second).
 */
export async function chooseVariants(page: Page, which: RegExp): Promise<void> {
  const boxes = page.getByRole('group', { name: 'Variants to compare' }).getByRole('checkbox');
  for (const box of await boxes.all()) {
    const name = (await box.getAttribute('id')) ?? '';
    const label = await page.locator(`label[for="${name}"]`).innerText();
    if (which.test(label)) await box.check();
    else await box.uncheck();
  }
}

/** Picks the bundled (trained) LeNet-300-100 in a model select (the Compress screen's by default) and returns its id: dense only, so quick on SwiftShader. */
export async function pickLenet300(page: Page, selectTestId = 'source-select'): Promise<string> {
  const source = page.getByTestId(selectTestId);
  const values = await source.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const pick = values.find((v) => v.startsWith('bundled:') && v.includes('300'));
  expect(pick, `a bundled LeNet-300-100 among ${values.join(', ')}`).toBeTruthy();
  await source.selectOption(pick!);
  return pick!;
}

export function textSeen(page: Page, testId: string, pattern: RegExp, timeout: number): Promise<unknown> {
  return page.waitForFunction(
    ([id, source, flags]) => {
      const find = (root: Document | ShadowRoot): Element | null => {
        const hit = root.querySelector(`[data-testid="${id}"]`);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      const text = find(document)?.textContent ?? '';
      return new RegExp(source, flags).test(text);
    },
    [testId, pattern.source, pattern.flags] as const,
    { polling: 'raf', timeout },
  );
}

/**
 * Records requests outside the lab's origin and uncaught page errors of a
 * context; the fixtures below use it, and so do specs that launch their own
 * browser (then they assert both lists are empty themselves).
 */
export function watchContext(context: BrowserContext): { outside: string[]; errors: string[] } {
  const outside: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => {
    if (isOutside(r.url())) outside.push(r.url());
  });
  context.on('weberror', (e) => errors.push(e.error().message));
  return { outside, errors };
}

/**
 * Runs `body` on a page of a browser of its own (for tests that must not
 * share the GPU process, or that switch WebGPU off), with the same checks
 * the fixtures make: no request outside 127.0.0.1 and no uncaught page error.
 */
export async function inOwnBrowser(
  playwright: { chromium: BrowserType },
  launch: LaunchOptions | undefined,
  body: (page: Page) => Promise<void>,
): Promise<void> {
  const browser = await playwright.chromium.launch(launch);
  let watched: { outside: string[]; errors: string[] };
  try {
    const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
    watched = watchContext(context);
    await body(await context.newPage());
  } finally {
    await browser.close();
  }
  expect(watched.outside, 'requests outside 127.0.0.1').toEqual([]);
  expect(watched.errors, 'uncaught page errors').toEqual([]);
}

export const test = base.extend<{ outside: string[]; pageErrors: string[] }>({
  // Automatic: every test fails on a request outside 127.0.0.1 …
  outside: [
    async ({ context }, use) => {
      const { outside } = watchContext(context);
      await use(outside);
      expect(outside, 'requests outside 127.0.0.1').toEqual([]);
    },
    { auto: true },
  ],
  // … and on an uncaught error in any page of the context.
  pageErrors: [
    async ({ context }, use) => {
      const { errors } = watchContext(context);
      await use(errors);
      expect(errors, 'uncaught page errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
