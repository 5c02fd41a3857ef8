import type { SoftmaxAttrs, SoftmaxCrossEntropyAttrs } from '../contract/kernels.js';
import { ArgumentError } from '../errors.js';
import type { FloatArray } from './types.js';

/** Softmax of row r into `out` (max subtracted first so exp never overflows); returns log Σ exp. */
function softmaxRow(x: FloatArray, r: number, classes: number, out: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < classes; j++) max = Math.max(max, x[r * classes + j]!);
  let sum = 0;
  for (let j = 0; j < classes; j++) {
    out[j] = Math.exp(x[r * classes + j]! - max);
    sum += out[j]!;
  }
  for (let j = 0; j < classes; j++) out[j] = out[j]! / sum;
  return max + Math.log(sum);
}

export function softmax(x: FloatArray, y: FloatArray, a: SoftmaxAttrs): void {
  const p = new Float64Array(a.classes);
  for (let r = 0; r < a.n; r++) {
    softmaxRow(x, r, a.classes, p);
    for (let j = 0; j < a.classes; j++) y[r * a.classes + j] = p[j]!;
  }
}

/** loss_r = logΣexp(z_r) − z_r[label_r] ; dlogits_r = (softmax(z_r) − onehot(label_r)) · gradScale. */
export function softmaxCrossEntropy(
  logits: FloatArray,
  labels: FloatArray,
  loss: FloatArray,
  dlogits: FloatArray,
  a: SoftmaxCrossEntropyAttrs,
): void {
  const p = new Float64Array(a.classes);
  for (let r = 0; r < a.n; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= a.classes) {
      throw new ArgumentError(
        `softmaxCrossEntropy: label ${label} of example ${r} is not a class index in [0, ${a.classes})`,
      );
    }
    const lse = softmaxRow(logits, r, a.classes, p);
    loss[r] = lse - logits[r * a.classes + label]!;
    for (let j = 0; j < a.classes; j++) {
      dlogits[r * a.classes + j] = (p[j]! - (j === label ? 1 : 0)) * a.gradScale;
    }
  }
}
