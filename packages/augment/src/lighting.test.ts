import { ArgumentError } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { describe, expect, it } from 'vitest';
import { drawAugmentation } from './draw.js';
import { IMAGENET_PCA, lightingShift } from './lighting.js';
import { data, replay } from './test-helpers.js';

type V3 = [number, number, number];

/** A random orthonormal basis (Gram–Schmidt on random vectors), as rows. */
function randomBasis(d: TestData): V3[] {
  const rows: V3[] = [];
  while (rows.length < 3) {
    const v = Array.from(d.random(3)) as V3;
    for (const r of rows) {
      const dot = v[0] * r[0] + v[1] * r[1] + v[2] * r[2];
      for (let k = 0; k < 3; k++) v[k]! -= dot * r[k]!;
    }
    const norm = Math.hypot(...v);
    if (norm > 0.1) rows.push(v.map((x) => x / norm) as V3);
  }
  return rows;
}

describe('lightingShift', () => {
  it('is Σ αᵢ λᵢ pᵢ with pᵢ the rows of eigenvectors', () => {
    const identity: V3[] = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const simple = lightingShift([0.1, -0.2, 0.3], [10, 20, 30], identity);
    for (const [c, v] of [1, -4, 9].entries()) expect(simple[c]).toBeCloseTo(v, 14);
    const p = randomBasis(data(20));
    const alpha: V3 = [0.13, -0.07, 0.021];
    const lambda: V3 = [55, 4.8, 1.1];
    const got = lightingShift(alpha, lambda, p);
    for (let c = 0; c < 3; c++) {
      const want =
        alpha[0] * lambda[0] * p[0]![c]! +
        alpha[1] * lambda[1] * p[1]![c]! +
        alpha[2] * lambda[2] * p[2]![c]!;
      expect(got[c], replay).toBeCloseTo(want, 12);
    }
    // MXNet / fb.resnet.torch: rgb = eigvec · (α ∘ λ) with eigvec's columns the pᵢ — the same shift.
    const eigvecColumns = [0, 1, 2].map((r) => IMAGENET_PCA.eigenvectors.map((p) => p[r]!));
    const viaColumns = eigvecColumns.map((row) =>
      row.reduce((s, v, i) => s + v * alpha[i]! * IMAGENET_PCA.eigenvalues[i]!, 0),
    );
    const shift = lightingShift(alpha, IMAGENET_PCA.eigenvalues, IMAGENET_PCA.eigenvectors);
    for (let c = 0; c < 3; c++) expect(shift[c]).toBeCloseTo(viaColumns[c]!, 12);
  });

  it('IMAGENET_PCA is orthonormal to its printed precision, brightest axis first', () => {
    const p = IMAGENET_PCA.eigenvectors;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const dot = p[i]!.reduce((s, v, k) => s + v * p[j]![k]!, 0);
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(2e-4);
      }
    expect(IMAGENET_PCA.eigenvalues).toEqual([55.46, 4.794, 1.148]);
  });

  it('with α from drawAugmentation has covariance 0.01 · P diag(λ²) Pᵀ (fixed seed)', () => {
    // shift = P (α ∘ λ) with P's columns the pᵢ and α ~ N(0, σ² I), σ = 0.1, so
    // Cov(shift) = P diag(λ) Cov(α) diag(λ) Pᵀ = σ² · P diag(λ²) Pᵀ = 0.01 · P diag(λ²) Pᵀ.
    const p = randomBasis(new TestData(21)); // fixed, like the α draws
    const lambda: V3 = [50, 12, 3];
    const n = 40_000;
    const sum = [0, 0, 0];
    const sxy = new Float64Array(9);
    for (let index = 0; index < n; index++) {
      const { alpha } = drawAugmentation({ seed: 4100, epoch: 2, index, srcWidth: 256, srcHeight: 256 });
      const s = lightingShift(alpha, lambda, p);
      for (let i = 0; i < 3; i++) {
        sum[i]! += s[i]!;
        for (let j = 0; j < 3; j++) sxy[3 * i + j]! += s[i]! * s[j]!;
      }
    }
    const mean = sum.map((v) => v / n);
    const cov = (i: number, j: number) => sxy[3 * i + j]! / n - mean[i]! * mean[j]!;
    const expected = (i: number, j: number) =>
      0.01 * [0, 1, 2].reduce((s, k) => s + p[k]![i]! * lambda[k]! ** 2 * p[k]![j]!, 0);
    // Entry-wise: the sampling error of a covariance entry is ≈ λ₁²σ²·√(2/n) ≈ 0.7% of 0.01·λ₁²; allow 5%.
    const tol = 0.05 * 0.01 * lambda[0] ** 2;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(Math.abs(cov(i, j) - expected(i, j)), replay).toBeLessThan(tol);
    // In the eigenbasis: pᵢᵀ Σ pⱼ = 0.01 λᵢ² δᵢⱼ, each variance within 5% (relative error ≈ 0.7%).
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let v = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) v += p[a]![i]! * cov(i, j) * p[b]![j]!;
        if (a === b) expect(Math.abs(v / (0.01 * lambda[a]! ** 2) - 1)).toBeLessThan(0.05);
        else expect(Math.abs(v) / (0.01 * lambda[a]! * lambda[b]!)).toBeLessThan(0.05);
      }
  });

  it('names bad inputs', () => {
    const p = IMAGENET_PCA.eigenvectors;
    expect(() => lightingShift([0.1, 0.2], [1, 2, 3], p)).toThrow(ArgumentError);
    expect(() => lightingShift([0.1, 0.2], [1, 2, 3], p)).toThrow(
      /alpha must hold 3 numbers, got \[0.1, 0.2\]/,
    );
    expect(() => lightingShift([0.1, 0.2, 0.3], [1, Number.NaN, 3], p)).toThrow(
      /eigenvalues\[1\] must be a finite number, got NaN/,
    );
    const bad = [p[0]!, [1, 2, Number.POSITIVE_INFINITY] as V3, p[2]!];
    expect(() => lightingShift([0.1, 0.2, 0.3], [1, 2, 3], bad)).toThrow(
      /eigenvectors\[1\]\[2\] must be a finite number, got Infinity/,
    );
    expect(() => lightingShift([0.1, 0.2, 0.3], [1, 2, 3], p.slice(0, 2))).toThrow(
      /eigenvectors must be 3 rows of 3 numbers/,
    );
  });
});
