/**
 * The ONNX export against onnxruntime-node: real (small-input) AlexNets with random He weights, the
 * project's forward pass and the exported model on the same random batch of 2, logits compared.
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError, type Device, PhiloxStream } from '@alexnet/tensor';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlexNetConfigInput, resolveAlexNetConfig } from '../config.js';
import { selectDevices } from '../devices.js';
import { createAlexNet } from '../network.js';
import {
  expectedWeightShapes,
  exportOnnx,
  ONNX_INPUT,
  ONNX_LOGITS,
  ONNX_PROBS,
  onnxFromWeights,
  onnxLrnAttributes,
} from './onnx.js';

const { onnx } = onnxProto;
const INPUT = 63;
const BATCH = 2;

let device: Device;
let pair: Device[] | null = null;
beforeAll(async () => {
  try {
    device = (await selectDevices('native:0', { log: false })).devices[0]!;
    pair = (await selectDevices('native:0,native:1', { log: false })).devices;
  } catch {
    device = (await selectDevices('ref:0', { log: false })).devices[0]!;
  }
});

/** max |a − b| / max |b|: the error relative to the logits' scale. */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/**
 * Random images with std 50 (about raw pixels' scale): large enough activations that LRN changes
 * them by tens of per cent, so a wrong α or a window crossing the towers fails the 1e-4 bound.
 */
function randomBatch(seed: number): Float32Array {
  const rng = new PhiloxStream(seed);
  return Float32Array.from(rng.normal(BATCH * 3 * INPUT * INPUT, 0, 50));
}

async function runOnnx(
  bytes: Uint8Array,
  data: Float32Array,
): Promise<{ logits: Float32Array; probs: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({
      [ONNX_INPUT]: new ort.Tensor('float32', data, [BATCH, 3, INPUT, INPUT]),
    });
    const logits = out[ONNX_LOGITS]!;
    const probs = out[ONNX_PROBS]!;
    expect(logits.dims).toEqual(probs.dims);
    return { logits: logits.data as Float32Array, probs: probs.data as Float32Array };
  } finally {
    await session.release();
  }
}

async function forward(net: Net, data: Float32Array): Promise<Float32Array> {
  await net.forward({ data }, { outputs: ['fc8'] });
  return net.read('fc8');
}

const errors: Record<string, number> = {};
afterAll(() => {
  // the measured errors, for the record (vitest prints console output of the run)
  console.info(`ONNX export, max relative error of the logits: ${JSON.stringify(errors)}`);
});

const CASES: { name: string; config: AlexNetConfigInput; opset?: number; twoDevices?: boolean }[] = [
  { name: 'paper (2 towers, LRN within towers)', config: {} },
  { name: 'paper, opset 18', config: {}, opset: 18 },
  { name: '1 tower', config: { towers: 1 } },
  { name: 'tanh', config: { activation: 'tanh' } },
  { name: 'pool 2/2', config: { pooling: { size: 2, stride: 2 } } },
  { name: 'no LRN', config: { lrn: false, classes: 7 } },
  { name: 'lrn caffe', config: { lrn: 'caffe', classes: 3 } },
  { name: 'paper on two devices', config: { seed: 3 }, twoDevices: true },
];

describe('exportOnnx → onnxruntime-node', () => {
  for (const c of CASES) {
    it(`${c.name}: logits agree within 1e-4`, async (ctx) => {
      if (c.twoDevices && !pair)
        ctx.skip('needs native:0 and native:1 (@alexnet/native is unavailable here)');
      const config = { classes: 10, seed: 1, ...c.config, input: INPUT };
      const net = createAlexNet(config, { devices: c.twoDevices ? pair! : device, init: 'he' });
      try {
        const data = randomBatch(7);
        const ours = await forward(net, data);
        const bytes = await exportOnnx(net, c.opset ? { opset: c.opset } : {});
        const theirs = await runOnnx(bytes, data);
        const error = relativeError(theirs.logits, ours);
        errors[c.name] = error;
        expect(error).toBeLessThanOrEqual(1e-4);
        const classes = resolveAlexNetConfig(config).classes;
        expect(theirs.logits).toHaveLength(BATCH * classes);
        // a softmax per row
        for (let n = 0; n < BATCH; n++) {
          const row = theirs.probs.subarray(n * classes, (n + 1) * classes);
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        }
      } finally {
        net.dispose();
      }
    });
  }
});

interface PlainNode {
  opType: string;
  input: string[];
  output: string[];
  attribute: { name: string; i: number; f: number; ints: number[] }[];
}

function decode(bytes: Uint8Array): {
  irVersion: number;
  opsetImport: { version: number }[];
  graph: {
    node: PlainNode[];
    input: {
      name: string;
      type: { tensorType: { shape: { dim: { dimParam: string; dimValue: number }[] } } };
    }[];
    output: { name: string }[];
  };
  metadataProps: { key: string; value: string }[];
} {
  const m = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: true });
  return m as ReturnType<typeof decode>;
}

/** Zero weights of the right shapes (the graph checks need no values). */
function zeroWeights(config: AlexNetConfigInput) {
  const resolved = resolveAlexNetConfig(config);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of expectedWeightShapes(resolved)) {
    weights.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  }
  return { resolved, weights };
}

describe('the exported graph', () => {
  it("has the paper's structure: grouped convs, per-tower LRN on a Split, no dropout, dynamic batch", () => {
    const { resolved, weights } = zeroWeights({ input: INPUT, classes: 5 });
    const m = decode(onnxFromWeights(resolved, weights, { classes: ['a', 'b', 'c', 'd', 'e'] }));
    expect(m.opsetImport.map((o) => o.version)).toEqual([13]);
    expect(m.irVersion).toBe(7);
    const ops = m.graph.node.map((n) => n.opType);
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect([count('Conv'), count('Relu'), count('LRN'), count('Split'), count('Concat')]).toEqual([
      5, 7, 4, 2, 2,
    ]);
    expect([count('MaxPool'), count('Gemm'), count('Softmax'), count('Dropout')]).toEqual([3, 3, 1, 0]);
    const groups = m.graph.node
      .filter((n) => n.opType === 'Conv')
      .map((n) => n.attribute.find((a) => a.name === 'group')!.i);
    expect(groups).toEqual([1, 2, 1, 2, 2]);
    for (const n of m.graph.node.filter((x) => x.opType === 'LRN')) {
      const a = Object.fromEntries(n.attribute.map((x) => [x.name, x]));
      expect(a.size!.i).toBe(5);
      expect(a.alpha!.f).toBeCloseTo(5e-4, 10);
      expect(a.beta!.f).toBe(0.75);
      expect(a.bias!.f).toBe(2);
    }
    expect(m.graph.input.map((i) => i.name)).toEqual(['data']);
    expect(m.graph.input[0]!.type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue)).toEqual([
      'N',
      3,
      INPUT,
      INPUT,
    ]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['logits', 'probs']);
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.classes!)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(JSON.parse(meta.config!)).toEqual(resolved);
  });

  it("converts LRN: the paper's α = 1e-4 → 5e-4 (bias 2); Caffe's stays 1e-4 (bias 1), one LRN across all channels", () => {
    expect(onnxLrnAttributes(resolveAlexNetConfig({}))).toEqual({
      size: 5,
      alpha: 5e-4,
      beta: 0.75,
      bias: 2,
      groups: 2,
    });
    expect(onnxLrnAttributes(resolveAlexNetConfig({ towers: 1 })).groups).toBe(1);
    const caffe = resolveAlexNetConfig({ lrn: 'caffe' });
    expect(onnxLrnAttributes(caffe)).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, bias: 1, groups: 1 });
    const { resolved, weights } = zeroWeights({ input: INPUT, lrn: 'caffe' });
    const ops = decode(onnxFromWeights(resolved, weights)).graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'LRN')).toHaveLength(2);
    expect(ops).not.toContain('Split');
  });

  it('uses Tanh, 2/2 pooling and no LRN as configured', () => {
    const { resolved, weights } = zeroWeights({
      input: INPUT,
      activation: 'tanh',
      pooling: { size: 2, stride: 2 },
      lrn: false,
    });
    const nodes = decode(onnxFromWeights(resolved, weights, { opset: 21 })).graph.node;
    const ops = nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Tanh')).toHaveLength(7);
    expect(ops).not.toContain('Relu');
    expect(ops).not.toContain('LRN');
    for (const n of nodes.filter((x) => x.opType === 'MaxPool')) {
      expect(n.attribute.find((a) => a.name === 'kernel_shape')!.ints).toEqual([2, 2]);
      expect(n.attribute.find((a) => a.name === 'strides')!.ints).toEqual([2, 2]);
    }
  });

  it('refuses what it cannot export, naming it', async () => {
    const { resolved, weights } = zeroWeights({ input: INPUT });
    expect(() => onnxFromWeights(resolved, weights, { opset: 12 })).toThrow(
      /opset must be an integer from 13/,
    );
    expect(() => onnxFromWeights(resolved, weights, { opset: 22 })).toThrow(ArgumentError);
    expect(() => onnxFromWeights(resolved, weights, { classes: ['x'] })).toThrow(
      /1 class names for a 1000-class/,
    );
    const missing = new Map(weights);
    missing.delete('fc7.bias');
    expect(() => onnxFromWeights(resolved, missing)).toThrow(/no tensor 'fc7.bias'/);
    const other = zeroWeights({ input: INPUT, towers: 1 }).weights;
    expect(() => onnxFromWeights(resolved, other)).toThrow(
      /'conv2.weight' is \[256, 96, 5, 5\].*needs \[256, 48, 5, 5\]/,
    );
    const extra = new Map(weights);
    extra.set('fc9.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => onnxFromWeights(resolved, extra)).toThrow(/does not have: fc9.weight/);
    const plain = { params: () => [] } as unknown as Net;
    await expect(exportOnnx(plain)).rejects.toThrow(/not built by createAlexNet/);
  });
});
