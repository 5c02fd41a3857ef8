import type { AccumulateAttr, ConvAttrs } from '../contract/kernels.js';
import { convOutputShape } from '../contract/validate.js';
import { store } from './accumulate.js';
import type { FloatArray } from './types.js';

/*
 * The three convolution kernels are one loop nest each: over every output element (n, oc, oy, ox)
 * and every weight tap (ic, ky, kx) that lands on a real (non-padding) input pixel, with
 *   input channel  xc = g·cg + ic   (g = the group of oc, cg = c / groups)
 *   input pixel    (iy, ix) = (oy·stride − pad + ky, ox·stride − pad + kx).
 * Forward multiplies-adds into y; backward-data scatters dy·w into dx (the adjoint);
 * backward-filter scatters dy·x into dw. The nests are written out rather than shared through a
 * callback because a per-tap call made the oracle ~10× slower on AlexNet's shapes.
 */

interface Geometry {
  outH: number;
  outW: number;
  cg: number;
  og: number;
}

function geometry(a: ConvAttrs): Geometry {
  return { ...convOutputShape(a), cg: a.c / a.groups, og: a.outC / a.groups };
}

/** y[n,oc,oy,ox] = bias[oc] + Σ_{ic,ky,kx} x[n, g·cg+ic, iy, ix] · w[oc, ic, ky, kx]. */
export function conv2dForward(
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  y: FloatArray,
  a: ConvAttrs,
): void {
  const { outH, outW, cg, og } = geometry(a);
  for (let n = 0; n < a.n; n++) {
    for (let oc = 0; oc < a.outC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let sum = bias ? bias[oc]! : 0;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < a.kh; ky++) {
              const iy = oy * a.stride - a.pad + ky;
              if (iy < 0 || iy >= a.h) continue;
              const xRow = ((n * a.c + xc) * a.h + iy) * a.w; // x[n, xc, iy, 0]
              const wRow = ((oc * cg + ic) * a.kh + ky) * a.kw; // w[oc, ic, ky, 0]
              for (let kx = 0; kx < a.kw; kx++) {
                const ix = ox * a.stride - a.pad + kx;
                if (ix < 0 || ix >= a.w) continue;
                sum += x[xRow + ix]! * w[wRow + kx]!;
              }
            }
          }
          y[((n * a.outC + oc) * outH + oy) * outW + ox] = sum;
        }
      }
    }
  }
}

/** dx = the adjoint of the forward map applied to dy: every tap scatters dy·w back to its pixel. */
export function conv2dBackwardData(
  dy: FloatArray,
  w: FloatArray,
  dx: FloatArray,
  a: ConvAttrs & AccumulateAttr,
): void {
  const { outH, outW, cg, og } = geometry(a);
  const g64 = new Float64Array(a.n * a.c * a.h * a.w);
  for (let n = 0; n < a.n; n++) {
    for (let oc = 0; oc < a.outC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const d = dy[((n * a.outC + oc) * outH + oy) * outW + ox]!;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < a.kh; ky++) {
              const iy = oy * a.stride - a.pad + ky;
              if (iy < 0 || iy >= a.h) continue;
              const xRow = ((n * a.c + xc) * a.h + iy) * a.w;
              const wRow = ((oc * cg + ic) * a.kh + ky) * a.kw;
              for (let kx = 0; kx < a.kw; kx++) {
                const ix = ox * a.stride - a.pad + kx;
                if (ix < 0 || ix >= a.w) continue;
                g64[xRow + ix]! += d * w[wRow + kx]!;
              }
            }
          }
        }
      }
    }
  }
  store(dx, g64, g64.length, a.accumulate);
}

/** dw[oc,ic,ky,kx] = Σ_{n,oy,ox} dy[n,oc,oy,ox] · x[n, g·cg+ic, iy, ix] ;  dbias[oc] = Σ_{n,oy,ox} dy. */
export function conv2dBackwardFilter(
  x: FloatArray,
  dy: FloatArray,
  dw: FloatArray,
  dbias: FloatArray | null,
  a: ConvAttrs & AccumulateAttr,
): void {
  const { outH, outW, cg, og } = geometry(a);
  const gw = new Float64Array(a.outC * cg * a.kh * a.kw);
  const gb = new Float64Array(a.outC);
  for (let n = 0; n < a.n; n++) {
    for (let oc = 0; oc < a.outC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const d = dy[((n * a.outC + oc) * outH + oy) * outW + ox]!;
          gb[oc]! += d;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < a.kh; ky++) {
              const iy = oy * a.stride - a.pad + ky;
              if (iy < 0 || iy >= a.h) continue;
              const xRow = ((n * a.c + xc) * a.h + iy) * a.w;
              const wRow = ((oc * cg + ic) * a.kh + ky) * a.kw;
              for (let kx = 0; kx < a.kw; kx++) {
                const ix = ox * a.stride - a.pad + kx;
                if (ix < 0 || ix >= a.w) continue;
                gw[wRow + kx]! += d * x[xRow + ix]!;
              }
            }
          }
        }
      }
    }
  }
  store(dw, gw, gw.length, a.accumulate);
  if (dbias) store(dbias, gb, a.outC, a.accumulate);
}
