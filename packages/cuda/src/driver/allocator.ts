/**
 * A caching device allocator. cuMemAlloc/cuMemFree are slow and cuMemFree synchronises the device,
 * so freed blocks go to per-size-class free lists and are handed out again. Reuse is safe without
 * events because a backend's buffers are only used on its own stream (stream order makes the old
 * user finish first); cross-stream users (peer copies) join the streams with events. Cached blocks
 * are returned to the driver on `trim()` (after the stream is idle), on dispose, and when cuMemAlloc
 * reports out-of-memory (trim, then one retry).
 */
import { ArgumentError, type BufferHandle, type MemoryStats, ShapeError } from '@alexnet/tensor';
import { CUDA_ERROR_OUT_OF_MEMORY, CudaError } from './errors.js';

/** The raw device memory calls the allocator needs (cuMemAlloc / cuMemFree in the backend). */
export interface DeviceMemory {
  alloc(bytes: number): bigint;
  free(ptr: bigint): void;
}

/** A device buffer of float32 elements. */
export class CudaBuffer implements BufferHandle {
  freed = false;
  constructor(
    readonly device: string,
    readonly length: number,
    /** Device address of element 0. */
    readonly ptr: bigint,
    /** Bytes of the block behind it (its size class). */
    readonly blockBytes: number,
  ) {}
}

export interface AllocatorStats extends MemoryStats {
  /** Bytes in freed blocks kept for reuse. */
  cachedBytes: number;
  /** Bytes obtained from the driver and not yet returned (in use, rounded, plus cached). */
  reservedBytes: number;
  /** cuMemAlloc calls made. */
  driverAllocs: number;
  /** Allocations served from the cache. */
  cacheHits: number;
}

const MIN_BLOCK = 512;

/** The block size for a request: 512-byte granules, then four classes per power of two (≤ 25 % waste). */
export function sizeClass(bytes: number): number {
  if (bytes <= 4 * MIN_BLOCK) return Math.max(MIN_BLOCK, Math.ceil(bytes / MIN_BLOCK) * MIN_BLOCK);
  const pow = 2 ** Math.floor(Math.log2(bytes));
  const step = pow / 4;
  return Math.ceil(bytes / step) * step;
}

export class CachingAllocator {
  private readonly live = new Set<CudaBuffer>();
  private readonly cache = new Map<number, bigint[]>();
  private bytesInUse = 0;
  private peak = 0;
  private cached = 0;
  private reserved = 0;
  private driverAllocs = 0;
  private cacheHits = 0;

  constructor(
    readonly device: string,
    private readonly memory: DeviceMemory,
    /** Called before blocks go back to the driver (the backend waits for its stream to be idle). */
    private readonly beforeRelease: () => void = () => {},
  ) {}

  alloc(length: number, maxLength: number): CudaBuffer {
    if (!Number.isInteger(length) || length < 0) {
      throw new ArgumentError(`${this.device} alloc: length must be an integer ≥ 0, got ${length}`);
    }
    if (length > maxLength) {
      throw new ShapeError(`${this.device} alloc: ${length} elements exceeds the maximum ${maxLength}`);
    }
    const blockBytes = sizeClass(length * 4);
    const list = this.cache.get(blockBytes);
    let ptr = list?.pop();
    if (ptr !== undefined) {
      this.cached -= blockBytes;
      this.cacheHits++;
    } else {
      ptr = this.fresh(blockBytes);
    }
    const buf = new CudaBuffer(this.device, length, ptr, blockBytes);
    this.live.add(buf);
    this.bytesInUse += length * 4;
    this.peak = Math.max(this.peak, this.bytesInUse);
    return buf;
  }

  /** The live buffer behind a handle, after checking it belongs to this device. */
  resolve(buf: BufferHandle): CudaBuffer {
    if (!(buf instanceof CudaBuffer)) {
      throw new ArgumentError(`${this.device}: not a CUDA buffer (device ${String(buf?.device)})`);
    }
    if (buf.device !== this.device || !this.live.has(buf)) {
      if (buf.freed)
        throw new ArgumentError(`${this.device}: buffer of ${buf.length} elements was already freed`);
      throw new ArgumentError(`${this.device}: buffer belongs to ${buf.device}`);
    }
    return buf;
  }

  free(handle: BufferHandle): void {
    const buf = this.resolve(handle);
    buf.freed = true;
    this.live.delete(buf);
    this.bytesInUse -= buf.length * 4;
    this.keep(buf);
  }

  /** Returns every cached block to the driver. */
  trim(): void {
    if (this.cached === 0) return;
    this.beforeRelease();
    for (const [bytes, list] of this.cache) {
      for (const ptr of list) {
        this.memory.free(ptr);
        this.reserved -= bytes;
      }
    }
    this.cache.clear();
    this.cached = 0;
  }

  /** Frees everything, live buffers included (the handles become unusable). */
  dispose(): void {
    for (const b of this.live) {
      b.freed = true;
      this.keep(b);
    }
    this.live.clear();
    this.bytesInUse = 0;
    this.trim();
  }

  stats(): AllocatorStats {
    return {
      bytesInUse: this.bytesInUse,
      peakBytesInUse: this.peak,
      liveBuffers: this.live.size,
      cachedBytes: this.cached,
      reservedBytes: this.reserved,
      driverAllocs: this.driverAllocs,
      cacheHits: this.cacheHits,
    };
  }

  private keep(buf: CudaBuffer): void {
    const list = this.cache.get(buf.blockBytes);
    if (list) list.push(buf.ptr);
    else this.cache.set(buf.blockBytes, [buf.ptr]);
    this.cached += buf.blockBytes;
  }

  private fresh(bytes: number): bigint {
    let ptr: bigint;
    try {
      ptr = this.memory.alloc(bytes);
    } catch (e) {
      if (!(e instanceof CudaError) || e.code !== CUDA_ERROR_OUT_OF_MEMORY || this.cached === 0) throw e;
      this.trim(); // out of memory with blocks cached: give them back and try once more
      ptr = this.memory.alloc(bytes);
    }
    this.driverAllocs++;
    this.reserved += bytes;
    return ptr;
  }
}
