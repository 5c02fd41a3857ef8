#!/usr/bin/env node
// Builds fatbin/alexnet.fatbin (all csrc kernels, one module) and fatbin/SOURCES.sha256.
// Fast path: when the recorded checksum matches the sources and flags, does nothing, so the
// package build costs nothing unless a kernel changed. Without nvcc it fails only if the committed
// fatbin is stale. `--force` rebuilds anyway; `--verbose` adds -Xptxas -v (registers, spills).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  checksumFileText,
  checksumPath,
  compileFatbin,
  fatbinPath,
  findNvcc,
  recordedChecksum,
  sourcesChecksum,
} from './fatbin-common.mjs';

const force = process.argv.includes('--force');
const verbose = process.argv.includes('--verbose');
const want = sourcesChecksum();
if (!force && recordedChecksum() === want) {
  console.log(`build-fatbin: fatbin/alexnet.fatbin is up to date (sources sha256 ${want.slice(0, 12)}…)`);
  process.exit(0);
}
const nvcc = findNvcc();
if (!nvcc) {
  console.error(
    'build-fatbin: nvcc not found (set NVCC or install the CUDA toolkit) and fatbin/alexnet.fatbin is stale or missing: ' +
      'the csrc sources changed since it was built. Rebuild it on a machine with nvcc: node scripts/build-fatbin.mjs',
  );
  process.exit(1);
}
mkdirSync(dirname(fatbinPath), { recursive: true });
const t0 = Date.now();
compileFatbin(nvcc, fatbinPath, verbose ? ['-Xptxas', '-v'] : []);
writeFileSync(checksumPath, checksumFileText(want));
const kb = (statSync(fatbinPath).size / 1024).toFixed(1);
console.log(
  `build-fatbin: fatbin/alexnet.fatbin ${kb} KiB in ${((Date.now() - t0) / 1000).toFixed(1)} s (sha256 ${want.slice(0, 12)}…)`,
);
