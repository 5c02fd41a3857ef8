/**
 * A record cache of `@alexnet/imagenet` from chosen CIFAR-10 records: written as the official binary
 * batches (five training batches of equal size, one test batch) so that `prepareCifarCache` reads
 * them as it reads the real ones, then its statistics (mean image, RGB PCA). Shared by the ablations'
 * data subsets.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  computeStats,
  prepareCifarCache,
  readCacheIndex,
} from '@alexnet/imagenet';

/**
 * Builds `<root>/cache` once (later calls reuse it and check its counts) from `train` and `val`
 * records (`train` a multiple of 5 records); `metaDir` is where batches.meta.txt (class names) is.
 * Returns the cache folder.
 */
export async function buildCifarCache(
  root: string,
  train: Uint8Array,
  val: Uint8Array,
  metaDir: string,
): Promise<string> {
  const trainRecords = train.length / CIFAR10_RECORD_BYTES;
  const valRecords = val.length / CIFAR10_RECORD_BYTES;
  const binDir = path.join(root, 'bin');
  const cacheDir = path.join(root, 'cache');
  if (!existsSync(path.join(cacheDir, 'index.json'))) {
    mkdirSync(binDir, { recursive: true });
    const per = (trainRecords / 5) * CIFAR10_RECORD_BYTES;
    CIFAR10_TRAIN_FILES.forEach((name, k) => {
      writeFileSync(path.join(binDir, name), train.subarray(k * per, (k + 1) * per));
    });
    writeFileSync(path.join(binDir, CIFAR10_TEST_FILE), val);
    const meta = path.join(metaDir, 'batches.meta.txt');
    if (existsSync(meta)) writeFileSync(path.join(binDir, 'batches.meta.txt'), readFileSync(meta));
    await prepareCifarCache({ binDir, outDir: cacheDir });
  }
  const index = readCacheIndex(cacheDir);
  if (index.splits.train.records !== trainRecords || index.splits.val.records !== valRecords)
    throw new Error(
      `${cacheDir} holds ${index.splits.train.records}/${index.splits.val.records} records, not ${trainRecords}/${valRecords}; remove it`,
    );
  await computeStats(cacheDir, { workers: 0 });
  return cacheDir;
}
