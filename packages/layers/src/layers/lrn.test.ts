import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, random64, readF64, SEED, write } from '../test-helpers.js';
import { LRN } from './lrn.js';

/** The paper's formula on the host, the window clipped to each group. */
function lrnByHand(
  x: Float64Array,
  n: number,
  c: number,
  spatial: number,
  a: { size: number; alpha: number; beta: number; k: number; groups: number },
): Float64Array {
  const y = new Float64Array(x.length);
  const cg = c / a.groups;
  const half = (a.size - 1) / 2;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < c; i++)
      for (let s = 0; s < spatial; s++) {
        const g0 = Math.floor(i / cg) * cg;
        let sum = 0;
        for (let j = Math.max(g0, i - half); j <= Math.min(g0 + cg - 1, i + half); j++) {
          sum += x[(b * c + j) * spatial + s]! ** 2;
        }
        const at = (b * c + i) * spatial + s;
        y[at] = x[at]! / (a.k + a.alpha * sum) ** a.beta;
      }
  return y;
}

describe('LRN', () => {
  const dev = f64Device();

  it('passes the gradient check within 2 groups (large α so the normalisation matters)', async () => {
    const layer = new LRN(dev, [8, 2, 3], { name: 'n', size: 3, alpha: 0.5, beta: 0.75, k: 2, groups: 2 });
    await checkLayerGradients({ layer, batch: 2, seed: 5 });
  });

  it('passes the gradient check with the paper constants across all channels', async () => {
    const layer = new LRN(dev, [7, 2, 2], { name: 'n', ...LRN.PAPER });
    await checkLayerGradients({ layer, batch: 1, seed: 6 });
  });

  it("computes the paper's formula (α not divided by n, k = 2), the window kept inside each tower", () => {
    const data = new TestData(SEED + 60);
    const x = random64(data, 2 * 8 * 3, 20); // large values so that α·Σa² is far from 0
    for (const groups of [1, 2]) {
      const layer = new LRN(dev, [8, 1, 3], { groups });
      expect(layer.attrs).toMatchObject({ size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups });
      const xt = Tensor.zeros(dev, [2, 8, 1, 3]);
      write(xt, x);
      const y = Tensor.zeros(dev, [2, 8, 1, 3]);
      layer.forward([xt], [y]);
      const want = lrnByHand(x, 2, 8, 3, { size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups });
      const got = readF64(y);
      got.forEach((v, i) => {
        expect(v).toBeCloseTo(want[i]!, 12);
      });
    }
    expect(new LRN(dev, [8, 1, 1], { groups: 2 }).window).toBe('within each of 2 groups');
    expect(new LRN(dev, [8, 1, 1]).window).toBe('across all channels');
  });

  it("Caffe's convention divides α by n; its preset is k = 1 across all channels", () => {
    const caffe = new LRN(dev, [8, 1, 1], LRN.CAFFE);
    expect(caffe.attrs).toMatchObject({ size: 5, alpha: 1e-4 / 5, beta: 0.75, k: 1, groups: 1 });
    expect(caffe.describe()).toMatch(/across all channels/);
  });

  it('rejects bad configurations', () => {
    expect(() => new LRN(dev, [8, 2, 2], { size: 4 })).toThrow(/size must be odd, got 4/);
    expect(() => new LRN(dev, [6, 2, 2], { name: 'norm1', groups: 4 })).toThrow(ShapeError);
    expect(() => new LRN(dev, [6, 2, 2], { name: 'norm1', groups: 4 })).toThrow(
      /lrn 'norm1': input channels 6 must be divisible by groups 4/,
    );
    expect(() => new LRN(dev, [6, 2, 2], { k: 0 })).toThrow(/k must be > 0, got 0/);
    expect(() => new LRN(dev, [6, 2, 2], { alpha: -1 })).toThrow(ArgumentError);
    expect(() => new LRN(dev, [6, 2, 2], { beta: Number.NaN })).toThrow(/beta must be a finite number/);
    expect(() => new LRN(dev, [6, 2, 2], { alphaConvention: 'pytorch' as never })).toThrow(/alphaConvention/);
  });
});
