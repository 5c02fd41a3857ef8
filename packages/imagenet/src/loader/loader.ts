/**
 * The prefetching loader over a record cache: a `DataSource` whose splits serve augmented NCHW
 * float32 batches. Worker threads read records and write crops straight into SharedArrayBuffer
 * batch slots; at most `prefetch` batches per iteration exist at once (memory stays bounded); the
 * order and every random choice are pure functions of (seed, epoch), so results do not depend on
 * the number of workers or their timing, and `startBatch` resumes mid-epoch exactly.
 */

import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { centerCrop, PAPER_LIGHTING_STD, type PcaBasis, tenCrops, writeCrop } from '@alexnet/augment';
import { ArgumentError } from '@alexnet/tensor';
import { type CacheIndex, readCacheIndex, readSplitMeta, type SplitName, sha256File } from '../cache.js';
import { CacheError } from '../errors.js';
import { WorkerPool, workerScript } from '../pool.js';
import { computeStats, type DatasetStats, loadStats } from '../stats.js';
import { cropsPerImage, type FillTask, fillImages, RecordReader } from './fill.js';
import { epochOrder } from './order.js';
import type { BatchRequest, DataSource, DataSplit, LabelledBatch } from './source.js';

export interface OpenCacheOptions {
  /** Side of the network input crops (default 224, or the record size when records are smaller). */
  crop?: number;
  /**
   * Worker threads filling batches (default: cores − 1, at least 1, at most 4 — one core stays for
   * training). 0 fills batches on the calling thread (no prefetching).
   */
  workers?: number;
  /** Batches prepared ahead per iteration (default 2 × workers, at least 2). */
  prefetch?: number;
  /**
   * PCA lighting in 'train' mode: true (default) uses the cache's RGB PCA with λᵢ = √eigenvalueᵢ
   * (the standard deviation along pᵢ, in pixel units; see the README), false turns it off, or give
   * a basis of your own.
   */
  lighting?: boolean | PcaBasis;
  /** Standard deviation of the lighting coefficients αᵢ (default 0.1, the paper's). */
  lightingStd?: number;
  /** Mirror half of the training crops (default true). */
  flip?: boolean;
  /**
   * What is subtracted: 'image' (default, the per-pixel mean image, as the paper), 'channel' (its
   * per-channel mean), 'none', or [r, g, b].
   */
  mean?: 'image' | 'channel' | 'none' | [number, number, number];
  /** Multiplies the mean-subtracted values (default 1: 0–255 units, as Caffe). */
  scale?: number;
  /**
   * Statistics to use; by default loaded from the cache, and computed (once, stored) when the cache
   * has none yet — only needed for mean 'image'/'channel' or lighting true.
   */
  stats?: DatasetStats;
  /** Check the records files' sha256 against the index before use (reads everything once). */
  verify?: boolean;
}

export interface ImageNetCacheSource extends DataSource {
  readonly train: CacheSplit;
  readonly val: CacheSplit;
  readonly index: CacheIndex;
  readonly stats: DatasetStats | undefined;
  /** Worker threads in use (0: batches are filled on the calling thread). */
  readonly workers: number;
  close(): Promise<void>;
}

interface Shared {
  pool: WorkerPool<FillTask, number> | undefined;
  reader: RecordReader;
  workers: number;
  prefetch: number;
  crop: number;
  size: number;
  flip: boolean;
  lightingStd: number;
  meanImage: SharedArrayBuffer | null;
  channelMean: [number, number, number] | null;
  pca: FillTask['pca'];
  scale: number;
  closed: boolean;
}

/** One split of the cache as a `DataSplit`. */
export class CacheSplit implements DataSplit {
  readonly size: number;
  readonly inputShape: readonly [number, number, number];
  /** Class index of each record (for reports). */
  readonly labels: Int32Array;
  /** Source path of each record. */
  readonly sources: readonly string[];
  private readonly file: string;
  private readonly recordBytes: number;

  constructor(
    readonly name: SplitName,
    dir: string,
    index: CacheIndex,
    private readonly shared: Shared,
  ) {
    const info = index.splits[name];
    const meta = readSplitMeta(dir, info);
    this.size = info.records;
    this.labels = Int32Array.from(meta.labels);
    this.sources = meta.sources;
    this.file = join(dir, info.file);
    this.recordBytes = info.recordBytes;
    this.inputShape = [3, shared.crop, shared.crop];
  }

  /** Number of batches `batches(request)` yields from batch 0. */
  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  batches(request: BatchRequest): AsyncGenerator<LabelledBatch> {
    const { batchSize, mode, seed, epoch } = request;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    if (mode !== 'train' && mode !== 'center' && mode !== 'tenCrop')
      throw new ArgumentError(`mode must be 'train', 'center' or 'tenCrop', got ${String(mode)}`);
    const shuffle = request.shuffle ?? mode === 'train';
    const count = this.batchCount(batchSize, request.dropLast ?? false);
    const startBatch = request.startBatch ?? 0;
    if (!Number.isInteger(startBatch) || startBatch < 0)
      throw new ArgumentError(`startBatch must be an integer ≥ 0, got ${startBatch}`);
    const order = epochOrder(this.size, seed, epoch, shuffle); // validates seed and epoch
    return this.run(request, order, count, startBatch);
  }

  private async *run(
    request: BatchRequest,
    order: Int32Array,
    count: number,
    startBatch: number,
  ): AsyncGenerator<LabelledBatch> {
    const s = this.shared;
    if (s.closed) throw new Error('the data source is closed');
    const { batchSize, mode, seed, epoch } = request;
    const crops = cropsPerImage(mode);
    const floatsPerImage = crops * 3 * s.crop * s.crop;
    const slotBytes = batchSize * floatsPerImage * 4;
    const depth = s.pool ? s.prefetch : 1;
    const free: SharedArrayBuffer[] = [];
    const inFlight: { slot: SharedArrayBuffer; batch: number; done: Promise<unknown>; n: number }[] = [];
    let nextBatch = startBatch;

    const start = (b: number): void => {
      let slot = free.pop();
      if (!slot) {
        slot = new SharedArrayBuffer(slotBytes);
        // Poisoned: an element a fill forgot would show up as NaN, never as a plausible zero.
        new Float32Array(slot).fill(Number.NaN);
      }
      const first = b * batchSize;
      const n = Math.min(batchSize, this.size - first);
      const records = Array.from(order.subarray(first, first + n));
      const base: Omit<FillTask, 'records' | 'positions'> = {
        file: this.file,
        recordBytes: this.recordBytes,
        size: s.size,
        images: slot,
        mode,
        crop: s.crop,
        seed,
        epoch,
        flip: s.flip,
        lightingStd: s.lightingStd,
        meanImage: s.meanImage,
        channelMean: s.channelMean,
        pca: mode === 'train' ? s.pca : null,
        scale: s.scale,
      };
      let done: Promise<unknown>;
      if (s.pool) {
        // Contiguous runs of the batch, one per worker.
        const parts = Math.min(s.workers, n);
        const jobs: Promise<number>[] = [];
        for (let p = 0; p < parts; p++) {
          const lo = Math.floor((p * n) / parts);
          const hi = Math.floor(((p + 1) * n) / parts);
          const positions = Array.from({ length: hi - lo }, (_, i) => lo + i);
          jobs.push(s.pool.run({ ...base, records: records.slice(lo, hi), positions }));
        }
        done = Promise.all(jobs);
      } else {
        try {
          fillImages({ ...base, records, positions: records.map((_, i) => i) }, s.reader);
          done = Promise.resolve();
        } catch (e) {
          done = Promise.reject(e);
        }
      }
      done.catch(() => {}); // awaited in order below; this only silences early rejections
      inFlight.push({ slot, batch: b, done, n });
    };

    try {
      while (nextBatch < count || inFlight.length > 0) {
        while (nextBatch < count && inFlight.length < depth) start(nextBatch++);
        const head = inFlight.shift()!;
        await head.done;
        if (s.closed) throw new Error('the data source was closed during iteration');
        const first = head.batch * batchSize;
        const indices = order.slice(first, first + head.n);
        const labels = new Int32Array(head.n);
        for (let i = 0; i < head.n; i++) labels[i] = this.labels[indices[i]!]!;
        // The consumer owns the slot until it asks for the next batch; then it is reused.
        yield {
          count: head.n,
          images: new Float32Array(head.slot, 0, head.n * floatsPerImage),
          labels,
          indices,
        };
        free.push(head.slot);
      }
    } finally {
      // Stopped early (break) or failed: let running fills finish before their slots are dropped.
      await Promise.allSettled(inFlight.map((f) => f.done));
    }
  }
}

/**
 * Opens a cache made by `prepareImageFolder` / `prepareCifarCache` as a `DataSource` (the interface
 * the `alexnet` trainer reads). Close it when done (`await source.close()`) to stop the workers.
 */
export async function openImageNetCache(
  dir: string,
  options: OpenCacheOptions = {},
): Promise<ImageNetCacheSource> {
  const index = readCacheIndex(dir);
  for (const name of ['train', 'val'] as const) {
    const info = index.splits[name];
    const file = join(dir, info.file);
    const bytes = statSync(file, { throwIfNoEntry: false })?.size;
    if (bytes !== info.records * info.recordBytes)
      throw new CacheError(
        `${file}: ${bytes ?? 'missing'} bytes, expected ${info.records} records × ${info.recordBytes}`,
      );
    if (options.verify && sha256File(file) !== info.sha256)
      throw new CacheError(`${file}: sha256 differs from index.json (damaged)`);
  }
  const [h, w, c] = index.splits.train.recordShape;
  if (h !== w || c !== 3) throw new CacheError(`records of ${h}×${w}×${c}: expected square RGB`);
  const size = w;
  const crop = options.crop ?? Math.min(size, 224);
  if (!Number.isInteger(crop) || crop < 1 || crop > size)
    throw new ArgumentError(`crop must be an integer in [1, ${size}] (the record size), got ${crop}`);
  const meanMode = options.mean ?? 'image';
  const lightingOpt = options.lighting ?? true;
  const needStats = meanMode === 'image' || meanMode === 'channel' || lightingOpt === true;
  let stats = options.stats;
  if (needStats && !stats) {
    try {
      stats = loadStats(dir, index);
    } catch (e) {
      if (!(e instanceof CacheError) || !/no statistics/.test(e.message)) throw e;
      stats = await computeStats(dir);
    }
  }
  let meanImage: SharedArrayBuffer | null = null;
  let channelMean: [number, number, number] | null = null;
  if (meanMode === 'image') {
    const data = stats!.meanImage.data;
    if (data.length !== size * size * 3)
      throw new ArgumentError(`the mean image has ${data.length} values; records need ${size * size * 3}`);
    meanImage = new SharedArrayBuffer(data.byteLength);
    new Float32Array(meanImage).set(data);
  } else if (meanMode === 'channel') channelMean = stats!.channelMean;
  else if (Array.isArray(meanMode)) channelMean = meanMode;
  let pca: FillTask['pca'] = null;
  const basis: PcaBasis | null =
    lightingOpt === true
      ? { eigenvalues: stats!.rgb.stddevs, eigenvectors: stats!.rgb.eigenvectors }
      : lightingOpt || null;
  const vec3 = (v: ArrayLike<number>): [number, number, number] => [v[0]!, v[1]!, v[2]!];
  if (basis) pca = { eigenvalues: vec3(basis.eigenvalues), eigenvectors: basis.eigenvectors.map(vec3) };
  const workers = options.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
  if (!Number.isInteger(workers) || workers < 0)
    throw new ArgumentError(`workers must be an integer ≥ 0, got ${workers}`);
  const prefetch = options.prefetch ?? Math.max(2, 2 * workers);
  if (!Number.isInteger(prefetch) || prefetch < 1)
    throw new ArgumentError(`prefetch must be a positive integer, got ${prefetch}`);
  const shared: Shared = {
    pool: workers > 0 ? new WorkerPool<FillTask, number>(workerScript('loader-worker'), workers) : undefined,
    reader: new RecordReader(),
    workers,
    prefetch,
    crop,
    size,
    flip: options.flip ?? true,
    lightingStd: options.lightingStd ?? PAPER_LIGHTING_STD,
    meanImage,
    channelMean,
    pca,
    scale: options.scale ?? 1,
    closed: false,
  };
  const train = new CacheSplit('train', dir, index, shared);
  const val = new CacheSplit('val', dir, index, shared);
  const source = index.settings.source;
  return {
    classes: index.classes.map((c) => c.name),
    train,
    val,
    index,
    stats,
    workers,
    description: `${dir} cache of ${source} (${train.size} train / ${val.size} val, ${size}px records, ${crop}px crops)`,
    sourceSize: size,
    toInput(rgb: Uint8Array, mode: 'center' | 'tenCrop'): Float32Array {
      const positions =
        mode === 'tenCrop' ? tenCrops(size, size, crop) : [{ ...centerCrop(size, size, crop), flip: false }];
      const out = new Float32Array(positions.length * 3 * crop * crop);
      const mean = meanImage ? new Float32Array(meanImage) : (channelMean ?? undefined);
      let at = 0;
      for (const p of positions)
        at = writeCrop(rgb, size, size, p, out, at, { crop, mean, scale: shared.scale });
      return out;
    },
    async close() {
      if (shared.closed) return;
      shared.closed = true;
      shared.reader.close();
      await shared.pool?.close();
    },
  };
}
