/**
 * The data of the CIFAR-10 test-error ablations (pooling, LRN): the first `train` images of the
 * official training batches (in their published order, which is random) and the whole official test
 * set, as a record cache of `@alexnet/imagenet` (train split / val split = the test set), served by its
 * loader with horizontal flips in training (no crops: 32 of 32; no PCA lighting), the training
 * subset's mean image subtracted, × 1/64 (unit-ish variance, as the Figure 1 benchmark).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  openImageNetCache,
  prepareCifar10,
} from '@alexnet/imagenet';
import { buildCifarCache } from './cifar-cache.js';
import { INPUT_SCALE } from './cifar-subset.js';

/** Images in each official training batch. */
const PER_BATCH = 10_000;

export interface TrainTestOptions {
  /** Folder with the official binary batches; fetched with prepareCifar10 when data_batch_1 is missing. */
  binDir: string;
  /** Where the subset's binaries and cache go. */
  outDir: string;
  /** Training images, a multiple of 5 in [5, 50,000] (taken from data_batch_1, then _2, …). */
  train: number;
  /** Test images (default 10,000, all; fewer only for smoke runs). */
  test?: number;
  log?: (line: string) => void;
}

export interface TrainTest {
  cacheDir: string;
  /** Images per class in the training subset and in the test set. */
  trainClassCounts: number[];
  testClassCounts: number[];
}

function classCounts(records: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let at = 0; at < records.length; at += CIFAR10_RECORD_BYTES) counts[records[at]!]!++;
  return counts;
}

/** Builds (once; later calls reuse it) the cache and its statistics. */
export async function prepareCifarTrainTest(options: TrainTestOptions): Promise<TrainTest> {
  const { train } = options;
  const test = options.test ?? PER_BATCH;
  if (!Number.isInteger(train) || train < 5 || train > 5 * PER_BATCH || train % 5 !== 0)
    throw new Error(`--train must be a multiple of 5 in [5, 50000], got ${train}`);
  if (!Number.isInteger(test) || test < 1 || test > PER_BATCH)
    throw new Error(`the test set size must be an integer in [1, 10000], got ${test}`);
  if (!existsSync(path.join(options.binDir, CIFAR10_TRAIN_FILES[0]!))) {
    options.log?.(`CIFAR-10 is missing in ${options.binDir}: fetching it (≈ 1 min)`);
    await prepareCifar10(options.binDir, { onProgress: options.log });
  }
  // the first `train` records over the official batches, in order
  const needed = Math.ceil(train / PER_BATCH);
  const parts: Uint8Array[] = [];
  for (let b = 0; b < needed; b++) {
    const file = path.join(options.binDir, CIFAR10_TRAIN_FILES[b]!);
    if (!existsSync(file))
      throw new Error(`${file} is missing (${train} training images need ${needed} batches)`);
    parts.push(readFileSync(file));
  }
  const all = Buffer.concat(parts).subarray(0, train * CIFAR10_RECORD_BYTES);
  const testFile = path.join(options.binDir, CIFAR10_TEST_FILE);
  if (!existsSync(testFile)) throw new Error(`${testFile} is missing`);
  const testRecords = readFileSync(testFile).subarray(0, test * CIFAR10_RECORD_BYTES);

  const cacheDir = await buildCifarCache(
    path.join(options.outDir, `cifar10-train${train}-test${test}`),
    all,
    testRecords,
    options.binDir,
  );
  return { cacheDir, trainClassCounts: classCounts(all), testClassCounts: classCounts(testRecords) };
}

/** The loader: crop 32 of 32, horizontal flips in training, no lighting, mean image subtracted, × 1/64. */
export function openTrainTest(cacheDir: string): ReturnType<typeof openImageNetCache> {
  return openImageNetCache(cacheDir, {
    crop: 32,
    flip: true,
    lighting: false,
    mean: 'image',
    scale: INPUT_SCALE,
    workers: 0,
  });
}
