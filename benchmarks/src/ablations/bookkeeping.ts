/**
 * The bookkeeping of the ReLU-vs-tanh benchmark, free of training so that it can be tested alone:
 * epochs to a training-error threshold (linear interpolation between epoch measurements), the
 * learning rate that reaches it fastest, the run list and which runs are finished, resumable or new.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Activation } from './cifar-net.js';

/** One point of a training curve: training error (fraction) after `epoch` epochs (0 = before training). */
export interface CurvePoint {
  epoch: number;
  error: number;
}

/**
 * The (fractional) number of epochs at which the curve first reaches `threshold`, interpolating
 * linearly between the two measurements around the crossing; 0 when the first point is already at or
 * below it; null when it never gets there (the run is censored: "more than its last epoch").
 */
export function epochsToThreshold(curve: readonly CurvePoint[], threshold: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const p = curve[i]!;
    if (!(p.error <= threshold)) continue;
    if (i === 0) return p.epoch;
    const q = curve[i - 1]!;
    // q.error > threshold >= p.error, so the denominator is positive
    return q.epoch + ((q.error - threshold) / (q.error - p.error)) * (p.epoch - q.epoch);
  }
  return null;
}

/** One training run of the benchmark. */
export interface RunKey {
  activation: Activation;
  lr: number;
  seed: number;
}

/** The run's folder name: `relu-lr0.01-s0`. */
export function runName(key: RunKey): string {
  return `${key.activation}-lr${key.lr}-s${key.seed}`;
}

/** What a finished run leaves in `<run>/result.json`. */
export interface RunResult extends RunKey {
  format: 'alexnet/ablation-run';
  /** 'completed': every epoch ran; 'diverged': the loss became NaN/∞ (the trainer's DivergenceError). */
  status: 'completed' | 'diverged';
  /** Training error on the fixed training subset, before training (epoch 0) and after each epoch. */
  curve: CurvePoint[];
  /** The trainer's running top-1 error over each epoch's batches (measured while the net changes). */
  runningCurve: CurvePoint[];
  /** Training loss (running mean over each epoch's batches). */
  loss: number[];
  /** Seconds of training per epoch (data included, the fixed-subset measurement not). */
  epochSeconds: number[];
  /** Epochs to the threshold on `curve` (null: not reached within the epochs run). */
  epochsToThreshold: number | null;
  threshold: number;
  message?: string;
}

export type RunState = 'finished' | 'resume' | 'new';

/** finished: result.json exists; resume: a checkpoint exists (continue it with resume: true); new. */
export function runState(runDir: string): RunState {
  if (existsSync(path.join(runDir, 'result.json'))) return 'finished';
  if (existsSync(path.join(runDir, 'checkpoints', 'latest'))) return 'resume';
  return 'new';
}

export function readRunResult(runDir: string): RunResult | null {
  const file = path.join(runDir, 'result.json');
  if (!existsSync(file)) return null;
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  return r.format === 'alexnet/ablation-run' ? r : null;
}

/**
 * The learning rate that trains fastest: the fewest epochs to the threshold; among rates that never
 * reach it, the lowest final training error; diverged runs last. Ties go to the smaller rate.
 */
export function bestRate(results: readonly RunResult[]): RunResult | null {
  const score = (r: RunResult): [number, number, number] => {
    if (r.status === 'diverged') return [2, Infinity, r.lr];
    if (r.epochsToThreshold !== null) return [0, r.epochsToThreshold, r.lr];
    return [1, r.curve.at(-1)?.error ?? Infinity, r.lr];
  };
  let best: RunResult | null = null;
  for (const r of results) {
    if (best === null) {
      best = r;
      continue;
    }
    const [a, b] = [score(r), score(best)];
    if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = r;
  }
  return best;
}

/**
 * The runs of the benchmark in order: the sweep (each activation × each rate at seed 0), then the
 * other seeds at each activation's chosen rate — known only once its sweep has finished, so
 * `chosen[activation]` is undefined until then and those runs are not listed yet.
 */
export function runList(
  activations: readonly Activation[],
  rates: readonly number[] | ((activation: Activation) => readonly number[]),
  seeds: number,
  chosen: Partial<Record<Activation, number>>,
): RunKey[] {
  const ratesOf = typeof rates === 'function' ? rates : () => rates;
  const runs: RunKey[] = [];
  for (const activation of activations)
    for (const lr of ratesOf(activation)) runs.push({ activation, lr, seed: 0 });
  for (const activation of activations) {
    const lr = chosen[activation];
    if (lr === undefined) continue;
    for (let seed = 1; seed < seeds; seed++) runs.push({ activation, lr, seed });
  }
  return runs;
}

export interface Spread {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (0 for one value). */
  std: number;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, min: Math.min(...values), max: Math.max(...values), std };
}
