import { type AccumulateAttr, type ConvAttrs, convOutputShape } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { none } from '../residency.js';
import { biasGrad } from './bias.js';

/*
 * Convolutions as gathers. Tensors are 3-D views [w, h, n·c] (x[n·C + c][y][x]) and weights
 * [kh·kw, c/groups, outC]; the merged z axis is decoded as n = floor((z + 0.5)/C), c = z − n·C
 * (a plain floor(z/C) is wrong at z = C·2^k when index math runs in float32).
 */

function geometry(a: ConvAttrs) {
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
    OH: outH,
    OW: outW,
    CG: a.c / a.groups,
    OG: a.outC / a.groups,
  };
}

const shapeKey = (a: ConvAttrs) =>
  `${a.n}x${a.c}x${a.h}x${a.w} o${a.outC} k${a.kh}x${a.kw} s${a.stride} p${a.pad} g${a.groups}`;

/** y[n,oc,oy,ox] = bias[oc] + Σ_{ic,ky,kx} x[n, g·cg+ic, oy·S−P+ky, ox·S−P+kx] · w[oc, ic, ky, kx]. */
export function* conv2dForward(
  cache: KernelCache,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  a: ConvAttrs,
): Step {
  const G = geometry(a);
  const r = cache.residency;
  const source = `function (x, w, bias) {
    const z = this.thread.z;
    const n = Math.floor((z + 0.5) / this.constants.OC);
    const oc = z - n * this.constants.OC;
    const g = Math.floor((oc + 0.5) / this.constants.OG);
    const y0 = this.thread.y * this.constants.S - this.constants.P;
    const x0 = this.thread.x * this.constants.S - this.constants.P;
    let s = ${bias ? 'bias[oc]' : '0'};
    for (let ic = 0; ic < this.constants.CG; ic++) {
      const xz = n * this.constants.C + g * this.constants.CG + ic;
      for (let ky = 0; ky < this.constants.KH; ky++) {
        const iy = y0 + ky;
        if (iy >= 0 && iy < this.constants.H) {
          for (let kx = 0; kx < this.constants.KW; kx++) {
            const ix = x0 + kx;
            if (ix >= 0 && ix < this.constants.W) {
              s += x[xz][iy][ix] * w[oc][ic][ky * this.constants.KW + kx];
            }
          }
        }
      }
    }
    return s;
  }`;
  const out = yield cache.run(
    {
      key: `conv2dForward ${shapeKey(a)} ${bias ? 'bias' : 'nobias'}`,
      source,
      output: [G.OW, G.OH, G.N * G.OC],
      constants: G,
    },
    [
      yield* r.arg(x, 0, [G.W, G.H, G.N * G.C]),
      yield* r.arg(w, 0, [G.KH * G.KW, G.CG, G.OC]),
      bias ? yield* r.arg(bias, 0, [G.OC]) : r.host(new Float32Array(1), 0, [1]),
    ],
  );
  yield* r.store(out, y, 0, G.N * G.OC * G.OH * G.OW);
}

/**
 * dx[n,c,iy,ix] = Σ over the output pixels and filters that read it: for each tap (ky, kx),
 * oy = (iy + P − ky)/S must be a whole number in range. A gather, so no two threads write one element.
 */
export function* conv2dBackwardData(
  cache: KernelCache,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  a: ConvAttrs & AccumulateAttr,
): Step {
  const G = geometry(a);
  const r = cache.residency;
  const source = `function (dy, w, prev) {
    const z = this.thread.z;
    const n = Math.floor((z + 0.5) / this.constants.C);
    const c = z - n * this.constants.C;
    const g = Math.floor((c + 0.5) / this.constants.CG);
    const ic = c - g * this.constants.CG;
    const iy = this.thread.y;
    const ix = this.thread.x;
    let s = 0;
    for (let ky = 0; ky < this.constants.KH; ky++) {
      const ty = iy + this.constants.P - ky;
      const oy = Math.floor((ty + 0.5) / this.constants.S);
      if (ty >= 0 && oy * this.constants.S == ty && oy < this.constants.OH) {
        for (let kx = 0; kx < this.constants.KW; kx++) {
          const tx = ix + this.constants.P - kx;
          const ox = Math.floor((tx + 0.5) / this.constants.S);
          if (tx >= 0 && ox * this.constants.S == tx && ox < this.constants.OW) {
            for (let j = 0; j < this.constants.OG; j++) {
              const oc = g * this.constants.OG + j;
              s += dy[n * this.constants.OC + oc][oy][ox] * w[oc][ic][ky * this.constants.KW + kx];
            }
          }
        }
      }
    }
    return ${a.accumulate ? 'prev[z][iy][ix] + s' : 's'};
  }`;
  const len = G.N * G.C * G.H * G.W;
  const out = yield cache.run(
    {
      key: `conv2dBackwardData ${shapeKey(a)} ${a.accumulate ? 'acc' : ''}`,
      source,
      output: [G.W, G.H, G.N * G.C],
      constants: G,
    },
    [
      yield* r.arg(dy, 0, [G.OW, G.OH, G.N * G.OC]),
      yield* r.arg(w, 0, [G.KH * G.KW, G.CG, G.OC]),
      a.accumulate ? yield* r.arg(dx, 0, [G.W, G.H, G.N * G.C]) : none([1, 1, 1]),
    ],
  );
  yield* r.store(out, dx, 0, len);
}

/** Images per partial sum of the filter gradient: keeps each thread's loop near 16k steps. */
function imagesPerPart(G: ReturnType<typeof geometry>): number {
  return Math.max(1, Math.min(G.N, Math.floor(16384 / (G.OH * G.OW))));
}

/**
 * dw[oc,ic,ky,kx] = Σ_{n,oy,ox} dy[n,oc,oy,ox] · x[n, g·cg+ic, oy·S−P+ky, ox·S−P+kx], as partial sums
 * over chunks of images (a GPU watchdog kills threads with 387k-step loops at batch 128), then a sum
 * of the partials; dbias through the bias-gradient kernels.
 */
export function* conv2dBackwardFilter(
  cache: KernelCache,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  dbias: Float32Array | null,
  a: ConvAttrs & AccumulateAttr,
): Step {
  const G = geometry(a);
  const r = cache.residency;
  const NB = imagesPerPart(G);
  const NP = Math.ceil(G.N / NB);
  const single = NP === 1;
  const acc = single && a.accumulate;
  const partial = `function (x, dy, prev) {
    const z = this.thread.z;
    const oc = Math.floor((z + 0.5) / this.constants.NP);
    const part = z - oc * this.constants.NP;
    const g = Math.floor((oc + 0.5) / this.constants.OG);
    const ic = this.thread.y;
    const kk = this.thread.x;
    const ky = Math.floor((kk + 0.5) / this.constants.KW);
    const kx = kk - ky * this.constants.KW;
    let s = 0;
    for (let j = 0; j < this.constants.NB; j++) {
      const n = part * this.constants.NB + j;
      if (n < this.constants.N) {
        const xz = n * this.constants.C + g * this.constants.CG + ic;
        const dz = n * this.constants.OC + oc;
        for (let oy = 0; oy < this.constants.OH; oy++) {
          const iy = oy * this.constants.S - this.constants.P + ky;
          if (iy >= 0 && iy < this.constants.H) {
            for (let ox = 0; ox < this.constants.OW; ox++) {
              const ix = ox * this.constants.S - this.constants.P + kx;
              if (ix >= 0 && ix < this.constants.W) {
                s += dy[dz][oy][ox] * x[xz][iy][ix];
              }
            }
          }
        }
      }
    }
    return ${acc ? 'prev[z][ic][kk] + s' : 's'};
  }`;
  const wLen = G.OC * G.CG * G.KH * G.KW;
  const wDims = [G.KH * G.KW, G.CG, G.OC];
  const parts = yield cache.run(
    {
      key: `conv2dBackwardFilter partial ${shapeKey(a)} ${acc ? 'acc' : ''}`,
      source: partial,
      output: [G.KH * G.KW, G.CG, G.OC * NP],
      constants: { ...G, NB, NP },
    },
    [
      yield* r.arg(x, 0, [G.W, G.H, G.N * G.C]),
      yield* r.arg(dy, 0, [G.OW, G.OH, G.N * G.OC]),
      acc ? yield* r.arg(dw, 0, wDims) : none([1, 1, 1]),
    ],
  );
  if (single) yield* r.store(parts, dw, 0, wLen);
  else {
    const sum = `function (parts, prev) {
      const oc = this.thread.z;
      let s = 0;
      for (let p = 0; p < this.constants.NP; p++) {
        s += parts[oc * this.constants.NP + p][this.thread.y][this.thread.x];
      }
      return ${a.accumulate ? 'prev[oc][this.thread.y][this.thread.x] + s' : 's'};
    }`;
    const out = yield cache.run(
      {
        key: `conv2dBackwardFilter sum ${shapeKey(a)} ${a.accumulate ? 'acc' : ''}`,
        source: sum,
        output: wDims,
        constants: { NP },
      },
      [
        yield* r.arg(r.temp(parts, wLen * NP), 0, [G.KH * G.KW, G.CG, G.OC * NP]),
        a.accumulate ? yield* r.arg(dw, 0, wDims) : none([1, 1, 1]),
      ],
    );
    yield* r.store(out, dw, 0, wLen);
  }
  if (dbias) {
    yield* biasGrad(cache, dy, dbias, { n: G.N, c: G.OC, spatial: G.OH * G.OW, accumulate: a.accumulate });
  }
}
