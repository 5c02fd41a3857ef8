import type { BufferHandle } from '@alexnet/tensor';
import type { KernelArg, Launch } from './plan.js';

/** Threads per block of the 1-D kernels (EW_THREADS in csrc/common.cuh). */
export const EW_THREADS = 256;
/** Cap on 1-D grids: the kernels are grid-stride loops, so more blocks than the GPU holds buy nothing. */
const MAX_EW_BLOCKS = 8192;

export const ptr = (buf: BufferHandle, offset = 0): KernelArg =>
  offset === 0 ? { kind: 'ptr', buf } : { kind: 'ptr', buf, offset };
export const scratch = (offset: number): KernelArg => ({ kind: 'scratch', offset });
export const nullPtr: KernelArg = { kind: 'null' };
export const i32 = (value: number): KernelArg => ({ kind: 'i32', value });
export const u32 = (value: number): KernelArg => ({ kind: 'u32', value });
export const f32 = (value: number): KernelArg => ({ kind: 'f32', value });
export const u64 = (value: bigint): KernelArg => ({ kind: 'u64', value });
export const flag = (on: boolean): KernelArg => i32(on ? 1 : 0);

/** A grid-stride 1-D launch over `n` work items. */
export function ewLaunch(fn: string, n: number, args: readonly KernelArg[]): Launch {
  const blocks = Math.max(1, Math.min(Math.ceil(n / EW_THREADS), MAX_EW_BLOCKS));
  return { fn, grid: [blocks, 1, 1], block: [EW_THREADS, 1, 1], sharedBytes: 0, args };
}
