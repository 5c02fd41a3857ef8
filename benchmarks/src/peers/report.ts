/** The peers result: its JSON shape, a markdown table and a Vega-Lite bar chart. */
import type { TopLevelSpec } from 'vega-lite';
import type { MachineFacts } from '../machine.js';
import type { PeerId, PeerMeasurement, PeerRun } from './measure.js';

export interface PeersResult {
  benchmark: 'peers';
  schemaVersion: 1;
  mode: 'full' | 'smoke';
  machine: MachineFacts;
  network: {
    name: string;
    parameters: number;
    forwardFlopsPerImage: number;
    trainingFlopsPerImage: number;
    notes: string[];
  };
  /** One per peer, each measured in its own worker process, one after the other. */
  peers: Omit<PeerRun, 'results'>[];
  /** Every measurement of every peer, in run order. */
  results: PeerMeasurement[];
  totalWallSeconds: number;
}

const PEER_LABEL: Record<PeerId, string> = {
  'onnxruntime-node': 'onnxruntime-node',
  'tfjs-wasm': 'tfjs-backend-wasm',
  'tfjs-cpu': 'tfjs (pure-JS CPU)',
};

const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));

function runs(r: PeerMeasurement): string {
  return r.status === 'ok' ? `${r.warmupMs.length} + ${r.timesMs.length}` : '';
}

/** One row per measurement: images/s and GFLOP/s, or why there is none. */
export function peersTable(result: PeersResult): string {
  const version = (peer: PeerId): string => {
    const p = result.peers.find((x) => x.peer === peer);
    const key =
      peer === 'onnxruntime-node'
        ? 'onnxruntime-node'
        : peer === 'tfjs-wasm'
          ? '@tensorflow/tfjs-backend-wasm'
          : '@tensorflow/tfjs';
    return p?.versions[key] ?? '?';
  };
  const lines = [
    '| peer | version | phase | batch | images/s | GFLOP/s | median ms / batch | warm-up + timed | CPU / wall | other load ¹ | note |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of result.results) {
    const note = r.status === 'ok' ? '' : r.status === 'failed' ? `failed: ${r.error}` : `skipped: ${r.note}`;
    lines.push(
      `| ${PEER_LABEL[r.peer]} | ${version(r.peer)} | ${r.phase} | ${r.batch} | ` +
        `${r.imagesPerSecond === null ? '—' : num(r.imagesPerSecond)} | ${r.gflops === null ? '—' : num(r.gflops)} | ` +
        `${r.medianMs === null ? '—' : num(r.medianMs)} | ${runs(r)} | ${r.cpuOverWall === null ? '' : r.cpuOverWall.toFixed(2)} | ${r.othersCores === null ? '' : r.othersCores.toFixed(2)} | ${note.replace(/\|/g, '\\|')} |`,
    );
  }
  return lines.join('\n');
}

/** Other processes that took ≥ 0.2 cores while a peer was timed make its numbers too low. */
export function contentionWarning(result: PeersResult): string[] {
  const busy = result.results.filter((r) => (r.othersCores ?? 0) >= 0.2);
  if (busy.length === 0) return [];
  return [
    '',
    `**Warning:** other processes used ≥ 0.2 cores during ${busy
      .map((r) => `${PEER_LABEL[r.peer]} ${r.phase} batch ${r.batch} (${r.othersCores!.toFixed(2)})`)
      .join(', ')}; those numbers understate the peer.`,
  ];
}

export function peersMarkdown(result: PeersResult): string {
  const m = result.machine;
  const peerLines = result.peers.map(
    (p) =>
      `- ${p.description}: setup ${Object.entries(p.setupMs)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(
          ', ',
        )}; peak RSS ${(p.maxRssBytes / 2 ** 30).toFixed(2)} GiB; ${p.wallSeconds.toFixed(0)} s in all; ` +
      `load average before ${p.loadAverageBefore.join(', ')}${p.error ? `; **worker failed: ${p.error}**` : ''}`,
  );
  return [
    `${result.network.name} (${result.network.parameters.toLocaleString('en-US')} parameters), ` +
      `${(result.network.forwardFlopsPerImage / 1e9).toFixed(3)} GFLOP forward / ${(result.network.trainingFlopsPerImage / 1e9).toFixed(3)} GFLOP training per image; ` +
      `${m.cpuModel} (${m.cores} cores), Node ${m.nodeVersion}, ${m.platform} ${m.arch}, ${m.date}` +
      `${m.gitCommit ? `, commit ${m.gitCommit.slice(0, 10)}${m.gitDirty ? ' (dirty)' : ''}` : ''}; ` +
      `${result.mode} run, ${result.totalWallSeconds.toFixed(0)} s.`,
    '',
    peersTable(result),
    '',
    "¹ cores kept busy by other processes during the timed runs (all cores' busy time from `os.cpus()` minus " +
      "the peer's own CPU time, over wall time); ≈ 0 on a quiet machine; blank when the timed runs took under 1 s.",
    ...contentionWarning(result),
    '',
    ...peerLines,
  ].join('\n');
}

/** Horizontal bars, log scale: images/s of every successful measurement, coloured by peer. */
export function peersChartSpec(result: PeersResult): TopLevelSpec {
  const rows = result.results
    .filter((r) => r.status === 'ok')
    .map((r) => ({
      label: `${PEER_LABEL[r.peer]} · ${r.phase} · batch ${r.batch}`,
      peer: PEER_LABEL[r.peer],
      imagesPerSecond: Number(r.imagesPerSecond!.toPrecision(4)),
      text: `${num(r.imagesPerSecond!)} images/s · ${num(r.gflops!)} GFLOP/s`,
    }));
  const failed = result.results
    .filter((r) => r.status === 'failed')
    .map((r) => `${PEER_LABEL[r.peer]} ${r.phase} batch ${r.batch} failed: ${r.error}`.slice(0, 110));
  const lo = Math.min(...rows.map((r) => r.imagesPerSecond), 1);
  const hi = Math.max(...rows.map((r) => r.imagesPerSecond), 1);
  // A log scale has no zero: bars start at the left end of the domain.
  const domain = [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi * 3))];
  const m = result.machine;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `AlexNet on the peers a JS user has (${result.mode === 'smoke' ? 'smoke run' : 'one run, one machine'})`,
      subtitle: [
        `${m.cpuModel} (${m.cores} cores) · Node ${m.nodeVersion} · ${m.date.slice(0, 10)}${m.gitCommit ? ` · ${m.gitCommit.slice(0, 7)}` : ''}`,
        `224×224×3, ${(result.network.forwardFlopsPerImage / 1e9).toFixed(3)} GFLOP forward, ${(result.network.trainingFlopsPerImage / 1e9).toFixed(3)} GFLOP training per image`,
        ...failed,
      ],
      anchor: 'start',
    },
    width: 520,
    height: { step: 26 },
    background: 'white',
    data: { values: rows },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 1000 } },
      x: {
        field: 'imagesPerSecond',
        type: 'quantitative',
        title: 'images/s (log scale)',
        scale: { type: 'log', domain },
      },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x2: { datum: domain[0] },
          color: {
            field: 'peer',
            type: 'nominal',
            title: null,
            scale: { range: ['#4c78a8', '#f58518', '#54a24b'] },
            legend: { orient: 'top', direction: 'horizontal' },
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' },
        encoding: { text: { field: 'text', type: 'nominal' } },
      },
    ],
  };
}
