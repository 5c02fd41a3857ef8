/**
 * node dist/ceiling/gemm-ceiling.js [--smoke] [--threads N] [--out DIR]
 *
 * The machine's ceiling beside @alexnet/native's GEMM: compiles csrc/gemm_ceiling.c with the native
 * backend's C sources (and OpenBLAS when `-lopenblas` links: `apt install libopenblas-dev`; it is
 * benchmark-only, the backend never uses it), runs it, and writes DIR/gemm-ceiling.{json,svg}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../chart.js';
import { machineFacts } from '../machine.js';
import { runIfMain } from '../run-main.js';
import { type CeilingOutput, measureCeiling } from './probe.js';

export type { CeilingOutput, CeilingRow } from './probe.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function chartSpec(out: CeilingOutput, threads: number, title: string): TopLevelSpec {
  const rows = out.gemm
    .filter((r) => r.threads === threads)
    .flatMap((r) => [
      { shape: r.shape, impl: '@alexnet/native', gflops: r.nativeGflops },
      ...(r.openblasGflops === null ? [] : [{ shape: r.shape, impl: 'OpenBLAS', gflops: r.openblasGflops }]),
    ]);
  const peak = out.peak.find((p) => p.threads === threads)?.gflops ?? 0;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: `FMA peak (dashed) ${peak.toFixed(0)} GFLOP/s with ${threads} thread(s)`,
      anchor: 'start',
    },
    width: 760,
    height: 320,
    background: 'white',
    layer: [
      {
        data: { values: rows },
        mark: 'bar',
        encoding: {
          x: { field: 'shape', type: 'nominal', sort: null, title: null, axis: { labelAngle: -30 } },
          xOffset: { field: 'impl', type: 'nominal' },
          y: { field: 'gflops', type: 'quantitative', title: 'GFLOP/s' },
          color: { field: 'impl', type: 'nominal', title: null, legend: { orient: 'top' } },
        },
      },
      {
        data: { values: [{ peak }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#c00' },
        encoding: { y: { field: 'peak', type: 'quantitative' } },
      },
    ],
  };
}

export async function runGemmCeiling(options: {
  smoke: boolean;
  threads: number;
  outDir: string;
}): Promise<CeilingOutput> {
  const out = measureCeiling(options);
  mkdirSync(options.outDir, { recursive: true });
  const result = {
    benchmark: 'gemm-ceiling',
    mode: options.smoke ? 'smoke' : 'full',
    machine: machineFacts(),
    ...out,
  };
  writeFileSync(path.join(options.outDir, 'gemm-ceiling.json'), `${JSON.stringify(result, null, 2)}\n`);
  const svg = await renderSvg(
    chartSpec(
      out,
      options.threads,
      `SGEMM on AlexNet's shapes (batch 128): @alexnet/native vs OpenBLAS, ${options.threads} threads`,
    ),
  );
  writeFileSync(path.join(options.outDir, 'gemm-ceiling.svg'), svg);
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      threads: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const smoke = values.smoke ?? false;
  const threads = values.threads === undefined ? os.cpus().length : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`--threads must be a positive integer, got '${values.threads}'`);
  const outDir = path.resolve(values.out ?? path.join(packageRoot, 'results', ...(smoke ? ['smoke'] : [])));
  const out = await runGemmCeiling({ smoke, threads, outDir });
  console.log(
    `FMA peak: ${out.peak.map((p) => `${p.gflops} GFLOP/s (${p.threads} thr)`).join(', ')}; OpenBLAS linked: ${out.openblas}`,
  );
  for (const r of out.gemm) {
    const ratio =
      r.pairedRatio !== null
        ? ` — native ${(100 * r.pairedRatio).toFixed(0)}% of OpenBLAS (median of ${r.rounds} paired round${r.rounds === 1 ? '' : 's'})`
        : '';
    console.log(
      `  ${r.threads} thr  ${r.shape.padEnd(30)} native ${r.nativeGflops.toFixed(1).padStart(6)}  OpenBLAS ${String(r.openblasGflops ?? '-').padStart(6)}${ratio}`,
    );
  }
  console.log(`wrote ${path.join(outDir, 'gemm-ceiling.json')} and .svg`);
}

runIfMain(import.meta.url, main);
