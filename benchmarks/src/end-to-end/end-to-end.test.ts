import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Net, type NodeSummary, Sgd } from '@alexnet/layers';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import { alexnetSummary } from 'alexnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli, runEndToEnd } from './end-to-end.js';
import { theoreticalBytes } from './memory.js';
import { foldProfile, StepProfiler } from './profile.js';
import { type EndToEndResult, endToEndMarkdown } from './report.js';
import { nativeTasks, peerTasks, profileTasks } from './tasks.js';

// Benchmarks measure; tests never assert wall-clock times. These check the accounting (bytes, profile
// attribution) exactly on small nets, and the shape of a smoke run's output.

const MiB = 2 ** 20;

function tinyNet(d0: Device, d1: Device): Net {
  return new Net({
    device: d0,
    inputs: { data: [1, 6, 6], labels: [] },
    nodes: [
      { name: 'conv1', layer: { type: 'conv2d', outChannels: 4, kernel: 3, pad: 1 }, inputs: ['data'] },
      { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
      { name: 'fc_1', layer: { type: 'linear', outFeatures: 3 }, inputs: ['relu1'], device: d1 },
      { name: 'fc', layer: { type: 'linear', outFeatures: 3 }, inputs: ['relu1'] },
      { name: 'join', layer: { type: 'concat' }, inputs: ['fc', 'fc_1'] },
      { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['join', 'labels'] },
    ],
  });
}

describe('theoretical bytes', () => {
  it('counts params, gradients, momentum, inputs, activations and cross-device copies exactly', () => {
    const summary: NodeSummary[] = tinyNet(
      new Device(new ReferenceBackend({ index: 0 })),
      new Device(new ReferenceBackend({ index: 1 })),
    ).summary();
    const n = 5;
    const params = (4 * 9 + 4 + 2 * (144 * 3 + 3)) * 4;
    const inputs = (36 + 1) * n * 4;
    // conv1 144, relu1 144, fc_1 3, fc 3, join 6, loss: loss 1 + probs 6
    const activations = (144 + 144 + 3 + 3 + 6 + 1 + 6) * n * 4;
    const grads = (144 + 144 + 3 + 3 + 6) * n * 4;
    // relu1 is read on ref:1 by fc_1, fc_1 is read on ref:0 by join: data + gradient copies when training
    const replicas = (144 + 3) * n * 4;
    const shapes = { data: [1, 6, 6], labels: [] };
    const inf = theoreticalBytes(summary, shapes, n, 'inference');
    expect(inf).toMatchObject({
      params,
      paramGrads: 0,
      momentum: 0,
      inputs,
      activations,
      activationGrads: 0,
      replicas,
    });
    expect(inf.total).toBe(params + inputs + activations + replicas);
    const tr = theoreticalBytes(summary, shapes, n, 'training');
    expect(tr).toMatchObject({
      params,
      paramGrads: params,
      momentum: params,
      activationGrads: grads,
      replicas: 2 * replicas,
    });
    expect(tr.total).toBe(3 * params + inputs + activations + grads + 2 * replicas);
  });

  it("gives AlexNet's 61 M parameters as 233 MiB", () => {
    const layers: NodeSummary[] = alexnetSummary().layers.map((l) => ({
      name: l.name,
      type: l.kind === 'loss' ? 'softmaxCrossEntropy' : l.kind,
      device: 'native:0',
      inputs: [],
      outputShapes: [l.shape],
      description: l.description,
      params: l.params,
      multiplyAdds: l.multiplyAdds,
    }));
    const t = theoreticalBytes(layers, { data: [3, 224, 224], labels: [] }, 1, 'training');
    expect(t.params).toBe(60_965_224 * 4);
    expect(t.params / MiB).toBeCloseTo(232.6, 1);
  });
});

describe('step profiler', () => {
  it('attributes every kernel call to its node and pass, and SGD updates to their parameters', async () => {
    const d0 = new Device(new ReferenceBackend({ index: 0 }));
    const d1 = new Device(new ReferenceBackend({ index: 1 }));
    const net = tinyNet(d0, d1);
    const sgd = new Sgd(net.params(), { lr: 0.01 });
    const profiler = new StepProfiler();
    profiler.install(net, sgd);
    const batch = { data: new Float32Array(2 * 36).fill(0.5), labels: new Float32Array([0, 2]) };
    const times: number[] = [];
    for (let step = 0; step < 2; step++) {
      const t0 = performance.now();
      profiler.timeZeroGrads(() => net.zeroGrads());
      await net.forward(batch, { training: true });
      await net.backward();
      sgd.step();
      await net.loss();
      times.push(performance.now() - t0);
    }
    const entries = profiler.take();
    const calls = (node: string, pass: string, kernel: string) =>
      entries.find((e) => e.node === node && e.pass === pass && e.kernel === kernel)?.calls ?? 0;
    expect(calls('conv1', 'forward', '(layer)')).toBe(2);
    expect(calls('conv1', 'forward', 'conv2dForward')).toBe(2);
    expect(calls('conv1', 'backward', 'conv2dBackwardFilter')).toBe(2);
    // conv1 reads the input, whose gradient nobody needs
    expect(calls('conv1', 'backward', 'conv2dBackwardData')).toBe(0);
    expect(calls('fc_1', 'forward', 'gemm')).toBeGreaterThan(0);
    // weight + bias of each weight layer, once per step
    for (const node of ['conv1', 'fc', 'fc_1']) expect(calls(node, 'sgd', 'sgdUpdate')).toBe(4);
    expect(calls('(all params)', 'zeroGrads', '(fill)')).toBe(2);

    const p = foldProfile(entries, {
      layout: 'tiny',
      batch: 2,
      steps: 2,
      stepTimesMs: times,
      order: net.order,
      macs: (node) => (node === 'conv1' ? 144 * 9 : null),
      backwardDataSkipped: (node) => node === 'conv1',
    });
    expect(p.rows.map((r) => r.node)).toEqual([...net.order]);
    const conv1 = p.rows.find((r) => r.node === 'conv1')!;
    expect(conv1.forwardMs).toBeGreaterThan(0);
    expect(conv1.forwardGflops).toBeGreaterThan(0);
    expect(Object.keys(conv1.kernels)).toContain('conv2dBackwardFilter (backward)');
    expect(p.rows.reduce((s, r) => s + r.totalMs, 0) + p.outsideMs + p.zeroGradsMs).toBeCloseTo(p.stepMs, 6);
    sgd.dispose();
    net.dispose();
  });
});

describe('end-to-end benchmark, smoke mode (in process, without the ceiling)', () => {
  let dir: string;
  let result: EndToEndResult;
  let files: { json: string; svg: string };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-test-'));
    ({ result, files } = await runEndToEnd({ smoke: true, outDir: dir, skip: ['ceiling'], inProcess: true }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes JSON and an SVG chart', () => {
    expect(existsSync(files.json) && existsSync(files.svg)).toBe(true);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).benchmark).toBe('end-to-end');
    expect(readFileSync(files.svg, 'utf8')).toMatch(/^<svg/);
  });

  it("measures native on one and on two devices, inference and training, with the project's FLOP counts", () => {
    expect(result.mode).toBe('smoke');
    expect(result.ceiling).toBeNull();
    expect(result.native.map((r) => `${r.layout} ${r.phase} ${r.batch}`)).toEqual([
      'one-device inference 1',
      'one-device training 2',
      'two-devices inference 1',
      'two-devices training 2',
    ]);
    const totals = alexnetSummary().totals;
    for (const r of result.native) {
      expect(r.status, r.error ?? '').toBe('ok');
      expect(r.imagesPerSecond).toBeGreaterThan(0);
      expect(r.flopsPerImage).toBe(r.phase === 'inference' ? totals.forwardFlops : totals.trainingFlops);
      expect(r.outputCheck?.allFinite).toBe(true);
      expect(r.devices).toHaveLength(r.layout === 'one-device' ? 1 : 2);
      expect(r.memory!.theoretical.params).toBe(totals.params * 4);
      expect(r.memory!.maxRssBytes).toBeGreaterThan(0);
    }
    const two = result.native.find((r) => r.layout === 'two-devices' && r.phase === 'training')!;
    expect(two.memory!.theoretical.replicas).toBeGreaterThan(0);
  });

  it('profiles a training step layer by layer', () => {
    expect(result.profiles).toHaveLength(1);
    const p = result.profiles[0]!;
    const names = p.rows.map((r) => r.node);
    for (const l of ['conv1', 'conv5', 'fc6', 'fc8', 'loss']) expect(names).toContain(l);
    expect(p.rows.find((r) => r.node === 'fc6')!.sgdMs).toBeGreaterThan(0);
    expect(p.byKernel[0]!.ms).toBeGreaterThan(0);
  });

  it('runs the peers in the same run (batch-1 inference; pure-JS tfjs skipped)', () => {
    expect(result.peers.map((p) => `${p.peer} ${p.status}`)).toEqual([
      'onnxruntime-node ok',
      'tfjs-wasm ok',
      'tfjs-cpu skipped',
    ]);
  });

  it('renders the markdown tables', () => {
    const md = endToEndMarkdown(result);
    expect(md).toContain('| @alexnet/native, one device | inference | 1 |');
    expect(md).toContain('| onnxruntime-node | inference | 1 |');
    expect(md).toContain('training step at batch 2');
  });
});

describe('end-to-end plans and command line', () => {
  it('measures batch 1, 32 and 128 in both layouts in the full run, and caps every peer', () => {
    const full = nativeTasks(false);
    expect(full).toHaveLength(12);
    expect(new Set(full.map((t) => t.batch))).toEqual(new Set([1, 32, 128]));
    expect(profileTasks(false).map((t) => `${t.layout} ${t.batch}`)).toEqual([
      'one-device 32',
      'one-device 128',
    ]);
    for (const t of peerTasks(false)) expect(t.capMs).toBeGreaterThan(0);
    expect(
      peerTasks(false)
        .filter((t) => t.peer === 'tfjs-cpu')
        .map((t) => t.batch),
    ).toEqual([1, 1]);
    for (const t of nativeTasks(true)) expect(t.batch).toBeLessThanOrEqual(2);
  });

  it('parses the options', () => {
    expect(parseCli(['--smoke', '--skip', 'peers,ceiling'])).toMatchObject({
      smoke: true,
      skip: ['peers', 'ceiling'],
    });
    expect(() => parseCli(['--skip', 'nope'])).toThrow(/unknown part/);
  });
});
