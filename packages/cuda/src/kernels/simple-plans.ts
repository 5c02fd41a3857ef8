import {
  type BufferHandle,
  type ChannelsAttrs,
  type DropoutAttrs,
  type LrnAttrs,
  type PoolAttrs,
  poolOutputShape,
  type SoftmaxAttrs,
} from '@alexnet/tensor';
import { ewLaunch, f32, flag, i32, ptr, u32, u64 } from './args.js';
import type { KernelArg, KernelPlan, Launch } from './plan.js';

/** Plans of one launch and no scratch. */
const one = (l: Launch): KernelPlan => ({ scratchElements: 0, launches: [l] });
/** Elementwise plans: nothing to launch for an empty tensor. */
const ew = (fn: string, n: number, args: readonly KernelArg[]): KernelPlan =>
  n === 0 ? { scratchElements: 0, launches: [] } : one(ewLaunch(fn, n, args));

export function planMaxPoolForward(b: { x: BufferHandle; y: BufferHandle }, a: PoolAttrs): KernelPlan {
  const { outH, outW } = poolOutputShape(a);
  return one(
    ewLaunch('maxpool_forward', a.n * a.c * outH * outW, [
      ptr(b.x),
      ptr(b.y),
      i32(a.n * a.c),
      i32(a.h),
      i32(a.w),
      i32(a.size),
      i32(a.stride),
      i32(a.pad),
      i32(outH),
      i32(outW),
    ]),
  );
}

export function planMaxPoolBackward(
  b: { x: BufferHandle; dy: BufferHandle; dx: BufferHandle },
  a: PoolAttrs & { accumulate: boolean },
): KernelPlan {
  const { outH, outW } = poolOutputShape(a);
  return one(
    ewLaunch('maxpool_backward', a.n * a.c * a.h * a.w, [
      ptr(b.x),
      ptr(b.dy),
      ptr(b.dx),
      i32(a.n * a.c),
      i32(a.h),
      i32(a.w),
      i32(a.size),
      i32(a.stride),
      i32(a.pad),
      i32(outH),
      i32(outW),
      flag(a.accumulate),
    ]),
  );
}

export function planLrnForward(
  b: { x: BufferHandle; y: BufferHandle; scale: BufferHandle },
  a: LrnAttrs,
): KernelPlan {
  return one(
    ewLaunch('lrn_forward', a.n * a.c * a.h * a.w, [
      ptr(b.x),
      ptr(b.y),
      ptr(b.scale),
      i32(a.n),
      i32(a.c),
      i32(a.h * a.w),
      i32(a.size),
      f32(a.alpha),
      f32(a.beta),
      f32(a.k),
      i32(a.groups),
    ]),
  );
}

export function planLrnBackward(
  b: { x: BufferHandle; y: BufferHandle; scale: BufferHandle; dy: BufferHandle; dx: BufferHandle },
  a: LrnAttrs & { accumulate: boolean },
): KernelPlan {
  return one(
    ewLaunch('lrn_backward', a.n * a.c * a.h * a.w, [
      ptr(b.x),
      ptr(b.y),
      ptr(b.scale),
      ptr(b.dy),
      ptr(b.dx),
      i32(a.n),
      i32(a.c),
      i32(a.h * a.w),
      i32(a.size),
      f32(a.alpha),
      f32(a.beta),
      i32(a.groups),
      flag(a.accumulate),
    ]),
  );
}

export const planUnary = (fn: string, b: { x: BufferHandle; y: BufferHandle }, length: number): KernelPlan =>
  ew(fn, length, [ptr(b.x), ptr(b.y), i32(length)]);

/** reluBackward, tanhBackward, dropoutBackward: (in0, in1, dx, n, accumulate). */
export const planGradient = (
  fn: string,
  in0: BufferHandle,
  in1: BufferHandle,
  dx: BufferHandle,
  a: { length: number; accumulate: boolean },
): KernelPlan => ew(fn, a.length, [ptr(in0), ptr(in1), ptr(dx), i32(a.length), flag(a.accumulate)]);

/**
 * The keep test u ≥ p as integers: u = v·2⁻²⁴ with v = philox >> 8, so u ≥ p ⇔ v ≥ ⌈p·2²⁴⌉
 * (exact in float64), whatever p rounds to in float32. keep = 1/(1−p) rounded to float32, as the
 * reference stores it.
 */
export function planDropoutForward(
  b: { x: BufferHandle; y: BufferHandle; mask: BufferHandle },
  a: DropoutAttrs,
): KernelPlan {
  return ew('dropout_forward', a.length, [
    ptr(b.x),
    ptr(b.y),
    ptr(b.mask),
    i32(a.length),
    u64(BigInt(a.seed)),
    u64(BigInt(a.offset)),
    u32(Math.ceil(a.p * 2 ** 24)),
    f32(Math.fround(1 / (1 - a.p))),
  ]);
}

/** Threads per softmax row: a power of two in [32, 256], no more than the classes need. */
export function softmaxThreads(classes: number): number {
  let t = 32;
  while (t < 256 && t < classes) t *= 2;
  return t;
}

function rowLaunch(fn: string, a: SoftmaxAttrs, args: readonly KernelArg[]): KernelPlan {
  const t = softmaxThreads(a.classes);
  return one({ fn, grid: [a.n, 1, 1], block: [t, 1, 1], sharedBytes: t * 4, args });
}

export const planSoftmax = (b: { x: BufferHandle; y: BufferHandle }, a: SoftmaxAttrs): KernelPlan =>
  rowLaunch('softmax_forward', a, [ptr(b.x), ptr(b.y), i32(a.classes)]);

export const planSoftmaxCrossEntropy = (
  b: { logits: BufferHandle; labels: BufferHandle; loss: BufferHandle; dlogits: BufferHandle },
  a: SoftmaxAttrs & { gradScale: number },
): KernelPlan =>
  rowLaunch('softmax_cross_entropy', a, [
    ptr(b.logits),
    ptr(b.labels),
    ptr(b.loss),
    ptr(b.dlogits),
    i32(a.classes),
    f32(a.gradScale),
  ]);

/** One copy_channels launch per part: part i ↔ channels [start_i, start_i + channels[i]) of the whole. */
export function planChannels(
  parts: readonly BufferHandle[],
  whole: BufferHandle,
  a: ChannelsAttrs,
  direction: 'concat' | 'split',
): KernelPlan {
  const total = a.channels.reduce((s, c) => s + c, 0);
  const launches: Launch[] = [];
  let start = 0;
  a.channels.forEach((cp, i) => {
    const part = parts[i]!;
    const [src, srcC, srcStart, dst, dstC, dstStart] =
      direction === 'concat' ? [part, cp, 0, whole, total, start] : [whole, total, start, part, cp, 0];
    launches.push(
      ewLaunch('copy_channels', a.n * cp * a.spatial, [
        ptr(src),
        ptr(dst),
        i32(a.n),
        i32(cp),
        i32(a.spatial),
        i32(srcC),
        i32(srcStart),
        i32(dstC),
        i32(dstStart),
      ]),
    );
    start += cp;
  });
  return { scratchElements: 0, launches };
}
