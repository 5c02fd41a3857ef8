import { ArgumentError, ShapeError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import {
  channelMean,
  meanImageAccumulator,
  rgbCovarianceAccumulator,
  type SymmetricEigen,
  symmetricEigen3,
} from './stats.js';
import { data, randomBytes, randomInt, replay } from './test-helpers.js';

type M3 = number[][];

/** max ‖A v − λ v‖ / max|A|, max |VᵀV − I|, and the checks every decomposition must pass. */
function checkEigen(a: M3, e: SymmetricEigen, tol = 1e-12): void {
  const scale = Math.max(1e-300, ...a.flat().map(Math.abs));
  for (let k = 0; k < 3; k++) {
    const v = e.eigenvectors[k]!;
    const l = e.eigenvalues[k]!;
    for (let i = 0; i < 3; i++) {
      const av = a[i]![0]! * v[0] + a[i]![1]! * v[1] + a[i]![2]! * v[2];
      expect(Math.abs(av - l * v[i]!) / scale, `A v${k} = λ v${k} ${replay}`).toBeLessThan(tol);
    }
    for (let j = 0; j < 3; j++) {
      const dot = v[0] * e.eigenvectors[j]![0] + v[1] * e.eigenvectors[j]![1] + v[2] * e.eigenvectors[j]![2];
      expect(Math.abs(dot - (j === k ? 1 : 0)), 'orthonormal').toBeLessThan(tol);
    }
    // sign convention: the largest-magnitude component is positive
    const big = v.reduce((b, x, i) => (Math.abs(x) > Math.abs(v[b]!) ? i : b), 0);
    expect(v[big]).toBeGreaterThan(0);
  }
  expect(e.eigenvalues[0]).toBeGreaterThanOrEqual(e.eigenvalues[1]);
  expect(e.eigenvalues[1]).toBeGreaterThanOrEqual(e.eigenvalues[2]);
  const trace = a[0]![0]! + a[1]![1]! + a[2]![2]!;
  expect(Math.abs(e.eigenvalues[0] + e.eigenvalues[1] + e.eigenvalues[2] - trace) / scale).toBeLessThan(tol);
}

describe('symmetricEigen3 (Jacobi)', () => {
  it('solves a known matrix: the 1-D Laplacian [[2,−1,0],[−1,2,−1],[0,−1,2]]', () => {
    const a = [
      [2, -1, 0],
      [-1, 2, -1],
      [0, -1, 2],
    ];
    const e = symmetricEigen3(a);
    checkEigen(a, e);
    const r = Math.SQRT2;
    expect(e.eigenvalues[0]).toBeCloseTo(2 + r, 14);
    expect(e.eigenvalues[1]).toBeCloseTo(2, 14);
    expect(e.eigenvalues[2]).toBeCloseTo(2 - r, 14);
    const want = [
      [-0.5, r / 2, -0.5],
      [1 / r, 0, -1 / r],
      [0.5, r / 2, 0.5],
    ];
    for (let k = 0; k < 3; k++) {
      // up to sign: the middle vector's two largest components tie in magnitude
      const sign = Math.sign(e.eigenvectors[k]![0]) === Math.sign(want[k]![0]!) ? 1 : -1;
      for (let i = 0; i < 3; i++) expect(sign * e.eigenvectors[k]![i]!).toBeCloseTo(want[k]![i]!, 14);
    }
  });

  it('handles diagonal, repeated-eigenvalue and zero matrices', () => {
    const diag = [
      [1, 0, 0],
      [0, 5, 0],
      [0, 0, 3],
    ];
    const e = symmetricEigen3(diag);
    expect(e.eigenvalues).toEqual([5, 3, 1]);
    expect(e.eigenvectors).toEqual([
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const repeated = [
      [2, 1, 0],
      [1, 2, 0],
      [0, 0, 3],
    ];
    const r = symmetricEigen3(repeated);
    checkEigen(repeated, r);
    expect(r.eigenvalues[0]).toBeCloseTo(3, 14);
    expect(r.eigenvalues[1]).toBeCloseTo(3, 14);
    expect(r.eigenvalues[2]).toBeCloseTo(1, 14);
    const zero = symmetricEigen3([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(zero.eigenvalues).toEqual([0, 0, 0]);
  });

  it('decomposes random SPD and indefinite matrices, small and pixel-sized (A v = λ v)', () => {
    const d = data(30);
    for (let t = 0; t < 200; t++) {
      const b = [0, 1, 2].map(() => Array.from(d.random(3)));
      const scale = [1e-3, 1, 4000][t % 3]!;
      // SPD: B Bᵀ + 0.01 I (scaled); every fourth matrix indefinite: B + Bᵀ
      const a: M3 = [0, 1, 2].map((i) =>
        [0, 1, 2].map((j) =>
          t % 4 === 3
            ? scale * (b[i]![j]! + b[j]![i]!)
            : scale *
              (b[i]![0]! * b[j]![0]! + b[i]![1]! * b[j]![1]! + b[i]![2]! * b[j]![2]! + (i === j ? 0.01 : 0)),
        ),
      );
      const e = symmetricEigen3(a);
      checkEigen(a, e);
      if (t % 4 !== 3) expect(e.eigenvalues[2], replay).toBeGreaterThan(0);
    }
  });

  it('names non-symmetric and non-finite input', () => {
    expect(() =>
      symmetricEigen3([
        [1, 2, 3],
        [2.5, 1, 0],
        [3, 0, 1],
      ]),
    ).toThrow(/matrix must be symmetric: matrix\[0\]\[1\] = 2 but matrix\[1\]\[0\] = 2.5/);
    expect(() =>
      symmetricEigen3([
        [1, 0, 0],
        [0, 1, Number.NaN],
        [0, 0, 1],
      ]),
    ).toThrow(ArgumentError);
    expect(() => symmetricEigen3([[1, 0, 0]])).toThrow(/matrix must be 3 rows of 3 numbers/);
  });
});

/** A random image whose channels are correlated (g and b follow r), as real photos are. */
function correlatedImage(salt: number, pixels: number): Uint8Array {
  const d = data(salt);
  const base = randomBytes(d, pixels);
  const noise = randomBytes(d, 2 * pixels);
  const out = new Uint8Array(3 * pixels);
  for (let i = 0; i < pixels; i++) {
    out[3 * i] = base[i]!;
    out[3 * i + 1] = Math.min(255, Math.floor(0.7 * base[i]! + 0.3 * noise[2 * i]!));
    out[3 * i + 2] = Math.min(255, Math.floor(0.4 * base[i]! + 0.2 * noise[2 * i + 1]!));
  }
  return out;
}

describe('rgbCovarianceAccumulator', () => {
  it('matches a two-pass float64 covariance and its eigen-decomposition', () => {
    const d = data(40);
    const images = Array.from({ length: 7 }, (_, k) => correlatedImage(41 + k, randomInt(d, 1, 2000)));
    const acc = rgbCovarianceAccumulator();
    for (const im of images) acc.add(im);
    const all = images.flatMap((im) => Array.from(im));
    const n = all.length / 3;
    const mean = [0, 1, 2].map((c) => all.filter((_, i) => i % 3 === c).reduce((s, v) => s + v, 0) / n);
    const cov = [0, 1, 2].map((i) =>
      [0, 1, 2].map((j) => {
        let s = 0;
        for (let p = 0; p < n; p++) s += (all[3 * p + i]! - mean[i]!) * (all[3 * p + j]! - mean[j]!);
        return s / n;
      }),
    );
    const r = acc.result();
    expect(r.count).toBe(n);
    expect(acc.count).toBe(n);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(r.mean[i]! - mean[i]!), replay).toBeLessThan(1e-9);
      for (let j = 0; j < 3; j++)
        expect(Math.abs(r.covariance[i]![j]! - cov[i]![j]!), replay).toBeLessThan(1e-8);
    }
    checkEigen(r.covariance, r);
    expect(r.stddevs).toEqual(r.eigenvalues.map(Math.sqrt));
    // correlated channels: one dominant axis, all components of the same sign
    expect(r.eigenvalues[0]).toBeGreaterThan(5 * r.eigenvalues[1]);
    expect(Math.min(...r.eigenvectors[0]!)).toBeGreaterThan(0);
  });

  it('gives the same result however the images are split and merged', () => {
    const images = Array.from({ length: 6 }, (_, k) => correlatedImage(50 + k, 300 + 17 * k));
    const one = rgbCovarianceAccumulator();
    for (const im of images) one.add(im);
    const a = rgbCovarianceAccumulator().add(images[3]!).add(images[0]!);
    const b = rgbCovarianceAccumulator().add(images[5]!).add(images[1]!).add(images[4]!).add(images[2]!);
    expect(a.merge(b).result()).toEqual(one.result());
  });

  it('grey pixels: one axis (1, 1, 1)/√3 with eigenvalue 3·variance, the others 0', () => {
    const grey = randomBytes(data(60), 999);
    const px = new Uint8Array(3 * grey.length);
    for (let i = 0; i < grey.length; i++) px.fill(grey[i]!, 3 * i, 3 * i + 3);
    const r = rgbCovarianceAccumulator().add(px).result();
    const m = grey.reduce((s, v) => s + v, 0) / grey.length;
    const variance = grey.reduce((s, v) => s + (v - m) ** 2, 0) / grey.length;
    expect(r.eigenvalues[0]).toBeCloseTo(3 * variance, 8);
    expect(r.eigenvalues[1]).toBeLessThan(1e-9 * variance);
    expect(r.eigenvalues[2]).toBeGreaterThanOrEqual(0);
    for (const v of r.eigenvectors[0]!) expect(v).toBeCloseTo(1 / Math.sqrt(3), 12);
  });

  it('names bad input', () => {
    expect(() => rgbCovarianceAccumulator().result()).toThrow(/no pixels were added/);
    expect(() => rgbCovarianceAccumulator().add(new Uint8Array(10))).toThrow(
      /length 10 is not a multiple of 3/,
    );
    expect(() => rgbCovarianceAccumulator().add(new Float32Array(3) as never)).toThrow(ArgumentError);
    expect(() => rgbCovarianceAccumulator().merge({} as never)).toThrow(
      /merge needs an RgbCovarianceAccumulator/,
    );
  });
});

describe('meanImageAccumulator', () => {
  it('averages images per pixel into a float32 HWC image', () => {
    const d = data(70);
    const w = randomInt(d, 1, 40);
    const h = randomInt(d, 1, 40);
    const images = Array.from({ length: 9 }, () => randomBytes(d, w * h * 3));
    const acc = meanImageAccumulator(w, h);
    for (const im of images.slice(0, 4)) acc.add(im);
    const rest = meanImageAccumulator(w, h);
    for (const im of images.slice(4)) rest.add(im);
    const mean = acc.merge(rest).result();
    expect(acc.count).toBe(9);
    expect(mean.width).toBe(w);
    expect(mean.height).toBe(h);
    expect(mean.data).toBeInstanceOf(Float32Array);
    const want = new Float32Array(w * h * 3);
    for (let i = 0; i < want.length; i++) want[i] = images.reduce((s, im) => s + im[i]!, 0) / 9;
    expect(mean.data, replay).toEqual(want);
    const cm = channelMean(mean);
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let p = 0; p < w * h; p++) s += want[3 * p + c]!;
      expect(cm[c]).toBeCloseTo(s / (w * h), 9);
    }
  });

  it('names bad sizes', () => {
    expect(() => meanImageAccumulator(0, 5)).toThrow(/width must be an integer ≥ 1, got 0/);
    expect(() => meanImageAccumulator(4, 4).add(new Uint8Array(47))).toThrow(ShapeError);
    expect(() => meanImageAccumulator(4, 4).add(new Uint8Array(47))).toThrow(
      /image has 47 bytes; a 4×4 RGB image \(HWC\) has 4·4·3 = 48/,
    );
    expect(() => meanImageAccumulator(4, 4).result()).toThrow(/no images were added/);
    expect(() => meanImageAccumulator(4, 4).merge(meanImageAccumulator(4, 5))).toThrow(
      /sizes differ \(4×4 and 4×5\)/,
    );
  });
});
