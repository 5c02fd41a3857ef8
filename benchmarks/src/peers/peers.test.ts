import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniformFiller } from '../timing.js';
import {
  buildOnnxAlexNet,
  encodeModel,
  floatValueInfo,
  node,
  ONNX_OPSET,
  onnx,
  onnxLrnAttrs,
} from './onnx-alexnet.js';
import { parseCli, runPeers } from './peers.js';
import type { PeersResult } from './report.js';
import { peersMarkdown } from './report.js';
import { ALEXNET_PARAMETERS, PAPER_LRN, peerNetwork, peerParameters } from './spec.js';
import { buildTfjsAlexNet, tfjsLrnArgs } from './tfjs-alexnet.js';

// Benchmarks measure; tests never assert wall-clock times. These check that the peers run the same
// network as the rest of the project, and the shape of the output.

/** The decoded model as plain objects (int64 as numbers, absent fields as defaults). */
interface PlainAttr {
  name: string;
  i: number;
  f: number;
  ints: number[];
}
interface PlainNode {
  name: string;
  opType: string;
  attribute: PlainAttr[];
}
interface PlainModel {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  graph: { node: PlainNode[]; initializer: { name: string; dims: number[] }[] };
}

const attr = (n: PlainNode, name: string): PlainAttr => {
  const a = n.attribute.find((x) => x.name === name);
  if (!a) throw new Error(`${n.name} has no attribute ${name}`);
  return a;
};

describe('ONNX AlexNet (onnxruntime-node peer)', () => {
  let model: PlainModel;
  beforeAll(() => {
    const decoded = onnx.ModelProto.decode(buildOnnxAlexNet().bytes);
    model = onnx.ModelProto.toObject(decoded, { longs: Number, defaults: true }) as unknown as PlainModel;
  });

  it('is an opset-13 model with 22 nodes', () => {
    expect(model.opsetImport).toHaveLength(1);
    expect(model.opsetImport[0]!.domain).toBe('');
    expect(Number(model.opsetImport[0]!.version)).toBe(ONNX_OPSET);
    expect(ONNX_OPSET).toBe(13);
    expect(Number(model.irVersion)).toBe(8);
    const ops = model.graph.node.map((n) => n.opType);
    expect(ops).toHaveLength(22);
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect([count('Conv'), count('Relu'), count('LRN'), count('MaxPool'), count('Gemm')]).toEqual([
      5, 7, 2, 3, 3,
    ]);
    expect(ops.at(-1)).toBe('Softmax');
  });

  it('has the towers as Conv group = 2 on conv2, conv4 and conv5', () => {
    const convs = model.graph.node.filter((n) => n.opType === 'Conv');
    expect(convs.map((n) => n.name)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
    expect(convs.map((n) => Number(attr(n, 'group').i))).toEqual([1, 2, 1, 2, 2]);
    expect(convs.map((n) => attr(n, 'pads').ints.map(Number))).toEqual([
      [2, 2, 2, 2],
      [2, 2, 2, 2],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
    expect(attr(convs[0]!, 'strides').ints.map(Number)).toEqual([4, 4]);
    const dims = (name: string) => model.graph.initializer.find((t) => t.name === name)!.dims.map(Number);
    expect(dims('conv2.weight')).toEqual([256, 48, 5, 5]);
    expect(dims('conv5.weight')).toEqual([256, 192, 3, 3]);
    expect(dims('fc6.weight')).toEqual([4096, 9216]);
  });

  it("converts the paper's LRN α = 1e-4 to ONNX's α/size convention (5e-4)", () => {
    const lrns = model.graph.node.filter((n) => n.opType === 'LRN');
    expect(lrns).toHaveLength(2);
    for (const n of lrns) {
      expect(Number(attr(n, 'size').i)).toBe(5);
      expect(attr(n, 'alpha').f).toBeCloseTo(5e-4, 10);
      expect(attr(n, 'beta').f).toBe(0.75);
      expect(attr(n, 'bias').f).toBe(2);
    }
    expect(onnxLrnAttrs.alpha).toBeCloseTo(PAPER_LRN.alpha * PAPER_LRN.size, 15);
  });

  it('has 60,965,224 parameters', () => {
    const params = model.graph.initializer.reduce((s, t) => s + t.dims.reduce((a, d) => a * Number(d), 1), 0);
    expect(params).toBe(ALEXNET_PARAMETERS);
    expect(peerParameters(peerNetwork())).toBe(ALEXNET_PARAMETERS);
  });

  it('runs in onnxruntime-node (width / 8) and gives a softmax', async () => {
    const small = buildOnnxAlexNet({ widthDivisor: 8 });
    const session = await ort.InferenceSession.create(small.bytes, { intraOpNumThreads: 1 });
    const x = new ort.Tensor('float32', uniformFiller(1)(2 * 3 * 224 * 224, 0, 1), [2, 3, 224, 224]);
    const out = (await session.run({ image: x })).prob!;
    expect(out.dims).toEqual([2, 1000]);
    const p = out.data as Float32Array;
    expect(p.slice(0, 1000).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await session.release();
  });
});

describe('LRN conventions agree', () => {
  it("ONNX LRN with α·size and tfjs's LRN with α both compute the paper's formula", async () => {
    const [c, h, w] = [8, 3, 2];
    const x = uniformFiller(7)(c * h * w, -30, 30); // NCHW, batch 1; large, so that α matters
    // The paper: b_c = a_c / (k + α Σ_{|c'−c| ≤ n/2} a_c'²)^β
    const paperLrn = (alpha: number): Float32Array => {
      const y = new Float32Array(x.length);
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < h * w; i++) {
          let sum = 0;
          for (let d = Math.max(0, ch - 2); d <= Math.min(c - 1, ch + 2); d++) sum += x[d * h * w + i]! ** 2;
          y[ch * h * w + i] = x[ch * h * w + i]! / (PAPER_LRN.k + alpha * sum) ** PAPER_LRN.beta;
        }
      return y;
    };
    const paper = paperLrn(PAPER_LRN.alpha);
    // A wrong conversion (α/5, or 5α) would be far outside the tolerance used below.
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))));
    expect(maxDiff(paperLrn(PAPER_LRN.alpha / 5), paper)).toBeGreaterThan(1e-2);
    expect(maxDiff(paperLrn(PAPER_LRN.alpha * 5), paper)).toBeGreaterThan(1e-2);
    const bytes = encodeModel({
      name: 'lrn',
      node: [
        node('LRN', ['x'], ['y'], {
          size: onnxLrnAttrs.size,
          alpha: { float: onnxLrnAttrs.alpha },
          beta: { float: onnxLrnAttrs.beta },
          bias: { float: onnxLrnAttrs.bias },
        }),
      ],
      input: [floatValueInfo('x', [1, c, h, w])],
      output: [floatValueInfo('y', [1, c, h, w])],
    });
    const session = await ort.InferenceSession.create(bytes);
    const onnxY = (await session.run({ x: new ort.Tensor('float32', x, [1, c, h, w]) })).y!
      .data as Float32Array;
    await session.release();

    await tf.setBackend('cpu');
    const nhwc = tf.transpose(tf.tensor4d(x, [1, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
    const { depthRadius, bias, alpha, beta } = tfjsLrnArgs;
    const tfjsY = tf.transpose(
      tf.localResponseNormalization(nhwc, depthRadius, bias, alpha, beta),
      [0, 3, 1, 2],
    );
    const tfjsValues = await tfjsY.data();
    tf.dispose([nhwc, tfjsY]);

    expect(maxDiff(onnxY, paper)).toBeLessThan(1e-5);
    expect(maxDiff(tfjsValues, paper)).toBeLessThan(1e-5);
  });
});

describe('tfjs AlexNet (tfjs-backend-wasm and pure-JS CPU peers)', () => {
  it('has 60,965,224 parameters (layers API countParams) and a [n, 1000] softmax output', async () => {
    await tf.setBackend('cpu');
    const model = buildTfjsAlexNet(tf);
    expect(model.countParams()).toBe(ALEXNET_PARAMETERS);
    expect(model.inputs[0]!.shape).toEqual([null, 224, 224, 3]);
    expect(model.outputs[0]!.shape).toEqual([null, 1000]);
    const conv2 = model.layers.filter((l) => l.name.startsWith('conv2_g')).map((l) => l.countParams());
    expect(conv2).toEqual([5 * 5 * 48 * 128 + 128, 5 * 5 * 48 * 128 + 128]);
    expect(model.getLayer('conv1').outputShape).toEqual([null, 55, 55, 96]);
    expect(model.getLayer('pool5').outputShape).toEqual([null, 6, 6, 256]);
    model.dispose();
  });

  it('runs at width / 8', async () => {
    await tf.setBackend('cpu');
    const model = buildTfjsAlexNet(tf, { widthDivisor: 8 });
    const y = model.predict(tf.zeros([1, 224, 224, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 1000]);
    expect((await y.sum().data())[0]).toBeCloseTo(1, 4);
    tf.dispose(y);
    model.dispose();
  });
});

describe('peers benchmark, smoke mode (onnxruntime-node only, in process)', () => {
  let dir: string;
  let json: PeersResult;
  let svg: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alexnet-peers-test-'));
    const { files } = await runPeers({
      smoke: true,
      outDir: dir,
      peers: ['onnxruntime-node'],
      inProcess: true,
    });
    json = JSON.parse(await readFile(files.json, 'utf8')) as PeersResult;
    svg = await readFile(files.svg, 'utf8');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records machine, versions and one measurement per task', () => {
    expect(json).toMatchObject({ benchmark: 'peers', schemaVersion: 1, mode: 'smoke' });
    expect(json.machine.nodeVersion).toBe(process.version);
    expect(json.network.parameters).toBe(ALEXNET_PARAMETERS);
    expect(json.peers[0]!.versions['onnxruntime-node']).toMatch(/^1\./);
    expect(json.peers[0]!.versions['onnx-proto']).toEqual(expect.any(String));
    expect(json.peers[0]!.versions['onnxruntime-common']).toBe(json.peers[0]!.versions['onnxruntime-node']);
    expect(json.results.map((r) => [r.batch, r.status])).toEqual([
      [1, 'ok'],
      [32, 'skipped'],
      [128, 'skipped'],
    ]);
    const r = json.results[0]!;
    expect(r.timesMs).toHaveLength(1);
    expect(r.gflops).toBeCloseTo((r.imagesPerSecond! * json.network.forwardFlopsPerImage) / 1e9, 6);
    expect(r.outputCheck).toMatchObject({ kind: 'softmax', allFinite: true });
    expect(r.othersCores === null || r.othersCores >= 0).toBe(true);
  });

  it('draws an SVG chart and a markdown table', () => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('onnxruntime-node');
    expect(peersMarkdown(json)).toContain('| onnxruntime-node | 1.');
  });
});

describe('peers command line', () => {
  it('parses the options', () => {
    expect(parseCli([])).toMatchObject({
      smoke: false,
      worker: null,
      peers: ['onnxruntime-node', 'tfjs-wasm', 'tfjs-cpu'],
    });
    expect(parseCli([]).outDir).toMatch(/benchmarks[/\\]results$/);
    expect(parseCli(['--smoke']).outDir).toMatch(/results[/\\]smoke$/);
    expect(parseCli(['--peers', 'tfjs-cpu', '--out', 'x']).peers).toEqual(['tfjs-cpu']);
    expect(() => parseCli(['--peers', 'tfjs-node'])).toThrow(/unknown peer/);
  });
});
