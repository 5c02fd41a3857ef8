/**
 * One configuration of @alexnet/native end to end, in this process: AlexNet as the paper
 * (`createAlexNet` with the default config: 224 input, conv1 pad 2, two towers, 1000 classes), on one
 * device (native:0; the towers as channel groups) or two (native:0 + native:1; tower t on device t),
 * inference (forward without dropout, probabilities read back) or a training step (zero the
 * gradients, forward with dropout, backward, SGD with the paper's momentum and weight decay, loss
 * read back), timed after warm-up; then the process's peak RSS beside the tensors' theoretical bytes.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Net } from '@alexnet/layers';
import { Sgd } from '@alexnet/layers';
import type { NativeBackend } from '@alexnet/native';
import { alexnetSummary, createAlexNet, selectDevices } from 'alexnet';
import {
  checkSoftmax,
  errorMessage,
  loadAverage,
  type Measurement,
  measure,
  type OutputCheck,
  type RepeatPlan,
} from '../peers/measure.js';
import { median, uniformFiller } from '../timing.js';
import { type TheoreticalBytes, theoreticalBytes } from './memory.js';
import { foldProfile, type StepProfile, StepProfiler } from './profile.js';

export type Layout = 'one-device' | 'two-devices';
export type E2ePhase = 'inference' | 'training';

export interface NativeTask {
  layout: Layout;
  phase: E2ePhase;
  batch: number;
  plan: RepeatPlan;
  /** Paper initialisation (true) or all-zero parameters (smoke: skips 61 M random draws). */
  init: boolean;
  /** Wrap layers and kernels and report where the time goes (training only). */
  profile: boolean;
}

export interface DeviceInfo {
  name: string;
  description: string;
  threads: number;
}

export interface NativeRecord {
  impl: 'native';
  layout: Layout;
  phase: E2ePhase;
  batch: number;
  status: 'ok' | 'failed';
  error: string | null;
  devices: DeviceInfo[];
  plan: RepeatPlan;
  init: boolean;
  setupMs: Record<string, number>;
  warmupMs: number[];
  timesMs: number[];
  cpuTimesMs: number[];
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** (max − min) / median of the timed runs. */
  spread: number | null;
  imagesPerSecond: number | null;
  flopsPerImage: number;
  gflops: number | null;
  cpuOverWall: number | null;
  othersCores: number | null;
  outputCheck: OutputCheck | null;
  memory: {
    /** RSS after loading the libraries and selecting the devices, before the network exists. */
    baselineRssBytes: number;
    /** Peak RSS of this process (process.resourceUsage().maxRSS). */
    maxRssBytes: number;
    theoretical: TheoreticalBytes;
    /** maxRssBytes / theoretical.total. */
    ratio: number;
    /** (maxRssBytes − baselineRssBytes) / theoretical.total. */
    ratioAboveBaseline: number;
  } | null;
  profile: StepProfile | null;
  loadAverageBefore: number[];
  /** Set by the parent: how long it waited for a quiet machine before starting this child. */
  quiet?: { waitedSeconds: number; othersCores: number };
}

/** FLOPs per image the throughput is divided by: the project's own counts (`alexnetSummary`). */
export function e2eFlops(): { forward: number; training: number; trainingStep: number } {
  const t = alexnetSummary().totals;
  return { forward: t.forwardFlops, training: t.trainingFlops, trainingStep: t.trainingStepFlops };
}

export function flopsPerImage(phase: E2ePhase): number {
  const f = e2eFlops();
  return phase === 'inference' ? f.forward : f.training;
}

function stats(timesMs: readonly number[]): {
  medianMs: number;
  minMs: number;
  maxMs: number;
  spread: number;
} {
  const medianMs = median(timesMs);
  const minMs = Math.min(...timesMs);
  const maxMs = Math.max(...timesMs);
  return { medianMs, minMs, maxMs, spread: (maxMs - minMs) / medianMs };
}

/** Multiply-adds per image of a conv/linear node of either layout ('conv2', 'conv2_1'), from its summary. */
function macsOf(net: Net): (node: string) => number | null {
  const byName = new Map(net.summary().map((n) => [n.name, n]));
  return (node) => {
    const n = byName.get(node);
    return n && n.multiplyAdds > 0 ? n.multiplyAdds : null;
  };
}

export async function runNativeTask(
  task: NativeTask,
  log: (line: string) => void = () => {},
): Promise<NativeRecord> {
  const loadAverageBefore = loadAverage();
  const setupMs: Record<string, number> = {};
  const flops = flopsPerImage(task.phase);
  const base: NativeRecord = {
    impl: 'native',
    layout: task.layout,
    phase: task.phase,
    batch: task.batch,
    status: 'failed',
    error: null,
    devices: [],
    plan: task.plan,
    init: task.init,
    setupMs,
    warmupMs: [],
    timesMs: [],
    cpuTimesMs: [],
    medianMs: null,
    minMs: null,
    maxMs: null,
    spread: null,
    imagesPerSecond: null,
    flopsPerImage: flops,
    gflops: null,
    cpuOverWall: null,
    othersCores: null,
    outputCheck: null,
    memory: null,
    profile: null,
    loadAverageBefore,
  };
  let t0 = performance.now();
  const { devices } = await selectDevices(
    task.layout === 'one-device' ? 'native:0' : ['native:0', 'native:1'],
    {
      log: false,
    },
  );
  setupMs.selectDevices = performance.now() - t0;
  base.devices = devices.map((d) => ({
    name: d.name,
    description: d.describe(),
    threads: (d.backend as unknown as NativeBackend).threads,
  }));
  const baselineRssBytes = process.memoryUsage().rss;

  t0 = performance.now();
  const net = createAlexNet(
    {},
    { devices: task.layout === 'one-device' ? devices[0]! : devices, init: task.init },
  );
  setupMs.createAlexNet = performance.now() - t0;
  const sgd =
    task.phase === 'training'
      ? new Sgd(net.params(), { lr: 0.01, momentum: 0.9, weightDecay: 0.0005 })
      : null;

  const n = task.batch;
  const fill = uniformFiller(0x5eed + n);
  const data = fill(n * 3 * 224 * 224, 0, 1);
  const labels = Float32Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
  const batch = { data, labels };

  let check: OutputCheck | null = null;
  const profiler = task.profile ? new StepProfiler() : null;
  if (profiler) profiler.install(net, sgd);
  const run =
    task.phase === 'inference'
      ? async () => {
          await net.forward(batch);
          check = checkSoftmax(await net.read('loss:probs'), 1000);
        }
      : async () => {
          if (profiler) profiler.timeZeroGrads(() => net.zeroGrads());
          else net.zeroGrads();
          await net.forward(batch, { training: true });
          await net.backward();
          sgd!.step();
          const loss = await net.loss();
          check = { kind: 'loss', loss, allFinite: Number.isFinite(loss) };
        };

  try {
    log(`native ${task.layout} ${task.phase} batch ${n}${task.profile ? ' (profiled)' : ''} …`);
    let m: Measurement;
    if (profiler) {
      // Warm-up outside the profile, then the timed steps accumulate into it.
      const warm = { ...task.plan, minRepeats: 0, maxRepeats: 0, budgetMs: 0 };
      const w = await measure(run, warm);
      profiler.reset();
      m = await measure(run, { ...task.plan, warmup: 0 });
      m.warmupMs = w.warmupMs;
      base.profile = foldProfile(profiler.take(), {
        layout: task.layout,
        batch: n,
        steps: m.timesMs.length,
        stepTimesMs: m.timesMs,
        order: net.order,
        macs: macsOf(net),
        // conv1 reads the image, whose gradient is never needed: no backward-data there.
        backwardDataSkipped: (node) => node.startsWith('conv1'),
      });
    } else {
      m = await measure(run, task.plan);
    }
    const s = stats(m.timesMs);
    const imagesPerSecond = n / (s.medianMs / 1000);
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const theoretical = theoreticalBytes(
      net.summary(),
      { data: net.shape('data'), labels: net.shape('labels') },
      n,
      task.phase,
    );
    Object.assign(base, {
      status: 'ok',
      warmupMs: m.warmupMs,
      timesMs: m.timesMs,
      cpuTimesMs: m.cpuTimesMs,
      ...s,
      imagesPerSecond,
      gflops: (imagesPerSecond * flops) / 1e9,
      cpuOverWall: median(m.cpuTimesMs) / s.medianMs,
      othersCores: m.othersCores,
      outputCheck: check,
      memory: {
        baselineRssBytes,
        maxRssBytes,
        theoretical,
        ratio: maxRssBytes / theoretical.total,
        ratioAboveBaseline: (maxRssBytes - baselineRssBytes) / theoretical.total,
      },
    });
    log(
      `native ${task.layout} ${task.phase} batch ${n}: ${imagesPerSecond.toPrecision(3)} images/s ` +
        `(${base.gflops!.toPrecision(3)} GFLOP/s; median ${s.medianMs.toFixed(1)} ms of ${m.timesMs.length}, ` +
        `spread ${(100 * s.spread).toFixed(0)}%; peak RSS ${(maxRssBytes / 2 ** 30).toFixed(2)} GiB)`,
    );
  } catch (err) {
    base.error = errorMessage(err);
    log(`native ${task.layout} ${task.phase} batch ${n} failed: ${base.error}`);
  } finally {
    sgd?.dispose();
    net.dispose();
  }
  return base;
}

/** How the devices' threads are laid out, in words (for the report). */
export function threadsInWords(devices: readonly DeviceInfo[]): string {
  const cores = os.cpus().length;
  if (devices.length === 1) {
    return `${devices[0]!.name}: one pool of ${devices[0]!.threads} threads (the JS thread + ${devices[0]!.threads - 1} worker${devices[0]!.threads === 2 ? '' : 's'}, not pinned) on ${cores} cores; both towers as channel groups`;
  }
  return (
    `${devices.map((d) => `${d.name}: its own pool of ${d.threads} threads`).join('; ')} (not pinned, ${cores} cores); ` +
    "the backend is synchronous, so the JS thread runs one tower's kernels, then the other's, each kernel on all cores"
  );
}
