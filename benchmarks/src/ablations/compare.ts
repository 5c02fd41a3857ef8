/**
 * The test-error ablations of the paper: overlapping pooling (§3.4) on CIFAR-10 and on Imagenette,
 * and LRN (§3.3) on CIFAR-10 — the paper's choice vs the ablated one, at least 3 seeds each, test
 * error (top-1, top-5) mean ± sd, and the train/test gap (the paper: overlapping pooling makes the
 * model slightly harder to overfit). Studies are defined in studies.ts.
 *
 * Every (variant, seed) run is a run folder of the `alexnet` trainer under `--runs` (default
 * results/ablations-runs/<study>/, gitignored): finished runs are skipped, an interrupted one resumes
 * exactly, so the benchmark can be stopped (Ctrl-C) and restarted at any time.
 * results/ablations-<study>.{json,svg} are rewritten after every finished run.
 *
 * node dist/ablations/compare.js --study pooling-cifar|lrn-cifar|pooling-imagenette [--smoke]
 *   [--seeds 3] [--epochs E] [--train N] [--runs DIR] [--out DIR] [--cifar DIR] [--imagenette DIR]
 *   [--max-runs K] [--device auto]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { userCacheDir } from '@alexnet/imagenet';
import type { Device } from '@alexnet/tensor';
import { type DataSource, DivergenceError, type EpochRecord, evaluate, train } from 'alexnet';
import { renderSvg } from '../chart.js';
import { type MachineFacts, machineFacts } from '../machine.js';
import { runIfMain } from '../run-main.js';
import { type CompareData, openStudyData } from './compare-data.js';
import { compareChartSpec, compareMarkdown } from './compare-report.js';
import { ablationDevice, claimRunsFolder, interruptOnSigint, readEpochRecords } from './run-folder.js';
import { STUDIES, STUDY_IDS, type Study, type StudyId, type StudySettings, scheduleFor } from './studies.js';
import {
  type ErrorPoint,
  type PairedDifference,
  pairedDifference,
  readVariantRun,
  separated,
  summariseVariant,
  type VariantRunKey,
  type VariantRunResult,
  type VariantSummary,
  variantPlan,
  variantRunName,
} from './variant-runs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..', '..');

export interface CompareResult {
  benchmark: `ablations/${StudyId}`;
  title: string;
  claim: string;
  network: string;
  machine: MachineFacts;
  device: string;
  smoke: boolean;
  settings: StudySettings;
  data: CompareData['facts'];
  variants: Study['variants'];
  complete: boolean;
  pending: string[];
  summaries: VariantSummary[];
  /** paper's choice − ablation, per seed. */
  difference: PairedDifference;
  /** true: every run of the paper's choice has a lower test top-1 error than every ablation run. */
  paperChoiceBetterEverySeed: boolean | null;
  runs: VariantRunResult[];
}

const point = (epoch: number, e: { top1Error: number; top5Error: number; loss: number }): ErrorPoint => ({
  epoch,
  top1: e.top1Error,
  top5: e.top5Error,
  loss: e.loss,
});

interface RunContext {
  study: Study;
  device: Device;
  data: DataSource;
  settings: StudySettings;
  runsDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Trains (or resumes) one run, then measures the training set; null when interrupted. */
export async function runVariant(key: VariantRunKey, ctx: RunContext): Promise<VariantRunResult | null> {
  const { settings: s, data, study } = ctx;
  const name = variantRunName(key);
  const runDir = path.join(ctx.runsDir, name);
  const finished = readVariantRun(runDir);
  if (finished) return finished;
  const resume = existsSync(path.join(runDir, 'checkpoints', 'latest'));
  mkdirSync(runDir, { recursive: true });
  const net = study.build(ctx.device, key.variant, key.seed, data.classes.length);
  const stepsPerEpoch = Math.ceil(data.train.size / s.batch);
  ctx.log(`${name}: ${resume ? 'resuming' : 'starting'} (${study.id})`);
  const base = { format: 'alexnet/ablation-variant-run' as const, study: study.id, ...key };
  try {
    let history: EpochRecord[];
    try {
      const result = await train({
        net,
        data,
        runDir,
        schedule: scheduleFor(s, stepsPerEpoch),
        epochs: s.epochs,
        batchSize: s.batch,
        momentum: s.momentum,
        weightDecay: s.weightDecay,
        dataSeed: key.seed,
        resume,
        evalMode: 'center',
        logEvery: 100,
        signal: ctx.signal,
        metadata: { ablation: study.id, variant: key.variant, seed: String(key.seed) },
        onEpoch: (r) =>
          ctx.log(
            `${name}: epoch ${r.epoch}/${s.epochs} test top-1 ${r.val!.top1Error.toFixed(4)} top-5 ${r.val!.top5Error.toFixed(4)}, training loss ${r.train.loss.toFixed(3)}, ${r.train.seconds.toFixed(1)} s`,
          ),
      });
      if (result.stopped !== 'completed') return null;
      history = [...result.history];
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      const done: VariantRunResult = {
        ...base,
        status: 'diverged',
        testCurve: readEpochRecords(runDir).map((h) => point(h.epoch, h.val!)),
        test: null,
        train: null,
        trainLoss: readEpochRecords(runDir).map((h) => h.train.loss),
        epochSeconds: readEpochRecords(runDir).map((h) => h.train.seconds),
        message: err.message,
      };
      ctx.log(`${name}: diverged — ${err.message}`);
      writeFileSync(path.join(runDir, 'result.json'), `${JSON.stringify(done, null, 1)}\n`);
      return done;
    }
    // the whole training set, centre crop, no augmentation, weights fixed: the gap's other side
    const onTrain = await evaluate(net, data.train, data.classes.length, { mode: 'center', batchSize: 100 });
    const testCurve = history.map((h) => point(h.epoch, h.val!));
    const done: VariantRunResult = {
      ...base,
      status: 'completed',
      testCurve,
      test: testCurve.at(-1) ?? null,
      train: point(s.epochs, onTrain),
      trainLoss: history.map((h) => h.train.loss),
      epochSeconds: history.map((h) => h.train.seconds),
    };
    ctx.log(
      `${name}: done — test top-1 ${done.test!.top1.toFixed(4)}, train top-1 ${done.train!.top1.toFixed(4)}`,
    );
    writeFileSync(path.join(runDir, 'result.json'), `${JSON.stringify(done, null, 1)}\n`);
    return done;
  } finally {
    net.dispose();
  }
}

export function summariseStudy(
  study: Study,
  settings: StudySettings,
  finished: ReadonlyMap<string, VariantRunResult>,
  extra: Pick<CompareResult, 'machine' | 'device' | 'smoke' | 'data'>,
): CompareResult {
  const names = study.variants.map((v) => v.name);
  const plan = variantPlan(names, settings.seeds);
  const runs = plan.flatMap((k) => finished.get(variantRunName(k)) ?? []);
  const pending = plan.map(variantRunName).filter((n) => !finished.has(n));
  const summaries = names.map((n) => summariseVariant(n, runs));
  return {
    benchmark: `ablations/${study.id}`,
    title: study.title,
    claim: study.claim,
    network: study.network,
    ...extra,
    settings,
    variants: study.variants,
    complete: pending.length === 0,
    pending,
    summaries,
    difference: pairedDifference(names[0]!, names[1]!, runs),
    paperChoiceBetterEverySeed: separated(summaries[0]!, summaries[1]!),
    runs,
  };
}

async function writeResults(result: CompareResult, id: StudyId, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `ablations-${id}.json`), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(outDir, `ablations-${id}.svg`), await renderSvg(compareChartSpec(result)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      study: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      train: { type: 'string' },
      'max-runs': { type: 'string' },
      runs: { type: 'string' },
      out: { type: 'string' },
      cifar: { type: 'string' },
      imagenette: { type: 'string' },
      device: { type: 'string', default: 'auto' },
    },
  });
  const id = values.study as StudyId | undefined;
  if (!id || !STUDY_IDS.includes(id))
    throw new Error(`--study must be one of ${STUDY_IDS.join(', ')}${id ? `, got '${id}'` : ''}`);
  const study = STUDIES[id];
  const smoke = values.smoke;
  const base = smoke ? study.smoke : study.settings;
  const int = (flag: string, v: string | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
  const settings: StudySettings = {
    ...base,
    seeds: int('seeds', values.seeds, base.seeds, 1),
    epochs: int('epochs', values.epochs, base.epochs, 1),
    train: int('train', values.train, base.train, 0),
  };
  const maxRuns = values['max-runs'] ? int('max-runs', values['max-runs'], 0, 0) : Infinity;
  const outDir = path.resolve(values.out ?? path.join(packageRoot, 'results', smoke ? 'smoke' : ''));
  const tmpRuns = smoke && !values.runs ? mkdtempSync(path.join(os.tmpdir(), `ablation-${id}-`)) : null;
  const runsDir = path.resolve(
    values.runs ?? tmpRuns ?? path.join(packageRoot, 'results', 'ablations-runs', id),
  );
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  claimRunsFolder(runsDir, { study: id, smoke, ...settings });
  const device = await ablationDevice(values.device, smoke, log);

  const opened = await openStudyData(study, settings, {
    smoke,
    runsDir,
    cifar: values.cifar ?? path.join(userCacheDir(), 'cifar-10-batches-bin'),
    imagenette: values.imagenette,
    log,
  });
  const { data } = opened;
  const interrupt = interruptOnSigint(log);
  const extra = { machine: machineFacts(packageRoot), device: device.name, smoke, data: opened.facts };
  try {
    const finished = new Map<string, VariantRunResult>();
    const plan = variantPlan(
      study.variants.map((v) => v.name),
      settings.seeds,
    );
    for (const key of plan) {
      const r = readVariantRun(path.join(runsDir, variantRunName(key)));
      if (r) finished.set(variantRunName(key), r);
    }
    let ran = 0;
    for (const key of plan) {
      if (finished.has(variantRunName(key))) continue;
      if (ran >= maxRuns || interrupt.signal.aborted) break;
      const r = await runVariant(key, {
        study,
        device,
        data,
        settings,
        runsDir,
        signal: interrupt.signal,
        log,
      });
      if (!r) break; // interrupted: resumable
      finished.set(variantRunName(key), r);
      ran++;
      await writeResults(summariseStudy(study, settings, finished, extra), id, outDir);
    }
    const result = summariseStudy(study, settings, finished, extra);
    await writeResults(result, id, outDir);
    console.log(compareMarkdown(result));
    log(`wrote ${path.join(outDir, `ablations-${id}.{json,svg}`)}${result.complete ? '' : ' (partial)'}`);
  } finally {
    interrupt.dispose();
    await data.close?.();
    if (tmpRuns) rmSync(tmpRuns, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
