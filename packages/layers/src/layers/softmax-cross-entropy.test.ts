import { ArgumentError, ShapeError, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { checkLayerGradients, f64Device, readF64 } from '../test-helpers.js';
import { SoftmaxCrossEntropy } from './softmax-cross-entropy.js';

describe('SoftmaxCrossEntropy', () => {
  const dev = f64Device();

  it('passes the gradient check of the mean loss (labels take no gradient)', async () => {
    const layer = new SoftmaxCrossEntropy(dev, [[5], []], { name: 'loss' });
    expect(layer.differentiable(1)).toBe(false);
    await checkLayerGradients({ layer, batch: 4, seed: 18, inputs: [null, [0, 4, 2, 2]] });
  });

  it('gives per-example losses, probabilities and their mean', async () => {
    const layer = new SoftmaxCrossEntropy(dev, [[3], []]);
    const logits = Tensor.fromArray(dev, [2, 3], [1, 2, 3, 0, 0, 0]);
    const labels = Tensor.fromArray(dev, [2], [2, 1]);
    const losses = Tensor.zeros(dev, [2]);
    const probs = Tensor.zeros(dev, [2, 3]);
    layer.forward([logits, labels], [losses, probs]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const want = [Math.log(z) - 3, Math.log(3)];
    const got = readF64(losses);
    expect(got[0]).toBeCloseTo(want[0]!, 12);
    expect(got[1]).toBeCloseTo(want[1]!, 12);
    expect(readF64(layer.meanLoss)[0]).toBeCloseTo((want[0]! + want[1]!) / 2, 12);
    expect(await layer.loss()).toBeCloseTo((want[0]! + want[1]!) / 2, 6); // read back as float32
    const p = readF64(probs);
    expect(p[2]).toBeCloseTo(Math.exp(3) / z, 12);
    expect(p[3]).toBeCloseTo(1 / 3, 12);
    // dlogits = (p − onehot)/n, times lossWeight
    const dx = Tensor.zeros(dev, [2, 3]);
    layer.backward([null, null], [dx, null]);
    expect(readF64(dx)[2]).toBeCloseTo((Math.exp(3) / z - 1) / 2, 12);
    const weighted = new SoftmaxCrossEntropy(dev, [[3], []], { lossWeight: 3 });
    weighted.forward([logits, labels], [losses, probs]);
    weighted.backward([null, null], [dx, null]);
    expect(readF64(dx)[2]).toBeCloseTo((3 * (Math.exp(3) / z - 1)) / 2, 12);
    expect(readF64(weighted.meanLoss)[0]).toBeCloseTo((want[0]! + want[1]!) / 2, 12);
  });

  it('rejects bad shapes, labels and weights', () => {
    expect(() => new SoftmaxCrossEntropy(dev, [[3, 2], []], { name: 'loss' })).toThrow(ShapeError);
    expect(() => new SoftmaxCrossEntropy(dev, [[3], [2]], { name: 'loss' })).toThrow(
      /labels must have shape \[\] \(one class index per example\), got \[2\]/,
    );
    expect(() => new SoftmaxCrossEntropy(dev, [[3]])).toThrow(/needs two inputs/);
    expect(() => new SoftmaxCrossEntropy(dev, [[3], []], { lossWeight: Number.NaN })).toThrow(ArgumentError);
    const layer = new SoftmaxCrossEntropy(dev, [[3], []], { name: 'loss' });
    const run = () =>
      layer.forward(
        [Tensor.fromArray(dev, [1, 3], [1, 2, 3]), Tensor.fromArray(dev, [1], [3])],
        [Tensor.zeros(dev, [1]), Tensor.zeros(dev, [1, 3])],
      );
    expect(run).toThrow(/label 3 of example 0 is not a class index in \[0, 3\)/);
    const dx = Tensor.zeros(dev, [1, 3]);
    expect(() => layer.backward([], [dx, Tensor.zeros(dev, [1])])).toThrow(/input 1 takes no gradient/);
  });
});
