/**
 * Kernel attributes, each family built by one object literal, so every call of a kernel sees objects
 * of a single hidden class (V8 "map").
 *
 * Why it matters: the reference kernels read their attributes (`a.kh`, `a.stride`, …) inside their
 * inner loops. Fed attribute objects of several hidden classes — e.g. `{ ...a, accumulate: false }`
 * spread at different call sites — V8 deoptimizes them into polymorphic code: conv4's
 * backward-data took 4.0 s instead of about 0.3 s at batch 1 in this benchmark's first version, and
 * how much slower depended on which layers had run before. The backward attributes (`accumulate`)
 * are included in every object so that forward and backward calls share one shape too.
 */
import type {
  AccumulateAttr,
  BiasAttrs,
  ConvAttrs,
  GemmAttrs,
  LrnAttrs,
  PoolAttrs,
  SgdAttrs,
} from '@alexnet/tensor';
import type { ConvShape, LrnShape, PoolShape } from '../alexnet.js';

export function convAttrs(n: number, s: ConvShape): ConvAttrs & AccumulateAttr {
  return {
    n,
    c: s.c,
    h: s.h,
    w: s.w,
    outC: s.outC,
    kh: s.kh,
    kw: s.kw,
    stride: s.stride,
    pad: s.pad,
    groups: s.groups,
    accumulate: false,
  };
}

/** C = op(A)·op(B), alpha 1, beta 0, packed leading dimensions. */
export function gemmAttrs(transA: boolean, transB: boolean, m: number, n: number, k: number): GemmAttrs {
  return { transA, transB, m, n, k, alpha: 1, beta: 0 };
}

export function poolAttrs(n: number, s: PoolShape): PoolAttrs & AccumulateAttr {
  return { n, c: s.c, h: s.h, w: s.w, size: s.size, stride: s.stride, pad: s.pad, accumulate: false };
}

export function lrnAttrs(n: number, s: LrnShape): LrnAttrs & AccumulateAttr {
  return {
    n,
    c: s.c,
    h: s.h,
    w: s.w,
    size: s.size,
    alpha: s.alpha,
    beta: s.beta,
    k: s.k,
    groups: s.groups,
    accumulate: false,
  };
}

export function elementwiseAttrs(length: number): { length: number; accumulate: boolean } {
  return { length, accumulate: false };
}

export function biasAttrs(n: number, c: number): BiasAttrs & AccumulateAttr {
  return { n, c, spatial: 1, accumulate: false };
}

/** The paper's SGD hyper-parameters (§5); their values do not change the kernel's cost. */
export function sgdAttrs(length: number): SgdAttrs {
  return { length, lr: 0.01, momentum: 0.9, weightDecay: 0.0005 };
}
