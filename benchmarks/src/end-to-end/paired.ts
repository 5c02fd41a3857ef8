/**
 * node dist/end-to-end/paired.js [--smoke] [--rounds R] [--batches 1,32,128] [--out DIR]
 *
 * @alexnet/native against onnxruntime-node, AlexNet inference, measured in ALTERNATION: for each batch,
 * R rounds of (native one device, native two devices, onnxruntime-node), each a child process of
 * end-to-end.js's worker with a short plan. On a shared machine the load drifts over minutes, so two
 * medians taken a quarter of an hour apart (as in the full end-to-end run) can differ by 2× for
 * reasons that have nothing to do with either library; a ratio taken from neighbouring runs in the
 * same round shares the load. The result is the per-round ratio native / onnxruntime, its median and
 * range, per batch. Writes DIR/end-to-end-paired.{json,svg} (default DIR: results/, or results/smoke/).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../chart.js';
import { type MachineFacts, machineFacts } from '../machine.js';
import type { PeerRun, RepeatPlan } from '../peers/measure.js';
import { runIfMain } from '../run-main.js';
import { median } from '../timing.js';
import { runChild } from './child.js';
import type { Layout, NativeRecord, NativeTask } from './native.js';
import type { PeerTask } from './tasks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..', '..');
/** The worker entry: end-to-end.js runs one native or peer task per child process. */
const workerScript = path.join(here, 'end-to-end.js');

export type Contender = 'native one device' | 'native two devices' | 'onnxruntime-node';
export const CONTENDERS: readonly Contender[] = [
  'native one device',
  'native two devices',
  'onnxruntime-node',
];

export interface PairedRun {
  batch: number;
  round: number;
  contender: Contender;
  /** Median images/s of the run's timed repeats, or null when it failed. */
  imagesPerSecond: number | null;
  timesMs: number[];
  /** Cores other processes kept busy during the timed repeats. */
  othersCores: number | null;
  error: string | null;
}

export interface PairedRatio {
  batch: number;
  layout: Layout;
  /** native images/s ÷ onnxruntime images/s, one per round with both runs ok (> 1: native faster). */
  perRound: number[];
  median: number | null;
  min: number | null;
  max: number | null;
}

export interface PairedResult {
  benchmark: 'end-to-end-paired';
  mode: 'smoke' | 'full';
  machine: MachineFacts;
  settings: { rounds: number; batches: number[]; plan: Record<string, RepeatPlan> };
  runs: PairedRun[];
  ratios: PairedRatio[];
  totalWallSeconds: number;
}

/** Short plans: a round must stay short so its runs share the load. */
export function pairedPlan(batch: number, smoke: boolean): RepeatPlan {
  if (smoke) return { warmup: 1, minRepeats: 1, maxRepeats: 1, budgetMs: 0 };
  if (batch === 1) return { warmup: 3, minRepeats: 10, maxRepeats: 10, budgetMs: 0 };
  if (batch <= 32) return { warmup: 1, minRepeats: 3, maxRepeats: 3, budgetMs: 0 };
  return { warmup: 1, minRepeats: 2, maxRepeats: 2, budgetMs: 0 };
}

const CAP_MS = 240_000;

async function runContender(
  contender: Contender,
  batch: number,
  plan: RepeatPlan,
): Promise<Omit<PairedRun, 'round'>> {
  const base = { batch, contender };
  if (contender === 'onnxruntime-node') {
    const task: PeerTask = { peer: 'onnxruntime-node', phase: 'inference', batch, plan, capMs: CAP_MS };
    const outcome = await runChild<PeerRun>(
      workerScript,
      ['--worker', 'peer', '--task', JSON.stringify(task)],
      CAP_MS,
    );
    const m = outcome.ok ? outcome.value.results[0] : undefined;
    if (m?.status !== 'ok')
      return fail(base, outcome.ok ? (m?.error ?? outcome.value.error ?? 'no result') : outcome.error);
    return {
      ...base,
      imagesPerSecond: m.imagesPerSecond,
      timesMs: m.timesMs,
      othersCores: m.othersCores,
      error: null,
    };
  }
  const task: NativeTask = {
    layout: contender === 'native one device' ? 'one-device' : 'two-devices',
    phase: 'inference',
    batch,
    plan,
    init: true,
    profile: false,
  };
  const outcome = await runChild<NativeRecord>(
    workerScript,
    ['--worker', 'native', '--task', JSON.stringify(task)],
    CAP_MS,
  );
  if (!outcome.ok) return fail(base, outcome.error);
  const r = outcome.value;
  if (r.status !== 'ok') return fail(base, r.error ?? 'failed');
  return {
    ...base,
    imagesPerSecond: r.imagesPerSecond,
    timesMs: r.timesMs,
    othersCores: r.othersCores,
    error: null,
  };
}

function fail(base: { batch: number; contender: Contender }, error: string): Omit<PairedRun, 'round'> {
  return { ...base, imagesPerSecond: null, timesMs: [], othersCores: null, error };
}

/** Per batch and native layout: the ratio to onnxruntime within each round where both ran. */
export function pairedRatios(runs: readonly PairedRun[]): PairedRatio[] {
  const batches = [...new Set(runs.map((r) => r.batch))];
  const out: PairedRatio[] = [];
  for (const batch of batches)
    for (const [layout, contender] of [
      ['one-device', 'native one device'],
      ['two-devices', 'native two devices'],
    ] as const) {
      const rounds = [...new Set(runs.filter((r) => r.batch === batch).map((r) => r.round))];
      const perRound: number[] = [];
      for (const round of rounds) {
        const at = (c: Contender) =>
          runs.find((r) => r.batch === batch && r.round === round && r.contender === c)?.imagesPerSecond ??
          null;
        const n = at(contender);
        const o = at('onnxruntime-node');
        if (n !== null && o !== null && o > 0) perRound.push(n / o);
      }
      out.push({
        batch,
        layout,
        perRound,
        median: perRound.length ? median(perRound) : null,
        min: perRound.length ? Math.min(...perRound) : null,
        max: perRound.length ? Math.max(...perRound) : null,
      });
    }
  return out;
}

export function pairedChartSpec(result: PairedResult): TopLevelSpec {
  const values = result.ratios.flatMap((r) =>
    r.perRound.map((ratio, i) => ({ batch: `batch ${r.batch}`, layout: r.layout, ratio, round: i + 1 })),
  );
  const medians = result.ratios.flatMap((r) =>
    r.median === null ? [] : [{ batch: `batch ${r.batch}`, layout: r.layout, ratio: r.median }],
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'AlexNet inference: @alexnet/native ÷ onnxruntime-node images/s, measured in alternation',
      subtitle: `${result.settings.rounds} rounds per batch; dots: one round each, bar: median; above 1 = native faster`,
    },
    width: 420,
    height: 240,
    layer: [
      {
        data: { values: medians },
        mark: { type: 'bar', opacity: 0.35 },
        encoding: {
          x: { field: 'batch', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'layout', type: 'nominal' },
          y: { field: 'ratio', type: 'quantitative', title: 'native ÷ onnxruntime-node (images/s)' },
          color: { field: 'layout', type: 'nominal', title: 'native layout' },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          x: { field: 'batch', type: 'nominal', sort: null },
          xOffset: { field: 'layout', type: 'nominal' },
          y: { field: 'ratio', type: 'quantitative' },
          color: { field: 'layout', type: 'nominal' },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: { y: { field: 'one', type: 'quantitative' } },
      },
    ],
  };
}

export interface PairedCli {
  smoke: boolean;
  rounds: number;
  batches: number[];
  outDir: string;
}

export function parsePairedCli(argv: readonly string[]): PairedCli {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      batches: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const smoke = values.smoke ?? false;
  const rounds = values.rounds === undefined ? (smoke ? 1 : 5) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be an integer >= 1, got ${values.rounds}`);
  const batches = (values.batches ?? (smoke ? '1' : '1,32,128')).split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1))
    throw new Error(`--batches must be positive integers separated by commas, got ${values.batches}`);
  const outDir = values.out ?? path.join(packageRoot, 'results', ...(smoke ? ['smoke'] : []));
  return { smoke, rounds, batches, outDir };
}

export async function runPaired(cli: PairedCli, log: (line: string) => void): Promise<PairedResult> {
  const started = performance.now();
  const runs: PairedRun[] = [];
  const plan: Record<string, RepeatPlan> = {};
  for (const batch of cli.batches) {
    plan[`batch ${batch}`] = pairedPlan(batch, cli.smoke);
    for (let round = 1; round <= cli.rounds; round++) {
      for (const contender of CONTENDERS) {
        const run = { ...(await runContender(contender, batch, pairedPlan(batch, cli.smoke))), round };
        runs.push(run);
        log(
          `batch ${batch} round ${round}/${cli.rounds} ${contender}: ${
            run.imagesPerSecond === null
              ? `failed (${run.error})`
              : `${run.imagesPerSecond.toFixed(2)} images/s`
          }`,
        );
      }
    }
  }
  return {
    benchmark: 'end-to-end-paired',
    mode: cli.smoke ? 'smoke' : 'full',
    machine: machineFacts(packageRoot),
    settings: { rounds: cli.rounds, batches: cli.batches, plan },
    runs,
    ratios: pairedRatios(runs),
    totalWallSeconds: (performance.now() - started) / 1000,
  };
}

runIfMain(import.meta.url, async () => {
  const cli = parsePairedCli(process.argv.slice(2));
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const result = await runPaired(cli, log);
  for (const r of result.ratios)
    log(
      `batch ${r.batch}, native ${r.layout} ÷ onnxruntime: ${
        r.median === null
          ? 'no complete round'
          : `median ×${r.median.toFixed(2)} (rounds ${r.min!.toFixed(2)}–${r.max!.toFixed(2)})`
      }`,
    );
  await mkdir(cli.outDir, { recursive: true });
  await writeFile(path.join(cli.outDir, 'end-to-end-paired.json'), `${JSON.stringify(result, null, 1)}\n`);
  await writeFile(path.join(cli.outDir, 'end-to-end-paired.svg'), await renderSvg(pairedChartSpec(result)));
  if (result.ratios.every((r) => r.median === null))
    throw new Error('no round completed: see the failures above');
});
