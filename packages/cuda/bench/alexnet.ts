/**
 * AlexNet end to end on CUDA: the paper's network (`createAlexNet` defaults: 224 input, conv1 pad 2,
 * two towers, 1000 classes, paper initialisation), inference (forward without dropout, probabilities
 * read back) and training steps (zero grads, forward with dropout, backward, SGD with momentum 0.9
 * and weight decay 5e-4, loss read back), timed wall-clock per step after warm-up, on cuda:0 alone
 * (towers as channel groups) and on cuda:0 + cuda:1 (tower t on device t; on one GPU two streams).
 * Also checks that the two layouts compute the same probabilities.
 * Usage: node dist/bench/alexnet.js [--batch 128] [--out dir] [--tf32] [--smoke]
 */
import { performance } from 'node:perf_hooks';
import { Sgd } from '@alexnet/layers';
import { type Device, getDevice, registerBackend } from '@alexnet/tensor';
// From the alexnet package's sources: its index also pulls in sharp and the data pipeline.
import { createAlexNet } from '../../alexnet/src/network.js';
import { alexnetSummary } from '../../alexnet/src/summary.js';
import { CudaBackend } from '../src/backend.js';
import { backendProvider } from '../src/provider.js';
import { type BenchArgs, median, parseArgs, randomArray, writeJson } from './common.js';

export interface AlexNetRow {
  layout: 'cuda:0' | 'cuda:0,cuda:1';
  phase: 'inference' | 'training';
  batch: number;
  stepMs: number[];
  medianMs: number;
  imagesPerSecond: number;
  check: string;
}

async function devicesFor(layout: AlexNetRow['layout']): Promise<Device[]> {
  return Promise.all(layout.split(',').map((d) => getDevice(d)));
}

export async function runAlexNetBench(
  args: BenchArgs,
): Promise<{ rows: AlexNetRow[]; maxProbDiff: number; detail: string }> {
  registerBackend({ ...backendProvider, create: (index) => new CudaBackend({ index, tf32: args.tf32 }) });
  const n = args.batch;
  // Smoke: a small input and 10 classes (plumbing only, e.g. through the stub driver).
  const config = args.smoke ? { input: 67, classes: 10 } : {};
  const classes = args.smoke ? 10 : 1000;
  const side = args.smoke ? 67 : 224;
  const data = randomArray(n * 3 * side * side, 11);
  const labels = Float32Array.from({ length: n }, (_, i) => (i * 7919) % classes);
  const batch = { data, labels };
  const warm = args.smoke ? 0 : 3;
  const timed = args.smoke ? 1 : 10;
  const rows: AlexNetRow[] = [];
  const probs: Float32Array[] = [];
  for (const layout of ['cuda:0', 'cuda:0,cuda:1'] as const) {
    const devices = await devicesFor(layout);
    const net = createAlexNet(config, { devices: devices.length === 1 ? devices[0]! : devices, init: true });
    try {
      // Inference.
      const inf: number[] = [];
      let p: Float32Array = new Float32Array(0);
      for (let i = 0; i < warm + timed; i++) {
        const t0 = performance.now();
        await net.forward(batch);
        p = await net.read('loss:probs');
        if (i >= warm) inf.push(performance.now() - t0);
      }
      probs.push(p);
      const finite = p.every(Number.isFinite);
      rows.push(
        row(layout, 'inference', n, inf, finite ? 'probabilities finite' : 'NON-FINITE probabilities'),
      );
      // Training.
      const sgd = new Sgd(net.params(), { lr: 0.01, momentum: 0.9, weightDecay: 0.0005 });
      const tr: number[] = [];
      let loss = Number.NaN;
      for (let i = 0; i < warm + timed; i++) {
        const t0 = performance.now();
        net.zeroGrads();
        await net.forward(batch, { training: true });
        await net.backward();
        sgd.step();
        loss = await net.loss();
        if (i >= warm) tr.push(performance.now() - t0);
      }
      rows.push(
        row(
          layout,
          'training',
          n,
          tr,
          `loss ${loss.toFixed(4)}${Number.isFinite(loss) ? '' : ' NON-FINITE'}`,
        ),
      );
    } finally {
      net.dispose();
    }
  }
  let maxProbDiff = 0;
  const [p0, p1] = probs as [Float32Array, Float32Array];
  for (let i = 0; i < p0.length; i++) maxProbDiff = Math.max(maxProbDiff, Math.abs(p0[i]! - p1[i]!));
  const flops = alexnetSummary().totals;
  return {
    rows,
    maxProbDiff,
    detail: `forward ${(flops.forwardFlops / 1e9).toFixed(2)} GFLOP/image, training ${(flops.trainingFlops / 1e9).toFixed(2)} GFLOP/image`,
  };
}

function row(
  layout: AlexNetRow['layout'],
  phase: AlexNetRow['phase'],
  batch: number,
  stepMs: number[],
  check: string,
): AlexNetRow {
  const m = median(stepMs);
  return { layout, phase, batch, stepMs, medianMs: m, imagesPerSecond: batch / (m / 1000), check };
}

async function main(): Promise<void> {
  const args = parseArgs();
  const result = await runAlexNetBench(args);
  const path = writeJson(args.out, `alexnet${args.tf32 ? '-tf32' : ''}.json`, {
    batch: args.batch,
    smoke: args.smoke,
    ...result,
  });
  for (const r of result.rows) {
    console.log(
      `${r.layout.padEnd(14)} ${r.phase.padEnd(10)} batch ${r.batch}: ${r.medianMs.toFixed(1)} ms/step, ${r.imagesPerSecond.toFixed(0)} images/s (${r.check})`,
    );
  }
  console.log(`one device vs two: max |Δ probability| = ${result.maxProbDiff.toExponential(2)}`);
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
