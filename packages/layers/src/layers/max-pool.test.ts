import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f32Device, f64Device } from '../test-helpers.js';
import { MaxPool } from './max-pool.js';

describe('MaxPool', () => {
  const dev = f64Device();

  it('passes the gradient check with overlapping windows z=3 s=2 pad 1 (kinks allowed)', async () => {
    const layer = new MaxPool(dev, [3, 5, 7], { name: 'p', size: 3, stride: 2, pad: 1 });
    expect(layer.outputShapes).toEqual([[3, 3, 4]]);
    await checkLayerGradients({ layer, batch: 2, seed: 3, options: { kinks: true } });
  });

  it('passes the gradient check with z=2 s=2 (the ablation)', async () => {
    const layer = new MaxPool(dev, [2, 4, 5], { name: 'p', size: 2 });
    expect(layer.outputShapes).toEqual([[2, 2, 2]]);
    await checkLayerGradients({ layer, batch: 2, seed: 4, options: { kinks: true } });
  });

  it("has AlexNet's pooled sizes 55→27→13→6", () => {
    const d = f32Device();
    expect(new MaxPool(d, [96, 55, 55], { size: 3, stride: 2 }).outputShapes[0]).toEqual([96, 27, 27]);
    expect(new MaxPool(d, [256, 27, 27], { size: 3, stride: 2 }).outputShapes[0]).toEqual([256, 13, 13]);
    expect(new MaxPool(d, [256, 13, 13], { size: 3, stride: 2 }).outputShapes[0]).toEqual([256, 6, 6]);
  });

  it('takes the maximum of each window', async () => {
    const layer = new MaxPool(dev, [1, 3, 3], { size: 2, stride: 1 });
    const x = Tensor.fromArray(dev, [1, 1, 3, 3], [1, 9, 2, 3, 4, 8, 7, 5, 6]);
    const y = Tensor.empty(dev, [1, 1, 2, 2]);
    layer.forward([x], [y]);
    expect([...(await y.toArray())]).toEqual([9, 9, 7, 8]);
  });

  it('rejects bad configurations', () => {
    expect(() => new MaxPool(dev, [1, 4, 4], { name: 'pool', size: 3, pad: 2 })).toThrow(ArgumentError);
    expect(() => new MaxPool(dev, [1, 4, 4], { name: 'pool', size: 3, pad: 2 })).toThrow(
      /maxPool 'pool': pad 2 must be at most half the window size 3/,
    );
    expect(() => new MaxPool(dev, [1, 2, 4], { size: 3 })).toThrow(ShapeError);
    expect(() => new MaxPool(dev, [1, 4, 4], { size: 0 })).toThrow(/size must be an integer >= 1, got 0/);
    expect(() => new MaxPool(dev, [4, 4], { size: 2 })).toThrow(/rank 3/);
  });
});
