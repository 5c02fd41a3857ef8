import { ArgumentError } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { Linear } from '../layers/linear.js';
import { f64Device, random64, readF64, SEED, write } from '../test-helpers.js';
import { ConstantSchedule, PlateauSchedule, StepSchedule } from './schedules.js';
import { Sgd } from './sgd.js';

describe('Sgd', () => {
  const dev = f64Device();

  it("follows the paper's rule v ← 0.9·v − 0.0005·ε·w − ε·∂L/∂w ; w ← w + v for two steps (by hand)", () => {
    const layer = new Linear(dev, [3], { name: 'fc', outFeatures: 2, biasLrMult: 2 });
    const [w, b] = layer.params() as [
      NonNullable<ReturnType<Linear['params']>[0]>,
      NonNullable<ReturnType<Linear['params']>[0]>,
    ];
    const data = new TestData(SEED + 200);
    const w0 = random64(data, 6);
    const b0 = random64(data, 2);
    write(w.value, w0);
    write(b.value, b0);
    // ε = 0.01 for step 0, then ÷10 (a step schedule counting iterations)
    const sgd = new Sgd(layer.params(), {
      schedule: new StepSchedule({ base: 0.01, every: 1, unit: 'iteration' }),
    });
    expect([sgd.momentum, sgd.weightDecay, sgd.learningRate]).toEqual([0.9, 0.0005, 0.01]);
    const grads = [0, 1].map(() => [random64(data, 6), random64(data, 2)] as const);

    // by hand: weights decay (decayMult 1, lrMult 1); the bias does not decay (decayMult 0) and has lrMult 2
    const wv = new Float64Array(6);
    const bv = new Float64Array(2);
    const wh = Float64Array.from(w0);
    const bh = Float64Array.from(b0);
    for (const [k, [gw, gb]] of grads.entries()) {
      const eps = 0.01 * 0.1 ** k;
      for (let i = 0; i < 6; i++) {
        wv[i] = 0.9 * wv[i]! - 0.0005 * eps * wh[i]! - eps * gw[i]!;
        wh[i] = wh[i]! + wv[i]!;
      }
      for (let i = 0; i < 2; i++) {
        bv[i] = 0.9 * bv[i]! - 0 * (2 * eps) * bh[i]! - 2 * eps * gb[i]!;
        bh[i] = bh[i]! + bv[i]!;
      }
      write(w.grad, gw);
      write(b.grad, gb);
      sgd.step();
      expect(sgd.iteration).toBe(k + 1);
      const gotW = readF64(w.value);
      const gotB = readF64(b.value);
      for (let i = 0; i < 6; i++)
        expect(Math.abs(gotW[i]! - wh[i]!)).toBeLessThan(1e-15 * Math.max(1, Math.abs(wh[i]!)));
      for (let i = 0; i < 2; i++)
        expect(Math.abs(gotB[i]! - bh[i]!)).toBeLessThan(1e-15 * Math.max(1, Math.abs(bh[i]!)));
    }
    const [vw, vb] = sgd.momentumBuffers();
    expect(vw!.name).toBe('fc.weight');
    readF64(vw!.value).forEach((v, i) => {
      expect(v).toBeCloseTo(wv[i]!, 15);
    });
    readF64(vb!.value).forEach((v, i) => {
      expect(v).toBeCloseTo(bv[i]!, 15);
    });
  });

  it('saves and restores momentum and state, so a resumed optimiser continues identically', async () => {
    const make = () => {
      const layer = new Linear(dev, [4], { name: 'fc', outFeatures: 3 });
      return {
        layer,
        sgd: new Sgd(layer.params(), { schedule: new PlateauSchedule({ base: 0.1, patience: 1 }) }),
      };
    };
    const data = new TestData(SEED + 201);
    const init = [random64(data, 12), random64(data, 3)];
    const grads = [0, 1, 2, 3].map(() => [random64(data, 12), random64(data, 3)]);
    const stepWith = (m: ReturnType<typeof make>, g: Float64Array[]) => {
      m.layer.params().forEach((p, i) => {
        write(p.grad, g[i]!);
      });
      m.sgd.step();
    };
    const a = make();
    a.layer.params().forEach((p, i) => {
      write(p.value, init[i]!);
    });
    stepWith(a, grads[0]!);
    stepWith(a, grads[1]!);
    a.sgd.epoch = 1;
    a.sgd.observe(0.5);
    a.sgd.observe(0.6); // a plateau: the rate drops to 0.01
    expect(a.sgd.learningRate).toBeCloseTo(0.01, 15);
    // checkpoint: weights, momentum (tensors) and the JSON state
    const weights = a.layer.params().map((p) => readF64(p.value));
    const momentum = await a.sgd.readMomentum();
    const state = JSON.parse(JSON.stringify(a.sgd.state()));
    stepWith(a, grads[2]!);
    stepWith(a, grads[3]!);

    const b = make();
    b.layer.params().forEach((p, i) => {
      write(p.value, weights[i]!);
    });
    b.sgd.loadMomentum(momentum);
    b.sgd.loadState(state);
    expect(b.sgd.state()).toEqual(state);
    stepWith(b, grads[2]!);
    stepWith(b, grads[3]!);
    // momentum travelled as float32 (as a checkpoint file stores it), hence the tolerance
    b.layer.params().forEach((p, i) => {
      const want = readF64(a.layer.params()[i]!.value);
      readF64(p.value).forEach((v, j) => {
        expect(Math.abs(v - want[j]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[j]!)));
      });
    });
    expect(b.sgd.iteration).toBe(4);
  });

  it('rejects bad options and mismatched state', () => {
    const layer = new Linear(dev, [2], { name: 'fc', outFeatures: 2 });
    const params = layer.params();
    expect(() => new Sgd(params)).toThrow(/needs a learning rate/);
    expect(() => new Sgd(params, { lr: Number.NaN })).toThrow(ArgumentError);
    expect(() => new Sgd(params, { lr: Number.NaN })).toThrow(/lr must be a finite number, got NaN/);
    expect(() => new Sgd(params, { lr: 0.1, schedule: new ConstantSchedule(0.1) })).toThrow(/not both/);
    expect(() => new Sgd(params, { lr: 0.1, momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\]/);
    expect(() => new Sgd([...params, params[0]!], { lr: 0.1 })).toThrow(/'fc.weight' is listed twice/);
    expect(() => new Sgd([], { lr: 0.1 })).toThrow(/non-empty/);
    const sgd = new Sgd(params, { lr: 0.1 });
    const state = sgd.state();
    expect(() => sgd.loadState({ ...state, params: ['x.weight', 'x.bias'] })).toThrow(
      /the state is for parameters/,
    );
    expect(() => sgd.loadState({ ...state, schedule: new PlateauSchedule().state() })).toThrow(
      /the saved schedule is 'plateau', this optimiser uses 'constant'/,
    );
    expect(() => sgd.loadState({ ...state, iteration: -1 })).toThrow(/iteration must be an integer >= 0/);
    expect(() => sgd.loadMomentum({ 'fc.weight': new Float32Array(4) })).toThrow(/no buffer for 'fc.bias'/);
    expect(() =>
      sgd.loadMomentum({ 'fc.weight': new Float32Array(3), 'fc.bias': new Float32Array(2) }),
    ).toThrow(/'fc.weight' has 4 elements, the buffer 3/);
    sgd.dispose();
    expect(() => sgd.step()).toThrow(/after dispose/);
  });
});
