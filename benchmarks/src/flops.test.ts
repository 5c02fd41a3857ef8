import { describe, expect, it } from 'vitest';
import { alexnetLayers, convOutput, type Layer, poolOutput } from './alexnet.js';
import { convMacs, fcMacs, gemmMacs, layerMacs, networkFlops } from './flops.js';

const byName = (layers: readonly Layer[], name: string): Layer => {
  const layer = layers.find((l) => l.name === name);
  if (!layer) throw new Error(`no layer ${name}`);
  return layer;
};

describe('AlexNet layer shapes', () => {
  const layers = alexnetLayers();

  it('follows the paper: 224 with conv1 pad 2 gives 55 → 27 → 13 → 6', () => {
    const conv1 = byName(layers, 'conv1');
    const pool5 = byName(layers, 'pool5');
    expect(conv1.kind === 'conv' && convOutput(conv1.shape)).toEqual({ outH: 55, outW: 55 });
    expect(byName(layers, 'conv2')).toMatchObject({ shape: { c: 96, h: 27, outC: 256, groups: 2 } });
    expect(byName(layers, 'conv3')).toMatchObject({ shape: { c: 256, h: 13, outC: 384, groups: 1 } });
    expect(byName(layers, 'conv4')).toMatchObject({ shape: { c: 384, h: 13, outC: 384, groups: 2 } });
    expect(byName(layers, 'conv5')).toMatchObject({ shape: { c: 384, h: 13, outC: 256, groups: 2 } });
    expect(pool5.kind === 'pool' && poolOutput(pool5.shape)).toEqual({ outH: 6, outW: 6 });
    expect(byName(layers, 'fc6')).toMatchObject({ in: 9216, out: 4096 });
    expect(byName(layers, 'fc7')).toMatchObject({ in: 4096, out: 4096 });
    expect(byName(layers, 'fc8')).toMatchObject({ in: 4096, out: 1000 });
  });

  it('has ReLU after every conv/fc but fc8, LRN after conv1/conv2, pooling after LRN and conv5', () => {
    const stages = [
      'conv1 relu1 lrn1 pool1',
      'conv2 relu2 lrn2 pool2',
      'conv3 relu3 conv4 relu4 conv5 relu5 pool5',
      'fc6 relu6 drop6 fc7 relu7 drop7 fc8 loss',
    ];
    expect(layers.map((l) => l.name)).toEqual(stages.join(' ').split(' '));
  });

  it('rejects a width divisor that does not split into two towers', () => {
    expect(() => alexnetLayers({ widthDivisor: 32 })).toThrow(/two equal towers/);
  });
});

describe('FLOP counting', () => {
  const layers = alexnetLayers();

  it('counts each layer exactly (MACs per image)', () => {
    const macs = Object.fromEntries(networkFlops(layers).layers.map((l) => [l.name, l.macsPerImage]));
    expect(macs).toEqual({
      conv1: 105_415_200, // 96·55·55 · 3·11·11
      conv2: 223_948_800, // 256·27·27 · 48·5·5
      conv3: 149_520_384, // 384·13·13 · 256·3·3
      conv4: 112_140_288, // 384·13·13 · 192·3·3
      conv5: 74_760_192, // 256·13·13 · 192·3·3
      fc6: 37_748_736, // 9216·4096
      fc7: 16_777_216, // 4096·4096
      fc8: 4_096_000, // 4096·1000
    });
  });

  it('gives 724.4 M MACs = 1.449 GFLOP per image forward at 224 with conv1 pad 2', () => {
    const f = networkFlops(layers);
    expect(f.forwardMacs).toBe(724_406_816);
    expect(f.forwardFlops).toBe(2 * 724_406_816);
    expect((f.forwardFlops / 1e9).toFixed(3)).toBe('1.449');
  });

  it('gives the same count for the 227/pad 0 reading of the paper', () => {
    expect(networkFlops(alexnetLayers({ input: 227, conv1Pad: 0 })).forwardMacs).toBe(724_406_816);
  });

  it('counts a training step as 3 × forward (≈ 4.35 GFLOP), less conv1 backward-data when skipped', () => {
    const f = networkFlops(layers);
    expect(f.trainingFlops).toBe(3 * f.forwardFlops);
    expect((f.trainingFlops / 1e9).toFixed(2)).toBe('4.35');
    expect(f.trainingStepFlops).toBe(f.trainingFlops - 2 * 105_415_200);
    expect(f.trainingStepFlops / f.forwardFlops).toBeCloseTo(2.854, 3);
  });

  it('scales with the batch and divides by the groups', () => {
    const conv2 = byName(layers, 'conv2');
    if (conv2.kind !== 'conv') throw new Error('conv2 is not a conv');
    expect(convMacs(conv2.shape, 4)).toBe(4 * convMacs(conv2.shape));
    expect(convMacs({ ...conv2.shape, groups: 1 })).toBe(2 * convMacs(conv2.shape));
    expect(fcMacs(9216, 4096, 128)).toBe(128 * 37_748_736);
    expect(gemmMacs(2, 3, 5)).toBe(30);
    expect(layerMacs(byName(layers, 'relu1'))).toBe(0);
    expect(layerMacs(byName(layers, 'pool5'))).toBe(0);
  });

  it('counts a strided, padded convolution by its output size', () => {
    // 1×5×5 input, 3×3 kernel, stride 2, pad 1 → 3×3 output, 9 taps each, 2 output channels.
    const shape = { c: 1, h: 5, w: 5, outC: 2, kh: 3, kw: 3, stride: 2, pad: 1, groups: 1 };
    expect(convMacs(shape)).toBe(2 * 3 * 3 * 9);
  });
});
