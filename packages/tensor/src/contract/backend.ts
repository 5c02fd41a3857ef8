import type { BufferHandle, CopyRegion, MemoryStats } from './buffer.js';
import type { KernelName, KernelTableV1 } from './kernels.js';

export type Precision = 'float32' | 'float64';

/**
 * What a backend can and cannot do, stated up front. A backend never falls back to another backend
 * inside a kernel: what it cannot run is listed in `unsupported` (with a reason) and its kernel
 * throws `UnsupportedKernelError`.
 */
export interface CapabilitiesV1 {
  /** Arithmetic the backend computes in (the reference backend offers float64 for gradient checks). */
  readonly precision: Precision;
  /** True when kernels return before the work is done (GPU streams); `sync()` then waits. */
  readonly asynchronous: boolean;
  /** True when `peerCopy` can move data from another device of the same backend kind directly. */
  readonly peerCopy: boolean;
  /** Largest buffer in elements the backend can allocate. */
  readonly maxBufferLength: number;
  /** Kernels the backend does not implement, each with the reason. */
  readonly unsupported: Readonly<Partial<Record<KernelName, string>>>;
  /** One line saying what actually runs (e.g. 'plain TypeScript, float64'), shown by device selection. */
  readonly description: string;
}

/**
 * Backend contract v1: storage plus a typed table of kernels. One instance serves one device
 * (`device` is its name, e.g. 'cuda:1'). See kernels.ts for the kernel semantics.
 */
export interface BackendV1 {
  readonly contract: 'v1';
  /** Backend kind, the part before ':' in a device name ('ref', 'native', 'gpu', 'cuda'). */
  readonly kind: string;
  /** Device name, `${kind}:${index}`. */
  readonly device: string;
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;

  /** A new buffer of `length` elements; contents are unspecified until written. */
  alloc(length: number): BufferHandle;
  free(buf: BufferHandle): void;
  /** Enqueues a copy of `data` into `buf` at `offset`; `data` may be reused as soon as this returns. */
  write(buf: BufferHandle, data: Float32Array | Float64Array, offset?: number): void;
  /** Waits for queued work, then returns a copy of `length` elements from `offset`. */
  read(buf: BufferHandle, offset?: number, length?: number): Promise<Float32Array>;
  /** Enqueues a copy between two buffers of this device. */
  copy(src: BufferHandle, dst: BufferHandle, region?: CopyRegion): void;
  /** Enqueues a fill of `length` elements from `offset` with `value`. */
  fill(buf: BufferHandle, value: number, offset?: number, length?: number): void;
  /** Resolves when all enqueued work has finished. */
  sync(): Promise<void>;
  memory(): MemoryStats;
  /**
   * Copies from a buffer of another device of the same kind without staging through the host
   * (CUDA peer copy). Present only when `capabilities.peerCopy` is true.
   */
  peerCopy?(src: BufferHandle, srcBackend: BackendV1, dst: BufferHandle, region?: CopyRegion): void;
  /** Frees everything the backend holds; the backend is unusable afterwards. */
  dispose(): void;
}
