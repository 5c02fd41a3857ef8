import {
  ArgumentError,
  assertInteger,
  type BackendV1,
  type BufferHandle,
  type CapabilitiesV1,
  type CopyRegion,
  DeviceError,
  HostStorage,
  type KernelTableV1,
  MAX_HOST_BUFFER_LENGTH,
  withValidation,
} from '@alexnet/tensor';
import { drive, type Step, WorkQueue } from './drive.js';
import { KernelCache } from './kernel-cache.js';
import {
  AUTO_ORDER,
  describeMode,
  GPU_MODES,
  type GpuMode,
  isDeviceMode,
  modeUnavailableReason,
} from './modes.js';
import { biasAdd, biasGrad } from './ops/bias.js';
import { concatChannels, splitChannels } from './ops/channels.js';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward } from './ops/conv.js';
import {
  axpy,
  dropoutBackward,
  dropoutForward,
  relu,
  reluBackward,
  sgdUpdate,
  tanh,
  tanhBackward,
} from './ops/elementwise.js';
import { gemm } from './ops/gemm.js';
import { lrnBackward, lrnForward } from './ops/lrn.js';
import { maxPoolBackward, maxPoolForward } from './ops/pool.js';
import { softmax, softmaxCrossEntropy } from './ops/softmax.js';
import type { ResidencyStats, Transfer } from './residency.js';

export interface GpuBackendOptions {
  /** The gpu.js mode; 'auto' (default) picks the best available device mode and says which in `selection`. */
  mode?: GpuMode | 'auto';
  /** Device index: 'gpu:0', 'gpu:1', … */
  index?: number;
}

/**
 * The gpu.js backend: every contract kernel as gpu.js kernels (one compiled kernel per op and shape),
 * in the mode chosen at creation, which is asserted after every kernel run. Create it with
 * `createGpuBackend` (the mode check is asynchronous).
 *
 * In the device modes a kernel's result stays on the device (a gpu.js pipeline texture or buffer) and
 * the next kernel takes it as an argument; the host Float32Array is brought up to date only when
 * something needs it (read, a partial write, a kernel argument that needs host data), and every such
 * transfer is counted in `stats()`. In cpu/webasm modes storage is the host array. In webgpu mode
 * gpu.js answers with Promises, so kernels queue behind each other and `read`/`sync` wait for the queue.
 */
export class GpuBackend extends HostStorage implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'gpu' as const;
  readonly capabilities: CapabilitiesV1;
  readonly kernels: KernelTableV1;
  /** How the mode was chosen: 'requested explicitly', or what 'auto' tried and why it took this one. */
  readonly selection: string;
  private readonly kernelCache: KernelCache;
  private readonly queue = new WorkQueue();

  /** Use `createGpuBackend`, which checks the mode can run before constructing. */
  constructor(
    readonly mode: GpuMode,
    index: number,
    selection: string,
  ) {
    super(`gpu:${index}`, 'float32');
    this.selection = selection;
    this.kernelCache = new KernelCache(mode);
    this.capabilities = {
      precision: 'float32',
      asynchronous: mode === 'webgpu',
      peerCopy: false,
      maxBufferLength: MAX_HOST_BUFFER_LENGTH,
      unsupported: {},
      description: `${describeMode(mode)}${selection.startsWith('auto') ? ` — ${selection}` : ''}`,
    };
    this.kernels = withValidation(this.device, this.table());
  }

  /** True when the mode runs on a graphics device; false for gpu.js's cpu and webasm modes. */
  get onDevice(): boolean {
    return isDeviceMode(this.mode);
  }

  /** Number of compiled kernels (one per op and shape). */
  get compiledKernels(): number {
    return this.kernelCache.size;
  }

  /**
   * Host ↔ device transfer counters (all zero in cpu/webasm modes, whose storage is the host): uploads,
   * downloads (by cause), kernel arguments and results that stayed on the device, live device handles.
   */
  stats(): ResidencyStats {
    return this.kernelCache.residency.stats();
  }

  /**
   * The host array of a buffer, for host-memory code (another backend's peer copy): an error while
   * the buffer's contents are only on the device, rather than stale values.
   */
  override array(buf: BufferHandle): Float32Array | Float64Array {
    const data = super.array(buf);
    if (this.kernelCache?.residency.isStale(data as Float32Array)) {
      throw new DeviceError(`${this.device}: the buffer's contents are on the device; read() them`);
    }
    return data;
  }

  override peerCopy(
    src: BufferHandle,
    srcBackend: BackendV1,
    dst: BufferHandle,
    region: CopyRegion = {},
  ): void {
    this.array(dst); // throws while dst's contents are only on the device
    this.kernelCache.residency.drop(this.f32(dst)); // the host copy is about to change
    super.peerCopy(src, srcBackend, dst, region);
  }

  override write(buf: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    const dst = this.f32(buf);
    const whole = offset === 0 && data.length === dst.length;
    if (this.queue.idle && (whole || !this.kernelCache.residency.isStale(dst))) {
      this.kernelCache.residency.drop(dst); // write replaces the device contents
      super.write(buf, data, offset);
    } else {
      const copy = data.slice(); // the caller may reuse `data` as soon as write returns
      this.queue.submit(() => this.onHost(buf, 'write', whole, () => super.write(buf, copy, offset)));
    }
  }

  override copy(src: BufferHandle, dst: BufferHandle, region: CopyRegion = {}): void {
    this.queue.submit(() => {
      // All of dst from the start of a device-resident src (e.g. flatten): shared on the device.
      const from = this.f32(src);
      const n = region.length ?? from.length - (region.srcOffset ?? 0);
      const aligned = (region.srcOffset ?? 0) === 0 && (region.dstOffset ?? 0) === 0;
      if (aligned && this.kernelCache.residency.share(from, this.f32(dst), n)) return;
      return this.onHost(
        src,
        'copy (source)',
        false,
        () => {
          const to = this.f32(dst);
          const whole =
            (region.dstOffset ?? 0) === 0 && (region.length ?? this.f32(src).length) === to.length;
          return this.onHost(dst, 'copy (destination)', whole, () => super.copy(src, dst, region));
        },
        true, // the source is only read: its device copy stays
      );
    });
  }

  override fill(buf: BufferHandle, value: number, offset = 0, length?: number): void {
    this.queue.submit(() => {
      const whole = offset === 0 && (length ?? this.f32(buf).length) === this.f32(buf).length;
      return this.onHost(buf, 'fill', whole, () => super.fill(buf, value, offset, length));
    });
  }

  override free(buf: BufferHandle): void {
    this.queue.submit(() => {
      this.kernelCache.residency.drop(this.f32(buf));
      super.free(buf);
    });
  }

  override async read(buf: BufferHandle, offset = 0, length?: number): Promise<Float32Array> {
    await this.queue.settle();
    await this.onHost(buf, 'read', false, () => {}, true);
    return super.read(buf, offset, length);
  }

  override readFloat64(buf: BufferHandle, offset = 0, length?: number): Float64Array {
    const pending = this.onHost(buf, 'read', false, () => {}, true);
    if (pending) {
      throw new DeviceError(
        `${this.device}: the buffer is on the device; use read() (asynchronous) in webgpu mode`,
      );
    }
    return super.readFloat64(buf, offset, length);
  }

  override async sync(): Promise<void> {
    await this.queue.settle();
  }

  override dispose(): void {
    this.kernelCache.destroy(); // deletes every device handle first
    super.dispose();
  }

  /** Runs one tiny kernel and checks its result: proves the mode works (and is the mode) before use. */
  async selfTest(): Promise<void> {
    const x = this.alloc(8);
    const y = this.alloc(8);
    this.write(x, new Float32Array([-2, -1, 0, 1, 2, 3, -4, 5]));
    this.fill(y, Number.NaN);
    this.kernels.relu({ x, y }, { length: 8 });
    const got = Array.from(await this.read(y));
    this.free(x);
    this.free(y);
    await this.sync();
    if (got.join(',') !== '0,0,0,1,2,3,0,5') {
      throw new DeviceError(
        `@alexnet/gpu: gpu.js ${this.mode} mode computed relu wrongly: [${got.join(', ')}]`,
      );
    }
  }

  /** The host array behind a buffer, stale or not (kernels key residency on it). */
  private f32(buf: BufferHandle): Float32Array {
    return super.array(buf) as Float32Array;
  }

  /**
   * Runs `then` once `buf`'s host copy may be used: `whole` = it is about to be overwritten entirely
   * (the device copy is just dropped), else the device copy is downloaded first (counted as `cause`).
   */
  private onHost(
    buf: BufferHandle,
    cause: string,
    whole: boolean,
    then: () => void,
    keep = false,
  ): void | Promise<void> {
    const r = this.kernelCache.residency;
    const data = this.f32(buf);
    if (whole || !r.isStale(data)) {
      if (!keep) r.drop(data);
      return then();
    }
    const pending = drive(
      (function* (): Transfer<void> {
        yield* r.toHost(data, cause, keep);
      })(),
    );
    if (pending) return pending.then(then);
    return then();
  }

  /** Queues a kernel: resolves its buffers when it runs (after earlier queued work), then drives it. */
  private run(name: string, step: () => Step): void {
    const r = this.kernelCache.residency;
    this.queue.submit(() => {
      r.kernel = name;
      let pending: void | Promise<void>;
      try {
        pending = drive(step());
      } catch (err) {
        r.endKernel();
        throw err;
      }
      if (pending) return pending.finally(() => r.endKernel());
      r.endKernel();
    });
  }

  private table(): KernelTableV1 {
    const c = this.kernelCache;
    const a = (b: BufferHandle) => this.f32(b);
    const opt = (b: BufferHandle | null) => (b === null ? null : this.f32(b));
    return {
      gemm: (b, g) => this.run('gemm', () => gemm(c, a(b.a), a(b.b), a(b.c), g)),
      conv2dForward: (b, g) =>
        this.run('conv2dForward', () => conv2dForward(c, a(b.x), a(b.w), opt(b.bias), a(b.y), g)),
      conv2dBackwardData: (b, g) =>
        this.run('conv2dBackwardData', () => conv2dBackwardData(c, a(b.dy), a(b.w), a(b.dx), g)),
      conv2dBackwardFilter: (b, g) =>
        this.run('conv2dBackwardFilter', () =>
          conv2dBackwardFilter(c, a(b.x), a(b.dy), a(b.dw), opt(b.dbias), g),
        ),
      maxPoolForward: (b, g) => this.run('maxPoolForward', () => maxPoolForward(c, a(b.x), a(b.y), g)),
      maxPoolBackward: (b, g) =>
        this.run('maxPoolBackward', () => maxPoolBackward(c, a(b.x), a(b.dy), a(b.dx), g)),
      lrnForward: (b, g) => this.run('lrnForward', () => lrnForward(c, a(b.x), a(b.y), a(b.scale), g)),
      lrnBackward: (b, g) =>
        this.run('lrnBackward', () => lrnBackward(c, a(b.x), a(b.y), a(b.scale), a(b.dy), a(b.dx), g)),
      relu: (b, g) => this.run('relu', () => relu(c, a(b.x), a(b.y), g)),
      reluBackward: (b, g) => this.run('reluBackward', () => reluBackward(c, a(b.y), a(b.dy), a(b.dx), g)),
      tanh: (b, g) => this.run('tanh', () => tanh(c, a(b.x), a(b.y), g)),
      tanhBackward: (b, g) => this.run('tanhBackward', () => tanhBackward(c, a(b.y), a(b.dy), a(b.dx), g)),
      dropoutForward: (b, g) =>
        this.run('dropoutForward', () => dropoutForward(c, a(b.x), a(b.y), a(b.mask), g)),
      dropoutBackward: (b, g) =>
        this.run('dropoutBackward', () => dropoutBackward(c, a(b.dy), a(b.mask), a(b.dx), g)),
      biasAdd: (b, g) => this.run('biasAdd', () => biasAdd(c, a(b.x), a(b.bias), a(b.y), g)),
      biasGrad: (b, g) => this.run('biasGrad', () => biasGrad(c, a(b.dy), a(b.db), g)),
      softmax: (b, g) => this.run('softmax', () => softmax(c, a(b.x), a(b.y), g)),
      softmaxCrossEntropy: (b, g) =>
        this.run('softmaxCrossEntropy', () =>
          softmaxCrossEntropy(c, a(b.logits), a(b.labels), a(b.loss), a(b.dlogits), g),
        ),
      sgdUpdate: (b, g) => this.run('sgdUpdate', () => sgdUpdate(c, a(b.w), a(b.grad), a(b.v), g)),
      concatChannels: (b, g) =>
        this.run('concatChannels', () => concatChannels(c, b.inputs.map(a), a(b.y), g)),
      splitChannels: (b, g) => this.run('splitChannels', () => splitChannels(c, a(b.x), b.outputs.map(a), g)),
      axpy: (b, g) => this.run('axpy', () => axpy(c, a(b.x), a(b.y), g)),
    };
  }
}

async function tryMode(mode: GpuMode, index: number, selection: string): Promise<GpuBackend> {
  const why = await modeUnavailableReason(mode);
  if (why !== null) throw new DeviceError(`@alexnet/gpu: gpu.js mode '${mode}' cannot run here: ${why}`);
  const backend = new GpuBackend(mode, index, selection);
  try {
    await backend.selfTest();
  } catch (err) {
    backend.dispose();
    throw new DeviceError(
      `@alexnet/gpu: gpu.js mode '${mode}' failed its self-test: ${(err as Error).message}`,
    );
  }
  return backend;
}

/**
 * Creates the backend; resolves once the mode is known to work. An explicit mode that cannot run
 * rejects with the reason (never a silent fallback). `auto` tries webgpu, webgl2, headlessgl, webgl,
 * then webasm, and records in `selection` (and the description) what it tried and picked — webasm
 * runs on the CPU and says so.
 */
export async function createGpuBackend(options: GpuBackendOptions = {}): Promise<GpuBackend> {
  const index = options.index ?? 0;
  assertInteger(index, 'gpu backend: index', 0);
  const mode = options.mode ?? 'auto';
  if (mode !== 'auto') {
    if (!GPU_MODES.includes(mode)) {
      throw new ArgumentError(
        `gpu backend: unknown mode '${String(mode)}' (one of ${GPU_MODES.join(', ')}, auto)`,
      );
    }
    return tryMode(mode, index, 'requested explicitly');
  }
  const tried: string[] = [];
  for (const m of AUTO_ORDER) {
    try {
      const note = tried.length ? ` (${tried.join('; ')})` : '';
      const cpuNote = isDeviceMode(m) ? '' : ' — no GPU mode is available, so this runs on the CPU';
      return await tryMode(m, index, `auto chose ${m}${cpuNote}${note}`);
    } catch (err) {
      tried.push((err as Error).message.replace('@alexnet/gpu: gpu.js mode ', ''));
    }
  }
  throw new DeviceError(`@alexnet/gpu: no gpu.js mode can run here: ${tried.join('; ')}`);
}
