/**
 * kernelParams packing. cuLaunchKernel takes `void **kernelParams`: one pointer per argument, each
 * pointing at that argument's value. A ParamBlock lives in koffi-allocated memory that never moves:
 *
 *   [ n pointers → slot i ][ n slots of 8 bytes ]
 *
 * The pointer table is written once; a launch only rewrites slot values through a DataView and makes
 * one FFI call. The driver copies the values during cuLaunchKernel, so the block is reusable at once.
 */
import koffi from 'koffi';
import { check } from './errors.js';
import type { CudaDriver } from './library.js';

const SLOT = 8;

export class ParamBlock {
  /** Address of the pointer table (what cuLaunchKernel receives). */
  readonly address: bigint;
  readonly capacity: number;
  private readonly values: DataView;
  private freed = false;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    const n = this.capacity;
    this.address = koffi.alloc('uint64_t', 2 * n) as bigint;
    const table = new BigUint64Array(koffi.view(this.address, n * 8));
    for (let i = 0; i < n; i++) table[i] = this.address + BigInt(n * 8 + i * SLOT);
    this.values = new DataView(koffi.view(this.address + BigInt(n * 8), n * SLOT));
  }

  setPointer(i: number, value: bigint): void {
    this.values.setBigUint64(i * SLOT, value, true);
  }
  setU64(i: number, value: bigint): void {
    this.values.setBigUint64(i * SLOT, value, true);
  }
  setI32(i: number, value: number): void {
    this.values.setInt32(i * SLOT, value, true);
  }
  setU32(i: number, value: number): void {
    this.values.setUint32(i * SLOT, value >>> 0, true);
  }
  setF32(i: number, value: number): void {
    this.values.setFloat32(i * SLOT, value, true);
  }

  /** The 8 bytes of slot i, as written (for tests). */
  slot(i: number): bigint {
    return this.values.getBigUint64(i * SLOT, true);
  }
  /** The pointer table's entry i (for tests). */
  pointerTo(i: number): bigint {
    return new BigUint64Array(koffi.view(this.address, this.capacity * 8))[i]!;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    koffi.free(this.address);
  }
}

/** One reusable ParamBlock per kernel function, grown when a launch passes more arguments. */
export class ParamBlocks {
  private readonly blocks = new Map<string, ParamBlock>();

  for(fn: string, count: number): ParamBlock {
    let b = this.blocks.get(fn);
    if (!b || b.capacity < count) {
      b?.free();
      b = new ParamBlock(count);
      this.blocks.set(fn, b);
    }
    return b;
  }

  dispose(): void {
    for (const b of this.blocks.values()) b.free();
    this.blocks.clear();
  }
}

export type Dim3 = readonly [number, number, number];

/** cuLaunchKernel with the block's arguments, checked (the error names the kernel). */
export function launchKernel(
  d: CudaDriver,
  name: string,
  fn: bigint,
  grid: Dim3,
  block: Dim3,
  sharedBytes: number,
  stream: bigint,
  params: ParamBlock,
): void {
  const rc = d.cuLaunchKernel(
    fn,
    grid[0],
    grid[1],
    grid[2],
    block[0],
    block[1],
    block[2],
    sharedBytes,
    stream,
    params.address,
    null,
  );
  if (rc !== 0) check(d, `cuLaunchKernel(${name})`, rc);
}
