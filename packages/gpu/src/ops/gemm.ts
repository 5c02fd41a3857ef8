import type { GemmAttrs } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { forEachRow, view } from '../views.js';

/**
 * Widest output a kernel writes at once: GL modes store a kernel's [n, m] output as an n × m texture,
 * and Chromium's WebGL2 allows 8192 (fc6's weight gradient is 9216 wide), so wider C is computed in
 * column blocks.
 */
export const MAX_OUTPUT_WIDTH = 8192;

/**
 * C = alpha·op(A)·op(B) + beta·C. One thread per C element (output [columns, m] per column block);
 * A and B are 2-D views [ld, rows] from their offsets, so op(A)[i][p] is a[i][p] or a[p][i] and no
 * flat index is formed.
 */
export function* gemm(
  cache: KernelCache,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  g: GemmAttrs,
): Step {
  const { m, n, k, transA, transB } = g;
  const lda = g.lda ?? (transA ? m : k);
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const offC = g.offsetC ?? 0;
  const readC = g.beta !== 0; // beta = 0 never reads C (NaN there must not propagate)
  const aExpr = transA ? 'a[p][i]' : 'a[i][p]';
  const bExpr = transB ? 'b[j][p]' : 'b[p][j]';
  const source = `function (a, b, c, alpha, beta, j0) {
    const i = this.thread.y;
    const j = j0 + this.thread.x;
    let s = 0;
    for (let p = 0; p < this.constants.K; p++) {
      s += ${aExpr} * ${bExpr};
    }
    return ${readC ? 'alpha * s + beta * c[i][j]' : 'alpha * s'};
  }`;
  const a = view(A, g.offsetA ?? 0, [lda, transA ? k : m]);
  const b = view(B, g.offsetB ?? 0, [ldb, transB ? n : k]);
  // When beta = 0 the kernel ignores c: pass a one-element view rather than C (which may hold NaN).
  const c = readC ? view(C, offC, [ldc, m]) : view(new Float32Array(1), 0, [1, 1]);
  for (let j0 = 0; j0 < n; j0 += MAX_OUTPUT_WIDTH) {
    const width = Math.min(MAX_OUTPUT_WIDTH, n - j0);
    const out = yield cache.run(
      {
        key: `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} m${m} n${n} k${k} lda${lda} ldb${ldb} ldc${ldc} ${readC ? 'beta' : 'nobeta'} width${width}`,
        source,
        output: [width, m],
        constants: { K: k },
      },
      [a, b, c, g.alpha, g.beta, j0],
    );
    forEachRow(out, (row, i) => {
      C.set(row.length === width ? row : row.subarray(0, width), offC + i * ldc + j0);
    });
  }
}
