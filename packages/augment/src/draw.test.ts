import { ArgumentError, philox4x32 } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { AUGMENT_COUNTER_TAG, type AugmentationRequest, drawAugmentation } from './draw.js';
import { data, randomInt, replay } from './test-helpers.js';

const imagenet = { srcWidth: 256, srcHeight: 256, crop: 224 };

describe('drawAugmentation', () => {
  it('follows the documented Philox counter layout', () => {
    const d = data(10);
    for (let t = 0; t < 50; t++) {
      const seed = randomInt(d, 0, 2 ** 40);
      const epoch = randomInt(d, 0, 1000);
      const index = randomInt(d, 0, 2 ** 32 - 1);
      const crop = randomInt(d, 1, 40);
      const srcWidth = randomInt(d, crop, 64);
      const srcHeight = randomInt(d, crop, 64);
      const std = 0.05 + d.uniform(1)[0]!;
      const got = drawAugmentation({ seed, epoch, index, srcWidth, srcHeight, crop, lightingStd: std });
      const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
      const b0 = philox4x32([index, epoch, 0, AUGMENT_COUNTER_TAG], key);
      const b1 = philox4x32([index, epoch, 1, AUGMENT_COUNTER_TAG], key);
      const a = (v: number) => ((v >>> 8) + 1) / 2 ** 24;
      const b = (v: number) => (v >>> 8) / 2 ** 24;
      const r0 = Math.sqrt(-2 * Math.log(a(b1[0]!)));
      const r1 = Math.sqrt(-2 * Math.log(a(b1[2]!)));
      expect(got, replay).toEqual({
        x: Math.floor((b0[0]! * (srcWidth - crop + 1)) / 2 ** 32),
        y: Math.floor((b0[1]! * (srcHeight - crop + 1)) / 2 ** 32),
        flip: b0[2]! >= 2 ** 31,
        alpha: [
          std * r0 * Math.cos(2 * Math.PI * b(b1[1]!)),
          std * r0 * Math.sin(2 * Math.PI * b(b1[1]!)),
          std * r1 * Math.cos(2 * Math.PI * b(b1[3]!)),
        ],
      });
    }
  });

  it('is a pure function of (seed, epoch, index): order and repetition do not matter', () => {
    const seed = randomInt(data(11), 0, 2 ** 50);
    const req = (index: number, epoch = 3): AugmentationRequest => ({ seed, epoch, index, ...imagenet });
    const forward = Array.from({ length: 200 }, (_, i) => drawAugmentation(req(i)));
    const backward = Array.from({ length: 200 }, (_, i) => drawAugmentation(req(199 - i))).reverse();
    expect(backward, replay).toEqual(forward);
    expect(drawAugmentation(req(17))).toEqual(forward[17]);
    // Different index, epoch or seed: a different draw (the α alone are continuous, so never equal).
    const alphas = new Set(forward.map((a) => a.alpha.join()));
    expect(alphas.size).toBe(200);
    expect(drawAugmentation(req(17, 4)).alpha).not.toEqual(forward[17]!.alpha);
    expect(drawAugmentation({ ...req(17), seed: seed + 1 }).alpha).not.toEqual(forward[17]!.alpha);
    // and the crops and flips vary too
    expect(new Set(forward.map((a) => a.x)).size).toBeGreaterThan(20);
    expect(new Set(forward.map((a) => a.flip)).size).toBe(2);
  });

  it('uses the defaults of the paper: crop 224, flips, α std 0.1', () => {
    const req = { seed: 5, epoch: 0, index: 9, srcWidth: 256, srcHeight: 256 };
    expect(drawAugmentation(req)).toEqual(
      drawAugmentation({ ...req, crop: 224, flip: true, lightingStd: 0.1 }),
    );
    const doubled = drawAugmentation({ ...req, lightingStd: 0.2 });
    const base = drawAugmentation(req);
    for (let i = 0; i < 3; i++) expect(doubled.alpha[i]).toBeCloseTo(2 * base.alpha[i]!, 12);
    expect(drawAugmentation({ ...req, lightingStd: 0 }).alpha).toEqual([0, 0, 0]);
  });

  it('never mirrors when flip is off, and keeps the crop the same', () => {
    for (let index = 0; index < 300; index++) {
      const on = drawAugmentation({ seed: 1, epoch: 0, index, ...imagenet });
      const off = drawAugmentation({ seed: 1, epoch: 0, index, ...imagenet, flip: false });
      expect(off).toEqual({ ...on, flip: false });
    }
  });

  it('draws crop positions uniformly over all offsets and flips with probability ½ (fixed seed)', () => {
    // 32×32 → 24×24: 9 × 9 positions. Pearson's χ² against the uniform distribution; with a fixed
    // seed the test is deterministic, and the bounds (p ≈ 1e-6 for 8 and 80 degrees of freedom) would
    // only fail for a real bias.
    const n = 81 * 300;
    const xs = new Array(9).fill(0);
    const ys = new Array(9).fill(0);
    const joint = new Array(81).fill(0);
    let flips = 0;
    for (let index = 0; index < n; index++) {
      const a = drawAugmentation({ seed: 20121203, epoch: 7, index, srcWidth: 32, srcHeight: 32, crop: 24 });
      xs[a.x]++;
      ys[a.y]++;
      joint[9 * a.y + a.x]++;
      if (a.flip) flips++;
    }
    const chi2 = (counts: number[]) => {
      const e = n / counts.length;
      return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    };
    expect(chi2(xs)).toBeLessThan(40);
    expect(chi2(ys)).toBeLessThan(40);
    expect(chi2(joint)).toBeLessThan(140);
    expect(Math.abs(flips - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    // ImageNet: both ends 0 and 32 are reached
    const seen = new Set<number>();
    for (let index = 0; index < 3000; index++)
      seen.add(drawAugmentation({ seed: 3, epoch: 0, index, ...imagenet }).y);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 33 }, (_, i) => i));
  });

  it('draws α ~ N(0, 0.1²), independent per component (fixed seed)', () => {
    const n = 40_000;
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    const cross = [0, 0, 0];
    for (let index = 0; index < n; index++) {
      const { alpha } = drawAugmentation({ seed: 77, epoch: 1, index, ...imagenet });
      for (let i = 0; i < 3; i++) {
        sum[i]! += alpha[i]!;
        sq[i]! += alpha[i]! ** 2;
      }
      cross[0]! += alpha[0] * alpha[1];
      cross[1]! += alpha[0] * alpha[2];
      cross[2]! += alpha[1] * alpha[2];
    }
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(sum[i]! / n)).toBeLessThan((5 * 0.1) / Math.sqrt(n));
      expect(Math.sqrt(sq[i]! / n)).toBeGreaterThan(0.097);
      expect(Math.sqrt(sq[i]! / n)).toBeLessThan(0.103);
      expect(Math.abs(cross[i]! / n / 0.01)).toBeLessThan(5 / Math.sqrt(n));
    }
  });

  it('names bad requests', () => {
    const ok = { seed: 1, epoch: 0, index: 0, ...imagenet };
    expect(() => drawAugmentation({ ...ok, epoch: -1 })).toThrow(ArgumentError);
    expect(() => drawAugmentation({ ...ok, epoch: -1 })).toThrow(
      /epoch must be an integer in \[0, 4294967295\], got -1/,
    );
    expect(() => drawAugmentation({ ...ok, index: 2 ** 32 })).toThrow(/index .* got 4294967296/);
    expect(() => drawAugmentation({ ...ok, index: 1.5 })).toThrow(/index .* got 1.5/);
    expect(() => drawAugmentation({ ...ok, seed: Number.NaN })).toThrow(
      /seed must be an integer ≥ 0, got NaN/,
    );
    expect(() => drawAugmentation({ ...ok, lightingStd: Number.NaN })).toThrow(
      /lightingStd must be a finite number ≥ 0, got NaN/,
    );
    expect(() => drawAugmentation({ ...ok, lightingStd: -0.1 })).toThrow(/got -0.1/);
    expect(() => drawAugmentation({ ...ok, lightingStd: Number.POSITIVE_INFINITY })).toThrow(/got Infinity/);
    expect(() => drawAugmentation({ ...ok, crop: 257 })).toThrow(
      /crop 257 is larger than the 256×256 source/,
    );
    expect(() => drawAugmentation({ ...ok, flip: 'yes' as never })).toThrow(
      /flip must be a boolean, got 'yes'/,
    );
    expect(() => drawAugmentation(null as never)).toThrow(/needs a request object/);
  });
});
