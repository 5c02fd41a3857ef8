import type { BackendV1, Precision } from '../contract/backend.js';
import type { BufferHandle, CopyRegion, MemoryStats } from '../contract/buffer.js';
import { ArgumentError, ShapeError } from '../errors.js';
import type { FloatArray } from '../reference/types.js';
import { assertInteger } from '../shape.js';
import { ArrayCache } from './array-cache.js';

/** A host-memory buffer: the typed array itself, tagged with its device. */
class HostBuffer implements BufferHandle {
  freed = false;
  constructor(
    readonly device: string,
    readonly data: FloatArray,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

/** Largest host buffer (kept within int32 indexing, as GPU backends are). */
export const MAX_HOST_BUFFER_LENGTH = 2 ** 31 - 1;

/**
 * The storage half of BackendV1 for backends whose memory is JavaScript typed arrays: the reference
 * backend and the native CPU backend (whose C kernels receive the arrays zero-copy). Synchronous;
 * freed arrays are kept for reuse by size (see array-cache.ts for why).
 */
export abstract class HostStorage {
  private readonly live = new Set<HostBuffer>();
  private bytes = 0;
  private peak = 0;
  private disposed = false;
  private readonly cache: ArrayCache<FloatArray>;

  constructor(
    readonly device: string,
    readonly precision: Precision,
    cacheBytes = 2 ** 30,
  ) {
    if (precision !== 'float32' && precision !== 'float64') {
      throw new ArgumentError(
        `${device}: precision must be 'float32' or 'float64', got '${String(precision)}'`,
      );
    }
    this.cache = new ArrayCache(cacheBytes);
  }

  /** The typed array behind a handle, after checking it is a live buffer of this device. */
  array(buf: BufferHandle): FloatArray {
    if (this.disposed) throw new ArgumentError(`${this.device} has been disposed`);
    if (!(buf instanceof HostBuffer)) {
      throw new ArgumentError(`${this.device}: not a host-memory buffer (device ${String(buf?.device)})`);
    }
    if (buf.device !== this.device)
      throw new ArgumentError(`${this.device}: buffer belongs to ${buf.device}`);
    if (buf.freed)
      throw new ArgumentError(`${this.device}: buffer of ${buf.length} elements was already freed`);
    return buf.data;
  }

  alloc(length: number): BufferHandle {
    assertInteger(length, `${this.device} alloc: length`, 0);
    if (length > MAX_HOST_BUFFER_LENGTH) {
      throw new ShapeError(
        `${this.device} alloc: ${length} elements exceeds the maximum ${MAX_HOST_BUFFER_LENGTH}`,
      );
    }
    const data =
      this.cache.take(length) ??
      (this.precision === 'float64' ? new Float64Array(length) : new Float32Array(length));
    const buf = new HostBuffer(this.device, data);
    this.live.add(buf);
    this.bytes += data.byteLength;
    this.peak = Math.max(this.peak, this.bytes);
    return buf;
  }

  free(buf: BufferHandle): void {
    const data = this.array(buf);
    (buf as HostBuffer).freed = true;
    this.live.delete(buf as HostBuffer);
    this.bytes -= data.byteLength;
    this.cache.give(data);
  }

  write(buf: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    const dst = this.array(buf);
    this.checkRange('write', dst.length, offset, data.length);
    if (dst.constructor === data.constructor) dst.set(data, offset);
    else for (let i = 0; i < data.length; i++) dst[offset + i] = data[i]!; // V8's converting set() is ~8× slower
  }

  read(buf: BufferHandle, offset = 0, length?: number): Promise<Float32Array> {
    const src = this.slice(buf, offset, length);
    return Promise.resolve(src instanceof Float32Array ? src.slice() : new Float32Array(src));
  }

  /** Like `read`, without rounding to float32 (gradient checks read float64 results this way). */
  readFloat64(buf: BufferHandle, offset = 0, length?: number): Float64Array {
    const src = this.slice(buf, offset, length);
    return src instanceof Float64Array ? src.slice() : new Float64Array(src);
  }

  copy(src: BufferHandle, dst: BufferHandle, region: CopyRegion = {}): void {
    this.copyBetween(this.array(src), this.array(dst), region);
  }

  /** Copies from another host-memory device (e.g. ref:0 → ref:1, native:0 → native:1). */
  peerCopy(src: BufferHandle, srcBackend: BackendV1, dst: BufferHandle, region: CopyRegion = {}): void {
    if (!(srcBackend instanceof HostStorage)) {
      throw new ArgumentError(
        `${this.device}: peer copy needs a host-memory source, got ${srcBackend.device}`,
      );
    }
    this.copyBetween(srcBackend.array(src), this.array(dst), region);
  }

  fill(buf: BufferHandle, value: number, offset = 0, length?: number): void {
    if (typeof value !== 'number') throw new ArgumentError(`${this.device} fill: value must be a number`);
    const dst = this.array(buf);
    const n = length ?? dst.length - offset;
    this.checkRange('fill', dst.length, offset, n);
    dst.fill(value, offset, offset + n);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  memory(): MemoryStats {
    return { bytesInUse: this.bytes, peakBytesInUse: this.peak, liveBuffers: this.live.size };
  }

  dispose(): void {
    for (const b of this.live) b.freed = true;
    this.live.clear();
    this.cache.clear();
    this.bytes = 0;
    this.disposed = true;
  }

  private slice(buf: BufferHandle, offset: number, length: number | undefined): FloatArray {
    const src = this.array(buf);
    const n = length ?? src.length - offset;
    this.checkRange('read', src.length, offset, n);
    return src.subarray(offset, offset + n);
  }

  private copyBetween(src: FloatArray, dst: FloatArray, region: CopyRegion): void {
    const so = region.srcOffset ?? 0;
    const d0 = region.dstOffset ?? 0;
    const n = region.length ?? src.length - so;
    this.checkRange('copy (source)', src.length, so, n);
    this.checkRange('copy (destination)', dst.length, d0, n);
    dst.set(src.subarray(so, so + n), d0);
  }

  private checkRange(op: string, bufferLength: number, offset: number, length: number): void {
    assertInteger(offset, `${this.device} ${op}: offset`, 0);
    assertInteger(length, `${this.device} ${op}: length`, 0);
    if (offset + length > bufferLength) {
      throw new ShapeError(
        `${this.device} ${op}: elements [${offset}, ${offset + length}) exceed the buffer's ${bufferLength}`,
      );
    }
  }
}
