import { describe, expect, it } from 'vitest';
import { CachingAllocator, type DeviceMemory, sizeClass } from './allocator.js';
import { CudaError } from './errors.js';

/** A fake device: addresses count up; `limit` bytes may be live at once (beyond: CUDA_ERROR_OUT_OF_MEMORY). */
function fakeMemory(limit = Number.POSITIVE_INFINITY) {
  let next = 0x1000n;
  const live = new Map<bigint, number>();
  const calls = { alloc: 0, free: 0 };
  const mem: DeviceMemory = {
    alloc(bytes) {
      calls.alloc++;
      const used = [...live.values()].reduce((s, b) => s + b, 0);
      if (used + bytes > limit)
        throw new CudaError(2, 'cuMemAlloc', 'CUDA_ERROR_OUT_OF_MEMORY', 'out of memory');
      const p = next;
      next += BigInt(bytes);
      live.set(p, bytes);
      return p;
    },
    free(ptr) {
      calls.free++;
      if (!live.delete(ptr)) throw new Error('double free');
    },
  };
  return { mem, live, calls };
}

describe('caching device allocator', () => {
  it('size classes: 512-byte granules, then at most 25 % rounding', () => {
    expect(sizeClass(0)).toBe(512);
    expect(sizeClass(4)).toBe(512);
    expect(sizeClass(513)).toBe(1024);
    for (const b of [3000, 12_345, 1_000_001, 55 * 55 * 96 * 128 * 4]) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c).toBeLessThanOrEqual(b * 1.25 + 512);
    }
  });

  it('reuses a freed block of the same class without calling the driver, and counts it', () => {
    const { mem, calls } = fakeMemory();
    const a = new CachingAllocator('cuda:0', mem);
    const x = a.alloc(1000, 2 ** 31);
    a.free(x);
    const y = a.alloc(990, 2 ** 31); // same class (4000 vs 3960 bytes)
    expect(y.ptr).toBe(x.ptr);
    expect(calls.alloc).toBe(1);
    const s = a.stats();
    expect(s).toMatchObject({
      bytesInUse: 3960,
      peakBytesInUse: 4000,
      liveBuffers: 1,
      cacheHits: 1,
      driverAllocs: 1,
    });
    expect(s.cachedBytes).toBe(0);
  });

  it('reports cached bytes, and trim returns them to the driver after the stream is idle', () => {
    const { mem, live } = fakeMemory();
    let idleWaits = 0;
    const a = new CachingAllocator('cuda:0', mem, () => idleWaits++);
    const bufs = [a.alloc(100, 2 ** 31), a.alloc(5000, 2 ** 31)];
    for (const b of bufs) a.free(b);
    expect(a.stats().cachedBytes).toBe(sizeClass(400) + sizeClass(20_000));
    expect(a.stats().liveBuffers).toBe(0);
    a.trim();
    expect(idleWaits).toBe(1);
    expect(live.size).toBe(0);
    expect(a.stats()).toMatchObject({ cachedBytes: 0, reservedBytes: 0 });
  });

  it('on out-of-memory frees the cache and retries once', () => {
    const { mem, calls } = fakeMemory(8192);
    const a = new CachingAllocator('cuda:0', mem);
    a.free(a.alloc(1024, 2 ** 31)); // 4096 bytes cached
    const big = a.alloc(1500, 2 ** 31); // 6000 → 6144: fits only after the cache is freed
    expect(big.length).toBe(1500);
    expect(calls.free).toBe(1);
    expect(() => a.alloc(1500, 2 ** 31)).toThrow(/CUDA_ERROR_OUT_OF_MEMORY/); // nothing cached: the error stands
  });

  it('refuses foreign, freed and non-CUDA buffers with clear errors', () => {
    const { mem } = fakeMemory();
    const a = new CachingAllocator('cuda:0', mem);
    const b = new CachingAllocator('cuda:1', mem);
    const x = b.alloc(10, 2 ** 31);
    expect(() => a.free(x)).toThrow(/cuda:0: buffer belongs to cuda:1/);
    const y = a.alloc(10, 2 ** 31);
    a.free(y);
    expect(() => a.free(y)).toThrow(/already freed/);
    expect(() => a.resolve({ length: 4, device: 'cuda:0' })).toThrow(/not a CUDA buffer/);
    expect(() => a.alloc(-1, 2 ** 31)).toThrow(/integer/);
    expect(() => a.alloc(11, 10)).toThrow(/exceeds the maximum 10/);
  });

  it('dispose frees live and cached blocks', () => {
    const { mem, live } = fakeMemory();
    const a = new CachingAllocator('cuda:0', mem);
    a.alloc(10, 2 ** 31);
    a.free(a.alloc(20_000, 2 ** 31));
    a.dispose();
    expect(live.size).toBe(0);
    expect(a.stats()).toMatchObject({ bytesInUse: 0, liveBuffers: 0, reservedBytes: 0 });
  });
});
