/**
 * Device residency in the GPU modes (webgl2/webgl/headlessgl textures, webgpu buffers): a buffer's
 * host Float32Array may be stale while a gpu.js pipeline handle (`pipeline: true`, `immutable: true`)
 * holds its current contents. Kernels take such handles directly as arguments, reshaped to the
 * consumer's view (a handle's data is flat, x fastest, whatever its dims: a view of the same or fewer
 * elements from offset 0 reads the same values). Host data a kernel reads whole (parameters, inputs)
 * is uploaded once by a copy kernel and kept on the device beside the host copy until the buffer is
 * written again; everything else is an explicit, counted transfer.
 * In cpu/webasm modes residency is off: host arrays are those modes' native storage.
 */
import { Input, type KernelOutput, type KernelVariable, type OutputDimensions } from 'gpu.js';
import { storeResult, view } from './views.js';

/** What gpu.js returns from a pipeline kernel: a GL texture or a WebGPU buffer result. */
interface DeviceHandle {
  output: number[];
  dimensions?: number[];
  size?: number[];
  clone(): DeviceHandle;
  delete(): void;
  toArray(): KernelOutput | Promise<KernelOutput>;
}

/** Counters of transfers between host and device, and of work that stayed on the device. */
export interface ResidencyStats {
  /** Host arrays uploaded (a whole buffer once, kept on the device; or a view for one kernel). */
  uploads: number;
  /** Device results read back to the host (read(), partial writes, host-only kernel arguments). */
  downloads: number;
  /** Kernel arguments taken from a previous kernel's device result (no transfer). */
  deviceArguments: number;
  /** Kernel results kept on the device as a buffer's current contents (no transfer). */
  deviceResults: number;
  /** Downloads by cause: 'read', 'write', 'copy', 'fill', or `<kernel>: <why>`. */
  downloadsBy: Record<string, number>;
  /** Device handles this backend holds now (resident buffers, temporaries of a running kernel). */
  liveHandles: number;
}

export function isDeviceHandle(v: unknown): v is DeviceHandle {
  return (
    typeof v === 'object' &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    !Array.isArray(v) &&
    typeof (v as { toArray?: unknown }).toArray === 'function' &&
    typeof (v as { delete?: unknown }).delete === 'function'
  );
}

/** A generator step that may wait for a download (a Promise in webgpu mode) through `drive`. */
export type Transfer<T> = Generator<KernelOutput | Promise<KernelOutput>, T, KernelOutput>;

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** A buffer's device copy; `host` = the host array is current too (uploaded, or downloaded by read). */
interface Entry {
  h: DeviceHandle;
  host: boolean;
}

/** Runs gpu.js's copy kernel on a whole host array: its pipeline result is the device copy. */
export type Uploader = (data: Float32Array) => KernelOutput | Promise<KernelOutput>;

export class Residency {
  private readonly resident = new Map<Float32Array, Entry>();
  private readonly live = new Set<DeviceHandle>();
  /** Handles to delete when the running kernel finishes (reshaped argument clones, temporaries). */
  private scratch: DeviceHandle[] = [];
  private readonly counts = { uploads: 0, downloads: 0, deviceArguments: 0, deviceResults: 0 };
  private readonly by: Record<string, number> = {};
  /** Host arrays a kernel made for one call (dropout's stream, SGD's old w/v): uploaded, never kept. */
  private readonly transients = new WeakSet<Float32Array>();
  /** The kernel now running, for the download causes. */
  kernel = '';

  constructor(
    readonly enabled: boolean,
    private readonly uploader: Uploader,
  ) {}

  stats(): ResidencyStats {
    return { ...this.counts, downloadsBy: { ...this.by }, liveHandles: this.live.size };
  }

  /** True when `data`'s host copy is stale (its contents are on the device). */
  isStale(data: Float32Array): boolean {
    const e = this.resident.get(data);
    return e !== undefined && !e.host;
  }

  /**
   * The layout (gpu.js dims) of the first of `arrays` whose device result holds exactly `length`
   * elements, so an elementwise kernel can read it without reshaping; null when none is on the device.
   */
  layoutOf(arrays: readonly Float32Array[], length: number): number[] | null {
    for (const a of arrays) {
      const h = this.resident.get(a)?.h;
      if (h && a.length === length && product(h.output) === length) return [...h.output];
    }
    return null;
  }

  /** Marks host arrays made for one kernel call: `arg` uploads them as views and keeps no device copy. */
  transient(...arrays: Float32Array[]): void {
    for (const a of arrays) this.transients.add(a);
  }

  /** A kernel argument viewing `dims` of `data` from `offset`: the device handle when it can be, else host. */
  *arg(data: Float32Array, offset: number, dims: readonly number[]): Transfer<KernelVariable> {
    if (!this.enabled) return view(data, offset, dims);
    const whole = offset === 0 && product(dims) <= data.length;
    let e = this.resident.get(data);
    if (!e && whole && !this.transients.has(data)) {
      // Uploaded once; later kernels (the next forward pass) take the device copy.
      const out = yield this.uploader(data);
      if (!isDeviceHandle(out)) throw new Error('@alexnet/gpu: the upload kernel returned no device handle');
      this.live.add(out);
      this.counts.uploads++;
      e = { h: out, host: true };
      this.resident.set(data, e);
    }
    if (e && whole) {
      this.counts.deviceArguments++;
      return this.reshaped(e.h, dims) as unknown as KernelVariable;
    }
    if (e) yield* this.toHost(data, `${this.kernel}: offset/padded view`);
    this.counts.uploads++;
    return view(data, offset, dims);
  }

  /** An argument that is not a buffer (a placeholder or host-made data): always an upload. */
  host(data: Float32Array, offset: number, dims: readonly number[]): Input {
    if (this.enabled) this.counts.uploads++;
    return view(data, offset, dims);
  }

  /** Stores a kernel result as `dst[offset, offset + length)`: kept on the device when it is all of dst. */
  *store(out: KernelOutput, dst: Float32Array, offset: number, length: number): Transfer<void> {
    if (!isDeviceHandle(out)) {
      storeResult(out, dst, offset, length);
      return;
    }
    this.live.add(out);
    if (offset === 0 && length === dst.length && product(out.output) >= length) {
      this.adopt(dst, out);
      this.counts.deviceResults++;
      return;
    }
    // A partial write: the rest of dst must be current on the host first.
    yield* this.toHost(dst, `${this.kernel}: partial write`);
    const values = yield* this.download(out, `${this.kernel}: partial write`);
    storeResult(values, dst, offset, length);
  }

  /** Rows of a result written into `dst` at `offset + i·stride` (GEMM with ldc / column blocks). */
  *storeRows(out: KernelOutput, dst: Float32Array, visit: (v: KernelOutput) => void): Transfer<void> {
    if (!isDeviceHandle(out)) {
      visit(out);
      return;
    }
    this.live.add(out);
    yield* this.toHost(dst, `${this.kernel}: strided write`);
    visit(yield* this.download(out, `${this.kernel}: strided write`));
  }

  /**
   * An intermediate of one kernel (partial sums, log-sum-exp) as a host array stand-in: on the device
   * it stays a handle, read by the next step through `arg`, deleted when the kernel finishes.
   */
  temp(out: KernelOutput, length: number): Float32Array {
    const stand = new Float32Array(length);
    if (!isDeviceHandle(out)) {
      storeResult(out, stand, 0, length);
      return stand;
    }
    this.live.add(out);
    this.resident.set(stand, { h: out, host: false });
    this.scratch.push(out);
    return stand;
  }

  /**
   * A copy of all of `dst` from the start of `src` on the device: dst shares src's device copy (a
   * clone of the handle; results are immutable, so neither changes under the other). False when
   * src is not on the device.
   */
  share(src: Float32Array, dst: Float32Array, length: number): boolean {
    const e = this.resident.get(src);
    if (!e || length !== dst.length || length > src.length) return false;
    if (src === dst) return true;
    this.drop(dst);
    const c = e.h.clone();
    this.live.add(c);
    this.resident.set(dst, { h: c, host: false });
    this.counts.deviceResults++;
    return true;
  }

  /**
   * Makes `data`'s host copy current (downloading if only the device holds it). `keep`: the caller
   * only reads the host copy, so the device copy stays usable; else the host is about to change and
   * the device copy is dropped.
   */
  *toHost(data: Float32Array, cause: string, keep = false): Transfer<void> {
    const e = this.resident.get(data);
    if (!e) return;
    if (!e.host) {
      const values = yield* this.download(e.h, cause);
      storeResult(values, data, 0, data.length);
      e.host = true;
    }
    if (!keep) this.drop(data);
  }

  /** Forgets (and deletes) the device copy of `data`: its host copy is about to be current. */
  drop(data: Float32Array): void {
    const e = this.resident.get(data);
    if (!e) return;
    this.resident.delete(data);
    this.release(e.h);
  }

  /** Called when a kernel finishes (or fails): deletes its argument clones and temporaries. */
  endKernel(): void {
    for (const h of this.scratch) {
      for (const [k, v] of this.resident) if (v.h === h) this.resident.delete(k);
      this.release(h);
    }
    this.scratch = [];
    this.kernel = '';
  }

  dispose(): void {
    this.endKernel();
    for (const e of this.resident.values()) this.release(e.h);
    this.resident.clear();
  }

  private adopt(dst: Float32Array, h: DeviceHandle): void {
    const old = this.resident.get(dst);
    this.resident.set(dst, { h, host: false });
    // The old contents may still be this kernel's argument (in-place ops): delete after it finishes.
    if (old) this.scratch.push(old.h);
  }

  private *download(h: DeviceHandle, cause: string): Transfer<KernelOutput> {
    this.counts.downloads++;
    this.by[cause] = (this.by[cause] ?? 0) + 1;
    return yield h.toArray();
  }

  /** A clone of `h` that reads as `dims` (same flat data); deleted when the kernel finishes. */
  private reshaped(h: DeviceHandle, dims: readonly number[]): DeviceHandle {
    const c = h.clone();
    c.output = [...dims];
    if (c.dimensions) c.dimensions = [...dims, 1, 1].slice(0, 3);
    this.live.add(c);
    this.scratch.push(c);
    return c;
  }

  private release(h: DeviceHandle): void {
    if (!this.live.has(h)) return;
    this.live.delete(h);
    h.delete();
  }
}

/** A placeholder for an argument a kernel variant ignores. */
export function none(dims: readonly number[]): Input {
  return new Input(new Float32Array(1) as unknown as number[], dims as unknown as OutputDimensions);
}
