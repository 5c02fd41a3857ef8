/**
 * node dist/end-to-end/end-to-end.js [--smoke] [--out DIR] [--skip LIST]
 *
 * AlexNet end to end, everything in ONE run on one machine: the machine's ceiling (FMA peak, OpenBLAS
 * and native SGEMM), @alexnet/native (`createAlexNet` on native:0, or native:0 + native:1) inference
 * and training at batch 1/32/128, a per-layer profile of the training step, and the peers
 * (onnxruntime-node, tfjs-backend-wasm, pure-JS tfjs). Every measurement runs in its own child
 * process, one after the other, so its peak RSS is its own and a crash or a time-out (each has a hard
 * cap) is recorded instead of ending the run. Writes DIR/end-to-end.{json,svg} (default DIR: the
 * package's results/, or results/smoke/ with --smoke).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureCeiling } from '../ceiling/probe.js';
import { renderSvg } from '../chart.js';
import { machineFacts } from '../machine.js';
import { busyMs, errorMessage, failedRecord, type PeerRun } from '../peers/measure.js';
import { ALEXNET_PARAMETERS } from '../peers/spec.js';
import { runIfMain } from '../run-main.js';
import { runChild } from './child.js';
import { e2eFlops, flopsPerImage, type NativeRecord, type NativeTask, runNativeTask } from './native.js';
import { type EndToEndResult, endToEndChartSpec, endToEndMarkdown, type PeerRecord } from './report.js';
import { nativeTasks, type PeerTask, peerTasks, profileTasks } from './tasks.js';

export const PARTS = ['ceiling', 'native', 'profile', 'peers'] as const;
export type Part = (typeof PARTS)[number];

const USAGE = `usage: node dist/end-to-end/end-to-end.js [--smoke] [--out DIR] [--skip LIST]

  --smoke      batch 1–2, one timed run each, zero-initialised weights, no pure-JS tfjs; for CI (< 1 min)
  --out DIR    output folder (default results/, or results/smoke/ with --smoke)
  --skip LIST  comma-separated parts to leave out: ${PARTS.join(',')}`;

const thisFile = fileURLToPath(import.meta.url);
const packageRoot = path.resolve(path.dirname(thisFile), '..', '..');

export interface QuietWait {
  /** Seconds spent waiting for other processes to go quiet before the measurement started. */
  waitedSeconds: number;
  /** Cores other processes kept busy in the last second before it started. */
  othersCores: number;
}

/**
 * Waits (up to `maxMs`) until other processes keep less than a quarter of a core busy, sampling
 * once a second; the machine is shared, and a measurement started under load says little.
 */
export async function waitForQuiet(maxMs: number): Promise<QuietWait> {
  const t0 = performance.now();
  for (;;) {
    const busy0 = busyMs();
    const own0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const own = process.cpuUsage(own0);
    const others = Math.max(
      0,
      (busyMs() - busy0 - (own.user + own.system) / 1000) / (performance.now() - w0),
    );
    const waited = performance.now() - t0;
    if (others < 0.25 || waited >= maxMs)
      return { waitedSeconds: Number((waited / 1000).toFixed(1)), othersCores: Number(others.toFixed(2)) };
  }
}

/** Cap of a native child: setup (≈ 5 s) + warm-up + the budget + the minimum repeats, generously. */
function nativeCapMs(task: NativeTask): number {
  return Math.max(120_000, 4 * task.plan.budgetMs + 180_000);
}

async function nativeInChild(
  task: NativeTask,
  inProcess: boolean,
  quietWait: () => Promise<QuietWait | undefined>,
  log: (l: string) => void,
): Promise<NativeRecord & { quiet?: QuietWait }> {
  const quiet = await quietWait();
  if (quiet && quiet.waitedSeconds > 1.5)
    log(`(waited ${quiet.waitedSeconds} s for other processes; others now ${quiet.othersCores} cores)`);
  const record = await nativeInChildNow(task, inProcess, log);
  return quiet ? { ...record, quiet } : record;
}

async function nativeInChildNow(
  task: NativeTask,
  inProcess: boolean,
  log: (l: string) => void,
): Promise<NativeRecord> {
  if (inProcess) return runNativeTask(task, log);
  const cap = nativeCapMs(task);
  const outcome = await runChild<NativeRecord>(
    thisFile,
    ['--worker', 'native', '--task', JSON.stringify(task)],
    cap,
  );
  if (outcome.ok) return outcome.value;
  log(`native ${task.layout} ${task.phase} batch ${task.batch}: ${outcome.error}`);
  return {
    impl: 'native',
    layout: task.layout,
    phase: task.phase,
    batch: task.batch,
    status: 'failed',
    error: outcome.error,
    devices: [],
    plan: task.plan,
    init: task.init,
    setupMs: {},
    warmupMs: [],
    timesMs: [],
    cpuTimesMs: [],
    medianMs: null,
    minMs: null,
    maxMs: null,
    spread: null,
    imagesPerSecond: null,
    flopsPerImage: flopsPerImage(task.phase),
    gflops: null,
    cpuOverWall: null,
    othersCores: null,
    outputCheck: null,
    memory: null,
    profile: null,
    loadAverageBefore: [],
  };
}

/** Runs one peer task in this process (the worker side). */
async function runPeerTask(task: PeerTask, log: (l: string) => void): Promise<PeerRun> {
  const tasks = [{ phase: task.phase, batch: task.batch, plan: task.plan }];
  if (task.peer === 'onnxruntime-node') {
    const { runOnnxruntimePeer } = await import('../peers/run-onnxruntime.js');
    return runOnnxruntimePeer({ smoke: false, log, tasks });
  }
  const { runTfjsPeer } = await import('../peers/run-tfjs.js');
  return runTfjsPeer(task.peer, { smoke: false, log, tasks });
}

async function peerInChild(
  task: PeerTask,
  inProcess: boolean,
  quietWait: () => Promise<QuietWait | undefined>,
  log: (l: string) => void,
): Promise<PeerRecord> {
  const quiet = task.skip === undefined ? await quietWait() : undefined;
  if (quiet && quiet.waitedSeconds > 1.5)
    log(`(waited ${quiet.waitedSeconds} s for other processes; others now ${quiet.othersCores} cores)`);
  const record = await peerInChildNow(task, inProcess, log);
  return quiet ? { ...record, quiet } : record;
}

async function peerInChildNow(
  task: PeerTask,
  inProcess: boolean,
  log: (l: string) => void,
): Promise<PeerRecord> {
  const base = {
    peer: task.peer,
    phase: task.phase,
    batch: task.batch,
    flopsPerImage: flopsPerImage(task.phase),
    plan: task.plan,
  };
  const capSeconds = task.capMs / 1000;
  if (task.skip !== undefined) {
    return {
      ...failedRecord(base, 'skipped', task.skip),
      description: task.peer,
      versions: {},
      setupMs: {},
      maxRssBytes: 0,
      capSeconds,
    };
  }
  let run: PeerRun | null = null;
  let error: string | null = null;
  if (inProcess) {
    try {
      run = await runPeerTask(task, log);
    } catch (err) {
      error = errorMessage(err);
    }
  } else {
    const outcome = await runChild<PeerRun>(
      thisFile,
      ['--worker', 'peer', '--task', JSON.stringify(task)],
      task.capMs,
    );
    if (outcome.ok) run = outcome.value;
    else error = outcome.error;
  }
  const measured = run?.results[0];
  if (run === null || measured === undefined) {
    log(`${task.peer} ${task.phase} batch ${task.batch}: ${error ?? 'no result'}`);
    return {
      ...failedRecord(base, 'failed', error ?? 'no result'),
      description: run?.description ?? task.peer,
      versions: run?.versions ?? {},
      setupMs: run?.setupMs ?? {},
      maxRssBytes: run?.maxRssBytes ?? 0,
      capSeconds,
    };
  }
  // The peers count training as 3 × forward, as we do (TRAINING_FLOPS_PER_IMAGE = alexnetSummary's trainingFlops).
  return {
    ...measured,
    description: run.description,
    versions: run.versions,
    setupMs: run.setupMs,
    maxRssBytes: run.maxRssBytes,
    capSeconds,
  };
}

export interface RunEndToEndOptions {
  smoke: boolean;
  outDir: string;
  skip?: readonly Part[];
  /** Longest total wait for other processes to go quiet before measurements (default 180 s; smoke 0). */
  quietMs?: number;
  /** Everything in this process, no child processes (tests: no dist/ needed; RSS is then not per measurement). */
  inProcess?: boolean;
  log?: (line: string) => void;
}

export async function runEndToEnd(
  options: RunEndToEndOptions,
): Promise<{ result: EndToEndResult; files: { json: string; svg: string } }> {
  const log = options.log ?? (() => {});
  const skip = new Set(options.skip ?? []);
  const started = performance.now();
  const machine = machineFacts(packageRoot);
  const flops = e2eFlops();
  // Full runs wait for a quiet machine before each measurement (up to 20 s each, 3 min in all, so a
  // machine that stays busy cannot stretch the run); smoke runs do not wait.
  let quietLeftMs = options.quietMs ?? (options.smoke ? 0 : 180_000);
  const quietWait = async (): Promise<QuietWait | undefined> => {
    if (quietLeftMs <= 0) return undefined;
    const q = await waitForQuiet(Math.min(20_000, quietLeftMs));
    quietLeftMs -= q.waitedSeconds * 1000;
    return q;
  };

  let ceiling: EndToEndResult['ceiling'] = null;
  if (!skip.has('ceiling')) {
    log('— ceiling (FMA peak, OpenBLAS and native SGEMM)');
    try {
      ceiling = measureCeiling({ smoke: options.smoke, threads: os.cpus().length });
      log(
        `FMA peak ${ceiling.peak.map((p) => `${p.gflops} GFLOP/s (${p.threads} thr)`).join(', ')}; OpenBLAS: ${ceiling.openblas}`,
      );
    } catch (err) {
      ceiling = { error: errorMessage(err) };
      log(`ceiling failed: ${ceiling.error}`);
    }
  }

  const native: NativeRecord[] = [];
  if (!skip.has('native')) {
    log('— @alexnet/native');
    for (const task of nativeTasks(options.smoke)) {
      if (task.profile && skip.has('profile')) task.profile = false;
      native.push(await nativeInChild(task, options.inProcess ?? false, quietWait, log));
    }
  }
  const profiled: NativeRecord[] = [];
  if (!skip.has('profile')) {
    for (const task of profileTasks(options.smoke)) {
      log(`— profile: ${task.layout} training batch ${task.batch}`);
      profiled.push(await nativeInChild(task, options.inProcess ?? false, quietWait, log));
    }
  }
  const profiles = [...native, ...profiled].flatMap((r) => (r.profile ? [r.profile] : []));
  for (const r of native) r.profile = null; // kept once, in `profiles`

  const peers: PeerRecord[] = [];
  if (!skip.has('peers')) {
    log('— peers');
    for (const task of peerTasks(options.smoke))
      peers.push(await peerInChild(task, options.inProcess ?? false, quietWait, log));
  }

  const result: EndToEndResult = {
    benchmark: 'end-to-end',
    schemaVersion: 1,
    mode: options.smoke ? 'smoke' : 'full',
    machine,
    network: {
      name: 'AlexNet as the paper: createAlexNet() defaults — 224×224×3, conv1 11×11/4 pad 2, two towers, 1000 classes',
      parameters: ALEXNET_PARAMETERS,
      forwardFlopsPerImage: flops.forward,
      trainingFlopsPerImage: flops.training,
      trainingStepFlopsPerImage: flops.trainingStep,
      notes: [
        "FLOPs per image from alexnetSummary(): forward 2 × multiply-adds; training 3 × forward (the peers' convention; a native step skips conv1's backward-data, i.e. computes trainingStepFlopsPerImage).",
        'native inference: net.forward({ data, labels }) without dropout + net.read("loss:probs"). native training: zeroGrads, forward (training), backward, Sgd.step (lr 0.01, momentum 0.9, weight decay 0.0005), net.loss().',
        'Every measurement in its own child process, one after the other; each child has a hard time cap (capSeconds for peers); untimed warm-up runs first, then timed runs until minRepeats and the time budget are reached; the median is reported with the slowest and fastest run.',
        'Inputs: uniform [0, 1) images, labels (i · 7919) mod 1000. Full runs use the paper initialisation, smoke runs zero parameters.',
        'Peak RSS: process.resourceUsage().maxRSS of the child. Theory: the tensors the phase needs (see memory.notCounted).',
      ],
    },
    ceiling,
    native,
    profiles,
    peers,
    totalWallSeconds: (performance.now() - started) / 1000,
  };
  await mkdir(options.outDir, { recursive: true });
  const files = {
    json: path.join(options.outDir, 'end-to-end.json'),
    svg: path.join(options.outDir, 'end-to-end.svg'),
  };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.svg, await renderSvg(endToEndChartSpec(result)));
  return { result, files };
}

export interface EndToEndCli {
  smoke: boolean;
  outDir: string;
  skip: Part[];
  help: boolean;
  worker: 'native' | 'peer' | null;
  task: string | null;
  workerOut: string | null;
}

export function parseCli(argv: readonly string[]): EndToEndCli {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      skip: { type: 'string' },
      worker: { type: 'string' },
      task: { type: 'string' },
      'worker-out': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const smoke = values.smoke ?? false;
  const skip = (values.skip ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of skip)
    if (!(PARTS as readonly string[]).includes(s))
      throw new Error(`unknown part '${s}' (expected ${PARTS.join(', ')})`);
  const worker = values.worker ?? null;
  if (worker !== null && worker !== 'native' && worker !== 'peer')
    throw new Error(`unknown worker '${worker}'`);
  return {
    smoke,
    outDir: path.resolve(values.out ?? path.join(packageRoot, 'results', ...(smoke ? ['smoke'] : []))),
    skip: skip as Part[],
    help: values.help ?? false,
    worker,
    task: values.task ?? null,
    workerOut: values['worker-out'] ?? null,
  };
}

async function main(): Promise<void> {
  let cli: EndToEndCli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${errorMessage(err)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => console.log(line);
  if (cli.worker !== null) {
    if (cli.task === null || cli.workerOut === null)
      throw new Error('--worker needs --task and --worker-out');
    const value =
      cli.worker === 'native'
        ? await runNativeTask(JSON.parse(cli.task) as NativeTask, log)
        : await runPeerTask(JSON.parse(cli.task) as PeerTask, log);
    await writeFile(cli.workerOut, JSON.stringify(value));
    return;
  }
  const { result, files } = await runEndToEnd({ smoke: cli.smoke, outDir: cli.outDir, skip: cli.skip, log });
  console.log(`\n${endToEndMarkdown(result)}\n`);
  console.log(`wrote ${files.json}\n      ${files.svg}\n(${result.totalWallSeconds.toFixed(1)} s)`);
}

runIfMain(import.meta.url, main);
