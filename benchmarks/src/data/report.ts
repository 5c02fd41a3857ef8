/** Markdown tables and the SVG chart of a data-pipeline result. */
import type { TopLevelSpec } from 'vega-lite';
import type { DataPipelineResult, PrepVariant } from './data-pipeline.js';
import type { Summary } from './measure.js';

const PREP_LABELS: Record<PrepVariant, string> = {
  prepare: 'prepareImageFolder',
  decodeImage: 'decodeImage alone',
  sharp: 'sharp alone',
};

const f = (x: number, digits = 1): string => x.toFixed(digits);
const range = (s: Summary, digits = 1): string =>
  s.runs > 1 ? `${f(s.min, digits)}–${f(s.max, digits)}` : '(1 run)';

export function dataMarkdown(r: DataPipelineResult): string {
  const m = r.machine;
  const s = r.settings;
  const p = r.preparation;
  const lines = [
    `Data pipeline (${r.mode}): ${s.images} images — ${r.dataset.source}; ${s.repeats} repetition(s), ` +
      `the order rotating every repetition. ${m.cpuModel} (${m.cores} cores), Node ${m.nodeVersion}, ` +
      `sharp ${r.sharp.version} / libvips ${r.sharp.vips} (sharp.concurrency ${r.sharp.concurrency}, ` +
      `libuv threads ${s.uvThreadPoolSize}, ${s.decodesInFlight} decodes in flight), ${m.date}` +
      `${m.gitCommit ? `, commit ${m.gitCommit.slice(0, 10)}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
    '| preparation (→ 256×256 RGB) | images/s (median) | min–max | CPU ms / image | CPU / wall | other load (cores) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const v of ['prepare', 'decodeImage', 'sharp'] as const) {
    const x = p.summary[v];
    const runs = p.runs.filter((q) => q.variant === v);
    const cpuOverWall = runs.reduce((a, q) => a + q.cpuOverWall, 0) / runs.length;
    lines.push(
      `| ${PREP_LABELS[v]} | **${f(x.imagesPerSecond.median)}** | ${range(x.imagesPerSecond)} | ` +
        `${f(x.cpuMsPerImage.median, 2)} | ${f(cpuOverWall, 2)} | ${f(x.othersCores.median, 2)} |`,
    );
  }
  const ratio = (name: string, x: Summary): string =>
    `${name} **${f(x.median, 3)}**${x.runs > 1 ? ` (per repetition ${f(x.min, 3)}–${f(x.max, 3)})` : ''}`;
  lines.push(
    '',
    `Ratios of images/s within each repetition: ${ratio('prepare ÷ sharp alone', p.prepareOverSharp)}; ` +
      `${ratio('prepare ÷ decodeImage', p.prepareOverDecodeImage)}; ` +
      `${ratio('decodeImage ÷ sharp alone', p.decodeImageOverSharp)}; in images per CPU-second ` +
      `${ratio('prepare ÷ sharp alone', p.prepareOverSharpByCpu)}. ` +
      `prepare's writing alone (sha256, write, fdatasync + marker every 256 records, no decoding): ` +
      `${f(p.writeOnly.msPerImage.median, 2)} ms per image, ${f(100 * p.writeOnly.shareOfPrepare.median, 0)}% ` +
      `of prepare's wall time (median). ` +
      `Target (prepare within 10% of sharp alone, ratio ≥ ${p.target.ratio}): ` +
      `**${p.target.met ? 'met' : 'not met'}**.`,
    '',
    `| loader (batch ${s.batchSize}, crop ${s.crop}) | workers | batches/s | images/s (median) | min–max | ` +
      `CPU ms / image | × training rate | loader cores at training rate |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const l of r.loader.summary) {
    const cores =
      l.coresAtTrainingRate === null
        ? '—'
        : `${f(l.coresAtTrainingRate, 4)} (${f(100 * l.shareOfMachineAtTrainingRate!, 2)}% of ${m.availableParallelism})`;
    lines.push(
      `| ${l.mode === 'train' ? "'train' (crop, flip, lighting, − mean image)" : "'center' (− mean image)"} | ` +
        `${l.workers} | ${f(l.batchesPerSecond.median, 2)} | **${f(l.imagesPerSecond.median, 0)}** | ` +
        `${range(l.imagesPerSecond, 0)} | ${f(l.cpuMsPerImage.median, 2)} | ` +
        `${l.timesTrainingRate === null ? '—' : `${f(l.timesTrainingRate, 0)}×`} | ${cores} |`,
    );
  }
  lines.push(
    '',
    `Training rate: ${f(r.training.imagesPerSecond, 2)} images/s — ${r.training.what}, from ${r.training.source}` +
      `${r.training.date ? ` (run of ${r.training.date.slice(0, 10)})` : ''}. ` +
      `Loader cache: ${r.loader.records} records; computeStats ${f(r.loader.statsSeconds, 1)} s. ` +
      `Whole run ${f(r.totalWallSeconds, 0)} s; load average ${r.loadAverage.before.map((x) => f(x, 1)).join(' / ')} ` +
      `at the start, ${r.loadAverage.after.map((x) => f(x, 1)).join(' / ')} at the end.`,
  );
  return lines.join('\n');
}

/** Two panels: preparation images/s (three variants), loader images/s (log) with the training rate. */
export function dataChartSpec(r: DataPipelineResult): TopLevelSpec {
  const m = r.machine;
  const prep = (['prepare', 'decodeImage', 'sharp'] as const).map((v) => {
    const x = r.preparation.summary[v].imagesPerSecond;
    return { what: PREP_LABELS[v], median: +f(x.median), min: x.min, max: x.max };
  });
  const loader = r.loader.summary.map((l) => ({
    what: `${l.mode}, ${l.workers} worker${l.workers === 1 ? '' : 's'}`,
    mode: l.mode,
    median: +f(l.imagesPerSecond.median, 0),
    min: l.imagesPerSecond.min,
    max: l.imagesPerSecond.max,
  }));
  // On the log scale a bar needs an explicit base (1 image/s) instead of 0.
  const bars = (color: string, logBase = false) => [
    {
      mark: { type: 'bar' as const, color },
      ...(logBase ? { encoding: { x2: { datum: 1 } } } : {}),
    },
    {
      mark: { type: 'rule' as const, color: '#333' },
      encoding: { x: { field: 'min', type: 'quantitative' as const }, x2: { field: 'max' } },
    },
    {
      mark: { type: 'text' as const, align: 'left' as const, dx: 4, fontSize: 10, color: '#333' },
      encoding: {
        text: { field: 'median', type: 'quantitative' as const },
        x: { field: 'max', type: 'quantitative' as const },
      },
    },
  ];
  const ratio = r.preparation.prepareOverSharp.median;
  const logTop =
    10 ** Math.ceil(Math.log10(Math.max(10, r.training.imagesPerSecond, ...loader.map((l) => l.max)) * 1.2));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Data pipeline: preparation vs sharp alone, and the loader (${r.settings.images} images, ${r.mode})`,
      subtitle: [
        `${r.dataset.generated ? 'generated JPEGs' : 'real photos'} · ${r.settings.repeats} alternating repetitions · bars = median, lines = min–max`,
        `${m.cpuModel} (${m.cores} cores) · Node ${m.nodeVersion} · sharp ${r.sharp.version} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
      ],
      anchor: 'start',
    },
    background: 'white',
    vconcat: [
      {
        title: {
          text: `Preparation → 256×256 records, images/s (prepare ÷ sharp alone = ${f(ratio, 2)}; target ≥ 0.90)`,
          fontSize: 12,
        },
        width: 560,
        height: 90,
        data: { values: prep },
        encoding: {
          y: { field: 'what', type: 'nominal', sort: null, title: null },
          x: { field: 'median', type: 'quantitative', title: 'images/s' },
        },
        layer: bars('#4c78a8'),
      },
      {
        title: {
          text: `Loader, batch ${r.settings.batchSize}, 224 crops: images/s (log); red = training consumes ${f(r.training.imagesPerSecond, 2)} images/s`,
          fontSize: 12,
        },
        width: 560,
        height: 150,
        data: { values: loader },
        encoding: {
          y: { field: 'what', type: 'nominal', sort: null, title: null },
          x: {
            field: 'median',
            type: 'quantitative',
            title: 'images/s (log scale)',
            scale: { type: 'log', domain: [1, logTop] },
          },
        },
        layer: [
          ...bars('#54a24b', true),
          {
            data: { values: [{ rate: r.training.imagesPerSecond }] },
            mark: { type: 'rule', color: '#e45756', strokeWidth: 2 },
            encoding: { x: { field: 'rate', type: 'quantitative' }, y: { value: 0 }, y2: { value: 150 } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}
