import { performance } from 'node:perf_hooks';

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface RunTimes {
  /** Wall-clock milliseconds of each timed run. */
  wallMs: number[];
  /** CPU milliseconds (user + system, all of the process's threads) of each timed run. */
  cpuMs: number[];
}

/**
 * Runs `fn` `warmup` times untimed, then `repeats` times timed; each timed run includes `sync()`,
 * so asynchronous backends are measured to completion. CPU time is recorded beside wall time: for
 * a single-threaded kernel the two agree unless other processes took the CPU away.
 */
export async function timeRuns(
  fn: () => void,
  sync: () => Promise<void>,
  warmup: number,
  repeats: number,
): Promise<RunTimes> {
  for (let i = 0; i < warmup; i++) {
    fn();
    await sync();
  }
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    await sync();
    wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { wallMs, cpuMs };
}

/** A fast deterministic generator of uniform floats in [lo, hi) (xorshift32), for filling inputs. */
export function uniformFiller(seed = 0x9e3779b9): (length: number, lo?: number, hi?: number) => Float32Array {
  let s = seed >>> 0 || 1;
  return (length, lo = -1, hi = 1) => {
    const out = new Float32Array(length);
    const scale = (hi - lo) / 4294967296;
    for (let i = 0; i < length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = lo + (s >>> 0) * scale;
    }
    return out;
  };
}
