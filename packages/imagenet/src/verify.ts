/**
 * `verifyCache`: checks a cache end to end — index format, every records file's size and sha256,
 * every metadata file's sha256 and counts (records + skipped = seen, labels in range), and the
 * statistics if present — and reports what is wrong instead of throwing.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CacheIndex,
  readCacheIndex,
  readSplitMeta,
  SPLITS,
  type SplitName,
  sha256File,
} from './cache.js';
import { loadStats } from './stats.js';

export interface VerifySplitReport {
  records: number;
  seen: number;
  skipped: number;
  /** The records file has records × recordBytes bytes. */
  sizeOk: boolean;
  /** sha256 matches index.json (undefined when `quick`). */
  checksumOk?: boolean;
  /** Metadata file checksum and counts agree. */
  metaOk: boolean;
}

export interface VerifyReport {
  cacheDir: string;
  ok: boolean;
  /** Human-readable problems (empty when ok). */
  problems: string[];
  index?: CacheIndex;
  splits: Partial<Record<SplitName, VerifySplitReport>>;
  /** 'ok', 'absent', or why the statistics are unusable. */
  stats: string;
  seconds: number;
}

export interface VerifyOptions {
  /** Skip hashing the records files (sizes and metadata are still checked). */
  quick?: boolean;
}

export function verifyCache(cacheDir: string, options: VerifyOptions = {}): VerifyReport {
  const started = performance.now();
  const problems: string[] = [];
  const splits: VerifyReport['splits'] = {};
  let index: CacheIndex;
  try {
    index = readCacheIndex(cacheDir);
  } catch (e) {
    return {
      cacheDir,
      ok: false,
      problems: [(e as Error).message],
      splits,
      stats: 'absent',
      seconds: (performance.now() - started) / 1000,
    };
  }
  for (const name of SPLITS) {
    const info = index.splits[name];
    const file = join(cacheDir, info.file);
    const bytes = existsSync(file) ? statSync(file).size : -1;
    const sizeOk = bytes === info.records * info.recordBytes;
    if (!sizeOk)
      problems.push(
        `${name}: ${info.file} has ${bytes < 0 ? 'no file' : `${bytes} bytes`}, expected ${info.records} × ${info.recordBytes}`,
      );
    let checksumOk: boolean | undefined;
    if (!options.quick && sizeOk) {
      checksumOk = sha256File(file) === info.sha256;
      if (!checksumOk) problems.push(`${name}: ${info.file} sha256 differs from index.json (damaged)`);
    }
    let metaOk = false;
    try {
      const metaFile = join(cacheDir, info.meta);
      if (sha256File(metaFile) !== info.metaSha256)
        throw new Error(`${info.meta} sha256 differs from index.json`);
      const meta = readSplitMeta(cacheDir, info);
      if (meta.skipped.length !== info.skipped)
        throw new Error(`${meta.skipped.length} skipped listed, index says ${info.skipped}`);
      if (info.records + info.skipped !== info.seen)
        throw new Error(`records ${info.records} + skipped ${info.skipped} ≠ seen ${info.seen}`);
      const bad = meta.labels.findIndex((l) => !(Number.isInteger(l) && l >= 0 && l < index.classes.length));
      if (bad >= 0)
        throw new Error(`record ${bad} has label ${meta.labels[bad]} outside [0, ${index.classes.length})`);
      metaOk = true;
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
    splits[name] = {
      records: info.records,
      seen: info.seen,
      skipped: info.skipped,
      sizeOk,
      ...(checksumOk === undefined ? {} : { checksumOk }),
      metaOk,
    };
  }
  let stats = 'absent';
  if (existsSync(join(cacheDir, 'stats.json'))) {
    try {
      loadStats(cacheDir, index);
      stats = 'ok';
    } catch (e) {
      stats = (e as Error).message;
      problems.push(`stats: ${stats}`);
    }
  }
  return {
    cacheDir,
    ok: problems.length === 0,
    problems,
    index,
    splits,
    stats,
    seconds: (performance.now() - started) / 1000,
  };
}
