import { ArgumentError, Tensor } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, random64, readF64, SEED, write } from '../test-helpers.js';
import { Dropout } from './dropout.js';

describe('Dropout', () => {
  const dev = f64Device();
  const shape = [4, 3, 3];

  it('passes the gradient check in training, with a fixed (seed, offset)', async () => {
    const layer = new Dropout(dev, shape, { name: 'd', p: 0.5 });
    await checkLayerGradients({
      layer,
      batch: 2,
      seed: 9,
      ctx: { training: true, random: { seed: 11, offset: 40 } },
    });
  });

  it('passes the gradient check at inference (the identity)', async () => {
    const layer = new Dropout(dev, shape, { name: 'd', p: 0.5 });
    await checkLayerGradients({ layer, batch: 2, seed: 10, ctx: { training: false } });
  });

  it('is inverted: kept units scale by 1/(1−p); the mask is reproducible from (seed, offset)', () => {
    const layer = new Dropout(dev, [1000], { p: 0.25 });
    const x = Tensor.zeros(dev, [2, 1000]);
    const xs = random64(new TestData(SEED + 90), 2000);
    write(x, xs);
    const run = (offset: number) => {
      const y = Tensor.zeros(dev, [2, 1000]);
      layer.forward([x], [y], { training: true, random: { seed: 5, offset } });
      return readF64(y);
    };
    const a = run(0);
    let kept = 0;
    a.forEach((v, i) => {
      if (v !== 0) {
        kept++;
        expect(v).toBeCloseTo(xs[i]! / 0.75, 12);
      }
    });
    expect(kept / 2000).toBeGreaterThan(0.7);
    expect(kept / 2000).toBeLessThan(0.8);
    expect([...run(0)]).toEqual([...a]);
    expect([...run(2000)]).not.toEqual([...a]);
    // a batch drawn at offset o continues the stream: its second half equals a draw at o + 1000
    const b = run(1000);
    const firstOfB = b.subarray(0, 1000).map((v, i) => (v === 0 ? 0 : 1) - (a[1000 + i] === 0 ? 0 : 1));
    expect(firstOfB.every((d) => d === 0)).toBe(true);
    expect(layer.randomCount(2)).toBe(2000);
  });

  it('is the identity at inference', () => {
    const layer = new Dropout(dev, [5]);
    const x = Tensor.fromArray(dev, [1, 5], [1, -2, 3, -4, 5]);
    const y = Tensor.zeros(dev, [1, 5]);
    layer.forward([x], [y], { training: false });
    expect([...readF64(y)]).toEqual([1, -2, 3, -4, 5]);
  });

  it('needs a random slice in training and a p in [0, 1)', () => {
    const layer = new Dropout(dev, [5], { name: 'drop6' });
    const x = Tensor.zeros(dev, [1, 5]);
    expect(() => layer.forward([x], [Tensor.zeros(dev, [1, 5])], { training: true })).toThrow(
      /dropout 'drop6': training forward needs ctx.random/,
    );
    expect(() => new Dropout(dev, [5], { p: 1 })).toThrow(ArgumentError);
    expect(() => new Dropout(dev, [5], { p: -0.1 })).toThrow(/p must be in \[0, 1\], got -0.1/);
    expect(new Dropout(dev, [5], { p: 0 }).randomCount(3)).toBe(0);
  });
});
