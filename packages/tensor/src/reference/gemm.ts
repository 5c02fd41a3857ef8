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
  // Locals, not a.m etc. in the loops: attribute objects of varying shapes deoptimise those loads.
  const { m, n, k, alpha, beta } = a;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let ai = oA + i * aRow;
      let bi = oB + j * bCol;
      for (let p = 0; p < k; p++, ai += aCol, bi += bRow) sum += A[ai]! * B[bi]!;
      const c = oC + i * ldc + j;
      // beta = 0 must not read C: an uninitialised (NaN) C would otherwise leak into the result.
      C[c] = alpha * sum + (beta === 0 ? 0 : beta * C[c]!);
    }
  }
}
