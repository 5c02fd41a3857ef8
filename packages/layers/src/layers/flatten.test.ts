import { Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, readF64 } from '../test-helpers.js';
import { Flatten } from './flatten.js';

describe('Flatten', () => {
  const dev = f64Device();

  it('passes the gradient check', async () => {
    const layer = new Flatten(dev, [2, 3, 2], { name: 'f' });
    expect(layer.outputShapes).toEqual([[12]]);
    await checkLayerGradients({ layer, batch: 2, seed: 14 });
  });

  it('keeps the element order', () => {
    const layer = new Flatten(dev, [2, 1, 2]);
    const x = Tensor.fromArray(dev, [1, 2, 1, 2], [1, 2, 3, 4]);
    const y = Tensor.zeros(dev, [1, 4]);
    layer.forward([x], [y]);
    expect([...readF64(y)]).toEqual([1, 2, 3, 4]);
  });
});
