import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConvAttrs, KERNEL_NAMES_V1, type KernelName } from '@alexnet/tensor';
import {
  type ConformanceCase,
  formatFailure,
  oddCases,
  runConformanceCase,
  runSeed,
} from '@alexnet/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planConvBackwardData, planConvBackwardFilter, planConvForward } from './conv-plan.js';
import { EmuKernelBackend, loadEmuLibrary, type Planner } from './emu-backend.js';
import { KERNEL_FUNCTIONS, planKernel, TF32_FUNCTIONS } from './plans.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = runSeed();

/**
 * Extra cases for paths the odd shapes miss: multi-tile GEMMs with float4-aligned operands, and
 * split-K GEMMs (few tiles, long K) with and without a remainder slice.
 */
function extraGemmCases(): ConformanceCase[] {
  const rnd = (length: number) => ({ length, fill: { kind: 'random' as const } });
  const cases: ConformanceCase[] = [];
  const shapes: [number, number, number, string][] = [
    [132, 136, 20, 'float4-aligned, 2×2 tiles'],
    [12, 16, 1024, 'split-K, aligned, 4 equal slices'],
    [9, 10, 1100, 'split-K with a remainder slice'],
  ];
  for (const [m, n, k, what] of shapes)
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        cases.push({
          kernel: 'gemm',
          name: `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${k} ${what}, beta=0.5`,
          shapes: 'odd',
          bufs: { a: rnd(m * k), b: rnd(k * n), c: rnd(m * n) },
          attrs: { transA, transB, m, n, k, alpha: 0.75, beta: 0.5 },
          outputs: ['c'],
        });
      }
  cases.push({
    kernel: 'gemm',
    name: 'gemm NT split-K with leading dimensions and offsets, beta=0',
    shapes: 'odd',
    bufs: { a: rnd(3 + 6 * 700), b: rnd(5 + 9 * 701), c: rnd(2 + 6 * 11) },
    attrs: {
      transA: false,
      transB: true,
      m: 6,
      n: 9,
      k: 699,
      alpha: -0.75,
      beta: 0,
      lda: 700,
      ldb: 701,
      ldc: 11,
      offsetA: 3,
      offsetB: 5,
      offsetC: 2,
    },
    outputs: ['c'],
  });
  return cases;
}

const conv: ConvAttrs = { n: 3, c: 4, h: 6, w: 5, outC: 6, kh: 3, kw: 3, stride: 1, pad: 1, groups: 2 };

/** A conv case run with a scratch budget of one image, so the batch is split into chunks. */
function chunkedConvCases(): ConformanceCase[] {
  const x = conv.n * conv.c * conv.h * conv.w;
  const w = conv.outC * (conv.c / conv.groups) * conv.kh * conv.kw;
  const y = conv.n * conv.outC * conv.h * conv.w;
  const rnd = (length: number) => ({ length, fill: { kind: 'random' as const } });
  const nan = (length: number) => ({ length, fill: { kind: 'poison' as const } });
  return [
    {
      kernel: 'conv2dForward',
      name: 'conv2dForward chunked (1 image per chunk)',
      shapes: 'odd',
      bufs: { x: rnd(x), w: rnd(w), bias: rnd(conv.outC), y: nan(y) },
      attrs: conv,
      outputs: ['y'],
    },
    {
      kernel: 'conv2dBackwardData',
      name: 'conv2dBackwardData chunked (1 image per chunk), accumulate',
      shapes: 'odd',
      bufs: { dy: rnd(y), w: rnd(w), dx: rnd(x) },
      attrs: { ...conv, accumulate: true },
      outputs: ['dx'],
    },
    {
      kernel: 'conv2dBackwardFilter',
      name: 'conv2dBackwardFilter chunked (1 image per chunk)',
      shapes: 'odd',
      bufs: { x: rnd(x), dy: rnd(y), dw: nan(w), dbias: nan(conv.outC) },
      attrs: { ...conv, accumulate: false },
      outputs: ['dw', 'dbias'],
    },
  ];
}

// The emulation library is built with g++ and loaded next to glibc's malloc: Linux only.
const skipReason =
  process.platform === 'linux'
    ? undefined
    : `CPU emulation needs Linux (g++, glibc); this is ${process.platform}`;

describe.skipIf(skipReason !== undefined)(
  `CUDA kernels under CPU emulation (not a GPU): csrc kernels + launch plans vs the reference${skipReason ? ` — skipped: ${skipReason}` : ''}`,
  () => {
    let backend: EmuKernelBackend;
    let chunked: EmuKernelBackend;
    let tf32: EmuKernelBackend;

    beforeAll(() => {
      execFileSync(process.execPath, [join(pkg, 'scripts', 'build-emu.mjs')], { stdio: 'inherit' });
      const lib = loadEmuLibrary(join(pkg, 'build', 'libalexnet_emu.so'));
      backend = new EmuKernelBackend(lib);
      const perImage = conv.c * conv.kh * conv.kw * conv.h * conv.w;
      const oneImage: Planner = (name, bufs, attrs) => {
        const b = bufs as never;
        const a = attrs as never;
        if (name === 'conv2dForward') return planConvForward(b, a, false, perImage);
        if (name === 'conv2dBackwardData') return planConvBackwardData(b, a, false, perImage);
        if (name === 'conv2dBackwardFilter') return planConvBackwardFilter(b, a, false, perImage);
        return planKernel(name, bufs, attrs, { tf32: false });
      };
      chunked = new EmuKernelBackend(lib, oneImage);
      tf32 = new EmuKernelBackend(lib, (name, bufs, attrs) => planKernel(name, bufs, attrs, { tf32: true }));
    });
    afterAll(() => {
      backend?.dispose();
      chunked?.dispose();
      tf32?.dispose();
    });

    it('the emulation library holds every kernel the plans name (the TF32 ones on emulated wmma)', () => {
      const lib = loadEmuLibrary(join(pkg, 'build', 'libalexnet_emu.so'));
      const names = lib.names().trim().split('\n').sort();
      expect(names).toEqual([...KERNEL_FUNCTIONS].sort());
    });

    const cases = [...oddCases(), ...extraGemmCases()];
    it('the cases cover every contract kernel', () => {
      const covered = new Set<KernelName>(cases.map((c) => c.kernel));
      expect(KERNEL_NAMES_V1.filter((k) => !covered.has(k))).toEqual([]);
    });

    for (const c of cases) {
      it(`${c.name} (float32 path)`, async () => {
        const report = await runConformanceCase(backend, c, seed);
        expect(report.pass, formatFailure(report)).toBe(true);
      });
    }

    // The opt-in TF32 GEMMs, with wmma replaced by emu/wmma_emu.h (whole-tile scalar fragments, the
    // same TF32 rounding): checks the kernel's tiling and epilogue, not tensor-core hardware.
    const tf32Kernels: KernelName[] = ['gemm', 'conv2dForward', 'conv2dBackwardData', 'conv2dBackwardFilter'];
    const tf32Tolerance = {
      relError: 2e-3,
      reason: 'TF32 products keep 10 mantissa bits (|rounding| ≤ 2⁻¹¹ per input)',
    };
    // Emulated wmma is ~30× slower than the scalar path (each thread computes its warp's whole
    // tile), so of the split-K GEMMs only one (with a remainder slice) runs on the TF32 path here.
    const tf32Cases = cases.filter(
      (c) =>
        tf32Kernels.includes(c.kernel) &&
        (!c.name.includes('split-K') || c.name.startsWith('gemm NN 9×10×1100 split-K')),
    );
    for (const c of tf32Cases) {
      it(`${c.name} — TF32 path on emulated wmma (not tensor cores)`, async () => {
        const tf32Launches = () => TF32_FUNCTIONS.reduce((s, f) => s + (tf32.launched.get(f) ?? 0), 0);
        const before = tf32Launches();
        const report = await runConformanceCase(tf32, c, seed, {
          tolerances: Object.fromEntries(tf32Kernels.map((k) => [k, tf32Tolerance])),
        });
        expect(report.pass, formatFailure(report)).toBe(true);
        expect(tf32Launches()).toBeGreaterThan(before); // the TF32 kernels really ran
      });
    }

    for (const c of chunkedConvCases()) {
      it(c.name, async () => {
        const before = chunked.launched.get('sum_partials') ?? 0;
        const report = await runConformanceCase(chunked, c, seed);
        expect(report.pass, formatFailure(report)).toBe(true);
        if (c.kernel === 'conv2dBackwardFilter') {
          expect((chunked.launched.get('sum_partials') ?? 0) - before).toBe(conv.n); // one per chunk
        }
      });
    }
  },
);
