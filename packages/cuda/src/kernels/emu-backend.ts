/**
 * Test support, not part of the package API: a BackendV1 whose "device memory" is host memory and
 * whose kernels are the csrc CUDA kernels compiled for the CPU emulation (build/libalexnet_emu.so,
 * scripts/build-emu.mjs), launched from the very plans the CUDA runtime uses. It checks kernels and
 * plans against the reference without a GPU. It is CPU emulation, NOT a GPU: blocks run one after
 * another and the TF32 tensor-core kernels do not exist here.
 */
import {
  type BackendV1,
  type BufferHandle,
  type CapabilitiesV1,
  type CopyRegion,
  KERNEL_NAMES_V1,
  type KernelName,
  type KernelSignaturesV1,
  type KernelTableV1,
  type MemoryStats,
  withValidation,
} from '@alexnet/tensor';
import koffi from 'koffi';
import type { KernelArg, KernelPlan } from './plan.js';
import { planKernel } from './plan.js';

/** Plans kernel calls; the default is planKernel without TF32 (tests may pass a variant). */
export type Planner = <K extends KernelName>(
  name: K,
  bufs: KernelSignaturesV1[K]['bufs'],
  attrs: KernelSignaturesV1[K]['attrs'],
) => KernelPlan;

interface EmuLibrary {
  launch: (
    name: string,
    gx: number,
    gy: number,
    gz: number,
    bx: number,
    by: number,
    bz: number,
    shared: number,
    params: unknown,
  ) => number;
  names: () => string;
  malloc: (bytes: number) => unknown;
  free: (p: unknown) => void;
}

let loaded: EmuLibrary | undefined;

/** Loads the emulation library (and libc's malloc/free for aligned "device" memory) once. */
export function loadEmuLibrary(path: string): EmuLibrary {
  if (loaded) return loaded;
  const lib = koffi.load(path);
  const libc = koffi.load('libc.so.6');
  loaded = {
    launch: lib.func(
      'int alexnet_emu_launch(const char* name, uint32_t gx, uint32_t gy, uint32_t gz, uint32_t bx, uint32_t by, uint32_t bz, uint32_t sharedBytes, void* params)',
    ) as EmuLibrary['launch'],
    names: lib.func('const char* alexnet_emu_kernel_names(void)') as EmuLibrary['names'],
    malloc: libc.func('void* malloc(size_t)') as EmuLibrary['malloc'],
    free: libc.func('void free(void*)') as EmuLibrary['free'],
  };
  return loaded;
}

class EmuBuffer implements BufferHandle {
  constructor(
    readonly device: string,
    readonly length: number,
    readonly raw: unknown,
    readonly address: bigint,
    readonly data: Float32Array,
  ) {}
}

export class EmuKernelBackend implements BackendV1 {
  readonly contract = 'v1' as const;
  readonly kind = 'emu';
  readonly device = 'emu:0';
  readonly capabilities: CapabilitiesV1 = {
    precision: 'float32',
    asynchronous: false,
    peerCopy: false,
    maxBufferLength: 2 ** 31 - 1,
    unsupported: {},
    description: 'CUDA kernels under CPU emulation (not a GPU)',
  };
  readonly kernels: KernelTableV1;
  /** Launches made so far, by kernel function name (tests check which paths ran). */
  readonly launched = new Map<string, number>();
  private readonly live = new Set<EmuBuffer>();
  private scratch: EmuBuffer | undefined;

  constructor(
    private readonly lib: EmuLibrary,
    private readonly planner: Planner = (name, bufs, attrs) => planKernel(name, bufs, attrs, { tf32: false }),
  ) {
    const table: Partial<Record<KernelName, unknown>> = {};
    for (const name of KERNEL_NAMES_V1) {
      table[name] = (bufs: never, attrs: never) => this.execute(this.planner(name, bufs, attrs));
    }
    this.kernels = withValidation(this.device, table as KernelTableV1);
  }

  private buffer(b: BufferHandle): EmuBuffer {
    if (!(b instanceof EmuBuffer) || !this.live.has(b))
      throw new Error(`emu: not a live buffer of ${this.device}`);
    return b;
  }

  alloc(length: number): BufferHandle {
    const bytes = Math.max(16, length * 4);
    const raw = this.lib.malloc(bytes); // glibc malloc is 16-byte aligned, like the float4 paths need
    if (raw === null) throw new Error(`emu: malloc(${bytes}) failed`);
    const data = new Float32Array(koffi.view(raw, bytes), 0, length);
    const buf = new EmuBuffer(this.device, length, raw, koffi.address(raw), data);
    this.live.add(buf);
    return buf;
  }

  free(b: BufferHandle): void {
    const buf = this.buffer(b);
    this.live.delete(buf);
    this.lib.free(buf.raw);
  }

  write(b: BufferHandle, data: Float32Array | Float64Array, offset = 0): void {
    this.buffer(b).data.set(data, offset);
  }

  async read(b: BufferHandle, offset = 0, length?: number): Promise<Float32Array> {
    const d = this.buffer(b).data;
    return d.slice(offset, offset + (length ?? d.length - offset));
  }

  copy(src: BufferHandle, dst: BufferHandle, r: CopyRegion = {}): void {
    const s = this.buffer(src).data;
    const from = r.srcOffset ?? 0;
    this.buffer(dst).data.set(s.subarray(from, from + (r.length ?? s.length - from)), r.dstOffset ?? 0);
  }

  fill(b: BufferHandle, value: number, offset = 0, length?: number): void {
    const d = this.buffer(b).data;
    d.fill(value, offset, offset + (length ?? d.length - offset));
  }

  async sync(): Promise<void> {}

  memory(): MemoryStats {
    let bytes = 0;
    for (const b of this.live) bytes += b.length * 4;
    return { bytesInUse: bytes, peakBytesInUse: bytes, liveBuffers: this.live.size };
  }

  dispose(): void {
    for (const b of [...this.live]) this.free(b);
    this.scratch = undefined;
  }

  /** Runs a plan: every launch through alexnet_emu_launch with a cuLaunchKernel-style params block. */
  private execute(plan: KernelPlan): void {
    if (plan.scratchElements > (this.scratch?.length ?? 0)) {
      if (this.scratch) this.free(this.scratch);
      this.scratch = this.buffer(this.alloc(plan.scratchElements));
      this.scratch.data.fill(Number.NaN); // stale scratch must never leak into results
    }
    for (const l of plan.launches) {
      const n = l.args.length;
      const bytes = Math.max(8, n * 16);
      const raw = this.lib.malloc(bytes);
      try {
        const view = new DataView(koffi.view(raw, bytes));
        const base = koffi.address(raw);
        l.args.forEach((arg, i) => {
          const slot = 8 * n + 8 * i; // value slots after the n pointers
          view.setBigUint64(8 * i, base + BigInt(slot), true);
          this.encode(view, slot, arg);
        });
        const rc = this.lib.launch(l.fn, ...l.grid, ...l.block, l.sharedBytes, raw);
        if (rc !== 0) throw new Error(`emu: kernel '${l.fn}' is not in the emulation library`);
        this.launched.set(l.fn, (this.launched.get(l.fn) ?? 0) + 1);
      } finally {
        this.lib.free(raw);
      }
    }
  }

  private encode(view: DataView, at: number, arg: KernelArg): void {
    switch (arg.kind) {
      case 'ptr':
        view.setBigUint64(at, this.buffer(arg.buf).address + BigInt(4 * (arg.offset ?? 0)), true);
        return;
      case 'scratch':
        if (!this.scratch) throw new Error('emu: scratch argument without scratch elements in the plan');
        view.setBigUint64(at, this.scratch.address + BigInt(4 * arg.offset), true);
        return;
      case 'null':
        view.setBigUint64(at, 0n, true);
        return;
      case 'i32':
        view.setInt32(at, arg.value, true);
        return;
      case 'u32':
        view.setUint32(at, arg.value, true);
        return;
      case 'f32':
        view.setFloat32(at, arg.value, true);
        return;
      case 'u64':
        view.setBigUint64(at, arg.value, true);
        return;
    }
  }
}
