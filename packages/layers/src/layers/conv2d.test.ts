import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f32Device, f64Device, readF64, write } from '../test-helpers.js';
import { Conv2d } from './conv2d.js';

describe('Conv2d', () => {
  const dev = f64Device();

  it('passes the float64 gradient check: groups 2, stride 2, pad 1, non-square kernel', async () => {
    const layer = new Conv2d(dev, [4, 5, 6], {
      name: 'c',
      outChannels: 6,
      kernel: [3, 2],
      stride: 2,
      pad: 1,
      groups: 2,
    });
    expect(layer.outputShapes).toEqual([[6, 3, 4]]);
    await checkLayerGradients({ layer, batch: 2, seed: 1 });
  });

  it('passes the gradient check without bias, stride 1', async () => {
    const layer = new Conv2d(dev, [3, 4, 4], { name: 'c', outChannels: 2, kernel: 3, pad: 1, bias: false });
    expect(layer.params().map((p) => p.name)).toEqual(['c.weight']);
    await checkLayerGradients({ layer, batch: 1, seed: 2 });
  });

  it('computes a hand-checked convolution with bias', async () => {
    const d = f32Device();
    const layer = new Conv2d(d, [1, 3, 3], { name: 'c', outChannels: 1, kernel: 2 });
    write(layer.weight.value, [1, 0, 0, -1]);
    write(layer.bias!.value, [0.5]);
    const x = Tensor.fromArray(d, [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = Tensor.empty(d, [1, 1, 2, 2]);
    layer.forward([x], [y]);
    // x[i,j] − x[i+1,j+1] + 0.5 = −4 + 0.5 everywhere
    expect([...(await y.toArray())]).toEqual([-3.5, -3.5, -3.5, -3.5]);
  });

  it("has AlexNet's shapes, parameter counts and multiply-adds (DESIGN §3)", () => {
    const d = f32Device();
    const conv1 = new Conv2d(d, [3, 224, 224], { outChannels: 96, kernel: 11, stride: 4, pad: 2 });
    expect(conv1.outputShapes[0]).toEqual([96, 55, 55]);
    const count = (c: Conv2d) => c.params().reduce((s, p) => s + p.value.size, 0);
    expect(count(conv1)).toBe(34_944);
    expect(conv1.multiplyAdds()).toBe(55 * 55 * 96 * 11 * 11 * 3);
    const caffe = new Conv2d(d, [3, 227, 227], { outChannels: 96, kernel: 11, stride: 4 });
    expect(caffe.outputShapes[0]).toEqual([96, 55, 55]);
    const conv2 = new Conv2d(d, [96, 27, 27], { outChannels: 256, kernel: 5, pad: 2, groups: 2 });
    expect(conv2.outputShapes[0]).toEqual([256, 27, 27]);
    expect(count(conv2)).toBe(307_456);
    expect(count(new Conv2d(d, [256, 13, 13], { outChannels: 384, kernel: 3, pad: 1 }))).toBe(885_120);
    expect(count(new Conv2d(d, [384, 13, 13], { outChannels: 384, kernel: 3, pad: 1, groups: 2 }))).toBe(
      663_936,
    );
    expect(count(new Conv2d(d, [384, 13, 13], { outChannels: 256, kernel: 3, pad: 1, groups: 2 }))).toBe(
      442_624,
    );
    for (const l of [conv1, caffe, conv2]) l.dispose();
  });

  it('weights decay and biases do not by default (cuda-convnet); multipliers are configurable', () => {
    const a = new Conv2d(dev, [2, 3, 3], { name: 'a', outChannels: 2, kernel: 1 });
    expect(a.params().map((p) => [p.name, p.role, p.decayMult, p.lrMult])).toEqual([
      ['a.weight', 'weight', 1, 1],
      ['a.bias', 'bias', 0, 1],
    ]);
    const b = new Conv2d(dev, [2, 3, 3], { outChannels: 2, kernel: 1, biasDecayMult: 1, weightLrMult: 2 });
    expect(b.params().map((p) => [p.decayMult, p.lrMult])).toEqual([
      [1, 2],
      [1, 1],
    ]);
  });

  it('rejects bad configurations with the values in the message', () => {
    const mk = (shape: number[], cfg: object) => () =>
      new Conv2d(dev, shape, { name: 'conv9', outChannels: 4, kernel: 3, ...cfg });
    expect(mk([3, 8, 8], { groups: 2 })).toThrow(ShapeError);
    expect(mk([3, 8, 8], { groups: 2 })).toThrow(
      /conv2d 'conv9': input channels 3 and outChannels 4 .* groups 2/,
    );
    expect(mk([3, 2, 8], {})).toThrow(/window 3 does not fit the input height 2 with pad 0/);
    expect(mk([3, 8, 8], { stride: 0 })).toThrow(ArgumentError);
    expect(mk([3, 8, 8], { stride: 0 })).toThrow(/stride must be an integer >= 1, got 0/);
    expect(mk([3, 8, 8], { pad: -1 })).toThrow(/pad must be an integer >= 0, got -1/);
    expect(mk([3, 8, 8], { kernel: 2.5 })).toThrow(/kernel height must be an integer >= 1, got 2.5/);
    expect(mk([3, 8, 8], { outChannels: 0 })).toThrow(/outChannels must be an integer >= 1, got 0/);
    expect(mk([3, 8], {})).toThrow(
      /input shape must be \[channels, height, width\] \(rank 3\), got \[3, 8\]/,
    );
    expect(mk([3, 8, 8], { weightDecayMult: Number.NaN })).toThrow(
      /weight decayMult must be a finite number/,
    );
  });

  it('accumulates parameter gradients across backward passes', () => {
    const layer = new Conv2d(dev, [1, 3, 3], { name: 'c', outChannels: 1, kernel: 2 });
    write(layer.weight.value, [0.5, -1, 2, 0.25]);
    const x = Tensor.fromArray(dev, [1, 1, 3, 3], [1, -2, 3, 0.5, 5, -6, 7, 8, 0.9]);
    const y = Tensor.zeros(dev, [1, 1, 2, 2]);
    const dy = Tensor.fromArray(dev, [1, 1, 2, 2], [1, 2, -1, 0.5]);
    layer.forward([x], [y]);
    layer.backward([dy], [null]);
    const once = readF64(layer.weight.grad);
    layer.backward([dy], [null]);
    expect([...readF64(layer.weight.grad)]).toEqual([...once].map((v) => 2 * v));
  });
});
