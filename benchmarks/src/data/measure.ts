/**
 * Pieces of the data-pipeline benchmark: the image subset (real photos linked into a class-folder
 * tree, or generated JPEGs when the shared data is absent), the "sharp alone" baseline, and a meter
 * of wall time, this process's CPU time and the CPU other processes took meanwhile.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DecodeSettings, decodeImage, listImageFolder } from '@alexnet/imagenet';
import sharp from 'sharp';

// ---------------------------------------------------------------------------------------------
// Measuring

export interface Meter {
  /** Stops the meter: wall seconds, this process's CPU seconds (all threads), other processes' cores. */
  stop(): MeterReading;
}

export interface MeterReading {
  wallSeconds: number;
  /** user + system CPU of this process, every thread (libuv's pool, workers, sharp's threads). */
  cpuSeconds: number;
  /** cpuSeconds / wallSeconds: the cores this process kept busy. */
  cpuOverWall: number;
  /** Busy cores (all processes, from os.cpus()) minus this process's: the cores others took. */
  othersCores: number;
}

function busyMs(): number {
  let busy = 0;
  for (const c of os.cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return busy;
}

export function startMeter(): Meter {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const b0 = busyMs();
  return {
    stop(): MeterReading {
      const wallSeconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpuSeconds = (c.user + c.system) / 1e6;
      const allSeconds = (busyMs() - b0) / 1000;
      return {
        wallSeconds,
        cpuSeconds,
        cpuOverWall: cpuSeconds / wallSeconds,
        othersCores: Math.max(0, (allSeconds - cpuSeconds) / wallSeconds),
      };
    },
  };
}

export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
  /** (max − min) / median. */
  spread: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summary of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { runs: values.length, median, min, max, spread: (max - min) / median };
}

/** The i-th rotation of `items` (run orders that alternate which side goes first). */
export function rotate<T>(items: readonly T[], i: number): T[] {
  const k = ((i % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------
// The images

export interface ImageSubset {
  /** A class-folder tree (`<class>/<file>`) of symbolic links to the chosen files: prepare's root. */
  root: string;
  /** The links' paths, in prepare's listing order (what the baselines decode too). */
  files: string[];
  /** Where the images came from. */
  source: string;
  generated: boolean;
  classes: number;
  /** Bytes of the chosen files, and their pixel sizes (from the headers). */
  totalBytes: number;
  sizes: { minWidth: number; maxWidth: number; minHeight: number; maxHeight: number; greyscale: number };
}

/** Evenly spread subset of `n` items (all when n ≥ length), as prepare's `limit` chooses. */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/**
 * Links `count` images spread over `datasetRoot`'s train split (every train and val image when
 * `count` is undefined) into `dir` as class folders, so that prepare and the baselines read exactly
 * the same files.
 */
export async function linkSubset(
  datasetRoot: string,
  dir: string,
  count: number | undefined,
): Promise<ImageSubset> {
  const listing = listImageFolder(datasetRoot);
  const chosen =
    count === undefined
      ? [
          ...listing.splits.train.map((s) => ({ ...s, split: 'train' })),
          ...listing.splits.val.map((s) => ({ ...s, split: 'val' })),
        ]
      : spread(listing.splits.train, count).map((s) => ({ ...s, split: 'train' }));
  const usable = chosen.filter((s) => s.label >= 0);
  for (const s of usable) {
    const cls = listing.classes[s.label]!.id;
    mkdirSync(path.join(dir, cls), { recursive: true });
    symlinkSync(path.join(listing.root, s.path), path.join(dir, cls, `${s.split}_${path.basename(s.path)}`));
  }
  return describeSubset(
    dir,
    `${listing.root} (${count === undefined ? 'every train and val image' : `${usable.length} train images spread evenly over ${listing.splits.train.length}`})`,
    false,
  );
}

/**
 * Generates `count` JPEGs (quality 90, 4 classes, sizes 300–500 × 240–400 px, a few greyscale)
 * with sharp: smooth colour fields with Gaussian noise, a stand-in for photos when no real ones are
 * available. Decoding them costs about what a photo of the same size costs; compare ratios, not
 * absolute speeds, with the real-photo runs.
 */
export async function generateSubset(dir: string, count: number): Promise<ImageSubset> {
  const classes = 4;
  for (let i = 0; i < count; i++) {
    const cls = `class_${i % classes}`;
    mkdirSync(path.join(dir, cls), { recursive: true });
    const width = 300 + ((i * 37) % 201);
    const height = 240 + ((i * 53) % 161);
    const grey = i % 16 === 15;
    const base = sharp({
      create: {
        width,
        height,
        channels: 3,
        background: { r: (i * 71) % 256, g: (i * 113) % 256, b: (i * 29) % 256 },
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    });
    const img = grey ? base.greyscale() : base;
    writeFileSync(
      path.join(dir, cls, `img_${String(i).padStart(5, '0')}.jpg`),
      await img.blur(1.5).jpeg({ quality: 90 }).toBuffer(),
    );
  }
  return describeSubset(dir, `${count} JPEGs generated with sharp (noise, blurred; no real photos)`, true);
}

async function describeSubset(root: string, source: string, generated: boolean): Promise<ImageSubset> {
  // The same order prepare lists them in ('folders' layout: sorted classes, sorted files).
  const listing = listImageFolder(root, { layout: 'folders' });
  const files = listing.splits.train.map((s) => path.join(listing.root, s.path));
  let totalBytes = 0;
  const sizes = { minWidth: Infinity, maxWidth: 0, minHeight: Infinity, maxHeight: 0, greyscale: 0 };
  for (const f of files) {
    totalBytes += statSync(f).size;
    const m = await sharp(f).metadata();
    sizes.minWidth = Math.min(sizes.minWidth, m.width);
    sizes.maxWidth = Math.max(sizes.maxWidth, m.width);
    sizes.minHeight = Math.min(sizes.minHeight, m.height);
    sizes.maxHeight = Math.max(sizes.maxHeight, m.height);
    if (m.channels !== undefined && m.channels < 3) sizes.greyscale++;
  }
  return { root: listing.root, files, source, generated, classes: listing.classes.length, totalBytes, sizes };
}

/** Reads every file once (untimed), so that every measurement finds them in the page cache. */
export function warmPageCache(files: readonly string[]): void {
  for (const f of files) readFileSync(f);
}

// ---------------------------------------------------------------------------------------------
// The baselines

/**
 * Runs `job` on every file with at most `inFlight` jobs outstanding (a pool of `inFlight` async
 * loops taking the next file): how prepare drives sharp on the main thread, minus its in-order
 * writing. Returns how many jobs produced the expected bytes.
 */
export async function runPool(
  files: readonly string[],
  inFlight: number,
  job: (file: string) => Promise<number>,
  expectBytes: number,
): Promise<number> {
  let next = 0;
  let ok = 0;
  const loop = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      try {
        if ((await job(file)) === expectBytes) ok++;
      } catch {
        // counted as not ok
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, files.length) }, loop));
  return ok;
}

/** "sharp alone": decode, cover-resize to size×size (shortest side → size, centre crop), raw RGB. */
export async function sharpAlone(file: string, size: number): Promise<number> {
  const data = await sharp(file).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  return data.length;
}

/** prepare's own decode (`decodeImage`: autoOrient, flatten, lanczos3 cover resize, sRGB), no writing. */
export async function decodeOnly(file: string, settings: DecodeSettings): Promise<number> {
  return (await decodeImage(file, settings)).length;
}

/**
 * prepare's writing alone, without decoding: `count` records of `recordBytes` appended to a file
 * with their sha256, fdatasync + an atomically renamed progress marker every `flushEvery` records,
 * a final fdatasync. What prepare adds to the decodes, measured on its own.
 */
export function writeRecordsOnly(dir: string, count: number, recordBytes: number, flushEvery = 256): void {
  mkdirSync(dir, { recursive: true });
  const record = Buffer.alloc(recordBytes);
  for (let i = 0; i < recordBytes; i++) record[i] = (i * 2654435761) >>> 24;
  const file = path.join(dir, 'train.records.partial');
  const marker = path.join(dir, 'train.progress.json');
  const hash = createHash('sha256');
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < count; i++) {
      record[0] = i & 255; // not the same bytes every time
      writeSync(fd, record, 0, recordBytes, i * recordBytes);
      hash.update(record);
      if ((i + 1) % flushEvery === 0) {
        fdatasyncSync(fd);
        const m = openSync(`${marker}.tmp`, 'w'); // as prepare's writeFileAtomic: write, fsync, rename
        writeFileSync(m, JSON.stringify({ next: i + 1, records: i + 1 }));
        fsyncSync(m);
        closeSync(m);
        renameSync(`${marker}.tmp`, marker);
      }
    }
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  hash.digest('hex');
  rmSync(dir, { recursive: true, force: true });
}
