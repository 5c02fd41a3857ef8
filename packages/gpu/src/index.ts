/**
 * @alexnet/gpu — the gpu.js backend: every kernel of contract v1 as gpu.js kernels, running on
 * WebGPU or WebGL2 in a browser, WebGPU (Dawn) or headless-gl in Node, and gpu.js's cpu/webasm
 * modes (on the CPU, for CI). No Node built-ins are imported here, so it bundles for the browser.
 */
export { createGpuBackend, GpuBackend, type GpuBackendOptions } from './backend.js';
export {
  AUTO_ORDER,
  DEVICE_MODES,
  describeMode,
  GPU_MODES,
  type GpuMode,
  isDeviceMode,
  modeUnavailableReason,
} from './modes.js';
export { backendProvider } from './provider.js';
