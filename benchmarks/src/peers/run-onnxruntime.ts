/**
 * The onnxruntime-node peer (CPU execution provider, MLAS): AlexNet inference from an ONNX model built
 * in memory (./onnx-alexnet.ts), with as many intra-op threads as the machine has cores.
 */
import os from 'node:os';
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
  type RepeatPlan,
} from './measure.js';
import { buildOnnxAlexNet, ONNX_IR_VERSION, ONNX_OPSET } from './onnx-alexnet.js';
import { ALEXNET_PARAMETERS, FORWARD_FLOPS_PER_IMAGE } from './spec.js';
import { versionsOf } from './versions.js';

export function onnxruntimeTasks(smoke: boolean): { batch: number; plan: RepeatPlan; skip?: string }[] {
  const once: RepeatPlan = { warmup: 1, minRepeats: 1, maxRepeats: 1, budgetMs: 0 };
  const plans: [number, RepeatPlan][] = [
    [1, { warmup: 3, minRepeats: 10, maxRepeats: 200, budgetMs: 5000 }],
    [32, { warmup: 2, minRepeats: 5, maxRepeats: 30, budgetMs: 10_000 }],
    [128, { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 10_000 }],
  ];
  return plans.map(([batch, plan]) =>
    !smoke
      ? { batch, plan }
      : batch === 1
        ? { batch, plan: once }
        : { batch, plan, skip: 'not run with --smoke' },
  );
}

export async function runOnnxruntimePeer(options: {
  smoke: boolean;
  log?: (line: string) => void;
  /** What to measure (default: `onnxruntimeTasks(smoke)`); the end-to-end benchmark passes its own. */
  tasks?: { batch: number; plan: RepeatPlan; skip?: string }[];
}): Promise<PeerRun> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const loadAverageBefore = loadAverage();
  const setupMs: Record<string, number> = {};
  const threads = os.availableParallelism();

  let t0 = performance.now();
  const ort = await import('onnxruntime-node');
  setupMs.load = performance.now() - t0;

  t0 = performance.now();
  const model = buildOnnxAlexNet();
  setupMs.buildOnnxModel = performance.now() - t0;
  if (model.parameters !== ALEXNET_PARAMETERS)
    throw new Error(`ONNX AlexNet has ${model.parameters} parameters, expected ${ALEXNET_PARAMETERS}`);

  t0 = performance.now();
  const session = await ort.InferenceSession.create(model.bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  setupMs.createSession = performance.now() - t0;
  log(
    `onnxruntime-node: session ready (${model.nodes} nodes, ${(model.bytes.length / 2 ** 20).toFixed(0)} MiB model)`,
  );

  const fill = uniformFiller(0x7f4a7c15);
  const results: PeerMeasurement[] = [];
  for (const task of options.tasks ?? onnxruntimeTasks(options.smoke)) {
    const base = {
      peer: 'onnxruntime-node' as const,
      phase: 'inference' as const,
      batch: task.batch,
      flopsPerImage: FORWARD_FLOPS_PER_IMAGE,
      plan: task.plan,
    };
    if (task.skip !== undefined) {
      results.push(failedRecord(base, 'skipped', task.skip));
      continue;
    }
    log(`onnxruntime-node: inference at batch ${task.batch} …`);
    try {
      const x = new ort.Tensor('float32', fill(task.batch * 3 * 224 * 224, 0, 1), [task.batch, 3, 224, 224]);
      let check: OutputCheck | null = null;
      const m = await measure(async () => {
        const out = await session.run({ [model.inputName]: x });
        check = checkSoftmax(out[model.outputName]!.data as Float32Array, 1000);
      }, task.plan);
      const record = measurementRecord(base, m, check);
      results.push(record);
      log(
        `onnxruntime-node: inference batch ${task.batch}: ${record.imagesPerSecond!.toPrecision(3)} images/s ` +
          `(${record.gflops!.toPrecision(3)} GFLOP/s; median ${record.medianMs!.toFixed(1)} ms of ${m.timesMs.length})`,
      );
    } catch (err) {
      const message = errorMessage(err);
      results.push(failedRecord(base, 'failed', message));
      log(`onnxruntime-node: inference batch ${task.batch} failed: ${message}`);
    }
  }
  await session.release();

  const versions = versionsOf([
    ['onnxruntime-node'],
    ['onnxruntime-common', 'onnxruntime-node'],
    ['onnx-proto'],
    ['protobufjs', 'onnx-proto'],
  ]);
  return {
    peer: 'onnxruntime-node',
    description: `onnxruntime-node ${versions['onnxruntime-node'] ?? '?'} (CPU EP, ${threads} intra-op threads)`,
    versions,
    setupMs,
    parameters: model.parameters,
    settings: {
      executionProvider: 'cpu',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      onnxOpset: ONNX_OPSET,
      onnxIrVersion: ONNX_IR_VERSION,
      onnxModelBytes: model.bytes.length,
    },
    results,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    loadAverageBefore,
    wallSeconds: (performance.now() - started) / 1000,
    error: null,
  };
}
