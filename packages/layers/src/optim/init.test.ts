import { ArgumentError, PhiloxStream, philoxNormal } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import { f32Device } from '../test-helpers.js';
import { initParams, PAPER_BIAS_ONE_LAYERS } from './init.js';

describe('initParams (the paper: weights N(0, 0.01²), biases 1 on conv2, conv4, conv5, fc6, fc7)', () => {
  const dev = f32Device();

  it('draws weights with mean 0 and std 0.01, and sets marked biases to exactly 1, others to 0', async () => {
    const layers = [
      new Conv2d(dev, [3, 8, 8], { name: 'conv1', outChannels: 16, kernel: 5 }),
      new Conv2d(dev, [16, 4, 4], { name: 'conv2_0', outChannels: 64, kernel: 3, groups: 2 }),
      new Conv2d(dev, [16, 4, 4], { name: 'conv2_1', outChannels: 64, kernel: 3, groups: 2 }),
      new Linear(dev, [300], { name: 'fc6', outFeatures: 200 }),
      new Linear(dev, [200], { name: 'fc8', outFeatures: 10 }),
      new Linear(dev, [4], { name: 'conv20', outFeatures: 3 }),
    ];
    const params = layers.flatMap((l) => l.params());
    const state = initParams(params, { rng: 42, biasOne: PAPER_BIAS_ONE_LAYERS });
    const all: number[] = [];
    for (const p of params) {
      const v = await p.value.toArray();
      if (p.role === 'bias') {
        const want = ['conv2_0', 'conv2_1', 'fc6'].includes(p.layer) ? 1 : 0;
        expect(
          v.every((x) => x === want),
          `${p.name} = ${want}`,
        ).toBe(true);
      } else all.push(...v);
    }
    const n = all.length;
    const mean = all.reduce((s, x) => s + x, 0) / n;
    const std = Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
    expect(n).toBe(params.filter((p) => p.role === 'weight').reduce((s, p) => s + p.value.size, 0));
    expect(Math.abs(mean)).toBeLessThan((5 * 0.01) / Math.sqrt(n)); // 5 standard errors
    expect(Math.abs(std / 0.01 - 1)).toBeLessThan(0.02);
    // every weight drew from the stream, in order: its state advanced by the even-rounded counts
    const weightSizes = params.filter((p) => p.role === 'weight').map((p) => 2 * Math.ceil(p.value.size / 2));
    expect(state).toEqual({ seed: 42, offset: weightSizes.reduce((s, x) => s + x, 0) });
    for (const l of layers) l.dispose();
  });

  it('is reproducible from the seed, equals one big draw when chunked, and continues a given stream', async () => {
    const big = new Linear(dev, [1100], { name: 'fc', outFeatures: 1000, bias: false }); // > 2^20: two chunks
    const rng = new PhiloxStream(9, 5);
    initParams(big.params(), { rng, weightStd: 0.5, weightMean: 0.25 });
    expect(rng.state()).toEqual({ seed: 9, offset: 5 + 1_100_000 });
    const want = Float32Array.from(philoxNormal(9, 5, 1_100_000, 0.25, 0.5));
    const got = await big.weight.value.toArray();
    expect(got.length).toBe(want.length);
    let same = true;
    for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) same = false;
    expect(same).toBe(true);
    big.dispose();
  });

  it('accepts a predicate and rejects bad options', async () => {
    const l = new Linear(dev, [2], { name: 'head', outFeatures: 2 });
    initParams(l.params(), { rng: 1, biasOne: (name) => name === 'head', biasValue: 0.5 });
    expect([...(await l.bias!.value.toArray())]).toEqual([0.5, 0.5]);
    expect(() => initParams(l.params(), { rng: 1, weightStd: -1 })).toThrow(ArgumentError);
    expect(() => initParams(l.params(), { rng: -1 })).toThrow(RangeError);
    expect(() => initParams(l.params(), { rng: 'x' as never })).toThrow(
      /rng must be a seed or a PhiloxStream/,
    );
  });
});
