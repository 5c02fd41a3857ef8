import { Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device } from '../test-helpers.js';
import { ReLU } from './relu.js';

describe('ReLU', () => {
  const dev = f64Device();

  it('passes the gradient check (kinks allowed)', async () => {
    const layer = new ReLU(dev, [3, 2, 5], { name: 'r' });
    await checkLayerGradients({ layer, batch: 2, seed: 7, options: { kinks: true } });
  });

  it('is max(0, x) with any per-example shape', async () => {
    const layer = new ReLU(dev, [3]);
    const x = Tensor.fromArray(dev, [2, 3], [-1, 2, -3, 4, 0.5, -0.25]);
    const y = Tensor.empty(dev, [2, 3]);
    layer.forward([x], [y]);
    expect([...(await y.toArray())]).toEqual([0, 2, 0, 4, 0.5, 0]);
    expect(layer.describe()).toBe('relu → [3]');
  });

  it('rejects a bad input shape', () => {
    expect(() => new ReLU(dev, [3, 0], { name: 'r6' })).toThrow(
      /relu 'r6': input shape must be positive integers/,
    );
  });
});
