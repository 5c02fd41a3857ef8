/**
 * The record cache on disk. One folder:
 *
 * - `index.json` — written last, atomically (temp file + rename): format and version, the settings
 *   the cache was made with, classes, and per split the record count, record shape, the records
 *   file's sha256 and the name and sha256 of its metadata file. A cache without `index.json` is
 *   incomplete (an interrupted `prepare` continues it).
 * - `<split>.records` — `records` fixed-size records, each `size`×`size`×3 RGB uint8 in HWC order,
 *   nothing else (record i at byte i·recordBytes), in listing order (class, then file name).
 * - `<split>.json` — per record its label and source path, and the images skipped with the reason.
 * - `stats.json` + `stats.bin` — the mean image and RGB PCA of the train split (see stats.ts).
 *
 * While `prepare` runs: `prepare.json` (the settings, so a rerun with other settings is refused),
 * `<split>.records.partial` and `<split>.progress.json` (how far the in-order writing got).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CacheError } from './errors.js';
import type { ClassInfo, DatasetProblem, Layout } from './layout.js';

export const CACHE_FORMAT = 'alexnet-imagenet-record-cache';
export const CACHE_VERSION = 1;

export type SplitName = 'train' | 'val';
export const SPLITS: readonly SplitName[] = ['train', 'val'];

/** Everything that changes the records. A cache made with other settings is refused. */
export interface CacheSettings {
  kind: 'image-folder' | 'cifar10';
  /** Absolute path of the dataset root (image folders) or of the folder of CIFAR-10 .bin files. */
  source: string;
  layout?: Layout;
  /** Record side: records are size×size×3. */
  size: number;
  /** Alpha flattening background, resampling kernel and decode strictness (image folders). */
  background?: [number, number, number];
  kernel?: string;
  failOn?: string;
  valLabels?: string;
  synsets?: string;
  valFraction?: number;
  /** At most this many images per split (evenly spread over the listing), if set. */
  limit?: number;
}

export interface SkippedImage {
  split: SplitName;
  /** Source path relative to the dataset root. */
  path: string;
  reason: string;
}

export interface CacheSplitInfo {
  /** Records in `file`. */
  records: number;
  /** Images listed for the split: records + skipped. */
  seen: number;
  skipped: number;
  /** [height, width, channels] of one record. */
  recordShape: [number, number, number];
  recordBytes: number;
  /** File names inside the cache folder. */
  file: string;
  meta: string;
  /** sha256 (hex) of the records file and of the metadata file. */
  sha256: string;
  metaSha256: string;
}

export interface CacheIndex {
  format: typeof CACHE_FORMAT;
  version: number;
  createdAt: string;
  settings: CacheSettings;
  classes: ClassInfo[];
  splits: Record<SplitName, CacheSplitInfo>;
  /** Dataset problems found while listing (empty classes, ignored files, unknown val classes). */
  problems: DatasetProblem[];
}

export interface SplitMeta {
  /** Class index of each record. */
  labels: number[];
  /** Source of each record (path relative to the dataset root, or `file#record` for CIFAR). */
  sources: string[];
  skipped: SkippedImage[];
}

export const indexPath = (dir: string): string => join(dir, 'index.json');

/** Writes a file atomically: a temporary file beside it, fsync'd, then renamed over it. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Canonical JSON of settings (fixed key order) for comparisons. */
export function settingsKey(s: CacheSettings): string {
  const keys = Object.keys(s).sort() as (keyof CacheSettings)[];
  return JSON.stringify(keys.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
}

/** Explains how two settings differ ("size: 256 → 128"). */
export function settingsDiff(was: CacheSettings, now: CacheSettings): string {
  const keys = new Set([...Object.keys(was), ...Object.keys(now)] as (keyof CacheSettings)[]);
  const parts: string[] = [];
  for (const k of keys) {
    const a = JSON.stringify(was[k]);
    const b = JSON.stringify(now[k]);
    if (a !== b) parts.push(`${k}: ${a ?? 'unset'} → ${b ?? 'unset'}`);
  }
  return parts.join(', ');
}

/** sha256 (hex) of a file's first `bytes` bytes (all of it by default), read in 4 MiB chunks. */
export function sha256File(path: string, bytes?: number): string {
  const hash = createHash('sha256');
  hashFileInto(hash, path, bytes);
  return hash.digest('hex');
}

/** Feeds a file's first `bytes` bytes into `hash`. */
export function hashFileInto(hash: { update(b: Uint8Array): unknown }, path: string, bytes?: number): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(4 << 20);
    let pos = 0;
    for (;;) {
      const want = bytes === undefined ? chunk.length : Math.min(chunk.length, bytes - pos);
      if (want <= 0) break;
      const n = readSync(fd, chunk, 0, want, pos);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks `index.json` (format, version); throws `CacheError` with what is wrong. */
export function readCacheIndex(dir: string): CacheIndex {
  const path = indexPath(dir);
  if (!existsSync(path)) {
    const partial = existsSync(join(dir, 'prepare.json'));
    throw new CacheError(
      partial
        ? `cache '${dir}' is incomplete (a prepare was interrupted): rerun prepare to finish it`
        : `'${dir}' is not a cache (no index.json): run prepare first`,
    );
  }
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as CacheIndex;
  } catch (e) {
    throw new CacheError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (index.format !== CACHE_FORMAT)
    throw new CacheError(`${path}: format '${String(index.format)}', expected '${CACHE_FORMAT}'`);
  if (index.version !== CACHE_VERSION)
    throw new CacheError(
      `${path}: cache format version ${index.version}; this @alexnet/imagenet reads version ${CACHE_VERSION} (prepare it again)`,
    );
  return index;
}

/** Reads a split's labels, sources and skipped list. */
export function readSplitMeta(dir: string, info: CacheSplitInfo): SplitMeta {
  const meta = JSON.parse(readFileSync(join(dir, info.meta), 'utf8')) as SplitMeta;
  if (meta.labels.length !== info.records || meta.sources.length !== info.records)
    throw new CacheError(
      `${join(dir, info.meta)}: ${meta.labels.length} labels / ${meta.sources.length} sources for ${info.records} records`,
    );
  return meta;
}
