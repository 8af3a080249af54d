/**
 * `npm run bench` (node scripts/run-ts.mjs scripts/bench.ts [flags]): the
 * benchmark in Node (in this process, on Dawn) and then in headless Chromium
 * (the app built with its bench page, served from 127.0.0.1, driven through
 * Playwright), written to bench-results/latest.json plus a readable
 * bench-results/latest.txt, and printed. docs/benchmark.md explains the output.
 *
 * Flags (all optional):
 *   --env node|chromium|both   which half to run (default both)
 *   --quick                    LeNet-5 only, fewer runs/images (~minutes, not a quarter hour)
 *   --models a,b  --batch 64,256,1024  --precision fp32,int8
 *   --peers tfjs-webgpu,ort-webgpu,ort-wasm|none  --runs N  --images N  --budget ms  --min-runs N
 *   --no-cpu  --no-roofline    skip the CPU reference / the device roofline
 *   --latency-budget ms        peers' and CPU's batch-1 time (≥ 30 runs; fewer than --runs is marked *)
 *   --max-call ms              skip a peer's/CPU's throughput batch whose one call is estimated above this
 *   --agreement-budget ms      time per runtime for the top-1 agreement check (lab reference: 2×)
 *   --train-images N           images per GPU training epoch (2 epochs: warm-up, timed)
 *   --train-cpu-budget ms      time for the CPU reference's training steps
 *   --no-train                 skip training throughput
 *   --time-limit min           whole run's wall-clock limit (default 25; 0 = none). Node gets 45 % of it
 *                              when both run, Chromium the rest; past its share an environment skips
 *                              what it has not started (peers, agreement, training, further models) and
 *                              reports it as skipped
 *   --no-build                 reuse the last bench build (bench-results/site)
 *   --out file                 JSON path (default bench-results/latest.json)
 *
 * Node runs tfjs-webgpu (on a second Dawn instance) only when --peers names it:
 * it is far slower there than in Chromium, and Chromium runs it anyway.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { BENCH_FLAGS, MODELS_DIR, optionsFromFlags, runNodeBench, timeLimitFromFlags, writeBenchResults } from '../src/cli/commands/bench.ts';
import { formatRun } from '../src/bench/format.ts';
import type { BenchOptions, BenchRun } from '../src/bench/schema.ts';
import { UsageError } from '../src/cli/common.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SITE = join(ROOT, 'bench-results', 'site');

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    // The measuring flags are shared with `compression-lab bench` (BENCH_FLAGS, optionsFromFlags).
    ...BENCH_FLAGS,
    env: { type: 'string' },
    'no-build': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: false,
  strict: true,
});
if (values.help) {
  const doc = (await import('node:fs')).readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0];
  console.log(doc.replace(/^\/\*\*|^ \* ?/gm, ''));
  process.exit(0);
}
const envs = (values.env ?? 'both') === 'both' ? ['node', 'chromium'] : [values.env!];
for (const e of envs) if (e !== 'node' && e !== 'chromium') throw new Error(`--env must be node, chromium or both; got '${e}'`);
const RUN_START = Date.now();
let options: BenchOptions;
let timeLimitMin: number;
try {
  options = optionsFromFlags(values as Record<string, string | boolean | undefined>);
  timeLimitMin = timeLimitFromFlags(values as Record<string, string | boolean | undefined>);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(e.message);
  process.exit(2);
}
/** This environment's deadline: Node's share of the limit when Chromium follows, else the whole limit. */
function deadlineFor(env: string): number | null {
  if (!timeLimitMin) return null;
  const end = RUN_START + timeLimitMin * 60_000;
  // The Chromium half also builds the site (~1 min) before it starts measuring.
  return env === 'node' && envs.includes('chromium') ? RUN_START + 0.45 * timeLimitMin * 60_000 : end - 30_000;
}
/** Node's options: TF.js on Dawn only on request (it is the slow half of a run, and Chromium has it). */
const nodeOptions: BenchOptions = values.peers === undefined ? { ...options, peers: options.peers.filter((p) => p !== 'tfjs-webgpu') } : options;
const out = resolve(values.out ?? join(ROOT, 'bench-results', 'latest.json'));
const log = (s: string) => console.error(s);

/** Load average as a note: this machine is shared, and the numbers should say how busy it was. */
function loadNote(when: string): string {
  const [a, b, c] = loadavg();
  return `machine load average ${when}: ${a.toFixed(1)} / ${b.toFixed(1)} / ${c.toFixed(1)} (1/5/15 min) on ${cpus().length} logical CPUs — a shared machine; other jobs compete for the CPU that SwiftShader runs on`;
}

/** Which code was measured: other engineers commit kernels into the same tree while benchmarks run. */
function revisionNote(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean).length;
    return `code measured: git ${head}${dirty ? ` + ${dirty} uncommitted file(s) in the tree` : ''} (when this environment started)`;
  } catch {
    return 'code: git revision unknown';
  }
}

function limitNote(env: string): string {
  const d = deadlineFor(env);
  return d === null ? 'no time limit (--time-limit 0)' : `time limit: whole run ${timeLimitMin} min; this environment's deadline ${new Date(d).toISOString()}`;
}

async function nodeRun(): Promise<BenchRun> {
  log('== Node (Dawn) ==');
  const before = loadNote('at the start');
  const rev = revisionNote();
  const run = await runNodeBench({ ...nodeOptions, deadline: deadlineFor('node') }, { log });
  run.notes.push(before, loadNote('at the end'), limitNote('node'), rev);
  if (nodeOptions !== options) run.notes.push('tfjs-webgpu not run in Node by default (pass --peers to include it); the chromium run has it');
  return run;
}

async function build(): Promise<void> {
  log(`building the app and its bench page into ${SITE} …`);
  const vite = await import('vite');
  // A separate outDir: `dist/` may be in use by the e2e tests at the same time.
  await vite.build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: SITE, emptyOutDir: true } });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/** A static server for the build on 127.0.0.1 (WebGPU needs a secure context); /models/ straight from the repo. */
function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const rel = normalize(path).replace(/^([/\\])+/, '');
    if (rel.startsWith('..')) {
      res.writeHead(403).end();
      return;
    }
    const candidates = rel.startsWith('models/') ? [join(MODELS_DIR, rel.slice('models/'.length)), join(SITE, rel)] : [join(SITE, rel || 'index.html')];
    const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

async function chromiumRun(): Promise<BenchRun> {
  log('== Chromium (SwiftShader WebGPU) ==');
  // Recorded before the build: the page measures the code built now.
  const rev = revisionNote();
  if (!values['no-build'] || !existsSync(join(SITE, 'bench.html'))) await build();
  const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
    (p) => p && existsSync(p),
  );
  if (!executablePath) throw new Error('no Chromium found (set CHROMIUM_PATH); on Debian: apt-get install chromium');
  const { chromium } = await import('@playwright/test');
  const { server, origin } = await serve();
  const browser = await chromium.launch({
    executablePath,
    // The same flags as playwright.config.ts.
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const outside: string[] = [];
  try {
    const page = await browser.newPage();
    // Any request off our origin is blocked and reported: the bench must be self-contained.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`  [page ${m.type()}] ${m.text().slice(0, 300)}`);
    });
    page.on('pageerror', (e) => log(`  [page error] ${e.message}`));
    await page.exposeFunction('benchLog', (line: string) => log(line));
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 60_000 });
    const before = loadNote('at the start');
    const run = await page.evaluate((o) => window.runBench(o), { ...options, deadline: deadlineFor('chromium') });
    run.notes.push(before, loadNote('at the end'), limitNote('chromium'), rev);
    run.notes.push(outside.length ? `BLOCKED outside requests: ${outside.join(', ')}` : 'no outside requests (every request was to the local origin)');
    return run;
  } finally {
    await browser.close();
    server.close();
  }
}

const runs: BenchRun[] = [];
for (const e of envs) {
  try {
    runs.push(e === 'node' ? await nodeRun() : await chromiumRun());
    // Write after each environment, so a later failure keeps what was measured.
    await save();
  } catch (err) {
    log(`${e} run failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}

async function save(): Promise<void> {
  await writeBenchResults(out, runs, `node scripts/run-ts.mjs scripts/bench.ts ${process.argv.slice(2).join(' ')}`.trim(), log);
}

if (runs.length) {
  console.log(runs.map((r) => formatRun(r)).join('\n\n'));
  log(`\nwrote ${out} (and .txt, .md beside it)`);
}
