import { ArgumentError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { topKCorrect, topKError } from './metrics.js';

describe('top-k error', () => {
  it('counts a label among the k highest scores', () => {
    const scores = [
      [0.1, 0.5, 0.2, 0.15, 0.05], // label 1: top-1
      [0.3, 0.1, 0.2, 0.25, 0.15], // label 3: second
      [0.3, 0.25, 0.2, 0.15, 0.1], // label 4: last
    ].flat();
    expect(topKCorrect(scores, [1, 3, 4], 5, [1, 2, 5])).toEqual([1, 2, 3]);
    const [top1, top5] = topKError(scores, [1, 3, 4], 5);
    expect(top1).toBeCloseTo(2 / 3, 12);
    expect(top5).toBe(0);
  });

  it('breaks ties against the label by index, and never counts a NaN score as correct', () => {
    expect(topKCorrect([1, 1, 1], [2], 3, [1, 2, 3])).toEqual([0, 0, 1]);
    expect(topKCorrect([1, 1, 1], [0], 3, [1])).toEqual([1]);
    expect(topKCorrect([Number.NaN, 0], [0], 2, [1, 2])).toEqual([0, 0]);
  });

  it('rejects mismatched sizes and bad labels', () => {
    expect(() => topKCorrect([1, 2, 3], [0], 2)).toThrow(/1 labels need 2 scores, got 3/);
    expect(() => topKCorrect([1, 2], [2], 2)).toThrow(ArgumentError);
    expect(() => topKError([], [], 2)).toThrow(/no examples/);
  });
});
