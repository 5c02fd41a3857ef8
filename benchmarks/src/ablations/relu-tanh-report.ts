/** The Figure-1-style chart and the text summary of the ReLU-vs-tanh benchmark. */
import type { TopLevelSpec } from 'vega-lite';
import type { Spread } from './bookkeeping.js';
import type { ReluTanhResult } from './relu-vs-tanh.js';

const fmt = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined ? '—' : x.toFixed(digits);

export function spreadText(s: Spread | null | undefined, digits = 2): string {
  if (!s) return '—';
  return s.n === 1
    ? fmt(s.mean, digits)
    : `${fmt(s.mean, digits)} (min ${fmt(s.min, digits)}, max ${fmt(s.max, digits)}, sd ${fmt(s.std, digits)}, n = ${s.n})`;
}

/** Training error vs epochs for each activation at its chosen rate: ReLU solid, tanh dashed, one line per seed. */
export function reluTanhChartSpec(result: ReluTanhResult): TopLevelSpec {
  const rows: { activation: string; seed: number; epoch: number; error: number; run: string }[] = [];
  for (const r of result.runs) {
    if (r.lr !== result.shown[r.activation]) continue;
    for (const p of r.curve)
      rows.push({
        activation: r.activation,
        seed: r.seed,
        epoch: p.epoch,
        error: p.error,
        run: `${r.activation} s${r.seed}`,
      });
  }
  const s = result.settings;
  const m = result.machine;
  const ratio = result.ratio;
  const ratioLine =
    ratio.perSeed.length === 0
      ? 'ratio of epochs to 25%: not yet available'
      : `tanh/ReLU epochs to ${s.threshold * 100}% training error: ${spreadText(ratio.spread)}${ratio.censored ? ' (some tanh runs never reached it: lower bounds)' : ''}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `ReLU vs tanh on CIFAR-10 (the paper's Figure 1)${result.complete ? '' : ' — partial'}`,
      subtitle: [
        `4-layer conv net (85,098 parameters), init ${s.reluInit === 'he' ? 'He for ReLU, LeCun for tanh' : 'LeCun N(0, 1/fan-in)'}, ${s.train} training images, batch ${s.batch}, momentum 0.9, no weight decay, no dropout`,
        `ReLU lr ${result.shown.relu ?? '—'} · tanh lr ${result.shown.tanh ?? '—'} (the fastest of ${(s.ratesFor?.relu ?? s.rates).join(', ')} / ${(s.ratesFor?.tanh ?? s.rates).join(', ')}) · ${ratioLine}`,
        `${m.cpuModel} · ${result.device} · Node ${m.nodeVersion} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
      ],
      anchor: 'start',
    },
    width: 640,
    height: 360,
    background: 'white',
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: { size: 16 } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epochs' },
          y: {
            field: 'error',
            type: 'quantitative',
            title: `training error (fixed subset of ${s.measure} training images, after each epoch)`,
            scale: { domain: [0, 1] },
          },
          color: {
            field: 'activation',
            type: 'nominal',
            sort: ['relu', 'tanh'],
            scale: { range: ['#1f4e9c', '#c03a2b'] },
            legend: { orient: 'top-right', title: null },
          },
          strokeDash: {
            field: 'activation',
            type: 'nominal',
            sort: ['relu', 'tanh'],
            scale: {
              range: [
                [1, 0],
                [6, 4],
              ],
            },
            legend: { orient: 'top-right', title: null },
          },
          detail: { field: 'run', type: 'nominal' },
        },
      },
      {
        data: { values: [{ threshold: s.threshold }] },
        mark: { type: 'rule', color: '#555', strokeDash: [2, 2] },
        encoding: { y: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  };
}

/** A plain-text summary (printed at the end of a run and pasted into the README). */
export function reluTanhMarkdown(result: ReluTanhResult): string {
  const s = result.settings;
  const lines: string[] = [];
  lines.push(`| activation | lr | seed | epochs to ${s.threshold * 100}% | final error | s/epoch | status |`);
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of result.runs) {
    const secs = r.epochSeconds.length
      ? r.epochSeconds.reduce((a, b) => a + b, 0) / r.epochSeconds.length
      : null;
    lines.push(
      `| ${r.activation} | ${r.lr} | ${r.seed} | ${r.epochsToThreshold === null ? `> ${r.curve.at(-1)?.epoch ?? 0}` : fmt(r.epochsToThreshold)} | ${fmt(r.curve.at(-1)?.error, 3)} | ${fmt(secs, 1)} | ${r.status} |`,
    );
  }
  lines.push('');
  lines.push(
    `chosen rates: relu ${result.chosen.relu ?? '(sweep not finished)'}, tanh ${result.chosen.tanh ?? '(sweep not finished)'}`,
  );
  lines.push(
    `epochs to ${s.threshold * 100}%: relu ${spreadText(result.epochs.relu)}; tanh ${spreadText(result.epochs.tanh)}`,
  );
  lines.push(
    `ratio tanh/relu: ${spreadText(result.ratio.spread)}${result.ratio.censored ? ' (censored: lower bound)' : ''}; ratio of the means ${fmt(result.ratio.ofMeans)}`,
  );
  if (!result.complete) lines.push(`not finished: ${result.pending.join(', ')}`);
  return lines.join('\n');
}
