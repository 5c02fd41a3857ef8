import type { AccumulateAttr, PoolAttrs } from '../contract/kernels.js';
import { poolOutputShape } from '../contract/validate.js';
import { store } from './accumulate.js';
import type { FloatArray } from './types.js';

/**
 * Calls `visit(yi, xi)` for every pooling window with the flat index of its output and of its
 * arg-max input: the first maximum in row-major window order, padding excluded.
 */
function forEachWindowMax(x: FloatArray, a: PoolAttrs, visit: (yi: number, xi: number) => void): void {
  const { outH, outW } = poolOutputShape(a);
  for (let nc = 0; nc < a.n * a.c; nc++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let best = -1;
        for (let ky = 0; ky < a.size; ky++) {
          const iy = oy * a.stride - a.pad + ky;
          if (iy < 0 || iy >= a.h) continue;
          for (let kx = 0; kx < a.size; kx++) {
            const ix = ox * a.stride - a.pad + kx;
            if (ix < 0 || ix >= a.w) continue;
            const xi = (nc * a.h + iy) * a.w + ix;
            if (best < 0 || x[xi]! > x[best]!) best = xi;
          }
        }
        visit((nc * outH + oy) * outW + ox, best);
      }
    }
  }
}

export function maxPoolForward(x: FloatArray, y: FloatArray, a: PoolAttrs): void {
  forEachWindowMax(x, a, (yi, xi) => {
    y[yi] = x[xi]!;
  });
}

/** Each window's gradient goes to its arg-max (recomputed from x); overlapping windows add up. */
export function maxPoolBackward(
  x: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  a: PoolAttrs & AccumulateAttr,
): void {
  const g = new Float64Array(a.n * a.c * a.h * a.w);
  forEachWindowMax(x, a, (yi, xi) => {
    g[xi]! += dy[yi]!;
  });
  store(dx, g, g.length, a.accumulate);
}
