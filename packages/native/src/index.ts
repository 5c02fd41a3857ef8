/**
 * @alexnet/native — the hand-tuned CPU backend: C kernels (packed SGEMM with AVX-512 / AVX2 / portable
 * micro-kernels chosen at run time, im2col convolutions, a pthread pool) loaded through koffi.
 */
export { type ConvSplit, NativeBackend, type NativeBackendOptions } from './backend.js';
export { LIBRARY_PATH, nativeUnavailableReason } from './library.js';
export { backendProvider } from './provider.js';
