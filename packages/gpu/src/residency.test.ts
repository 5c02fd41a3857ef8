/**
 * Tensors stay on the device between kernels in the device modes: a small forward pass (conv → relu
 * in place → LRN → max-pool → split → relu → concat → copy (flatten) → gemm → bias in place → softmax) must match the
 * reference backend while the transfer counters show no host round trip for any intermediate — only
 * the uploads of the input and parameters and one download for the final read. In cpu/webasm modes
 * (host storage) the same chain runs and the counters stay zero. webgpu runs where scripts/modes.sh
 * set up Dawn; the browser harness (scripts/browser) runs the same chain in webgl2/webgpu.
 */
import type { BackendV1, BufferHandle } from '@alexnet/tensor';
import { ReferenceBackend } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { createGpuBackend } from './backend.js';
import type { GpuMode } from './modes.js';
import { CHAIN_PARAMETERS, runChain } from './residency-chain.js';
import { installWebGpu, WEBGPU_MODULE } from './webgpu-test-support.js';

const modes: GpuMode[] = ['cpu', 'webasm', ...(WEBGPU_MODULE ? (['webgpu'] as const) : [])];

async function chainOn(backend: BackendV1): Promise<{ out: Float32Array; bufs: BufferHandle[] }> {
  return runChain(backend, 7);
}

for (const mode of modes) {
  describe(`gpu.js ${mode}: tensors stay on the device between kernels`, () => {
    it('a conv → … → softmax chain matches the reference with no intermediate round trip', async () => {
      if (mode === 'webgpu') await installWebGpu();
      const ref = new ReferenceBackend();
      const want = (await chainOn(ref)).out;
      const gpu = await createGpuBackend({ mode });
      const before = gpu.stats();
      const { out, bufs } = await chainOn(gpu);
      const after = gpu.stats();
      expect(out.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThan(1e-5);
      if (gpu.onDevice) {
        // The one download is the final read; every kernel argument that a kernel produced came
        // from the device, every result stayed there.
        expect(after.downloads - before.downloads).toBe(1);
        expect(after.downloadsBy).toEqual({
          ...before.downloadsBy,
          read: (before.downloadsBy.read ?? 0) + 1,
        });
        // Uploads: the input and the parameters (each upload is one kernel argument view of host data).
        expect(after.uploads - before.uploads).toBe(1 + CHAIN_PARAMETERS);
        expect(after.deviceResults - before.deviceResults).toBe(14);
        // 15 intermediates + the input and 4 parameters, each read from its device copy.
        expect(after.deviceArguments - before.deviceArguments).toBe(20);
        // conv's result (bufs[3]) lives only on the device: host-memory access is an error, not stale data.
        expect(() => gpu.array(bufs[3]!)).toThrow(/on the device/);
      } else {
        expect(after).toEqual({
          uploads: 0,
          downloads: 0,
          deviceArguments: 0,
          deviceResults: 0,
          downloadsBy: {},
          liveHandles: 0,
        });
      }
      for (const b of bufs) gpu.free(b);
      await gpu.sync();
      // free() deletes every device handle: none leaks.
      expect(gpu.stats().liveHandles).toBe(0);
      gpu.dispose();
      ref.dispose();
    });

    it('keeps no device copy of the host arrays dropout and SGD make per call (no leak)', async () => {
      if (mode === 'webgpu') await installWebGpu();
      const gpu = await createGpuBackend({ mode });
      const n = 777;
      const bufs = [0, 1, 2, 3, 4].map(() => gpu.alloc(n));
      const [x, y, mask, w, v] = bufs as [
        BufferHandle,
        BufferHandle,
        BufferHandle,
        BufferHandle,
        BufferHandle,
      ];
      for (const [i, b] of bufs.entries())
        gpu.write(
          b,
          Float32Array.from({ length: n }, (_, j) => Math.cos(i + j)),
        );
      const handles0 = gpu.stats().liveHandles;
      for (let step = 0; step < 3; step++) {
        gpu.kernels.dropoutForward({ x, y, mask }, { length: n, p: 0.5, seed: 3, offset: step * n });
        gpu.kernels.sgdUpdate({ w, grad: y, v }, { length: n, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
      }
      await gpu.sync();
      // Per buffer at most one device copy, whatever the number of steps.
      expect(gpu.stats().liveHandles - handles0).toBeLessThanOrEqual(gpu.onDevice ? bufs.length : 0);
      for (const b of bufs) gpu.free(b);
      await gpu.sync();
      expect(gpu.stats().liveHandles).toBe(0);
      gpu.dispose();
    });

    it('uploads a host-written buffer once, until it is written again', async () => {
      if (mode === 'webgpu') await installWebGpu();
      const gpu = await createGpuBackend({ mode });
      const n = 1000;
      const x = gpu.alloc(n);
      const y = gpu.alloc(n);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
      gpu.write(x, data);
      const uploads = () => gpu.stats().uploads;
      const u0 = uploads();
      const expectRelu = async (src: Float32Array) => {
        gpu.fill(y, Number.NaN);
        gpu.kernels.relu({ x, y }, { length: n });
        const got = await gpu.read(y);
        for (let i = 0; i < n; i++) expect(got[i]! + 0).toBe(Math.max(0, src[i]!) + 0); // +0: -0 and 0 are equal here
      };
      await expectRelu(data);
      await expectRelu(data);
      expect(uploads() - u0).toBe(gpu.onDevice ? 1 : 0);
      const other = data.map((v) => -v);
      gpu.write(x, other); // replaces the device copy: the next kernel uploads again
      await expectRelu(other);
      expect(uploads() - u0).toBe(gpu.onDevice ? 2 : 0);
      gpu.free(x);
      gpu.free(y);
      await gpu.sync();
      expect(gpu.stats().liveHandles).toBe(0);
      gpu.dispose();
    });
  });
}
