/**
 * Caffe import: caffemodels written here with Caffe's schema (protobufjs), holding deterministic
 * pseudo-random weights, read back into canonical tensors. The full path (`alexnet import --caffe`
 * → model.safetensors → `loadAlexNet`) runs once with bvlc_alexnet's real shapes (61 M floats);
 * the reader's format and error checks run on small files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/main.js';
import { loadAlexNet } from '../train/model-file.js';
import { canonicalParams, readCanonical } from '../train/params-io.js';
import { readSafetensors } from '../train/safetensors.js';
import {
  CaffeImportError,
  caffeAlexNetShapes,
  caffeAlexNetWeights,
  caffeProtoRoot,
  readCaffeModel,
  reverseInputChannels,
} from './caffe.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-caffe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SYNSET_WORDS = '/work/shared/data/imagenet-meta/synset_words.txt';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** Deterministic distinct values for blob `seed`. */
function fill(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++)
    out[i] = ((Math.imul(i + 1, 2654435761) ^ Math.imul(seed, 40503)) >>> 8) / 2 ** 24 - 0.5;
  return out;
}

interface LayerSpec {
  name: string;
  type: string;
  /** [weights, bias] */
  blobs?: { shape: number[]; data: Float32Array }[];
  convolution?: Record<string, unknown>;
  lrn?: Record<string, unknown>;
  pooling?: Record<string, unknown>;
}

const V1_TYPE: Record<string, number> = { Convolution: 4, InnerProduct: 14, LRN: 15, Pooling: 17, ReLU: 18 };
const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A caffemodel (binary NetParameter) in the current `layer` format or the old V1 `layers` one. */
function caffemodel(layers: LayerSpec[], format: 'layer' | 'layers' = 'layer'): Uint8Array {
  const NetParameter = caffeProtoRoot().lookupType('caffe.NetParameter');
  const message =
    format === 'layer'
      ? {
          name: 'AlexNet',
          layer: layers.map((l) => ({
            name: l.name,
            type: l.type,
            blobs: (l.blobs ?? []).map((b) => ({ shape: { dim: b.shape }, data: bytesOf(b.data) })),
            convolution_param: l.convolution,
            lrn_param: l.lrn,
            pooling_param: l.pooling,
          })),
        }
      : {
          name: 'CaffeNet',
          layers: layers.map((l) => ({
            name: l.name,
            type: V1_TYPE[l.type],
            blobs: (l.blobs ?? []).map((b) => {
              const s = [1, 1, 1, 1, ...b.shape].slice(-4);
              return { num: s[0], channels: s[1], height: s[2], width: s[3], data: bytesOf(b.data) };
            }),
            convolution_param: l.convolution,
            lrn_param: l.lrn,
            pooling_param: l.pooling,
          })),
        };
  return NetParameter.encode(NetParameter.fromObject(message)).finish();
}

const CONV_PARAMS: Record<string, Record<string, unknown>> = {
  conv1: { num_output: 96, kernel_size: [11], stride: [4] },
  conv2: { num_output: 256, kernel_size: [5], pad: [2], group: 2 },
  conv3: { num_output: 384, kernel_size: [3], pad: [1] },
  conv4: { num_output: 384, kernel_size: [3], pad: [1], group: 2 },
  conv5: { num_output: 256, kernel_size: [3], pad: [1], group: 2 },
};
const CAFFE_LRN = { local_size: 5, alpha: 1e-4, beta: 0.75 };
const CAFFE_POOL = { pool: 0, kernel_size: [3], stride: [2] };

/** bvlc_alexnet's layer list with weights for `classes` and pool5 size `pool5` (6: the real one). */
function alexnetLayers(classes: number, pool5: number, skip: string[] = []): LayerSpec[] {
  const layers: LayerSpec[] = [];
  caffeAlexNetShapes(classes, pool5).forEach(({ layer, weight, bias }, i) => {
    if (skip.includes(layer)) return;
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const conv = layer.startsWith('conv');
    layers.push({
      name: layer,
      type: conv ? 'Convolution' : 'InnerProduct',
      blobs: [
        { shape: weight, data: fill(size(weight), 2 * i + 1) },
        { shape: bias, data: fill(size(bias), 2 * i + 2) },
      ],
      ...(conv ? { convolution: CONV_PARAMS[layer] } : {}),
    });
    const n = layer.slice(-1);
    if (conv || layer !== 'fc8') layers.push({ name: `relu${n}`, type: 'ReLU' });
    if (layer === 'conv1' || layer === 'conv2')
      layers.push({ name: `norm${n}`, type: 'LRN', lrn: CAFFE_LRN });
    if (layer === 'conv1' || layer === 'conv2' || layer === 'conv5')
      layers.push({ name: `pool${n}`, type: 'Pooling', pooling: CAFFE_POOL });
  });
  return layers;
}

function blobsByName(layers: LayerSpec[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of layers) {
    if (!l.blobs) continue;
    out.set(`${l.name}.weight`, l.blobs[0]!.data);
    out.set(`${l.name}.bias`, l.blobs[1]!.data);
  }
  return out;
}

const sameBytes = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(bytesOf(a)), Buffer.from(bytesOf(b))) === 0;

/** conv1's input channels reversed, computed element by element (independent of reverseInputChannels). */
function bgrToRgbReference(w: Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  const plane = 11 * 11;
  for (let o = 0; o < 96; o++)
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < plane; k++) out[(o * 3 + c) * plane + k] = w[(o * 3 + (2 - c)) * plane + k]!;
  return out;
}

describe('alexnet import --caffe (bvlc_alexnet shapes)', () => {
  it('puts every blob in its canonical tensor (conv1 BGR → RGB) and loadAlexNet loads the checkpoint', async () => {
    const layers = alexnetLayers(1000, 6);
    const file = join(root, 'bvlc_alexnet.caffemodel');
    writeFileSync(file, caffemodel(layers));
    const out = join(root, 'bvlc_alexnet');
    const r = await cli('import', '--caffe', file, '--out', out, '--classes', SYNSET_WORDS, '--json');
    expect(r.code, r.err).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.config).toMatchObject({
      input: 227,
      conv1Pad: 0,
      classes: 1000,
      towers: 2,
      lrn: { enabled: true, mode: 'caffe' },
      pooling: { size: 3, stride: 2 },
    });
    expect(info.parameters).toBe(60_965_224);
    expect(info.format).toBe('layer');

    const model = readSafetensors(join(out, 'model.safetensors'));
    const source = blobsByName(layers);
    expect([...model.tensors.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [name, data] of source) {
      const got = model.tensors.get(name)!;
      const want = name === 'conv1.weight' ? bgrToRgbReference(data) : data;
      expect(sameBytes(got.data as Float32Array, want), name).toBe(true);
    }
    expect(model.tensors.get('conv2.weight')!.shape).toEqual([256, 48, 5, 5]);
    expect(model.tensors.get('fc6.weight')!.shape).toEqual([4096, 9216]);
    expect(model.metadata).toMatchObject({ source: 'caffe', 'caffe.format': 'layer' });

    const device = new Device(new ReferenceBackend({ index: 0 }));
    const loaded = loadAlexNet(out, device);
    try {
      expect(loaded.config).toEqual(info.config);
      expect(loaded.classes).toHaveLength(1000);
      expect(loaded.classes[0]).toBe('tench, Tinca tinca');
      const back = await readCanonical(
        canonicalParams(loaded.net.params()).filter((p) =>
          ['conv1.weight', 'conv5.weight', 'fc8.bias'].includes(p.name),
        ),
      );
      expect(sameBytes(back.get('conv1.weight')!.data, bgrToRgbReference(source.get('conv1.weight')!))).toBe(
        true,
      );
      expect(sameBytes(back.get('conv5.weight')!.data, source.get('conv5.weight')!)).toBe(true);
      expect(sameBytes(back.get('fc8.bias')!.data, source.get('fc8.bias')!)).toBe(true);
    } finally {
      loaded.net.dispose();
    }

    // an existing checkpoint is not overwritten without --force
    const again = await cli('import', '--caffe', file, '--out', out);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists \(use --force/);
    // the class file must name one class per fc8 output
    const few = join(root, 'few.txt');
    writeFileSync(few, 'n01440764 tench\nn01443537 goldfish\n');
    const wrong = await cli('import', '--caffe', file, '--out', join(root, 'other'), '--classes', few);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/names 2 classes, the model's fc8 has 1000/);
  });
});

/** A small model: pool5 1×1 (fc6 reads 256 values) and 10 classes, without fc7 (it is 4096 × 4096). */
const small = (skip: string[] = ['fc7']) => alexnetLayers(10, 1, skip);

describe('readCaffeModel', () => {
  it("reads packed float data written with caffe.proto's own field types", () => {
    // caffe.proto's declarations (not the importer's bytes shortcut)
    const proto = protobuf.parse(`syntax = "proto2"; package caffe;
      message BlobShape { repeated int64 dim = 1 [packed = true]; }
      message BlobProto { optional BlobShape shape = 7; repeated float data = 5 [packed = true]; }
      message LayerParameter { optional string name = 1; optional string type = 2; repeated BlobProto blobs = 7; }
      message NetParameter { optional string name = 1; repeated LayerParameter layer = 100; }`).root;
    const NetParameter = proto.lookupType('caffe.NetParameter');
    const w = fill(96 * 3 * 11 * 11, 1);
    const b = fill(96, 2);
    const bytes = NetParameter.encode(
      NetParameter.fromObject({
        name: 'AlexNet',
        layer: [
          { name: 'data', type: 'Input' },
          {
            name: 'conv1',
            type: 'Convolution',
            blobs: [
              { shape: { dim: [96, 3, 11, 11] }, data: Array.from(w) },
              { shape: { dim: [96] }, data: Array.from(b) },
            ],
          },
        ],
      }),
    ).finish();
    const net = readCaffeModel(bytes);
    expect(net).toMatchObject({ name: 'AlexNet', format: 'layer' });
    expect(net.layers.map((l) => [l.name, l.type])).toEqual([
      ['data', 'Input'],
      ['conv1', 'Convolution'],
    ]);
    const conv1 = net.layers[1]!;
    expect(conv1.blobs.map((x) => x.shape)).toEqual([[96, 3, 11, 11], [96]]);
    expect(sameBytes(conv1.blobs[0]!.data, w)).toBe(true);
    expect(sameBytes(conv1.blobs[1]!.data, b)).toBe(true);
  });

  it('reads the old V1 format (enum types, 4-D blob shapes) as the current one', () => {
    const layers = small();
    const modern = readCaffeModel(caffemodel(layers, 'layer'));
    const v1 = readCaffeModel(caffemodel(layers, 'layers'));
    expect(v1.format).toBe('layers');
    expect(v1.layers.map((l) => [l.name, l.type])).toEqual(modern.layers.map((l) => [l.name, l.type]));
    expect(v1.layers.find((l) => l.name === 'fc6')!.blobs[0]!.shape).toEqual([1, 1, 4096, 256]);
    expect(v1.layers.find((l) => l.name === 'conv2')!.convolution).toEqual({
      numOutput: 256,
      kernel: 5,
      stride: 1,
      pad: 2,
      group: 2,
    });
    expect(v1.layers.find((l) => l.name === 'norm1')!.lrn).toMatchObject({
      localSize: 5,
      k: 1,
      acrossChannels: true,
    });
    // the weights of both formats map to the same tensors (with fc7: the real 4096 × 4096)
    const full = alexnetLayers(10, 1);
    const a = caffeAlexNetWeights(readCaffeModel(caffemodel(full, 'layer')));
    const b = caffeAlexNetWeights(readCaffeModel(caffemodel(full, 'layers')));
    expect(b.source.format).toBe('layers');
    expect(b.config).toEqual(a.config);
    expect(a.config).toMatchObject({ classes: 10, conv1Pad: 0, lrn: { mode: 'caffe' } });
    for (const [name, t] of a.weights) {
      expect(b.weights.get(name)!.shape, name).toEqual(t.shape);
      expect(sameBytes(b.weights.get(name)!.data, t.data), name).toBe(true);
    }
  });

  it('refuses a file that is not a caffemodel', () => {
    const text = new TextEncoder().encode('name: "AlexNet"\nlayer {\n  name: "conv1"\n}\n');
    expect(() => readCaffeModel(text, 'deploy.prototxt')).toThrow(CaffeImportError);
    expect(() => readCaffeModel(text, 'deploy.prototxt')).toThrow(/deploy\.prototxt: not a Caffe model/);
    expect(() => readCaffeModel(new Uint8Array(0), 'empty')).toThrow(/empty: not a Caffe model: no layers/);
    expect(() => readCaffeModel(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'junk')).toThrow(
      /junk: not a Caffe model/,
    );
  });

  it('refuses a truncated caffemodel (a download cut short) with an error, never partial weights', () => {
    const bytes = caffemodel(small());
    for (const keep of [0.25, 0.5, 0.9, 0.999]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * keep));
      expect(() => caffeAlexNetWeights(readCaffeModel(cut, 'cut.caffemodel')), String(keep)).toThrow(
        /cut\.caffemodel/,
      );
    }
  });
});

describe('caffeAlexNetWeights', () => {
  it('names a missing layer', () => {
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(small(['fc7', 'conv2']))))).toThrow(
      /no layer 'conv2' — the bvlc_alexnet layout has conv1…conv5 and fc6…fc8; this file's layers with weights: conv1, conv3/,
    );
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(small(['fc7', 'fc8']))))).toThrow(
      /no layer 'fc8'/,
    );
  });

  it('names a wrong shape', () => {
    const layers = small();
    const conv2 = layers.find((l) => l.name === 'conv2')!;
    // an ungrouped conv2 (one tower's CaffeNet-style variant): 96 inputs per kernel instead of 48
    conv2.blobs![0] = { shape: [256, 96, 5, 5], data: fill(256 * 96 * 25, 9) };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(layers)))).toThrow(
      /layer 'conv2' weights are \[256, 96, 5, 5\], expected \[256, 48, 5, 5\]/,
    );
    const bias = small();
    bias.find((l) => l.name === 'conv3')!.blobs![1] = { shape: [383], data: fill(383, 3) };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(bias)))).toThrow(
      /layer 'conv3' bias are \[383\], expected \[384\]/,
    );
    const fc6 = small();
    fc6.find((l) => l.name === 'fc6')!.blobs![0] = { shape: [4096, 300], data: fill(4096 * 300, 4) };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(fc6)))).toThrow(/fc6's weights \[4096, 300\]/);
  });

  it('refuses hyper-parameters other than bvlc_alexnet’s', () => {
    const group = small();
    group.find((l) => l.name === 'conv2')!.convolution = { num_output: 256, kernel_size: [5], pad: [2] };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(group)))).toThrow(
      /layer 'conv2' has group 1, the bvlc_alexnet layout 2/,
    );
    const lrn = small();
    lrn.find((l) => l.name === 'norm1')!.lrn = { local_size: 5, alpha: 1e-4, beta: 0.75, k: 2 };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(lrn)))).toThrow(/LRN layer 'norm1' is .* k 2/);
    const pool = small();
    pool.find((l) => l.name === 'pool5')!.pooling = { pool: 1, kernel_size: [3], stride: [2] };
    expect(() => caffeAlexNetWeights(readCaffeModel(caffemodel(pool)))).toThrow(/pooling layer 'pool5'/);
  });

  it('reverses conv1 input channels only when asked (default: BGR → RGB)', () => {
    const w = fill(2 * 3 * 4, 5);
    const r = reverseInputChannels(w, [2, 3, 2, 2]);
    expect(Array.from(r.subarray(0, 4))).toEqual(Array.from(w.subarray(8, 12)));
    expect(Array.from(r.subarray(4, 8))).toEqual(Array.from(w.subarray(4, 8)));
    expect(Array.from(r.subarray(12, 16))).toEqual(Array.from(w.subarray(20, 24)));
  });
});

describe('alexnet import errors', () => {
  it('exits 1 with the reason for a file that is not a caffemodel, 2 without --caffe', async () => {
    const file = join(root, 'deploy.prototxt');
    writeFileSync(file, 'name: "AlexNet"\nlayer {\n  name: "data"\n  type: "Input"\n}\n');
    const r = await cli('import', '--caffe', file, '--out', join(root, 'x'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/deploy\.prototxt: not a Caffe model/);
    const u = await cli('import', '--out', join(root, 'x'));
    expect(u.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toContain('AlexNet');
  });
});
