import type { BufferHandle, GemmAttrs } from '@alexnet/tensor';
import { ewLaunch, f32, i32, nullPtr, ptr, scratch } from './args.js';
import type { KernelArg, KernelPlan, Launch } from './plan.js';

/** Block tile of the GEMM kernels (GM_BM × GM_BN in csrc/gemm_tiles.cuh) and their thread count. */
export const GEMM_TILE = 128;
export const GEMM_THREADS = 256;

/** One operand of a batched GEMM: where it is, its leading dimension and its two batch strides. */
export interface GemmOperand {
  arg: KernelArg;
  /** element offset of `arg` (for the float4 alignment test) */
  offset: number;
  ld: number;
  /** stride per z1 (blockIdx.z / zdiv) and per z2 (blockIdx.z % zdiv), in elements */
  s1: number;
  s2: number;
}

/** A batched GEMM call: C[z] = alpha·op(A[z])·op(B[z]) + beta·C[z] (+ bias[z2·m + row]). */
export interface GemmCall {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  a: GemmOperand;
  b: GemmOperand;
  c: GemmOperand;
  bias: KernelArg;
  /** number of z1 values and of z2 values (blockIdx.z = z1·zdiv + z2) */
  z1: number;
  zdiv: number;
  tf32: boolean;
}

/** float4 access is safe when every row start of every batch entry is a multiple of 4 elements. */
const vec = (o: GemmOperand): boolean =>
  o.offset % 4 === 0 && o.ld % 4 === 0 && o.s1 % 4 === 0 && o.s2 % 4 === 0;

/** The kernel name for a transpose case: sgemm_{n,t}{n,t}, or sgemm_tf32_… for tensor cores. */
export function gemmFunction(transA: boolean, transB: boolean, tf32: boolean): string {
  return `sgemm_${tf32 ? 'tf32_' : ''}${transA ? 't' : 'n'}${transB ? 't' : 'n'}`;
}

/** The launch of one batched GEMM (args in the order of GEMM_PARAMS in csrc/gemm_tiles.cuh). */
export function gemmLaunch(g: GemmCall): Launch {
  const flags = (vec(g.a) ? 1 : 0) | (vec(g.b) ? 2 : 0) | (vec(g.c) ? 4 : 0);
  return {
    fn: gemmFunction(g.transA, g.transB, g.tf32),
    grid: [Math.ceil(g.n / GEMM_TILE), Math.ceil(g.m / GEMM_TILE), g.z1 * g.zdiv],
    block: [GEMM_THREADS, 1, 1],
    sharedBytes: 0,
    args: [
      i32(g.m),
      i32(g.n),
      i32(g.k),
      f32(g.alpha),
      g.a.arg,
      i32(g.a.ld),
      i32(g.a.s1),
      i32(g.a.s2),
      g.b.arg,
      i32(g.b.ld),
      i32(g.b.s1),
      i32(g.b.s2),
      f32(g.beta),
      g.c.arg,
      i32(g.c.ld),
      i32(g.c.s1),
      i32(g.c.s2),
      g.bias,
      i32(g.zdiv),
      i32(flags),
    ],
  };
}

/**
 * Split-K: a GEMM with fewer output tiles than about SPLIT_TARGET_BLOCKS (two blocks on each SM of
 * a 132-SM H100/H200, 108 on A100) leaves most of the GPU idle — AlexNet's fc layers at batch 128
 * have 8–72 tiles. Such a GEMM is cut into K slices of at least SPLIT_MIN_K, computed as one
 * batched launch into scratch partials, then added up by splitk_reduce (csrc/splitk.cu).
 */
export const SPLIT_TARGET_BLOCKS = 256;
export const SPLIT_MIN_K = 256;

/** Number of K slices for a GEMM (1 = no split). */
export function splitK(m: number, n: number, k: number): number {
  const tiles = Math.ceil(m / GEMM_TILE) * Math.ceil(n / GEMM_TILE);
  if (tiles * 2 > SPLIT_TARGET_BLOCKS) return 1;
  return Math.max(1, Math.min(Math.ceil(SPLIT_TARGET_BLOCKS / tiles), Math.floor(k / SPLIT_MIN_K), 64));
}

/** The contract's gemm kernel: one GEMM with the attributes' defaults applied (split-K when small). */
export function planGemm(
  bufs: { a: BufferHandle; b: BufferHandle; c: BufferHandle },
  at: GemmAttrs,
  tf32: boolean,
): KernelPlan {
  const { m, n, k, transA, transB } = at;
  const oA = at.offsetA ?? 0;
  const oB = at.offsetB ?? 0;
  const oC = at.offsetC ?? 0;
  const lda = at.lda ?? (transA ? m : k);
  const ldb = at.ldb ?? (transB ? k : n);
  const ldc = at.ldc ?? n;
  const operand = (buf: BufferHandle, offset: number, ld: number, s1 = 0): GemmOperand => ({
    arg: ptr(buf, offset),
    offset,
    ld,
    s1,
    s2: 0,
  });
  const common = { transA, transB, m, n, bias: nullPtr, zdiv: 1, tf32 };
  const slices = splitK(m, n, k);
  if (slices === 1) {
    const launch = gemmLaunch({
      ...common,
      k,
      alpha: at.alpha,
      beta: at.beta,
      a: operand(bufs.a, oA, lda),
      b: operand(bufs.b, oB, ldb),
      c: operand(bufs.c, oC, ldc),
      z1: 1,
    });
    return { scratchElements: 0, launches: [launch] };
  }
  // Slice s covers k ∈ [s·chunk, (s+1)·chunk): a multiple of 8 (the k-step) so float4 alignment
  // is kept; `full` equal slices in one launch, the remainder (if any) as a second launch.
  const chunk = Math.ceil(Math.ceil(k / slices) / 8) * 8;
  const full = Math.floor(k / chunk);
  const rem = k - full * chunk;
  const stepA = transA ? lda : 1; // elements between consecutive k of op(A)
  const stepB = transB ? 1 : ldb;
  const mn = m * n;
  const launches: Launch[] = [
    gemmLaunch({
      ...common,
      k: chunk,
      alpha: 1,
      beta: 0,
      a: operand(bufs.a, oA, lda, chunk * stepA),
      b: operand(bufs.b, oB, ldb, chunk * stepB),
      c: { arg: scratch(0), offset: 0, ld: n, s1: mn, s2: 0 },
      z1: full,
    }),
  ];
  if (rem > 0) {
    const at0 = full * chunk;
    launches.push(
      gemmLaunch({
        ...common,
        k: rem,
        alpha: 1,
        beta: 0,
        a: operand(bufs.a, oA + at0 * stepA, lda),
        b: operand(bufs.b, oB + at0 * stepB, ldb),
        c: { arg: scratch(full * mn), offset: full * mn, ld: n, s1: 0, s2: 0 },
        z1: 1,
      }),
    );
  }
  const parts = full + (rem > 0 ? 1 : 0);
  launches.push(
    ewLaunch('splitk_reduce', mn, [
      scratch(0),
      ptr(bufs.c, oC),
      i32(m),
      i32(n),
      i32(ldc),
      i32(parts),
      f32(at.alpha),
      f32(at.beta),
    ]),
  );
  return { scratchElements: parts * mn, launches };
}
