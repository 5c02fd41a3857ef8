import {
  ArgumentError,
  assertInteger,
  type BackendV1,
  type BufferHandle,
  type CapabilitiesV1,
  type CopyRegion,
  KERNEL_NAMES_V1,
  type KernelName,
  type KernelSignaturesV1,
  type KernelTableV1,
  ShapeError,
  withValidation,
} from '@alexnet/tensor';
import { gpuForIndex, towersOnOneGpu } from './devices.js';
import { type AllocatorStats, CachingAllocator, type CudaBuffer } from './driver/allocator.js';
import { canAccessPeer, deviceCount, formatDriverVersion, openDriver } from './driver/context.js';
import { callOut, check } from './driver/errors.js';
import { CudaEvent } from './driver/event.js';
import { launchKernel, ParamBlocks } from './driver/launch.js';
import { PinnedPool } from './driver/pinned.js';
import { acquireRuntime, type GpuRuntime, releaseRuntime } from './driver/runtime.js';
import { CudaStream } from './driver/stream.js';
import { type KernelArg, type KernelPlan, planKernel } from './kernels/plan.js';

export interface CudaBackendOptions {
  /** Device index: 'cuda:0', 'cuda:1', … (see devices.ts for how indices map to GPUs). */
  index?: number;
  /**
   * Use the TF32 tensor-core GEMM for matrix products and convolutions (faster; products rounded to
   * a 10-bit mantissa). Default false: plain float32 FMA, faithful to the float32 reference.
   */
  tf32?: boolean;
  /** Fatbin to load instead of the package's fatbin/alexnet.fatbin (or ALEXNET_CUDA_FATBIN). */
  fatbin?: string;
}

export interface CudaMemoryStats extends AllocatorStats {
  /** Bytes of the kernels' scratch buffer (im2col columns, partial sums). */
  scratchBytes: number;
  /** Bytes of pinned host staging buffers. */
  pinnedBytes: number;
}

/** int32 indexing in the kernels bounds a buffer, as for the other backends. */
const MAX_ELEMENTS = 2 ** 31 - 1;

const f32Bits = new Uint32Array(1);
const f32View = new Float32Array(f32Bits.buffer);

/**
 * The CUDA backend: device buffers from a caching allocator, CUDA C kernels from the package's
 * fatbin launched on one stream per backend through the driver API. Asynchronous: kernels, copies
 * and fills are enqueued; `read` and `sync` wait without blocking the event loop.
 */
export class CudaBackend implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'cuda';
  readonly device: string;
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;
  /** True when matrix products use TF32 tensor cores. */
  readonly tf32: boolean;
  /** The GPU this backend runs on (its ordinal may be shared with other cuda:N on one GPU). */
  readonly gpu: GpuRuntime['info'];
  /** True when the driver is the CPU stub of the tests (plumbing only, nothing here ran on a GPU). */
  readonly stubDriver: boolean;

  private readonly rt: GpuRuntime;
  private readonly stream: CudaStream;
  private readonly allocator: CachingAllocator;
  private readonly pinned: PinnedPool;
  private readonly params = new ParamBlocks();
  private readonly syncEvent: CudaEvent;
  /** Recorded on this stream when another backend must wait for it (peer copies). */
  private readonly joinEvent: CudaEvent;
  private readonly peersEnabled = new Set<number>();
  private scratch: { ptr: bigint; elements: number } | null = null;
  private disposed = false;

  constructor(options: CudaBackendOptions = {}) {
    const index = options.index ?? 0;
    assertInteger(index, 'cuda backend: index', 0);
    this.device = `cuda:${index}`;
    this.tf32 = options.tf32 ?? false;
    const driver = openDriver();
    const gpus = deviceCount(driver);
    const ordinal = gpuForIndex(index, gpus);
    this.rt = acquireRuntime(ordinal, options.fatbin);
    this.gpu = this.rt.info;
    this.stubDriver = driver.isStub;
    const ctx = this.rt.ctx;
    this.stream = new CudaStream(ctx);
    this.syncEvent = new CudaEvent(ctx);
    this.joinEvent = new CudaEvent(ctx);
    this.pinned = new PinnedPool(ctx);
    this.allocator = new CachingAllocator(
      this.device,
      {
        alloc: (bytes) => {
          ctx.makeCurrent();
          // koffi gives uint64 out-parameters as a number when it fits: normalise to bigint.
          return BigInt(callOut<number | bigint>(driver, 'cuMemAlloc', driver.cuMemAlloc, bytes));
        },
        free: (ptr) => {
          ctx.makeCurrent();
          check(driver, 'cuMemFree', driver.cuMemFree(ptr));
        },
      },
      () => this.stream.synchronizeBlocking(),
    );

    const shared = towersOnOneGpu(gpus);
    let peer = true;
    if (!shared) for (let g = 0; g < gpus; g++) if (g !== ordinal) peer &&= canAccessPeer(driver, ordinal, g);
    const [major, minor] = this.gpu.computeCapability;
    this.capabilities = {
      precision: 'float32',
      asynchronous: true,
      // Between GPUs without peer access cuMemcpyPeerAsync would stage through the host: say so.
      peerCopy: peer,
      maxBufferLength: Math.min(MAX_ELEMENTS, Math.floor(this.gpu.totalMemoryBytes / 4)),
      unsupported: {},
      description:
        `${this.stubDriver ? 'STUB DRIVER, CPU emulation (plumbing only): ' : ''}${this.gpu.name}` +
        ` (sm_${major}${minor}, driver ${formatDriverVersion(this.gpu.driverVersion)}` +
        `${shared ? `, GPU ${ordinal} shared by cuda:N as separate streams` : `, GPU ${ordinal}`}` +
        `, ${this.tf32 ? 'TF32 tensor-core GEMM' : 'float32 GEMM'})`,
    };
    this.kernels = withValidation(this.device, this.table());
  }

  // ---- storage ------------------------------------------------------------------------------

  alloc(length: number): BufferHandle {
    this.live();
    return this.allocator.alloc(length, this.capabilities.maxBufferLength);
  }

  free(buf: BufferHandle): void {
    this.live();
    this.allocator.free(buf);
  }

  write(buf: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    const dst = this.buffer(buf);
    this.checkRange('write', dst.length, offset, data.length);
    if (data.length === 0) return;
    const bytes = data.length * 4;
    const staging = this.pinned.acquire(bytes);
    new Float32Array(staging.bytes, 0, data.length).set(data);
    this.rt.ctx.makeCurrent();
    check(
      this.rt.driver,
      'cuMemcpyHtoDAsync',
      this.rt.driver.cuMemcpyHtoDAsync(dst.ptr + BigInt(offset * 4), staging.ptr, bytes, this.stream.handle),
    );
    this.pinned.release(staging, this.stream);
  }

  async read(buf: BufferHandle, offset = 0, length?: number): Promise<Float32Array> {
    const src = this.buffer(buf);
    const n = length ?? src.length - offset;
    this.checkRange('read', src.length, offset, n);
    if (n === 0) return new Float32Array(0);
    const bytes = n * 4;
    const staging = this.pinned.acquire(bytes);
    try {
      this.rt.ctx.makeCurrent();
      check(
        this.rt.driver,
        'cuMemcpyDtoHAsync',
        this.rt.driver.cuMemcpyDtoHAsync(
          staging.ptr,
          src.ptr + BigInt(offset * 4),
          bytes,
          this.stream.handle,
        ),
      );
      staging.event.record(this.stream);
      await staging.event.wait();
      return new Float32Array(staging.bytes, 0, n).slice();
    } finally {
      staging.busy = false;
    }
  }

  copy(src: BufferHandle, dst: BufferHandle, region: CopyRegion = {}): void {
    const s = this.buffer(src);
    const d = this.buffer(dst);
    const { so, d0, n } = this.region(s, d, region);
    if (n === 0) return;
    this.rt.ctx.makeCurrent();
    check(
      this.rt.driver,
      'cuMemcpyDtoDAsync',
      this.rt.driver.cuMemcpyDtoDAsync(
        d.ptr + BigInt(d0 * 4),
        s.ptr + BigInt(so * 4),
        n * 4,
        this.stream.handle,
      ),
    );
  }

  fill(buf: BufferHandle, value: number, offset = 0, length?: number): void {
    if (typeof value !== 'number') throw new ArgumentError(`${this.device} fill: value must be a number`);
    const dst = this.buffer(buf);
    const n = length ?? dst.length - offset;
    this.checkRange('fill', dst.length, offset, n);
    if (n === 0) return;
    f32View[0] = value;
    this.rt.ctx.makeCurrent();
    check(
      this.rt.driver,
      'cuMemsetD32Async',
      this.rt.driver.cuMemsetD32Async(dst.ptr + BigInt(offset * 4), f32Bits[0]!, n, this.stream.handle),
    );
  }

  /**
   * Copies from a buffer of another cuda:N. The two streams are joined with events both ways: the
   * copy waits for the source's queued work, and the source's later work (which may reuse the
   * buffer's memory) waits for the copy. Same GPU: a device-to-device copy; two GPUs: cuMemcpyPeerAsync.
   */
  peerCopy(src: BufferHandle, srcBackend: BackendV1, dst: BufferHandle, region: CopyRegion = {}): void {
    if (!(srcBackend instanceof CudaBackend)) {
      throw new ArgumentError(`${this.device}: peer copy needs a cuda source, got ${srcBackend.device}`);
    }
    if (srcBackend === this) {
      this.copy(src, dst, region);
      return;
    }
    const s = srcBackend.buffer(src);
    const d = this.buffer(dst);
    const { so, d0, n } = this.region(s, d, region);
    if (n === 0) return;
    const drv = this.rt.driver;
    srcBackend.joinEvent.record(srcBackend.stream);
    this.stream.wait(srcBackend.joinEvent);
    const dstPtr = d.ptr + BigInt(d0 * 4);
    const srcPtr = s.ptr + BigInt(so * 4);
    this.rt.ctx.makeCurrent();
    if (srcBackend.rt.ctx === this.rt.ctx) {
      check(drv, 'cuMemcpyDtoDAsync', drv.cuMemcpyDtoDAsync(dstPtr, srcPtr, n * 4, this.stream.handle));
    } else {
      this.enablePeer(srcBackend);
      check(
        drv,
        'cuMemcpyPeerAsync',
        drv.cuMemcpyPeerAsync(
          dstPtr,
          this.rt.ctx.handle,
          srcPtr,
          srcBackend.rt.ctx.handle,
          n * 4,
          this.stream.handle,
        ),
      );
    }
    this.joinEvent.record(this.stream);
    srcBackend.stream.wait(this.joinEvent);
  }

  async sync(): Promise<void> {
    this.live();
    this.syncEvent.record(this.stream);
    await this.syncEvent.wait();
  }

  /**
   * GPU time of the work `enqueue` puts on this backend's stream, measured with CUDA events, in
   * milliseconds per repetition (for benchmarks and profiling; waits for the work to finish).
   */
  async time(enqueue: () => void, repeats = 1): Promise<number> {
    this.live();
    const ctx = this.rt.ctx;
    const start = new CudaEvent(ctx, true);
    const end = new CudaEvent(ctx, true);
    try {
      start.record(this.stream);
      for (let i = 0; i < repeats; i++) enqueue();
      end.record(this.stream);
      await end.wait();
      return CudaEvent.elapsedMs(start, end) / repeats;
    } finally {
      start.destroy();
      end.destroy();
    }
  }

  memory(): CudaMemoryStats {
    return {
      ...this.allocator.stats(),
      scratchBytes: this.scratch ? this.scratch.elements * 4 : 0,
      pinnedBytes: this.pinned.totalBytes,
    };
  }

  /** Returns cached device blocks to the driver (waits for this backend's stream first). */
  trim(): void {
    this.live();
    this.allocator.trim();
  }

  dispose(): void {
    if (this.disposed) return;
    this.stream.synchronizeBlocking();
    this.disposed = true;
    this.allocator.dispose();
    this.freeScratch();
    this.pinned.dispose();
    this.params.dispose();
    this.syncEvent.destroy();
    this.joinEvent.destroy();
    this.stream.destroy();
    releaseRuntime(this.rt);
  }

  // ---- kernels ------------------------------------------------------------------------------

  private table(): KernelTableV1 {
    const table: Partial<Record<KernelName, unknown>> = {};
    for (const name of KERNEL_NAMES_V1) {
      table[name] = (
        bufs: KernelSignaturesV1[typeof name]['bufs'],
        attrs: KernelSignaturesV1[typeof name]['attrs'],
      ) => this.run(planKernel(name, bufs as never, attrs as never, { tf32: this.tf32 }));
    }
    return table as KernelTableV1;
  }

  /** Enqueues a plan's launches, in order, on this backend's stream. */
  private run(plan: KernelPlan): void {
    this.live();
    if (plan.scratchElements > 0) this.ensureScratch(plan.scratchElements);
    const { driver, module, ctx } = this.rt;
    ctx.makeCurrent();
    for (const l of plan.launches) {
      const block = this.params.for(l.fn, l.args.length);
      for (let i = 0; i < l.args.length; i++) this.setArg(block, i, l.args[i]!, l.fn);
      launchKernel(driver, l.fn, module.fn(l.fn), l.grid, l.block, l.sharedBytes, this.stream.handle, block);
    }
  }

  private setArg(block: ReturnType<ParamBlocks['for']>, i: number, a: KernelArg, fn: string): void {
    switch (a.kind) {
      case 'ptr':
        block.setPointer(i, this.buffer(a.buf).ptr + BigInt((a.offset ?? 0) * 4));
        return;
      case 'scratch':
        if (!this.scratch) throw new Error(`${this.device}: ${fn} uses scratch but its plan asked for none`);
        block.setPointer(i, this.scratch.ptr + BigInt(a.offset * 4));
        return;
      case 'null':
        block.setPointer(i, 0n);
        return;
      case 'i32':
        block.setI32(i, a.value);
        return;
      case 'u32':
        block.setU32(i, a.value);
        return;
      case 'f32':
        block.setF32(i, a.value);
        return;
      case 'u64':
        block.setU64(i, a.value);
        return;
    }
  }

  /** Grows the scratch buffer (rarely: to the largest plan's need, rounded up by a quarter). */
  private ensureScratch(elements: number): void {
    if (this.scratch && this.scratch.elements >= elements) return;
    this.freeScratch();
    const grown = Math.ceil(elements * 1.25);
    const alloc = (): bigint =>
      BigInt(callOut<number | bigint>(this.rt.driver, 'cuMemAlloc', this.rt.driver.cuMemAlloc, grown * 4));
    this.rt.ctx.makeCurrent();
    let ptr: bigint;
    try {
      ptr = alloc();
    } catch {
      this.allocator.trim(); // out of memory with cached blocks: give them back and retry once
      ptr = alloc();
    }
    this.scratch = { ptr, elements: grown };
  }

  private freeScratch(): void {
    if (!this.scratch) return;
    // Kernels already enqueued may still use it: wait for the stream before handing it back.
    this.stream.synchronizeBlocking();
    check(this.rt.driver, 'cuMemFree', this.rt.driver.cuMemFree(this.scratch.ptr));
    this.scratch = null;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private enablePeer(src: CudaBackend): void {
    const g = src.gpu.ordinal;
    if (this.peersEnabled.has(g) || !canAccessPeer(this.rt.driver, this.gpu.ordinal, g)) return;
    this.rt.ctx.enablePeerAccess(src.rt.ctx);
    this.peersEnabled.add(g);
  }

  private live(): void {
    if (this.disposed) throw new ArgumentError(`${this.device} has been disposed`);
  }

  private buffer(buf: BufferHandle): CudaBuffer {
    this.live();
    return this.allocator.resolve(buf);
  }

  private region(s: CudaBuffer, d: CudaBuffer, region: CopyRegion): { so: number; d0: number; n: number } {
    const so = region.srcOffset ?? 0;
    const d0 = region.dstOffset ?? 0;
    const n = region.length ?? s.length - so;
    this.checkRange('copy (source)', s.length, so, n);
    this.checkRange('copy (destination)', d.length, d0, n);
    return { so, d0, n };
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
