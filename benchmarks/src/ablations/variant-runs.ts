/**
 * The bookkeeping of the test-error ablations (pooling §3.4, LRN §3.3), free of training so it can be
 * tested alone: run names, what a finished run leaves, and the summary — per variant the mean ± sd of
 * the final test error (top-1, top-5), of the training error and of the train/test gap, and the
 * paired per-seed differences (same seed = same data order and, where the parameter shapes agree,
 * the same initial weights).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Spread, spread } from './bookkeeping.js';

export interface VariantRunKey {
  variant: string;
  seed: number;
}

export const variantRunName = (key: VariantRunKey): string => `${key.variant}-s${key.seed}`;

/** Error rates (fractions) of one evaluation. */
export interface ErrorPoint {
  epoch: number;
  top1: number;
  /** Top-5 error (top-k with k = min(5, classes), as the evaluator reports it). */
  top5: number;
  loss: number;
}

export interface VariantRunResult extends VariantRunKey {
  format: 'alexnet/ablation-variant-run';
  study: string;
  status: 'completed' | 'diverged';
  /** Test-set error after every epoch (the trainer's validation, centre crop). */
  testCurve: ErrorPoint[];
  /** Final test error (centre crop) = the last point of testCurve. */
  test: ErrorPoint | null;
  /** Final error on a fixed subset of the training images (centre crop, no augmentation). */
  train: ErrorPoint | null;
  /** Running training loss per epoch. */
  trainLoss: number[];
  epochSeconds: number[];
  message?: string;
}

export function readVariantRun(runDir: string): VariantRunResult | null {
  const file = path.join(runDir, 'result.json');
  if (!existsSync(file)) return null;
  const r = JSON.parse(readFileSync(file, 'utf8')) as VariantRunResult;
  return r.format === 'alexnet/ablation-variant-run' ? r : null;
}

/** Every run of the plan, seed-major so that an interrupted benchmark has paired seeds finished first. */
export function variantPlan(variants: readonly string[], seeds: number): VariantRunKey[] {
  const plan: VariantRunKey[] = [];
  for (let seed = 0; seed < seeds; seed++) for (const variant of variants) plan.push({ variant, seed });
  return plan;
}

export interface VariantSummary {
  variant: string;
  runs: number;
  diverged: number;
  testTop1: Spread | null;
  testTop5: Spread | null;
  trainTop1: Spread | null;
  /** test top-1 − train top-1: how much the model overfits. */
  gap: Spread | null;
}

export interface PairedDifference {
  /** `a` − `b`, per seed where both runs completed. */
  a: string;
  b: string;
  seeds: number[];
  testTop1: Spread | null;
  testTop5: Spread | null;
  gap: Spread | null;
}

const completed = (runs: readonly VariantRunResult[]) =>
  runs.filter((r) => r.status === 'completed' && r.test !== null && r.train !== null);

export function summariseVariant(variant: string, runs: readonly VariantRunResult[]): VariantSummary {
  const mine = runs.filter((r) => r.variant === variant);
  const ok = completed(mine);
  return {
    variant,
    runs: mine.length,
    diverged: mine.filter((r) => r.status === 'diverged').length,
    testTop1: spread(ok.map((r) => r.test!.top1)),
    testTop5: spread(ok.map((r) => r.test!.top5)),
    trainTop1: spread(ok.map((r) => r.train!.top1)),
    gap: spread(ok.map((r) => r.test!.top1 - r.train!.top1)),
  };
}

export function pairedDifference(a: string, b: string, runs: readonly VariantRunResult[]): PairedDifference {
  const ok = completed(runs);
  const seeds = [...new Set(ok.map((r) => r.seed))].sort((x, y) => x - y);
  const pairs = seeds.flatMap((seed) => {
    const ra = ok.find((r) => r.variant === a && r.seed === seed);
    const rb = ok.find((r) => r.variant === b && r.seed === seed);
    return ra && rb ? [{ seed, ra, rb }] : [];
  });
  return {
    a,
    b,
    seeds: pairs.map((p) => p.seed),
    testTop1: spread(pairs.map((p) => p.ra.test!.top1 - p.rb.test!.top1)),
    testTop5: spread(pairs.map((p) => p.ra.test!.top5 - p.rb.test!.top5)),
    gap: spread(pairs.map((p) => p.ra.test!.top1 - p.ra.train!.top1 - (p.rb.test!.top1 - p.rb.train!.top1))),
  };
}

/**
 * Whether two variants' final test top-1 errors separate: true when every `a` run is below every `b`
 * run (the ranges do not overlap), false when every `b` is below every `a`, null when they overlap or
 * either has fewer than two completed runs (one run each says nothing about a spread).
 */
export function separated(summaryA: VariantSummary, summaryB: VariantSummary): boolean | null {
  const a = summaryA.testTop1;
  const b = summaryB.testTop1;
  if (!a || !b || a.n < 2 || b.n < 2) return null;
  if (a.max < b.min) return true;
  if (b.max < a.min) return false;
  return null;
}
