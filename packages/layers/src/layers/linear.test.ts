import { ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f32Device, f64Device, readF64, write } from '../test-helpers.js';
import { Linear } from './linear.js';

describe('Linear', () => {
  const dev = f64Device();

  it('passes the gradient check, reading a [c, h, w] input as flattened', async () => {
    const layer = new Linear(dev, [2, 2, 3], { name: 'fc', outFeatures: 5 });
    expect(layer.outputShapes).toEqual([[5]]);
    await checkLayerGradients({ layer, batch: 3, seed: 12 });
  });

  it('passes the gradient check without bias', async () => {
    const layer = new Linear(dev, [4], { name: 'fc', outFeatures: 3, bias: false });
    await checkLayerGradients({ layer, batch: 2, seed: 13 });
  });

  it('computes y = x·Wᵀ + b with W [out, in]', () => {
    const layer = new Linear(dev, [3], { outFeatures: 2 });
    write(layer.weight.value, [1, 2, 3, -1, 0, 0.5]);
    write(layer.bias!.value, [10, 20]);
    const x = Tensor.fromArray(dev, [2, 3], [1, 1, 1, 2, 0, -2]);
    const y = Tensor.zeros(dev, [2, 2]);
    layer.forward([x], [y]);
    expect([...readF64(y)]).toEqual([16, 19.5, 6, 17]);
  });

  it("has AlexNet's fully connected parameter counts", () => {
    const d = f32Device();
    const count = (l: Linear) => l.params().reduce((s, p) => s + p.value.size, 0);
    const fc6 = new Linear(d, [256, 6, 6], { outFeatures: 4096 });
    expect(count(fc6)).toBe(37_752_832);
    expect(fc6.multiplyAdds()).toBe(9216 * 4096);
    fc6.dispose();
    const fc8 = new Linear(d, [4096], { outFeatures: 1000 });
    expect(count(fc8)).toBe(4_097_000);
    fc8.dispose();
  });

  it('rejects bad configurations', () => {
    expect(() => new Linear(dev, [2, 3], { name: 'fc7', outFeatures: 4, inFeatures: 5 })).toThrow(ShapeError);
    expect(() => new Linear(dev, [2, 3], { name: 'fc7', outFeatures: 4, inFeatures: 5 })).toThrow(
      /linear 'fc7': inFeatures 5 does not match the input shape \[2, 3\] \(6 features\)/,
    );
    expect(() => new Linear(dev, [2], { outFeatures: 0 })).toThrow(
      /outFeatures must be an integer >= 1, got 0/,
    );
  });
});
