/**
 * Charts as SVG, rendered headlessly: a Vega-Lite spec is compiled to Vega and rendered by a Vega
 * view with no renderer attached (`renderer: 'none'`), which needs no DOM, canvas or native module.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { MAC_PASSES } from './flops.js';
import type { ReferenceKernelsResult } from './kernels/reference.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Grouped bars: achieved GFLOP/s of every conv/fc layer, one bar per pass. */
export function throughputChartSpec(result: ReferenceKernelsResult): TopLevelSpec {
  const rows = result.results
    .filter((t) => t.gflops !== null)
    .map((t) => ({ layer: t.layer, pass: t.pass, gflops: t.gflops!, ms: round(t.medianMs, 3) }));
  const layers = [...new Set(rows.map((r) => r.layer))];
  const m = result.machine;
  const { inference, trainingStep } = result.estimate;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${result.backend.kind === 'ref' ? 'Reference' : result.backend.kind} backend: kernel throughput on AlexNet's layers (batch ${result.settings.batch})`,
      subtitle: [
        `${result.network.name} · ${result.backend.description}`,
        `${m.cpuModel} · Node ${m.nodeVersion} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
        `Estimated from kernel times: inference ≈ ${inference.imagesPerSecond.toPrecision(3)} images/s, ` +
          `training step ≈ ${trainingStep.imagesPerSecond.toPrecision(3)} images/s`,
      ],
      anchor: 'start',
    },
    width: 720,
    height: 320,
    background: 'white',
    data: { values: rows },
    encoding: {
      x: { field: 'layer', type: 'nominal', sort: layers, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'pass', type: 'nominal', sort: [...MAC_PASSES] },
      y: { field: 'gflops', type: 'quantitative', title: 'GFLOP/s (2 × multiply-adds / median time)' },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          color: {
            field: 'pass',
            type: 'nominal',
            sort: [...MAC_PASSES],
            title: 'pass',
            scale: { range: ['#4c78a8', '#f58518', '#54a24b'] },
            legend: { orient: 'top', direction: 'horizontal' },
          },
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 9, color: '#333' },
        encoding: { text: { field: 'gflops', type: 'quantitative', format: '.2f' } },
      },
    ],
  };
}
