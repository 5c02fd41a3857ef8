import { ArgumentError, type SoftmaxAttrs, type SoftmaxCrossEntropyAttrs } from '@alexnet/tensor';
import type { KernelOutput } from 'gpu.js';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';

/*
 * Softmax rows on a [classes, n] view: one kernel computes each row's log Σ exp (max subtracted
 * first, so exp never overflows), a second writes exp(x − lse) per element — no thread loops over a
 * row more than twice.
 */

function* logSumExp(
  cache: KernelCache,
  x: Float32Array,
  a: SoftmaxAttrs,
): Generator<KernelOutput | Promise<KernelOutput>, Float32Array, KernelOutput> {
  const out = yield cache.run(
    {
      key: `logSumExp ${a.n}x${a.classes}`,
      source: `function (x) {
        const r = this.thread.x;
        let m = x[r][0];
        for (let j = 1; j < this.constants.K; j++) {
          m = Math.max(m, x[r][j]);
        }
        let s = 0;
        for (let j = 0; j < this.constants.K; j++) {
          s += Math.exp(x[r][j] - m);
        }
        return m + Math.log(s);
      }`,
      output: [a.n],
      constants: { K: a.classes },
    },
    [yield* cache.residency.arg(x, 0, [a.classes, a.n])],
  );
  return cache.residency.temp(out, a.n);
}

export function* softmax(cache: KernelCache, x: Float32Array, y: Float32Array, a: SoftmaxAttrs): Step {
  const r = cache.residency;
  const lse = yield* logSumExp(cache, x, a);
  const out = yield cache.run(
    {
      key: `softmax ${a.n}x${a.classes}`,
      source: `function (x, lse) {
        return Math.exp(x[this.thread.y][this.thread.x] - lse[this.thread.y]);
      }`,
      output: [a.classes, a.n],
    },
    [yield* r.arg(x, 0, [a.classes, a.n]), yield* r.arg(lse, 0, [a.n])],
  );
  yield* r.store(out, y, 0, a.n * a.classes);
}

/** loss_r = lse_r − z_r[label_r] ; dlogits = (softmax − onehot(label))·gradScale. */
export function* softmaxCrossEntropy(
  cache: KernelCache,
  logits: Float32Array,
  labels: Float32Array,
  loss: Float32Array,
  dlogits: Float32Array,
  a: SoftmaxCrossEntropyAttrs,
): Step {
  const r = cache.residency;
  // Labels are checked on the host (a class index out of range is an error, not a wrong loss).
  yield* r.toHost(labels, 'softmaxCrossEntropy: labels checked on the host');
  for (let i = 0; i < a.n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= a.classes) {
      throw new ArgumentError(
        `softmaxCrossEntropy: label ${label} of example ${i} is not a class index in [0, ${a.classes})`,
      );
    }
  }
  const lse = yield* logSumExp(cache, logits, a);
  const lossOut = yield cache.run(
    {
      key: `softmaxCrossEntropy loss ${a.n}x${a.classes}`,
      source: `function (x, labels, lse) {
        const r = this.thread.x;
        return lse[r] - x[r][labels[r]];
      }`,
      output: [a.n],
    },
    [yield* r.arg(logits, 0, [a.classes, a.n]), yield* r.arg(labels, 0, [a.n]), yield* r.arg(lse, 0, [a.n])],
  );
  const dOut = yield cache.run(
    {
      key: `softmaxCrossEntropy grad ${a.n}x${a.classes}`,
      source: `function (x, labels, lse, gradScale) {
        const r = this.thread.y;
        const j = this.thread.x;
        const hot = j == labels[r] ? 1 : 0;
        return (Math.exp(x[r][j] - lse[r]) - hot) * gradScale;
      }`,
      output: [a.classes, a.n],
    },
    [
      yield* r.arg(logits, 0, [a.classes, a.n]),
      yield* r.arg(labels, 0, [a.n]),
      yield* r.arg(lse, 0, [a.n]),
      a.gradScale,
    ],
  );
  yield* r.store(lossOut, loss, 0, a.n);
  yield* r.store(dOut, dlogits, 0, a.n * a.classes);
}
