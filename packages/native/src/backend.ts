import { cpus } from 'node:os';
import {
  ArgumentError,
  assertInteger,
  type BackendV1,
  type BufferHandle,
  type CapabilitiesV1,
  type ConvAttrs,
  type CopyRegion,
  HostStorage,
  type KernelTableV1,
  MAX_HOST_BUFFER_LENGTH,
  withValidation,
} from '@alexnet/tensor';
import { loadLibrary, type NativeLibrary } from './library.js';
import { type AsyncCallable, NativeQueue } from './queue.js';

export interface NativeBackendOptions {
  /** Device index: 'native:0', 'native:1', … */
  index?: number;
  /** Worker threads, the calling thread included (default: ALEXNET_NATIVE_THREADS, else every core). */
  threads?: number;
  /** Pin thread i to CPU firstCpu + i (default: no pinning). */
  firstCpu?: number;
  /** Force a SIMD path for the whole process ('avx512' | 'avx2' | 'generic'), for tests and benchmarks. */
  simd?: 'avx512' | 'avx2' | 'generic';
  /**
   * How convolutions share the threads: over the batch's images (each thread runs whole images) or
   * over each GEMM/im2col step of one image chunk. 'auto' (default): images when the batch splits
   * evenly over the threads or has ≥ 4 images per thread, else gemm. For benchmarks and tests.
   */
  convSplit?: ConvSplit;
  /**
   * Run kernels off the JS thread, one device's in order (a queue, like a GPU stream): calls return
   * at once, `sync()`/`read()` wait, and two devices compute at the same time. Default false: each
   * kernel returns when done. The provider turns it on for `native:0` and `native:1` while both are
   * alive, each with its share of the cores (provider.ts).
   */
  asynchronous?: boolean;
  /** Called once, when the backend is disposed (the provider gives the cores back to the others). */
  onDispose?: () => void;
}

export type ConvSplit = 'auto' | 'gemm' | 'images';
const CONV_SPLIT_MODES: Record<ConvSplit, number> = { auto: 0, gemm: 1, images: 2 };

/** A convolution's geometry in the order the C functions take it (n, c, h, w, outC, kh, kw, stride, pad, groups). */
function convArgs(
  c: ConvAttrs,
): [number, number, number, number, number, number, number, number, number, number] {
  return [c.n, c.c, c.h, c.w, c.outC, c.kh, c.kw, c.stride, c.pad, c.groups];
}

/** Calls `copy(i, total, firstChannel, channels)` for each part of a channel concat/split. */
function forEachPart(
  channels: readonly number[],
  copy: (i: number, total: number, c0: number, cp: number) => void,
): void {
  const total = channels.reduce((x, y) => x + y, 0);
  let c0 = 0;
  channels.forEach((cp, i) => {
    copy(i, total, c0, cp);
    c0 += cp;
  });
}

/** The library, or a clear error saying why it is unavailable. */
export function requireLibrary(): NativeLibrary {
  const lib = loadLibrary();
  if (typeof lib === 'string') throw new ArgumentError(`@alexnet/native is unavailable: ${lib}`);
  return lib;
}

/** ALEXNET_NATIVE_THREADS, else every core. */
export function defaultThreads(): number {
  const env = process.env.ALEXNET_NATIVE_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    assertInteger(n, 'ALEXNET_NATIVE_THREADS', 1);
    return n;
  }
  return Math.max(1, cpus().length);
}

/**
 * The native CPU backend: host-memory buffers (Float32Array, handed to C zero-copy) and C kernels
 * on a thread pool. Synchronous by default (each kernel returns when it is done); asynchronous on
 * request (NativeBackendOptions.asynchronous): kernels, writes, copies and frees then go through
 * the device's queue (queue.ts), in order.
 */
export class NativeBackend extends HostStorage implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'native';
  readonly kernels: KernelTableV1;
  /** How convolutions share the threads (NativeBackendOptions.convSplit). */
  readonly convSplit: ConvSplit;
  private readonly lib: NativeLibrary;
  private pool: unknown;
  private threadCount = 0;
  private queue: NativeQueue | null = null;
  private caps!: CapabilitiesV1;
  private readonly onDispose: (() => void) | undefined;

  constructor(options: NativeBackendOptions = {}) {
    const index = options.index ?? 0;
    assertInteger(index, 'native backend: index', 0);
    super(`native:${index}`, 'float32');
    this.lib = requireLibrary();
    if (options.simd && !this.lib.forceSimdPath(options.simd)) {
      throw new ArgumentError(`native backend: this CPU cannot run the '${options.simd}' path`);
    }
    const convSplit = options.convSplit ?? 'auto';
    if (!Object.hasOwn(CONV_SPLIT_MODES, convSplit)) {
      throw new ArgumentError(
        `native backend: convSplit must be 'auto', 'gemm' or 'images', got '${String(options.convSplit)}'`,
      );
    }
    const threads = options.threads ?? defaultThreads();
    assertInteger(threads, 'native backend: threads', 1);
    this.convSplit = convSplit;
    this.onDispose = options.onDispose;
    this.pool = this.newPool(threads, options.firstCpu ?? -1);
    if (options.asynchronous) this.queue = new NativeQueue();
    this.describe();
    this.kernels = withValidation(this.device, this.table());
  }

  get capabilities(): CapabilitiesV1 {
    return this.caps;
  }

  /** Threads of the pool, the calling thread included. */
  get threads(): number {
    return this.threadCount;
  }

  /** True when kernels run off the JS thread through the device's queue. */
  get asynchronous(): boolean {
    return this.queue !== null;
  }

  /**
   * Re-sizes the thread pool after the work queued so far, and optionally turns queued execution on
   * (it stays on: calls already queued must keep their order). How the provider shares the cores.
   */
  configure(options: { threads: number; asynchronous?: boolean }): void {
    assertInteger(options.threads, 'native backend: threads', 1);
    const swap = () => {
      const old = this.pool;
      this.pool = this.newPool(options.threads, -1);
      this.lib.poolDestroy(old);
      this.describe();
    };
    if (this.queue) this.queue.js(swap);
    else swap();
    if (options.asynchronous && !this.queue) {
      this.queue = new NativeQueue();
      this.describe();
    }
  }

  private newPool(threads: number, firstCpu: number): unknown {
    const pool = this.lib.poolCreate(threads, firstCpu);
    this.lib.poolSetConvSplit(pool, CONV_SPLIT_MODES[this.convSplit]);
    this.threadCount = this.lib.poolThreads(pool) as number;
    return pool;
  }

  private describe(): void {
    const simd = this.lib.simdPath() as string;
    const t = this.threadCount;
    this.caps = {
      precision: 'float32',
      asynchronous: this.queue !== null,
      peerCopy: true,
      maxBufferLength: MAX_HOST_BUFFER_LENGTH,
      unsupported: {},
      description: `native CPU backend (C, ${simd} GEMM, ${t} thread${t === 1 ? '' : 's'}${this.queue ? ', queued' : ''})`,
    };
  }

  /** Runs a C function now, or enqueues it (asynchronous); `check` sees its result either way. */
  private call(
    fn: AsyncCallable & ((...args: unknown[]) => unknown),
    args: unknown[],
    check?: (r: unknown) => void,
  ): void {
    if (this.queue) this.queue.native(fn, args, check);
    else {
      const result = fn(...args);
      check?.(result);
    }
  }

  // ---- storage: in queue order when asynchronous ----

  override write(buf: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    if (!this.queue) {
      super.write(buf, data, offset);
      return;
    }
    this.checkSpan('write', buf, offset, data.length);
    const copy = data.slice(); // the caller may reuse `data` as soon as this returns
    this.queue.js(() => super.write(buf, copy, offset));
  }

  override async read(buf: BufferHandle, offset = 0, length?: number): Promise<Float32Array> {
    if (this.queue) await this.queue.idle();
    return super.read(buf, offset, length);
  }

  override copy(src: BufferHandle, dst: BufferHandle, region: CopyRegion = {}): void {
    if (!this.queue) {
      super.copy(src, dst, region);
      return;
    }
    this.array(src);
    this.array(dst);
    this.queue.js(() => super.copy(src, dst, region));
  }

  /**
   * From another host-memory device. Asynchronous: `transfer()` has synced the source, so the source
   * is read now (a snapshot: its later work must not leak in) and written here in queue order.
   */
  override peerCopy(
    src: BufferHandle,
    srcBackend: BackendV1,
    dst: BufferHandle,
    region: CopyRegion = {},
  ): void {
    if (!this.queue) {
      super.peerCopy(src, srcBackend, dst, region);
      return;
    }
    if (!(srcBackend instanceof HostStorage)) {
      super.peerCopy(src, srcBackend, dst, region); // throws: not a host-memory source
      return;
    }
    const so = region.srcOffset ?? 0;
    const from = srcBackend.array(src);
    const n = region.length ?? from.length - so;
    this.checkSpan('peer copy', dst, region.dstOffset ?? 0, n);
    const snapshot = Float32Array.from(from.subarray(so, so + n));
    this.queue.js(() => super.write(dst, snapshot, region.dstOffset ?? 0));
  }

  override fill(buf: BufferHandle, value: number, offset = 0, length?: number): void {
    if (!this.queue) {
      super.fill(buf, value, offset, length);
      return;
    }
    this.array(buf);
    this.queue.js(() => super.fill(buf, value, offset, length));
  }

  override free(buf: BufferHandle): void {
    if (!this.queue) {
      super.free(buf);
      return;
    }
    this.array(buf);
    this.queue.js(() => super.free(buf)); // queued kernels may still use it
  }

  override sync(): Promise<void> {
    return this.queue ? this.queue.idle() : Promise.resolve();
  }

  /** Throws now, not at the next sync, for a write or copy past the end of `buf`. */
  private checkSpan(what: string, buf: BufferHandle, offset: number, length: number): void {
    const n = this.array(buf).length;
    if (!Number.isInteger(offset) || offset < 0 || offset + length > n) {
      throw new ArgumentError(
        `${this.device} ${what}: [${offset}, ${offset + length}) is outside the buffer of ${n} elements`,
      );
    }
  }

  /** The SIMD path the GEMM micro-kernels use ('avx512', 'avx2' or 'generic'). */
  get simdPath(): string {
    return this.lib.simdPath() as string;
  }

  override dispose(): void {
    const finish = () => {
      if (this.pool) this.lib.poolDestroy(this.pool);
      this.pool = null;
    };
    // a queued kernel may be running on a worker thread: the pool goes when the queue is done
    if (this.queue && !this.queue.empty) this.queue.js(finish);
    else finish();
    super.dispose();
    this.onDispose?.();
  }

  private f32(buf: BufferHandle): Float32Array {
    return this.array(buf) as Float32Array;
  }

  private table(): KernelTableV1 {
    const L = this.lib;
    const a = (b: BufferHandle) => this.f32(b);
    const opt = (b: BufferHandle | null) => (b === null ? null : this.f32(b));
    const acc = (flag: boolean) => (flag ? 1 : 0);
    const pool = () => this.pool;
    const run = (fn: unknown, ...args: unknown[]) =>
      this.call(fn as AsyncCallable & ((...a: unknown[]) => unknown), args);
    return {
      gemm: (b, g) => {
        const lda = g.lda ?? (g.transA ? g.m : g.k);
        const ldb = g.ldb ?? (g.transB ? g.k : g.n);
        const ldc = g.ldc ?? g.n;
        // koffi passes a subarray as a pointer to its first element: offsets cost nothing.
        run(
          L.sgemm,
          pool(),
          acc(g.transA),
          acc(g.transB),
          g.m,
          g.n,
          g.k,
          g.alpha,
          a(b.a).subarray(g.offsetA ?? 0),
          lda,
          a(b.b).subarray(g.offsetB ?? 0),
          ldb,
          g.beta,
          a(b.c).subarray(g.offsetC ?? 0),
          ldc,
        );
      },
      conv2dForward: (b, c) =>
        run(L.convForward, pool(), a(b.x), a(b.w), opt(b.bias), a(b.y), ...convArgs(c)),
      conv2dBackwardData: (b, c) =>
        run(L.convBackwardData, pool(), a(b.dy), a(b.w), a(b.dx), ...convArgs(c), acc(c.accumulate)),
      conv2dBackwardFilter: (b, c) =>
        run(
          L.convBackwardFilter,
          pool(),
          a(b.x),
          a(b.dy),
          a(b.dw),
          opt(b.dbias),
          ...convArgs(c),
          acc(c.accumulate),
        ),
      maxPoolForward: (b, p) =>
        run(L.maxPoolForward, pool(), a(b.x), a(b.y), p.n, p.c, p.h, p.w, p.size, p.stride, p.pad),
      maxPoolBackward: (b, p) =>
        run(
          L.maxPoolBackward,
          pool(),
          a(b.x),
          a(b.dy),
          a(b.dx),
          p.n,
          p.c,
          p.h,
          p.w,
          p.size,
          p.stride,
          p.pad,
          acc(p.accumulate),
        ),
      lrnForward: (b, l) =>
        run(
          L.lrnForward,
          pool(),
          a(b.x),
          a(b.y),
          a(b.scale),
          l.n,
          l.c,
          l.h,
          l.w,
          l.size,
          l.alpha,
          l.beta,
          l.k,
          l.groups,
        ),
      lrnBackward: (b, l) =>
        run(
          L.lrnBackward,
          pool(),
          a(b.x),
          a(b.y),
          a(b.scale),
          a(b.dy),
          a(b.dx),
          l.n,
          l.c,
          l.h,
          l.w,
          l.size,
          l.alpha,
          l.beta,
          l.k,
          l.groups,
          acc(l.accumulate),
        ),
      relu: (b, e) => run(L.relu, pool(), a(b.x), a(b.y), e.length),
      reluBackward: (b, e) =>
        run(L.reluBackward, pool(), a(b.y), a(b.dy), a(b.dx), e.length, acc(e.accumulate)),
      tanh: (b, e) => run(L.tanh, pool(), a(b.x), a(b.y), e.length),
      tanhBackward: (b, e) =>
        run(L.tanhBackward, pool(), a(b.y), a(b.dy), a(b.dx), e.length, acc(e.accumulate)),
      dropoutForward: (b, d) =>
        run(L.dropoutForward, pool(), a(b.x), a(b.y), a(b.mask), d.length, d.p, d.seed, d.offset),
      dropoutBackward: (b, e) =>
        run(L.dropoutBackward, pool(), a(b.dy), a(b.mask), a(b.dx), e.length, acc(e.accumulate)),
      biasAdd: (b, s) => run(L.biasAdd, pool(), a(b.x), a(b.bias), a(b.y), s.n, s.c, s.spatial),
      biasGrad: (b, s) => run(L.biasGrad, pool(), a(b.dy), a(b.db), s.n, s.c, s.spatial, acc(s.accumulate)),
      softmax: (b, s) => run(L.softmax, pool(), a(b.x), a(b.y), s.n, s.classes),
      softmaxCrossEntropy: (b, s) => {
        const labels = a(b.labels);
        this.call(
          L.softmaxXent,
          [pool(), a(b.logits), labels, a(b.loss), a(b.dlogits), s.n, s.classes, s.gradScale],
          (bad) => {
            if ((bad as number) >= 0) {
              throw new ArgumentError(
                `softmaxCrossEntropy: label ${labels[bad as number]} of example ${bad} is not a class index in [0, ${s.classes})`,
              );
            }
          },
        );
      },
      sgdUpdate: (b, s) =>
        run(L.sgdUpdate, pool(), a(b.w), a(b.grad), a(b.v), s.length, s.lr, s.momentum, s.weightDecay),
      concatChannels: (b, s) =>
        forEachPart(s.channels, (i, total, c0, cp) =>
          run(L.channelsFromPart, pool(), a(b.inputs[i]!), a(b.y), s.n, total, c0, cp, s.spatial),
        ),
      splitChannels: (b, s) =>
        forEachPart(s.channels, (i, total, c0, cp) =>
          run(L.channelsToPart, pool(), a(b.x), a(b.outputs[i]!), s.n, total, c0, cp, s.spatial),
        ),
      axpy: (b, s) => run(L.axpy, pool(), a(b.x), a(b.y), s.length, s.alpha),
    };
  }
}
