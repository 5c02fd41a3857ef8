import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheIndex, readSplitMeta, sha256File } from './cache.js';
import { DEFAULT_DECODE, decodeImage } from './decode.js';
import { CacheError, PrepareInterruptedError } from './errors.js';
import { type PrepareProgress, prepareImageFolder } from './prepare.js';
import { tempDir, writeJpeg, writeOddImages, writePng } from './test-helpers.js';

const tmp = tempDir('prepare');
const odd = join(tmp.dir, 'odd');
const many = join(tmp.dir, 'many');
let oddFiles: { good: string[]; bad: string[] };

beforeAll(async () => {
  // ILSVRC layout: train/n01 holds every unusual file, train/n02 two plain ones, train/n03 nothing;
  // val/ is flat with a val.txt that misses one image.
  oddFiles = await writeOddImages(join(odd, 'train/n01'));
  await writeJpeg(join(odd, 'train/n02/a.JPEG'), 50, 40, 2);
  await writePng(join(odd, 'train/n02/b.png'), 30, 60, 3);
  await writeJpeg(join(odd, 'train/n03/.keep-not-an-image.txt'), 4, 4);
  await writeJpeg(join(odd, 'val/v1.JPEG'), 40, 40, 4);
  await writeJpeg(join(odd, 'val/v2.JPEG'), 40, 40, 5);
  await writeJpeg(join(odd, 'val/v3.JPEG'), 40, 40, 6);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(odd, 'val.txt'), 'v1.JPEG 1\nv3.JPEG 0\n');
  // 2 classes × 20 images for resuming.
  for (let i = 0; i < 40; i++)
    await writeJpeg(join(many, `c${i % 2}`, `img${String(i).padStart(2, '0')}.jpg`), 24, 20, i);
});
afterAll(() => tmp.cleanup());

describe('prepareImageFolder', () => {
  it('caches every decodable image, skips the rest by name with a reason, and counts accepted + skipped = seen', async () => {
    const outDir = join(tmp.dir, 'odd-cache');
    const seen: PrepareProgress[] = [];
    const r = await prepareImageFolder({ root: odd, outDir, size: 16 }, (p) => seen.push(p));
    const goodTrain = oddFiles.good.length + 2;
    expect(r.splits.train).toMatchObject({ seen: goodTrain + 3, accepted: goodTrain, skipped: 3 });
    expect(r.splits.val).toMatchObject({ seen: 3, accepted: 2, skipped: 1 });
    expect(r.accepted + r.skipped.length).toBe(r.seen);
    expect(r.skipped.map((s) => s.path).sort()).toEqual(
      [...oddFiles.bad.map((f) => `train/n01/${f}`), 'val/v2.JPEG'].sort(),
    );
    expect(r.skipped.find((s) => s.path.endsWith('empty.JPEG'))!.reason).toBe('empty file');
    expect(r.skipped.find((s) => s.path === 'val/v2.JPEG')!.reason).toMatch(/no entry in .*val\.txt/);
    const problems = r.problems.map((p) => `${p.kind} ${p.path}`);
    expect(problems).toContain('empty-class train/n03');
    expect(problems).toContain('ignored-file train/n03/.keep-not-an-image.txt');
    expect(problems).toContain('missing-label val/v2.JPEG');
    expect(seen.at(-1)).toMatchObject({ split: 'val', done: 3, total: 3, accepted: 2, skipped: 1 });

    // The cache: index.json, records of 16·16·3 bytes in listing order, labels and sources.
    const index = readCacheIndex(outDir);
    expect(index.classes.map((c) => c.id)).toEqual(['n01', 'n02', 'n03']);
    expect(index.splits.train).toMatchObject({
      records: goodTrain,
      recordBytes: 768,
      recordShape: [16, 16, 3],
    });
    const records = readFileSync(join(outDir, 'train.records'));
    expect(records.length).toBe(goodTrain * 768);
    expect(sha256File(join(outDir, 'train.records'))).toBe(index.splits.train.sha256);
    const meta = readSplitMeta(outDir, index.splits.train);
    expect(meta.labels).toEqual([...oddFiles.good.map(() => 0), 1, 1]);
    expect(meta.sources[0]).toBe('train/n01/cmyk.JPEG');
    const expected = await decodeImage(join(odd, 'train/n02/b.png'), { ...DEFAULT_DECODE, size: 16 });
    expect(records.subarray((goodTrain - 1) * 768)).toEqual(Buffer.from(expected));
    expect(readSplitMeta(outDir, index.splits.val).labels).toEqual([1, 0]);
    // No in-progress files are left.
    expect(readdirSync(outDir).sort()).toEqual([
      'index.json',
      'train.json',
      'train.records',
      'val.json',
      'val.records',
    ]);

    // Again with the same settings: nothing to do; other settings: refused, unless overwrite.
    const again = await prepareImageFolder({ root: odd, outDir, size: 16 });
    expect(again.alreadyComplete).toBe(true);
    expect(again.skipped.length).toBe(4);
    await expect(prepareImageFolder({ root: odd, outDir, size: 20 })).rejects.toThrow(
      /other settings \(size: 16 → 20\)/,
    );
    await expect(prepareImageFolder({ root: odd, outDir, size: 16, background: [0, 0, 0] })).rejects.toThrow(
      CacheError,
    );
    const redone = await prepareImageFolder({ root: odd, outDir, size: 20, overwrite: true });
    expect(redone.alreadyComplete).toBe(false);
    expect(readCacheIndex(outDir).splits.train.recordBytes).toBe(20 * 20 * 3);
  });

  it('worker threads produce the identical cache', async () => {
    const a = await prepareImageFolder({ root: many, outDir: join(tmp.dir, 'w0'), size: 12, workers: 0 });
    const b = await prepareImageFolder({ root: many, outDir: join(tmp.dir, 'w2'), size: 12, workers: 2 });
    expect(b.splits.train.sha256).toBe(a.splits.train.sha256);
    expect(b.accepted).toBe(40);
  });

  it('resumes after an interruption without decoding again what was done, even after a torn write', async () => {
    const reference = await prepareImageFolder({ root: many, outDir: join(tmp.dir, 'ref'), size: 12 });
    const outDir = join(tmp.dir, 'resume');
    const stop = new AbortController();
    const err = await prepareImageFolder(
      { root: many, outDir, size: 12, flushEvery: 5, concurrency: 2, signal: stop.signal },
      (p) => {
        if (p.done === 17) stop.abort();
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrepareInterruptedError);
    expect((err as PrepareInterruptedError).done).toBeGreaterThanOrEqual(17);
    // Incomplete: no index.json, and opening it says so.
    expect(existsSync(join(outDir, 'index.json'))).toBe(false);
    expect(() => readCacheIndex(outDir)).toThrow(/incomplete/);
    // Simulate a crash mid-write: bytes past the last progress marker.
    const progress = JSON.parse(readFileSync(join(outDir, 'train.progress.json'), 'utf8')) as {
      records: number;
    };
    appendFileSync(join(outDir, 'train.records.partial'), Buffer.alloc(1000, 7));
    expect(statSync(join(outDir, 'train.records.partial')).size).toBeGreaterThan(progress.records * 432);
    // A rerun with other settings is refused before touching anything.
    await expect(prepareImageFolder({ root: many, outDir, size: 14 })).rejects.toThrow(/unfinished cache/);

    const r = await prepareImageFolder({ root: many, outDir, size: 12 });
    expect(r.splits.train.resumed).toBe(progress.records);
    expect(r.splits.train.decoded).toBe(40 - progress.records);
    expect(r.splits.train.sha256).toBe(reference.splits.train.sha256);
    expect(sha256File(join(outDir, 'train.records'))).toBe(reference.splits.train.sha256);
  });

  it('refuses to continue from a records file shorter than its progress marker', async () => {
    const outDir = join(tmp.dir, 'short');
    const stop = new AbortController();
    await prepareImageFolder({ root: many, outDir, size: 12, flushEvery: 4, signal: stop.signal }, (p) => {
      if (p.done === 9) stop.abort();
    }).catch(() => {});
    truncateSync(join(outDir, 'train.records.partial'), 100);
    await expect(prepareImageFolder({ root: many, outDir, size: 12 })).rejects.toThrow(
      /progress marker counts/,
    );
    const r = await prepareImageFolder({ root: many, outDir, size: 12, overwrite: true });
    expect(r.splits.train).toMatchObject({ accepted: 40, resumed: 0 });
  });
});
