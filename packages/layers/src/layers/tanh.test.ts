import { Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device } from '../test-helpers.js';
import { Tanh } from './tanh.js';

describe('Tanh', () => {
  const dev = f64Device();

  it('passes the gradient check (smooth: no kinks)', async () => {
    const layer = new Tanh(dev, [2, 3, 3], { name: 't' });
    await checkLayerGradients({ layer, batch: 2, seed: 8 });
  });

  it('is tanh(x)', async () => {
    const layer = new Tanh(dev, [2]);
    const x = Tensor.fromArray(dev, [1, 2], [0.5, -2]);
    const y = Tensor.empty(dev, [1, 2]);
    layer.forward([x], [y]);
    const v = await y.toArray();
    expect(v[0]).toBeCloseTo(Math.tanh(0.5), 6);
    expect(v[1]).toBeCloseTo(Math.tanh(-2), 6);
  });
});
