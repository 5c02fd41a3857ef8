/**
 * Training curves of a run's `metrics.jsonl` as a chart: a Vega-Lite spec built from the records
 * (pure data, no I/O), compiled to Vega and rendered headlessly to SVG (`renderer: 'none'`: no DOM,
 * canvas or native module) — the approach of the benchmarks' charts.
 *
 * Two panels side by side, both against the epoch: the loss (train and validation per epoch, and
 * the per-step training loss as a faint line) and the top-1 / top-5 error (train and validation per
 * epoch). A step record of 0-based epoch e after batch b of B sits at e + b / B, so the end of epoch
 * e + 1 (its epoch record) is at x = e + 1. With no epoch record yet, only the steps are drawn,
 * against the global step.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord, MetricsRecord, StepRecord } from '../train/metrics-log.js';

/** The series names, as they appear in the legends. */
export const CURVE_SERIES = {
  trainLoss: 'train loss',
  valLoss: 'validation loss',
  stepLoss: 'train loss (per step)',
  trainTop1: 'train top-1 error',
  trainTop5: 'train top-5 error',
  valTop1: 'validation top-1 error',
  valTop5: 'validation top-5 error',
} as const;

export interface TrainingCurvesOptions {
  /** The chart's title (default 'Training curves'). */
  title?: string;
  /** Width and height of each panel, in pixels (default 420 × 300). */
  width?: number;
  height?: number;
}

export interface TrainingCurvesSummary {
  epochs: number;
  steps: number;
  /** Epoch records with a validation result. */
  validated: number;
  /** Set when there are no epoch records: only the per-step loss is drawn. */
  note: string | null;
}

interface Point {
  series: string;
  x: number;
  value: number;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** What the records hold: the epoch and step records (sorted), and a one-line note when no epoch ended. */
export function summarizeCurves(records: readonly MetricsRecord[]): TrainingCurvesSummary {
  const epochs = records.filter((r): r is EpochRecord => r.type === 'epoch');
  const steps = records.filter((r): r is StepRecord => r.type === 'step');
  return {
    epochs: epochs.length,
    steps: steps.length,
    validated: epochs.filter((e) => e.val !== null).length,
    note:
      epochs.length === 0
        ? `no epoch records yet: only the ${steps.length} logged training step${steps.length === 1 ? '' : 's'} are drawn`
        : null,
  };
}

/** Where each step record sits on the epoch axis (e + b / B, B from the epoch records when known). */
function stepPositions(steps: readonly StepRecord[], epochs: readonly EpochRecord[]): number[] {
  // batches per 0-based epoch e: the steps between the end of epoch e (record e + 1) and of epoch e - 1
  const endStep = new Map(epochs.map((r) => [r.epoch, r.step]));
  const batchesOf = (e: number, fallback: number): number => {
    const end = endStep.get(e + 1);
    const start = e === 0 ? 0 : endStep.get(e);
    if (end !== undefined && start !== undefined && end > start) return end - start;
    // the epoch in progress (or a gap): the previous epoch's length, or the batches seen so far
    const prevEnd = endStep.get(e);
    const prevStart = e - 1 === 0 ? 0 : endStep.get(e - 1);
    if (prevEnd !== undefined && prevStart !== undefined && prevEnd > prevStart) return prevEnd - prevStart;
    return fallback;
  };
  const maxBatch = new Map<number, number>();
  for (const s of steps) maxBatch.set(s.epoch, Math.max(maxBatch.get(s.epoch) ?? 0, s.batch));
  return steps.map((s) => s.epoch + s.batch / Math.max(1, batchesOf(s.epoch, maxBatch.get(s.epoch)!)));
}

/** The Vega-Lite spec of a run's training curves. Throws when there is nothing to draw. */
export function trainingCurvesSpec(
  records: readonly MetricsRecord[],
  options: TrainingCurvesOptions = {},
): TopLevelSpec {
  const epochs = records
    .filter((r): r is EpochRecord => r.type === 'epoch')
    .sort((a, b) => a.epoch - b.epoch);
  const steps = records.filter((r): r is StepRecord => r.type === 'step').sort((a, b) => a.step - b.step);
  if (epochs.length === 0 && steps.length === 0) {
    throw new Error('no step or epoch records to plot');
  }
  const summary = summarizeCurves(records);
  const width = options.width ?? 420;
  const height = options.height ?? 300;
  const byEpoch = epochs.length > 0;

  const xs = byEpoch ? stepPositions(steps, epochs) : steps.map((s) => s.step);
  const stepLoss: Point[] = steps
    .map((s, i) => ({ series: CURVE_SERIES.stepLoss, x: xs[i]!, value: s.loss }))
    .filter((p) => finite(p.value) && finite(p.x));
  const loss: Point[] = [];
  const errors: Point[] = [];
  for (const e of epochs) {
    const push = (to: Point[], series: string, value: number | undefined): void => {
      if (finite(value)) to.push({ series, x: e.epoch, value });
    };
    push(loss, CURVE_SERIES.trainLoss, e.train?.loss);
    push(loss, CURVE_SERIES.valLoss, e.val?.loss);
    push(errors, CURVE_SERIES.trainTop1, e.train?.top1Error);
    push(errors, CURVE_SERIES.trainTop5, e.train?.top5Error);
    push(errors, CURVE_SERIES.valTop1, e.val?.top1Error);
    push(errors, CURVE_SERIES.valTop5, e.val?.top5Error);
  }

  const last = epochs.at(-1);
  const subtitle = [
    `${summary.epochs} epoch${summary.epochs === 1 ? '' : 's'} (${summary.validated} validated), ${summary.steps} logged step${summary.steps === 1 ? '' : 's'}`,
  ];
  if (last?.val) {
    subtitle.push(
      `after epoch ${last.epoch}: validation top-1 error ${(100 * last.val.top1Error).toFixed(2)}%, top-5 ${(100 * last.val.top5Error).toFixed(2)}%`,
    );
  }
  if (summary.note) subtitle.push(`Note: ${summary.note}.`);

  const xTitle = byEpoch ? 'epoch' : 'step';
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xTitle,
    scale: { zero: byEpoch },
    axis: { tickMinStep: 1 },
  } as const;
  const legend = { orient: 'bottom', direction: 'vertical', labelLimit: 0, symbolOpacity: 1 } as const;
  const lossDomain = [CURVE_SERIES.trainLoss, CURVE_SERIES.valLoss, CURVE_SERIES.stepLoss];
  const lossColor = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: lossDomain, range: ['#4c78a8', '#f58518', '#9ecae9'] },
    legend,
  } as const;

  const lossPanel: Record<string, unknown> = {
    title: 'Loss (cross-entropy)',
    width,
    height,
    layer: [
      ...(stepLoss.length > 0
        ? [
            {
              data: { values: stepLoss },
              mark: { type: 'line', strokeWidth: 1, opacity: byEpoch ? 0.45 : 0.9, interpolate: 'linear' },
              encoding: { x, y: { field: 'value', type: 'quantitative', title: 'loss' }, color: lossColor },
            },
          ]
        : []),
      ...(loss.length > 0
        ? [
            {
              data: { values: loss },
              mark: { type: 'line', point: true, strokeWidth: 2 },
              encoding: { x, y: { field: 'value', type: 'quantitative', title: 'loss' }, color: lossColor },
            },
          ]
        : []),
    ],
  };

  const errorPanel = {
    title: 'Top-1 / top-5 error',
    width,
    height,
    data: { values: errors },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x,
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'error',
        axis: { format: '.0%' },
        scale: { domain: [0, 1] },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: {
          domain: [
            CURVE_SERIES.trainTop1,
            CURVE_SERIES.trainTop5,
            CURVE_SERIES.valTop1,
            CURVE_SERIES.valTop5,
          ],
          range: ['#4c78a8', '#9ecae9', '#f58518', '#ffbf79'],
        },
        legend,
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        scale: {
          domain: [
            CURVE_SERIES.trainTop1,
            CURVE_SERIES.trainTop5,
            CURVE_SERIES.valTop1,
            CURVE_SERIES.valTop5,
          ],
          range: [
            [1, 0],
            [4, 3],
            [1, 0],
            [4, 3],
          ],
        },
      },
    },
  };

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title ?? 'Training curves', subtitle, anchor: 'start' },
    background: 'white',
    hconcat: byEpoch ? [lossPanel, errorPanel] : [lossPanel],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG string (headless; vega and vega-lite are loaded on first use). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** `trainingCurvesSpec` rendered to SVG. */
export async function trainingCurvesSvg(
  records: readonly MetricsRecord[],
  options: TrainingCurvesOptions = {},
): Promise<string> {
  return renderSvg(trainingCurvesSpec(records, options));
}
