/**
 * The reference backend's kernel throughput on AlexNet's real layer shapes.
 *
 * Every kernel a training step runs is timed on its own, layer by layer, at the layer's real shape:
 * conv (forward, backward-data, backward-filter, bias included), fc (the three gemms, plus bias add
 * and bias gradient), ReLU, LRN, max pooling, dropout, softmax / softmax-cross-entropy and the SGD
 * update. Each is run once to warm up, then `repeats` times; the median is reported. Images/s are
 * estimated from the sum of the medians (see `estimate` in the result).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BackendV1, type BufferHandle, type KernelName, ReferenceBackend } from '@alexnet/tensor';
import {
  alexnetLayers,
  convOutput,
  describeLayer,
  type Layer,
  type LayerKind,
  poolOutput,
} from '../alexnet.js';
import { renderSvg, throughputChartSpec } from '../chart.js';
import { flopsOfMacs, layerMacs, networkFlops } from '../flops.js';
import { type MachineFacts, machineFacts } from '../machine.js';
import { median, timeRuns, uniformFiller } from '../timing.js';
import { biasAttrs, convAttrs, elementwiseAttrs, gemmAttrs, lrnAttrs, poolAttrs, sgdAttrs } from './attrs.js';

export const BENCHMARK_NAME = 'reference-kernels';

export type Op = LayerKind | 'bias' | 'softmax' | 'sgd';
export type Pass =
  | 'forward'
  | 'backward-data'
  | 'backward-filter'
  | 'backward'
  | 'forward+backward'
  | 'update';

export interface KernelTiming {
  /** Layer name (conv1 … fc8, relu1, lrn1, pool1, drop6, loss). */
  layer: string;
  op: Op;
  pass: Pass;
  kernel: KernelName;
  /** Per-image shape of the layer. */
  shape: string;
  /** Multiply-adds of this call over the whole batch; null for kernels without MACs. */
  macs: number | null;
  /** 2 × macs; null for kernels without MACs. */
  flops: number | null;
  /** Elements of the kernel's main output over the whole batch (parameters for the SGD update). */
  elements: number;
  /** Part of an inference forward pass. */
  inInference: boolean;
  /** Part of a training step (forward, backward, update). */
  inTrainingStep: boolean;
  /** Wall-clock time of each timed run. */
  timesMs: number[];
  medianMs: number;
  /** CPU time (user + system) of each timed run; well below timesMs means the CPU was shared. */
  cpuTimesMs: number[];
  /** Achieved GFLOP/s (flops / median time); null for kernels without MACs. */
  gflops: number | null;
}

export interface PhaseEstimate {
  /** Sum of the median times of the kernels in this phase, for one batch. */
  msPerBatch: number;
  msPerImage: number;
  imagesPerSecond: number;
  /** FLOPs per image this phase computes (MACs × 2 of conv/fc only). */
  flopsPerImage: number;
  /** flopsPerImage × imagesPerSecond / 1e9. */
  gflops: number;
  /** Milliseconds per batch by op (conv, fc, relu, lrn, pool, dropout, bias, softmax, loss, sgd). */
  msByOp: Partial<Record<Op, number>>;
}

export interface ReferenceKernelsResult {
  /** 'reference-kernels', or '<kind>-kernels' for another backend */
  benchmark: string;
  schemaVersion: 1;
  mode: 'full' | 'smoke';
  backend: { kind: string; device: string; description: string };
  machine: MachineFacts;
  settings: { batch: number; warmup: number; repeats: number };
  network: {
    name: string;
    input: number;
    conv1Pad: number;
    widthDivisor: number;
    classes: number;
    forwardMacsPerImage: number;
    forwardFlopsPerImage: number;
    /** forward + backward-data + backward-filter of every conv/fc layer = 3 × forward. */
    trainingFlopsPerImage: number;
    /** What a training step computes: the above minus conv1's backward-data. */
    trainingStepFlopsPerImage: number;
    layers: { name: string; kind: 'conv' | 'fc'; macsPerImage: number; forwardFlopsPerImage: number }[];
  };
  results: KernelTiming[];
  estimate: {
    method: string;
    excluded: string[];
    inference: PhaseEstimate;
    trainingStep: PhaseEstimate;
  };
  /**
   * Whether the machine was quiet: the timed runs' wall time over their CPU time (≈ 1 when the
   * benchmark had a core to itself), and the load average before and after.
   */
  cpuSharing: {
    timedWallMs: number;
    timedCpuMs: number;
    wallOverCpu: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    warning: string | null;
  };
  totalWallSeconds: number;
}

export interface ReferenceKernelsOptions {
  /** Tiny setting for CI: AlexNet with every width divided by 8, one timed repeat. */
  smoke?: boolean;
  /** Images per kernel call (default 1). */
  batch?: number;
  /** Timed repeats per kernel (default 3, smoke 1). */
  repeats?: number;
  /** Where reference-kernels.json and reference-kernels.svg are written; no files when omitted. */
  outDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /**
   * The backend to time (default: a reference backend without buffer cache). Results are named
   * `<kind>-kernels` after its kind, so the reference run keeps writing reference-kernels.*.
   */
  backend?: () => BackendV1;
  /** Result file name (default: 'reference-kernels' or '<kind>-kernels'), e.g. 'gpu-kernels-webasm'. */
  name?: string;
}

export interface ReferenceKernelsRun {
  result: ReferenceKernelsResult;
  files: { json: string; svg: string } | null;
}

interface Case {
  layer: string;
  op: Op;
  pass: Pass;
  kernel: KernelName;
  macs: number | null;
  elements: number;
  inInference: boolean;
  inTrainingStep: boolean;
  run: () => void;
}

type Fill = (length: number, lo?: number, hi?: number) => Float32Array;

/** Allocates and fills one layer's buffers and returns the kernel calls to time, in dependency order. */
function layerCases(
  backend: BackendV1,
  layer: Layer,
  n: number,
  fill: Fill,
  isFirstMacLayer: boolean,
  owned: BufferHandle[],
): Case[] {
  const k = backend.kernels;
  const buf = (length: number, init: 'random' | 'zero' | Float32Array = 'random'): BufferHandle => {
    const b = backend.alloc(length);
    owned.push(b);
    backend.write(b, init === 'random' ? fill(length) : init === 'zero' ? new Float32Array(length) : init);
    return b;
  };
  const base = {
    layer: layer.name,
    op: layer.kind as Op,
    macs: null,
    inInference: true,
    inTrainingStep: true,
  };

  switch (layer.kind) {
    case 'conv': {
      const s = layer.shape;
      const a = convAttrs(n, s);
      const { outH, outW } = convOutput(s);
      const xLen = n * s.c * s.h * s.w;
      const yLen = n * s.outC * outH * outW;
      const wLen = s.outC * (s.c / s.groups) * s.kh * s.kw;
      const [x, w, bias, y, dy, dx, dw, db, v, vb] = [
        buf(xLen),
        buf(wLen, fill(wLen, -0.05, 0.05)),
        buf(s.outC),
        buf(yLen, 'zero'),
        buf(yLen),
        buf(xLen, 'zero'),
        buf(wLen, 'zero'),
        buf(s.outC, 'zero'),
        buf(wLen, 'zero'),
        buf(s.outC, 'zero'),
      ] as const;
      const macs = layerMacs(layer, n);
      return [
        {
          ...base,
          pass: 'forward',
          kernel: 'conv2dForward',
          macs,
          elements: yLen,
          run: () => k.conv2dForward({ x, w, bias, y }, a),
        },
        {
          ...base,
          pass: 'backward-data',
          kernel: 'conv2dBackwardData',
          macs,
          elements: xLen,
          inInference: false,
          // The first layer's input gradient (the image's) is never needed in training.
          inTrainingStep: !isFirstMacLayer,
          run: () => k.conv2dBackwardData({ dy, w, dx }, a),
        },
        {
          ...base,
          pass: 'backward-filter',
          kernel: 'conv2dBackwardFilter',
          macs,
          elements: wLen + s.outC,
          inInference: false,
          run: () => k.conv2dBackwardFilter({ x, dy, dw, dbias: db }, a),
        },
        sgdCase(layer.name, k, w, dw, v, wLen, bias, db, vb, s.outC),
      ];
    }
    case 'fc': {
      const { in: inF, out } = layer;
      const wLen = out * inF;
      const [x, w, bias, y, dy, dx, dw, db, v, vb] = [
        buf(n * inF),
        buf(wLen, fill(wLen, -0.01, 0.01)),
        buf(out),
        buf(n * out, 'zero'),
        buf(n * out),
        buf(n * inF, 'zero'),
        buf(wLen, 'zero'),
        buf(out, 'zero'),
        buf(wLen, 'zero'),
        buf(out, 'zero'),
      ] as const;
      const macs = layerMacs(layer, n);
      const forward = gemmAttrs(false, true, n, out, inF);
      const backwardData = gemmAttrs(false, false, n, inF, out);
      const backwardFilter = gemmAttrs(true, false, out, inF, n);
      const b = biasAttrs(n, out);
      return [
        {
          ...base,
          pass: 'forward',
          kernel: 'gemm',
          macs,
          elements: n * out,
          // y[n, out] = x[n, in] · W[out, in]ᵀ
          run: () => k.gemm({ a: x, b: w, c: y }, forward),
        },
        {
          ...base,
          op: 'bias',
          pass: 'forward',
          kernel: 'biasAdd',
          elements: n * out,
          run: () => k.biasAdd({ x: y, bias, y }, b),
        },
        {
          ...base,
          pass: 'backward-data',
          kernel: 'gemm',
          macs,
          elements: n * inF,
          inInference: false,
          inTrainingStep: !isFirstMacLayer,
          // dx[n, in] = dy[n, out] · W[out, in]
          run: () => k.gemm({ a: dy, b: w, c: dx }, backwardData),
        },
        {
          ...base,
          pass: 'backward-filter',
          kernel: 'gemm',
          macs,
          elements: wLen,
          inInference: false,
          // dW[out, in] = dy[n, out]ᵀ · x[n, in]
          run: () => k.gemm({ a: dy, b: x, c: dw }, backwardFilter),
        },
        {
          ...base,
          op: 'bias',
          pass: 'backward',
          kernel: 'biasGrad',
          elements: out,
          inInference: false,
          run: () => k.biasGrad({ dy, db }, b),
        },
        sgdCase(layer.name, k, w, dw, v, wLen, bias, db, vb, out),
      ];
    }
    case 'relu': {
      const length = n * layer.length;
      const a = elementwiseAttrs(length);
      const [x, y, dy, dx] = [buf(length), buf(length, 'zero'), buf(length), buf(length, 'zero')] as const;
      return [
        {
          ...base,
          pass: 'forward',
          kernel: 'relu',
          elements: length,
          run: () => k.relu({ x, y }, a),
        },
        {
          ...base,
          pass: 'backward',
          kernel: 'reluBackward',
          elements: length,
          inInference: false,
          run: () => k.reluBackward({ y, dy, dx }, a),
        },
      ];
    }
    case 'lrn': {
      const a = lrnAttrs(n, layer.shape);
      const length = n * a.c * a.h * a.w;
      const [x, y, scale, dy, dx] = [
        buf(length),
        buf(length, 'zero'),
        buf(length, 'zero'),
        buf(length),
        buf(length, 'zero'),
      ] as const;
      return [
        // The forward runs (warm-up included) before the backward, which reads its y and scale.
        {
          ...base,
          pass: 'forward',
          kernel: 'lrnForward',
          elements: length,
          run: () => k.lrnForward({ x, y, scale }, a),
        },
        {
          ...base,
          pass: 'backward',
          kernel: 'lrnBackward',
          elements: length,
          inInference: false,
          run: () => k.lrnBackward({ x, y, scale, dy, dx }, a),
        },
      ];
    }
    case 'pool': {
      const a = poolAttrs(n, layer.shape);
      const { outH, outW } = poolOutput(layer.shape);
      const xLen = n * a.c * a.h * a.w;
      const yLen = n * a.c * outH * outW;
      const [x, y, dy, dx] = [buf(xLen), buf(yLen, 'zero'), buf(yLen), buf(xLen, 'zero')] as const;
      return [
        {
          ...base,
          pass: 'forward',
          kernel: 'maxPoolForward',
          elements: yLen,
          run: () => k.maxPoolForward({ x, y }, a),
        },
        {
          ...base,
          pass: 'backward',
          kernel: 'maxPoolBackward',
          elements: xLen,
          inInference: false,
          run: () => k.maxPoolBackward({ x, dy, dx }, a),
        },
      ];
    }
    case 'dropout': {
      const length = n * layer.length;
      const forward = { length, p: layer.p, seed: 1, offset: 0 };
      const backward = elementwiseAttrs(length);
      const [x, y, mask, dy, dx] = [
        buf(length),
        buf(length, 'zero'),
        buf(length, 'zero'),
        buf(length),
        buf(length, 'zero'),
      ] as const;
      // Inverted dropout is the identity at inference time, so it only counts in training.
      return [
        {
          ...base,
          pass: 'forward',
          kernel: 'dropoutForward',
          elements: length,
          inInference: false,
          run: () => k.dropoutForward({ x, y, mask }, forward),
        },
        {
          ...base,
          pass: 'backward',
          kernel: 'dropoutBackward',
          elements: length,
          inInference: false,
          run: () => k.dropoutBackward({ dy, mask, dx }, backward),
        },
      ];
    }
    case 'loss': {
      const classes = layer.classes;
      const length = n * classes;
      const softmaxAttrs = { n, classes };
      const lossAttrs = { n, classes, gradScale: 1 / n };
      const labels = Float32Array.from({ length: n }, (_, i) => (i * 7919) % classes);
      const [x, y, lab, loss, dlogits] = [
        buf(length),
        buf(length, 'zero'),
        buf(n, labels),
        buf(n, 'zero'),
        buf(length, 'zero'),
      ] as const;
      return [
        {
          ...base,
          op: 'softmax',
          pass: 'forward',
          kernel: 'softmax',
          elements: length,
          inTrainingStep: false,
          run: () => k.softmax({ x, y }, softmaxAttrs),
        },
        {
          ...base,
          pass: 'forward+backward',
          kernel: 'softmaxCrossEntropy',
          elements: length,
          inInference: false,
          run: () => k.softmaxCrossEntropy({ logits: x, labels: lab, loss, dlogits }, lossAttrs),
        },
      ];
    }
  }
}

/** The SGD update of a layer's weights and biases (once per batch, whatever the batch size). */
function sgdCase(
  layer: string,
  k: BackendV1['kernels'],
  w: BufferHandle,
  dw: BufferHandle,
  v: BufferHandle,
  wLen: number,
  bias: BufferHandle,
  db: BufferHandle,
  vb: BufferHandle,
  bLen: number,
): Case {
  const wAttrs = sgdAttrs(wLen);
  const bAttrs = sgdAttrs(bLen);
  return {
    layer,
    op: 'sgd',
    pass: 'update',
    kernel: 'sgdUpdate',
    macs: null,
    elements: wLen + bLen,
    inInference: false,
    inTrainingStep: true,
    run: () => {
      k.sgdUpdate({ w, grad: dw, v }, wAttrs);
      k.sgdUpdate({ w: bias, grad: db, v: vb }, bAttrs);
    },
  };
}

function phase(
  timings: readonly KernelTiming[],
  pick: (t: KernelTiming) => boolean,
  batch: number,
  flopsPerImage: number,
): PhaseEstimate {
  const msByOp: Partial<Record<Op, number>> = {};
  let ms = 0;
  for (const t of timings) {
    if (!pick(t)) continue;
    ms += t.medianMs;
    msByOp[t.op] = (msByOp[t.op] ?? 0) + t.medianMs;
  }
  const imagesPerSecond = ms > 0 ? (batch * 1000) / ms : Number.POSITIVE_INFINITY;
  return {
    msPerBatch: ms,
    msPerImage: ms / batch,
    imagesPerSecond,
    flopsPerImage,
    gflops: (flopsPerImage * imagesPerSecond) / 1e9,
    msByOp,
  };
}

/** Above this wall/CPU ratio the timings are flagged: other processes took a noticeable share of the CPU. */
const SHARED_CPU_RATIO = 1.1;

function cpuSharing(
  timings: readonly KernelTiming[],
  loadAverageBefore: number[],
  loadAverageAfter: number[],
): ReferenceKernelsResult['cpuSharing'] {
  const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
  const timedWallMs = sum(timings.map((t) => sum(t.timesMs)));
  const timedCpuMs = sum(timings.map((t) => sum(t.cpuTimesMs)));
  const wallOverCpu = timedCpuMs > 0 ? timedWallMs / timedCpuMs : 1;
  const warning =
    wallOverCpu > SHARED_CPU_RATIO
      ? `the timed runs took ${wallOverCpu.toFixed(2)}× their CPU time: other processes were using the CPU ` +
        `(load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')} before), so these timings are pessimistic`
      : null;
  return { timedWallMs, timedCpuMs, wallOverCpu, loadAverageBefore, loadAverageAfter, warning };
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(4));

export async function runReferenceKernels(
  options: ReferenceKernelsOptions = {},
): Promise<ReferenceKernelsRun> {
  const started = performance.now();
  const smoke = options.smoke ?? false;
  const batch = options.batch ?? 1;
  const repeats = options.repeats ?? (smoke ? 1 : 3);
  const warmup = 1;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  }

  const net = { input: 224, conv1Pad: 2, widthDivisor: smoke ? 8 : 1, classes: 1000 };
  const layers = alexnetLayers(net);
  const flops = networkFlops(layers);
  const machine = machineFacts();
  const loadAverageBefore = os.loadavg();
  // No buffer cache: each layer's buffers are freed before the next layer allocates its own.
  const backend = options.backend?.() ?? new ReferenceBackend({ cacheBytes: 0 });
  const name = options.name ?? (backend.kind === 'ref' ? BENCHMARK_NAME : `${backend.kind}-kernels`);
  const fill = uniformFiller();
  const sync = () => backend.sync();

  log(
    `${name}: ${backend.capabilities.description}, batch ${batch}, ` +
      `warm-up ${warmup} + median of ${repeats}${smoke ? ' (smoke: widths ÷ 8)' : ''}`,
  );
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.nodeVersion}`);

  const results: KernelTiming[] = [];
  let firstMacLayer = true;
  try {
    for (const layer of layers) {
      const owned: BufferHandle[] = [];
      const isMac = layer.kind === 'conv' || layer.kind === 'fc';
      const cases = layerCases(backend, layer, batch, fill, isMac && firstMacLayer, owned);
      if (isMac) firstMacLayer = false;
      for (const c of cases) {
        const { wallMs: timesMs, cpuMs: cpuTimesMs } = await timeRuns(c.run, sync, warmup, repeats);
        const medianMs = median(timesMs);
        const flopCount = c.macs === null ? null : flopsOfMacs(c.macs);
        const gflops = flopCount === null ? null : flopCount / (medianMs * 1e6);
        const { run: _run, ...fields } = c;
        results.push({
          ...fields,
          shape: describeLayer(layer),
          flops: flopCount,
          timesMs,
          medianMs,
          cpuTimesMs,
          gflops,
        });
        log(
          `  ${c.layer.padEnd(6)} ${c.pass.padEnd(16)} ${c.kernel.padEnd(20)} ${fmtMs(medianMs).padStart(9)} ms` +
            ` (cpu ${fmtMs(median(cpuTimesMs)).padStart(9)} ms)` +
            (gflops === null ? '' : `  ${gflops.toFixed(3)} GFLOP/s`),
        );
      }
      for (const b of owned) backend.free(b);
    }
  } finally {
    backend.dispose();
  }

  const result: ReferenceKernelsResult = {
    benchmark: name,
    schemaVersion: 1,
    mode: smoke ? 'smoke' : 'full',
    backend: { kind: backend.kind, device: backend.device, description: backend.capabilities.description },
    machine,
    settings: { batch, warmup, repeats },
    network: {
      name: smoke ? 'AlexNet, widths ÷ 8 (smoke)' : 'AlexNet',
      ...net,
      forwardMacsPerImage: flops.forwardMacs,
      forwardFlopsPerImage: flops.forwardFlops,
      trainingFlopsPerImage: flops.trainingFlops,
      trainingStepFlopsPerImage: flops.trainingStepFlops,
      layers: flops.layers,
    },
    results,
    estimate: {
      method:
        'Estimate from kernel times: the sum of the median times of the kernels each phase runs, each timed ' +
        'alone on warm buffers at its real shape; not an end-to-end measurement.',
      excluded: [
        "conv1 backward-data (the input image's gradient, which training never needs; it is still timed)",
        'tower concat/split and host-device copies (the reference backend runs both towers as groups on one device)',
        'data loading, augmentation and framework overhead between kernels',
      ],
      inference: phase(results, (t) => t.inInference, batch, flops.forwardFlops),
      trainingStep: phase(results, (t) => t.inTrainingStep, batch, flops.trainingStepFlops),
    },
    cpuSharing: cpuSharing(results, loadAverageBefore, os.loadavg()),
    totalWallSeconds: 0,
  };
  if (result.cpuSharing.warning) log(`warning: ${result.cpuSharing.warning}`);
  result.totalWallSeconds = (performance.now() - started) / 1000;

  let files: ReferenceKernelsRun['files'] = null;
  if (options.outDir !== undefined) {
    await mkdir(options.outDir, { recursive: true });
    files = {
      json: path.join(options.outDir, `${name}${batch === 1 ? '' : `-batch${batch}`}.json`),
      svg: path.join(options.outDir, `${name}${batch === 1 ? '' : `-batch${batch}`}.svg`),
    };
    await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(files.svg, await renderSvg(throughputChartSpec(result)));
  }
  return { result, files };
}
