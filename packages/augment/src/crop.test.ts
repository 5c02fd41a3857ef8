import { ArgumentError, PhiloxStream } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { centerCrop, randomCrop, TEN_CROP_NAMES, tenCrops } from './crop.js';
import { data, randomInt, replay } from './test-helpers.js';

describe('centerCrop', () => {
  it('rounds the offset down (Caffe) and handles non-square sources', () => {
    expect(centerCrop(256, 256, 224)).toEqual({ x: 16, y: 16 });
    expect(centerCrop(32, 32, 24)).toEqual({ x: 4, y: 4 });
    expect(centerCrop(255, 300, 224)).toEqual({ x: 15, y: 38 });
    expect(centerCrop(24, 24, 24)).toEqual({ x: 0, y: 0 });
  });

  it('names bad sizes', () => {
    expect(() => centerCrop(256, 200, 224)).toThrow(ArgumentError);
    expect(() => centerCrop(256, 200, 224)).toThrow(/crop 224 is larger than the 256×200 source/);
    expect(() => centerCrop(256, 256, 0)).toThrow(/crop must be an integer ≥ 1, got 0/);
    expect(() => centerCrop(256.5, 256, 224)).toThrow(/srcWidth must be an integer ≥ 1, got 256.5/);
    expect(() => centerCrop(256, Number.NaN, 224)).toThrow(/srcHeight .* got NaN/);
  });
});

describe('tenCrops', () => {
  it('is the four corners, the centre, then the same five mirrored', () => {
    expect(tenCrops(256, 256, 224)).toEqual([
      { x: 0, y: 0, flip: false },
      { x: 32, y: 0, flip: false },
      { x: 0, y: 32, flip: false },
      { x: 32, y: 32, flip: false },
      { x: 16, y: 16, flip: false },
      { x: 0, y: 0, flip: true },
      { x: 32, y: 0, flip: true },
      { x: 0, y: 32, flip: true },
      { x: 32, y: 32, flip: true },
      { x: 16, y: 16, flip: true },
    ]);
    expect(TEN_CROP_NAMES).toHaveLength(10);
    expect(TEN_CROP_NAMES[1]).toBe('top-right');
    expect(TEN_CROP_NAMES[9]).toBe('centre mirrored');
  });

  it('puts the corners on the edges of a non-square source', () => {
    const d = data(1);
    for (let t = 0; t < 20; t++) {
      const crop = randomInt(d, 1, 64);
      const w = randomInt(d, crop, 100);
      const h = randomInt(d, crop, 100);
      const crops = tenCrops(w, h, crop);
      const c = centerCrop(w, h, crop);
      expect(
        crops.slice(0, 5).map(({ x, y }) => [x, y]),
        replay,
      ).toEqual([
        [0, 0],
        [w - crop, 0],
        [0, h - crop],
        [w - crop, h - crop],
        [c.x, c.y],
      ]);
      expect(crops.slice(5).map(({ x, y }) => ({ x, y }))).toEqual(
        crops.slice(0, 5).map(({ x, y }) => ({ x, y })),
      );
      expect(crops.map((p) => p.flip)).toEqual([...Array(5).fill(false), ...Array(5).fill(true)]);
    }
  });
});

describe('randomCrop', () => {
  it('maps uniforms onto every offset 0…S−C inclusive, x first', () => {
    const calls: number[] = [];
    const from =
      (...us: number[]) =>
      () => {
        const u = us.shift()!;
        calls.push(u);
        return u;
      };
    expect(randomCrop(from(0, 0), 256, 256, 224)).toEqual({ x: 0, y: 0 });
    expect(randomCrop(from(1 - 2 ** -53, 1 - 2 ** -24), 256, 300, 224)).toEqual({ x: 32, y: 76 });
    expect(randomCrop(from(0.5, 0.25), 256, 256, 224)).toEqual({ x: 16, y: 8 });
    expect(randomCrop(from(0.99, 0.99), 24, 24, 24)).toEqual({ x: 0, y: 0 });
    expect(calls).toHaveLength(8);
  });

  it('takes two uniforms from a PhiloxStream, reproducibly', () => {
    const seed = randomInt(data(2), 0, 2 ** 31);
    const a = new PhiloxStream(seed, 10);
    const first = [randomCrop(a, 256, 256, 224), randomCrop(a, 256, 256, 224)];
    expect(a.offset).toBe(14);
    const b = new PhiloxStream(seed, 10);
    expect([randomCrop(b, 256, 256, 224), randomCrop(b, 256, 256, 224)], replay).toEqual(first);
    const u = new PhiloxStream(seed, 10).uniform(2);
    expect(first[0]).toEqual({ x: Math.floor(u[0]! * 33), y: Math.floor(u[1]! * 33) });
  });

  it('rejects a bad source of randomness and bad sizes', () => {
    expect(() => randomCrop(() => 1, 256, 256, 224)).toThrow(/must return a number in \[0, 1\), got 1/);
    expect(() => randomCrop(() => Number.NaN, 256, 256, 224)).toThrow(/got NaN/);
    expect(() => randomCrop(42 as never, 256, 256, 224)).toThrow(/rng must be a PhiloxStream or a function/);
    expect(() => randomCrop(() => 0.5, 32, 32, 33)).toThrow(/crop 33 is larger than the 32×32 source/);
  });
});
