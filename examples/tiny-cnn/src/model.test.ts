import { Device, ReferenceBackend } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { generateDataset } from './dataset.js';
import { QuickNet } from './model.js';
import { NonFiniteLossError, train } from './train.js';

describe('QuickNet gradients', () => {
  it('match centred finite differences for every parameter tensor (float64 reference backend)', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const device = new Device(backend);
    const n = 2;
    const data = generateDataset({ count: n, seed: 11 });
    const model = new QuickNet(device, { maxBatch: n, seed: 11 });
    model.setBatch(data.images, data.labels, n);
    const meanLoss = (): number => {
      model.forward(n);
      const l = backend.readFloat64(model.loss, 0, n);
      return (l[0]! + l[1]!) / n;
    };
    model.forward(n);
    model.backward(n);

    const eps = 1e-6;
    let checked = 0;
    for (const p of model.params) {
      const analytic = backend.readFloat64(p.grad, 0, p.length);
      const w = backend.readFloat64(p.w, 0, p.length);
      // A spread of elements of each tensor (all of a small one): 16 finite differences per tensor.
      const picks = Array.from({ length: Math.min(16, p.length) }, (_, j) =>
        Math.floor((j * p.length) / Math.min(16, p.length)),
      );
      let diff2 = 0;
      let ref2 = 0;
      for (const i of picks) {
        backend.write(p.w, Float64Array.of(w[i]! + eps), i);
        const plus = meanLoss();
        backend.write(p.w, Float64Array.of(w[i]! - eps), i);
        const minus = meanLoss();
        backend.write(p.w, Float64Array.of(w[i]!), i);
        const numeric = (plus - minus) / (2 * eps);
        diff2 += (numeric - analytic[i]!) ** 2;
        ref2 += numeric ** 2;
        expect(Math.abs(numeric - analytic[i]!), `${p.name}[${i}]`).toBeLessThan(
          1e-6 + 1e-4 * Math.abs(numeric),
        );
        checked++;
      }
      expect(ref2, `${p.name}: the gradient should not be all zero`).toBeGreaterThan(0);
      expect(Math.sqrt(diff2 / ref2), `${p.name}: relative error`).toBeLessThan(1e-6);
    }
    expect(checked).toBe(model.params.reduce((sum, p) => sum + Math.min(16, p.length), 0));
    model.dispose();
    expect(backend.memory().liveBuffers).toBe(0);
  });
});

describe('training', () => {
  it('drives the loss of a fixed batch down with finite values (a few SGD steps)', async () => {
    const device = new Device(new ReferenceBackend());
    const n = 32;
    const data = generateDataset({ count: n, seed: 2 });
    const model = new QuickNet(device, { maxBatch: n, seed: 2 });
    const losses: number[] = [];
    for (let step = 0; step < 12; step++) {
      const r = await model.trainStep(data.images, data.labels, n, {
        lr: 0.01,
        momentum: 0.9,
        weightDecay: 0.0005,
      });
      expect(Number.isFinite(r.loss)).toBe(true);
      losses.push(r.loss);
    }
    const after = await model.evaluate(data.images, data.labels, n);
    expect(Number.isFinite(after.loss)).toBe(true);
    expect(after.loss).toBeLessThan(0.8 * losses[0]!);
    model.dispose();
  });

  it('runs the training loop on tiny data and reports finite, improving numbers', async () => {
    const device = new Device(new ReferenceBackend());
    const steps: number[] = [];
    const summary = await train({
      device,
      epochs: 6,
      seed: 4,
      batchSize: 32,
      lr: 0.01,
      warmupSteps: 4,
      train: generateDataset({ count: 128, seed: 4, noise: 0.3 }),
      test: generateDataset({ count: 64, seed: 4, split: 'test', noise: 0.3 }),
      onStep: (_step, loss) => steps.push(loss),
    });
    expect(steps).toHaveLength(24);
    expect(summary.epochs).toHaveLength(6);
    for (const e of summary.epochs) {
      for (const v of [e.trainLoss, e.trainAccuracy, e.testLoss, e.testAccuracy, e.imagesPerSecond])
        expect(Number.isFinite(v)).toBe(true);
    }
    // Early epochs are noisy (see README); by the sixth the loss is clearly below the first's.
    expect(summary.epochs[5]!.trainLoss).toBeLessThan(0.9 * summary.epochs[0]!.trainLoss);
    expect(summary.parameters).toBe(16 * 3 * 25 + 16 + 32 * 8 * 9 + 32 + 4 * 288 + 4);
  });

  it('stops with NonFiniteLossError when training diverges', async () => {
    const device = new Device(new ReferenceBackend());
    const data = generateDataset({ count: 64, seed: 6 });
    await expect(
      train({ device, epochs: 2, seed: 6, batchSize: 32, lr: 1e8, warmupSteps: 0, train: data, test: data }),
    ).rejects.toBeInstanceOf(NonFiniteLossError);
  });
});
