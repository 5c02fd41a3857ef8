import { describe, expect, it } from 'vitest';
import { alexnetSummary, paperShape } from './summary.js';
import { PAPER_PARAMS, PAPER_SHAPES } from './test-fixtures.js';

const byName = (s: ReturnType<typeof alexnetSummary>) => new Map(s.layers.map((l) => [l.name, l]));

describe('alexnetSummary', () => {
  it("counts the paper's 60,965,224 parameters and 724,406,816 multiply-adds (1.449 GFLOP) at 224, pad 2", () => {
    const s = alexnetSummary();
    const layers = byName(s);
    for (const [name, params] of Object.entries(PAPER_PARAMS))
      expect(layers.get(name)?.params, name).toBe(params);
    for (const [name, shape] of Object.entries(PAPER_SHAPES))
      expect(paperShape(layers.get(name)!.shape), name).toBe(shape);
    expect(s.totals.params).toBe(60_965_224);
    expect(s.totals.multiplyAdds).toBe(724_406_816);
    expect(s.totals.forwardFlops).toBe(1_448_813_632);
    expect((s.totals.forwardFlops / 1e9).toFixed(3)).toBe('1.449');
    expect(s.totals.trainingFlops).toBe(3 * s.totals.forwardFlops);
    expect((s.totals.trainingFlops / 1e9).toFixed(2)).toBe('4.35');
    // conv1 = 55·55·96 output values × 363 taps (the Figure-2 caption's 253,440 is an erratum)
    expect(layers.get('conv1')!.multiplyAdds).toBe(55 * 55 * 96 * 363);
    expect(s.totals.trainingStepFlops).toBe(s.totals.trainingFlops - 2 * layers.get('conv1')!.multiplyAdds);
    expect(s.layers.map((l) => l.name)).toEqual([
      'conv1',
      'relu1',
      'lrn1',
      'pool1',
      'conv2',
      'relu2',
      'lrn2',
      'pool2',
      'conv3',
      'relu3',
      'conv4',
      'relu4',
      'conv5',
      'relu5',
      'pool5',
      'fc6',
      'relu6',
      'drop6',
      'fc7',
      'relu7',
      'drop7',
      'fc8',
      'loss',
    ]);
    // the paper's tower joins
    expect(
      ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7', 'fc8'].map((n) => layers.get(n)!.reads),
    ).toEqual(['input', 'own', 'both', 'own', 'own', 'both', 'both', 'both']);
  });

  it('gives the 227/pad 0 variant the same shapes and counts', () => {
    const a = alexnetSummary();
    const b = alexnetSummary({ input: 227 });
    expect(b.config.conv1Pad).toBe(0);
    expect(b.layers.map((l) => [l.name, l.shape, l.params, l.multiplyAdds])).toEqual(
      a.layers.map((l) => [l.name, l.shape, l.params, l.multiplyAdds]),
    );
  });

  it('describes the ablations and other class counts', () => {
    const ten = byName(alexnetSummary({ classes: 10 }));
    expect(ten.get('fc8')!.params).toBe(4096 * 10 + 10);
    expect(ten.get('loss')!.shape).toEqual([10]);

    // non-overlapping 2/2 pooling keeps 55 → 27 → 13 → 6 (floor rounding)
    const pool22 = alexnetSummary({ pooling: { size: 2, stride: 2 } });
    expect(pool22.totals.params).toBe(60_965_224);
    for (const [name, shape] of Object.entries(PAPER_SHAPES))
      expect(paperShape(byName(pool22).get(name)!.shape), name).toBe(shape);

    const tanh = alexnetSummary({ activation: 'tanh', lrn: false });
    expect(tanh.layers.map((l) => l.name).filter((n) => /^(relu|tanh|lrn)/.test(n))).toEqual([
      'tanh1',
      'tanh2',
      'tanh3',
      'tanh4',
      'tanh5',
      'tanh6',
      'tanh7',
    ]);
    expect(tanh.totals.multiplyAdds).toBe(724_406_816);

    // one tower: conv2, conv4, conv5 read every channel
    const one = alexnetSummary({ towers: 1 });
    const oneLayers = byName(one);
    expect(oneLayers.get('conv2')!.params).toBe(256 * 96 * 25 + 256);
    expect(oneLayers.get('conv4')!.params).toBe(384 * 384 * 9 + 384);
    expect(oneLayers.get('conv5')!.params).toBe(256 * 384 * 9 + 256);
    expect(one.totals.params).toBe(62_378_344);
    expect(one.layers.every((l) => l.reads === null && l.groups === 1)).toBe(true);
  });
});
