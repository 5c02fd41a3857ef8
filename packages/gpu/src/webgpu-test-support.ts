/**
 * Test support: gpu.js webgpu mode in Node needs `navigator.gpu`, which the `webgpu` npm package
 * (Dawn) provides when a Vulkan driver exists. CI has neither, so tests use it only when
 * ALEXNET_GPU_WEBGPU_MODULE names the package's index.js (scripts/modes.sh sets it up).
 */
export const WEBGPU_MODULE = process.env.ALEXNET_GPU_WEBGPU_MODULE;

let installed = false;

/** Installs Dawn's `navigator.gpu` once per process (a second Dawn instance aborts the process). */
export async function installWebGpu(): Promise<void> {
  if (!WEBGPU_MODULE) throw new Error('ALEXNET_GPU_WEBGPU_MODULE is not set');
  if (installed) return;
  installed = true;
  const webgpu = (await import(WEBGPU_MODULE)) as {
    create(flags: string[]): unknown;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, webgpu.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true });
}
