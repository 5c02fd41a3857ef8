import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sgd } from '@alexnet/layers';
import type { Device } from '@alexnet/tensor';
import { selectDevices } from 'alexnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bestRate,
  epochsToThreshold,
  type RunResult,
  runList,
  runName,
  runState,
  spread,
} from './bookkeeping.js';
import { ACTIVATIONS, CIFAR_NET_MULTIPLY_ADDS, CIFAR_NET_PARAMETERS, createCifarNet } from './cifar-net.js';
import { memoryData } from './memory-data.js';
import { chosenRates, type ReluTanhSettings, runOne, SMOKE_SETTINGS, summarise } from './relu-vs-tanh.js';

let device: Device;
let tmp: string;
beforeAll(async () => {
  const { devices } = await selectDevices('auto');
  device = Array.isArray(devices) ? devices[0]! : (devices as Device);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ablation-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the CIFAR-10 net', () => {
  it.each(ACTIVATIONS)('%s: shapes, parameter count, multiply-adds', (activation) => {
    const net = createCifarNet(device, { activation, seed: 0 });
    try {
      expect(net.parameterCount).toBe(CIFAR_NET_PARAMETERS);
      expect(net.multiplyAdds).toBe(CIFAR_NET_MULTIPLY_ADDS);
      const shapes = Object.fromEntries(net.summary().map((r) => [r.name, r.outputShapes[0]]));
      expect(shapes).toMatchObject({
        conv1: [32, 32, 32],
        act1: [32, 32, 32],
        pool1: [32, 15, 15],
        conv2: [32, 15, 15],
        pool2: [32, 7, 7],
        conv3: [64, 7, 7],
        pool3: [64, 3, 3],
        fc: [10],
      });
      expect(net.summary().find((r) => r.name === 'act2')!.type).toBe(activation);
    } catch (err) {
      net.dispose();
      throw err;
    }
    net.dispose();
  });

  it("'he' init draws the same normals scaled by √2 (N(0, 2/fan-in) instead of N(0, 1/fan-in))", async () => {
    const lecun = createCifarNet(device, { activation: 'relu', seed: 5 });
    const he = createCifarNet(device, { activation: 'relu', seed: 5, init: 'he' });
    try {
      const a = await lecun.params()[0]!.value.toArray();
      const b = await he.params()[0]!.value.toArray();
      expect(a.length).toBe(2400);
      for (let i = 0; i < a.length; i += 97) expect(b[i]).toBeCloseTo(a[i]! * Math.SQRT2, 6);
      const std = Math.sqrt(b.reduce((s, v) => s + v * v, 0) / b.length);
      expect(std).toBeGreaterThan(0.9 * Math.sqrt(2 / 75));
      expect(std).toBeLessThan(1.1 * Math.sqrt(2 / 75));
    } finally {
      lecun.dispose();
      he.dispose();
    }
  });

  it('both activations start from the same weights at one seed', async () => {
    const [a, b] = ACTIVATIONS.map((activation) => createCifarNet(device, { activation, seed: 3 }));
    for (let i = 0; i < a!.params().length; i++)
      expect(await a!.params()[i]!.value.toArray()).toEqual(await b!.params()[i]!.value.toArray());
    a!.dispose();
    b!.dispose();
  });

  it.each(ACTIVATIONS)('%s trains a few steps with a finite, falling loss', async (activation) => {
    const net = createCifarNet(device, { activation, seed: 1 });
    const sgd = new Sgd(net.params(), { lr: 0.01, weightDecay: 0 });
    const data = Float32Array.from({ length: 16 * 3072 }, (_, i) => Math.sin(i * 0.37));
    const labels = Float32Array.from({ length: 16 }, (_, i) => i % 10);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      net.zeroGrads();
      await net.forward({ data, labels }, { training: true });
      losses.push(await net.loss());
      await net.backward();
      sgd.step();
    }
    sgd.dispose();
    net.dispose();
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });
});

describe('bookkeeping', () => {
  it('interpolates the epochs to the threshold', () => {
    const curve = [
      { epoch: 0, error: 0.9 },
      { epoch: 1, error: 0.5 },
      { epoch: 2, error: 0.3 },
      { epoch: 3, error: 0.2 },
    ];
    expect(epochsToThreshold(curve, 0.25)).toBeCloseTo(2.5, 12);
    expect(epochsToThreshold(curve, 0.3)).toBe(2);
    expect(epochsToThreshold(curve, 0.95)).toBe(0);
    expect(epochsToThreshold(curve, 0.1)).toBeNull();
    // a rise after the crossing does not matter: the first crossing counts
    expect(
      epochsToThreshold([...curve.slice(0, 3), { epoch: 3, error: 0.1 }, { epoch: 4, error: 0.4 }], 0.2),
    ).toBeCloseTo(2.5, 12);
  });

  const result = (
    lr: number,
    epochs: number | null,
    last = 0.3,
    status: RunResult['status'] = 'completed',
  ): RunResult => ({
    format: 'alexnet/ablation-run',
    activation: 'relu',
    lr,
    seed: 0,
    status,
    curve: [
      { epoch: 0, error: 0.9 },
      { epoch: 5, error: last },
    ],
    runningCurve: [],
    loss: [],
    epochSeconds: [],
    epochsToThreshold: epochs,
    threshold: 0.25,
  });

  it('chooses the rate that reaches the threshold first, then the lowest final error, diverged last', () => {
    expect(bestRate([result(0.003, null), result(0.01, 4), result(0.03, 2.5)])!.lr).toBe(0.03);
    expect(
      bestRate([result(0.003, null, 0.4), result(0.01, null, 0.35), result(0.03, null, 0.5, 'diverged')])!.lr,
    ).toBe(0.01);
    expect(bestRate([result(0.03, 3), result(0.01, 3)])!.lr).toBe(0.01);
    expect(bestRate([])).toBeNull();
    expect(spread([2, 4])).toEqual({ n: 2, mean: 3, min: 2, max: 4, std: Math.SQRT2 });
  });

  it('lists the sweep first and the seed runs once a sweep has finished; finished runs are skipped', () => {
    const rates = [0.01, 0.03];
    expect(runList(ACTIVATIONS, rates, 3, {}).map(runName)).toEqual([
      'relu-lr0.01-s0',
      'relu-lr0.03-s0',
      'tanh-lr0.01-s0',
      'tanh-lr0.03-s0',
    ]);
    expect(runList(ACTIVATIONS, rates, 3, { tanh: 0.03 }).slice(4).map(runName)).toEqual([
      'tanh-lr0.03-s1',
      'tanh-lr0.03-s2',
    ]);
    const settings: ReluTanhSettings = { ...SMOKE_SETTINGS, rates, seeds: 2 };
    const finished = new Map<string, RunResult>([
      ['relu-lr0.01-s0', result(0.01, 4)],
      ['relu-lr0.03-s0', result(0.03, 2)],
    ]);
    expect(chosenRates(settings, finished)).toEqual({ relu: 0.03 });
    const summary = summarise(settings, finished, {} as never);
    expect(summary.complete).toBe(false);
    expect(summary.pending).toEqual(['tanh-lr0.01-s0', 'tanh-lr0.03-s0', 'relu-lr0.03-s1']);
    expect(summary.runs.map((r) => r.lr)).toEqual([0.01, 0.03]);
  });

  it('sweeps per-activation rates when ratesFor is given', () => {
    const settings: ReluTanhSettings = {
      ...SMOKE_SETTINGS,
      rates: [0.01],
      seeds: 2,
      ratesFor: { relu: [0.003], tanh: [0.01, 0.02] },
    };
    const finished = new Map<string, RunResult>([
      ['relu-lr0.003-s0', result(0.003, 5)],
      ['tanh-lr0.01-s0', result(0.01, 3)],
      ['tanh-lr0.02-s0', result(0.02, 2)],
    ]);
    expect(chosenRates(settings, finished)).toEqual({ relu: 0.003, tanh: 0.02 });
    const summary = summarise(settings, finished, {} as never);
    expect(summary.pending).toEqual(['relu-lr0.003-s1', 'tanh-lr0.02-s1']);
  });

  it('tells a finished, a resumable and a new run folder apart', () => {
    const dir = path.join(tmp, 'states');
    expect(runState(path.join(dir, 'a'))).toBe('new');
    mkdirSync(path.join(dir, 'b', 'checkpoints'), { recursive: true });
    writeFileSync(path.join(dir, 'b', 'checkpoints', 'latest'), 'step-00000004');
    expect(runState(path.join(dir, 'b'))).toBe('resume');
    writeFileSync(path.join(dir, 'b', 'result.json'), '{}');
    expect(runState(path.join(dir, 'b'))).toBe('finished');
  });

  it('an interrupted run resumes to the same result as one that never stopped', async () => {
    const settings: ReluTanhSettings = { ...SMOKE_SETTINGS, epochs: 2, batch: 16, rates: [0.01] };
    const key = { activation: 'tanh' as const, lr: 0.01, seed: 0 };
    const log = () => {};
    const data = memoryData();
    const straight = await runOne(key, {
      device,
      data,
      settings,
      runsDir: path.join(tmp, 'straight'),
      signal: new AbortController().signal,
      log,
    });
    expect(straight!.status).toBe('completed');
    expect(straight!.curve).toHaveLength(3);

    const runsDir = path.join(tmp, 'interrupted');
    const controller = new AbortController();
    let steps = 0;
    // abort after the first epoch's measurement: the trainer saves and returns 'interrupted'
    const first = await runOne(key, {
      device,
      data: {
        ...data,
        train: {
          ...data.train,
          size: data.train.size,
          inputShape: data.train.inputShape,
          batches: (req) => {
            const inner = data.train.batches(req);
            return (async function* () {
              for await (const b of inner) {
                if (++steps === 6) controller.abort();
                yield b;
              }
            })();
          },
        },
      },
      settings,
      runsDir,
      signal: controller.signal,
      log,
    });
    expect(first).toBeNull();
    expect(runState(path.join(runsDir, runName(key)))).toBe('resume');
    const resumed = await runOne(key, {
      device,
      data,
      settings,
      runsDir,
      signal: new AbortController().signal,
      log,
    });
    expect(resumed!.curve).toEqual(straight!.curve);
    expect(resumed!.loss).toEqual(straight!.loss);
    expect(runState(path.join(runsDir, runName(key)))).toBe('finished');
    // a finished run is read back, not trained again
    const again = await runOne(key, {
      device,
      data,
      settings,
      runsDir,
      signal: new AbortController().signal,
      log,
    });
    expect(again!.curve).toEqual(straight!.curve);
  });
});
