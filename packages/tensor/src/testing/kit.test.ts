import { describe, expect, it } from 'vitest';
import type { BackendV1 } from '../contract/backend.js';
import { KERNEL_NAMES_V1, type KernelTableV1 } from '../contract/kernels.js';
import { ReferenceBackend } from '../reference/backend.js';
import { alexnetCases, oddCases } from './cases.js';
import { assertGradients, gradCheck } from './gradcheck.js';
import { formatFailure, runConformanceCase } from './runner.js';

/** A reference backend with some kernels replaced: the kit must catch each break. */
function broken(
  overrides: Partial<KernelTableV1>,
  unsupported: BackendV1['capabilities']['unsupported'] = {},
): BackendV1 {
  const base = new ReferenceBackend();
  return Object.assign(Object.create(base) as BackendV1, {
    kernels: { ...base.kernels, ...overrides },
    capabilities: { ...base.capabilities, unsupported },
  });
}

const oddCase = (prefix: string) => oddCases().find((c) => c.name.startsWith(prefix))!;

describe('conformance kit', () => {
  it('has odd-shape and AlexNet-shape cases for every kernel of the contract', () => {
    const odd = new Set(oddCases().map((c) => c.kernel));
    const alex = new Set(alexnetCases().map((c) => c.kernel));
    expect(KERNEL_NAMES_V1.filter((k) => !odd.has(k))).toEqual([]);
    // Every kernel the network runs has a real-shape case (sgd/axpy/dropout run on fc-sized vectors).
    expect(KERNEL_NAMES_V1.filter((k) => !alex.has(k))).toEqual([]);
  });

  it('passes an honest backend', async () => {
    const r = await runConformanceCase(new ReferenceBackend(), oddCase('conv2dForward 2×6×7×9'), 7);
    expect(r.pass, formatFailure(r)).toBe(true);
  });

  it('fails a kernel that leaves one output element unwritten (poisoned outputs)', async () => {
    const b = broken({});
    const real = b.kernels.conv2dForward;
    (b.kernels as { conv2dForward: KernelTableV1['conv2dForward'] }).conv2dForward = (bufs, a) => {
      real(bufs, a);
      b.fill(bufs.y, Number.NaN, 5, 1); // as if element 5 had never been written
    };
    const r = await runConformanceCase(b, oddCase('conv2dForward 2×6×7×9'), 7);
    expect(r.pass).toBe(false);
    expect(formatFailure(r)).toMatch(/non-finite.*first at 5/);
  });

  it('fails a gemm that ignores transB', async () => {
    const b = broken({});
    const real = b.kernels.gemm;
    (b.kernels as { gemm: KernelTableV1['gemm'] }).gemm = (bufs, a) =>
      real(bufs, { ...a, transB: false, ldb: a.n });
    const c = oddCases().find(
      (x) => x.kernel === 'gemm' && x.name.includes('NT') && x.name.includes('beta=0'),
    )!;
    const r = await runConformanceCase(b, c, 3);
    expect(r.pass).toBe(false);
  });

  it('fails an LRN that divides alpha by the window size (the Caffe/ONNX convention)', async () => {
    const b = broken({});
    const real = b.kernels.lrnForward;
    (b.kernels as { lrnForward: KernelTableV1['lrnForward'] }).lrnForward = (bufs, a) =>
      real(bufs, { ...a, alpha: a.alpha / a.size });
    const r = await runConformanceCase(b, oddCase('lrnForward 2×7×3×4'), 11);
    expect(r.pass).toBe(false);
  });

  it('fails dropout that draws its mask from another stream offset', async () => {
    const b = broken({});
    const real = b.kernels.dropoutForward;
    (b.kernels as { dropoutForward: KernelTableV1['dropoutForward'] }).dropoutForward = (bufs, a) =>
      real(bufs, { ...a, offset: a.offset + 1 });
    const r = await runConformanceCase(b, oddCase('dropoutForward'), 5);
    expect(r.pass).toBe(false);
  });

  it('fails an accumulating backward kernel that overwrites instead of adding', async () => {
    const b = broken({});
    const real = b.kernels.maxPoolBackward;
    (b.kernels as { maxPoolBackward: KernelTableV1['maxPoolBackward'] }).maxPoolBackward = (bufs, a) =>
      real(bufs, { ...a, accumulate: false });
    const r = await runConformanceCase(
      b,
      oddCase('maxPoolBackward 2×3×9×7 z=3 s=2 pad 1 (overlapping) accumulate'),
      5,
    );
    expect(r.pass).toBe(false);
  });

  it('reports a kernel the backend lists as unsupported as skipped, with the reason', async () => {
    const b = broken({}, { lrnForward: 'not written yet' });
    const r = await runConformanceCase(b, oddCase('lrnForward'), 1);
    expect(r.skipped).toBe('not written yet');
  });
});

describe('gradCheck', () => {
  const square = {
    inputs: { x: Float64Array.from([0.3, -1.2, 2.5]) },
    forward: (i: Record<string, Float64Array>) => i.x!.map((v) => v * v),
  };

  it('accepts a correct gradient', async () => {
    const r = await assertGradients({
      ...square,
      backward: (i, d) => ({ x: i.x!.map((v, k) => 2 * v * d[k]!) }),
    });
    expect(r.checked).toBe(3);
    expect(r.worstError).toBeLessThan(1e-8);
  });

  it('rejects a wrong gradient and names the element', async () => {
    const bad = {
      ...square,
      backward: (i: Record<string, Float64Array>, d: Float64Array) => ({
        x: i.x!.map((v, k) => 2.01 * v * d[k]!),
      }),
    };
    await expect(assertGradients(bad)).rejects.toThrow(/x\[\d\]: analytic/);
  });

  it('skips elements next to a kink only when allowed, and never more than the allowed fraction', async () => {
    const relu = {
      inputs: { x: Float64Array.from([0.5, -0.7, 1e-7, 2]) }, // 1e-7 is within one step of the kink
      forward: (i: Record<string, Float64Array>) => i.x!.map((v) => Math.max(0, v)),
      // The analytic gradient at +1e-7 is 1; centred differences straddle the kink and give ≈ 0.5.
      backward: (i: Record<string, Float64Array>, d: Float64Array) => ({
        x: i.x!.map((v, k) => (v > 0 ? d[k]! : 0)),
      }),
    };
    expect((await gradCheck(relu)).pass).toBe(false);
    const lenient = await gradCheck(relu, { kinks: true, maxKinkFraction: 0.3 });
    expect(lenient.pass).toBe(true);
    expect(lenient.kinksSkipped).toBe(1);
    expect((await gradCheck(relu, { kinks: true, maxKinkFraction: 0.1 })).pass).toBe(false);
  });
});
