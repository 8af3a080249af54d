/**
 * What each dataset is (titles, class names, credit, licence) and the shape of
 * `public/data/manifest.json`, which `scripts/build-data.ts` writes and the
 * loaders read to learn which datasets this installation has. Pure.
 */
import type { DatasetName, DatasetSplit } from './dataset.ts';
import { DATASET_FORMAT_VERSION, isDatasetName, isDatasetSplit } from './dataset.ts';
import { DatasetError } from './errors.ts';

/** Static facts about a dataset, independent of whether it was built. */
export interface DatasetInfo {
  title: string;
  /** Name of class 0 … 9, for confusion matrices and prediction labels. */
  classNames: readonly string[];
  /** Who made it; shown in the UI and README. */
  credit: string;
  licence: string;
  homepage: string;
}

/** Credit and class names of every dataset the lab knows. */
export const DATASET_INFO: Record<DatasetName, DatasetInfo> = {
  mnist: {
    title: 'MNIST',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    credit: 'Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "The MNIST database of handwritten digits"',
    // The original site states no licence; this is how the data set is
    // commonly redistributed, and we say so rather than invent certainty.
    licence: 'No licence stated by the authors; commonly redistributed under CC BY-SA 3.0',
    homepage: 'http://yann.lecun.com/exdb/mnist/',
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    credit: 'Han Xiao, Kashif Rasul and Roland Vollgraf, Zalando Research, "Fashion-MNIST" (2017)',
    licence: 'MIT (Copyright © 2017 Zalando SE)',
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  },
};

/** One source file a split was built from, with what was checked. */
export interface ManifestSourceFile {
  /** Path of the file as read (relative to the repository when inside it). */
  path: string;
  /** Size on disk (compressed size for a .gz). */
  bytes: number;
  /** Size of the decompressed IDX file. */
  idxBytes: number;
  /** MD5 of the decompressed IDX file. */
  md5: string;
  /** True when `md5` was compared against a published value and matched. */
  md5Verified: boolean;
  /** Modification time, part of the "is the build up to date" fingerprint. */
  mtimeMs: number;
}

/** One built split. */
export interface ManifestSplit {
  /** File name inside the data directory, e.g. "mnist-test.bin". */
  file: string;
  count: number;
  rows: number;
  cols: number;
  /** Size of the built file. */
  bytes: number;
  /**
   * The same file gzipped (level 9), e.g. "mnist-test.bin.gz": what the
   * browser downloads and decompresses. Absent in manifests of builder 1.
   */
  gzFile?: string;
  /** Size of `gzFile`: what a first load transfers for this split. */
  gzBytes?: number;
  /** CRC-32 stored in the file's header, "0x…" (see dataset.ts). */
  crc32: string;
  /** Examples per class. */
  histogram: number[];
  /** Images file then labels file. */
  sources: ManifestSourceFile[];
}

/** One dataset: present with both splits, or absent with the reason. */
export interface ManifestDataset extends DatasetInfo {
  name: DatasetName;
  present: boolean;
  /** Where the data came from, in words (package and version, or directory). */
  source: string;
  /** Why the dataset is missing and how to get it; only when `present` is false. */
  absentReason?: string;
  /** Both splits when present; empty when absent. */
  splits: Partial<Record<DatasetSplit, ManifestSplit>>;
}

/** `public/data/manifest.json`. */
export interface DatasetManifest {
  format: 'CLDS';
  formatVersion: number;
  /** Bumped when build-data.ts changes what it writes, to force a rebuild. */
  builderVersion: number;
  generatedAt: string;
  datasets: ManifestDataset[];
}

/** File name of the manifest inside the data directory. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * Validates the parsed JSON of a manifest enough that loaders can trust its
 * shape (names, splits, counts); throws DatasetError naming `source`.
 */
export function parseManifest(json: unknown, source: string): DatasetManifest {
  const bad = (what: string): never => {
    throw new DatasetError(source, `not a valid dataset manifest: ${what}; rebuild with \`npm run data\``);
  };
  if (typeof json !== 'object' || json === null) return bad('not a JSON object');
  const m = json as Partial<DatasetManifest>;
  if (m.format !== 'CLDS') bad(`format is ${JSON.stringify(m.format)}, expected "CLDS"`);
  if (m.formatVersion !== DATASET_FORMAT_VERSION) bad(`formatVersion ${m.formatVersion}, expected ${DATASET_FORMAT_VERSION}`);
  if (!Array.isArray(m.datasets)) return bad('no datasets list');
  for (const d of m.datasets as Partial<ManifestDataset>[]) {
    if (!isDatasetName(d.name)) bad(`unknown dataset ${JSON.stringify(d.name)}`);
    if (typeof d.present !== 'boolean') bad(`${d.name}: "present" missing`);
    if (typeof d.splits !== 'object' || d.splits === null) return bad(`${d.name}: "splits" missing`);
    for (const [split, s] of Object.entries(d.splits)) {
      if (!isDatasetSplit(split)) bad(`${d.name}: unknown split ${JSON.stringify(split)}`);
      if (!s || typeof s.file !== 'string' || !Number.isInteger(s.count) || !Number.isInteger(s.bytes)) {
        bad(`${d.name}/${split}: incomplete split entry`);
      }
    }
    if (d.present && !(d.splits.train && d.splits.test)) bad(`${d.name}: present but a split is missing`);
  }
  return m as DatasetManifest;
}

/** Names of the datasets the manifest says were built, in manifest order. */
export function availableDatasets(manifest: DatasetManifest): DatasetName[] {
  return manifest.datasets.filter((d) => d.present).map((d) => d.name);
}
