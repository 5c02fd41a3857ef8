/**
 * `prepareImageFolder`: decode every listed image once into the record cache (see cache.ts).
 *
 * - Parallel: decodes run concurrently on sharp's libuv thread pool (default) or in worker threads
 *   (`workers > 0`); results are written strictly in listing order through a bounded window.
 * - Resumable: records are appended to `<split>.records.partial`; every `flushEvery` records the
 *   file is fsync'd and `<split>.progress.json` records how far it got (atomic rename). A rerun
 *   truncates anything past the last marker and continues there; nothing before it is decoded again.
 * - Refuses a cache (complete or not) made with other settings, unless `overwrite`.
 * - Atomic: `index.json`, which makes a cache complete, is written last by rename.
 * - Nothing silently dropped: every listed image is a record or a skipped entry with a reason
 *   (accepted + skipped = seen), and dataset problems (empty classes, missing ground truth, ignored
 *   files) are in the report.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import {
  CACHE_FORMAT,
  CACHE_VERSION,
  type CacheIndex,
  type CacheSettings,
  type CacheSplitInfo,
  hashFileInto,
  indexPath,
  readCacheIndex,
  readSplitMeta,
  type SkippedImage,
  SPLITS,
  type SplitMeta,
  type SplitName,
  settingsDiff,
  settingsKey,
  sha256File,
  writeFileAtomic,
} from './cache.js';
import { DEFAULT_DECODE, type DecodeSettings, type FailOn, type ResizeKernel } from './decode.js';
import { type DecodeResult, type DecodeTask, decodeJob } from './decode-job.js';
import { CacheError, PrepareInterruptedError } from './errors.js';
import {
  type ClassInfo,
  type DatasetProblem,
  type ListOptions,
  listImageFolder,
  type SourceImage,
} from './layout.js';
import { WorkerPool, workerScript } from './pool.js';

export interface PrepareImageFolderOptions extends ListOptions {
  /** Dataset root (ILSVRC layout or class folders, see `listImageFolder`). */
  root: string;
  /** Cache folder (created if needed). */
  outDir: string;
  /** Record side (default 256: shortest side → 256, centre crop 256×256). */
  size?: number;
  /** Alpha is flattened onto this colour (default white [255, 255, 255]). */
  background?: [number, number, number];
  /** Resampling kernel (default sharp's 'lanczos3'). */
  kernel?: ResizeKernel;
  /** Decode strictness (default 'truncated': truncated files are skipped, libjpeg warnings are not). */
  failOn?: FailOn;
  /** At most this many images per split, spread evenly over the listing (quick trials). */
  limit?: number;
  /**
   * Worker threads decoding (default 0: the main thread drives sharp, whose libuv thread pool does
   * the decoding; measured faster than worker threads, see the README).
   */
  workers?: number;
  /** Decodes in flight at once (default: 2 × libuv's thread pool size, i.e. 8 by default). */
  concurrency?: number;
  /** Replace a cache made with other settings instead of refusing it. */
  overwrite?: boolean;
  /** Stops the run (it can be continued by running again); the promise rejects with `PrepareInterruptedError`. */
  signal?: AbortSignal;
  /** Records between progress markers (default 256). */
  flushEvery?: number;
}

export interface PrepareProgress {
  split: SplitName;
  /** Listed images of this split handled so far (records + skipped), including earlier runs. */
  done: number;
  total: number;
  accepted: number;
  skipped: number;
  /** Images decoded by this run (all splits). */
  decoded: number;
  elapsedSeconds: number;
  /** Decoded by this run per second. */
  imagesPerSecond: number;
  /** The image just handled (relative path). */
  file: string;
}

export type ProgressCallback = (progress: PrepareProgress) => void;

export interface PrepareSplitReport {
  seen: number;
  accepted: number;
  skipped: number;
  /** Records that were already in the cache from an interrupted run (not decoded again). */
  resumed: number;
  /** Images decoded by this run. */
  decoded: number;
  file: string;
  sha256: string;
}

export interface PrepareReport {
  outDir: string;
  settings: CacheSettings;
  classes: ClassInfo[];
  splits: Record<SplitName, PrepareSplitReport>;
  /** Totals over both splits: accepted + skipped = seen. */
  seen: number;
  accepted: number;
  /** Every image not in the cache, with the reason (undecodable, no ground truth, unknown class). */
  skipped: SkippedImage[];
  /** Dataset problems (empty class folders, ignored non-image files, unknown val classes). */
  problems: DatasetProblem[];
  /** True when the cache was already complete with these settings (nothing was done). */
  alreadyComplete: boolean;
  seconds: number;
  /** Images decoded by this run per second of wall time. */
  imagesPerSecond: number;
  /** Advice about this run (e.g. cores left idle by a small libuv thread pool). */
  notes: string[];
}

interface Progress {
  planHash: string;
  next: number;
  records: number;
  skipped: SkippedImage[];
  complete?: boolean;
  sha256?: string;
}

interface Decoder {
  readonly parallel: number;
  decode(file: string): Promise<DecodeResult>;
  close(): Promise<void>;
}

function makeDecoder(settings: DecodeSettings, workers: number, concurrency: number): Decoder {
  if (workers <= 0)
    return { parallel: concurrency, decode: (file) => decodeJob({ file, settings }), close: async () => {} };
  const perWorker = Math.max(1, Math.ceil(concurrency / workers));
  const pool = new WorkerPool<DecodeTask, DecodeResult>(workerScript('prepare-worker'), workers, perWorker);
  return {
    parallel: workers * perWorker,
    decode: (file) => pool.run({ file, settings }),
    close: () => pool.close(),
  };
}

/** Evenly spread subset of `limit` items (all when limit is undefined or ≥ length). */
function spread<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return items;
  return Array.from({ length: limit }, (_, i) => items[Math.floor((i * items.length) / limit)]!);
}

const planHash = (plan: SourceImage[]): string =>
  createHash('sha256')
    .update(JSON.stringify(plan.map((p) => [p.path, p.label])))
    .digest('hex');

/** Files a cache folder may contain (the only ones `overwrite` removes). */
function cacheFiles(dir: string): string[] {
  const names = ['index.json', 'prepare.json', 'stats.json', 'stats.bin'];
  for (const s of SPLITS)
    names.push(`${s}.records`, `${s}.records.partial`, `${s}.json`, `${s}.progress.json`);
  return names.map((n) => join(dir, n));
}

/** Removes the cache files of `dir` (and nothing else). */
export function removeCache(dir: string): void {
  for (const f of cacheFiles(dir)) rmSync(f, { force: true });
}

/**
 * Checks `dir` against `settings`: returns the complete index if there is one with these settings;
 * refuses (CacheError) a complete or partial cache with other settings unless `overwrite`.
 */
export function claimCacheDir(
  dir: string,
  settings: CacheSettings,
  overwrite: boolean,
): CacheIndex | undefined {
  mkdirSync(dir, { recursive: true });
  const key = settingsKey(settings);
  const refuse = (was: CacheSettings, what: string) =>
    new CacheError(
      `${what} '${dir}' was made with other settings (${settingsDiff(was, settings)}); use another folder or pass overwrite: true`,
    );
  if (existsSync(indexPath(dir))) {
    const index = readCacheIndex(dir);
    if (settingsKey(index.settings) === key) return index;
    if (!overwrite) throw refuse(index.settings, 'the cache');
    removeCache(dir);
  }
  const marker = join(dir, 'prepare.json');
  if (existsSync(marker)) {
    const was = (JSON.parse(readFileSync(marker, 'utf8')) as { settings: CacheSettings }).settings;
    if (settingsKey(was) !== key) {
      if (!overwrite) throw refuse(was, 'the unfinished cache');
      removeCache(dir);
    }
  }
  if (!existsSync(marker))
    writeFileAtomic(marker, JSON.stringify({ format: CACHE_FORMAT, settings }, null, 2));
  return undefined;
}

/** Builds and writes `index.json` (last, atomically), removing the in-progress markers. */
export function finishCache(
  dir: string,
  settings: CacheSettings,
  classes: ClassInfo[],
  splits: Record<SplitName, CacheSplitInfo>,
  problems: DatasetProblem[],
): CacheIndex {
  const index: CacheIndex = {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    createdAt: new Date().toISOString(),
    settings,
    classes,
    splits,
    problems,
  };
  writeFileAtomic(indexPath(dir), JSON.stringify(index, null, 1));
  for (const s of SPLITS) rmSync(join(dir, `${s}.progress.json`), { force: true });
  rmSync(join(dir, 'prepare.json'), { force: true });
  return index;
}

/** Report of an existing complete cache. */
function reportFromIndex(dir: string, index: CacheIndex, seconds: number): PrepareReport {
  const skipped: SkippedImage[] = [];
  const splits = {} as Record<SplitName, PrepareSplitReport>;
  for (const s of SPLITS) {
    const info = index.splits[s];
    skipped.push(...readSplitMeta(dir, info).skipped);
    splits[s] = {
      seen: info.seen,
      accepted: info.records,
      skipped: info.skipped,
      resumed: info.records,
      decoded: 0,
      file: join(dir, info.file),
      sha256: info.sha256,
    };
  }
  return {
    outDir: dir,
    settings: index.settings,
    classes: index.classes,
    splits,
    seen: splits.train.seen + splits.val.seen,
    accepted: splits.train.accepted + splits.val.accepted,
    skipped,
    problems: index.problems,
    alreadyComplete: true,
    seconds,
    imagesPerSecond: 0,
    notes: [],
  };
}

/**
 * Decodes a dataset (ILSVRC layout or class folders) into a record cache in `options.outDir`.
 * Returns the counts, the skipped images with reasons and the dataset problems. Rerunning on a
 * complete cache with the same settings does nothing; on an interrupted one it continues.
 */
export async function prepareImageFolder(
  options: PrepareImageFolderOptions,
  onProgress?: ProgressCallback,
): Promise<PrepareReport> {
  const started = performance.now();
  const size = options.size ?? DEFAULT_DECODE.size;
  if (!Number.isInteger(size) || size < 1 || size > 4096)
    throw new ArgumentError(`size must be an integer in [1, 4096], got ${size}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1))
    throw new ArgumentError(`limit must be a positive integer, got ${options.limit}`);
  const decodeSettings: DecodeSettings = {
    size,
    background: options.background ?? DEFAULT_DECODE.background,
    kernel: options.kernel ?? DEFAULT_DECODE.kernel,
    failOn: options.failOn ?? DEFAULT_DECODE.failOn,
  };
  const outDir = resolve(options.outDir);
  const listing = listImageFolder(options.root, options);
  const settings: CacheSettings = {
    kind: 'image-folder',
    source: listing.root,
    layout: listing.layout,
    size,
    background: decodeSettings.background,
    kernel: decodeSettings.kernel,
    failOn: decodeSettings.failOn,
    valLabels: listing.valLabels,
    ...(listing.synsetFile ? { synsets: listing.synsetFile } : {}),
    valFraction: options.valFraction ?? 0,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  const existing = claimCacheDir(outDir, settings, options.overwrite ?? false);
  if (existing) return reportFromIndex(outDir, existing, (performance.now() - started) / 1000);

  const cores = availableParallelism();
  const threadPool = uvThreadPoolSize();
  const concurrency = options.concurrency ?? 2 * threadPool;
  const notes: string[] = [];
  if ((options.workers ?? 0) === 0 && cores > threadPool)
    notes.push(
      `sharp decodes on libuv's thread pool of ${threadPool} threads but this machine has ${cores} cores: set UV_THREADPOOL_SIZE=${cores} in the environment (before Node starts) to use them all`,
    );
  const decoder = makeDecoder(decodeSettings, options.workers ?? 0, concurrency);
  const counters = { decoded: 0, started };
  const infos = {} as Record<SplitName, CacheSplitInfo>;
  const reports = {} as Record<SplitName, PrepareSplitReport>;
  const skipped: SkippedImage[] = [];
  try {
    for (const split of SPLITS) {
      const plan = spread(listing.splits[split], options.limit);
      const r = await prepareSplit(
        split,
        plan,
        listing.root,
        outDir,
        size,
        decoder,
        counters,
        options,
        onProgress,
      );
      infos[split] = r.info;
      reports[split] = r.report;
      skipped.push(...r.skipped);
    }
  } finally {
    await decoder.close();
  }
  const problems = listing.problems.filter((p) => p.kind !== 'missing-label');
  finishCache(outDir, settings, listing.classes, infos, problems);
  const seconds = (performance.now() - started) / 1000;
  return {
    outDir,
    settings,
    classes: listing.classes,
    splits: reports,
    seen: reports.train.seen + reports.val.seen,
    accepted: reports.train.accepted + reports.val.accepted,
    skipped,
    problems: listing.problems,
    alreadyComplete: false,
    seconds,
    imagesPerSecond: counters.decoded / seconds,
    notes,
  };
}

/** libuv's thread pool size (sharp runs its decodes there): UV_THREADPOOL_SIZE, default 4. */
function uvThreadPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

async function prepareSplit(
  split: SplitName,
  plan: SourceImage[],
  root: string,
  outDir: string,
  size: number,
  decoder: Decoder,
  counters: { decoded: number; started: number },
  options: PrepareImageFolderOptions,
  onProgress: ProgressCallback | undefined,
): Promise<{ info: CacheSplitInfo; report: PrepareSplitReport; skipped: SkippedImage[] }> {
  const recordBytes = size * size * 3;
  const finalFile = `${split}.records`;
  const metaFile = `${split}.json`;
  const finalPath = join(outDir, finalFile);
  const partialPath = `${finalPath}.partial`;
  const progressPath = join(outDir, `${split}.progress.json`);
  const hashOfPlan = planHash(plan);
  let progress: Progress = { planHash: hashOfPlan, next: 0, records: 0, skipped: [] };
  // With overwrite, in-progress state that cannot be continued is discarded instead of refused.
  const discard = (why: string): void => {
    if (!options.overwrite) throw new CacheError(`${why}; pass overwrite: true to start again`);
    rmSync(progressPath, { force: true });
    rmSync(partialPath, { force: true });
    progress = { planHash: hashOfPlan, next: 0, records: 0, skipped: [] };
  };
  if (existsSync(progressPath)) {
    progress = JSON.parse(readFileSync(progressPath, 'utf8')) as Progress;
    if (progress.planHash !== hashOfPlan)
      discard(
        `the ${split} images of '${root}' changed since the interrupted prepare of '${outDir}' (files added or removed)`,
      );
  }
  const info = (sha256: string, records: number, skippedCount: number): CacheSplitInfo => ({
    records,
    seen: plan.length,
    skipped: skippedCount,
    recordShape: [size, size, 3],
    recordBytes,
    file: finalFile,
    meta: metaFile,
    sha256,
    metaSha256: sha256File(join(outDir, metaFile)),
  });
  if (progress.complete) {
    // Finished before an interruption: only the rename may be left to do.
    if (existsSync(partialPath)) renameSync(partialPath, finalPath);
    if (!existsSync(finalPath) || statSync(finalPath).size !== progress.records * recordBytes) {
      discard(`${finalPath}: missing or of the wrong size`);
      rmSync(finalPath, { force: true }); // (only reached with overwrite)
    }
  }
  if (progress.complete) {
    return {
      info: info(progress.sha256!, progress.records, progress.skipped.length),
      report: {
        seen: plan.length,
        accepted: progress.records,
        skipped: progress.skipped.length,
        resumed: progress.records,
        decoded: 0,
        file: finalPath,
        sha256: progress.sha256!,
      },
      skipped: progress.skipped,
    };
  }

  const partialBytes = existsSync(partialPath) ? statSync(partialPath).size : 0;
  if (partialBytes < progress.records * recordBytes)
    discard(
      `${partialPath} holds ${partialBytes} bytes but its progress marker counts ${progress.records} records of ${recordBytes}`,
    );
  const resumedRecords = progress.records;
  const fd = openSync(partialPath, existsSync(partialPath) ? 'r+' : 'w');
  let next = progress.next;
  let records = progress.records;
  const skipped = [...progress.skipped];
  let decodedHere = 0;
  const hash = createHash('sha256');
  let sinceFlush = 0;
  let lastFlush = performance.now();
  const flush = (): void => {
    fdatasyncSync(fd);
    writeFileAtomic(
      progressPath,
      JSON.stringify({ planHash: hashOfPlan, next, records, skipped } satisfies Progress),
    );
    sinceFlush = 0;
    lastFlush = performance.now();
  };
  const flushEvery = options.flushEvery ?? 256;
  let closed = false;
  try {
    // Anything past the last marker was written after it: drop it and decode it again.
    ftruncateSync(fd, records * recordBytes);
    if (records > 0) hashFileInto(hash, partialPath, records * recordBytes);
    const inflight = new Map<number, Promise<DecodeResult>>();
    let issued = next;
    const window = decoder.parallel * 2;
    const signal = options.signal;
    while (next < plan.length) {
      while (!signal?.aborted && issued < plan.length && issued - next < window) {
        const item = plan[issued]!;
        const job: Promise<DecodeResult> =
          item.label < 0
            ? Promise.resolve({ ok: false, reason: item.reason ?? 'no label' })
            : decoder.decode(join(root, item.path));
        job.catch(() => {}); // a failed pool rejects every job; the first awaited one reports it
        inflight.set(issued, job);
        issued++;
      }
      if (issued === next) break; // aborted, nothing left in flight
      const item = plan[next]!;
      const result = await inflight.get(next)!;
      inflight.delete(next);
      if (item.label >= 0) {
        decodedHere++;
        counters.decoded++;
      }
      if (result.ok) {
        writeSync(fd, result.pixels, 0, recordBytes, records * recordBytes);
        hash.update(result.pixels);
        records++;
      } else {
        skipped.push({ split, path: item.path, reason: result.reason });
      }
      next++;
      sinceFlush++;
      if (sinceFlush >= flushEvery || performance.now() - lastFlush > 2000) flush();
      if (onProgress) {
        const elapsedSeconds = (performance.now() - counters.started) / 1000;
        onProgress({
          split,
          done: next,
          total: plan.length,
          accepted: records,
          skipped: skipped.length,
          decoded: counters.decoded,
          elapsedSeconds,
          imagesPerSecond: counters.decoded / Math.max(elapsedSeconds, 1e-9),
          file: item.path,
        });
      }
    }
    if (next < plan.length) {
      flush();
      throw new PrepareInterruptedError(split, next, plan.length);
    }
    // Complete: metadata, then the marker saying so, then the records file under its final name.
    fdatasyncSync(fd);
    closeSync(fd);
    closed = true;
    const skippedPaths = new Set(skipped.map((s) => s.path));
    const meta: SplitMeta = { labels: [], sources: [], skipped };
    for (const p of plan)
      if (!skippedPaths.has(p.path)) {
        meta.labels.push(p.label);
        meta.sources.push(p.path);
      }
    if (meta.labels.length !== records)
      throw new Error(`internal: ${meta.labels.length} labels for ${records} records in ${split}`);
    writeFileAtomic(join(outDir, metaFile), JSON.stringify(meta));
    const sha256 = hash.digest('hex');
    writeFileAtomic(
      progressPath,
      JSON.stringify({
        planHash: hashOfPlan,
        next,
        records,
        skipped,
        complete: true,
        sha256,
      } satisfies Progress),
    );
    renameSync(partialPath, finalPath);
    return {
      info: info(sha256, records, skipped.length),
      report: {
        seen: plan.length,
        accepted: records,
        skipped: skipped.length,
        resumed: resumedRecords,
        decoded: decodedHere,
        file: finalPath,
        sha256,
      },
      skipped,
    };
  } catch (e) {
    if (!closed && !(e instanceof PrepareInterruptedError)) {
      try {
        flush(); // keep what was written in order so far
      } catch {
        // the original error matters more
      }
    }
    throw e;
  } finally {
    if (!closed) closeSync(fd);
  }
}
