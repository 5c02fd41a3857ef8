/**
 * Test helpers (not exported by the package): this run's seed and random images. Inputs are fresh
 * every run (ALEXNET_TEST_SEED replays a failure); statistical tests use fixed seeds instead, so
 * their tolerances are checked once and cannot flake.
 */
import { runSeed, TestData } from '@alexnet/tensor/testing';

/** This run's seed (fresh each run; ALEXNET_TEST_SEED replays), printed by failing tests. */
export const SEED = runSeed();

/** A test-data generator for one test, derived from the run's seed and the test's own number. */
export function data(salt: number): TestData {
  return new TestData((SEED + salt * 0x9e3779b1) % 2 ** 53);
}

/** Random bytes (an RGB HWC image when length = w·h·3); never all zeros. */
export function randomBytes(d: TestData, length: number): Uint8Array {
  const u = d.uniform(length, 0, 256);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(u[i]!);
  if (length > 0 && out.every((v) => v === 0)) out[0] = 1;
  return out;
}

/** A random integer in [lo, hi]. */
export function randomInt(d: TestData, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(d.uniform(1)[0]! * (hi - lo + 1)));
}

/** A Float32Array of `length` NaNs: elements a call fails to write stay NaN. */
export function poisoned(length: number): Float32Array {
  return new Float32Array(length).fill(Number.NaN);
}

/** Replay hint for failure messages. */
export const replay = `(replay: ALEXNET_TEST_SEED=${SEED})`;
