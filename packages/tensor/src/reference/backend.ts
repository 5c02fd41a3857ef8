import type { BackendV1, CapabilitiesV1, Precision } from '../contract/backend.js';
import type { BufferHandle, CopyRegion, MemoryStats } from '../contract/buffer.js';
import type { KernelTableV1 } from '../contract/kernels.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { assertInteger } from '../shape.js';
import { ArrayCache } from './array-cache.js';
import { referenceKernels } from './kernels.js';
import type { FloatArray } from './types.js';

/** A reference-backend buffer: the typed array itself, tagged with its device. */
class RefBuffer implements BufferHandle {
  freed = false;
  constructor(
    readonly device: string,
    readonly data: FloatArray,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

export interface ReferenceBackendOptions {
  /** 'float32' (default) stores and rounds like every other backend; 'float64' is for gradient checks. */
  precision?: Precision;
  /** Device index: 'ref:0', 'ref:1', … — two reference devices stand in for two towers in tests. */
  index?: number;
  /** Bytes of freed buffers kept for reuse (default 1 GiB; 0 disables the cache). */
  cacheBytes?: number;
}

/** Largest buffer the reference backend allocates (kept within int32 indexing, as GPU backends are). */
const MAX_BUFFER_LENGTH = 2 ** 31 - 1;

/**
 * The reference backend: plain TypeScript, synchronous, readable first. It is the oracle every other
 * backend is tested against, so each kernel is the textbook formula (see the files beside this one).
 */
export class ReferenceBackend implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'ref';
  readonly device: string;
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;
  private readonly live = new Set<RefBuffer>();
  private bytes = 0;
  private peak = 0;
  private disposed = false;
  private readonly cache: ArrayCache<FloatArray>;

  constructor(options: ReferenceBackendOptions = {}) {
    const precision = options.precision ?? 'float32';
    if (precision !== 'float32' && precision !== 'float64') {
      throw new ArgumentError(
        `reference backend: precision must be 'float32' or 'float64', got '${String(precision)}'`,
      );
    }
    const index = options.index ?? 0;
    assertInteger(index, 'reference backend: index', 0);
    this.device = `ref:${index}`;
    this.cache = new ArrayCache(options.cacheBytes ?? 2 ** 30);
    this.capabilities = {
      precision,
      asynchronous: false,
      peerCopy: true,
      maxBufferLength: MAX_BUFFER_LENGTH,
      unsupported: {},
      description: `reference backend (plain TypeScript, ${precision}, single thread)`,
    };
    this.kernels = referenceKernels(this.device, (buf) => this.array(buf));
  }

  get precision(): Precision {
    return this.capabilities.precision;
  }

  /** The typed array behind a handle, after checking it is a live buffer of this device. */
  array(buf: BufferHandle): FloatArray {
    if (this.disposed) throw new ArgumentError(`${this.device} has been disposed`);
    if (!(buf instanceof RefBuffer)) {
      throw new ArgumentError(
        `${this.device}: not a reference-backend buffer (device ${String(buf?.device)})`,
      );
    }
    if (buf.device !== this.device) {
      throw new ArgumentError(`${this.device}: buffer belongs to ${buf.device}`);
    }
    if (buf.freed)
      throw new ArgumentError(`${this.device}: buffer of ${buf.length} elements was already freed`);
    return buf.data;
  }

  alloc(length: number): BufferHandle {
    assertInteger(length, `${this.device} alloc: length`, 0);
    if (length > MAX_BUFFER_LENGTH) {
      throw new ShapeError(
        `${this.device} alloc: ${length} elements exceeds the maximum ${MAX_BUFFER_LENGTH}`,
      );
    }
    const data =
      this.cache.take(length) ??
      (this.precision === 'float64' ? new Float64Array(length) : new Float32Array(length));
    const buf = new RefBuffer(this.device, data);
    this.live.add(buf);
    this.bytes += data.byteLength;
    this.peak = Math.max(this.peak, this.bytes);
    return buf;
  }

  free(buf: BufferHandle): void {
    const data = this.array(buf);
    (buf as RefBuffer).freed = true;
    this.live.delete(buf as RefBuffer);
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

  peerCopy(src: BufferHandle, srcBackend: BackendV1, dst: BufferHandle, region: CopyRegion = {}): void {
    if (!(srcBackend instanceof ReferenceBackend)) {
      throw new ArgumentError(`${this.device}: peer copy needs a reference source, got ${srcBackend.device}`);
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
