/** The chart and the text summary of a test-error ablation (compare.ts). */
import type { TopLevelSpec } from 'vega-lite';
import type { Spread } from './bookkeeping.js';
import type { CompareResult } from './compare.js';

/** A fraction as a percentage: mean ± sd (n), or the value alone for one run. */
export function percentSpread(s: Spread | null | undefined, signed = false): string {
  if (!s) return '—';
  const pct = (x: number) => `${signed && x > 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
  return s.n === 1 ? pct(s.mean) : `${pct(s.mean)} ± ${(100 * s.std).toFixed(2)} (n = ${s.n})`;
}

/** Test top-1 error after each epoch, one line per run: the paper's choice solid, the ablation dashed. */
export function compareChartSpec(result: CompareResult): TopLevelSpec {
  const label = new Map(result.variants.map((v) => [v.name, v.label]));
  const order = result.variants.map((v) => v.label);
  const rows = result.runs.flatMap((r) =>
    r.testCurve.map((p) => ({
      variant: label.get(r.variant) ?? r.variant,
      run: `${r.variant} s${r.seed}`,
      epoch: p.epoch,
      error: p.top1,
    })),
  );
  const s = result.settings;
  const m = result.machine;
  const [a, b] = result.summaries;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${result.title}${result.complete ? '' : ' — partial'}`,
      subtitle: [
        `test top-1 error: ${label.get(a!.variant)} ${percentSpread(a!.testTop1)} · ${label.get(b!.variant)} ${percentSpread(b!.testTop1)} · paired difference ${percentSpread(result.difference.testTop1, true)}`,
        `${result.data.trainImages} training / ${result.data.testImages} test images · ${s.epochs} epochs · batch ${s.batch} · lr ${s.lr}${s.lrDrops.length ? ` ÷10 at epoch ${s.lrDrops.join(', ')}` : ''} · momentum ${s.momentum} · weight decay ${s.weightDecay}`,
        `${m.cpuModel} · ${result.device} · Node ${m.nodeVersion} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
      ],
      anchor: 'start',
    },
    width: 640,
    height: 360,
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', point: { size: 16 } },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epochs' },
      y: { field: 'error', type: 'quantitative', title: 'test top-1 error (after each epoch)' },
      color: {
        field: 'variant',
        type: 'nominal',
        sort: order,
        scale: { range: ['#1f4e9c', '#c03a2b'] },
        legend: { orient: 'top-right', title: null, labelLimit: 400 },
      },
      strokeDash: {
        field: 'variant',
        type: 'nominal',
        sort: order,
        scale: {
          range: [
            [1, 0],
            [6, 4],
          ],
        },
        legend: { orient: 'top-right', title: null, labelLimit: 400 },
      },
      detail: { field: 'run', type: 'nominal' },
    },
  };
}

/** A plain-text summary (printed at the end of a run and pasted into the README). */
export function compareMarkdown(result: CompareResult): string {
  const label = new Map(result.variants.map((v) => [v.name, v.label]));
  const lines: string[] = [];
  lines.push('| variant | runs | test top-1 | test top-5 | train top-1 | gap (test − train) |');
  lines.push('|---|--:|--:|--:|--:|--:|');
  for (const s of result.summaries) {
    lines.push(
      `| ${label.get(s.variant)} | ${s.runs}${s.diverged ? ` (${s.diverged} diverged)` : ''} | ${percentSpread(s.testTop1)} | ${percentSpread(s.testTop5)} | ${percentSpread(s.trainTop1)} | ${percentSpread(s.gap)} |`,
    );
  }
  const d = result.difference;
  lines.push('');
  lines.push(
    `paired difference (${label.get(d.a)} − ${label.get(d.b)}, seeds ${d.seeds.join(', ') || '—'}): test top-1 ${percentSpread(d.testTop1, true)}, top-5 ${percentSpread(d.testTop5, true)}, gap ${percentSpread(d.gap, true)}`,
  );
  const sep = result.paperChoiceBetterEverySeed;
  lines.push(
    `ranges of test top-1: ${sep === null ? 'overlap (or not enough runs)' : sep ? `every ${label.get(d.a)} run is below every ${label.get(d.b)} run` : `every ${label.get(d.b)} run is below every ${label.get(d.a)} run`}`,
  );
  lines.push('');
  lines.push('| run | test top-1 | test top-5 | train top-1 | s/epoch | status |');
  lines.push('|---|--:|--:|--:|--:|---|');
  for (const r of result.runs) {
    const secs = r.epochSeconds.length
      ? r.epochSeconds.reduce((x, y) => x + y, 0) / r.epochSeconds.length
      : null;
    const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
    lines.push(
      `| ${r.variant} s${r.seed} | ${pct(r.test?.top1)} | ${pct(r.test?.top5)} | ${pct(r.train?.top1)} | ${secs === null ? '—' : secs.toFixed(1)} | ${r.status} |`,
    );
  }
  if (!result.complete) lines.push(`\nnot finished: ${result.pending.join(', ')}`);
  return lines.join('\n');
}
