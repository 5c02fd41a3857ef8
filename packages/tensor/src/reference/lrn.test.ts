/**
 * Local response normalisation against direct evaluation of the paper's formula
 *   b_i = a_i / (k + α Σ_{j ∈ W(i)} a_j²)^β,   W(i) = channels j of i's group with |i − j| ≤ n/2,
 * and the backward pass against the explicit Jacobian
 *   ∂b_j/∂a_i = δ_ij s_j^(−β) − 2αβ a_i a_j s_j^(−β−1) [i ∈ W(j)].
 */
import { describe, expect, it } from 'vitest';
import type { LrnAttrs } from '../contract/kernels.js';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, poisoned, ref32, ref64, upload } from './test-support.js';

const PAPER = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 } as const;

/** Whether channel j is in channel i's normalisation window. */
function inWindow(a: LrnAttrs, i: number, j: number): boolean {
  const perGroup = a.c / a.groups;
  const sameGroup = Math.floor(i / perGroup) === Math.floor(j / perGroup);
  return sameGroup && 2 * Math.abs(i - j) <= a.size - 1;
}

function index(a: LrnAttrs, n: number, c: number, y: number, x: number): number {
  return ((n * a.c + c) * a.h + y) * a.w + x;
}

function naiveScale(src: ArrayLike<number>, a: LrnAttrs): Float64Array {
  const s = new Float64Array(a.n * a.c * a.h * a.w);
  for (let n = 0; n < a.n; n++)
    for (let c = 0; c < a.c; c++)
      for (let y = 0; y < a.h; y++)
        for (let x = 0; x < a.w; x++) {
          let sum = 0;
          for (let j = 0; j < a.c; j++) if (inWindow(a, c, j)) sum += src[index(a, n, j, y, x)]! ** 2;
          s[index(a, n, c, y, x)] = a.k + a.alpha * sum;
        }
  return s;
}

function naiveForward(src: ArrayLike<number>, a: LrnAttrs): Float64Array {
  const s = naiveScale(src, a);
  return Float64Array.from(s, (si, i) => src[i]! / si ** a.beta);
}

function naiveBackward(src: ArrayLike<number>, dy: ArrayLike<number>, a: LrnAttrs): Float64Array {
  const s = naiveScale(src, a);
  const dx = new Float64Array(s.length);
  for (let n = 0; n < a.n; n++)
    for (let y = 0; y < a.h; y++)
      for (let x = 0; x < a.w; x++)
        for (let i = 0; i < a.c; i++) {
          const ii = index(a, n, i, y, x);
          let g = 0;
          for (let j = 0; j < a.c; j++) {
            const jj = index(a, n, j, y, x);
            let d = i === j ? s[jj]! ** -a.beta : 0;
            if (inWindow(a, j, i)) d -= 2 * a.alpha * a.beta * src[ii]! * src[jj]! * s[jj]! ** (-a.beta - 1);
            g += dy[jj]! * d;
          }
          dx[ii] = g;
        }
  return dx;
}

function forward(
  be: ReferenceBackend,
  x: ArrayLike<number>,
  a: LrnAttrs,
): { y: Float64Array; scale: Float64Array } {
  const len = a.n * a.c * a.h * a.w;
  const y = poisoned(be, len);
  const scale = poisoned(be, len);
  be.kernels.lrnForward({ x: upload(be, x), y, scale }, a);
  return { y: be.readFloat64(y), scale: be.readFloat64(scale) };
}

/** Runs lrnForward then lrnBackward on `be` (backward consumes the forward's y and scale buffers). */
function backward(
  be: ReferenceBackend,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  a: LrnAttrs,
  init?: ArrayLike<number>,
): Float64Array {
  const len = a.n * a.c * a.h * a.w;
  const bx = upload(be, x);
  const y = poisoned(be, len);
  const scale = poisoned(be, len);
  be.kernels.lrnForward({ x: bx, y, scale }, a);
  const dx = init ? upload(be, init) : poisoned(be, len);
  be.kernels.lrnBackward(
    { x: bx, y, scale, dy: upload(be, dy), dx },
    { ...a, accumulate: init !== undefined },
  );
  return be.readFloat64(dx);
}

describe('reference LRN: hand-computed answers (paper constants k=2, n=5, α=1e-4, β=0.75)', () => {
  // One pixel, 6 channels a = [10, 20, 30, 40, 50, 60]; squares 100, 400, 900, 1600, 2500, 3600.
  const x = [10, 20, 30, 40, 50, 60];

  it('one group: windows clipped at both ends of the channel range', () => {
    const a: LrnAttrs = { n: 1, c: 6, h: 1, w: 1, ...PAPER, groups: 1 };
    // W(0) = {0,1,2}: Σ = 1400 → s = 2 + 0.14 = 2.14;  W(1) = {0..3}: 3000 → 2.3;  W(2) = {0..4}: 5500 → 2.55
    // W(3) = {1..5}: 9000 → 2.9;  W(4) = {2..5}: 8600 → 2.86;  W(5) = {3,4,5}: 7700 → 2.77
    const { y, scale } = forward(ref64, x, a);
    const wantScale = [2.14, 2.3, 2.55, 2.9, 2.86, 2.77];
    wantScale.forEach((s, i) => {
      expect(scale[i]).toBeCloseTo(s, 13);
    });
    // b_i = a_i · s_i^(−0.75), e.g. 2.14^(−0.75) = exp(−0.75 · ln 2.14) = exp(−0.75 · 0.7608058) = 0.5651838
    const wantY = [
      5.65183754348751, 10.7086350642086, 14.8667527735566, 17.9995435883086, 22.7350272712707,
      27.9441834408941,
    ];
    wantY.forEach((b, i) => {
      expect(y[i]).toBeCloseTo(b, 11);
    });
    const y32 = forward(ref32, x, a).y;
    wantY.forEach((b, i) => {
      expect(Math.abs(y32[i]! - b) / b).toBeLessThan(1e-6);
    });
  });

  it('two groups: the window never crosses the tower boundary', () => {
    const a: LrnAttrs = { n: 1, c: 6, h: 1, w: 1, ...PAPER, groups: 2 };
    // group {0,1,2}: every window is the whole group, Σ = 1400 → s = 2.14;
    // group {3,4,5}: Σ = 1600 + 2500 + 3600 = 7700 → s = 2.77
    const { y, scale } = forward(ref64, x, a);
    [2.14, 2.14, 2.14, 2.77, 2.77, 2.77].forEach((s, i) => {
      expect(scale[i]).toBeCloseTo(s, 13);
    });
    const wantY = [
      5.65183754348751, 11.303675086975, 16.9555126304625, 18.6294556272627, 23.2868195340784,
      27.9441834408941,
    ];
    wantY.forEach((b, i) => {
      expect(y[i]).toBeCloseTo(b, 11);
    });
  });

  it('alpha is NOT divided by the window size', () => {
    // a single channel with value 100: s = 2 + 1e-4 · 10000 = 3 (it would be 2.2 if α were divided by 5)
    const a: LrnAttrs = { n: 1, c: 1, h: 1, w: 1, ...PAPER, groups: 1 };
    const { y, scale } = forward(ref64, [100], a);
    expect(scale[0]).toBeCloseTo(3, 13);
    expect(y[0]).toBeCloseTo(100 / 3 ** 0.75, 12);
  });

  it('backward on one channel: d/da [a (k + α a²)^(−β)] by hand', () => {
    // f(a) = a·s^(−β), s = k + α a²  ⇒  f'(a) = s^(−β) − 2αβ a² s^(−β−1).  With a = 100: s = 3,
    // f'(100) = 3^(−0.75) − 2·1e-4·0.75·10000·3^(−1.75) = 3^(−0.75)·(1 − 1.5/3) = 0.5 · 3^(−0.75)
    const a: LrnAttrs = { n: 1, c: 1, h: 1, w: 1, ...PAPER, groups: 1 };
    const dx = backward(ref64, [100], [2], a);
    expect(dx[0]).toBeCloseTo(2 * 0.5 * 3 ** -0.75, 12);
  });
});

const CONFIGS: [string, LrnAttrs, number][] = [
  ['paper constants, 7 channels', { n: 2, c: 7, h: 3, w: 4, ...PAPER, groups: 1 }, 10],
  ['paper constants, 2 groups of 5', { n: 1, c: 10, h: 2, w: 3, ...PAPER, groups: 2 }, 10],
  [
    'n=3, α=0.05, β=0.5, k=1, 2 groups',
    { n: 2, c: 8, h: 2, w: 2, size: 3, alpha: 0.05, beta: 0.5, k: 1, groups: 2 },
    1,
  ],
  [
    'strong normalisation α=0.5, k=1',
    { n: 1, c: 6, h: 3, w: 3, size: 5, alpha: 0.5, beta: 0.75, k: 1, groups: 1 },
    1,
  ],
  [
    'window wider than the group (n=7, groups of 3)',
    { n: 1, c: 9, h: 2, w: 2, size: 7, alpha: 0.2, beta: 0.75, k: 2, groups: 3 },
    1,
  ],
  ['n=1 (only itself)', { n: 1, c: 4, h: 2, w: 3, size: 1, alpha: 0.3, beta: 0.6, k: 1.5, groups: 1 }, 1],
];

describe('reference LRN: random inputs vs direct evaluation', () => {
  CONFIGS.forEach(([name, a, std], ci) => {
    describe(name, () => {
      const data = new TestData(3000 + ci);
      const len = a.n * a.c * a.h * a.w;
      const x = data.random(len, std);
      const dy = data.random(len);

      it('forward y and scale, float64 and float32', () => {
        const got = forward(ref64, x, a);
        expectClose(got.scale, naiveScale(x, a), 1e-14, 'scale f64');
        expectClose(got.y, naiveForward(x, a), 1e-13, 'y f64');
        const got32 = forward(ref32, x, a);
        expectClose(got32.scale, naiveScale(x, a), 1e-6, 'scale f32');
        expectClose(got32.y, naiveForward(x, a), 1e-6, 'y f32');
      });

      it('backward vs the explicit Jacobian, float64 and float32', () => {
        expectClose(backward(ref64, x, dy, a), naiveBackward(x, dy, a), 1e-12, 'dx f64');
        expectClose(backward(ref32, x, dy, a), naiveBackward(x, dy, a), 1e-5, 'dx f32');
      });

      it('accumulate = true adds to dx', () => {
        const init = data.random(len);
        const want = naiveBackward(x, dy, a).map((v, i) => v + init[i]!);
        expectClose(backward(ref64, x, dy, a, init), want, 1e-12, 'dx accumulate');
      });
    });
  });

  it('normalisation is per pixel: changing one pixel leaves the others unchanged', () => {
    const a = CONFIGS[0]![1];
    const data = new TestData(3100);
    const x = data.random(a.n * a.c * a.h * a.w, 10);
    const before = forward(ref64, x, a).y;
    const x2 = Float32Array.from(x);
    x2[index(a, 0, 3, 1, 2)] = 50; // one pixel of one channel
    const after = forward(ref64, x2, a).y;
    for (let n = 0; n < a.n; n++)
      for (let c = 0; c < a.c; c++)
        for (let y = 0; y < a.h; y++)
          for (let xx = 0; xx < a.w; xx++) {
            const i = index(a, n, c, y, xx);
            const touched = n === 0 && y === 1 && xx === 2 && Math.abs(c - 3) <= 2;
            if (touched) expect(after[i], `element ${i}`).not.toBe(before[i]);
            else expect(after[i], `element ${i}`).toBe(before[i]);
          }
  });
});
