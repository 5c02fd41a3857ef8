import type { GemmAttrs } from '@alexnet/tensor';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { none } from '../residency.js';
import { forEachRow } from '../views.js';

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
  const r = cache.residency;
  const a = yield* r.arg(A, g.offsetA ?? 0, [lda, transA ? k : m]);
  const b = yield* r.arg(B, g.offsetB ?? 0, [ldb, transB ? n : k]);
  // When beta = 0 the kernel ignores c: pass a one-element view rather than C (which may hold NaN).
  const c = readC ? yield* r.arg(C, offC, [ldc, m]) : none([1, 1]);
  // C stays on the device when one kernel writes all of it; ldc ≠ n, an offset, a C longer than m·n,
  // or column blocks (n > 8192) write rows into place on the host.
  const whole = n <= MAX_OUTPUT_WIDTH && offC === 0 && ldc === n && C.length === m * n;
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
    if (whole) yield* r.store(out, C, 0, m * n);
    else {
      yield* r.storeRows(out, C, (v) =>
        forEachRow(v, (row, i) => {
          C.set(row.length === width ? row : row.subarray(0, width), offC + i * ldc + j0);
        }),
      );
    }
  }
}
