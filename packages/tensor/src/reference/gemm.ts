import type { GemmAttrs } from '../contract/kernels.js';
import type { FloatArray } from './types.js';

/** C = alpha·op(A)·op(B) + beta·C, the textbook triple loop; sums in float64. */
export function gemm(A: FloatArray, B: FloatArray, C: FloatArray, a: GemmAttrs): void {
  const lda = a.lda ?? (a.transA ? a.m : a.k);
  const ldb = a.ldb ?? (a.transB ? a.k : a.n);
  const ldc = a.ldc ?? a.n;
  // op(A)[i][p] = A[offsetA + i·aRow + p·aCol], op(B)[p][j] = B[offsetB + p·bRow + j·bCol]:
  // the four transpose cases differ only in these strides.
  const aRow = a.transA ? 1 : lda;
  const aCol = a.transA ? lda : 1;
  const bRow = a.transB ? 1 : ldb;
  const bCol = a.transB ? ldb : 1;
  const oA = a.offsetA ?? 0;
  const oB = a.offsetB ?? 0;
  const oC = a.offsetC ?? 0;
  for (let i = 0; i < a.m; i++) {
    for (let j = 0; j < a.n; j++) {
      let sum = 0;
      let ai = oA + i * aRow;
      let bi = oB + j * bCol;
      for (let p = 0; p < a.k; p++, ai += aCol, bi += bRow) sum += A[ai]! * B[bi]!;
      const c = oC + i * ldc + j;
      // beta = 0 must not read C: an uninitialised (NaN) C would otherwise leak into the result.
      C[c] = a.alpha * sum + (a.beta === 0 ? 0 : a.beta * C[c]!);
    }
  }
}
