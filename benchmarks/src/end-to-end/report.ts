/** The end-to-end result: its JSON shape, markdown tables and a Vega-Lite chart. */
import type { TopLevelSpec } from 'vega-lite';
import type { CeilingOutput } from '../ceiling/probe.js';
import type { MachineFacts } from '../machine.js';
import type { PeerId, PeerMeasurement } from '../peers/measure.js';
import type { E2ePhase, Layout, NativeRecord } from './native.js';
import type { StepProfile } from './profile.js';

/** One peer measurement, each from its own worker process. */
export interface PeerRecord extends PeerMeasurement {
  description: string;
  versions: Record<string, string>;
  setupMs: Record<string, number>;
  /** Peak RSS of the worker that made this one measurement (0 when it died). */
  maxRssBytes: number;
  /** The worker was killed after this long (setup included). */
  capSeconds: number;
  quiet?: { waitedSeconds: number; othersCores: number };
}

export interface EndToEndResult {
  benchmark: 'end-to-end';
  schemaVersion: 1;
  mode: 'full' | 'smoke';
  machine: MachineFacts;
  network: {
    name: string;
    parameters: number;
    forwardFlopsPerImage: number;
    trainingFlopsPerImage: number;
    trainingStepFlopsPerImage: number;
    notes: string[];
  };
  /** The machine's ceiling, measured in this run (null: not run; error: it failed). */
  ceiling: (CeilingOutput & { error?: undefined }) | { error: string } | null;
  native: NativeRecord[];
  profiles: StepProfile[];
  peers: PeerRecord[];
  totalWallSeconds: number;
}

export const PEER_LABEL: Record<PeerId, string> = {
  'onnxruntime-node': 'onnxruntime-node',
  'tfjs-wasm': 'tfjs-backend-wasm',
  'tfjs-cpu': 'tfjs (pure-JS CPU)',
};

const LAYOUT_LABEL: Record<Layout, string> = {
  'one-device': '@alexnet/native, one device',
  'two-devices': '@alexnet/native, two devices',
};

export const num = (x: number): string =>
  x >= 1000
    ? x.toLocaleString('en-US', { maximumFractionDigits: 0 })
    : x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x.toPrecision(3);
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

function peakGflops(result: EndToEndResult): number | null {
  const c = result.ceiling;
  if (c === null || c.error !== undefined) return null;
  return Math.max(...c.peak.map((p) => p.gflops));
}

/** The theoretical tensor bytes of the network at (phase, batch), from the one-device native run. */
function theoryFor(result: EndToEndResult, phase: E2ePhase, batch: number): number | null {
  const r = result.native.find((x) => x.layout === 'one-device' && x.phase === phase && x.batch === batch);
  return r?.memory?.theoretical.total ?? null;
}

interface Row {
  impl: string;
  phase: E2ePhase;
  batch: number;
  status: string;
  imagesPerSecond: number | null;
  minIps: number | null;
  maxIps: number | null;
  gflops: number | null;
  runs: string;
  cpuOverWall: number | null;
  othersCores: number | null;
  maxRssBytes: number | null;
  theoryBytes: number | null;
}

function rows(result: EndToEndResult): Row[] {
  const out: Row[] = [];
  for (const r of result.native) {
    out.push({
      impl: LAYOUT_LABEL[r.layout],
      phase: r.phase,
      batch: r.batch,
      status: r.status === 'ok' ? '' : `failed: ${r.error}`,
      imagesPerSecond: r.imagesPerSecond,
      minIps: r.maxMs === null ? null : r.batch / (r.maxMs / 1000),
      maxIps: r.minMs === null ? null : r.batch / (r.minMs / 1000),
      gflops: r.gflops,
      runs: r.status === 'ok' ? `${r.warmupMs.length} + ${r.timesMs.length}` : '',
      cpuOverWall: r.cpuOverWall,
      othersCores: r.othersCores,
      maxRssBytes: r.memory?.maxRssBytes ?? null,
      theoryBytes: r.memory?.theoretical.total ?? null,
    });
  }
  for (const p of result.peers) {
    const ok = p.status === 'ok';
    out.push({
      impl: PEER_LABEL[p.peer],
      phase: p.phase,
      batch: p.batch,
      status: ok ? '' : p.status === 'failed' ? `failed: ${p.error}` : `skipped: ${p.note}`,
      imagesPerSecond: p.imagesPerSecond,
      minIps: ok ? p.batch / (Math.max(...p.timesMs) / 1000) : null,
      maxIps: ok ? p.batch / (Math.min(...p.timesMs) / 1000) : null,
      gflops: p.gflops,
      runs: ok ? `${p.warmupMs.length} + ${p.timesMs.length}` : '',
      cpuOverWall: p.cpuOverWall,
      othersCores: p.othersCores,
      maxRssBytes: p.maxRssBytes > 0 ? p.maxRssBytes : null,
      theoryBytes: theoryFor(result, p.phase, p.batch),
    });
  }
  return out;
}

/** The results table: images/s (median, range), GFLOP/s, share of the FMA peak, peak RSS vs theory. */
export function resultsTable(result: EndToEndResult): string {
  const peak = peakGflops(result);
  const lines = [
    '| implementation | phase | batch | images/s | range (slowest–fastest run) | GFLOP/s | % of FMA peak | warm-up + timed | CPU / wall | other load | peak RSS | tensors (theory) | RSS / theory | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const all = rows(result).sort(
    (a, b) => (a.phase === b.phase ? 0 : a.phase === 'inference' ? -1 : 1) || a.batch - b.batch,
  );
  for (const r of all) {
    lines.push(
      `| ${r.impl} | ${r.phase} | ${r.batch} | ${r.imagesPerSecond === null ? '—' : `**${num(r.imagesPerSecond)}**`} | ` +
        `${r.minIps === null ? '' : `${num(r.minIps)}–${num(r.maxIps!)}`} | ${r.gflops === null ? '—' : num(r.gflops)} | ` +
        `${r.gflops === null || peak === null ? '' : pct(r.gflops / peak)} | ${r.runs} | ` +
        `${r.cpuOverWall === null ? '' : r.cpuOverWall.toFixed(2)} | ${r.othersCores === null ? '' : r.othersCores.toFixed(2)} | ` +
        `${r.maxRssBytes === null ? '' : gib(r.maxRssBytes)} | ${r.theoryBytes === null ? '' : gib(r.theoryBytes)} | ` +
        `${r.maxRssBytes === null || r.theoryBytes === null ? '' : (r.maxRssBytes / r.theoryBytes).toFixed(2)} | ${r.status.replace(/\|/g, '\\|').slice(0, 160)} |`,
    );
  }
  return lines.join('\n');
}

/** native one-device ÷ each peer, per phase and batch (> 1: native is faster). */
export function ratioLines(result: EndToEndResult): string[] {
  const lines: string[] = [];
  for (const p of result.peers) {
    if (p.status !== 'ok') continue;
    for (const layout of ['one-device', 'two-devices'] as const) {
      const n = result.native.find((x) => x.layout === layout && x.phase === p.phase && x.batch === p.batch);
      if (n?.status !== 'ok') continue;
      const ratio = n.imagesPerSecond! / p.imagesPerSecond!;
      lines.push(
        `- ${p.phase} batch ${p.batch}: native ${layout} ${num(n.imagesPerSecond!)} vs ${PEER_LABEL[p.peer]} ` +
          `${num(p.imagesPerSecond!)} images/s → native is ${ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`}`,
      );
    }
  }
  return lines;
}

/** Memory: what the tensors need in theory, split up, beside the measured peak RSS (native only). */
export function memoryTable(result: EndToEndResult): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const lines = [
    '| layout | phase | batch | params | param grads | momentum | inputs | activations | activation grads | cross-device copies | theory total | baseline RSS | peak RSS | peak / theory | (peak − baseline) / theory |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of result.native) {
    const m = r.memory;
    if (!m) continue;
    const t = m.theoretical;
    lines.push(
      `| ${r.layout} | ${r.phase} | ${r.batch} | ${mib(t.params)} | ${mib(t.paramGrads)} | ${mib(t.momentum)} | ${mib(t.inputs)} | ` +
        `${mib(t.activations)} | ${mib(t.activationGrads)} | ${mib(t.replicas)} | **${mib(t.total)}** | ${mib(m.baselineRssBytes)} | ` +
        `**${mib(m.maxRssBytes)}** | ${m.ratio.toFixed(2)} | ${m.ratioAboveBaseline.toFixed(2)} |`,
    );
  }
  return `All in MiB.\n\n${lines.join('\n')}`;
}

/** One table per profiled step: per layer forward / backward / SGD time, share and GFLOP/s. */
export function profileTable(p: StepProfile, minShare = 0.002): string {
  const ms = (x: number) => (x === 0 ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = [
    `${p.layout}, training step at batch ${p.batch}: mean of ${p.steps} profiled steps, ${num(p.stepMs)} ms per step (median ${num(p.stepMsMedian)}).`,
    '',
    '| layer | forward ms | backward ms | SGD ms | total ms | % of step | fwd GFLOP/s | bwd GFLOP/s | kernels (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of p.rows) {
    if (r.share < minShare) continue;
    const kernels = Object.entries(r.kernels)
      .filter(([, v]) => v >= 0.05 * r.totalMs && v >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
    lines.push(
      `| ${r.node} | ${ms(r.forwardMs)} | ${ms(r.backwardMs)} | ${ms(r.sgdMs)} | ${ms(r.totalMs)} | ${(100 * r.share).toFixed(1)} | ` +
        `${r.forwardGflops === null ? '' : num(r.forwardGflops)} | ${r.backwardGflops === null ? '' : num(r.backwardGflops)} | ${kernels} |`,
    );
  }
  const small = p.rows.filter((r) => r.share < minShare);
  const smallMs = small.reduce((s, r) => s + r.totalMs, 0);
  if (small.length > 0)
    lines.push(
      `| ${small.length} other layers | | | | ${ms(smallMs)} | ${((100 * smallMs) / p.stepMs).toFixed(1)} | | | |`,
    );
  lines.push(
    `| zero the gradients | | | | ${ms(p.zeroGradsMs)} | ${((100 * p.zeroGradsMs) / p.stepMs).toFixed(1)} | | | |`,
  );
  lines.push(
    `| outside layers (Net bookkeeping, cross-device copies, loss read-back) | | | | ${ms(p.outsideMs)} | ${((100 * p.outsideMs) / p.stepMs).toFixed(1)} | | | |`,
  );
  lines.push('', 'By kernel (all layers together):', '');
  lines.push('| kernel | pass | ms per step | % of step |', '| --- | --- | ---: | ---: |');
  for (const k of p.byKernel.slice(0, 12)) {
    lines.push(`| ${k.kernel} | ${k.pass} | ${ms(k.ms)} | ${(100 * k.share).toFixed(1)} |`);
  }
  return lines.join('\n');
}

export function ceilingLines(result: EndToEndResult): string[] {
  const c = result.ceiling;
  if (c === null) return ['Ceiling: not measured in this run.'];
  if (c.error !== undefined) return [`Ceiling: failed (${c.error}).`];
  const maxThreads = Math.max(...c.peak.map((p) => p.threads));
  const at = c.gemm.filter((g) => g.threads === maxThreads);
  const range = (xs: number[]) => (xs.length ? `${num(Math.min(...xs))}–${num(Math.max(...xs))}` : '—');
  const blas = at.map((g) => g.openblasGflops).filter((x): x is number => x !== null);
  // results written before the probe paired its runs have no pairedRatio
  const paired = at.map((g) => g.pairedRatio ?? null).filter((x): x is number => x !== null);
  return [
    `Ceiling, measured in this run: FMA peak ${c.peak.map((p) => `${num(p.gflops)} GFLOP/s with ${p.threads} thread${p.threads > 1 ? 's' : ''}`).join(', ')} ` +
      `(${c.simd}); SGEMM on AlexNet's shapes with ${maxThreads} threads: OpenBLAS ${c.openblas ? range(blas) : 'not installed'}, ` +
      `@alexnet/native's ax_sgemm (${c.nativeSimdPath}) ${range(at.map((g) => g.nativeGflops))} GFLOP/s` +
      (paired.length
        ? `; native ÷ OpenBLAS, the two taking turns: ${range(paired.map((r) => 100 * r))}%.`
        : '.'),
  ];
}

export function endToEndMarkdown(result: EndToEndResult): string {
  const m = result.machine;
  const devices = result.native.find((r) => r.layout === 'two-devices')?.devices ?? [];
  return [
    `${result.network.name} (${result.network.parameters.toLocaleString('en-US')} parameters); ` +
      `${(result.network.forwardFlopsPerImage / 1e9).toFixed(3)} GFLOP forward / ${(result.network.trainingFlopsPerImage / 1e9).toFixed(3)} GFLOP training per image; ` +
      `${m.cpuModel} (${m.cores} cores), ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.nodeVersion}, ${m.platform} ${m.arch}, ${m.date}` +
      `${m.gitCommit ? `, commit ${m.gitCommit.slice(0, 10)}${m.gitDirty ? ' (dirty)' : ''}` : ''}; ${result.mode} run, ${result.totalWallSeconds.toFixed(0)} s.`,
    '',
    ...ceilingLines(result),
    '',
    `Devices: ${devices.map((d) => `${d.description}`).join('; ') || '—'}.`,
    '',
    resultsTable(result),
    '',
    ...ratioLines(result),
    '',
    memoryTable(result),
    ...result.profiles.flatMap((p) => ['', profileTable(p)]),
  ].join('\n');
}

/** Grouped bars per batch, one colour per implementation, inference and training side by side (log scale). */
export function endToEndChartSpec(result: EndToEndResult): TopLevelSpec {
  const data = [
    ...result.native
      .filter((r) => r.status === 'ok')
      .map((r) => ({
        impl: LAYOUT_LABEL[r.layout],
        phase: r.phase,
        batch: r.batch,
        ips: r.imagesPerSecond!,
        gflops: r.gflops!,
      })),
    ...result.peers
      .filter((p) => p.status === 'ok')
      .map((p) => ({
        impl: PEER_LABEL[p.peer],
        phase: p.phase,
        batch: p.batch,
        ips: p.imagesPerSecond!,
        gflops: p.gflops!,
      })),
  ].map((d) => ({ ...d, ips: Number(d.ips.toPrecision(4)), label: num(d.ips) }));
  const impls = [...LAYOUTS_ORDER, ...Object.values(PEER_LABEL)];
  const lo = Math.min(...data.map((d) => d.ips), 1);
  const hi = Math.max(...data.map((d) => d.ips), 1);
  const domain = [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi * 2))];
  const m = result.machine;
  const failed = result.peers
    .filter((p) => p.status === 'failed')
    .map((p) => `${PEER_LABEL[p.peer]} ${p.phase} batch ${p.batch} failed: ${p.error}`.slice(0, 110));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `AlexNet end to end, images/s: @alexnet/native vs peers (${result.mode === 'smoke' ? 'smoke run' : 'one run, one machine'})`,
      subtitle: [
        `${m.cpuModel} (${m.cores} cores) · Node ${m.nodeVersion} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
        `median of the timed runs; training = forward + backward + SGD step; log scale`,
        ...failed,
      ],
      anchor: 'start',
    },
    background: 'white',
    data: { values: data },
    facet: { column: { field: 'phase', type: 'nominal', sort: ['inference', 'training'], title: null } },
    spec: {
      width: 360,
      height: 300,
      encoding: {
        x: { field: 'batch', type: 'ordinal', title: 'batch', axis: { labelAngle: 0 } },
        xOffset: { field: 'impl', type: 'nominal', sort: impls },
        y: {
          field: 'ips',
          type: 'quantitative',
          title: 'images/s (log scale)',
          scale: { type: 'log', domain },
        },
      },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            y2: { datum: domain[0] },
            color: {
              field: 'impl',
              type: 'nominal',
              sort: impls,
              title: null,
              scale: { domain: impls, range: ['#4c78a8', '#9ecae9', '#f58518', '#54a24b', '#e45756'] },
              legend: { orient: 'top', direction: 'horizontal', columns: 3 },
            },
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 8, color: '#333' },
          encoding: { text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  };
}

const LAYOUTS_ORDER = [LAYOUT_LABEL['one-device'], LAYOUT_LABEL['two-devices']];
