import { describe, expect, it } from 'vitest';
import { PhiloxStream, philox4x32, philoxNormal, philoxU32, philoxUniform, u32ToUniform } from './philox.js';

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10', () => {
  // Random123 tests/kat_vectors, the "philox4x32 10" lines (also in TensorFlow's philox_random_test).
  const kat: [number[], number[], string][] = [
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      '408f276d 41c83b0e a20bc7c6 6d5451fd',
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    ],
  ];
  it.each(kat)('matches the known-answer vector for counter %j key %j', (counter, key, expected) => {
    expect(hex(philox4x32(counter, key))).toBe(expected);
  });

  it('stream value j is lane j mod 4 of block ⌊j/4⌋, with a 64-bit block counter and seed', () => {
    const seed = 2 ** 40 + 77;
    const offset = 2 ** 34 + 2; // block counter above 2^32 exercises the high counter word
    const got = philoxU32(seed, offset, new Uint32Array(9));
    for (let i = 0; i < 9; i++) {
      const j = offset + i;
      const b = Math.floor(j / 4);
      const block = philox4x32(
        [b % 2 ** 32, Math.floor(b / 2 ** 32), 0, 0],
        [seed % 2 ** 32, Math.floor(seed / 2 ** 32)],
      );
      expect(got[i]).toBe(block[j % 4]);
    }
  });

  it('streams are consistent under offsets: drawing [a, b) then [b, c) equals drawing [a, c)', () => {
    const whole = philoxU32(9, 3, new Uint32Array(50));
    const first = philoxU32(9, 3, new Uint32Array(21));
    const rest = philoxU32(9, 24, new Uint32Array(29));
    expect([...first, ...rest]).toEqual([...whole]);
  });

  it('uniforms lie in [0, 1), are float32-exact, and have mean ≈ 1/2 and variance ≈ 1/12', () => {
    const u = philoxUniform(123, 0, 100_000);
    let sum = 0;
    let sq = 0;
    for (const v of u) {
      expect(v >= 0 && v < 1).toBe(true);
      expect(Math.fround(v)).toBe(v);
      sum += v;
      sq += v * v;
    }
    const mean = sum / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sq / u.length - mean * mean - 1 / 12)).toBeLessThan(0.002);
    expect(u32ToUniform(0xffffffff)).toBe(1 - 2 ** -24);
  });

  it('normals have the requested mean and standard deviation', () => {
    const x = philoxNormal(5, 0, 100_001, 3, 0.01);
    expect(x.length).toBe(100_001);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean - 3)).toBeLessThan(0.0002);
    expect(Math.abs(std - 0.01)).toBeLessThan(0.0002);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('a PhiloxStream advances its offset by what it draws, so its (seed, offset) state replays it', () => {
    const s = new PhiloxStream(42);
    s.uniform(5);
    s.normal(3); // two values per pair: consumes 4
    const at = s.take(10);
    expect(at).toBe(9);
    expect(s.state()).toEqual({ seed: 42, offset: 19 });
    const replay = new PhiloxStream(42, 19);
    expect([...replay.uniform(4)]).toEqual([...s.uniform(4)]);
  });

  it('rejects seeds and offsets that are not non-negative safe integers', () => {
    expect(() => philoxU32(-1, 0, new Uint32Array(1))).toThrow(/seed/);
    expect(() => philoxU32(1.5, 0, new Uint32Array(1))).toThrow(/seed/);
    expect(() => philoxU32(1, Number.NaN, new Uint32Array(1))).toThrow(/offset/);
    expect(() => new PhiloxStream(2 ** 53)).toThrow(/seed/);
  });
});
