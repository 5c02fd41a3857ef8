/**
 * The short table printed LAST by scripts/gpu-check.sh, from the JSON the steps wrote, and
 * summary.json beside them. Usage: node dist/bench/summary.js <results dir> [--require-gpu]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlexNetRow } from './alexnet.js';
import { writeJson } from './common.js';
import type { KernelRow } from './kernels.js';

const dir = process.argv[2] ?? 'gpu-check-results';
const load = <T>(name: string): T | null => {
  const p = join(dir, name);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null;
};

interface KernelsJson {
  env: Record<string, unknown>;
  batch: number;
  rows: KernelRow[];
}
interface AlexNetJson {
  batch: number;
  smoke: boolean;
  rows: AlexNetRow[];
  maxProbDiff: number;
}
interface TorchJson {
  torch: string;
  cudnn: number;
  gpu: string;
  batch: number;
  inference: { imagesPerSecond: number; medianMs: number };
  training: { imagesPerSecond: number; medianMs: number };
}
interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
}

const kernels = load<KernelsJson>('kernels.json');
const alexnet = load<AlexNetJson>('alexnet.json');
const torch = load<TorchJson>('torch_alexnet.json');
const conformance = load<VitestJson>('conformance.json');
const lines: string[] = [];
const env = kernels?.env ?? {};
lines.push(
  `@alexnet/cuda GPU check — ${String(env.gpu ?? '?')} (compute ${String(env.computeCapability ?? '?')}), driver ${String(env.driverVersion ?? '?')}, ${new Date().toISOString().slice(0, 10)}`,
);
if (env.stubDriver)
  lines.push('STUB DRIVER (CPU emulation): plumbing only — these numbers say nothing about a GPU');
lines.push(
  conformance
    ? `conformance: ${conformance.numPassedTests} passed, ${conformance.numFailedTests} failed, ${conformance.numPendingTests} skipped (of ${conformance.numTotalTests})`
    : 'conformance: no result',
);
if (kernels) {
  lines.push(
    '',
    `kernel (batch ${kernels.batch})   forward            backward-data      backward-filter / backward`,
  );
  const layers = [...new Set(kernels.rows.map((r) => r.layer))];
  const cell = (r: KernelRow | undefined) =>
    r
      ? `${r.ms.toFixed(3).padStart(8)} ms${r.gflops === null ? '        ' : ` ${r.gflops.toFixed(0).padStart(6)} GF`}`
      : ''.padEnd(19);
  for (const l of layers) {
    const by = (p: KernelRow['pass']) => kernels.rows.find((r) => r.layer === l && r.pass === p);
    lines.push(
      `${l.padEnd(18)} ${cell(by('forward'))} ${cell(by('backwardData'))} ${cell(by('backwardFilter') ?? by('backward'))}`,
    );
  }
}
const ratio: Record<string, number> = {};
if (alexnet || torch) {
  const b = alexnet?.batch ?? torch?.batch;
  lines.push(
    '',
    `AlexNet, batch ${b}${alexnet?.smoke ? ' (SMOKE shapes)' : ''}      training img/s   inference img/s`,
  );
  for (const layout of ['cuda:0', 'cuda:0,cuda:1'] as const) {
    const r = (p: AlexNetRow['phase']) => alexnet?.rows.find((x) => x.layout === layout && x.phase === p);
    const t = r('training');
    const i = r('inference');
    if (t || i) {
      lines.push(
        `@alexnet/cuda ${layout.padEnd(15)} ${(t?.imagesPerSecond.toFixed(0) ?? '-').padStart(10)}       ${(i?.imagesPerSecond.toFixed(0) ?? '-').padStart(10)}`,
      );
    }
  }
  if (torch) {
    lines.push(
      `PyTorch ${torch.torch} (cuDNN ${torch.cudnn})`.padEnd(30) +
        `${torch.training.imagesPerSecond.toFixed(0).padStart(10)}       ${torch.inference.imagesPerSecond.toFixed(0).padStart(10)}`,
    );
    const ours = alexnet?.rows.find((x) => x.layout === 'cuda:0' && x.phase === 'training');
    if (ours) {
      ratio.training = ours.imagesPerSecond / torch.training.imagesPerSecond;
      lines.push(`training throughput vs PyTorch: ${ratio.training.toFixed(2)}× (goal ≥ 0.5×, target 1×)`);
    }
  }
  if (alexnet)
    lines.push(`one device vs two devices: max |Δ probability| = ${alexnet.maxProbDiff.toExponential(2)}`);
}
writeJson(dir, 'summary.json', {
  env,
  conformance,
  kernels: kernels?.rows ?? null,
  alexnet: alexnet?.rows ?? null,
  torch,
  ratio,
  table: lines,
});
console.log(lines.join('\n'));
// On a GPU machine a skipped suite is a failure: the check exists to run it there.
if (process.argv.includes('--require-gpu')) {
  const ran = conformance && conformance.numPassedTests > 0 && conformance.numFailedTests === 0;
  if (!ran || env.stubDriver) {
    console.log('FAIL: the conformance suite did not pass on a real GPU');
    process.exitCode = 1;
  }
}
