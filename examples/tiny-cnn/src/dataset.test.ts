import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, classCounts, generateDataset } from './dataset.js';

describe('built-in dataset', () => {
  it('is deterministic for a seed, and differs across seeds and splits', () => {
    const a = generateDataset({ count: 64, seed: 7 });
    const b = generateDataset({ count: 64, seed: 7 });
    expect(b.images).toEqual(a.images);
    expect(b.labels).toEqual(a.labels);
    const otherSeed = generateDataset({ count: 64, seed: 8 });
    expect(otherSeed.images).not.toEqual(a.images);
    const test = generateDataset({ count: 64, seed: 7, split: 'test' });
    expect(test.images).not.toEqual(a.images);
  });

  it('has the documented shape and finite, reasonably scaled pixels', () => {
    const d = generateDataset({ count: 32, seed: 1 });
    expect([d.count, d.channels, d.height, d.width, d.classes]).toEqual([32, 3, 16, 16, CLASS_NAMES.length]);
    expect(d.images.length).toBe(32 * 3 * 16 * 16);
    let ms = 0;
    for (const v of d.images) {
      expect(Number.isFinite(v)).toBe(true);
      ms += v * v;
    }
    const rms = Math.sqrt(ms / d.images.length);
    expect(rms).toBeGreaterThan(0.3);
    expect(rms).toBeLessThan(1.5);
  });

  it('balances the classes exactly and shuffles them', () => {
    for (const count of [4, 100, 2048]) {
      const d = generateDataset({ count, seed: 3 });
      expect(classCounts(d.labels)).toEqual([count / 4, count / 4, count / 4, count / 4]);
    }
    const d = generateDataset({ count: 64, seed: 3 });
    const inOrder = Array.from(d.labels).every((l, i) => l === i % 4);
    expect(inOrder).toBe(false);
    // Not a multiple of 4: the counts differ by at most one.
    const odd = classCounts(generateDataset({ count: 10, seed: 3 }).labels);
    expect(Math.max(...odd) - Math.min(...odd)).toBeLessThanOrEqual(1);
  });

  it('draws the pattern its label names (checked without noise)', () => {
    const d = generateDataset({ count: 64, seed: 5, noise: 0 });
    const plane = d.height * d.width;
    for (let i = 0; i < d.count; i++) {
      // Energy of differences along x and along y, summed over channels.
      let dx = 0;
      let dy = 0;
      for (let c = 0; c < 3; c++) {
        const base = (i * 3 + c) * plane;
        for (let y = 0; y < d.height; y++) {
          for (let x = 0; x < d.width; x++) {
            const v = d.images[base + y * d.width + x]!;
            if (x > 0) dx += (v - d.images[base + y * d.width + x - 1]!) ** 2;
            if (y > 0) dy += (v - d.images[base + (y - 1) * d.width + x]!) ** 2;
          }
        }
      }
      const label = d.labels[i]!;
      if (label === 0) expect(dx).toBeLessThan(1e-6 * dy); // horizontal stripes vary along y only
      if (label === 1) expect(dy).toBeLessThan(1e-6 * dx); // vertical stripes vary along x only
      if (label === 2) expect(Math.min(dx, dy) / Math.max(dx, dy)).toBeGreaterThan(0.5); // diagonal: both
    }
  });

  it('rejects bad options', () => {
    expect(() => generateDataset({ count: 0, seed: 1 })).toThrow(/count/);
    expect(() => generateDataset({ count: 4, seed: -1 })).toThrow(/seed/);
    expect(() => generateDataset({ count: 4, seed: 1, noise: Number.NaN })).toThrow(/noise/);
  });
});
