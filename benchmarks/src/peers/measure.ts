/** Timing of asynchronous runs with a repeat plan, and the result records of the peers benchmark. */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { median } from '../timing.js';

/**
 * Untimed warm-up runs, then timed runs: at least `minRepeats`, at most `maxRepeats`, and no new run
 * once the timed runs so far plus the last run's time would pass `budgetMs`.
 */
export interface RepeatPlan {
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  budgetMs: number;
}

export interface Measurement {
  /** Wall milliseconds of each warm-up run (not used for the median). */
  warmupMs: number[];
  /** Wall milliseconds of each timed run. */
  timesMs: number[];
  /** CPU milliseconds (user + system, every thread of the process) of each timed run. */
  cpuTimesMs: number[];
  /**
   * Cores kept busy by *other* processes during the timed runs, on average: (busy time of all cores
   * from os.cpus() − this process's CPU time) / wall time. ≈ 0 on a quiet machine; 1 means another
   * process took a whole core, and the numbers are then not the machine's. null when the timed runs
   * took under a second: /proc/stat counts in 10 ms ticks, too coarse for that.
   */
  othersCores: number | null;
}

/** Busy milliseconds of all cores together since boot (user + nice + sys + irq). */
export function busyMs(): number {
  let busy = 0;
  for (const c of os.cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return busy;
}

export async function measure(run: () => Promise<void>, plan: RepeatPlan): Promise<Measurement> {
  const warmupMs: number[] = [];
  for (let i = 0; i < plan.warmup; i++) {
    const t0 = performance.now();
    await run();
    warmupMs.push(performance.now() - t0);
  }
  const timesMs: number[] = [];
  const cpuTimesMs: number[] = [];
  let spent = 0;
  const busy0 = busyMs();
  const own0 = process.cpuUsage();
  const wall0 = performance.now();
  while (timesMs.length < plan.maxRepeats) {
    if (timesMs.length >= plan.minRepeats && spent + timesMs[timesMs.length - 1]! > plan.budgetMs) break;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    timesMs.push(ms);
    cpuTimesMs.push((c.user + c.system) / 1000);
    spent += ms;
  }
  const own = process.cpuUsage(own0);
  const wall = performance.now() - wall0;
  const othersCores = Math.max(0, (busyMs() - busy0 - (own.user + own.system) / 1000) / wall);
  return { warmupMs, timesMs, cpuTimesMs, othersCores: wall < 1000 ? null : Number(othersCores.toFixed(3)) };
}

export type PeerId = 'onnxruntime-node' | 'tfjs-wasm' | 'tfjs-cpu';
export const PEER_IDS: readonly PeerId[] = ['onnxruntime-node', 'tfjs-wasm', 'tfjs-cpu'];
export type Phase = 'inference' | 'training';

export interface PeerMeasurement {
  peer: PeerId;
  phase: Phase;
  batch: number;
  /** 'failed': it threw (see `error`); 'skipped': not run in this mode (see `note`). */
  status: 'ok' | 'failed' | 'skipped';
  error: string | null;
  note: string | null;
  plan: RepeatPlan;
  warmupMs: number[];
  timesMs: number[];
  cpuTimesMs: number[];
  medianMs: number | null;
  /** batch / median seconds. */
  imagesPerSecond: number | null;
  flopsPerImage: number;
  /** images/s × FLOPs per image / 1e9. */
  gflops: number | null;
  /** Median CPU time / median wall time: ≈ the number of cores kept busy. */
  cpuOverWall: number | null;
  /** Cores other processes kept busy during the timed runs (see `Measurement.othersCores`). */
  othersCores: number | null;
  /** A sanity check of what the run computed: the sum of the first softmax row (≈ 1), or the loss. */
  outputCheck: OutputCheck | null;
}

export function measurementRecord(
  base: { peer: PeerId; phase: Phase; batch: number; flopsPerImage: number; plan: RepeatPlan },
  m: Measurement,
  outputCheck: PeerMeasurement['outputCheck'],
): PeerMeasurement {
  const medianMs = median(m.timesMs);
  const imagesPerSecond = base.batch / (medianMs / 1000);
  return {
    ...base,
    status: 'ok',
    error: null,
    note: null,
    warmupMs: m.warmupMs,
    timesMs: m.timesMs,
    cpuTimesMs: m.cpuTimesMs,
    medianMs,
    imagesPerSecond,
    gflops: (imagesPerSecond * base.flopsPerImage) / 1e9,
    cpuOverWall: median(m.cpuTimesMs) / medianMs,
    othersCores: m.othersCores,
    outputCheck,
  };
}

export function failedRecord(
  base: { peer: PeerId; phase: Phase; batch: number; flopsPerImage: number; plan: RepeatPlan },
  status: 'failed' | 'skipped',
  reason: string,
): PeerMeasurement {
  return {
    ...base,
    status,
    error: status === 'failed' ? reason : null,
    note: status === 'skipped' ? reason : null,
    warmupMs: [],
    timesMs: [],
    cpuTimesMs: [],
    medianMs: null,
    imagesPerSecond: null,
    gflops: null,
    cpuOverWall: null,
    othersCores: null,
    outputCheck: null,
  };
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  return String(err);
}

export type OutputCheck =
  | { kind: 'softmax'; firstRowSum: number; allFinite: boolean }
  | { kind: 'loss'; loss: number; allFinite: boolean };

/** Softmax rows should sum to 1 and be finite. */
export function checkSoftmax(values: ArrayLike<number>, rowLength: number): OutputCheck {
  let firstRowSum = 0;
  let allFinite = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) allFinite = false;
    if (i < rowLength) firstRowSum += v;
  }
  return { kind: 'softmax', firstRowSum, allFinite };
}

/** What one peer's worker process reports. */
export interface PeerRun {
  peer: PeerId;
  /** The library (and backend) in words. */
  description: string;
  /** Versions read from each library's package.json. */
  versions: Record<string, string>;
  /** Milliseconds to load the library, build the model and set up the session, in order. */
  setupMs: Record<string, number>;
  /** Parameters of the model the peer ran (60,965,224 at full width). */
  parameters: number;
  settings: Record<string, string | number | boolean>;
  results: PeerMeasurement[];
  /** Peak resident memory of the worker process. */
  maxRssBytes: number;
  loadAverageBefore: number[];
  wallSeconds: number;
  /** Set when the worker died before reporting (crash, out of memory, time-out). */
  error: string | null;
}

export const loadAverage = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)));
