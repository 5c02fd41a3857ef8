import { type BufferHandle, type ConvAttrs, convOutputShape } from '@alexnet/tensor';
import { ewLaunch, flag, i32, nullPtr, ptr, scratch } from './args.js';
import { planBiasGrad } from './bias-plan.js';
import { type GemmOperand, gemmLaunch } from './gemm-plan.js';
import type { KernelArg, KernelPlan, Launch } from './plan.js';

/**
 * Convolutions as im2col + batched GEMM (see csrc/conv.cu and dev/conv.cu for why): the batch is
 * processed in chunks of images whose column matrices fit in `budget` (default SCRATCH_BUDGET)
 * elements, and each
 * chunk is ONE GEMM launch with z = (image, group). A 1×1, stride-1, unpadded convolution needs no
 * im2col: x itself is the column matrix.
 */
export const SCRATCH_BUDGET = 2 ** 26; // float32 elements (256 MiB)

interface Geometry {
  outH: number;
  outW: number;
  /** output pixels per image */
  P: number;
  cg: number;
  og: number;
  /** GEMM depth per group: cg·kh·kw */
  kc: number;
  /** column elements per image: c·kh·kw·P */
  colPerImg: number;
  imgIn: number;
  imgOut: number;
  direct: boolean;
}

function geometry(a: ConvAttrs): Geometry {
  const { outH, outW } = convOutputShape(a);
  const P = outH * outW;
  const cg = a.c / a.groups;
  return {
    outH,
    outW,
    P,
    cg,
    og: a.outC / a.groups,
    kc: cg * a.kh * a.kw,
    colPerImg: a.c * a.kh * a.kw * P,
    imgIn: a.c * a.h * a.w,
    imgOut: a.outC * P,
    direct: a.kh === 1 && a.kw === 1 && a.stride === 1 && a.pad === 0,
  };
}

/** Images per chunk: as many as fit `perImage` scratch elements in the budget (≥ 1, ≤ 65535 z-blocks). */
function chunkSize(a: ConvAttrs, perImage: number, budget: number): number {
  const fit = perImage === 0 ? a.n : Math.floor(budget / perImage);
  return Math.max(1, Math.min(a.n, fit, Math.floor(65535 / a.groups)));
}

function* chunks(n: number, size: number): Generator<[number, number]> {
  for (let n0 = 0; n0 < n; n0 += size) yield [n0, Math.min(size, n - n0)];
}

const operand = (arg: KernelArg, offset: number, ld: number, s1: number, s2: number): GemmOperand => ({
  arg,
  offset,
  ld,
  s1,
  s2,
});

/** im2col of `count` images starting at image n0 into scratch offset 0. */
function im2col(x: BufferHandle, a: ConvAttrs, g: Geometry, n0: number, count: number): Launch {
  return ewLaunch('im2col_batched', count * g.colPerImg, [
    ptr(x, n0 * g.imgIn),
    scratch(0),
    i32(count),
    i32(a.c),
    i32(a.h),
    i32(a.w),
    i32(a.kh),
    i32(a.kw),
    i32(a.stride),
    i32(a.pad),
    i32(g.outH),
    i32(g.outW),
  ]);
}

/** The column operand of a chunk: scratch (after im2col) or x itself for direct 1×1 convolutions. */
function columns(x: BufferHandle, g: Geometry, n0: number): GemmOperand {
  return g.direct
    ? operand(ptr(x, n0 * g.imgIn), n0 * g.imgIn, g.P, g.imgIn, g.cg * g.P)
    : operand(scratch(0), 0, g.P, g.colPerImg, g.kc * g.P);
}

/** y[n, g·og + o, p] = bias + Σ_k w[g·og + o, k] · col[n, g, k, p]. */
export function planConvForward(
  b: { x: BufferHandle; w: BufferHandle; bias: BufferHandle | null; y: BufferHandle },
  a: ConvAttrs,
  tf32: boolean,
  budget = SCRATCH_BUDGET,
): KernelPlan {
  const g = geometry(a);
  const size = chunkSize(a, g.direct ? 0 : g.colPerImg, budget);
  const launches: Launch[] = [];
  for (const [n0, count] of chunks(a.n, size)) {
    if (!g.direct) launches.push(im2col(b.x, a, g, n0, count));
    launches.push(
      gemmLaunch({
        transA: false,
        transB: false,
        m: g.og,
        n: g.P,
        k: g.kc,
        alpha: 1,
        beta: 0,
        a: operand(ptr(b.w), 0, g.kc, 0, g.og * g.kc),
        b: columns(b.x, g, n0),
        c: operand(ptr(b.y, n0 * g.imgOut), n0 * g.imgOut, g.P, g.imgOut, g.og * g.P),
        bias: b.bias ? ptr(b.bias) : nullPtr,
        z1: count,
        zdiv: a.groups,
        tf32,
      }),
    );
  }
  return { scratchElements: g.direct ? 0 : size * g.colPerImg, launches };
}

/** col = w_gᵀ · dy_g per (image, group), then dx (+)= col2im(col); direct 1×1 writes dx at once. */
export function planConvBackwardData(
  b: { dy: BufferHandle; w: BufferHandle; dx: BufferHandle },
  a: ConvAttrs & { accumulate: boolean },
  tf32: boolean,
  budget = SCRATCH_BUDGET,
): KernelPlan {
  const g = geometry(a);
  const size = chunkSize(a, g.direct ? 0 : g.colPerImg, budget);
  const launches: Launch[] = [];
  for (const [n0, count] of chunks(a.n, size)) {
    const dx = operand(ptr(b.dx, n0 * g.imgIn), n0 * g.imgIn, g.P, g.imgIn, g.cg * g.P);
    launches.push(
      gemmLaunch({
        transA: true,
        transB: false,
        m: g.kc,
        n: g.P,
        k: g.og,
        alpha: 1,
        beta: g.direct && a.accumulate ? 1 : 0,
        a: operand(ptr(b.w), 0, g.kc, 0, g.og * g.kc),
        b: operand(ptr(b.dy, n0 * g.imgOut), n0 * g.imgOut, g.P, g.imgOut, g.og * g.P),
        c: g.direct ? dx : operand(scratch(0), 0, g.P, g.colPerImg, g.kc * g.P),
        bias: nullPtr,
        z1: count,
        zdiv: a.groups,
        tf32,
      }),
    );
    if (!g.direct) {
      launches.push(
        ewLaunch('col2im_batched', count * g.imgIn, [
          scratch(0),
          ptr(b.dx, n0 * g.imgIn),
          i32(count),
          i32(a.c),
          i32(a.h),
          i32(a.w),
          i32(a.kh),
          i32(a.kw),
          i32(a.stride),
          i32(a.pad),
          i32(g.outH),
          i32(g.outW),
          flag(a.accumulate),
        ]),
      );
    }
  }
  return { scratchElements: g.direct ? 0 : size * g.colPerImg, launches };
}

/**
 * dw_g (+)= Σ_images dy_g · col_gᵀ: each (image, group) of a chunk writes its own partial dw into
 * scratch (one batched GEMM), then sum_partials adds the chunk's partials in a fixed order — a
 * deterministic two-pass reduction instead of one long serial loop or atomics. dbias is biasGrad of dy.
 */
export function planConvBackwardFilter(
  b: { x: BufferHandle; dy: BufferHandle; dw: BufferHandle; dbias: BufferHandle | null },
  a: ConvAttrs & { accumulate: boolean },
  tf32: boolean,
  budget = SCRATCH_BUDGET,
): KernelPlan {
  const g = geometry(a);
  const wLen = a.outC * g.kc;
  const launches: Launch[] = [];
  const colLen = g.direct ? 0 : g.colPerImg;
  const size = chunkSize(a, colLen + wLen, budget);
  const partAt = size * colLen;
  let scratchElements = size * (colLen + wLen);
  // Every dimension is ≥ 1 (the contract validates), so there is always at least one chunk.
  let first = true;
  for (const [n0, count] of chunks(a.n, size)) {
    if (!g.direct) launches.push(im2col(b.x, a, g, n0, count));
    launches.push(
      gemmLaunch({
        transA: false,
        transB: true,
        m: g.og,
        n: g.kc,
        k: g.P,
        alpha: 1,
        beta: 0,
        a: operand(ptr(b.dy, n0 * g.imgOut), n0 * g.imgOut, g.P, g.imgOut, g.og * g.P),
        b: columns(b.x, g, n0),
        c: operand(scratch(partAt), partAt, g.kc, wLen, g.og * g.kc),
        bias: nullPtr,
        z1: count,
        zdiv: a.groups,
        tf32,
      }),
    );
    launches.push(
      ewLaunch('sum_partials', wLen, [
        scratch(partAt),
        ptr(b.dw),
        i32(wLen),
        i32(count),
        flag(a.accumulate || !first),
      ]),
    );
    first = false;
  }
  if (b.dbias) {
    const bias = planBiasGrad(
      { dy: b.dy, db: b.dbias },
      { n: a.n, c: a.outC, spatial: g.P, accumulate: a.accumulate },
    );
    // biasGrad's scratch goes after the convolution's (the launches run in order on one stream anyway).
    for (const l of bias.launches) launches.push(shiftScratch(l, scratchElements));
    scratchElements += bias.scratchElements;
  }
  return { scratchElements, launches };
}

/** A launch with its scratch arguments moved by `by` elements. */
function shiftScratch(l: Launch, by: number): Launch {
  if (by === 0) return l;
  return { ...l, args: l.args.map((arg) => (arg.kind === 'scratch' ? scratch(arg.offset + by) : arg)) };
}
