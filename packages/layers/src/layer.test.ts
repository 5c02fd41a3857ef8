import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear.js';
import { ReLU } from './layers/relu.js';
import { f64Device } from './test-helpers.js';

describe('Layer (the shared checks)', () => {
  const dev = f64Device();
  const other = f64Device(1);

  it('checks batch shapes, devices and the order of calls, naming the layer', () => {
    const layer = new ReLU(dev, [2, 3], { name: 'relu1' });
    const x = Tensor.zeros(dev, [4, 2, 3]);
    expect(() => layer.backward([x], [x])).toThrow(/relu 'relu1': backward before any forward/);
    expect(() => layer.forward([x], [Tensor.zeros(dev, [3, 2, 3])])).toThrow(ShapeError);
    expect(() => layer.forward([x], [Tensor.zeros(dev, [3, 2, 3])])).toThrow(
      /relu 'relu1' forward: output 0 has shape \[3, 2, 3\], expected \[4, 2, 3\]/,
    );
    expect(() => layer.forward([Tensor.zeros(dev, [4, 3, 2])], [x])).not.toThrow(); // same size: fine
    expect(() => layer.forward([Tensor.zeros(dev, [4, 5])], [x])).toThrow(
      /input 0 has shape \[4, 5\], expected \[4, 2, 3\]/,
    );
    expect(() => layer.forward([x, x], [x])).toThrow(/expected 1 input tensor\(s\), got 2/);
    expect(() => layer.forward([Tensor.zeros(other, [4, 2, 3])], [x])).toThrow(ArgumentError);
    expect(() => layer.forward([Tensor.zeros(other, [4, 2, 3])], [x])).toThrow(
      /input 0 lives on ref:1, the layer on ref:0/,
    );
    layer.forward([x], [Tensor.zeros(dev, [4, 2, 3])]);
    expect(() => layer.backward([x], [Tensor.zeros(dev, [2, 2, 3])])).toThrow(/input gradient 0 has shape/);
    expect(() => layer.backward([x], [x], [1 as never])).toThrow(/accumulate\[0\] must be a boolean/);
    layer.dispose();
    expect(() => layer.forward([x], [x])).toThrow(/was disposed/);
  });

  it('writes zero input gradients when no output gradient flows', () => {
    const layer = new ReLU(dev, [2]);
    const x = Tensor.fromArray(dev, [1, 2], [1, -1]);
    layer.forward([x], [Tensor.zeros(dev, [1, 2])]);
    const dx = Tensor.fromArray(dev, [1, 2], [Number.NaN, Number.NaN]);
    layer.backward([null], [dx]);
    return dx.toArray().then((v) => expect([...v]).toEqual([0, 0]));
  });
});

describe('parameter gradients', () => {
  it('are allocated on first use (inference never holds them) and freed by dispose', async () => {
    const dev = f64Device();
    const live = () => dev.backend.memory().liveBuffers;
    const x = Tensor.fromArray(dev, [2, 6], [1, -2, 3, 0.5, -1, 2, 0, 1, -1, 2, 0.25, -3]);
    const y = Tensor.zeros(dev, [2, 4]);
    const dy = Tensor.fromArray(dev, [2, 4], [1, 0, -1, 2, 0.5, 0.5, 1, -1]);
    const base = live();
    const layer = new Linear(dev, [6], { outFeatures: 4, name: 'fc' });
    expect(live() - base).toBe(2); // weight and bias values only
    layer.forward([x], [y]);
    expect(live() - base).toBe(2); // inference: still no gradients
    layer.backward([dy], [null]);
    expect(live() - base).toBe(4); // the first backward allocated both gradients
    const [w, b] = layer.params();
    expect([...(await b!.grad.toArray())]).toEqual([1.5, 0.5, 0, 1]); // zero-filled, then accumulated
    expect(w!.grad).toBe(w!.grad); // one tensor, not one per access
    layer.dispose();
    expect(live()).toBe(base);
    const unused = new Linear(dev, [6], { outFeatures: 4, name: 'fc2' });
    unused.dispose();
    expect(live()).toBe(base);
    expect(() => unused.params()[0]!.grad).toThrow('fc2.weight: gradient of a disposed layer');
  });
});
