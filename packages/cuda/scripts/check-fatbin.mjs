#!/usr/bin/env node
// CI check: the committed fatbin must have been built from the current sources and flags
// (fatbin/SOURCES.sha256), and, when nvcc exists, the sources must compile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFatbin, findNvcc, recordedChecksum, sourcesChecksum } from './fatbin-common.mjs';

const want = sourcesChecksum();
const have = recordedChecksum();
if (have !== want) {
  console.error(
    `check-fatbin: STALE fatbin: fatbin/SOURCES.sha256 is ${have ?? 'missing'} but the csrc sources and nvcc flags hash to ${want}.\n` +
      'Rebuild and commit it: npx -y pnpm@10.34.9 --filter @alexnet/cuda build:fatbin',
  );
  process.exit(1);
}
console.log(`check-fatbin: fatbin/alexnet.fatbin matches its sources (sha256 ${want.slice(0, 12)}…)`);
const nvcc = findNvcc();
if (!nvcc) {
  console.log('check-fatbin: nvcc not found, so the compile check is skipped');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-check-'));
  try {
    const t0 = Date.now();
    compileFatbin(nvcc, join(dir, 'check.fatbin'));
    console.log(
      `check-fatbin: the sources compile with ${nvcc} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
