import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheIndex } from './cache.js';
import { CacheError } from './errors.js';
import { prepareImageFolder } from './prepare.js';
import { computeStats, loadStats } from './stats.js';
import { tempDir, writeJpeg } from './test-helpers.js';
import { verifyCache } from './verify.js';

const tmp = tempDir('stats');
const root = join(tmp.dir, 'data');
const cache = join(tmp.dir, 'cache');
const S = 8;

beforeAll(async () => {
  for (let i = 0; i < 12; i++) await writeJpeg(join(root, 'train', `c${i % 3}`, `${i}.jpg`), 20, 16, i);
  for (let i = 0; i < 3; i++) await writeJpeg(join(root, 'val', `c${i}`, `${i}.jpg`), 20, 16, 50 + i);
  await prepareImageFolder({ root, outDir: cache, size: S });
});
afterAll(() => tmp.cleanup());

describe('computeStats / loadStats', () => {
  it('the mean image and RGB covariance match a direct float64 computation over the train records', async () => {
    const r = await computeStats(cache);
    expect(r.alreadyComputed).toBe(false);
    const records = readFileSync(join(cache, 'train.records'));
    const n = 12;
    const rb = S * S * 3;
    for (let k = 0; k < rb; k++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += records[i * rb + k]!;
      expect(r.meanImage.data[k]).toBeCloseTo(sum / n, 4);
    }
    const px = records.length / 3;
    const m = [0, 0, 0];
    for (let p = 0; p < px; p++) for (let c = 0; c < 3; c++) m[c]! += records[3 * p + c]! / px;
    const cov = [0, 1, 2].map((a) =>
      [0, 1, 2].map((b) => {
        let s = 0;
        for (let p = 0; p < px; p++) s += (records[3 * p + a]! - m[a]!) * (records[3 * p + b]! - m[b]!);
        return s / px;
      }),
    );
    for (let a = 0; a < 3; a++) {
      expect(r.rgb.mean[a]).toBeCloseTo(m[a]!, 8);
      expect(r.channelMean[a]).toBeCloseTo(m[a]!, 3);
      for (let b = 0; b < 3; b++) expect(r.rgb.covariance[a]![b]).toBeCloseTo(cov[a]![b]!, 6);
    }
    // Eigen-decomposition: C p = λ p for each (λ, p); λ descending.
    for (let i = 0; i < 3; i++) {
      const p = r.rgb.eigenvectors[i]!;
      for (let a = 0; a < 3; a++) {
        const cp = cov[a]![0]! * p[0] + cov[a]![1]! * p[1] + cov[a]![2]! * p[2];
        expect(cp).toBeCloseTo(r.rgb.eigenvalues[i]! * p[a]!, 5);
      }
    }
    expect(r.rgb.eigenvalues[0]).toBeGreaterThanOrEqual(r.rgb.eigenvalues[1]);

    // Stored beside the cache and loaded back identically; a second call reuses them.
    const loaded = loadStats(cache);
    expect(loaded.meanImage.data).toEqual(r.meanImage.data);
    expect(loaded.rgb).toEqual(r.rgb);
    expect((await computeStats(cache)).alreadyComputed).toBe(true);
    expect(verifyCache(cache).stats).toBe('ok');
  });

  it('gives the same statistics in parallel runs of records (worker threads) as in one pass', async () => {
    const one = await computeStats(cache, { force: true, workers: 0 });
    const progress: number[] = [];
    const split = await computeStats(cache, {
      force: true,
      workers: 2,
      chunk: 5,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toHaveLength(3); // runs of 5, 5 and 2 records
    expect(progress.at(-1)).toBe(12);
    for (let k = 0; k < one.meanImage.data.length; k++)
      expect(split.meanImage.data[k]).toBeCloseTo(one.meanImage.data[k]!, 4);
    for (let a = 0; a < 3; a++) {
      expect(split.rgb.mean[a]).toBeCloseTo(one.rgb.mean[a]!, 9);
      expect(split.rgb.eigenvalues[a]).toBeCloseTo(one.rgb.eigenvalues[a]!, 6);
      for (let b = 0; b < 3; b++) {
        expect(split.rgb.covariance[a]![b]).toBeCloseTo(one.rgb.covariance[a]![b]!, 7);
        expect(Math.abs(split.rgb.eigenvectors[a]![b]! - one.rgb.eigenvectors[a]![b]!)).toBeLessThan(1e-6);
      }
    }
    expect(split.rgb.count).toBe(12 * S * S);
  });

  it('refuses damaged or stale statistics', async () => {
    await computeStats(cache);
    const bin = join(cache, 'stats.bin');
    const good = readFileSync(bin);
    const bad = Buffer.from(good);
    bad[5]! ^= 1;
    writeFileSync(bin, bad);
    expect(() => loadStats(cache)).toThrow(/checksum mismatch/);
    expect(verifyCache(cache).ok).toBe(false);
    writeFileSync(bin, good);
    const json = join(cache, 'stats.json');
    const meta = JSON.parse(readFileSync(json, 'utf8'));
    writeFileSync(json, JSON.stringify({ ...meta, trainSha256: '0'.repeat(64) }));
    expect(() => loadStats(cache)).toThrow(CacheError);
    expect(() => loadStats(cache)).toThrow(/other train records/);
    // computeStats repairs it
    expect((await computeStats(cache)).alreadyComputed).toBe(false);
    expect(() => loadStats(cache)).not.toThrow();
  });
});

describe('verifyCache', () => {
  it('passes a good cache and names damaged records, metadata and sizes', async () => {
    const copy = join(tmp.dir, 'copy');
    await prepareImageFolder({ root, outDir: copy, size: S });
    const ok = verifyCache(copy);
    expect(ok.ok).toBe(true);
    expect(ok.problems).toEqual([]);
    expect(ok.splits.train).toEqual({
      records: 12,
      seen: 12,
      skipped: 0,
      sizeOk: true,
      checksumOk: true,
      metaOk: true,
    });
    expect(ok.stats).toBe('absent');

    const file = join(copy, 'train.records');
    const bytes = readFileSync(file);
    bytes[100]! ^= 0xff;
    writeFileSync(file, bytes);
    expect(verifyCache(copy, { quick: true }).ok).toBe(true);
    const damaged = verifyCache(copy);
    expect(damaged.ok).toBe(false);
    expect(damaged.problems.join('\n')).toMatch(/train: train\.records sha256 differs/);

    truncateSync(file, 10);
    expect(verifyCache(copy, { quick: true }).problems.join('\n')).toMatch(/10 bytes, expected 12 × 192/);
    writeFileSync(join(copy, 'val.json'), '{}');
    expect(verifyCache(copy).problems.join('\n')).toMatch(/val: val\.json sha256 differs/);
    expect(readCacheIndex(copy).splits.val.records).toBe(3);
    expect(verifyCache(join(tmp.dir, 'nothing')).problems[0]).toMatch(/not a cache/);
  });
});
