/**
 * The conformance suite as vitest tests: a backend package calls `conformanceSuite` in one test file
 * and every kernel is checked against the float64 reference on fresh random inputs.
 *
 *   import { conformanceSuite } from '@alexnet/tensor/testing/vitest';
 *   conformanceSuite({ name: 'native', create: () => new NativeBackend() });
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendV1 } from '../contract/backend.js';
import { KERNEL_NAMES_V1, type KernelName } from '../contract/kernels.js';
import { ReferenceBackend } from '../reference/backend.js';
import { alexnetCases, type ConformanceCase, oddCases } from './cases.js';
import { runSeed } from './random.js';
import { formatFailure, runConformanceCase, type ToleranceOverride } from './runner.js';

export interface ConformanceSuiteOptions {
  /** Shown in the test names, e.g. 'native (AVX-512)'. */
  name: string;
  create(): BackendV1 | Promise<BackendV1>;
  /** Which shape sets to run (default both). AlexNet shapes take seconds on slow backends. */
  shapes?: readonly ('odd' | 'alexnet')[];
  /** Batch size of the AlexNet-shape cases (default 1). */
  batch?: number;
  /** Looser bounds, each with the reason it is needed (printed on failure). */
  tolerances?: Partial<Record<KernelName, ToleranceOverride>>;
  /** Fixed seed (default: ALEXNET_TEST_SEED or fresh each run). */
  seed?: number;
}

export function conformanceSuite(options: ConformanceSuiteOptions): void {
  const seed = options.seed ?? runSeed();
  const shapes = options.shapes ?? ['odd', 'alexnet'];
  const cases: ConformanceCase[] = [
    ...(shapes.includes('odd') ? oddCases() : []),
    ...(shapes.includes('alexnet') ? alexnetCases(options.batch ?? 1) : []),
  ];
  describe(`conformance: ${options.name} vs float64 reference (seed ${seed})`, () => {
    let backend: BackendV1;
    const oracle = new ReferenceBackend({ precision: 'float64' });
    beforeAll(async () => {
      backend = await options.create();
    });
    afterAll(() => {
      backend?.dispose();
      oracle.dispose();
    });

    it('implements contract v1 with every kernel', () => {
      expect(backend.contract).toBe('v1');
      const missing = KERNEL_NAMES_V1.filter((k) => typeof backend.kernels[k] !== 'function');
      expect(missing, `missing kernels: ${missing.join(', ')}`).toEqual([]);
    });

    cases.forEach((c, i) => {
      it(c.name, async (ctx) => {
        const report = await runConformanceCase(backend, c, seed + i, {
          oracle,
          ...(options.tolerances ? { tolerances: options.tolerances } : {}),
        });
        if (report.skipped !== undefined) {
          ctx.skip(`${options.name} lists ${c.kernel} as unsupported: ${report.skipped}`);
          return;
        }
        expect(report.pass, formatFailure(report)).toBe(true);
      });
    });
  });
}
