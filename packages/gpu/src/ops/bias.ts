import type { AccumulateAttr, BiasAttrs } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { none } from '../residency.js';

const key = (a: BiasAttrs) => `${a.n}x${a.c}x${a.spatial}`;

/** y[n,c,s] = x[n,c,s] + bias[c], on a [spatial, c, n] view (x and y may alias: y is written after). */
export function* biasAdd(
  cache: KernelCache,
  x: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  a: BiasAttrs,
): Step {
  const r = cache.residency;
  const out = yield cache.run(
    {
      key: `biasAdd ${key(a)}`,
      source: `function (x, bias) {
        return x[this.thread.z][this.thread.y][this.thread.x] + bias[this.thread.y];
      }`,
      output: [a.spatial, a.c, a.n],
    },
    [yield* r.arg(x, 0, [a.spatial, a.c, a.n]), yield* r.arg(bias, 0, [a.c])],
  );
  yield* r.store(out, y, 0, a.n * a.c * a.spatial);
}

/**
 * db[c] = Σ_{n,s} dy[n,c,s]: per-(n, c) sums over the spatial positions, then (batch > 1) a sum over
 * the batch, so no thread loops over n·spatial elements (387k for conv1 at batch 128).
 */
export function* biasGrad(
  cache: KernelCache,
  dy: Float32Array,
  db: Float32Array,
  a: BiasAttrs & AccumulateAttr,
): Step {
  const single = a.n === 1;
  const acc = single && a.accumulate;
  const r = cache.residency;
  const parts = yield cache.run(
    {
      key: `biasGrad partial ${key(a)} ${acc ? 'acc' : ''}`,
      source: `function (dy, prev) {
        let s = 0;
        for (let i = 0; i < this.constants.S; i++) {
          s += dy[this.thread.y][this.thread.x][i];
        }
        return ${acc ? 'prev[this.thread.x] + s' : 's'};
      }`,
      output: [a.c, a.n],
      constants: { S: a.spatial },
    },
    [yield* r.arg(dy, 0, [a.spatial, a.c, a.n]), acc ? yield* r.arg(db, 0, [a.c]) : none([1])],
  );
  if (single) {
    yield* r.store(parts, db, 0, a.c);
    return;
  }
  const out = yield cache.run(
    {
      key: `biasGrad sum ${key(a)} ${a.accumulate ? 'acc' : ''}`,
      source: `function (parts, prev) {
        let s = 0;
        for (let n = 0; n < this.constants.N; n++) {
          s += parts[n][this.thread.x];
        }
        return ${a.accumulate ? 'prev[this.thread.x] + s' : 's'};
      }`,
      output: [a.c],
      constants: { N: a.n },
    },
    [
      yield* r.arg(r.temp(parts, a.n * a.c), 0, [a.c, a.n]),
      a.accumulate ? yield* r.arg(db, 0, [a.c]) : none([1]),
    ],
  );
  yield* r.store(out, db, 0, a.c);
}
