/**
 * The three convolution kernels against independent formulas: the forward pass per output element
 * from the definition (with `at()` returning 0 outside the image), the backward passes as per-element
 * gathers (the implementation scatters), the adjoint identities, and hand-computed answers.
 */
import { describe, expect, it } from 'vitest';
import type { ConvAttrs } from '../contract/kernels.js';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, poisonedPadded, readOut, ref32, ref64, uploadPadded } from './test-support.js';

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// ---- the independent formulas ----

function outSize(a: ConvAttrs): { oh: number; ow: number } {
  // Count window positions directly rather than with the floor formula.
  let oh = 0;
  while (oh * a.stride + a.kh <= a.h + 2 * a.pad) oh++;
  let ow = 0;
  while (ow * a.stride + a.kw <= a.w + 2 * a.pad) ow++;
  return { oh, ow };
}

/** x[n, c, i, j], or 0 in the zero padding outside the image. */
function at(x: ArrayLike<number>, a: ConvAttrs, n: number, c: number, i: number, j: number): number {
  if (i < 0 || j < 0 || i >= a.h || j >= a.w) return 0;
  return x[((n * a.c + c) * a.h + i) * a.w + j]!;
}

function wAt(w: ArrayLike<number>, a: ConvAttrs, oc: number, ic: number, ky: number, kx: number): number {
  return w[((oc * (a.c / a.groups) + ic) * a.kh + ky) * a.kw + kx]!;
}

function naiveForward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  a: ConvAttrs,
): Float64Array {
  const { oh, ow } = outSize(a);
  const cg = a.c / a.groups;
  const og = a.outC / a.groups;
  const y = new Float64Array(a.n * a.outC * oh * ow);
  let idx = 0;
  for (let n = 0; n < a.n; n++)
    for (let oc = 0; oc < a.outC; oc++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const group = Math.trunc(oc / og);
          let s = 0;
          for (let ic = 0; ic < cg; ic++)
            for (let ky = 0; ky < a.kh; ky++)
              for (let kx = 0; kx < a.kw; kx++)
                s +=
                  at(x, a, n, group * cg + ic, oy * a.stride + ky - a.pad, ox * a.stride + kx - a.pad) *
                  wAt(w, a, oc, ic, ky, kx);
          y[idx++] = s + (bias ? bias[oc]! : 0);
        }
  return y;
}

/** dx[n,c,i,j] = Σ over the output pixels and taps that read input pixel (i, j): a gather. */
function naiveBackwardData(dy: ArrayLike<number>, w: ArrayLike<number>, a: ConvAttrs): Float64Array {
  const { oh, ow } = outSize(a);
  const cg = a.c / a.groups;
  const og = a.outC / a.groups;
  const dx = new Float64Array(a.n * a.c * a.h * a.w);
  let idx = 0;
  for (let n = 0; n < a.n; n++)
    for (let c = 0; c < a.c; c++)
      for (let i = 0; i < a.h; i++)
        for (let j = 0; j < a.w; j++) {
          const group = Math.trunc(c / cg);
          const ic = c - group * cg;
          let s = 0;
          for (let oc = group * og; oc < (group + 1) * og; oc++)
            for (let ky = 0; ky < a.kh; ky++) {
              const ty = i + a.pad - ky;
              if (ty % a.stride !== 0) continue;
              const oy = ty / a.stride;
              if (oy < 0 || oy >= oh) continue;
              for (let kx = 0; kx < a.kw; kx++) {
                const tx = j + a.pad - kx;
                if (tx % a.stride !== 0) continue;
                const ox = tx / a.stride;
                if (ox < 0 || ox >= ow) continue;
                s += dy[((n * a.outC + oc) * oh + oy) * ow + ox]! * wAt(w, a, oc, ic, ky, kx);
              }
            }
          dx[idx++] = s;
        }
  return dx;
}

/** dw[oc,ic,ky,kx] = Σ_{n,oy,ox} dy·at(x, …); dbias[oc] = Σ_{n,oy,ox} dy. */
function naiveBackwardFilter(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  a: ConvAttrs,
): { dw: Float64Array; db: Float64Array } {
  const { oh, ow } = outSize(a);
  const cg = a.c / a.groups;
  const og = a.outC / a.groups;
  const dw = new Float64Array(a.outC * cg * a.kh * a.kw);
  const db = new Float64Array(a.outC);
  let idx = 0;
  for (let oc = 0; oc < a.outC; oc++) {
    const group = Math.trunc(oc / og);
    for (let ic = 0; ic < cg; ic++)
      for (let ky = 0; ky < a.kh; ky++)
        for (let kx = 0; kx < a.kw; kx++) {
          let s = 0;
          for (let n = 0; n < a.n; n++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++)
                s +=
                  dy[((n * a.outC + oc) * oh + oy) * ow + ox]! *
                  at(x, a, n, group * cg + ic, oy * a.stride - a.pad + ky, ox * a.stride - a.pad + kx);
          dw[idx++] = s;
        }
    let s = 0;
    for (let n = 0; n < a.n; n++) for (let p = 0; p < oh * ow; p++) s += dy[(n * a.outC + oc) * oh * ow + p]!;
    db[oc] = s;
  }
  return { dw, db };
}

// ---- running the kernels ----

function sizes(a: ConvAttrs): { x: number; w: number; y: number } {
  const { oh, ow } = outSize(a);
  return { x: a.n * a.c * a.h * a.w, w: a.outC * (a.c / a.groups) * a.kh * a.kw, y: a.n * a.outC * oh * ow };
}

function forward(
  be: ReferenceBackend,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  a: ConvAttrs,
): Float64Array {
  const s = sizes(a);
  const y = poisonedPadded(be, s.y);
  be.kernels.conv2dForward(
    { x: uploadPadded(be, x), w: uploadPadded(be, w), bias: bias ? uploadPadded(be, bias) : null, y },
    a,
  );
  return readOut(be, y, s.y);
}

function backwardData(
  be: ReferenceBackend,
  dy: ArrayLike<number>,
  w: ArrayLike<number>,
  a: ConvAttrs,
  init?: ArrayLike<number>,
): Float64Array {
  const s = sizes(a);
  const dx = init ? uploadPadded(be, init) : poisonedPadded(be, s.x);
  be.kernels.conv2dBackwardData(
    { dy: uploadPadded(be, dy), w: uploadPadded(be, w), dx },
    { ...a, accumulate: init !== undefined },
  );
  return readOut(be, dx, s.x);
}

function backwardFilter(
  be: ReferenceBackend,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  a: ConvAttrs,
  init?: { dw: ArrayLike<number>; db: ArrayLike<number> },
  withBias = true,
): { dw: Float64Array; db: Float64Array | null } {
  const s = sizes(a);
  const dw = init ? uploadPadded(be, init.dw) : poisonedPadded(be, s.w);
  const dbias = withBias ? (init ? uploadPadded(be, init.db) : poisonedPadded(be, a.outC)) : null;
  be.kernels.conv2dBackwardFilter(
    { x: uploadPadded(be, x), dy: uploadPadded(be, dy), dw, dbias },
    { ...a, accumulate: init !== undefined },
  );
  return { dw: readOut(be, dw, s.w), db: dbias ? readOut(be, dbias, a.outC) : null };
}

const CONFIGS: [string, ConvAttrs][] = [
  [
    'grouped, stride 2, pad 1, 3×2 kernel',
    { n: 2, c: 4, h: 5, w: 6, outC: 6, kh: 3, kw: 2, stride: 2, pad: 1, groups: 2 },
  ],
  ['3×3 pad 1 (same size)', { n: 1, c: 3, h: 7, w: 7, outC: 5, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 }],
  [
    'stride 3 leaving the last row/column unread',
    { n: 2, c: 2, h: 8, w: 9, outC: 3, kh: 4, kw: 3, stride: 3, pad: 0, groups: 1 },
  ],
  [
    'depthwise ×2, pad 2, stride 2',
    { n: 1, c: 4, h: 5, w: 5, outC: 8, kh: 3, kw: 3, stride: 2, pad: 2, groups: 4 },
  ],
  [
    'conv1-like 11×11 stride 4 pad 2',
    { n: 1, c: 3, h: 23, w: 19, outC: 4, kh: 11, kw: 11, stride: 4, pad: 2, groups: 1 },
  ],
  ['1×1 kernel', { n: 3, c: 4, h: 3, w: 2, outC: 2, kh: 1, kw: 1, stride: 1, pad: 0, groups: 2 }],
  [
    'kernel as large as the padded input',
    { n: 1, c: 2, h: 3, w: 4, outC: 2, kh: 5, kw: 6, stride: 1, pad: 1, groups: 1 },
  ],
];

describe('reference conv2d: hand-computed answers', () => {
  // x = [[1,2,3],[4,5,6],[7,8,9]] (1 channel), w = [[1,2],[3,4]].
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const w = [1, 2, 3, 4];
  const valid: ConvAttrs = { n: 1, c: 1, h: 3, w: 3, outC: 1, kh: 2, kw: 2, stride: 1, pad: 0, groups: 1 };

  it('forward, stride 1, no padding, bias 0.5', () => {
    // y00 = 1·1+2·2+4·3+5·4 = 37, y01 = 2+6+15+24 = 47, y10 = 4+10+21+32 = 67, y11 = 5+12+24+36 = 77
    expect(Array.from(forward(ref64, x, w, [0.5], valid))).toEqual([37.5, 47.5, 67.5, 77.5]);
    expect(Array.from(forward(ref32, x, w, null, valid))).toEqual([37, 47, 67, 77]);
  });

  it('forward, stride 2, pad 1', () => {
    // windows start at (−1,−1), (−1,1), (1,−1), (1,1):
    // y00 = x00·w11 = 4; y01 = x01·w10 + x02·w11 = 6 + 12 = 18;
    // y10 = x10·w01 + x20·w11 = 8 + 28 = 36; y11 = 5 + 12 + 24 + 36 = 77
    expect(Array.from(forward(ref64, x, w, null, { ...valid, stride: 2, pad: 1 }))).toEqual([4, 18, 36, 77]);
  });

  it('backward data with dy = 1: each pixel gets the sum of the taps that touch it', () => {
    // dx = [[w00, w00+w01, w01], [w00+w10, Σw, w01+w11], [w10, w10+w11, w11]]
    expect(Array.from(backwardData(ref64, [1, 1, 1, 1], w, valid))).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });

  it('backward filter with dy = 1: each tap gets the sum of the pixels it saw', () => {
    // dw00 = 1+2+4+5 = 12, dw01 = 2+3+5+6 = 16, dw10 = 4+5+7+8 = 24, dw11 = 5+6+8+9 = 28; db = 4
    const r = backwardFilter(ref64, x, [1, 1, 1, 1], valid);
    expect(Array.from(r.dw)).toEqual([12, 16, 24, 28]);
    expect(Array.from(r.db!)).toEqual([4]);
  });

  it('backward with a non-uniform dy, stride 2, pad 1', () => {
    // dy = [[1,2],[3,4]] on the stride-2/pad-1 geometry above. Each input pixel (i, j) is read by at most
    // one output (stride 2 = kernel size): output (⌊(i+1)/2⌋, ⌊(j+1)/2⌋) with tap ((i+1) mod 2, (j+1) mod 2).
    // dx00 = dy00·w11 = 4; dx01 = dy01·w10 = 6; dx02 = dy01·w11 = 8;
    // dx10 = dy10·w01 = 6; dx11 = dy11·w00 = 4; dx12 = dy11·w01 = 8;
    // dx20 = dy10·w11 = 12; dx21 = dy11·w10 = 12; dx22 = dy11·w11 = 16.
    const a = { ...valid, stride: 2, pad: 1 };
    expect(Array.from(backwardData(ref64, [1, 2, 3, 4], w, a))).toEqual([4, 6, 8, 6, 4, 8, 12, 12, 16]);
    // dw00 = dy11·x11 = 4·5 = 20; dw01 = dy10·x10 + dy11·x12 = 3·4 + 4·6 = 36;
    // dw10 = dy01·x01 + dy11·x21 = 2·2 + 4·8 = 36; dw11 = 1·1 + 2·3 + 3·7 + 4·9 = 64; db = 10
    const r = backwardFilter(ref64, x, [1, 2, 3, 4], a);
    expect(Array.from(r.dw)).toEqual([20, 36, 36, 64]);
    expect(Array.from(r.db!)).toEqual([10]);
  });

  it('groups = 2: each output channel sees only its own half of the input channels', () => {
    // 2 input channels, 2 output channels, 1×1 kernels w = [2, 3]: y0 = 2·x0, y1 = 3·x1 (not x0 + x1).
    const a: ConvAttrs = { n: 1, c: 2, h: 1, w: 2, outC: 2, kh: 1, kw: 1, stride: 1, pad: 0, groups: 2 };
    expect(Array.from(forward(ref64, [1, 2, 10, 20], [2, 3], [0.25, -1], a))).toEqual([2.25, 4.25, 29, 59]);
    expect(Array.from(backwardData(ref64, [1, 1, 1, 1], [2, 3], a))).toEqual([2, 2, 3, 3]);
    const r = backwardFilter(ref64, [1, 2, 10, 20], [1, 1, 1, 1], a);
    expect(Array.from(r.dw)).toEqual([3, 30]);
  });
});

describe('reference conv2d: random inputs vs the naive formulas', () => {
  CONFIGS.forEach(([name, a], ci) => {
    describe(name, () => {
      const data = new TestData(1000 + ci);
      const s = sizes(a);
      const x = data.random(s.x);
      const w = data.random(s.w);
      const bias = data.random(a.outC);
      const dy = data.random(s.y);

      it('output size matches floor((h + 2·pad − k)/stride) + 1', () => {
        // (cross-check of the test's own window counting)
        const { oh, ow } = outSize(a);
        expect(oh).toBe(Math.floor((a.h + 2 * a.pad - a.kh) / a.stride) + 1);
        expect(ow).toBe(Math.floor((a.w + 2 * a.pad - a.kw) / a.stride) + 1);
      });

      it('forward (with and without bias), float64 and float32', () => {
        expectClose(forward(ref64, x, w, bias, a), naiveForward(x, w, bias, a), 1e-13, 'forward f64');
        expectClose(forward(ref64, x, w, null, a), naiveForward(x, w, null, a), 1e-13, 'forward f64 no bias');
        expectClose(forward(ref32, x, w, bias, a), naiveForward(x, w, bias, a), 2e-6, 'forward f32');
      });

      it('backward data: per-element gather formula', () => {
        expectClose(backwardData(ref64, dy, w, a), naiveBackwardData(dy, w, a), 1e-13, 'dx f64');
        expectClose(backwardData(ref32, dy, w, a), naiveBackwardData(dy, w, a), 2e-6, 'dx f32');
      });

      it('backward filter and bias: per-element formula', () => {
        const want = naiveBackwardFilter(x, dy, a);
        const got = backwardFilter(ref64, x, dy, a);
        expectClose(got.dw, want.dw, 1e-13, 'dw f64');
        expectClose(got.db!, want.db, 1e-13, 'dbias f64');
        const got32 = backwardFilter(ref32, x, dy, a);
        expectClose(got32.dw, want.dw, 2e-6, 'dw f32');
        expectClose(got32.db!, want.db, 2e-6, 'dbias f32');
        // dbias = null is allowed and dw is unchanged by it
        expectClose(backwardFilter(ref64, x, dy, a, undefined, false).dw, want.dw, 1e-13, 'dw without dbias');
      });

      it('adjoint identities: <conv(x), dy> = <x, dX(dy)> and <conv_w(x), dy> = <w, dW(x, dy)>', () => {
        const y = forward(ref64, x, w, null, a);
        const lhs = dot(y, dy);
        const viaData = dot(x, backwardData(ref64, dy, w, a));
        const viaFilter = dot(w, backwardFilter(ref64, x, dy, a).dw);
        const scale = Math.max(1, Math.abs(lhs));
        expect(Math.abs(lhs - viaData) / scale).toBeLessThan(1e-12);
        expect(Math.abs(lhs - viaFilter) / scale).toBeLessThan(1e-12);
        // and the bias: <y(bias) − y(0), dy> = <bias, dbias>
        const yb = forward(ref64, x, w, bias, a);
        let lhsBias = 0;
        for (let i = 0; i < yb.length; i++) lhsBias += (yb[i]! - y[i]!) * dy[i]!;
        const db = backwardFilter(ref64, x, dy, a).db!;
        expect(Math.abs(lhsBias - dot(bias, db)) / Math.max(1, Math.abs(lhsBias))).toBeLessThan(1e-12);
      });

      it('accumulate = true adds to what is in dx, dw and dbias', () => {
        const initX = data.random(s.x);
        const initW = data.random(s.w);
        const initB = data.random(a.outC);
        const dxWant = naiveBackwardData(dy, w, a).map((v, i) => v + initX[i]!);
        expectClose(backwardData(ref64, dy, w, a, initX), dxWant, 1e-13, 'dx accumulate');
        const f = naiveBackwardFilter(x, dy, a);
        const got = backwardFilter(ref64, x, dy, a, { dw: initW, db: initB });
        expectClose(
          got.dw,
          f.dw.map((v, i) => v + initW[i]!),
          1e-13,
          'dw accumulate',
        );
        expectClose(
          got.db!,
          f.db.map((v, i) => v + initB[i]!),
          1e-13,
          'dbias accumulate',
        );
      });
    });
  });

  it('pixels no output reads (stride 3 remainder) get an exact zero gradient, not NaN', () => {
    const a = CONFIGS[2]![1];
    const data = new TestData(77);
    const dy = data.random(sizes(a).y);
    const w = data.random(sizes(a).w);
    const dx = backwardData(ref64, dy, w, a);
    // rows 0..6 are read (windows at rows 0..3 and 3..6); row 7 is not.
    for (let n = 0; n < a.n; n++)
      for (let c = 0; c < a.c; c++)
        for (let j = 0; j < a.w; j++) expect(dx[((n * a.c + c) * a.h + 7) * a.w + j]).toBe(0);
    // and some pixel of row 6 is non-zero
    expect(dx[6 * a.w]).not.toBe(0);
  });

  it('the inputs are not modified', () => {
    const a = CONFIGS[0]![1];
    const data = new TestData(78);
    const s = sizes(a);
    const x = data.random(s.x);
    const w = data.random(s.w);
    const dy = data.random(s.y);
    const bx = uploadPadded(ref64, x);
    const bw = uploadPadded(ref64, w);
    const bdy = uploadPadded(ref64, dy);
    ref64.kernels.conv2dForward({ x: bx, w: bw, bias: null, y: poisonedPadded(ref64, s.y) }, a);
    ref64.kernels.conv2dBackwardData(
      { dy: bdy, w: bw, dx: poisonedPadded(ref64, s.x) },
      { ...a, accumulate: false },
    );
    ref64.kernels.conv2dBackwardFilter(
      { x: bx, dy: bdy, dw: poisonedPadded(ref64, s.w), dbias: null },
      { ...a, accumulate: false },
    );
    expect(Array.from(ref64.readFloat64(bx, 0, s.x))).toEqual(Array.from(x));
    expect(Array.from(ref64.readFloat64(bw, 0, s.w))).toEqual(Array.from(w));
    expect(Array.from(ref64.readFloat64(bdy, 0, s.y))).toEqual(Array.from(dy));
  });
});
