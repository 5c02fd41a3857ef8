import type {
  AccumulateAttr,
  AxpyAttrs,
  DropoutAttrs,
  ElementwiseAttrs,
  SgdAttrs,
} from '../contract/kernels.js';
import { philoxUniform } from '../rng/philox.js';
import type { FloatArray } from './types.js';

type Grad = ElementwiseAttrs & AccumulateAttr;

/** dx = f(i) or dx += f(i): the shared tail of every elementwise backward kernel. */
function writeGrad(dx: FloatArray, a: Grad, f: (i: number) => number): void {
  for (let i = 0; i < a.length; i++) dx[i] = (a.accumulate ? dx[i]! : 0) + f(i);
}

export function relu(x: FloatArray, y: FloatArray, a: ElementwiseAttrs): void {
  for (let i = 0; i < a.length; i++) y[i] = Math.max(0, x[i]!); // NaN stays NaN, so divergence is visible
}

export function reluBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, a: Grad): void {
  writeGrad(dx, a, (i) => (y[i]! > 0 ? dy[i]! : 0));
}

export function tanh(x: FloatArray, y: FloatArray, a: ElementwiseAttrs): void {
  for (let i = 0; i < a.length; i++) y[i] = Math.tanh(x[i]!);
}

export function tanhBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, a: Grad): void {
  writeGrad(dx, a, (i) => dy[i]! * (1 - y[i]! * y[i]!));
}

/** mask_i = [u_i ≥ p] / (1 − p) with u_i from Philox (seed, offset + i); y = x · mask. */
export function dropoutForward(x: FloatArray, y: FloatArray, mask: FloatArray, a: DropoutAttrs): void {
  const u = philoxUniform(a.seed, a.offset, a.length);
  const keep = 1 / (1 - a.p);
  for (let i = 0; i < a.length; i++) {
    mask[i] = u[i]! >= a.p ? keep : 0;
    y[i] = x[i]! * mask[i]!;
  }
}

export function dropoutBackward(dy: FloatArray, mask: FloatArray, dx: FloatArray, a: Grad): void {
  writeGrad(dx, a, (i) => dy[i]! * mask[i]!);
}

/** v ← momentum·v − weightDecay·lr·w − lr·grad ; w ← w + v  (the paper's §5 rule). */
export function sgdUpdate(w: FloatArray, grad: FloatArray, v: FloatArray, a: SgdAttrs): void {
  for (let i = 0; i < a.length; i++) {
    const vi = a.momentum * v[i]! - a.weightDecay * a.lr * w[i]! - a.lr * grad[i]!;
    v[i] = vi;
    w[i] = w[i]! + vi;
  }
}

export function axpy(x: FloatArray, y: FloatArray, a: AxpyAttrs): void {
  for (let i = 0; i < a.length; i++) y[i] = y[i]! + a.alpha * x[i]!;
}
