/**
 * node dist/peers/peers.js [--smoke] [--out DIR] [--peers LIST]
 *
 * AlexNet (224×224×3, DESIGN.md §3) on the peers a JS user would pick instead of this project, in one
 * run on one machine: onnxruntime-node (inference, batch 1/32/128), @tensorflow/tfjs-backend-wasm
 * (inference, batch 1/32/128; a training attempt) and @tensorflow/tfjs's pure-JS CPU backend (inference
 * at batch 1, training at batch 2). Each peer runs in its own worker process, one after the other, so
 * that a crash, an out-of-bounds wasm heap or a thread pool of one cannot disturb the others; failures
 * are recorded, not thrown. Writes DIR/peers.json and DIR/peers.svg (default DIR: the package's
 * results/, or results/smoke/ with --smoke).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSvg } from '../chart.js';
import { machineFacts } from '../machine.js';
import { runIfMain } from '../run-main.js';
import { errorMessage, loadAverage, PEER_IDS, type PeerId, type PeerRun } from './measure.js';
import { type PeersResult, peersChartSpec, peersMarkdown } from './report.js';
import { ALEXNET_PARAMETERS, FORWARD_FLOPS_PER_IMAGE, TRAINING_FLOPS_PER_IMAGE } from './spec.js';

const USAGE = `usage: node dist/peers/peers.js [--smoke] [--out DIR] [--peers LIST]

  --smoke       batch-1 inference once per peer (no training, no batch 32/128); for CI
  --out DIR     output folder (default results/, or results/smoke/ with --smoke)
  --peers LIST  comma-separated subset of ${PEER_IDS.join(',')} (default: all)`;

/** This file: dist/peers/peers.js (the worker processes run it too). */
const thisFile = fileURLToPath(import.meta.url);
const packageRoot = path.resolve(path.dirname(thisFile), '..', '..');

export interface PeersCli {
  smoke: boolean;
  outDir: string;
  peers: PeerId[];
  help: boolean;
  /** Internal: run one peer and write its PeerRun JSON to `workerOut`. */
  worker: PeerId | null;
  workerOut: string | null;
}

function parsePeers(value: string | undefined): PeerId[] {
  if (value === undefined) return [...PEER_IDS];
  const list = value.split(',').map((s) => s.trim());
  for (const p of list)
    if (!(PEER_IDS as readonly string[]).includes(p))
      throw new Error(`unknown peer '${p}' (expected ${PEER_IDS.join(', ')})`);
  return list as PeerId[];
}

export function parseCli(argv: readonly string[]): PeersCli {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      peers: { type: 'string' },
      worker: { type: 'string' },
      'worker-out': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const smoke = values.smoke ?? false;
  const worker = values.worker === undefined ? null : parsePeers(values.worker)[0]!;
  return {
    smoke,
    outDir: path.resolve(values.out ?? path.join(packageRoot, 'results', ...(smoke ? ['smoke'] : []))),
    peers: parsePeers(values.peers),
    help: values.help ?? false,
    worker,
    workerOut: values['worker-out'] ?? null,
  };
}

/** Runs one peer in this process. */
export async function runPeer(peer: PeerId, smoke: boolean, log: (line: string) => void): Promise<PeerRun> {
  if (peer === 'onnxruntime-node') {
    const { runOnnxruntimePeer } = await import('./run-onnxruntime.js');
    return runOnnxruntimePeer({ smoke, log });
  }
  const { runTfjsPeer } = await import('./run-tfjs.js');
  return runTfjsPeer(peer, { smoke, log });
}

/** Runs one peer in a child process (this file with --worker); a crash becomes `error`. */
async function runPeerInWorker(peer: PeerId, smoke: boolean, timeoutMs: number): Promise<PeerRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alexnet-peers-'));
  const out = path.join(dir, `${peer}.json`);
  const started = performance.now();
  const loadAverageBefore = loadAverage();
  const args = [thisFile, '--worker', peer, '--worker-out', out, ...(smoke ? ['--smoke'] : [])];
  let stderrTail = '';
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>(
    (resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stderr.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        stderrTail = (stderrTail + chunk.toString()).slice(-2000);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, timedOut });
      });
      child.on('error', () => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, timedOut });
      });
    },
  );
  try {
    if (exit.code === 0) return JSON.parse(await readFile(out, 'utf8')) as PeerRun;
    const why = exit.timedOut
      ? `timed out after ${timeoutMs / 1000} s`
      : `worker exited with ${exit.signal ?? `code ${exit.code}`}`;
    return {
      peer,
      description: peer,
      versions: {},
      setupMs: {},
      parameters: 0,
      settings: {},
      results: [],
      maxRssBytes: 0,
      loadAverageBefore,
      wallSeconds: (performance.now() - started) / 1000,
      error: `${why}${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RunPeersOptions {
  smoke: boolean;
  outDir: string;
  peers?: readonly PeerId[];
  /** Run the peers in this process instead of one worker process each (tests: no dist/ needed). */
  inProcess?: boolean;
  log?: (line: string) => void;
}

export async function runPeers(
  options: RunPeersOptions,
): Promise<{ result: PeersResult; files: { json: string; svg: string } }> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const machine = machineFacts(packageRoot);
  const runs: PeerRun[] = [];
  for (const peer of options.peers ?? PEER_IDS) {
    log(`— ${peer}`);
    const run = options.inProcess
      ? await runPeer(peer, options.smoke, log)
      : await runPeerInWorker(peer, options.smoke, (options.smoke ? 3 : 20) * 60_000);
    if (run.error) log(`${peer}: ${run.error}`);
    runs.push(run);
  }
  const result: PeersResult = {
    benchmark: 'peers',
    schemaVersion: 1,
    mode: options.smoke ? 'smoke' : 'full',
    machine,
    network: {
      name: 'AlexNet 224×224×3 (conv1 11×11/4 pad 2, two towers as groups)',
      parameters: ALEXNET_PARAMETERS,
      forwardFlopsPerImage: FORWARD_FLOPS_PER_IMAGE,
      trainingFlopsPerImage: TRAINING_FLOPS_PER_IMAGE,
      notes: [
        'Random weights; random uniform [0, 1) inputs. GFLOP/s = images/s × FLOPs per image (2 × multiply-adds of the conv and fc layers; training = 3 × forward).',
        'tfjs (NHWC): grouped convs as channel slices + two conv2d + concatenate; LRN via tf.localResponseNormalization(depthRadius 2, bias 2, alpha 1e-4, beta 0.75).',
        'ONNX (NCHW, opset 13): Conv group = 2; LRN size 5, alpha 5e-4 (ONNX divides alpha by size), beta 0.75, bias 2; Gemm transB = 1; no Dropout node at inference.',
        'LRN runs across all channels of a layer (the Caffe/ONNX AlexNet), not within each tower; the arithmetic is the same.',
        'tfjs training: SGD momentum 0.9, learning rate 0.01, categorical cross-entropy, dropout 0.5; no weight decay.',
      ],
    },
    peers: runs.map(({ results: _results, ...rest }) => rest),
    results: runs.flatMap((r) => r.results),
    totalWallSeconds: (performance.now() - started) / 1000,
  };
  await mkdir(options.outDir, { recursive: true });
  const files = {
    json: path.join(options.outDir, 'peers.json'),
    svg: path.join(options.outDir, 'peers.svg'),
  };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.svg, await renderSvg(peersChartSpec(result)));
  return { result, files };
}

async function worker(cli: PeersCli): Promise<void> {
  const run = await runPeer(cli.worker!, cli.smoke, (line) => console.log(line));
  await writeFile(cli.workerOut!, JSON.stringify(run));
}

async function main(): Promise<void> {
  let cli: PeersCli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${errorMessage(err)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  if (cli.worker !== null) {
    if (cli.workerOut === null) throw new Error('--worker needs --worker-out');
    await worker(cli);
    return;
  }
  const { result, files } = await runPeers({
    smoke: cli.smoke,
    outDir: cli.outDir,
    peers: cli.peers,
    log: (line) => console.log(line),
  });
  console.log(`\n${peersMarkdown(result)}\n`);
  console.log(`wrote ${files.json}\n      ${files.svg}\n(${result.totalWallSeconds.toFixed(1)} s)`);
}

runIfMain(import.meta.url, main);
