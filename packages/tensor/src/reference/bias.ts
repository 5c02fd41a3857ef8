import type { AccumulateAttr, BiasAttrs } from '../contract/kernels.js';
import type { FloatArray } from './types.js';

/** y[n,c,s] = x[n,c,s] + bias[c]; x and y may alias. */
export function biasAdd(x: FloatArray, bias: FloatArray, y: FloatArray, a: BiasAttrs): void {
  for (let i = 0; i < a.n * a.c * a.spatial; i++) {
    y[i] = x[i]! + bias[Math.floor(i / a.spatial) % a.c]!;
  }
}

/** db[c] = Σ_{n,s} dy[n,c,s]. */
export function biasGrad(dy: FloatArray, db: FloatArray, a: BiasAttrs & AccumulateAttr): void {
  const g = new Float64Array(a.c);
  for (let i = 0; i < a.n * a.c * a.spatial; i++) g[Math.floor(i / a.spatial) % a.c]! += dy[i]!;
  for (let c = 0; c < a.c; c++) db[c] = (a.accumulate ? db[c]! : 0) + g[c]!;
}
