import * as gpujs from 'gpu.js';
import { CPUKernel, GPU, HeadlessGLKernel, WebAssemblyKernel, WebGL2Kernel, WebGLKernel } from 'gpu.js';

// gpu.js exports WebGPUKernel at run time but its typings omit it.
const { WebGPUKernel } = gpujs as unknown as { WebGPUKernel: abstract new (...args: never[]) => unknown };

/** The gpu.js modes this backend can run in. */
export type GpuMode = 'cpu' | 'webasm' | 'headlessgl' | 'webgl2' | 'webgl' | 'webgpu';

export const GPU_MODES: readonly GpuMode[] = ['cpu', 'webasm', 'headlessgl', 'webgl2', 'webgl', 'webgpu'];

/** Modes that run on a graphics device (a software rasteriser such as SwiftShader still counts). */
export const DEVICE_MODES: readonly GpuMode[] = ['webgpu', 'webgl2', 'webgl', 'headlessgl'];

/** Order in which `mode: 'auto'` tries the modes: device modes first, webasm as the CPU last resort. */
export const AUTO_ORDER: readonly GpuMode[] = ['webgpu', 'webgl2', 'headlessgl', 'webgl', 'webasm'];

export function isDeviceMode(mode: GpuMode): boolean {
  return DEVICE_MODES.includes(mode);
}

/** The one-line description shown by device selection; never calls a CPU mode a GPU. */
export function describeMode(mode: GpuMode): string {
  switch (mode) {
    case 'cpu':
      return 'gpu.js cpu mode — plain JavaScript on the CPU, not a GPU (float64 arithmetic)';
    case 'webasm':
      return 'gpu.js webasm mode — runs on the CPU (WebAssembly SIMD, float32), not a GPU';
    case 'headlessgl':
      return 'gpu.js headlessgl mode — WebGL 1 through the `gl` package (float32)';
    case 'webgl2':
      return 'gpu.js webgl2 mode — WebGL 2 fragment shaders (float32)';
    case 'webgl':
      return 'gpu.js webgl mode — WebGL 1 fragment shaders (float32)';
    case 'webgpu':
      return 'gpu.js webgpu mode — WebGPU compute shaders (float32)';
  }
}

interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<unknown> };
}

function navigatorGpu(): NavigatorWithGpu['gpu'] {
  const nav = (globalThis as { navigator?: NavigatorWithGpu }).navigator;
  return nav?.gpu;
}

/**
 * In Node there is no `navigator.gpu`; the `webgpu` package (Dawn bindings, an optional peer the
 * caller installs) provides one when a Vulkan/Metal/D3D driver exists. Loaded only when asked for,
 * through a dynamic import, so browser bundles never see it.
 */
async function installNodeWebGpu(): Promise<string | null> {
  if (navigatorGpu()) return null;
  if (typeof process === 'undefined' || !process.versions?.node) return 'this browser has no navigator.gpu';
  const specifier = 'webgpu';
  let mod: { create?: (flags: string[]) => unknown; globals?: Record<string, unknown> };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (err) {
    return `the 'webgpu' npm package (Dawn) could not be loaded: ${(err as Error).message}`;
  }
  if (typeof mod.create !== 'function') return "the 'webgpu' package has no create() export";
  if (mod.globals) Object.assign(globalThis, mod.globals);
  const g = globalThis as { navigator?: object };
  const gpu = mod.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  return null;
}

/** Null when `mode` can run here, otherwise the reason it cannot. */
export async function modeUnavailableReason(mode: GpuMode): Promise<string | null> {
  switch (mode) {
    case 'cpu':
      return null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? null : 'WebAssembly is not available';
    case 'headlessgl':
      return GPU.isHeadlessGLSupported
        ? null
        : "headless-gl could not create a context (the optional 'gl' package must be built, and it needs an X display, e.g. xvfb-run)";
    case 'webgl2':
      return GPU.isWebGL2Supported ? null : 'no WebGL2 context (not a browser, or WebGL2 is disabled)';
    case 'webgl':
      return GPU.isWebGLSupported ? null : 'no WebGL context (not a browser, or WebGL is disabled)';
    case 'webgpu': {
      const why = await installNodeWebGpu();
      if (why) return why;
      const gpu = navigatorGpu();
      if (!gpu) return 'navigator.gpu is missing';
      try {
        const adapter = await gpu.requestAdapter();
        return adapter ? null : 'navigator.gpu.requestAdapter() returned no adapter';
      } catch (err) {
        return `navigator.gpu.requestAdapter() failed: ${(err as Error).message}`;
      }
    }
  }
}

/**
 * The mode of the kernel that actually ran. gpu.js swaps a CPU kernel in when a mode cannot build a
 * kernel (and every GL class reports its mode as 'gpu'), so the class of the running kernel decides.
 * instanceof, not class names: a minifying browser bundle renames classes.
 */
export function ranMode(kernel: { kernel: unknown }): GpuMode | 'unknown' {
  const k = kernel.kernel;
  if (k instanceof HeadlessGLKernel) return 'headlessgl';
  if (k instanceof WebGL2Kernel) return 'webgl2';
  if (k instanceof WebGLKernel) return 'webgl';
  if (k instanceof WebGPUKernel) return 'webgpu';
  if (k instanceof WebAssemblyKernel) return 'webasm';
  if (k instanceof CPUKernel) return 'cpu';
  return 'unknown';
}
