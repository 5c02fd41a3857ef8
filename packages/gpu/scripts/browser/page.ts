/**
 * The conformance cases in a browser page: `?mode=webgl2|webgpu|…&set=odd|alexnet|all` runs them on
 * @alexnet/gpu and leaves one line per case in `window.__result` (read by run.mjs).
 * `alexnet` = AlexNet's shapes without the conv and fc6/fc7 cases; `gemm` = AlexNet's fc GEMMs;
 * `all` = every AlexNet shape.
 */
import { alexnetCases, formatFailure, oddCases, runConformanceCase } from '@alexnet/tensor/testing';
import { createGpuBackend, type GpuMode } from '../../src/index.js';

async function main(): Promise<string[]> {
  const params = new URLSearchParams(location.search);
  const mode = (params.get('mode') ?? 'webgl2') as GpuMode;
  const set = params.get('set') ?? 'odd';
  const lines: string[] = [];
  const backend = await createGpuBackend({ mode });
  lines.push(`mode ${backend.mode}: ${backend.capabilities.description}`);
  const cases =
    set === 'odd'
      ? oddCases()
      : alexnetCases(1).filter((c) =>
          set === 'all'
            ? true
            : set === 'gemm'
              ? c.kernel === 'gemm'
              : !/^(conv2d|gemm fc6|gemm fc7)/.test(c.name),
        );
  let failed = 0;
  for (const [i, c] of cases.entries()) {
    const t = performance.now();
    try {
      const r = await runConformanceCase(backend, c, 1234 + i);
      if (r.pass) lines.push(`ok   ${c.name} (${(performance.now() - t).toFixed(0)} ms)`);
      else {
        failed++;
        lines.push(`FAIL ${formatFailure(r)}`);
      }
    } catch (err) {
      failed++;
      lines.push(`FAIL ${c.name}: ${(err as Error).message.slice(0, 300)}`);
    }
  }
  lines.push(`${set} shapes in ${mode}: ${cases.length - failed}/${cases.length} passed`);
  backend.dispose();
  return lines;
}

main().then(
  (lines) => Object.assign(window, { __result: lines.join('\n') }),
  (err: Error) => Object.assign(window, { __result: `FAIL create: ${err.message}` }),
);
