/**
 * biasAdd / biasGrad against explicit (n, c, s) loops, and concatChannels / splitChannels against
 * values that encode their own position (part, example, channel, pixel).
 */
import { describe, expect, it } from 'vitest';
import type { BiasAttrs, ChannelsAttrs } from '../contract/kernels.js';
import { TestData } from '../testing/random.js';
import { expectClose, poisoned, ref32, ref64, upload } from './test-support.js';

function naiveBiasAdd(x: ArrayLike<number>, bias: ArrayLike<number>, a: BiasAttrs): Float64Array {
  const y = new Float64Array(a.n * a.c * a.spatial);
  for (let n = 0; n < a.n; n++)
    for (let c = 0; c < a.c; c++)
      for (let s = 0; s < a.spatial; s++) {
        const i = (n * a.c + c) * a.spatial + s;
        y[i] = x[i]! + bias[c]!;
      }
  return y;
}

function naiveBiasGrad(dy: ArrayLike<number>, a: BiasAttrs): Float64Array {
  return Float64Array.from({ length: a.c }, (_, c) => {
    let sum = 0;
    for (let n = 0; n < a.n; n++)
      for (let s = 0; s < a.spatial; s++) sum += dy[(n * a.c + c) * a.spatial + s]!;
    return sum;
  });
}

const BIAS_SHAPES: [string, BiasAttrs][] = [
  ['conv-like n=3 c=5 spatial=7', { n: 3, c: 5, spatial: 7 }],
  ['fully connected (spatial = 1)', { n: 4, c: 9, spatial: 1 }],
  ['one example, one channel', { n: 1, c: 1, spatial: 6 }],
];

describe('biasAdd / biasGrad', () => {
  it('hand values: n=2, c=2, spatial=2', () => {
    const a: BiasAttrs = { n: 2, c: 2, spatial: 2 };
    const y = poisoned(ref64, 8);
    ref64.kernels.biasAdd(
      { x: upload(ref64, [1, 2, 3, 4, 5, 6, 7, 8]), bias: upload(ref64, [10, 100]), y },
      a,
    );
    expect(Array.from(ref64.readFloat64(y))).toEqual([11, 12, 103, 104, 15, 16, 107, 108]);
    const db = poisoned(ref64, 2);
    ref64.kernels.biasGrad({ dy: upload(ref64, [1, 2, 3, 4, 5, 6, 7, 8]), db }, { ...a, accumulate: false });
    // channel 0: 1+2+5+6 = 14; channel 1: 3+4+7+8 = 22
    expect(Array.from(ref64.readFloat64(db))).toEqual([14, 22]);
  });

  BIAS_SHAPES.forEach(([name, a], si) => {
    describe(name, () => {
      const data = new TestData(6000 + si);
      const len = a.n * a.c * a.spatial;
      const x = data.random(len);
      const bias = data.random(a.c);
      const dy = data.random(len);

      it('biasAdd, float64 and float32', () => {
        const want = naiveBiasAdd(x, bias, a);
        for (const [be, tol] of [
          [ref64, 0],
          [ref32, 1e-7],
        ] as const) {
          const y = poisoned(be, len);
          be.kernels.biasAdd({ x: upload(be, x), bias: upload(be, bias), y }, a);
          expectClose(be.readFloat64(y), want, tol, `biasAdd ${be.precision}`);
        }
      });

      it('biasAdd in place (x and y the same buffer)', () => {
        const b = upload(ref64, x);
        ref64.kernels.biasAdd({ x: b, bias: upload(ref64, bias), y: b }, a);
        expectClose(ref64.readFloat64(b), naiveBiasAdd(x, bias, a), 0, 'biasAdd in place');
      });

      it('biasGrad, float64 and float32', () => {
        const want = naiveBiasGrad(dy, a);
        for (const [be, tol] of [
          [ref64, 1e-15],
          [ref32, 1e-6],
        ] as const) {
          const db = poisoned(be, a.c);
          be.kernels.biasGrad({ dy: upload(be, dy), db }, { ...a, accumulate: false });
          expectClose(be.readFloat64(db), want, tol, `biasGrad ${be.precision}`);
        }
      });

      it('biasGrad accumulate = true adds to db', () => {
        const init = data.random(a.c);
        const db = upload(ref64, init);
        ref64.kernels.biasGrad({ dy: upload(ref64, dy), db }, { ...a, accumulate: true });
        expectClose(
          ref64.readFloat64(db),
          naiveBiasGrad(dy, a).map((v, c) => v + init[c]!),
          1e-15,
          'biasGrad accumulate',
        );
      });

      it('adjoint: <biasAdd(0, b), dy> = <b, biasGrad(dy)>', () => {
        const y = poisoned(ref64, len);
        ref64.kernels.biasAdd({ x: upload(ref64, new Float64Array(len)), bias: upload(ref64, bias), y }, a);
        const yb = ref64.readFloat64(y);
        const db = poisoned(ref64, a.c);
        ref64.kernels.biasGrad({ dy: upload(ref64, dy), db }, { ...a, accumulate: false });
        const g = ref64.readFloat64(db);
        let lhs = 0;
        for (let i = 0; i < len; i++) lhs += yb[i]! * dy[i]!;
        let rhs = 0;
        for (let c = 0; c < a.c; c++) rhs += bias[c]! * g[c]!;
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
      });
    });
  });
});

describe('concatChannels / splitChannels', () => {
  const a: ChannelsAttrs = { n: 2, channels: [3, 1, 2], spatial: 4 };
  const total = 6;
  /** part p's element (n, c, s) holds 1000·(p+1) + 100·n + 10·c + s. */
  const code = (p: number, n: number, c: number, s: number) => 1000 * (p + 1) + 100 * n + 10 * c + s;
  const parts = a.channels.map((cp, p) => {
    const v = new Float64Array(a.n * cp * a.spatial);
    for (let n = 0; n < a.n; n++)
      for (let c = 0; c < cp; c++)
        for (let s = 0; s < a.spatial; s++) v[(n * cp + c) * a.spatial + s] = code(p, n, c, s);
    return v;
  });
  /** Where whole-tensor channel C comes from: [part, channel within the part]. */
  const origin = (C: number): [number, number] => (C < 3 ? [0, C] : C < 4 ? [1, C - 3] : [2, C - 4]);

  it('concat places every element exactly: y[n, C, s] = part(C)[n, C − start, s]', () => {
    const y = poisoned(ref64, a.n * total * a.spatial);
    ref64.kernels.concatChannels({ inputs: parts.map((p) => upload(ref64, p)), y }, a);
    const got = ref64.readFloat64(y);
    for (let n = 0; n < a.n; n++)
      for (let C = 0; C < total; C++)
        for (let s = 0; s < a.spatial; s++) {
          const [p, c] = origin(C);
          expect(got[(n * total + C) * a.spatial + s], `y[${n}, ${C}, ${s}]`).toBe(code(p, n, c, s));
        }
  });

  it('split places every element exactly and concat(split(x)) = x', () => {
    const data = new TestData(6100);
    const x = data.random(a.n * total * a.spatial);
    const outs = a.channels.map((cp) => poisoned(ref32, a.n * cp * a.spatial));
    ref32.kernels.splitChannels({ x: upload(ref32, x), outputs: outs }, a);
    const got = outs.map((o) => ref32.readFloat64(o));
    for (let n = 0; n < a.n; n++)
      for (let C = 0; C < total; C++)
        for (let s = 0; s < a.spatial; s++) {
          const [p, c] = origin(C);
          const cp = a.channels[p]!;
          expect(got[p]![(n * cp + c) * a.spatial + s], `part ${p}[${n}, ${c}, ${s}]`).toBe(
            x[(n * total + C) * a.spatial + s],
          );
        }
    const y = poisoned(ref32, x.length);
    ref32.kernels.concatChannels({ inputs: outs, y }, a);
    expect(Array.from(ref32.readFloat64(y))).toEqual(Array.from(x));
  });

  it('split(concat(parts)) = parts', () => {
    const y = poisoned(ref64, a.n * total * a.spatial);
    ref64.kernels.concatChannels({ inputs: parts.map((p) => upload(ref64, p)), y }, a);
    const outs = a.channels.map((cp) => poisoned(ref64, a.n * cp * a.spatial));
    ref64.kernels.splitChannels({ x: y, outputs: outs }, a);
    outs.forEach((o, p) => {
      expect(Array.from(ref64.readFloat64(o)), `part ${p}`).toEqual(Array.from(parts[p]!));
    });
  });

  it('two towers of a fully connected layer (spatial = 1)', () => {
    const b: ChannelsAttrs = { n: 3, channels: [2, 2], spatial: 1 };
    const y = poisoned(ref64, 12);
    ref64.kernels.concatChannels(
      { inputs: [upload(ref64, [1, 2, 3, 4, 5, 6]), upload(ref64, [-1, -2, -3, -4, -5, -6])], y },
      b,
    );
    expect(Array.from(ref64.readFloat64(y))).toEqual([1, 2, -1, -2, 3, 4, -3, -4, 5, 6, -5, -6]);
  });

  it('a mismatch between channel counts and buffers throws', () => {
    const y = poisoned(ref64, a.n * total * a.spatial);
    expect(() =>
      ref64.kernels.concatChannels({ inputs: parts.slice(0, 2).map((p) => upload(ref64, p)), y }, a),
    ).toThrow();
  });
});
