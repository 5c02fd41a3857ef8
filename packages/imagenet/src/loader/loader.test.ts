import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawAugmentation, lightingShift, tenCrops, writeCrop } from '@alexnet/augment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImageFolder } from '../prepare.js';
import { computeStats, type DatasetStats } from '../stats.js';
import { poison, tempDir, writeJpeg } from '../test-helpers.js';
import { type ImageNetCacheSource, openImageNetCache } from './loader.js';
import { epochOrder } from './order.js';
import type { BatchRequest, LabelledBatch } from './source.js';

const tmp = tempDir('loader');
const root = join(tmp.dir, 'data');
const cache = join(tmp.dir, 'cache');
const S = 16;
const C = 12;
const N = 23; // train images: batches of 5 leave a partial one
let stats: DatasetStats;
let records: Buffer;
let labels: number[];
const open: ImageNetCacheSource[] = [];

async function source(options: Parameters<typeof openImageNetCache>[1] = {}): Promise<ImageNetCacheSource> {
  const s = await openImageNetCache(cache, { crop: C, ...options });
  open.push(s);
  return s;
}

/** All batches of one request, copied (a batch's memory is reused once the next is requested). */
async function collect(split: ImageNetCacheSource['train'], request: BatchRequest): Promise<LabelledBatch[]> {
  const out: LabelledBatch[] = [];
  for await (const b of split.batches(request))
    out.push({
      count: b.count,
      images: b.images.slice(),
      labels: b.labels.slice(),
      indices: b.indices.slice(),
    });
  return out;
}

beforeAll(async () => {
  for (let i = 0; i < N; i++) await writeJpeg(join(root, 'train', `n0${i % 3}`, `${i}.jpg`), 24, 20, i);
  for (let i = 0; i < 7; i++) await writeJpeg(join(root, 'val', `n0${i % 3}`, `${i}.jpg`), 20, 24, 100 + i);
  await prepareImageFolder({ root, outDir: cache, size: S });
  stats = await computeStats(cache);
  records = readFileSync(join(cache, 'train.records'));
  labels = JSON.parse(readFileSync(join(cache, 'train.json'), 'utf8')).labels;
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  tmp.cleanup();
});

const record = (i: number) => new Uint8Array(records.buffer, records.byteOffset + i * S * S * 3, S * S * 3);

describe('openImageNetCache', () => {
  it('is a DataSource: classes, sizes, input shape, description', async () => {
    const s = await source({ workers: 0 });
    expect(s.classes).toEqual(['n00', 'n01', 'n02']);
    expect(s.train.size).toBe(N);
    expect(s.val.size).toBe(7);
    expect(s.train.inputShape).toEqual([3, C, C]);
    expect(s.description).toMatch(/23 train \/ 7 val, 16px records, 12px crops/);
    expect(s.train.batchCount(5)).toBe(5);
    expect(s.train.batchCount(5, true)).toBe(4);
  });

  it("'center' writes the mean-subtracted centre crop of each record in order, every element", async () => {
    const s = await source({ workers: 0 });
    const batches = await collect(s.train, { batchSize: 5, mode: 'center', seed: 1, epoch: 0 });
    expect(batches.map((b) => b.count)).toEqual([5, 5, 5, 5, 3]);
    const expected = new Float32Array(C * C * 3);
    for (const b of batches) {
      expect(b.images.length).toBe(b.count * 3 * C * C);
      for (let i = 0; i < b.count; i++) {
        const r = b.indices[i]!;
        expect(b.labels[i]).toBe(labels[r]);
        writeCrop(record(r), S, S, { x: 2, y: 2, flip: false }, poison(expected), 0, {
          crop: C,
          mean: stats.meanImage,
        });
        expect(b.images.subarray(i * 3 * C * C, (i + 1) * 3 * C * C)).toEqual(expected);
      }
    }
    expect(batches.flatMap((b) => [...b.indices])).toEqual([...Array(N).keys()]);
    expect(batches.every((b) => b.images.every(Number.isFinite))).toBe(true);
  });

  it("'tenCrop' gives 10 crops per image in the paper's order (corners, centre, then mirrored)", async () => {
    const s = await source({ workers: 2 });
    const [b] = await collect(s.val, { batchSize: 4, mode: 'tenCrop', seed: 0, epoch: 0 });
    const val = readFileSync(join(cache, 'val.records'));
    expect(b!.images.length).toBe(4 * 10 * 3 * C * C);
    const one = new Float32Array(3 * C * C);
    const crops = tenCrops(S, S, C);
    for (let i = 0; i < 4; i++) {
      const src = new Uint8Array(val.buffer, val.byteOffset + i * S * S * 3, S * S * 3);
      for (let k = 0; k < 10; k++) {
        writeCrop(src, S, S, crops[k]!, poison(one), 0, { crop: C, mean: stats.meanImage });
        const at = (i * 10 + k) * 3 * C * C;
        expect(b!.images.subarray(at, at + 3 * C * C), `image ${i} crop ${k}`).toEqual(one);
      }
    }
  });

  it("'train' is deterministic from (seed, epoch) whatever the workers and prefetch; epochs differ", async () => {
    const request: BatchRequest = { batchSize: 5, mode: 'train', seed: 7, epoch: 3 };
    const inline = await collect((await source({ workers: 0 })).train, request);
    const two = await collect((await source({ workers: 2, prefetch: 1 })).train, request);
    const three = await collect((await source({ workers: 3, prefetch: 5 })).train, request);
    expect(two).toEqual(inline);
    expect(three).toEqual(inline);
    expect(inline.flatMap((b) => [...b.indices])).toEqual([...epochOrder(N, 7, 3, true)]);
    const other = await collect((await source({ workers: 0 })).train, { ...request, epoch: 4 });
    expect(other[0]!.indices).not.toEqual(inline[0]!.indices);
    expect([...other.flatMap((b) => [...b.indices])].sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
  });

  it("'train' = random crop + flip + PCA lighting (√eigenvalue units) − mean image, as @alexnet/augment draws them", async () => {
    const s = await source({ workers: 1 });
    const [b] = await collect(s.train, { batchSize: 6, mode: 'train', seed: 11, epoch: 2 });
    const one = new Float32Array(3 * C * C);
    let flips = 0;
    for (let i = 0; i < 6; i++) {
      const r = b!.indices[i]!;
      const a = drawAugmentation({ seed: 11, epoch: 2, index: r, srcWidth: S, srcHeight: S, crop: C });
      flips += a.flip ? 1 : 0;
      const lighting = {
        alpha: a.alpha,
        eigenvalues: stats.rgb.stddevs,
        eigenvectors: stats.rgb.eigenvectors,
      };
      writeCrop(record(r), S, S, a, poison(one), 0, { crop: C, mean: stats.meanImage, lighting });
      const got = b!.images.subarray(i * 3 * C * C, (i + 1) * 3 * C * C);
      expect(got).toEqual(one);
      // the lighting shift is really there: a constant per channel vs the unlit crop
      const shift = lightingShift(a.alpha, stats.rgb.stddevs, stats.rgb.eigenvectors);
      writeCrop(record(r), S, S, a, one, 0, { crop: C, mean: stats.meanImage });
      expect(got[0]! - one[0]!).toBeCloseTo(shift[0], 3);
    }
    expect(flips).toBeGreaterThan(0);
    // Options: no lighting, no flip, no mean
    const plain = await source({ workers: 0, lighting: false, flip: false, mean: 'none' });
    const [p] = await collect(plain.train, {
      batchSize: 1,
      mode: 'train',
      seed: 11,
      epoch: 2,
      shuffle: false,
    });
    const a0 = drawAugmentation({
      seed: 11,
      epoch: 2,
      index: 0,
      srcWidth: S,
      srcHeight: S,
      crop: C,
      flip: false,
    });
    writeCrop(record(0), S, S, a0, poison(one), 0, { crop: C });
    expect(p!.images).toEqual(one);
  });

  it('startBatch resumes mid-epoch with exactly the remaining batches; dropLast drops the partial one', async () => {
    const s = await source({ workers: 2 });
    const request: BatchRequest = { batchSize: 5, mode: 'train', seed: 3, epoch: 1 };
    const all = await collect(s.train, request);
    const tail = await collect(s.train, { ...request, startBatch: 2 });
    expect(tail).toEqual(all.slice(2));
    const dropped = await collect(s.train, { ...request, dropLast: true });
    expect(dropped).toEqual(all.slice(0, 4));
    expect(await collect(s.train, { ...request, startBatch: 9 })).toEqual([]);
  });

  it('keeps at most `prefetch` batch slots per iteration, survives an early break, and closes', async () => {
    const s = await source({ workers: 2, prefetch: 2 });
    const buffers = new Set<ArrayBufferLike>();
    let seen = 0;
    for await (const b of s.train.batches({ batchSize: 2, mode: 'train', seed: 1, epoch: 0 })) {
      buffers.add(b.images.buffer);
      seen++;
    }
    expect(seen).toBe(12);
    expect(buffers.size).toBeLessThanOrEqual(2);
    for await (const b of s.train.batches({ batchSize: 2, mode: 'center', seed: 1, epoch: 0 })) {
      expect(b.count).toBe(2);
      break;
    }
    await s.close();
    await expect(collect(s.train, { batchSize: 2, mode: 'center', seed: 1, epoch: 0 })).rejects.toThrow(
      /closed/,
    );
  });

  it('validates its arguments', async () => {
    const s = await source({ workers: 0 });
    expect(() => s.train.batches({ batchSize: 0, mode: 'train', seed: 1, epoch: 0 })).toThrow(/batchSize/);
    expect(() => s.train.batches({ batchSize: 2, mode: 'x' as 'train', seed: 1, epoch: 0 })).toThrow(/mode/);
    expect(() => s.train.batches({ batchSize: 2, mode: 'train', seed: -1, epoch: 0 })).toThrow(/seed/);
    await expect(openImageNetCache(cache, { crop: S + 1 })).rejects.toThrow(/crop must be/);
  });

  it('computes the statistics on first open when the cache has none', async () => {
    rmSync(join(cache, 'stats.json'));
    const s = await source({ workers: 0 });
    expect(s.stats!.rgb).toEqual(stats.rgb);
    expect(existsSync(join(cache, 'stats.json'))).toBe(true);
  });
});

const shared = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/data/imagenette2');
describe.skipIf(!existsSync(shared))('on real photos (imagenette2, a few per split)', () => {
  it('prepares, computes statistics and serves a batch of real images', async () => {
    const out = join(tmp.dir, 'imagenette');
    const r = await prepareImageFolder({ root: shared, outDir: out, limit: 20 });
    expect(r.accepted + r.skipped.length).toBe(r.seen);
    expect(r.classes.map((c) => c.name)).toContain('tench, Tinca tinca');
    const s = await openImageNetCache(out, { workers: 1 });
    open.push(s);
    const [b] = await collect(s.train, { batchSize: 4, mode: 'train', seed: 1, epoch: 0 });
    expect(b!.images.length).toBe(4 * 3 * 224 * 224);
    expect(b!.images.every(Number.isFinite)).toBe(true);
  });
});
if (!existsSync(shared)) console.log(`[skipped] imagenette2 loader test: ${shared} is absent`);
