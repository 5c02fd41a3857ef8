import { ReferenceBackend } from '@alexnet/tensor';
import { convCases, formatFailure, runConformanceCase, runSeed } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConvSplit, NativeBackend } from './backend.js';

// The native convolutions use their threads in two ways (conv.c): split over the batch's images
// (each thread runs whole images on its own scratch; filter gradients are summed per thread, then
// reduced) or over each step of one image chunk ('gemm'). 'auto' picks images when the batch splits
// evenly over the threads or has ≥ 4 images per thread; otherwise the forward pass cuts each image
// into one range of output pixels per thread (and the backward passes use 'gemm'). Every plan runs
// forced both ways and on auto, covering the splits' edges — uneven shares, threads left with no
// image, fewer images than threads, more pixel ranges than panels — against the float64 reference.
const plans = [
  { threads: 2, n: 2, auto: 'images' },
  { threads: 2, n: 3, auto: 'gemm' },
  { threads: 2, n: 9, auto: 'images, uneven shares' },
  { threads: 3, n: 2, auto: 'gemm: fewer images than threads' },
  { threads: 3, n: 4, auto: 'gemm' },
  { threads: 16, n: 70, auto: 'images, 2 of 16 threads without an image' },
] as const;
const splits: readonly ConvSplit[] = ['auto', 'gemm', 'images'];

// Two geometries: many pixels (one image per GEMM) and few (several images side by side per GEMM).
const geometries = [
  {
    tag: '4×34×34 → 6, 3×3 p1, 2 groups',
    c: 4,
    h: 34,
    w: 34,
    outC: 6,
    kh: 3,
    kw: 3,
    stride: 1,
    pad: 1,
    groups: 2,
  },
  { tag: '5×9×8 → 7, 5×3 s2 p2', c: 5, h: 9, w: 8, outC: 7, kh: 5, kw: 3, stride: 2, pad: 2, groups: 1 },
];

const seed = runSeed();
const oracle = new ReferenceBackend({ precision: 'float64' });
afterAll(() => oracle.dispose());

for (const plan of plans)
  for (const convSplit of splits) {
    describe(`native convolutions, ${plan.threads} threads, batch ${plan.n}, split ${convSplit === 'auto' ? `auto (${plan.auto})` : convSplit} (seed ${seed})`, () => {
      const backend = new NativeBackend({ threads: plan.threads, convSplit });
      afterAll(() => backend.dispose());
      for (const g of geometries) {
        const { tag, ...geometry } = g;
        convCases(`${plan.n}×${tag}`, 'odd', { n: plan.n, ...geometry }).forEach((c, i) => {
          it(c.name, async () => {
            const report = await runConformanceCase(backend, c, seed + i, { oracle });
            expect(report.pass, formatFailure(report)).toBe(true);
          });
        });
      }
    });
  }

// One larger geometry, both splits forced: the image split's forward packs the filters once and
// gathers patches straight into GEMM panels (gemm_packed.c), so it must be exercised past each of
// that GEMM's block edges — K = 261 taps > one 256-deep slice, 74 filters > one 72-row block (and not
// a multiple of the 6-row tile), P = 3,136 pixels > one 3,072-column block, whose second block starts
// in the middle of an output row (3,072 = 54 rows of 56 + 48).
describe(`native convolutions past the GEMM block edges, 2 threads, batch 2 (seed ${seed})`, () => {
  for (const convSplit of ['gemm', 'images'] as const) {
    const backend = new NativeBackend({ threads: 2, convSplit });
    afterAll(() => backend.dispose());
    const geometry = { n: 2, c: 29, h: 56, w: 56, outC: 74, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
    convCases(`2×29×56×56 → 74, 3×3 p1, split ${convSplit}`, 'odd', geometry).forEach((c, i) => {
      it(c.name, async () => {
        const report = await runConformanceCase(backend, c, seed + i, { oracle });
        expect(report.pass, formatFailure(report)).toBe(true);
      });
    });
  }
});

describe('convSplit option', () => {
  it('rejects an unknown mode', () => {
    expect(() => new NativeBackend({ threads: 1, convSplit: 'rows' as ConvSplit })).toThrow(
      "native backend: convSplit must be 'auto', 'gemm' or 'images', got 'rows'",
    );
    expect(() => new NativeBackend({ threads: 1, convSplit: 'toString' as ConvSplit })).toThrow(
      /got 'toString'/,
    );
  });
});
