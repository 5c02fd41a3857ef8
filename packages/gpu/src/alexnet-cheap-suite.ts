/**
 * The AlexNet-shape conformance cases that are cheap in gpu.js's CPU modes, as vitest tests.
 *
 * Skipped here, and why: the convolutions (conv1–conv5, forward and both backward passes) and the
 * fc6/fc7 GEMMs. gpu.js cpu/webasm compute them at 0.2–0.7 GFLOP/s, so those 42 cases take ~2 minutes
 * of the shared 2-core CI machine per mode (measured: 130 s wall for the full AlexNet set in webasm),
 * beyond the package's test budget. The same kernels run in these tests on the odd shapes (groups,
 * strides, padding, every transpose), fc6's 37.7 M-element GEMM runs in traps.test.ts, and the full
 * AlexNet set in every mode runs with `ALEXNET_GPU_FULL=1 pnpm --filter @alexnet/gpu test`.
 */
import type { BackendV1 } from '@alexnet/tensor';
import { alexnetCases, formatFailure, runConformanceCase, runSeed } from '@alexnet/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXPENSIVE = /^(conv2d|gemm fc6|gemm fc7)/;

export const FULL = process.env.ALEXNET_GPU_FULL === '1';

export function cheapAlexnetSuite(name: string, create: () => Promise<BackendV1>): void {
  const seed = runSeed() + 1000;
  const cases = alexnetCases(1).filter((c) => FULL || !(EXPENSIVE.test(c.kernel) || EXPENSIVE.test(c.name)));
  describe(`conformance: ${name}, AlexNet shapes${FULL ? '' : ' of the cheap kernels'} (seed ${seed})`, () => {
    let backend: BackendV1;
    beforeAll(async () => {
      backend = await create();
    });
    afterAll(() => backend?.dispose());
    cases.forEach((c, i) => {
      it(c.name, async () => {
        const report = await runConformanceCase(backend, c, seed + i);
        expect(report.skipped).toBeUndefined();
        expect(report.pass, formatFailure(report)).toBe(true);
      });
    });
  });
}
