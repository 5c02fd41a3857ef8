/**
 * The conformance cases in a browser page: `?mode=webgl2|webgpu|…&set=odd|alexnet|all` runs them on
 * @alexnet/gpu and leaves one line per case in `window.__result` (read by run.mjs).
 * `alexnet` = AlexNet's shapes without the conv and fc6/fc7 cases; `gemm` = AlexNet's fc GEMMs;
 * `all` = every AlexNet shape.
 */

import { ReferenceBackend } from '@alexnet/tensor';
import { alexnetCases, formatFailure, oddCases, runConformanceCase } from '@alexnet/tensor/testing';
import { createGpuBackend, type GpuBackend, type GpuMode } from '../../src/index.js';
import { CHAIN_PARAMETERS, runChain } from '../../src/residency-chain.js';

/**
 * `set=residency`: the chain of residency.test.ts in the page — results against the reference, and
 * the transfer counters: one download (the final read), uploads only of the input and parameters.
 */
async function residency(backend: GpuBackend, lines: string[]): Promise<void> {
  const ref = new ReferenceBackend();
  const want = (await runChain(ref, 7)).out;
  const before = backend.stats();
  const { out, bufs } = await runChain(backend, 7);
  const after = backend.stats();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(out[i]! - want[i]!));
  const downloads = after.downloads - before.downloads;
  const uploads = after.uploads - before.uploads;
  const onDevice = after.deviceArguments - before.deviceArguments;
  for (const b of bufs) backend.free(b);
  await backend.sync();
  const live = backend.stats().liveHandles;
  const pass =
    worst < 1e-5 && downloads === 1 && uploads === 1 + CHAIN_PARAMETERS && onDevice === 20 && live === 0;
  lines.push(
    `${pass ? 'ok  ' : 'FAIL'} residency chain: max |error| ${worst.toExponential(2)}, downloads ${downloads} ` +
      `(${JSON.stringify(after.downloadsBy)}), uploads ${uploads}, device arguments ${onDevice}, ` +
      `device results ${after.deviceResults - before.deviceResults}, live handles after free ${live}`,
  );
  lines.push(`residency in ${backend.mode}: ${pass ? '1/1' : '0/1'} passed`);
  ref.dispose();
}

async function main(): Promise<string[]> {
  const params = new URLSearchParams(location.search);
  const mode = (params.get('mode') ?? 'webgl2') as GpuMode;
  const set = params.get('set') ?? 'odd';
  const lines: string[] = [];
  const backend = await createGpuBackend({ mode });
  lines.push(`mode ${backend.mode}: ${backend.capabilities.description}`);
  if (set === 'residency') {
    await residency(backend, lines);
    backend.dispose();
    return lines;
  }
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
