import { describe, expect, it } from 'vitest';
import { Device } from '../device/device.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { ReferenceBackend } from '../reference/backend.js';

const device = new Device(new ReferenceBackend());
const buf = (n: number) => device.backend.alloc(n);
const conv = { n: 1, c: 4, h: 5, w: 5, outC: 6, kh: 3, kw: 3, stride: 1, pad: 1, groups: 2 };

describe('kernel argument validation (shared by every backend through Device.kernels)', () => {
  it('names the buffer, its length and the length needed', () => {
    const call = () =>
      device.kernels.conv2dForward({ x: buf(99), w: buf(6 * 2 * 9), bias: null, y: buf(150) }, conv);
    expect(call).toThrow(ShapeError);
    expect(call).toThrow("conv2dForward: buffer 'x' holds 99 elements, needs at least 100");
  });

  it('rejects groups that do not divide the channels, with the values', () => {
    const call = () =>
      device.kernels.conv2dForward(
        { x: buf(100), w: buf(200), bias: null, y: buf(200) },
        { ...conv, groups: 3 },
      );
    expect(call).toThrow('c=4 and outC=6 must both be divisible by groups=3');
  });

  it('rejects a window that does not fit', () => {
    const call = () =>
      device.kernels.maxPoolForward(
        { x: buf(4), y: buf(4) },
        { n: 1, c: 1, h: 2, w: 2, size: 3, stride: 2, pad: 0 },
      );
    expect(call).toThrow(/window 3 does not fit input 2 with pad 0/);
  });

  it('rejects non-finite and out-of-domain hyper-parameters', () => {
    const w = buf(10);
    expect(() =>
      device.kernels.sgdUpdate(
        { w, grad: buf(10), v: buf(10) },
        { length: 10, lr: Number.NaN, momentum: 0.9, weightDecay: 5e-4 },
      ),
    ).toThrow('sgdUpdate: lr must be a finite number, got NaN');
    expect(() =>
      device.kernels.dropoutForward(
        { x: w, y: buf(10), mask: buf(10) },
        { length: 10, p: 1, seed: 1, offset: 0 },
      ),
    ).toThrow('dropoutForward: p must be in [0, 1), got 1');
    expect(() =>
      device.kernels.lrnForward(
        { x: w, y: buf(10), scale: buf(10) },
        { n: 1, c: 10, h: 1, w: 1, size: 4, alpha: 1e-4, beta: 0.75, k: 2, groups: 1 },
      ),
    ).toThrow('lrnForward: size must be odd, got 4');
    expect(() => device.kernels.relu({ x: w, y: w }, { length: 2.5 })).toThrow(ArgumentError);
  });

  it('rejects a buffer from another device', () => {
    const other = new ReferenceBackend({ index: 1 });
    const call = () => device.kernels.relu({ x: other.alloc(4), y: buf(4) }, { length: 4 });
    expect(call).toThrow("relu: buffer 'x' lives on ref:1, but the kernel runs on ref:0");
  });

  it('rejects a concat whose parts do not match the channel list', () => {
    const call = () =>
      device.kernels.concatChannels({ inputs: [buf(6)], y: buf(12) }, { n: 1, channels: [3, 3], spatial: 2 });
    expect(call).toThrow('concatChannels: 2 channel counts [3, 3] but 1 inputs');
  });

  it('rejects gemm leading dimensions smaller than the rows they stride over', () => {
    const call = () =>
      device.kernels.gemm(
        { a: buf(100), b: buf(100), c: buf(100) },
        { transA: false, transB: false, m: 4, n: 4, k: 5, alpha: 1, beta: 0, lda: 4 },
      );
    expect(call).toThrow('gemm: lda=4 is smaller than the row width 5');
  });

  it('rejects labels that are not class indices', () => {
    const logits = buf(6);
    device.backend.fill(logits, 0.5);
    const labels = buf(2);
    device.backend.write(labels, Float32Array.from([1, 3]));
    const call = () =>
      device.kernels.softmaxCrossEntropy(
        { logits, labels, loss: buf(2), dlogits: buf(6) },
        { n: 2, classes: 3, gradScale: 0.5 },
      );
    expect(call).toThrow('label 3 of example 1 is not a class index in [0, 3)');
  });
});

describe('validation wrapping', () => {
  it('wraps a table once: a Device over an already-validating backend reuses its table', () => {
    const backend = new ReferenceBackend({ index: 3 });
    expect(new Device(backend).kernels).toBe(backend.kernels);
  });
});
