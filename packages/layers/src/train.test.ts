/**
 * End to end: a tiny two-tower net on two reference devices learns a separable toy problem with the
 * paper's optimiser, and a run resumed from a checkpoint (weights, momentum, training state)
 * reproduces the uninterrupted run's losses exactly.
 */
import type { Device } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { topKError } from './metrics.js';
import { Net } from './net/net.js';
import { initParams, PAPER_BIAS_ONE_LAYERS } from './optim/init.js';
import { PlateauSchedule } from './optim/schedules.js';
import { Sgd } from './optim/sgd.js';
import { loadTrainingState, trainingState } from './state.js';
import { f32Device, SEED } from './test-helpers.js';

const CLASSES = 4;
const SIZE = 8;

/** Images 1×8×8: class c is a bright quadrant c on uniform noise. */
function toyBatch(n: number, seed: number): { data: Float32Array; labels: Float32Array } {
  const rnd = new TestData(seed);
  const labels = rnd.labels(n, CLASSES);
  const data = rnd.uniform(n * SIZE * SIZE, -0.5, 0.5);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const [r0, c0] = [Math.floor(c / 2) * 4, (c % 2) * 4];
    for (let r = r0; r < r0 + 4; r++) for (let k = c0; k < c0 + 4; k++) data[i * 64 + r * SIZE + k]! += 1;
  }
  return { data, labels };
}

function toyNet(d0: Device, d1: Device, seed: number): Net {
  const towers = [d0, d1];
  return new Net({
    device: d0,
    seed,
    inputs: { data: [1, SIZE, SIZE], labels: [] },
    nodes: [
      { name: 'conv1', layer: { type: 'conv2d', outChannels: 8, kernel: 3, pad: 1 }, inputs: ['data'] },
      { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
      { name: 'pool1', layer: { type: 'maxPool', size: 3, stride: 2, pad: 1 }, inputs: ['relu1'] },
      { name: 'towers', layer: { type: 'split', parts: 2 }, inputs: ['pool1'] },
      ...[0, 1].flatMap((t) => [
        {
          name: `conv2_${t}`,
          layer: { type: 'conv2d', outChannels: 4, kernel: 3, pad: 1 } as const,
          inputs: [`towers:${t}`],
          device: towers[t],
        },
        { name: `relu2_${t}`, layer: { type: 'relu' } as const, inputs: [`conv2_${t}`], device: towers[t] },
      ]),
      { name: 'join', layer: { type: 'concat' }, inputs: ['relu2_0', 'relu2_1'] },
      { name: 'drop', layer: { type: 'dropout', p: 0.5 }, inputs: ['join'] },
      { name: 'fc', layer: { type: 'linear', outFeatures: CLASSES }, inputs: ['drop'] },
      { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
    ],
  });
}

function setup(seed: number) {
  const net = toyNet(f32Device(0), f32Device(1), seed);
  // the paper's init scheme; std 0.1 instead of 0.01 because this net is 3 layers deep, not 8
  initParams(net.params(), { rng: seed, weightStd: 0.1, biasOne: PAPER_BIAS_ONE_LAYERS });
  const sgd = new Sgd(net.params(), { schedule: new PlateauSchedule({ base: 0.05, patience: 1 }) });
  return { net, sgd };
}

async function trainStep(net: Net, sgd: Sgd, step: number): Promise<number> {
  net.zeroGrads();
  await net.forward(toyBatch(16, SEED + 1000 + step), { training: true });
  await net.backward();
  const loss = await net.loss();
  sgd.step();
  return loss;
}

describe('training a tiny two-tower net', () => {
  it('lowers the loss and the validation error on a separable toy problem', async () => {
    const { net, sgd } = setup(5);
    const validation = toyBatch(64, SEED + 999);
    const errors: number[] = [];
    const losses: number[] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      sgd.epoch = epoch;
      for (let s = 0; s < 15; s++) losses.push(await trainStep(net, sgd, epoch * 15 + s));
      await net.forward(validation); // inference: dropout off
      const [top1] = topKError(await net.read('loss:probs'), validation.labels, CLASSES, [1]);
      errors.push(top1!);
      sgd.observe(top1!);
    }
    const first = losses.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
    const last = losses.slice(-10).reduce((s, v) => s + v, 0) / 10;
    expect(first).toBeGreaterThan(1.2); // about ln 4 at the start
    expect(last, `losses ${losses.map((l) => l.toFixed(2)).join(' ')} (seed ${SEED})`).toBeLessThan(
      0.5 * first,
    );
    expect(errors.at(-1)!, `validation errors ${errors.join(' ')}`).toBeLessThan(0.2);
    net.dispose();
    sgd.dispose();
  });

  it('resumes from a checkpoint with exactly the same losses (weights, momentum, schedule, dropout stream)', async () => {
    const a = setup(8);
    const lossesA: number[] = [];
    for (let s = 0; s < 3; s++) lossesA.push(await trainStep(a.net, a.sgd, s));
    a.sgd.observe(0.5);
    // checkpoint
    const weights = Object.fromEntries(
      await Promise.all(a.net.params().map(async (p) => [p.name, await p.value.toArray()] as const)),
    );
    const momentum = await a.sgd.readMomentum();
    const state = JSON.parse(JSON.stringify(trainingState(a.net, a.sgd)));
    expect(state.rng.offset).toBeGreaterThan(0);
    for (let s = 3; s < 6; s++) lossesA.push(await trainStep(a.net, a.sgd, s));

    const b = setup(123); // a different init, overwritten by the checkpoint
    for (const p of b.net.params()) p.value.device.backend.write(p.value.buffer, weights[p.name]!);
    b.sgd.loadMomentum(momentum);
    loadTrainingState(b.net, b.sgd, state);
    const lossesB: number[] = [];
    for (let s = 3; s < 6; s++) lossesB.push(await trainStep(b.net, b.sgd, s));
    expect(lossesB).toEqual(lossesA.slice(3));
    expect(b.sgd.state()).toEqual(a.sgd.state());
    expect(() => loadTrainingState(b.net, b.sgd, { ...state, version: 2 })).toThrow(/unsupported version 2/);
    expect(() => loadTrainingState(b.net, b.sgd, { ...state, format: 'x' })).toThrow(/not a training state/);
    for (const r of [a, b]) {
      r.net.dispose();
      r.sgd.dispose();
    }
  });
});
