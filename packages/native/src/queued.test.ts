import { Device, getDevice, registerBackend, Tensor } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { NativeBackend, requireLibrary } from './backend.js';
import { backendProvider } from './provider.js';
import { inFlight } from './queue.js';

/** A convolution big enough (≈ 0.6 GFLOP) that a second device's call starts while it runs. */
function bigConv(d: Device) {
  const attrs = { n: 8, c: 64, h: 27, w: 27, outC: 192, kh: 5, kw: 5, stride: 1, pad: 2, groups: 1 };
  const x = Tensor.full(d, [8, 64, 27, 27], 0.5);
  const w = Tensor.full(d, [192, 64, 5, 5], 0.01);
  const y = Tensor.empty(d, [8, 192, 27, 27]);
  return () => d.kernels.conv2dForward({ x: x.buffer, w: w.buffer, bias: null, y: y.buffer }, attrs);
}

describe('queued (asynchronous) native devices', () => {
  it('return from kernels at once and compute two devices at the same time', async () => {
    const d0 = new Device(new NativeBackend({ index: 0, threads: 1, asynchronous: true }));
    const d1 = new Device(new NativeBackend({ index: 1, threads: 1, asynchronous: true }));
    const run0 = bigConv(d0);
    const run1 = bigConv(d1);
    await Promise.all([d0.backend.sync(), d1.backend.sync()]);
    const lib = requireLibrary();
    lib.concurrentLoopsPeak(1);
    inFlight.peak = inFlight.now;
    for (let i = 0; i < 3; i++) {
      run0();
      run1();
    }
    expect(inFlight.now).toBe(2); // both queues have handed a call to a worker; the JS thread is free
    await Promise.all([d0.backend.sync(), d1.backend.sync()]);
    expect(inFlight.peak).toBe(2);
    expect(inFlight.now).toBe(0);
    // and in C: the two devices' convolutions ran at the same time (each takes tens of ms)
    expect(lib.concurrentLoopsPeak(0)).toBe(2);
    d0.backend.dispose();
    d1.backend.dispose();
  });

  it('keep order: a write is a snapshot, a read waits, a free waits for the kernels before it', async () => {
    const d = new Device(new NativeBackend({ threads: 1, asynchronous: true }));
    const src = new Float32Array([1, -2, 3, -4]);
    const x = Tensor.empty(d, [4]);
    const y = Tensor.full(d, [4], Number.NaN);
    d.backend.write(x.buffer, src);
    src.fill(9); // after write() returned: must not reach the device
    d.kernels.relu({ x: x.buffer, y: y.buffer }, { length: 4 });
    d.backend.free(x.buffer); // queued behind relu, which still reads x
    expect([...(await d.backend.read(y.buffer))]).toEqual([1, 0, 3, 0]);
    expect(() => d.backend.write(y.buffer, new Float32Array(5))).toThrow(
      'native:0 write: [0, 5) is outside the buffer of 4 elements',
    );
    d.backend.dispose();
  });

  it('sync waits for the work enqueued before it, not after (a transfer must not wait for later work)', async () => {
    const d = new Device(new NativeBackend({ threads: 1, asynchronous: true }));
    const run = bigConv(d);
    await d.backend.sync();
    run();
    const first = d.backend.sync();
    for (let i = 0; i < 4; i++) run();
    await first;
    expect(inFlight.now).toBe(1); // the second convolution started as the first ended; three wait
    await d.backend.sync();
    expect(inFlight.now).toBe(0);
    d.backend.dispose();
  });

  it('report a failure inside the queue at the next sync, with the C error message', async () => {
    const d = new Device(new NativeBackend({ threads: 1, asynchronous: true }));
    const logits = Tensor.full(d, [2, 3], 0.5);
    const labels = Tensor.fromArray(d, [2], [0, 7]);
    const loss = Tensor.empty(d, [2]);
    const dl = Tensor.empty(d, [2, 3]);
    d.kernels.softmaxCrossEntropy(
      { logits: logits.buffer, labels: labels.buffer, loss: loss.buffer, dlogits: dl.buffer },
      { n: 2, classes: 3, gradScale: 0.5 },
    );
    await expect(d.backend.sync()).rejects.toThrow('label 7 of example 1 is not a class index in [0, 3)');
    await expect(d.backend.sync()).resolves.toBeUndefined(); // reported once
    d.backend.dispose();
  });

  it('from the provider: one device alone is synchronous on every core; two share the cores, queued', async () => {
    registerBackend(backendProvider);
    const cores = (await import('node:os')).cpus().length;
    const env = process.env.ALEXNET_NATIVE_THREADS;
    const all = env ? Number(env) : cores;
    const b0 = backendProvider.create(5) as NativeBackend;
    expect([b0.asynchronous, b0.threads]).toEqual([false, all]);
    const b1 = backendProvider.create(6) as NativeBackend;
    const each = env ? Number(env) : Math.max(1, Math.floor(cores / 2));
    expect([b0.asynchronous, b1.asynchronous]).toEqual([true, true]);
    await b0.sync(); // the pool is re-sized in queue order
    expect([b0.threads, b1.threads]).toEqual([each, each]);
    expect(b0.capabilities.description).toMatch(/queued\)$/);
    b1.dispose();
    await b0.sync();
    expect([b0.asynchronous, b0.threads]).toEqual([true, all]); // queued for good, every core again
    b0.dispose();
    expect((await getDevice('native:0')).kind).toBe('native');
  });
});
