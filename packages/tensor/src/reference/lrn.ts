import type { AccumulateAttr, LrnAttrs } from '../contract/kernels.js';
import { store } from './accumulate.js';
import type { FloatArray } from './types.js';

/**
 * Calls `visit(i, j)` for every channel pair (i, j) with j in i's window, for one pixel: both are
 * flat indices. The window is [i − size/2, i + size/2] clipped to i's channel group, so it is
 * symmetric (j in window(i) ⇔ i in window(j)), which the backward pass relies on.
 */
function forEachWindowPair(a: LrnAttrs, visit: (i: number, j: number) => void): void {
  const half = (a.size - 1) / 2;
  const cg = a.c / a.groups;
  const plane = a.h * a.w;
  for (let n = 0; n < a.n; n++) {
    for (let c = 0; c < a.c; c++) {
      const g0 = Math.floor(c / cg) * cg;
      const lo = Math.max(g0, c - half);
      const hi = Math.min(g0 + cg - 1, c + half);
      for (let p = 0; p < plane; p++) {
        const i = (n * a.c + c) * plane + p;
        for (let cj = lo; cj <= hi; cj++) visit(i, (n * a.c + cj) * plane + p);
      }
    }
  }
}

/** scale_i = k + alpha·Σ_{j∈window(i)} x_j² ;  y_i = x_i · scale_i^(−beta)  (alpha not divided by size). */
export function lrnForward(x: FloatArray, y: FloatArray, scale: FloatArray, a: LrnAttrs): void {
  const len = a.n * a.c * a.h * a.w;
  const sq = new Float64Array(len);
  forEachWindowPair(a, (i, j) => {
    sq[i]! += x[j]! * x[j]!;
  });
  for (let i = 0; i < len; i++) {
    const s = a.k + a.alpha * sq[i]!;
    scale[i] = s;
    y[i] = x[i]! * s ** -a.beta;
  }
}

/**
 * dx_i = dy_i · scale_i^(−beta) − 2·alpha·beta · x_i · Σ_{j∈window(i)} dy_j · y_j / scale_j
 * (differentiate y_j = x_j·scale_j^(−beta); scale_j depends on x_i exactly when i ∈ window(j)).
 */
export function lrnBackward(
  x: FloatArray,
  y: FloatArray,
  scale: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  a: LrnAttrs & AccumulateAttr,
): void {
  const len = a.n * a.c * a.h * a.w;
  const cross = new Float64Array(len);
  forEachWindowPair(a, (i, j) => {
    cross[i]! += (dy[j]! * y[j]!) / scale[j]!;
  });
  const g = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    g[i] = dy[i]! * scale[i]! ** -a.beta - 2 * a.alpha * a.beta * x[i]! * cross[i]!;
  }
  store(dx, g, len, a.accumulate);
}
