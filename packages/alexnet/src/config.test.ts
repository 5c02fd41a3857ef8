import { ArgumentError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { minimumInput, PAPER_CONFIG, resolveAlexNetConfig } from './config.js';

describe('AlexNetConfig', () => {
  it("defaults to the paper's network and is plain, frozen JSON", () => {
    const c = resolveAlexNetConfig();
    expect(c).toEqual({
      input: 224,
      conv1Pad: 2,
      classes: 1000,
      activation: 'relu',
      pooling: { size: 3, stride: 2 },
      lrn: { enabled: true, mode: 'tower' },
      towers: 2,
      dropout: 0.5,
      seed: 0,
    });
    expect(c).toEqual(PAPER_CONFIG);
    expect(Object.isFrozen(c) && Object.isFrozen(c.pooling) && Object.isFrozen(c.lrn)).toBe(true);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    // a resolved config resolves to itself (a checkpoint's config can be passed back in)
    expect(resolveAlexNetConfig(c)).toEqual(c);
  });

  it("takes Caffe's 227 with conv1 pad 0, shorthands for LRN and partial pooling", () => {
    expect(resolveAlexNetConfig({ input: 227 }).conv1Pad).toBe(0);
    expect(resolveAlexNetConfig({ input: 227, conv1Pad: 2 }).conv1Pad).toBe(2);
    expect(resolveAlexNetConfig({ input: 256 }).conv1Pad).toBe(2);
    expect(resolveAlexNetConfig({ lrn: false }).lrn).toEqual({ enabled: false, mode: 'tower' });
    expect(resolveAlexNetConfig({ lrn: 'caffe' }).lrn).toEqual({ enabled: true, mode: 'caffe' });
    expect(resolveAlexNetConfig({ lrn: { mode: 'caffe' } }).lrn).toEqual({ enabled: true, mode: 'caffe' });
    expect(resolveAlexNetConfig({ pooling: { size: 2 } }).pooling).toEqual({ size: 2, stride: 2 });
  });

  it('rejects bad configs with clear errors that show the values', () => {
    const bad = (config: object, message: RegExp) => {
      expect(() => resolveAlexNetConfig(config as never)).toThrow(ArgumentError);
      expect(() => resolveAlexNetConfig(config as never)).toThrow(message);
    };
    bad({ towers: 3 }, /towers must be 1 or 2 .*got 3/);
    bad({ towers: '2' }, /towers must be 1 or 2 .*got '2'/);
    bad({ classes: 0 }, /classes must be an integer in \[1, 16777216\], got 0/);
    bad({ classes: 2.5 }, /classes must be .*got 2\.5/);
    bad({ activation: 'sigmoid' }, /unknown activation 'sigmoid' \(known: relu, tanh\)/);
    bad(
      { input: 62 },
      /input 62 is too small: 62 → conv1 14 → pool1 6 → conv2 6 → pool2 2 → conv3 2 → conv4 2 → conv5 2 → pool5 does not fit .*the smallest input is 63/,
    );
    bad({ input: 32 }, /input 32 is too small: 32 → conv1 7 → pool1 3 → .*→ pool5 does not fit/);
    bad({ input: 8 }, /input 8 is too small: 8 → conv1 1 → pool1 does not fit/);
    bad({ input: 6 }, /input 6 is too small: 6 → conv1 does not fit/);
    bad({ input: 0 }, /input must be an integer ≥ 1, got 0/);
    bad({ conv1Pad: 6 }, /conv1Pad must be an integer in \[0, 5\], got 6/);
    bad({ pooling: { size: 0 } }, /pooling.size must be an integer ≥ 1, got 0/);
    bad({ pooling: '3/2' }, /pooling \(\{ size, stride \}\) must be an object, got '3\/2'/);
    bad({ pooling: { size: 3, strides: 2 } }, /unknown pooling option 'strides' \(known: size, stride\)/);
    bad({ lrn: 'across' }, /lrn mode must be 'tower' or 'caffe', got 'across'/);
    bad({ lrn: { enabled: 'yes' } }, /lrn.enabled must be true or false, got 'yes'/);
    bad({ dropout: 1 }, /dropout must be a probability in \[0, 1\), got 1/);
    bad({ seed: -1 }, /seed must be an integer in \[0, 4294967295\], got -1/);
    bad(
      { tower: 2 },
      /unknown option 'tower' \(known: input, conv1Pad, classes, activation, pooling, lrn, towers, dropout, seed\)/,
    );
  });

  it('knows the smallest input of each variant', () => {
    expect(minimumInput(2, { size: 3, stride: 2 })).toBe(63);
    expect(minimumInput(0, { size: 3, stride: 2 })).toBe(67);
    expect(minimumInput(2, { size: 2, stride: 2 })).toBe(35);
    expect(minimumInput(2, { size: 100_000, stride: 2 })).toBe(2_799_979); // found by bisection, not by counting
    for (const pad of [0, 2]) {
      const min = minimumInput(pad, { size: 3, stride: 2 });
      expect(() => resolveAlexNetConfig({ input: min, conv1Pad: pad })).not.toThrow();
      expect(() => resolveAlexNetConfig({ input: min - 1, conv1Pad: pad })).toThrow(/too small/);
    }
  });
});
