/**
 * Elementwise kernels (relu, tanh, dropout, sgdUpdate, axpy and their backward passes) against
 * independent formulas and hand-worked values.
 */
import { describe, expect, it } from 'vitest';
import type { BufferHandle } from '../contract/buffer.js';
import { philox4x32, philoxUniform } from '../rng/philox.js';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, poisonedPadded, readOut, ref32, ref64, uploadPadded } from './test-support.js';

type Unary = 'relu' | 'tanh';
function unary(be: ReferenceBackend, k: Unary, x: ArrayLike<number>): Float64Array {
  const y = poisonedPadded(be, x.length);
  be.kernels[k]({ x: uploadPadded(be, x), y }, { length: x.length });
  return readOut(be, y, x.length);
}

type Backward = 'reluBackward' | 'tanhBackward';
function unaryBackward(
  be: ReferenceBackend,
  k: Backward,
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  init?: ArrayLike<number>,
): Float64Array {
  const dx = init ? uploadPadded(be, init) : poisonedPadded(be, y.length);
  be.kernels[k](
    { y: uploadPadded(be, y), dy: uploadPadded(be, dy), dx },
    { length: y.length, accumulate: init !== undefined },
  );
  return readOut(be, dx, y.length);
}

describe('relu', () => {
  const data = new TestData(4000);
  const x = data.random(1001);

  it('hand values', () => {
    expect(Array.from(unary(ref64, 'relu', [-2, -0.5, 0, 0.25, 3]))).toEqual([0, 0, 0, 0.25, 3]);
  });

  it('y = (x + |x|) / 2 on random data, float64 and float32', () => {
    const want = Float64Array.from(x, (v) => (v + Math.abs(v)) / 2);
    expectClose(unary(ref64, 'relu', x), want, 0, 'relu f64');
    expectClose(unary(ref32, 'relu', x), want, 0, 'relu f32');
  });

  it('may run in place (x and y the same buffer)', () => {
    const b = uploadPadded(ref64, x);
    ref64.kernels.relu({ x: b, y: b }, { length: x.length });
    expectClose(
      readOut(ref64, b, x.length),
      Float64Array.from(x, (v) => Math.max(v, 0)),
      0,
      'relu in place',
    );
  });

  it('backward: dx = dy where y > 0, exactly 0 where y = 0 (uses the output y)', () => {
    const y = Float64Array.from(x, (v) => (v + Math.abs(v)) / 2);
    const dy = data.random(x.length);
    const want = Float64Array.from(dy, (d, i) => (x[i]! > 0 ? d : 0));
    expectClose(unaryBackward(ref64, 'reluBackward', y, dy), want, 0, 'reluBackward');
    expectClose(unaryBackward(ref32, 'reluBackward', y, dy), want, 0, 'reluBackward f32');
    expect(Array.from(unaryBackward(ref64, 'reluBackward', [0, 2, 0, 1e-30], [5, 6, 7, 8]))).toEqual([
      0, 6, 0, 8,
    ]);
  });

  it('backward accumulate = true adds to dx', () => {
    const y = Float64Array.from(x, (v) => Math.max(v, 0));
    const dy = data.random(x.length);
    const init = data.random(x.length);
    const want = Float64Array.from(dy, (d, i) => init[i]! + (x[i]! > 0 ? d : 0));
    expectClose(unaryBackward(ref64, 'reluBackward', y, dy, init), want, 1e-15, 'reluBackward accumulate');
  });
});

describe('tanh', () => {
  const data = new TestData(4100);
  const x = data.random(999, 2);

  it('hand values: tanh(0) = 0, tanh(ln 2) = 3/5, tanh(−ln 3) = −4/5, saturation at ±30', () => {
    const got = unary(ref64, 'tanh', [0, Math.log(2), -Math.log(3), 30, -30]);
    expect(got[0]).toBe(0);
    expect(got[1]).toBeCloseTo(0.6, 15);
    expect(got[2]).toBeCloseTo(-0.8, 15);
    expect(got[3]).toBe(1);
    expect(got[4]).toBe(-1);
  });

  it('y = (e^{2x} − 1)/(e^{2x} + 1), float64 and float32', () => {
    const want = Float64Array.from(x, (v) => Math.expm1(2 * v) / (Math.exp(2 * v) + 1));
    expectClose(unary(ref64, 'tanh', x), want, 1e-14, 'tanh f64');
    expectClose(unary(ref32, 'tanh', x), want, 1e-7, 'tanh f32');
  });

  it('backward: dx = dy · sech²(x) = dy / cosh²(x)', () => {
    const y = Float64Array.from(x, Math.tanh);
    const dy = data.random(x.length);
    const want = Float64Array.from(dy, (d, i) => d / Math.cosh(x[i]!) ** 2);
    expectClose(unaryBackward(ref64, 'tanhBackward', y, dy), want, 1e-13, 'tanhBackward');
    expect(Array.from(unaryBackward(ref64, 'tanhBackward', [0.5, -1, 0], [2, 3, 4]))).toEqual([1.5, 0, 4]);
  });

  it('backward accumulate = true adds to dx', () => {
    const y = Float64Array.from(x, Math.tanh);
    const dy = data.random(x.length);
    const init = data.random(x.length);
    const want = Float64Array.from(dy, (d, i) => init[i]! + d / Math.cosh(x[i]!) ** 2);
    expectClose(unaryBackward(ref64, 'tanhBackward', y, dy, init), want, 1e-13, 'tanhBackward accumulate');
  });
});

describe('dropout', () => {
  function dropout(
    be: ReferenceBackend,
    x: ArrayLike<number>,
    p: number,
    seed: number,
    offset: number,
  ): { y: Float64Array; mask: Float64Array } {
    const y = poisonedPadded(be, x.length);
    const mask = poisonedPadded(be, x.length);
    be.kernels.dropoutForward({ x: uploadPadded(be, x), y, mask }, { length: x.length, p, seed, offset });
    return { y: readOut(be, y, x.length), mask: readOut(be, mask, x.length) };
  }

  it('Philox4x32-10 known answers (Random123 kat_vectors), which the masks are drawn from', () => {
    const hex = (u: Uint32Array) => Array.from(u, (v) => v.toString(16).padStart(8, '0')).join(' ');
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const f = 0xffffffff;
    expect(hex(philox4x32([f, f, f, f], [f, f]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  const N = 100_000;
  const data = new TestData(4200);
  const x = data.random(N);

  for (const p of [0.5, 0.3, 0.9]) {
    it(`p = ${p}: mask = [u ≥ p]/(1 − p) from the Philox uniform stream, y = x · mask, ≈ ${(1 - p).toFixed(1)} kept`, () => {
      const seed = 12345;
      const offset = 678;
      const { y, mask } = dropout(ref64, x, p, seed, offset);
      const u = philoxUniform(seed, offset, N);
      const keep = 1 / (1 - p);
      let kept = 0;
      for (let i = 0; i < N; i++) {
        const m = u[i]! >= p ? keep : 0;
        if (mask[i] !== m) throw new Error(`mask[${i}] = ${mask[i]}, expected ${m} (u = ${u[i]})`);
        if (y[i] !== x[i]! * m) throw new Error(`y[${i}] = ${y[i]}, expected ${x[i]! * m}`);
        if (m !== 0) kept++;
      }
      // binomial standard deviation sqrt(p(1−p)/N) ≤ 0.0016; allow 6 of them
      expect(Math.abs(kept / N - (1 - p))).toBeLessThan(0.01);
      // float32: the mask value is 1/(1 − p) rounded to float32, and the same elements are kept
      const r32 = dropout(ref32, x, p, seed, offset);
      for (let i = 0; i < N; i += 97) expect(r32.mask[i]).toBe(mask[i] === 0 ? 0 : Math.fround(keep));
    });
  }

  it('mask values are exactly 0 or 2 for p = 0.5; p = 0 keeps everything with mask 1', () => {
    const { mask } = dropout(ref64, x.subarray(0, 5000), 0.5, 3, 0);
    expect(new Set(mask)).toEqual(new Set([0, 2]));
    const none = dropout(ref64, x.subarray(0, 5000), 0, 3, 0);
    expect(none.mask.every((m) => m === 1)).toBe(true);
    expectClose(none.y, x.subarray(0, 5000), 0, 'p = 0');
  });

  it('the same (seed, offset) gives the same mask; the offset shifts the stream; another seed differs', () => {
    const n = 4099;
    const xs = x.subarray(0, n + 26);
    const a = dropout(ref64, xs.subarray(0, n), 0.5, 99, 1000).mask;
    const b = dropout(ref64, xs.subarray(0, n), 0.5, 99, 1000).mask;
    expect(Array.from(b)).toEqual(Array.from(a));
    // offsets 987, 1000 = 987 + 13 and 1013 = 987 + 26 (not multiples of the 4-lane Philox block)
    // read the same stream moved by 13 and 26
    const longer = dropout(ref64, xs, 0.5, 99, 987).mask;
    const shifted = dropout(ref64, xs.subarray(0, n), 0.5, 99, 1013).mask;
    for (let i = 0; i < n; i++) {
      if (shifted[i] !== longer[i + 26]) throw new Error(`offset shift: element ${i}`);
      if (longer[i + 13] !== a[i]) throw new Error(`offset shift (987 + 13 = 1000): element ${i}`);
    }
    const other = dropout(ref64, xs.subarray(0, n), 0.5, 100, 1000).mask;
    let differ = 0;
    for (let i = 0; i < n; i++) if (other[i] !== a[i]) differ++;
    expect(differ / n).toBeGreaterThan(0.4); // independent masks differ in about half the elements
  });

  it('backward: dx = dy · mask, and accumulate = true adds', () => {
    const n = 3001;
    const { mask } = dropout(ref64, x.subarray(0, n), 0.4, 7, 5);
    const dy = data.random(n);
    const run = (init?: ArrayLike<number>) => {
      const dx = init ? uploadPadded(ref64, init) : poisonedPadded(ref64, n);
      ref64.kernels.dropoutBackward(
        { dy: uploadPadded(ref64, dy), mask: uploadPadded(ref64, mask), dx },
        { length: n, accumulate: init !== undefined },
      );
      return readOut(ref64, dx, n);
    };
    const u = philoxUniform(7, 5, n);
    const want = Float64Array.from(dy, (d, i) => (u[i]! >= 0.4 ? d / 0.6 : 0));
    expectClose(run(), want, 1e-15, 'dropoutBackward');
    const init = data.random(n);
    expectClose(
      run(init),
      want.map((v, i) => v + init[i]!),
      1e-15,
      'dropoutBackward accumulate',
    );
  });
});

describe('sgdUpdate (the paper’s rule v ← 0.9v − 0.0005·ε·w − ε·g, w ← w + v)', () => {
  function step(
    be: ReferenceBackend,
    w: BufferHandle,
    v: BufferHandle,
    g: ArrayLike<number>,
    lr: number,
  ): void {
    be.kernels.sgdUpdate(
      { w, grad: uploadPadded(be, g), v },
      { length: g.length, lr, momentum: 0.9, weightDecay: 0.0005 },
    );
  }

  it('two steps by hand', () => {
    const w = uploadPadded(ref64, [1, -2]);
    const v = uploadPadded(ref64, [0, 0.1]);
    // step 1, ε = 0.01, g = [0.5, 0.25]:
    //   v0 = 0.9·0 − 0.0005·0.01·1 − 0.01·0.5 = −0.000005 − 0.005 = −0.005005;  w0 = 0.994995
    //   v1 = 0.9·0.1 − 0.0005·0.01·(−2) − 0.01·0.25 = 0.09 + 0.00001 − 0.0025 = 0.08751;  w1 = −1.91249
    step(ref64, w, v, [0.5, 0.25], 0.01);
    let vv = readOut(ref64, v, 2);
    let ww = readOut(ref64, w, 2);
    expect(vv[0]).toBeCloseTo(-0.005005, 15);
    expect(vv[1]).toBeCloseTo(0.08751, 15);
    expect(ww[0]).toBeCloseTo(0.994995, 15);
    expect(ww[1]).toBeCloseTo(-1.91249, 15);
    // step 2, g = [−1, 2]:
    //   v0 = 0.9·(−0.005005) − 0.000005·0.994995 + 0.01 = −0.0045045 − 0.000004974975 + 0.01 = 0.005490525025
    //   w0 = 0.994995 + 0.005490525025 = 1.000485525025
    //   v1 = 0.9·0.08751 + 0.000005·1.91249 − 0.02 = 0.078759 + 0.00000956245 − 0.02 = 0.05876856245
    //   w1 = −1.91249 + 0.05876856245 = −1.85372143755
    step(ref64, w, v, [-1, 2], 0.01);
    vv = readOut(ref64, v, 2);
    ww = readOut(ref64, w, 2);
    expect(vv[0]).toBeCloseTo(0.005490525025, 15);
    expect(vv[1]).toBeCloseTo(0.05876856245, 15);
    expect(ww[0]).toBeCloseTo(1.000485525025, 15);
    expect(ww[1]).toBeCloseTo(-1.85372143755, 15);
  });

  it('random weights over three steps vs the formula; the gradient buffer is not modified', () => {
    const data = new TestData(4300);
    const n = 777;
    const w0 = data.random(n);
    const w = uploadPadded(ref64, w0);
    const v = uploadPadded(ref64, new Float64Array(n));
    const wWant = Float64Array.from(w0);
    const vWant = new Float64Array(n);
    for (const lr of [0.01, 0.01, 0.001]) {
      const g = data.random(n);
      const gb = uploadPadded(ref64, g);
      ref64.kernels.sgdUpdate({ w, grad: gb, v }, { length: n, lr, momentum: 0.9, weightDecay: 0.0005 });
      for (let i = 0; i < n; i++) {
        vWant[i] = 0.9 * vWant[i]! - lr * (0.0005 * wWant[i]! + g[i]!);
        wWant[i] = wWant[i]! + vWant[i]!;
      }
      expectClose(readOut(ref64, gb, n), g, 0, 'grad unchanged');
    }
    expectClose(readOut(ref64, v, n), vWant, 1e-15, 'v');
    expectClose(readOut(ref64, w, n), wWant, 1e-15, 'w');
  });
});

describe('axpy', () => {
  it('hand values: y ← y + 2x', () => {
    const y = uploadPadded(ref64, [1, 2, 3]);
    ref64.kernels.axpy({ x: uploadPadded(ref64, [10, 20, 30]), y }, { length: 3, alpha: 2 });
    expect(Array.from(readOut(ref64, y, 3))).toEqual([21, 42, 63]);
  });

  it('random data, negative alpha, float64 and float32; only `length` elements change', () => {
    const data = new TestData(4400);
    const n = 1234;
    const x = data.random(n);
    const y0 = data.random(n);
    const want = Float64Array.from(y0, (v, i) => v - 0.375 * x[i]!);
    for (const [be, tol] of [
      [ref64, 0],
      [ref32, 1e-7],
    ] as const) {
      const y = uploadPadded(be, y0);
      be.kernels.axpy({ x: uploadPadded(be, x), y }, { length: n, alpha: -0.375 });
      expectClose(readOut(be, y, n), want, tol, `axpy ${be.precision}`);
    }
  });
});
