/**
 * softmax and softmax cross-entropy against a different method: log Σ exp computed by a pairwise
 * log-add-exp fold (no global max subtraction), p = exp(z − lse), loss = −log p[label].
 */
import { describe, expect, it } from 'vitest';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, poisoned, ref32, ref64, upload } from './test-support.js';

/** log(e^a + e^b) without overflow. */
function logAddExp(a: number, b: number): number {
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

function naiveSoftmaxRows(
  z: ArrayLike<number>,
  n: number,
  classes: number,
): { p: Float64Array; lse: Float64Array } {
  const p = new Float64Array(n * classes);
  const lse = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const row = Array.from({ length: classes }, (_, j) => z[r * classes + j]!);
    const l = row.reduce(logAddExp);
    lse[r] = l;
    row.forEach((v, j) => {
      p[r * classes + j] = Math.exp(v - l);
    });
  }
  return { p, lse };
}

function naiveCrossEntropy(
  z: ArrayLike<number>,
  labels: readonly number[],
  classes: number,
  gradScale: number,
) {
  const n = labels.length;
  const { p } = naiveSoftmaxRows(z, n, classes);
  const loss = Float64Array.from(labels, (lab, r) => -Math.log(p[r * classes + lab]!));
  const dz = Float64Array.from(
    p,
    (pj, i) => (pj - (i % classes === labels[Math.floor(i / classes)]! ? 1 : 0)) * gradScale,
  );
  return { loss, dz };
}

function softmax(be: ReferenceBackend, x: ArrayLike<number>, n: number, classes: number): Float64Array {
  const y = poisoned(be, n * classes);
  be.kernels.softmax({ x: upload(be, x), y }, { n, classes });
  return be.readFloat64(y);
}

function crossEntropy(
  be: ReferenceBackend,
  z: ArrayLike<number>,
  labels: readonly number[],
  classes: number,
  gradScale: number,
) {
  const n = labels.length;
  const loss = poisoned(be, n);
  const dlogits = poisoned(be, n * classes);
  be.kernels.softmaxCrossEntropy(
    { logits: upload(be, z), labels: upload(be, labels), loss, dlogits },
    { n, classes, gradScale },
  );
  return { loss: be.readFloat64(loss), dz: be.readFloat64(dlogits) };
}

describe('softmax cross-entropy: hand-computed answers', () => {
  // logits [ln 1, ln 2, ln 3] → softmax = [1, 2, 3]/6
  const z = [0, Math.log(2), Math.log(3)];

  it('softmax([0, ln 2, ln 3]) = [1/6, 1/3, 1/2]', () => {
    expectClose(softmax(ref64, z, 1, 3), [1 / 6, 1 / 3, 1 / 2], 1e-15, 'softmax');
  });

  it('loss = −log p[label]: ln 2 for label 2, ln 6 for label 0; dlogits = (p − onehot)·gradScale', () => {
    const r = crossEntropy(ref64, [...z, ...z], [2, 0], 3, 0.5);
    expect(r.loss[0]).toBeCloseTo(Math.LN2, 15);
    expect(r.loss[1]).toBeCloseTo(Math.log(6), 15);
    expectClose(r.dz, [1 / 12, 1 / 6, -1 / 4, -5 / 12, 1 / 6, 1 / 4], 1e-15, 'dlogits');
  });

  it('equal logits: loss = ln(classes) whatever the label, dlogits = (1/C − onehot)·gradScale', () => {
    const r = crossEntropy(ref64, [7, 7, 7, 7], [1], 4, 1);
    expect(r.loss[0]).toBeCloseTo(Math.log(4), 15);
    expectClose(r.dz, [0.25, -0.75, 0.25, 0.25], 1e-15, 'dlogits');
  });
});

describe('softmax cross-entropy: random logits vs log-add-exp', () => {
  const data = new TestData(5000);
  const n = 7;
  const classes = 13;
  const z = data.random(n * classes, 3);
  const labels = Array.from(data.labels(n, classes));

  it('softmax kernel, float64 and float32; rows sum to 1', () => {
    const want = naiveSoftmaxRows(z, n, classes).p;
    const got = softmax(ref64, z, n, classes);
    expectClose(got, want, 1e-14, 'softmax f64');
    expectClose(softmax(ref32, z, n, classes), want, 1e-6, 'softmax f32');
    for (let r = 0; r < n; r++) {
      const s = got.subarray(r * classes, (r + 1) * classes).reduce((a, b) => a + b, 0);
      expect(s).toBeCloseTo(1, 14);
    }
  });

  it('loss and dlogits (gradScale = 1/n), float64 and float32; each dlogits row sums to 0', () => {
    const want = naiveCrossEntropy(z, labels, classes, 1 / n);
    const got = crossEntropy(ref64, z, labels, classes, 1 / n);
    expectClose(got.loss, want.loss, 1e-14, 'loss f64');
    expectClose(got.dz, want.dz, 1e-15, 'dlogits f64');
    const got32 = crossEntropy(ref32, z, labels, classes, 1 / n);
    expectClose(got32.loss, want.loss, 1e-6, 'loss f32');
    expectClose(got32.dz, want.dz, 1e-7, 'dlogits f32');
    for (let r = 0; r < n; r++) {
      const s = got.dz.subarray(r * classes, (r + 1) * classes).reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeLessThan(1e-15);
    }
  });

  it('AlexNet-sized rows (1000 classes)', () => {
    const m = 3;
    const big = data.random(m * 1000, 5);
    const labs = Array.from(data.labels(m, 1000));
    const want = naiveCrossEntropy(big, labs, 1000, 1);
    const got = crossEntropy(ref64, big, labs, 1000, 1);
    expectClose(got.loss, want.loss, 1e-13, 'loss');
    expectClose(got.dz, want.dz, 1e-15, 'dlogits');
  });
});

describe('softmax cross-entropy: large logits stay finite', () => {
  const rows = [
    [1000, 0, -1000],
    [1000, 999, 998],
    [-1000, -1001, -1002],
    [1000, 1000, 1000],
  ];
  const z = rows.flat();

  for (const be of [ref64, ref32]) {
    it(`${be.precision}: loss and dlogits are finite and correct`, () => {
      const labels = [1, 1, 0, 2];
      const r = crossEntropy(be, z, labels, 3, 1);
      expect(Array.from(r.loss).every(Number.isFinite)).toBe(true);
      expect(Array.from(r.dz).every(Number.isFinite)).toBe(true);
      // row 0, label 1: lse = 1000 + log(1 + e^−1000 + e^−2000) = 1000 → loss 1000
      expect(r.loss[0]).toBeCloseTo(1000, 3);
      // row 1, label 1: loss = 1 + log(1 + e^−1 + e^−2)
      const l1 = 1 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
      expect(Math.abs(r.loss[1]! - l1)).toBeLessThan(1e-5);
      // row 2, label 0: the same shape shifted by −2000 → log(1 + e^−1 + e^−2)
      expect(Math.abs(r.loss[2]! - (l1 - 1))).toBeLessThan(1e-5);
      // row 3: equal logits → ln 3
      expect(Math.abs(r.loss[3]! - Math.log(3))).toBeLessThan(1e-6);
      const want = naiveCrossEntropy(z, labels, 3, 1).dz;
      expectClose(r.dz, want, 1e-6, 'dlogits');
      // softmax alone
      const p = softmax(be, z, 4, 3);
      expect(Array.from(p).every(Number.isFinite)).toBe(true);
      expectClose(p, naiveSoftmaxRows(z, 4, 3).p, 1e-6, 'softmax');
    });
  }
});

describe('softmax cross-entropy: labels out of range throw', () => {
  for (const bad of [3, -1, 1.5, 100, Number.NaN]) {
    it(`label ${bad} with 3 classes`, () => {
      expect(() => crossEntropy(ref64, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, bad], 3, 1)).toThrow(/label/);
    });
  }

  it('the highest valid label (classes − 1) does not throw', () => {
    const r = crossEntropy(ref64, [0.1, 0.2, 0.3], [2], 3, 1);
    expect(r.loss[0]).toBeCloseTo(
      -Math.log(Math.exp(0.3) / (Math.exp(0.1) + Math.exp(0.2) + Math.exp(0.3))),
      14,
    );
  });
});
