/**
 * @alexnet/cuda — the CUDA backend: hand-written CUDA C kernels, prebuilt into a fatbin, launched
 * through the NVIDIA driver API (libcuda) with koffi. Only the NVIDIA driver is needed at run time.
 */
export { CudaBackend, type CudaBackendOptions, type CudaMemoryStats } from './backend.js';
export { deviceSlots, gpuForIndex, TOWERS_ON_ONE_GPU_ENV } from './devices.js';
export type { AllocatorStats } from './driver/allocator.js';
export { type GpuInfo, gpuInfo, probeDriver } from './driver/context.js';
export { CudaError } from './driver/errors.js';
export { LIBRARY_ENV } from './driver/library.js';
export { fatbinPath } from './driver/module.js';
export { backendProvider } from './provider.js';
