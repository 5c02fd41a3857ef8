import type { AccumulateAttr, LrnAttrs } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { none } from '../residency.js';

/*
 * Local response normalisation across channels on [w, h, n·c] views. Each thread walks its own
 * channel window, [c − size/2, c + size/2] clipped to c's group (the window is symmetric, which the
 * backward gather relies on); z = n·C + c is decoded as n = floor((z + 0.5)/C).
 */

const WINDOW_SUM = (term: string) => `
    const z = this.thread.z;
    const n = Math.floor((z + 0.5) / this.constants.C);
    const c = z - n * this.constants.C;
    const g0 = Math.floor((c + 0.5) / this.constants.CG) * this.constants.CG;
    let s = 0;
    for (let j = 0; j < this.constants.SIZE; j++) {
      const cj = c - this.constants.HALF + j;
      if (cj >= g0 && cj < g0 + this.constants.CG) {
        const zj = n * this.constants.C + cj;
        s += ${term};
      }
    }`;

function consts(a: LrnAttrs) {
  return { C: a.c, CG: a.c / a.groups, SIZE: a.size, HALF: (a.size - 1) / 2 };
}

const shapeKey = (a: LrnAttrs) =>
  `${a.n}x${a.c}x${a.h}x${a.w} size${a.size} a${a.alpha} b${a.beta} k${a.k} g${a.groups}`;

/** scale_i = k + alpha·Σ_{j∈window(i)} x_j²;  y_i = x_i · scale_i^(−beta). Two kernels, one output each. */
export function* lrnForward(
  cache: KernelCache,
  x: Float32Array,
  y: Float32Array,
  scale: Float32Array,
  a: LrnAttrs,
): Step {
  const dims = [a.w, a.h, a.n * a.c];
  const len = a.n * a.c * a.h * a.w;
  const sq = 'x[zj][this.thread.y][this.thread.x] * x[zj][this.thread.y][this.thread.x]';
  const r = cache.residency;
  const scaleOut = yield cache.run(
    {
      key: `lrnForward scale ${shapeKey(a)}`,
      source: `function (x, alpha, k) {${WINDOW_SUM(sq)}
        return k + alpha * s;
      }`,
      output: dims,
      constants: consts(a),
    },
    [yield* r.arg(x, 0, dims), a.alpha, a.k],
  );
  const yOut = yield cache.run(
    {
      key: `lrnForward y ${shapeKey(a)}`,
      source: `function (x, alpha, k, beta) {${WINDOW_SUM(sq)}
        return x[z][this.thread.y][this.thread.x] * Math.pow(k + alpha * s, -beta);
      }`,
      output: dims,
      constants: consts(a),
    },
    [yield* r.arg(x, 0, dims), a.alpha, a.k, a.beta],
  );
  yield* r.store(scaleOut, scale, 0, len);
  yield* r.store(yOut, y, 0, len);
}

/** dx_i = dy_i·scale_i^(−beta) − 2·alpha·beta·x_i·Σ_{j∈window(i)} dy_j·y_j/scale_j. */
export function* lrnBackward(
  cache: KernelCache,
  x: Float32Array,
  y: Float32Array,
  scale: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  a: LrnAttrs & AccumulateAttr,
): Step {
  const dims = [a.w, a.h, a.n * a.c];
  const at = '[this.thread.y][this.thread.x]';
  const r = cache.residency;
  const out = yield cache.run(
    {
      key: `lrnBackward ${shapeKey(a)} ${a.accumulate ? 'acc' : ''}`,
      source: `function (x, y, scale, dy, prev, alpha, beta) {${WINDOW_SUM(`dy[zj]${at} * y[zj]${at} / scale[zj]${at}`)}
        const d = dy[z]${at} * Math.pow(scale[z]${at}, -beta) - 2 * alpha * beta * x[z]${at} * s;
        return ${a.accumulate ? `prev[z]${at} + d` : 'd'};
      }`,
      output: dims,
      constants: consts(a),
    },
    [
      yield* r.arg(x, 0, dims),
      yield* r.arg(y, 0, dims),
      yield* r.arg(scale, 0, dims),
      yield* r.arg(dy, 0, dims),
      a.accumulate ? yield* r.arg(dx, 0, dims) : none([1, 1, 1]),
      a.alpha,
      a.beta,
    ],
  );
  yield* r.store(out, dx, 0, a.n * a.c * a.h * a.w);
}
