import { GPU } from 'gpu.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuBackend, type GpuBackend } from './backend.js';
import { assertRanIn } from './kernel-cache.js';
import { backendProvider } from './provider.js';

declare function square(v: number): number; // the kernel map's sub-kernel, visible inside gpu.js kernels

// Mode selection says what runs and never falls back silently (Node without a GPU: only cpu/webasm).
describe('gpu.js mode selection', () => {
  const made: GpuBackend[] = [];
  afterAll(() => {
    for (const b of made) b.dispose();
  });

  it('rejects an explicit mode that cannot run here, naming the reason', async () => {
    await expect(createGpuBackend({ mode: 'webgl2' })).rejects.toThrow(
      /gpu\.js mode 'webgl2' cannot run here: no WebGL2 context/,
    );
    await expect(createGpuBackend({ mode: 'headlessgl' })).rejects.toThrow(
      /headless-gl could not create a context/,
    );
    await expect(createGpuBackend({ mode: 'nope' as 'cpu' })).rejects.toThrow(/unknown mode 'nope'/);
  });

  it("'auto' says what it chose and why, and a CPU mode does not call itself a GPU", async () => {
    const b = await createGpuBackend({ mode: 'auto', index: 1 });
    made.push(b);
    // No device mode exists in CI's Node, so auto ends at webasm and says it runs on the CPU.
    expect(b.mode).toBe('webasm');
    expect(b.device).toBe('gpu:1');
    expect(b.onDevice).toBe(false);
    expect(b.selection).toMatch(/^auto chose webasm — no GPU mode is available, so this runs on the CPU/);
    expect(b.selection).toMatch(/'webgl2' cannot run here/);
    expect(b.capabilities.description).toMatch(/^gpu\.js webasm mode — runs on the CPU/);
  });

  it('describes the cpu mode as plain JavaScript on the CPU', async () => {
    const b = await createGpuBackend({ mode: 'cpu' });
    made.push(b);
    expect(b.mode).toBe('cpu');
    expect(b.capabilities.description).toMatch(/cpu mode — plain JavaScript on the CPU, not a GPU/);
  });

  it('turns gpu.js quietly running a kernel on its CPU backend into an error', () => {
    // A real silent fallback: webasm cannot build kernel maps, so gpu.js swaps in its cpu kernel,
    // prints a warning and returns right answers — computed on the CPU. The per-kernel check refuses.
    const gpu = new GPU({ mode: 'webasm' });
    const run = gpu.createKernelMap(
      {
        squares: function square(v: number) {
          return v * v;
        },
      },
      function (this: { thread: { x: number } }, x: number[]) {
        return square(x[this.thread.x]!) + 1;
      },
      { output: [4] },
    );
    run(new Float32Array([1, 2, 3, 4]) as unknown as number[]);
    expect(() => assertRanIn(run, 'webasm', 'kernel map')).toThrow(
      /kernel 'kernel map' ran in gpu\.js mode 'cpu', not 'webasm' \(kernel maps are not supported on the webasm backend\)/,
    );
    // …and a kernel that did run in its mode passes the same check.
    const ok = gpu.createKernel('function (x) { return x[this.thread.x]; }', { output: [4] });
    ok(new Float32Array(4) as unknown as number[]);
    expect(() => assertRanIn(ok, 'webasm', 'copy')).not.toThrow();
    gpu.destroy();
  });

  it('is not offered to auto device selection when only CPU modes exist', async () => {
    expect(backendProvider.kind).toBe('gpu');
    expect(backendProvider.priority).toBe(10);
    const probe = await backendProvider.probe();
    expect(probe.available).toBe(false);
    expect(probe.detail).toMatch(/no gpu\.js device mode here .*cpu\/webasm modes run on the CPU/);
  });
});
