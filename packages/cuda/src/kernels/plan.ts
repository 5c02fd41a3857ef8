/**
 * Launch plans: for each contract kernel, a pure function from the contract's buffers and
 * attributes to the CUDA launches (in order, on one stream) that compute it. The runtime resolves
 * `fn` in the fatbin module, turns each `KernelArg` into a kernelParams slot and launches.
 */
import type { BufferHandle } from '@alexnet/tensor';

/** One argument of a CUDA kernel, in the order of its C signature. */
export type KernelArg =
  | { kind: 'ptr'; buf: BufferHandle; offset?: number } // device pointer to element `offset` of buf (float32 elements)
  | { kind: 'scratch'; offset: number } // device pointer into the plan's scratch buffer (float32 elements)
  | { kind: 'null' } // a null pointer (e.g. absent bias)
  | { kind: 'i32'; value: number }
  | { kind: 'u32'; value: number }
  | { kind: 'f32'; value: number }
  | { kind: 'u64'; value: bigint };

export interface Launch {
  fn: string;
  grid: readonly [number, number, number];
  block: readonly [number, number, number];
  sharedBytes: number;
  args: readonly KernelArg[];
}

export interface KernelPlan {
  /** float32 elements of scratch the launches use (the runtime grows one per-backend buffer to the max). */
  scratchElements: number;
  launches: readonly Launch[];
}

export interface PlanOptions {
  /** Use the TF32 tensor-core GEMM (faster, ~10-bit mantissa products); off = bit-faithful float32 FMA. */
  tf32: boolean;
}

/** planKernel(name, bufs, attrs, options) and KERNEL_FUNCTIONS live in plans.ts (one planner per kernel). */
export { KERNEL_FUNCTIONS, planKernel, TF32_FUNCTIONS } from './plans.js';
