/**
 * The TensorFlow.js peers, each in its own worker process:
 * - 'tfjs-wasm': `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD; single-threaded in Node, where tfjs
 *   disables wasm threads). Inference only: stock tfjs-wasm registers no `Conv2DBackpropFilter`, which
 *   the benchmark shows by attempting one training step and recording the error.
 * - 'tfjs-cpu': `@tensorflow/tfjs`'s pure-JS CPU backend, the only JS peer that trains AlexNet out of the
 *   box (SGD with momentum 0.9, categorical cross-entropy on the softmax, dropout 0.5 active).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { uniformFiller } from '../timing.js';
import {
  checkSoftmax,
  errorMessage,
  failedRecord,
  loadAverage,
  measure,
  measurementRecord,
  type OutputCheck,
  type PeerMeasurement,
  type PeerRun,
  type Phase,
  type RepeatPlan,
} from './measure.js';
import { ALEXNET_PARAMETERS, FORWARD_FLOPS_PER_IMAGE, TRAINING_FLOPS_PER_IMAGE } from './spec.js';
import { buildTfjsAlexNet } from './tfjs-alexnet.js';
import { packageVersion, versionsOf } from './versions.js';

export interface TfjsTask {
  phase: Phase;
  batch: number;
  plan: RepeatPlan;
  /** Not run (recorded as 'skipped' with this reason). */
  skip?: string;
}

/** The tasks of each tfjs peer; `smoke`: batch-1 inference once, everything else skipped. */
export function tfjsTasks(peer: 'tfjs-wasm' | 'tfjs-cpu', smoke: boolean): TfjsTask[] {
  const once: RepeatPlan = { warmup: 1, minRepeats: 1, maxRepeats: 1, budgetMs: 0 };
  const skip = smoke ? 'not run with --smoke' : undefined;
  const task = (phase: Phase, batch: number, plan: RepeatPlan, skipIt = true): TfjsTask =>
    smoke && skipIt ? { phase, batch, plan, skip: skip! } : { phase, batch, plan: smoke ? once : plan };
  if (peer === 'tfjs-wasm') {
    return [
      task('inference', 1, { warmup: 2, minRepeats: 5, maxRepeats: 50, budgetMs: 5000 }, false),
      task('inference', 32, { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 10_000 }),
      // Expected to fail (no Conv2DBackpropFilter kernel for wasm); measured if a future version has one.
      task('training', 32, { warmup: 1, minRepeats: 2, maxRepeats: 3, budgetMs: 30_000 }),
      // Last: DESIGN.md §7 reports 'memory access out of bounds' here, which can leave the module broken.
      task('inference', 128, { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 10_000 }),
    ];
  }
  return [
    task('inference', 1, { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 6000 }, false),
    // ~200 s per step at batch 2 on a 2-core EPYC: one warm-up step and one to three timed steps.
    task('training', 2, { warmup: 1, minRepeats: 1, maxRepeats: 3, budgetMs: 240_000 }),
  ];
}

export async function runTfjsPeer(
  peer: 'tfjs-wasm' | 'tfjs-cpu',
  options: {
    smoke: boolean;
    log?: (line: string) => void;
    /** What to measure (default: `tfjsTasks(peer, smoke)`); the end-to-end benchmark passes its own. */
    tasks?: TfjsTask[];
  },
): Promise<PeerRun> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const loadAverageBefore = loadAverage();
  const setupMs: Record<string, number> = {};
  const settings: PeerRun['settings'] = {};
  let t0 = performance.now();

  const tf = await import('@tensorflow/tfjs');
  if (peer === 'tfjs-wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries ship in the package's dist/ folder, next to its Node entry point.
    const { createRequire } = await import('node:module');
    const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(dist + path.sep);
    settings.wasmPaths = dist + path.sep;
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    settings.wasmSimd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    settings.wasmMultithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    settings.wasmThreads = wasm.getThreadsCount();
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
  }
  await tf.ready();
  settings.backend = tf.getBackend();
  setupMs.loadAndInitBackend = performance.now() - t0;

  t0 = performance.now();
  const model = buildTfjsAlexNet(tf);
  const parameters = model.countParams();
  setupMs.buildModel = performance.now() - t0;
  if (parameters !== ALEXNET_PARAMETERS)
    throw new Error(`tfjs AlexNet has ${parameters} parameters, expected ${ALEXNET_PARAMETERS}`);
  log(`${peer}: backend '${settings.backend}' ready, model built (${parameters} parameters)`);

  const fill = uniformFiller(0x7f4a7c15);
  const results: PeerMeasurement[] = [];
  let compiled = false;
  for (const task of options.tasks ?? tfjsTasks(peer, options.smoke)) {
    const flopsPerImage = task.phase === 'training' ? TRAINING_FLOPS_PER_IMAGE : FORWARD_FLOPS_PER_IMAGE;
    const base = { peer, phase: task.phase, batch: task.batch, flopsPerImage, plan: task.plan };
    if (task.skip !== undefined) {
      results.push(failedRecord(base, 'skipped', task.skip));
      continue;
    }
    log(`${peer}: ${task.phase} at batch ${task.batch} …`);
    const x = tf.tensor4d(fill(task.batch * 224 * 224 * 3, 0, 1), [task.batch, 224, 224, 3]);
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: task.batch }, (_, i) => (i * 7919) % 1000),
        'int32',
      ),
      1000,
    );
    try {
      let check: OutputCheck | null = null;
      let run: () => Promise<void>;
      if (task.phase === 'inference') {
        run = async () => {
          const y = model.predict(x) as import('@tensorflow/tfjs').Tensor;
          const values = await y.data();
          y.dispose();
          check = checkSoftmax(values, 1000);
        };
      } else {
        if (!compiled) {
          model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
          compiled = true;
        }
        run = async () => {
          const loss = (await model.trainOnBatch(x, labels)) as number;
          check = { kind: 'loss', loss, allFinite: Number.isFinite(loss) };
        };
      }
      const m = await measure(run, task.plan);
      const record = measurementRecord(base, m, check);
      results.push(record);
      log(
        `${peer}: ${task.phase} batch ${task.batch}: ${record.imagesPerSecond!.toPrecision(3)} images/s ` +
          `(${record.gflops!.toPrecision(3)} GFLOP/s; median ${record.medianMs!.toFixed(1)} ms of ${m.timesMs.length})`,
      );
    } catch (err) {
      const message = errorMessage(err);
      results.push(failedRecord(base, 'failed', message));
      log(`${peer}: ${task.phase} batch ${task.batch} failed: ${message}`);
    } finally {
      tf.dispose([x, labels]);
    }
  }

  const versions = versionsOf([
    ['@tensorflow/tfjs'],
    ['@tensorflow/tfjs-core'],
    ['@tensorflow/tfjs-layers', '@tensorflow/tfjs'],
    ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs'],
    ...(peer === 'tfjs-wasm' ? ([['@tensorflow/tfjs-backend-wasm']] as const) : []),
  ]);
  const wasmVersion = packageVersion('@tensorflow/tfjs-backend-wasm') ?? '?';
  return {
    peer,
    description:
      peer === 'tfjs-wasm'
        ? `@tensorflow/tfjs-backend-wasm ${wasmVersion} (XNNPACK, SIMD ${settings.wasmSimd ? 'on' : 'off'}, ${settings.wasmThreads} thread)`
        : `@tensorflow/tfjs ${versions['@tensorflow/tfjs'] ?? '?'} pure-JS CPU backend (1 thread)`,
    versions,
    setupMs,
    parameters,
    settings,
    results,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    loadAverageBefore,
    wallSeconds: (performance.now() - started) / 1000,
    error: null,
  };
}
