import { ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, readF64 } from '../test-helpers.js';
import { Concat } from './concat.js';

describe('Concat', () => {
  const dev = f64Device();

  it('passes the gradient check (write and accumulate paths of every input)', async () => {
    const layer = new Concat(
      dev,
      [
        [2, 2, 3],
        [3, 2, 3],
        [1, 2, 3],
      ],
      { name: 'cat' },
    );
    expect(layer.outputShapes).toEqual([[6, 2, 3]]);
    await checkLayerGradients({ layer, batch: 2, seed: 15 });
  });

  it('joins rank-1 features (the fc towers) and skips inputs that take no gradient', () => {
    const layer = new Concat(dev, [[2], [1]]);
    const a = Tensor.fromArray(dev, [2, 2], [1, 2, 3, 4]);
    const b = Tensor.fromArray(dev, [2, 1], [5, 6]);
    const y = Tensor.zeros(dev, [2, 3]);
    layer.forward([a, b], [y]);
    expect([...readF64(y)]).toEqual([1, 2, 5, 3, 4, 6]);
    const dy = Tensor.fromArray(dev, [2, 3], [10, 20, 30, 40, 50, 60]);
    const db = Tensor.fromArray(dev, [2, 1], [1, 1]);
    layer.backward([dy], [null, db], [false, true]);
    expect([...readF64(db)]).toEqual([31, 61]);
  });

  it('rejects inputs that disagree outside the channel axis', () => {
    expect(
      () =>
        new Concat(
          dev,
          [
            [2, 3, 3],
            [2, 3, 4],
          ],
          { name: 'cat3' },
        ),
    ).toThrow(ShapeError);
    expect(
      () =>
        new Concat(
          dev,
          [
            [2, 3, 3],
            [2, 3, 4],
          ],
          { name: 'cat3' },
        ),
    ).toThrow(
      /concat 'cat3': inputs must agree in every extent but channels; input 0 is \[2, 3, 3\], input 1 is \[2, 3, 4\]/,
    );
    expect(() => new Concat(dev, [])).toThrow(/needs at least one input/);
  });
});
