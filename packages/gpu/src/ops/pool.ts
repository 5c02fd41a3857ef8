import { type AccumulateAttr, type PoolAttrs, poolOutputShape } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { none } from '../residency.js';

/*
 * Max pooling on [w, h, n·c] views (z = n·c needs no decoding). The arg-max is the first maximum in
 * row-major window order with padding excluded, exactly as the reference; the backward pass recomputes
 * it for every window that covers a pixel (a gather: no index buffer, no scatter).
 */

function consts(a: PoolAttrs) {
  const { outH, outW } = poolOutputShape(a);
  return { H: a.h, W: a.w, Z: a.size, S: a.stride, P: a.pad, OH: outH, OW: outW };
}

const shapeKey = (a: PoolAttrs) => `${a.n}x${a.c}x${a.h}x${a.w} z${a.size} s${a.stride} p${a.pad}`;

export function* maxPoolForward(cache: KernelCache, x: Float32Array, y: Float32Array, a: PoolAttrs): Step {
  const K = consts(a);
  const r = cache.residency;
  const out = yield cache.run(
    {
      key: `maxPoolForward ${shapeKey(a)}`,
      source: `function (x) {
        const z = this.thread.z;
        const y0 = this.thread.y * this.constants.S - this.constants.P;
        const x0 = this.thread.x * this.constants.S - this.constants.P;
        let best = 0;
        let found = 0;
        for (let ky = 0; ky < this.constants.Z; ky++) {
          const iy = y0 + ky;
          if (iy >= 0 && iy < this.constants.H) {
            for (let kx = 0; kx < this.constants.Z; kx++) {
              const ix = x0 + kx;
              if (ix >= 0 && ix < this.constants.W) {
                const v = x[z][iy][ix];
                if (found == 0 || v > best) {
                  best = v;
                  found = 1;
                }
              }
            }
          }
        }
        return best;
      }`,
      output: [K.OW, K.OH, a.n * a.c],
      constants: K,
    },
    [yield* r.arg(x, 0, [a.w, a.h, a.n * a.c])],
  );
  yield* r.store(out, y, 0, a.n * a.c * K.OH * K.OW);
}

export function* maxPoolBackward(
  cache: KernelCache,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  a: PoolAttrs & AccumulateAttr,
): Step {
  const K = consts(a);
  const r = cache.residency;
  const out = yield cache.run(
    {
      key: `maxPoolBackward ${shapeKey(a)} ${a.accumulate ? 'acc' : ''}`,
      source: `function (x, dy, prev) {
        const z = this.thread.z;
        const iy = this.thread.y;
        const ix = this.thread.x;
        let s = 0;
        for (let wy = 0; wy < this.constants.Z; wy++) {
          const ty = iy + this.constants.P - wy;
          const oy = Math.floor((ty + 0.5) / this.constants.S);
          if (ty >= 0 && oy * this.constants.S == ty && oy < this.constants.OH) {
            for (let wx = 0; wx < this.constants.Z; wx++) {
              const tx = ix + this.constants.P - wx;
              const ox = Math.floor((tx + 0.5) / this.constants.S);
              if (tx >= 0 && ox * this.constants.S == tx && ox < this.constants.OW) {
                // Recompute window (oy, ox)'s arg-max; it routes dy here when it is this pixel.
                let best = 0;
                let by = -1;
                let bx = -1;
                for (let ky = 0; ky < this.constants.Z; ky++) {
                  const py = oy * this.constants.S - this.constants.P + ky;
                  if (py >= 0 && py < this.constants.H) {
                    for (let kx = 0; kx < this.constants.Z; kx++) {
                      const px = ox * this.constants.S - this.constants.P + kx;
                      if (px >= 0 && px < this.constants.W) {
                        const v = x[z][py][px];
                        if (by < 0 || v > best) {
                          best = v;
                          by = py;
                          bx = px;
                        }
                      }
                    }
                  }
                }
                if (by == iy && bx == ix) {
                  s += dy[z][oy][ox];
                }
              }
            }
          }
        }
        return ${a.accumulate ? 'prev[z][iy][ix] + s' : 's'};
      }`,
      output: [a.w, a.h, a.n * a.c],
      constants: K,
    },
    [
      yield* r.arg(x, 0, [a.w, a.h, a.n * a.c]),
      yield* r.arg(dy, 0, [K.OW, K.OH, a.n * a.c]),
      a.accumulate ? yield* r.arg(dx, 0, [a.w, a.h, a.n * a.c]) : none([1, 1, 1]),
    ],
  );
  yield* r.store(out, dx, 0, a.n * a.c * a.h * a.w);
}
