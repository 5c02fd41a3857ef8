/**
 * Stand-in CIFAR-10 binaries for the ablations' smoke runs (CI downloads nothing): `count` records of
 * class i mod 10 whose pixels are noise plus a class-dependent colour, so the nets have something to
 * learn. Writes data_batch_1.bin and, for the test-error ablations, test_batch.bin (other noise).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE } from '@alexnet/imagenet';

function records(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count * CIFAR10_RECORD_BYTES);
  let state = seed;
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    const at = i * CIFAR10_RECORD_BYTES;
    bytes[at] = label;
    for (let p = 0; p < 3072; p++) {
      state = (state * 1103515245 + 12345) >>> 0;
      const channel = Math.floor(p / 1024);
      bytes[at + 1 + p] = ((state >>> 16) % 128) + ((label + channel * 3) % 10) * 12;
    }
  }
  return bytes;
}

/** Writes the stand-in batches into `dir`; returns `dir`. */
export function syntheticCifar(
  dir: string,
  count: number,
  log: (line: string) => void,
  testCount = 0,
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'data_batch_1.bin'), records(count, 12345));
  if (testCount > 0) writeFileSync(path.join(dir, CIFAR10_TEST_FILE), records(testCount, 777));
  log(`smoke: no CIFAR-10 in the user cache, using ${count} synthetic records (${dir})`);
  return dir;
}
