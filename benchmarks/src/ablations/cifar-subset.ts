/**
 * The data of the ReLU-vs-tanh benchmark: a fixed subset of the CIFAR-10 training set, as a record
 * cache of `@alexnet/imagenet` served by its own loader (`openImageNetCache`), so the benchmark
 * goes through the same data path as the trainer's users.
 *
 * - train split: the first `train` images of the official batches (data_batch_1, then _2 …; CIFAR-10 is in random order),
 *   written as five small binary batches so that `prepareCifarCache` reads them as it reads the real
 *   ones;
 * - val split: **the first `measure` of those same training images**. The trainer evaluates its
 *   val split after every epoch with the weights fixed, so its val top-1 error is the training error
 *   measured properly on a fixed training subset (the trainer's own train top-1 error is a running
 *   average over an epoch during which the network changes).
 *
 * Inputs: 32×32 records, crop 32 (so the 'train' crop is the whole image), no flips, no PCA lighting,
 * the subset's mean image subtracted, then × 1/64 (CIFAR-10's pixel standard deviation is ≈ 63–67
 * in 0–255 units, so the inputs have roughly unit variance).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CIFAR10_RECORD_BYTES,
  CIFAR10_TRAIN_FILES,
  openImageNetCache,
  prepareCifar10,
} from '@alexnet/imagenet';
import { buildCifarCache } from './cifar-cache.js';

export const INPUT_SCALE = 1 / 64;

export interface SubsetOptions {
  /** Folder with the official binary batches (data_batch_1.bin …); built with prepareCifar10 if missing. */
  binDir: string;
  /** Where the subset's binaries and cache go. */
  outDir: string;
  /** Training images (5 … 50,000, a multiple of 5; beyond 10,000 from data_batch_2 on). */
  train: number;
  /** Of those, how many the training error is measured on after every epoch (1 … train). */
  measure: number;
  log?: (line: string) => void;
}

export interface Subset {
  cacheDir: string;
  /** Images per class in the training subset. */
  classCounts: number[];
}

/** Builds (once; later calls reuse it) the subset cache and its statistics. */
export async function prepareSubset(options: SubsetOptions): Promise<Subset> {
  const { train, measure } = options;
  if (!Number.isInteger(train) || train < 5 || train > 50_000 || train % 5 !== 0)
    throw new Error(`--train must be a multiple of 5 in [5, 50000], got ${train}`);
  if (!Number.isInteger(measure) || measure < 1 || measure > train)
    throw new Error(`--measure must be an integer in [1, ${train}], got ${measure}`);
  const first = path.join(options.binDir, CIFAR10_TRAIN_FILES[0]!);
  if (!existsSync(first)) {
    options.log?.(`${first} is missing: fetching CIFAR-10 into ${options.binDir} (≈ 1 min)`);
    await prepareCifar10(options.binDir, { onProgress: options.log });
  }
  // the first `train` records over the official batches, in their published (random) order
  const batches = Math.ceil(train / 10_000);
  const bytes = Buffer.concat(
    CIFAR10_TRAIN_FILES.slice(0, batches).map((name) => readFileSync(path.join(options.binDir, name))),
  );
  if (bytes.length < train * CIFAR10_RECORD_BYTES)
    throw new Error(`${options.binDir} holds fewer than ${train} training images`);
  const classCounts = new Array<number>(10).fill(0);
  for (let i = 0; i < train; i++) classCounts[bytes[i * CIFAR10_RECORD_BYTES]!]!++;
  const cacheDir = await buildCifarCache(
    path.join(options.outDir, `cifar10-n${train}-m${measure}`),
    bytes.subarray(0, train * CIFAR10_RECORD_BYTES),
    bytes.subarray(0, measure * CIFAR10_RECORD_BYTES),
    options.binDir,
  );
  return { cacheDir, classCounts };
}

/** The loader on the subset: crop 32 of 32, no flips, no lighting, mean image subtracted, × 1/64. */
export function openSubset(cacheDir: string): ReturnType<typeof openImageNetCache> {
  return openImageNetCache(cacheDir, {
    crop: 32,
    flip: false,
    lighting: false,
    mean: 'image',
    scale: INPUT_SCALE,
    workers: 0,
  });
}
