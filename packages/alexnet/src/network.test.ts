/**
 * The built Net against the summary, node by node: names, devices, output shapes, parameters and
 * multiply-adds — for the paper's network on one device (towers as groups) and on two devices, one
 * tower, and the ablations. Nets here are not initialised (init: false): building allocates the
 * parameters, drawing 61 M Gaussian weights would only cost time.
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError, Device, ReferenceBackend } from '@alexnet/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlexNetConfigInput } from './config.js';
import { alexnetConfigOf, createAlexNet } from './network.js';
import { alexnetSummary, paperShape } from './summary.js';
import { PAPER_PARAMS, PAPER_SHAPES } from './test-fixtures.js';

const ref0 = new Device(new ReferenceBackend({ index: 0 }));
const ref1 = new Device(new ReferenceBackend({ index: 1 }));
const nets: Net[] = [];
afterEach(() => {
  for (const net of nets.splice(0)) net.dispose();
});

function build(config: AlexNetConfigInput, devices: Device | Device[] = ref0): Net {
  const net = createAlexNet(config, { devices, init: false });
  nets.push(net);
  return net;
}

/** Node name without its tower suffix: conv2_1 → conv2. */
const layerOf = (node: string) => node.replace(/_[01]$/, '');

/** Checks the Net against alexnetSummary(config): every summary layer, its shape, params and MACs. */
function expectMatchesSummary(net: Net, config: AlexNetConfigInput): void {
  const summary = alexnetSummary(config);
  const rows = net.summary();
  const towers = net.devices.length === 2;
  for (const layer of summary.layers) {
    const nodes = rows.filter((r) => layerOf(r.name) === layer.name);
    expect(nodes.length, layer.name).toBe(towers && layer.name !== 'fc8' && layer.name !== 'loss' ? 2 : 1);
    expect(
      nodes.reduce((s, r) => s + r.params, 0),
      `${layer.name} params`,
    ).toBe(layer.params);
    expect(
      nodes.reduce((s, r) => s + r.multiplyAdds, 0),
      `${layer.name} MACs`,
    ).toBe(layer.multiplyAdds);
    // two towers: each holds half the channels; the tower shapes join along channels to the layer's shape
    const shape = [...nodes[0]!.outputShapes[layer.kind === 'loss' ? 1 : 0]!];
    if (nodes.length === 2) shape[0]! += nodes[1]!.outputShapes[0]![0]!;
    expect(shape, `${layer.name} shape`).toEqual(layer.shape);
  }
  // nothing but the tower joins is left over
  const extra = rows.filter((r) => !summary.layers.some((l) => l.name === layerOf(r.name)));
  expect(extra.every((r) => r.type === 'concat')).toBe(true);
  expect(net.parameterCount).toBe(summary.totals.params);
  expect(net.multiplyAdds).toBe(summary.totals.multiplyAdds);
  expect(net.shape('data')).toEqual([3, summary.config.input, summary.config.input]);
}

describe('createAlexNet', () => {
  it("builds the paper's network on one device (towers as groups): 60,965,224 parameters, every shape", () => {
    const net = build({});
    expect(net.parameterCount).toBe(60_965_224);
    for (const [name, params] of Object.entries(PAPER_PARAMS)) {
      expect(
        net
          .params()
          .filter((p) => p.layer === name)
          .reduce((s, p) => s + p.value.size, 0),
        name,
      ).toBe(params);
    }
    for (const [name, shape] of Object.entries(PAPER_SHAPES))
      expect(paperShape(net.shape(name)), name).toBe(shape);
    expect(net.multiplyAdds).toBe(724_406_816);
    expectMatchesSummary(net, {});
    // the towers as groups; LRN within each tower
    const conv = (n: string) => net.summary().find((r) => r.name === n)!.description;
    expect(conv('conv2')).toMatch(/groups 2|g2|2 groups/);
    expect(conv('conv3')).not.toMatch(/groups 2|g2|2 groups/);
    expect(net.summary().find((r) => r.name === 'lrn1')!.description).toMatch(/within each of 2 groups/);
    expect(net.devices.map((d) => d.name)).toEqual(['ref:0']);
    expect(alexnetConfigOf(net)?.towers).toBe(2);
  });

  it("builds the two towers on two devices with the paper's joins: 60,965,224 parameters, half the kernels each", () => {
    const net = build({}, [ref0, ref1]);
    expect(net.parameterCount).toBe(60_965_224);
    expect(net.devices.map((d) => d.name)).toEqual(['ref:0', 'ref:1']);
    expectMatchesSummary(net, {});
    const rows = new Map(net.summary().map((r) => [r.name, r]));
    const half: Record<string, number> = {
      conv1: 48,
      conv2: 128,
      conv3: 192,
      conv4: 192,
      conv5: 128,
      fc6: 2048,
      fc7: 2048,
    };
    for (const [layer, kernels] of Object.entries(half)) {
      for (const t of [0, 1]) {
        const row = rows.get(`${layer}_${t}`)!;
        expect(row.device, `${layer}_${t}`).toBe(`ref:${t}`);
        expect(row.outputShapes[0]![0], `${layer}_${t}`).toBe(kernels);
      }
    }
    // conv2/4/5 read their own tower; conv3, fc6, fc7 (and fc8) read a concat of both towers
    const reads = (node: string) => rows.get(node)!.inputs;
    expect(reads('conv1_1')).toEqual(['data']);
    expect(reads('conv2_1')).toEqual(['pool1_1']);
    expect(reads('conv4_1')).toEqual(['relu3_1']);
    expect(reads('conv5_0')).toEqual(['relu4_0']);
    expect(reads('conv3_1')).toEqual(['concat3_1']);
    expect(reads('concat3_1')).toEqual(['pool2_0', 'pool2_1']);
    expect(reads('concat6_0')).toEqual(['pool5_0', 'pool5_1']);
    expect(reads('concat7_1')).toEqual(['drop6_0', 'drop6_1']);
    expect(reads('fc8')).toEqual(['concat8']);
    expect(reads('concat8')).toEqual(['drop7_0', 'drop7_1']);
    expect(rows.get('fc8')!.device).toBe('ref:0');
    expect(rows.get('lrn2_1')!.description).toMatch(/across all channels/); // of its own tower
    // the same device twice is one device: the grouped network
    const same = build({ classes: 10 }, [ref0, ref0]);
    expect(same.devices.map((d) => d.name)).toEqual(['ref:0']);
    expect(same.order).toContain('conv2');
  });

  it('builds one tower (full connectivity) and the 227/pad 0 variant with the same shapes', () => {
    const one = build({ towers: 1 });
    expect(one.parameterCount).toBe(62_378_344);
    expectMatchesSummary(one, { towers: 1 });
    expect(one.summary().find((r) => r.name === 'lrn1')!.description).toMatch(/across all channels/);

    const caffe = build({ input: 227, lrn: 'caffe' });
    expect(caffe.shape('data')).toEqual([3, 227, 227]);
    for (const [name, shape] of Object.entries(PAPER_SHAPES))
      expect(paperShape(caffe.shape(name)), name).toBe(shape);
    expect(caffe.parameterCount).toBe(60_965_224);
    expectMatchesSummary(caffe, { input: 227, lrn: 'caffe' });
    // Caffe's LRN: k = 1, α/n, across all channels
    expect(caffe.summary().find((r) => r.name === 'lrn1')!.description).toMatch(
      /α=0\.00002 .*k=1 across all channels/,
    );
  });

  it('builds the ablations with 10 classes: tanh, 2/2 pooling, no LRN', () => {
    const config: AlexNetConfigInput = {
      classes: 10,
      activation: 'tanh',
      pooling: { size: 2, stride: 2 },
      lrn: false,
    };
    const net = build(config, [ref0, ref1]);
    expectMatchesSummary(net, config);
    expect(net.shape('fc8')).toEqual([10]);
    expect(net.shape('pool5_0')).toEqual([128, 6, 6]);
    expect(net.order.some((n) => n.startsWith('lrn') || n.startsWith('relu'))).toBe(false);
    expect(net.layer('tanh6_1').type).toBe('tanh');
    expect(net.summary().find((r) => r.name === 'pool1_0')!.description).toMatch(/2×2\/2/);
    expect(net.parameterCount).toBe(60_965_224 - 4_097_000 + 40_970);
  });

  it('rejects a missing or wrong placement with clear errors', () => {
    expect(() => createAlexNet({}, undefined as never)).toThrow(/options.devices is required/);
    expect(() => createAlexNet({}, { devices: [] })).toThrow(/devices is empty/);
    const ref2 = new Device(new ReferenceBackend({ index: 2 }));
    expect(() => createAlexNet({}, { devices: [ref0, ref1, ref2] })).toThrow(
      /at most two devices, got 3 \(ref:0, ref:1, ref:2\)/,
    );
    expect(() => createAlexNet({ towers: 1 }, { devices: [ref0, ref1] })).toThrow(
      /one tower runs on one device, got 2 \(ref:0, ref:1\)/,
    );
    expect(() => createAlexNet({ lrn: 'caffe' }, { devices: [ref0, ref1] })).toThrow(
      /lrn mode 'caffe' normalises across both towers' channels/,
    );
    expect(() => createAlexNet({}, { devices: [ref0, 'ref:1' as never] })).toThrow(
      /devices\[1\] is not a Device/,
    );
    expect(() => createAlexNet({ towers: 3 as never }, { devices: ref0 })).toThrow(ArgumentError);
  });
});
