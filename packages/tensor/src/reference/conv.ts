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

/**
 * The attributes as plain numbers. Reading `a.kh` etc. in the inner loops was 10× slower when
 * callers built attribute objects of different shapes (V8 deoptimises the polymorphic loads), so
 * each kernel copies them to locals first.
 */
interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  KH: number;
  KW: number;
  S: number;
  P: number;
  outH: number;
  outW: number;
  cg: number;
  og: number;
}

function geometry(a: ConvAttrs): Geometry {
  const { outH, outW } = convOutputShape(a);
  return {
    N: a.n,
    C: a.c,
    H: a.h,
    W: a.w,
    OC: a.outC,
    KH: a.kh,
    KW: a.kw,
    S: a.stride,
    P: a.pad,
    outH,
    outW,
    cg: a.c / a.groups,
    og: a.outC / a.groups,
  };
}

/** y[n,oc,oy,ox] = bias[oc] + Σ_{ic,ky,kx} x[n, g·cg+ic, iy, ix] · w[oc, ic, ky, kx]. */
export function conv2dForward(
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  y: FloatArray,
  a: ConvAttrs,
): void {
  const { N, C, H, W, OC, KH, KW, S, P, outH, outW, cg, og } = geometry(a);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let sum = bias ? bias[oc]! : 0;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * S - P + ky;
              if (iy < 0 || iy >= H) continue;
              const xRow = ((n * C + xc) * H + iy) * W; // x[n, xc, iy, 0]
              const wRow = ((oc * cg + ic) * KH + ky) * KW; // w[oc, ic, ky, 0]
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
                sum += x[xRow + ix]! * w[wRow + kx]!;
              }
            }
          }
          y[((n * OC + oc) * outH + oy) * outW + ox] = sum;
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
  const { N, C, H, W, OC, KH, KW, S, P, outH, outW, cg, og } = geometry(a);
  const g64 = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const d = dy[((n * OC + oc) * outH + oy) * outW + ox]!;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * S - P + ky;
              if (iy < 0 || iy >= H) continue;
              const xRow = ((n * C + xc) * H + iy) * W;
              const wRow = ((oc * cg + ic) * KH + ky) * KW;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
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
  const { N, C, H, W, OC, KH, KW, S, P, outH, outW, cg, og } = geometry(a);
  const gw = new Float64Array(OC * cg * KH * KW);
  const gb = new Float64Array(OC);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const d = dy[((n * OC + oc) * outH + oy) * outW + ox]!;
          gb[oc]! += d;
          for (let ic = 0; ic < cg; ic++) {
            const xc = g * cg + ic;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * S - P + ky;
              if (iy < 0 || iy >= H) continue;
              const xRow = ((n * C + xc) * H + iy) * W;
              const wRow = ((oc * cg + ic) * KH + ky) * KW;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * S - P + kx;
                if (ix < 0 || ix >= W) continue;
                gw[wRow + kx]! += d * x[xRow + ix]!;
              }
            }
          }
        }
      }
    }
  }
  store(dw, gw, gw.length, a.accumulate);
  if (dbias) store(dbias, gb, OC, a.accumulate);
}
