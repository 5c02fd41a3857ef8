/** Markdown tables of a reference-kernels result (printed by the CLI, pasted into the README). */
import type { Op, PhaseEstimate, ReferenceKernelsResult } from './kernels/reference.js';
import { median } from './timing.js';

const ms = (x: number): string =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
const mega = (x: number): string => (x / 1e6).toFixed(1);

/** conv/fc layers: MACs, median time and GFLOP/s of each pass. */
export function macTable(result: ReferenceKernelsResult): string {
  const lines = [
    '| layer | shape (per image) | pass | MMAC | median ms | CPU ms | GFLOP/s |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const t of result.results) {
    if (t.macs === null) continue;
    lines.push(
      `| ${t.layer} | ${t.shape} | ${t.pass}${t.inTrainingStep ? '' : ' ¹'} | ${mega(t.macs)} | ${ms(t.medianMs)} | ${ms(median(t.cpuTimesMs))} | ${t.gflops!.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}

/** Kernels without multiply-adds (ReLU, LRN, pooling, dropout, bias, softmax/loss, SGD). */
export function otherTable(result: ReferenceKernelsResult): string {
  const lines = [
    '| layer | op | pass | kernel | elements | median ms |',
    '| --- | --- | --- | --- | ---: | ---: |',
  ];
  for (const t of result.results) {
    if (t.macs !== null) continue;
    lines.push(`| ${t.layer} | ${t.op} | ${t.pass} | ${t.kernel} | ${t.elements} | ${ms(t.medianMs)} |`);
  }
  return lines.join('\n');
}

const OPS: readonly Op[] = ['conv', 'fc', 'bias', 'relu', 'lrn', 'pool', 'dropout', 'softmax', 'loss', 'sgd'];

function phaseRow(name: string, p: PhaseEstimate): string {
  const byOp = OPS.filter((op) => p.msByOp[op] !== undefined)
    .map((op) => `${op} ${ms(p.msByOp[op]!)}`)
    .join(', ');
  return `| ${name} | ${(p.flopsPerImage / 1e9).toFixed(3)} | ${ms(p.msPerImage)} | ${p.imagesPerSecond.toPrecision(3)} | ${p.gflops.toFixed(3)} | ${byOp} |`;
}

/** Whole-network estimate: images/s and achieved GFLOP/s from the sum of kernel times. */
export function estimateTable(result: ReferenceKernelsResult): string {
  const { inference, trainingStep } = result.estimate;
  return [
    '| phase | GFLOP / image | ms / image | images/s (estimate) | GFLOP/s | ms by op (per batch) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    phaseRow('inference (forward)', inference),
    phaseRow('training step', trainingStep),
  ].join('\n');
}

export function markdownReport(result: ReferenceKernelsResult): string {
  const m = result.machine;
  const n = result.network;
  return [
    `${result.network.name}, batch ${result.settings.batch}, warm-up ${result.settings.warmup} + median of ${result.settings.repeats}; ` +
      `${result.backend.description}; ${m.cpuModel} (${m.cores} cores), Node ${m.nodeVersion}, ${m.date}` +
      `${m.gitCommit ? `, commit ${m.gitCommit.slice(0, 10)}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
    `Forward ${(n.forwardFlopsPerImage / 1e9).toFixed(3)} GFLOP/image (${mega(n.forwardMacsPerImage)} M MACs); ` +
      `training ${(n.trainingFlopsPerImage / 1e9).toFixed(3)} GFLOP/image (3 × forward), ` +
      `${(n.trainingStepFlopsPerImage / 1e9).toFixed(3)} without conv1's backward-data.`,
    '',
    macTable(result),
    '',
    '¹ timed, but not part of the training-step estimate (the gradient of the input image is never needed).',
    '',
    estimateTable(result),
    '',
    `${result.estimate.method} Not included: ${result.estimate.excluded.join('; ')}.`,
    '',
    `Timed wall time / CPU time: ${result.cpuSharing.wallOverCpu.toFixed(3)} ` +
      `(load average before: ${result.cpuSharing.loadAverageBefore.map((l) => l.toFixed(2)).join(', ')}).` +
      (result.cpuSharing.warning ? ` Warning: ${result.cpuSharing.warning}.` : ''),
    '',
    otherTable(result),
  ].join('\n');
}
