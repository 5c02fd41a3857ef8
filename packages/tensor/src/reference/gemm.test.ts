/**
 * gemm against an independent naive formula: the stored matrices are unpacked into number[][] (rows
 * read with their leading dimension and offset), transposed explicitly, multiplied by the textbook
 * triple loop, then scaled.
 */
import { describe, expect, it } from 'vitest';
import type { GemmAttrs } from '../contract/kernels.js';
import { TestData } from '../testing/random.js';
import type { ReferenceBackend } from './backend.js';
import { expectClose, ref32, ref64, upload } from './test-support.js';

/** rows×cols matrix stored at buf[offset + r·ld + c]. */
function unpack(buf: ArrayLike<number>, offset: number, ld: number, rows: number, cols: number): number[][] {
  const m: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) row.push(buf[offset + r * ld + c]!);
    m.push(row);
  }
  return m;
}

function transpose(m: number[][]): number[][] {
  const rows = m.length;
  const cols = m[0]!.length;
  return Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => m[r]![c]!));
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, aip, p) => s + aip * b[p]![j]!, 0)));
}

/** The whole expected C buffer: untouched outside the m×n window, alpha·op(A)op(B) + beta·C inside. */
function naiveGemm(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  C0: ArrayLike<number>,
  a: GemmAttrs,
): Float64Array {
  const rowsA = a.transA ? a.k : a.m;
  const colsA = a.transA ? a.m : a.k;
  const rowsB = a.transB ? a.n : a.k;
  const colsB = a.transB ? a.k : a.n;
  const storedA = unpack(A, a.offsetA ?? 0, a.lda ?? colsA, rowsA, colsA);
  const storedB = unpack(B, a.offsetB ?? 0, a.ldb ?? colsB, rowsB, colsB);
  const opA = a.transA ? transpose(storedA) : storedA;
  const opB = a.transB ? transpose(storedB) : storedB;
  const prod = matmul(opA, opB);
  const out = Float64Array.from(C0);
  const ldc = a.ldc ?? a.n;
  const oc = a.offsetC ?? 0;
  for (let i = 0; i < a.m; i++) {
    for (let j = 0; j < a.n; j++) {
      const idx = oc + i * ldc + j;
      out[idx] = a.alpha * prod[i]![j]! + (a.beta === 0 ? 0 : a.beta * C0[idx]!);
    }
  }
  return out;
}

function storedSize(rows: number, cols: number, ld: number, offset: number): number {
  return offset + (rows - 1) * ld + cols + 3; // 3 spare elements past the end
}

interface Layout {
  lda?: number;
  ldb?: number;
  ldc?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

/** Runs gemm on `be` with random A, B, C and compares the full C buffer with the naive result. */
function checkGemm(be: ReferenceBackend, attrs: GemmAttrs, seed: number, tol: number): void {
  const data = new TestData(seed);
  const rowsA = attrs.transA ? attrs.k : attrs.m;
  const colsA = attrs.transA ? attrs.m : attrs.k;
  const rowsB = attrs.transB ? attrs.n : attrs.k;
  const colsB = attrs.transB ? attrs.k : attrs.n;
  const A = data.random(storedSize(rowsA, colsA, attrs.lda ?? colsA, attrs.offsetA ?? 0));
  const B = data.random(storedSize(rowsB, colsB, attrs.ldb ?? colsB, attrs.offsetB ?? 0));
  const C0 = data.random(storedSize(attrs.m, attrs.n, attrs.ldc ?? attrs.n, attrs.offsetC ?? 0));
  const bA = upload(be, A);
  const bB = upload(be, B);
  const bC = upload(be, C0);
  be.kernels.gemm({ a: bA, b: bB, c: bC }, attrs);
  const want = naiveGemm(A, B, C0, attrs);
  expectClose(be.readFloat64(bC), want, tol, `gemm ${JSON.stringify(attrs)}`);
  // Inputs are not modified.
  expect(Array.from(be.readFloat64(bA))).toEqual(Array.from(A));
  expect(Array.from(be.readFloat64(bB))).toEqual(Array.from(B));
  for (const b of [bA, bB, bC]) be.free(b);
}

const COMBOS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

describe('reference gemm', () => {
  it('computes a hand-worked 2×2 product (and its transposes)', () => {
    // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: AB = [[19,22],[43,50]], AᵀB = [[26,30],[38,44]],
    // ABᵀ = [[17,23],[39,53]], AᵀBᵀ = [[23,31],[34,46]].
    const expected: Record<string, number[]> = {
      'false,false': [19, 22, 43, 50],
      'true,false': [26, 30, 38, 44],
      'false,true': [17, 23, 39, 53],
      'true,true': [23, 31, 34, 46],
    };
    for (const [transA, transB] of COMBOS) {
      const a = upload(ref64, [1, 2, 3, 4]);
      const b = upload(ref64, [5, 6, 7, 8]);
      const c = upload(ref64, [Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
      ref64.kernels.gemm({ a, b, c }, { transA, transB, m: 2, n: 2, k: 2, alpha: 1, beta: 0 });
      expect(Array.from(ref64.readFloat64(c)), `transA=${transA} transB=${transB}`).toEqual(
        expected[`${transA},${transB}`],
      );
    }
  });

  it('applies alpha and beta: C = 2·AB − 0.5·C', () => {
    const a = upload(ref64, [1, 2, 3, 4]);
    const b = upload(ref64, [5, 6, 7, 8]);
    const c = upload(ref64, [10, 20, 30, 40]);
    ref64.kernels.gemm({ a, b, c }, { transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 2, beta: -0.5 });
    expect(Array.from(ref64.readFloat64(c))).toEqual([38 - 5, 44 - 10, 86 - 15, 100 - 20]);
  });

  it('alpha = 0, beta = 1 leaves C unchanged; alpha = 0, beta = 0 zeroes it', () => {
    const a = upload(ref64, [1, 2, 3, 4]);
    const b = upload(ref64, [5, 6, 7, 8]);
    const c = upload(ref64, [10, 20, 30, 40]);
    ref64.kernels.gemm({ a, b, c }, { transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 0, beta: 1 });
    expect(Array.from(ref64.readFloat64(c))).toEqual([10, 20, 30, 40]);
    ref64.kernels.gemm({ a, b, c }, { transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 0, beta: 0 });
    expect(Array.from(ref64.readFloat64(c))).toEqual([0, 0, 0, 0]);
  });

  for (const [transA, transB] of COMBOS) {
    it(`transA=${transA} transB=${transB}: packed, odd shapes, alpha/beta, float64 and float32`, () => {
      const shapes: [number, number, number][] = [
        [3, 5, 4],
        [7, 1, 9],
        [1, 6, 2],
        [5, 3, 1],
        [13, 11, 17],
      ];
      shapes.forEach(([m, n, k], s) => {
        const attrs: GemmAttrs = { transA, transB, m, n, k, alpha: 1.5, beta: -0.7 };
        checkGemm(ref64, attrs, 100 + s, 1e-13);
        checkGemm(ref32, attrs, 200 + s, 2e-6);
      });
    });

    it(`transA=${transA} transB=${transB}: leading dimensions and offsets, outside of C untouched`, () => {
      const m = 4;
      const n = 3;
      const k = 5;
      const layout: Layout = {
        lda: (transA ? m : k) + 2,
        ldb: (transB ? k : n) + 3,
        ldc: n + 4,
        offsetA: 5,
        offsetB: 2,
        offsetC: 7,
      };
      checkGemm(ref64, { transA, transB, m, n, k, alpha: -0.75, beta: 0.25, ...layout }, 300, 1e-13);
      checkGemm(ref64, { transA, transB, m, n, k, alpha: 1, beta: 0, ...layout }, 301, 1e-13);
      checkGemm(ref32, { transA, transB, m, n, k, alpha: 2, beta: 1, ...layout }, 302, 2e-6);
    });

    it(`transA=${transA} transB=${transB}: beta = 0 never reads C (NaN/Inf in C do not propagate)`, () => {
      const m = 3;
      const n = 4;
      const k = 2;
      const data = new TestData(400);
      const A = data.random(m * k);
      const B = data.random(k * n);
      for (const poison of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const a = upload(ref64, A);
        const b = upload(ref64, B);
        const c = ref64.alloc(m * n);
        ref64.fill(c, poison);
        const attrs: GemmAttrs = { transA, transB, m, n, k, alpha: 0.5, beta: 0 };
        ref64.kernels.gemm({ a, b, c }, attrs);
        const got = ref64.readFloat64(c);
        expect(got.every(Number.isFinite), `C poisoned with ${poison} leaked: ${Array.from(got)}`).toBe(true);
        expectClose(got, naiveGemm(A, B, new Float64Array(m * n), attrs), 1e-14, 'beta=0');
      }
    });
  }
});
