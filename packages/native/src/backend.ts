import { cpus } from 'node:os';
import {
  ArgumentError,
  assertInteger,
  type BackendV1,
  type BufferHandle,
  type CapabilitiesV1,
  type ConvAttrs,
  HostStorage,
  type KernelTableV1,
  MAX_HOST_BUFFER_LENGTH,
  withValidation,
} from '@alexnet/tensor';
import { loadLibrary, type NativeLibrary } from './library.js';

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

function defaultThreads(): number {
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
 * on a thread pool. Synchronous: each kernel returns when it is done.
 */
export class NativeBackend extends HostStorage implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'native';
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;
  readonly threads: number;
  /** How convolutions share the threads (NativeBackendOptions.convSplit). */
  readonly convSplit: ConvSplit;
  private readonly lib: NativeLibrary;
  private pool: unknown;

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
    this.pool = this.lib.poolCreate(threads, options.firstCpu ?? -1);
    this.threads = this.lib.poolThreads(this.pool);
    this.lib.poolSetConvSplit(this.pool, CONV_SPLIT_MODES[convSplit]);
    this.convSplit = convSplit;
    const simd = this.lib.simdPath() as string;
    this.capabilities = {
      precision: 'float32',
      asynchronous: false,
      peerCopy: true,
      maxBufferLength: MAX_HOST_BUFFER_LENGTH,
      unsupported: {},
      description: `native CPU backend (C, ${simd} GEMM, ${this.threads} thread${this.threads === 1 ? '' : 's'})`,
    };
    this.kernels = withValidation(this.device, this.table());
  }

  /** The SIMD path the GEMM micro-kernels use ('avx512', 'avx2' or 'generic'). */
  get simdPath(): string {
    return this.lib.simdPath() as string;
  }

  override dispose(): void {
    if (this.pool) this.lib.poolDestroy(this.pool);
    this.pool = null;
    super.dispose();
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
    return {
      gemm: (b, g) => {
        const lda = g.lda ?? (g.transA ? g.m : g.k);
        const ldb = g.ldb ?? (g.transB ? g.k : g.n);
        const ldc = g.ldc ?? g.n;
        // koffi passes a subarray as a pointer to its first element: offsets cost nothing.
        L.sgemm(
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
      conv2dForward: (b, c) => L.convForward(pool(), a(b.x), a(b.w), opt(b.bias), a(b.y), ...convArgs(c)),
      conv2dBackwardData: (b, c) =>
        L.convBackwardData(pool(), a(b.dy), a(b.w), a(b.dx), ...convArgs(c), acc(c.accumulate)),
      conv2dBackwardFilter: (b, c) =>
        L.convBackwardFilter(
          pool(),
          a(b.x),
          a(b.dy),
          a(b.dw),
          opt(b.dbias),
          ...convArgs(c),
          acc(c.accumulate),
        ),
      maxPoolForward: (b, p) =>
        L.maxPoolForward(pool(), a(b.x), a(b.y), p.n, p.c, p.h, p.w, p.size, p.stride, p.pad),
      maxPoolBackward: (b, p) =>
        L.maxPoolBackward(
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
        L.lrnForward(
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
        L.lrnBackward(
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
      relu: (b, e) => L.relu(pool(), a(b.x), a(b.y), e.length),
      reluBackward: (b, e) => L.reluBackward(pool(), a(b.y), a(b.dy), a(b.dx), e.length, acc(e.accumulate)),
      tanh: (b, e) => L.tanh(pool(), a(b.x), a(b.y), e.length),
      tanhBackward: (b, e) => L.tanhBackward(pool(), a(b.y), a(b.dy), a(b.dx), e.length, acc(e.accumulate)),
      dropoutForward: (b, d) =>
        L.dropoutForward(pool(), a(b.x), a(b.y), a(b.mask), d.length, d.p, d.seed, d.offset),
      dropoutBackward: (b, e) =>
        L.dropoutBackward(pool(), a(b.dy), a(b.mask), a(b.dx), e.length, acc(e.accumulate)),
      biasAdd: (b, s) => L.biasAdd(pool(), a(b.x), a(b.bias), a(b.y), s.n, s.c, s.spatial),
      biasGrad: (b, s) => L.biasGrad(pool(), a(b.dy), a(b.db), s.n, s.c, s.spatial, acc(s.accumulate)),
      softmax: (b, s) => L.softmax(pool(), a(b.x), a(b.y), s.n, s.classes),
      softmaxCrossEntropy: (b, s) => {
        const labels = a(b.labels);
        const bad = L.softmaxXent(
          pool(),
          a(b.logits),
          labels,
          a(b.loss),
          a(b.dlogits),
          s.n,
          s.classes,
          s.gradScale,
        ) as number;
        if (bad >= 0) {
          throw new ArgumentError(
            `softmaxCrossEntropy: label ${labels[bad]} of example ${bad} is not a class index in [0, ${s.classes})`,
          );
        }
      },
      sgdUpdate: (b, s) =>
        L.sgdUpdate(pool(), a(b.w), a(b.grad), a(b.v), s.length, s.lr, s.momentum, s.weightDecay),
      concatChannels: (b, s) =>
        forEachPart(s.channels, (i, total, c0, cp) =>
          L.channelsFromPart(pool(), a(b.inputs[i]!), a(b.y), s.n, total, c0, cp, s.spatial),
        ),
      splitChannels: (b, s) =>
        forEachPart(s.channels, (i, total, c0, cp) =>
          L.channelsToPart(pool(), a(b.x), a(b.outputs[i]!), s.n, total, c0, cp, s.spatial),
        ),
      axpy: (b, s) => L.axpy(pool(), a(b.x), a(b.y), s.length, s.alpha),
    };
  }
}
