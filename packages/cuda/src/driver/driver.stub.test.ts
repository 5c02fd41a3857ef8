import { describe, expect, it } from 'vitest';
import { STUB_NAME, useStubDriver } from '../../test/stub.js';
import { deviceCount, gpuInfo, openDriver, PrimaryContext } from './context.js';
import { CudaError, callOut } from './errors.js';
import { CudaEvent } from './event.js';
import { PinnedPool } from './pinned.js';
import { CudaStream } from './stream.js';

// 1 MiB of "device memory" so out-of-memory can be provoked.
const skip = useStubDriver({ STUB_MEM_LIMIT: String(1 << 20), STUB_EVENT_DELAY: '3' }, { kernels: false });

describe.skipIf(skip !== null)(`driver calls through koffi (${STUB_NAME})`, () => {
  it('initialises, counts devices and reads a device description', () => {
    const d = openDriver();
    expect(d.isStub).toBe(true);
    expect(deviceCount(d)).toBe(1);
    const g = gpuInfo(d, 0);
    expect(g.name).toBe('Stub GPU 0 (CPU emulation)');
    expect(g.computeCapability).toEqual([9, 0]);
    expect(g.totalMemoryBytes).toBe(1 << 20);
    expect(g.driverVersion).toBe(13000);
  });

  it('turns a failing call into a CudaError with the driver’s name and text', () => {
    const d = openDriver();
    const ctx = new PrimaryContext(d, 0);
    try {
      expect(() => callOut<bigint>(d, 'cuMemAlloc', d.cuMemAlloc, 2 << 20)).toThrow(
        'cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory',
      );
      expect(() => gpuInfo(d, 7)).toThrow(CudaError);
      expect(() => gpuInfo(d, 7)).toThrow(/cuDeviceGet failed: CUDA_ERROR_INVALID_DEVICE \(101\)/);
    } finally {
      ctx.release();
    }
  });

  it('round-trips data through pinned staging buffers and async copies, waiting on events by polling', async () => {
    const d = openDriver();
    const ctx = new PrimaryContext(d, 0);
    const stream = new CudaStream(ctx);
    const pool = new PinnedPool(ctx);
    try {
      const n = 1000;
      const dev = callOut<bigint>(d, 'cuMemAlloc', d.cuMemAlloc, n * 4);
      const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
      const up = pool.acquire(n * 4);
      new Float32Array(up.bytes, 0, n).set(src);
      expect(d.cuMemcpyHtoDAsync(dev, up.ptr, n * 4, stream.handle)).toBe(0);
      pool.release(up, stream);
      // The staging buffer is busy until its event completes (the stub answers NOT_READY 3 times).
      const other = pool.acquire(n * 4);
      expect(other).not.toBe(up);
      const done = new CudaEvent(ctx);
      expect(d.cuMemcpyDtoHAsync(other.ptr, dev, n * 4, stream.handle)).toBe(0);
      done.record(stream);
      expect(done.done()).toBe(false);
      await done.wait();
      expect(new Float32Array(other.bytes, 0, n)).toEqual(src);
      done.destroy();
      expect(d.cuMemFree(dev)).toBe(0);
    } finally {
      pool.dispose();
      stream.destroy();
      ctx.release();
    }
  });
});

if (skip) describe.skip(`driver calls through koffi (${STUB_NAME}): ${skip}`, () => {});
