#!/usr/bin/env node
// Loader throughput on a prepared cache: images/s of 'train' batches (random crop, flip, PCA
// lighting, mean image) at batch 128 with 0 (inline), 1 and 2 worker threads, and the CPU time the
// whole process spent per image (workers included) — the cost taken from training.
//
// With a 4th argument, a consumer that keeps the main thread busy for that many ms per image (as
// training does: 40 ms/image ≈ 25 images/s) and the time it then spent waiting for batches.
//
//   node scripts/bench-loader.mjs <cacheDir> [batches=20] [workers=0,1,2] [busyMsPerImage=0]
import { openImageNetCache } from '../dist/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bench-loader.mjs <cacheDir> [batches] [workers list]');
const batches = Number(process.argv[3] ?? 20);
const workerCounts = (process.argv[4] ?? '0,1,2').split(',').map(Number);
const busyMsPerImage = Number(process.argv[5] ?? 0);
const busy = (ms) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const results = [];
for (const workers of workerCounts) {
  for (const mode of busyMsPerImage > 0 ? ['train'] : ['train', 'center']) {
    const source = await openImageNetCache(dir, { crop: 224, workers });
    // warm-up: one batch (starts the workers, fills the page cache for what it reads)
    for await (const _ of source.train.batches({ batchSize: 128, mode, seed: 9, epoch: 9 })) break;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let images = 0;
    let n = 0;
    let waitMs = 0;
    let asked = performance.now();
    for await (const b of source.train.batches({ batchSize: 128, mode, seed: 1, epoch: 0 })) {
      if (n > 0) waitMs += performance.now() - asked;
      images += b.count;
      if (++n >= batches) break;
      busy(busyMsPerImage * b.count);
      asked = performance.now();
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await source.close();
    const r = {
      workers,
      mode,
      batchSize: 128,
      images,
      imagesPerSecond: +(images / seconds).toFixed(1),
      // (with a busy consumer the process CPU time is mostly the consumer's: not reported)
      ...(busyMsPerImage > 0
        ? { busyMsPerImage, waitedMsPerBatch: +(waitMs / (n - 1)).toFixed(1) }
        : { cpuMsPerImage: +((cpu.user + cpu.system) / 1000 / images).toFixed(2) }),
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
}
