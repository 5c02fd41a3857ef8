/**
 * Max pooling against brute force: every window's in-image cells are listed in row-major order,
 * the maximum taken with Math.max and its first occurrence found with indexOf (ties → first).
 */
import { describe, expect, it } from 'vitest';
import type { PoolAttrs } from '../contract/kernels.js';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, poisoned, ref32, ref64, upload } from './test-support.js';

function outDims(a: PoolAttrs): { oh: number; ow: number } {
  let oh = 0;
  while (oh * a.stride + a.size <= a.h + 2 * a.pad) oh++;
  let ow = 0;
  while (ow * a.stride + a.size <= a.w + 2 * a.pad) ow++;
  return { oh, ow };
}

/** For each output element (NCHW order): the flat input index of its window's first maximum. */
function naiveArgmax(x: ArrayLike<number>, a: PoolAttrs): number[] {
  const { oh, ow } = outDims(a);
  const result: number[] = [];
  for (let n = 0; n < a.n; n++)
    for (let c = 0; c < a.c; c++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const cells: number[] = [];
          for (let i = oy * a.stride - a.pad; i < oy * a.stride - a.pad + a.size; i++)
            for (let j = ox * a.stride - a.pad; j < ox * a.stride - a.pad + a.size; j++)
              if (i >= 0 && i < a.h && j >= 0 && j < a.w) cells.push(((n * a.c + c) * a.h + i) * a.w + j);
          const values = cells.map((k) => x[k]!);
          const first = values.indexOf(Math.max(...values));
          result.push(cells[first]!);
        }
  return result;
}

function naiveForward(x: ArrayLike<number>, a: PoolAttrs): Float64Array {
  return Float64Array.from(naiveArgmax(x, a), (k) => x[k]!);
}

function naiveBackward(x: ArrayLike<number>, dy: ArrayLike<number>, a: PoolAttrs): Float64Array {
  const dx = new Float64Array(a.n * a.c * a.h * a.w);
  naiveArgmax(x, a).forEach((k, o) => {
    dx[k] = dx[k]! + dy[o]!;
  });
  return dx;
}

function forward(be: ReferenceBackend, x: ArrayLike<number>, a: PoolAttrs): Float64Array {
  const { oh, ow } = outDims(a);
  const y = poisoned(be, a.n * a.c * oh * ow);
  be.kernels.maxPoolForward({ x: upload(be, x), y }, a);
  return be.readFloat64(y);
}

function backward(
  be: ReferenceBackend,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  a: PoolAttrs,
  init?: ArrayLike<number>,
): Float64Array {
  const dx = init ? upload(be, init) : poisoned(be, a.n * a.c * a.h * a.w);
  be.kernels.maxPoolBackward(
    { x: upload(be, x), dy: upload(be, dy), dx },
    { ...a, accumulate: init !== undefined },
  );
  return be.readFloat64(dx);
}

describe('reference max pooling: hand-computed answers', () => {
  // 5×5, z=3, s=2 → 2×2 output; windows overlap on row 2 and column 2.
  // biome-ignore format: the 5×5 image laid out as rows
  const x = [
    1, 9, 2, 0, 3,
    4, 5, 8, 7, 6,
    0, 2, 9, 1, 1,
    3, 3, 4, 6, 2,
    8, 1, 0, 5, 7,
  ];
  const a: PoolAttrs = { n: 1, c: 1, h: 5, w: 5, size: 3, stride: 2, pad: 0 };

  it('overlapping 3/2 pooling forward', () => {
    // window (0,0) rows 0-2 cols 0-2: max 9 (twice: (0,1) and (2,2)); (0,1): 9 at (2,2); (1,0): 9 at (2,2);
    // (1,1): 9 at (2,2)
    expect(Array.from(forward(ref64, x, a))).toEqual([9, 9, 9, 9]);
    expect(Array.from(forward(ref32, x, a))).toEqual([9, 9, 9, 9]);
  });

  it('backward: the tie in window (0,0) goes to the FIRST max (0,1); overlapping windows add up at (2,2)', () => {
    const dx = backward(ref64, x, [1, 2, 3, 4], a);
    const want = new Array<number>(25).fill(0);
    want[1] = 1; // (0,1) wins window (0,0) over (2,2): first in row-major order
    want[12] = 2 + 3 + 4; // (2,2) wins the three other windows
    expect(Array.from(dx)).toEqual(want);
  });

  it('a constant window routes its whole gradient to the first element', () => {
    const b: PoolAttrs = { n: 1, c: 1, h: 2, w: 4, size: 2, stride: 2, pad: 0 };
    // two 2×2 windows, all values 5 (left) and all −0.5 (right)
    const xs = [5, 5, -0.5, -0.5, 5, 5, -0.5, -0.5];
    expect(Array.from(forward(ref64, xs, b))).toEqual([5, -0.5]);
    expect(Array.from(backward(ref64, xs, [3, 7], b))).toEqual([3, 0, 7, 0, 0, 0, 0, 0]);
  });

  it('a tie later in the window does not steal the gradient from an earlier equal maximum', () => {
    // 3×3 window (single output), maximum 4 at (1,0) and (2,2) and a 3 first
    const b: PoolAttrs = { n: 1, c: 1, h: 3, w: 3, size: 3, stride: 1, pad: 0 };
    const xs = [3, 1, 2, 4, 0, 4, 1, 2, 4];
    expect(Array.from(backward(ref64, xs, [1], b))).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('padded positions never win, even when every real value is negative', () => {
    // x = [[-1,-2],[-3,-4]], z=2, s=1, pad 1 → 3×3 output; each window's max over its real cells only.
    const b: PoolAttrs = { n: 1, c: 1, h: 2, w: 2, size: 2, stride: 1, pad: 1 };
    const xs = [-1, -2, -3, -4];
    expect(Array.from(forward(ref64, xs, b))).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    // gradient: x00 wins 4 windows, x01 two, x10 two, x11 one
    expect(Array.from(backward(ref64, xs, [1, 2, 3, 4, 5, 6, 7, 8, 9], b))).toEqual([
      1 + 2 + 4 + 5,
      3 + 6,
      7 + 8,
      9,
    ]);
  });
});

const CONFIGS: [string, PoolAttrs][] = [
  ['overlapping z=3 s=2', { n: 2, c: 3, h: 7, w: 9, size: 3, stride: 2, pad: 0 }],
  [
    'non-overlapping z=2 s=2, odd size (last row/column dropped)',
    { n: 1, c: 2, h: 7, w: 5, size: 2, stride: 2, pad: 0 },
  ],
  ['z=3 s=2 pad 1', { n: 2, c: 2, h: 5, w: 7, size: 3, stride: 2, pad: 1 }],
  ['z=3 s=1 pad 1', { n: 1, c: 3, h: 6, w: 5, size: 3, stride: 1, pad: 1 }],
  ['AlexNet pool5 geometry 13→6', { n: 1, c: 2, h: 13, w: 13, size: 3, stride: 2, pad: 0 }],
  ['z=4 s=3 pad 2', { n: 1, c: 1, h: 8, w: 10, size: 4, stride: 3, pad: 2 }],
];

describe('reference max pooling: random inputs vs brute force', () => {
  CONFIGS.forEach(([name, a], ci) => {
    describe(name, () => {
      const data = new TestData(2000 + ci);
      const len = a.n * a.c * a.h * a.w;
      const { oh, ow } = outDims(a);
      const x = data.random(len);
      const dy = data.random(a.n * a.c * oh * ow);
      // Quantised inputs (integers in [−2, 2]) make ties in almost every window.
      const xTies = Float32Array.from(data.random(len), (v) => Math.round(v));

      it('output size is floor((h + 2·pad − z)/s) + 1', () => {
        expect(oh).toBe(Math.floor((a.h + 2 * a.pad - a.size) / a.stride) + 1);
        expect(ow).toBe(Math.floor((a.w + 2 * a.pad - a.size) / a.stride) + 1);
      });

      it('forward, float64 and float32, distinct and tied values', () => {
        expectClose(forward(ref64, x, a), naiveForward(x, a), 0, 'forward f64');
        expectClose(forward(ref32, x, a), naiveForward(x, a), 0, 'forward f32');
        expectClose(forward(ref64, xTies, a), naiveForward(xTies, a), 0, 'forward ties');
      });

      it('backward routes each window to its (first) arg-max, overlapping windows add', () => {
        expectClose(backward(ref64, x, dy, a), naiveBackward(x, dy, a), 1e-14, 'backward f64');
        expectClose(backward(ref32, x, dy, a), naiveBackward(x, dy, a), 1e-6, 'backward f32');
        expectClose(backward(ref64, xTies, dy, a), naiveBackward(xTies, dy, a), 1e-14, 'backward ties');
      });

      it('backward conserves the gradient: Σdx = Σdy', () => {
        const dx = backward(ref64, xTies, dy, a);
        const sdx = dx.reduce((s, v) => s + v, 0);
        const sdy = dy.reduce((s, v) => s + v, 0);
        expect(Math.abs(sdx - sdy)).toBeLessThan(1e-12 * Math.max(1, Math.abs(sdy)) + 1e-12);
      });

      it('accumulate = true adds to dx', () => {
        const init = data.random(len);
        const want = naiveBackward(x, dy, a).map((v, i) => v + init[i]!);
        expectClose(backward(ref64, x, dy, a, init), want, 1e-14, 'backward accumulate');
      });
    });
  });
});
