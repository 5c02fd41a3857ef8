import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, readF64 } from '../test-helpers.js';
import { Split } from './split.js';

describe('Split', () => {
  const dev = f64Device();

  it('passes the gradient check into equal parts', async () => {
    const layer = new Split(dev, [4, 2, 3], { name: 's', parts: 2 });
    expect(layer.outputShapes).toEqual([
      [2, 2, 3],
      [2, 2, 3],
    ]);
    expect(layer.outputNames).toEqual(['0', '1']);
    await checkLayerGradients({ layer, batch: 2, seed: 16 });
  });

  it('passes the gradient check into uneven parts', async () => {
    const layer = new Split(dev, [5, 3], { name: 's', channels: [1, 3, 1] });
    await checkLayerGradients({ layer, batch: 2, seed: 17 });
  });

  it('treats a missing output gradient as zero', () => {
    const layer = new Split(dev, [3], { channels: [1, 2] });
    const x = Tensor.fromArray(dev, [1, 3], [1, 2, 3]);
    const outs = [Tensor.zeros(dev, [1, 1]), Tensor.zeros(dev, [1, 2])];
    layer.forward([x], outs);
    expect([...readF64(outs[1]!)]).toEqual([2, 3]);
    const dx = Tensor.fromArray(dev, [1, 3], [Number.NaN, Number.NaN, Number.NaN]);
    layer.backward([null, Tensor.fromArray(dev, [1, 2], [7, 8])], [dx]);
    expect([...readF64(dx)]).toEqual([0, 7, 8]);
  });

  it('rejects bad configurations', () => {
    expect(() => new Split(dev, [5, 2], { name: 'towers', parts: 2 })).toThrow(ShapeError);
    expect(() => new Split(dev, [5, 2], { name: 'towers', parts: 2 })).toThrow(
      /split 'towers': 5 input channels do not split into 2 equal parts/,
    );
    expect(() => new Split(dev, [5], { channels: [2, 2] })).toThrow(
      /channels \[2, 2\] sum to 4, the input has 5/,
    );
    expect(() => new Split(dev, [4], { channels: [2, 2], parts: 2 })).toThrow(ArgumentError);
    expect(() => new Split(dev, [4], {})).toThrow(/parts must be an integer >= 1, got undefined/);
  });
});
