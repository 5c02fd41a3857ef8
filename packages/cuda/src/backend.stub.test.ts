import { ReferenceBackend } from '@alexnet/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STUB_NAME, useStubDriver } from '../test/stub.js';
import { CudaBackend } from './backend.js';
import { CudaError } from './driver/errors.js';
import { backendProvider } from './provider.js';

const skip = useStubDriver({ STUB_MEM_LIMIT: String(64 << 20) });

/** Deterministic values that are never zero (a kernel that writes nothing cannot pass). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 2 + 0.01);
}

describe.skipIf(skip !== null)(`CudaBackend storage and kernels (${STUB_NAME})`, () => {
  let a: CudaBackend;
  let b: CudaBackend;
  beforeAll(() => {
    a = new CudaBackend({ index: 0 });
    b = new CudaBackend({ index: 1 });
  });
  afterAll(() => {
    a?.dispose();
    b?.dispose();
  });

  it('describes itself and is found by the provider (cuda:0 and cuda:1 share the one GPU)', () => {
    expect(a.kind).toBe('cuda');
    expect(a.device).toBe('cuda:0');
    expect(a.capabilities).toMatchObject({
      precision: 'float32',
      asynchronous: true,
      peerCopy: true,
      unsupported: {},
    });
    expect(a.capabilities.description).toMatch(
      /^STUB DRIVER, CPU emulation \(plumbing only\): Stub GPU 0 .*sm_90.*driver 13\.0/,
    );
    const p = backendProvider.probe() as { available: boolean; devices: number; detail: string };
    expect(p.available).toBe(true);
    expect(p.devices).toBe(2);
    expect(p.detail).toMatch(/STUB DRIVER.*Stub GPU 0/);
  });

  it('write / read with offsets, float64 input, copy, fill', async () => {
    const x = a.alloc(100);
    const y = a.alloc(100);
    const v = values(100, 1);
    a.write(x, v);
    a.write(x, new Float64Array([1.25, -2.5]), 10);
    const expected = v.slice();
    expected[10] = 1.25;
    expected[11] = -2.5;
    expect(await a.read(x)).toEqual(expected);
    expect(await a.read(x, 9, 4)).toEqual(expected.slice(9, 13));
    a.fill(y, -7.5);
    a.fill(y, 3, 50, 5);
    a.copy(x, y, { srcOffset: 20, dstOffset: 90, length: 10 });
    const got = await a.read(y);
    expect(got.slice(0, 50)).toEqual(new Float32Array(50).fill(-7.5));
    expect(got.slice(50, 55)).toEqual(new Float32Array(5).fill(3));
    expect(got.slice(90)).toEqual(expected.slice(20, 30));
    expect(() => a.write(x, v, 1)).toThrow(/elements \[1, 101\) exceed the buffer's 100/);
    await expect(a.read(x, 0, 101)).rejects.toThrow(/exceed/);
    a.free(x);
    a.free(y);
  });

  it('peer copies between cuda:0 and cuda:1 (two streams on one GPU, joined by events)', async () => {
    const x = a.alloc(64);
    const y = b.alloc(64);
    const v = values(64, 2);
    a.write(x, v);
    b.fill(y, 0.5);
    b.peerCopy(x, a, y, { srcOffset: 8, dstOffset: 0, length: 32 });
    const got = await b.read(y);
    expect(got.slice(0, 32)).toEqual(v.slice(8, 40));
    expect(got.slice(32)).toEqual(new Float32Array(32).fill(0.5));
    expect(() => a.free(y)).toThrow(/cuda:0: buffer belongs to cuda:1/);
    a.free(x);
    b.free(y);
  });

  it('memory(): live buffers and bytes, cached blocks reused', () => {
    const before = a.memory();
    const x = a.alloc(1000);
    expect(a.memory().liveBuffers).toBe(before.liveBuffers + 1);
    expect(a.memory().bytesInUse).toBe(before.bytesInUse + 4000);
    a.free(x);
    const allocs = a.memory().driverAllocs;
    const y = a.alloc(1000);
    expect(a.memory().driverAllocs).toBe(allocs);
    expect(a.memory().cacheHits).toBeGreaterThan(before.cacheHits);
    a.free(y);
    a.trim();
    expect(a.memory().cachedBytes).toBe(0);
  });

  it('an allocation beyond the device memory fails with the driver’s error', () => {
    const x = a.alloc(12 << 20); // 48 MiB of the stub's 64 MiB
    let err: unknown;
    try {
      a.alloc(12 << 20);
    } catch (e) {
      err = e;
    }
    a.free(x);
    expect(err).toBeInstanceOf(CudaError);
    expect((err as CudaError).errorName).toBe('CUDA_ERROR_OUT_OF_MEMORY');
    expect((err as CudaError).call).toBe('cuMemAlloc');
    // The freed 48 MiB block is cached; a different size class only fits after the cache is trimmed.
    const y = a.alloc(13 << 20);
    expect(a.memory().cachedBytes).toBe(0);
    a.free(y);
  });

  it('gemm, conv2dForward and relu through cuLaunchKernel equal the reference', async () => {
    const ref = new ReferenceBackend();
    const run = async (
      be: CudaBackend | ReferenceBackend,
      kernel: (h: Record<string, ReturnType<typeof be.alloc>>) => void,
    ) => {
      const h = {
        a: be.alloc(6 * 5),
        b: be.alloc(5 * 7),
        c: be.alloc(6 * 7),
        x: be.alloc(2 * 3 * 9 * 9),
        w: be.alloc(4 * 3 * 3 * 3),
        bias: be.alloc(4),
        y: be.alloc(2 * 4 * 5 * 5),
        r: be.alloc(2 * 4 * 5 * 5),
      };
      be.write(h.a, values(30, 3));
      be.write(h.b, values(35, 4));
      be.write(h.c, values(42, 5));
      be.write(h.x, values(486, 6));
      be.write(h.w, values(108, 7));
      be.write(h.bias, values(4, 8));
      be.fill(h.y, Number.NaN); // poison: every output element must be written
      be.fill(h.r, Number.NaN);
      kernel(h);
      const out = { c: await be.read(h.c), y: await be.read(h.y), r: await be.read(h.r) };
      for (const buf of Object.values(h)) be.free(buf);
      return out;
    };
    const kernels =
      (be: CudaBackend | ReferenceBackend) => (h: Record<string, ReturnType<typeof be.alloc>>) => {
        be.kernels.gemm(
          { a: h.a!, b: h.b!, c: h.c! },
          { transA: false, transB: false, m: 6, n: 7, k: 5, alpha: 1.5, beta: 0.5 },
        );
        const conv = { n: 2, c: 3, h: 9, w: 9, outC: 4, kh: 3, kw: 3, stride: 2, pad: 1, groups: 1 };
        be.kernels.conv2dForward({ x: h.x!, w: h.w!, bias: h.bias!, y: h.y! }, conv);
        be.kernels.relu({ x: h.y!, y: h.r! }, { length: 200 });
      };
    const want = await run(ref, kernels(ref));
    const got = await run(a, kernels(a));
    for (const k of ['c', 'y', 'r'] as const) {
      expect(got[k].every(Number.isFinite), `${k} fully written`).toBe(true);
      for (let i = 0; i < want[k].length; i++) expect(got[k][i]).toBeCloseTo(want[k][i]!, 4);
    }
    ref.dispose();
  });

  it('refuses use after dispose', () => {
    const c = new CudaBackend({ index: 1 });
    const x = c.alloc(4);
    c.dispose();
    expect(() => c.alloc(4)).toThrow(/cuda:1 has been disposed/);
    expect(() => c.free(x)).toThrow(/disposed/);
  });
});

if (skip) describe.skip(`CudaBackend (${STUB_NAME}): ${skip}`, () => {});
