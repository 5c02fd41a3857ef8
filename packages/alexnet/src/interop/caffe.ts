/**
 * Caffe import: the weights of a `bvlc_alexnet`-layout `.caffemodel` (a binary `caffe.NetParameter`)
 * as this project's canonical one-device parameters, with the config that reproduces Caffe's
 * network: input 227 with conv1 pad 0, the two towers as channel groups (conv2/conv4/conv5 with
 * group 2), LRN mode 'caffe' (across all channels, k = 1, α = 1e-4 divided by n = 5 — the very
 * formula of Caffe's LRNLayer: scale = k + α/n · Σ x², y = x · scale^−β), classes from fc8.
 *
 * - Blob layouts need no transposition: Caffe's conv weights are [out, in/groups, kh, kw], as ours,
 *   and its InnerProduct weights [out, in], as ours; pool5 is flattened C×H×W in both.
 * - Caffe's input is BGR; ours is RGB: conv1's three input channels are reversed on import
 *   (`bgrToRgb`, default on), so the imported network takes our RGB images.
 * - Both the current format (`NetParameter.layer`, LayerParameter) and the old V1 format
 *   (`NetParameter.layers`, V1LayerParameter with enum types, 4-D num/channels/height/width blob
 *   shapes) are read. The files bvlc_alexnet was published in are V1.
 *
 * Decoded with protobufjs from a subset of Caffe's `caffe.proto` (field numbers as in BVLC/caffe's
 * src/caffe/proto/caffe.proto). `BlobProto.data` (`repeated float … [packed = true]`) is declared
 * `bytes` here: a packed float field is, on the wire, one length-delimited run of little-endian
 * float32s — exactly a bytes field — so 61 M weights are copied once instead of becoming 61 M
 * JavaScript numbers.
 */
import { ArgumentError } from '@alexnet/tensor';
import protobuf from 'protobufjs';
import {
  type AlexNetConfig,
  CONV_LAYERS,
  FC_WIDTH,
  minimumInput,
  type PoolingConfig,
  resolveAlexNetConfig,
  spatialSizes,
} from '../config.js';

/** The file is not a caffemodel, or not one of the bvlc_alexnet layout. */
export class CaffeImportError extends ArgumentError {
  override name = 'CaffeImportError';
}

const packed = { packed: true };
const unpacked = { packed: false };

/** The subset of caffe.proto the importer reads (protobufjs JSON descriptor). */
export const CAFFE_PROTO_SUBSET = {
  nested: {
    caffe: {
      nested: {
        BlobShape: { fields: { dim: { rule: 'repeated', type: 'int64', id: 1, options: packed } } },
        BlobProto: {
          fields: {
            shape: { type: 'BlobShape', id: 7 },
            // `repeated float data = 5 [packed = true]` / `repeated double double_data = 8 [packed = true]`
            // in caffe.proto: the same bytes on the wire (see the file comment)
            data: { type: 'bytes', id: 5 },
            double_data: { type: 'bytes', id: 8 },
            num: { type: 'int64', id: 1 },
            channels: { type: 'int64', id: 2 },
            height: { type: 'int64', id: 3 },
            width: { type: 'int64', id: 4 },
          },
        },
        ConvolutionParameter: {
          fields: {
            num_output: { type: 'uint32', id: 1 },
            bias_term: { type: 'bool', id: 2 },
            pad: { rule: 'repeated', type: 'uint32', id: 3, options: unpacked },
            kernel_size: { rule: 'repeated', type: 'uint32', id: 4, options: unpacked },
            group: { type: 'uint32', id: 5 },
            stride: { rule: 'repeated', type: 'uint32', id: 6, options: unpacked },
            pad_h: { type: 'uint32', id: 9 },
            pad_w: { type: 'uint32', id: 10 },
            kernel_h: { type: 'uint32', id: 11 },
            kernel_w: { type: 'uint32', id: 12 },
            stride_h: { type: 'uint32', id: 13 },
            stride_w: { type: 'uint32', id: 14 },
          },
        },
        InnerProductParameter: {
          fields: {
            num_output: { type: 'uint32', id: 1 },
            bias_term: { type: 'bool', id: 2 },
            transpose: { type: 'bool', id: 6 },
          },
        },
        LRNParameter: {
          fields: {
            local_size: { type: 'uint32', id: 1 },
            alpha: { type: 'float', id: 2 },
            beta: { type: 'float', id: 3 },
            // enum NormRegion { ACROSS_CHANNELS = 0; WITHIN_CHANNEL = 1; }
            norm_region: { type: 'int32', id: 4 },
            k: { type: 'float', id: 5 },
          },
        },
        PoolingParameter: {
          fields: {
            // enum PoolMethod { MAX = 0; AVE = 1; STOCHASTIC = 2; }
            pool: { type: 'int32', id: 1 },
            kernel_size: { rule: 'repeated', type: 'uint32', id: 2, options: unpacked },
            stride: { rule: 'repeated', type: 'uint32', id: 3, options: unpacked },
            pad: { rule: 'repeated', type: 'uint32', id: 4, options: unpacked },
          },
        },
        LayerParameter: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'string', id: 2 },
            bottom: { rule: 'repeated', type: 'string', id: 3 },
            top: { rule: 'repeated', type: 'string', id: 4 },
            blobs: { rule: 'repeated', type: 'BlobProto', id: 7 },
            convolution_param: { type: 'ConvolutionParameter', id: 106 },
            inner_product_param: { type: 'InnerProductParameter', id: 117 },
            lrn_param: { type: 'LRNParameter', id: 118 },
            pooling_param: { type: 'PoolingParameter', id: 121 },
          },
        },
        V1LayerParameter: {
          fields: {
            bottom: { rule: 'repeated', type: 'string', id: 2 },
            top: { rule: 'repeated', type: 'string', id: 3 },
            name: { type: 'string', id: 4 },
            // enum LayerType (V1_LAYER_TYPES)
            type: { type: 'int32', id: 5 },
            blobs: { rule: 'repeated', type: 'BlobProto', id: 6 },
            convolution_param: { type: 'ConvolutionParameter', id: 10 },
            inner_product_param: { type: 'InnerProductParameter', id: 17 },
            lrn_param: { type: 'LRNParameter', id: 18 },
            pooling_param: { type: 'PoolingParameter', id: 19 },
          },
        },
        NetParameter: {
          fields: {
            name: { type: 'string', id: 1 },
            layers: { rule: 'repeated', type: 'V1LayerParameter', id: 2 },
            layer: { rule: 'repeated', type: 'LayerParameter', id: 100 },
          },
        },
      },
    },
  },
};

/** V1LayerParameter.LayerType values → the type names of the current format (those read here). */
export const V1_LAYER_TYPES: Readonly<Record<number, string>> = Object.freeze({
  4: 'Convolution',
  5: 'Data',
  6: 'Dropout',
  14: 'InnerProduct',
  15: 'LRN',
  17: 'Pooling',
  18: 'ReLU',
  20: 'Softmax',
  21: 'SoftmaxWithLoss',
  1: 'Accuracy',
});

let root: protobuf.Root | undefined;
/** The protobufjs root of `CAFFE_PROTO_SUBSET` (for reading, and for tests that write caffemodels). */
export function caffeProtoRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(CAFFE_PROTO_SUBSET);
  return root;
}

/** A blob: its shape (the 4-D legacy num/channels/height/width when it has no `shape`) and float32 data. */
export interface CaffeBlob {
  shape: number[];
  data: Float32Array;
}

export interface CaffeConvParams {
  numOutput?: number;
  kernel?: number;
  stride: number;
  pad: number;
  group: number;
}

export interface CaffeLrnParams {
  localSize: number;
  alpha: number;
  beta: number;
  k: number;
  acrossChannels: boolean;
}

export interface CaffePoolParams {
  max: boolean;
  kernel?: number;
  stride: number;
  pad: number;
}

export interface CaffeLayer {
  name: string;
  /** The current format's type name ('Convolution', 'InnerProduct', 'LRN', …; V1 enums translated). */
  type: string;
  blobs: CaffeBlob[];
  convolution?: CaffeConvParams;
  lrn?: CaffeLrnParams;
  pooling?: CaffePoolParams;
}

export interface CaffeNet {
  name: string;
  /** 'layer': the current LayerParameter format; 'layers': the old V1LayerParameter format. */
  format: 'layer' | 'layers';
  layers: CaffeLayer[];
}

type Msg = Record<string, unknown>;
const has = (m: Msg | undefined, key: string): boolean =>
  m !== undefined && Object.hasOwn(m, key) && m[key] !== null;

/** A protobufjs int64 (a Long or a number) as a number. */
function int(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value);
}

function floatsOf(bytes: Uint8Array, width: 4 | 8, what: string): Float32Array {
  if (bytes.byteLength % width !== 0) {
    throw new CaffeImportError(`${what}: ${bytes.byteLength} data bytes is not a whole number of floats`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / width;
  const out = new Float32Array(n);
  if (width === 4) {
    // one copy (the host is little-endian on every platform Node supports; DataView otherwise)
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) new Uint8Array(out.buffer).set(bytes);
    else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  }
  return out;
}

function blobOf(b: Msg, what: string): CaffeBlob {
  let shape: number[];
  const s = b.shape as Msg | undefined;
  if (has(b, 'shape') && Array.isArray(s?.dim)) shape = (s.dim as unknown[]).map(int);
  else shape = [int(b.num ?? 0), int(b.channels ?? 0), int(b.height ?? 0), int(b.width ?? 0)];
  const single = b.data as Uint8Array | undefined;
  const double = b.double_data as Uint8Array | undefined;
  const data =
    single && single.byteLength > 0
      ? floatsOf(single, 4, what)
      : double && double.byteLength > 0
        ? floatsOf(double, 8, what)
        : new Float32Array(0);
  return { shape, data };
}

const first = (values: unknown, fallback: number): number =>
  Array.isArray(values) && values.length > 0 ? int(values[0]) : fallback;

function convOf(c: Msg): CaffeConvParams {
  const kernel = has(c, 'kernel_h') ? int(c.kernel_h) : first(c.kernel_size, Number.NaN);
  return {
    numOutput: has(c, 'num_output') ? int(c.num_output) : undefined,
    kernel: Number.isNaN(kernel) ? undefined : kernel,
    stride: has(c, 'stride_h') ? int(c.stride_h) : first(c.stride, 1),
    pad: has(c, 'pad_h') ? int(c.pad_h) : first(c.pad, 0),
    group: has(c, 'group') ? int(c.group) : 1,
  };
}

function lrnOf(l: Msg): CaffeLrnParams {
  return {
    localSize: has(l, 'local_size') ? int(l.local_size) : 5,
    alpha: has(l, 'alpha') ? Number(l.alpha) : 1,
    beta: has(l, 'beta') ? Number(l.beta) : 0.75,
    k: has(l, 'k') ? Number(l.k) : 1,
    acrossChannels: !has(l, 'norm_region') || int(l.norm_region) === 0,
  };
}

function poolOf(p: Msg): CaffePoolParams {
  const kernel = first(p.kernel_size, Number.NaN);
  return {
    max: !has(p, 'pool') || int(p.pool) === 0,
    kernel: Number.isNaN(kernel) ? undefined : kernel,
    stride: first(p.stride, 1),
    pad: first(p.pad, 0),
  };
}

/**
 * Decodes a binary caffemodel (`caffe.NetParameter`) into its layers, in either format. Throws a
 * CaffeImportError when the bytes are not one.
 */
export function readCaffeModel(bytes: Uint8Array, file = 'caffemodel'): CaffeNet {
  const NetParameter = caffeProtoRoot().lookupType('caffe.NetParameter');
  let net: Msg;
  try {
    net = NetParameter.decode(bytes) as unknown as Msg;
  } catch (error) {
    throw new CaffeImportError(
      `${file}: not a Caffe model (a binary caffe.NetParameter): ${(error as Error).message}`,
    );
  }
  const modern = (net.layer as Msg[] | undefined) ?? [];
  const v1 = (net.layers as Msg[] | undefined) ?? [];
  if (modern.length === 0 && v1.length === 0) {
    throw new CaffeImportError(
      `${file}: not a Caffe model: no layers in it (a binary .caffemodel is expected, not a text .prototxt)`,
    );
  }
  const format = modern.length > 0 ? 'layer' : 'layers';
  const layers = (format === 'layer' ? modern : v1).map((l, i): CaffeLayer => {
    const name = typeof l.name === 'string' && l.name !== '' ? l.name : `#${i}`;
    const type =
      format === 'layer'
        ? String(l.type ?? '')
        : (V1_LAYER_TYPES[int(l.type ?? 0)] ?? `V1 type ${int(l.type ?? 0)}`);
    const layer: CaffeLayer = {
      name,
      type,
      blobs: ((l.blobs as Msg[] | undefined) ?? []).map((b, j) =>
        blobOf(b, `${file}: layer '${name}' blob ${j}`),
      ),
    };
    if (has(l, 'convolution_param')) layer.convolution = convOf(l.convolution_param as Msg);
    if (has(l, 'lrn_param')) layer.lrn = lrnOf(l.lrn_param as Msg);
    if (has(l, 'pooling_param')) layer.pooling = poolOf(l.pooling_param as Msg);
    return layer;
  });
  return { name: String(net.name ?? ''), format, layers };
}

/** Caffe's bvlc_alexnet LRN: local_size 5, alpha 1e-4 (divided by n by Caffe), beta 0.75, k 1, across channels. */
export const CAFFE_ALEXNET_LRN: Readonly<CaffeLrnParams> = Object.freeze({
  localSize: 5,
  alpha: 1e-4,
  beta: 0.75,
  k: 1,
  acrossChannels: true,
});

const POOLING: PoolingConfig = { size: 3, stride: 2 };

/** The canonical parameter names and shapes of the Caffe-layout network with `classes` and pool5 size `s`. */
export function caffeAlexNetShapes(
  classes: number,
  pool5: number,
): { layer: string; weight: number[]; bias: number[] }[] {
  const out: { layer: string; weight: number[]; bias: number[] }[] = [];
  let inChannels = 3;
  for (const conv of CONV_LAYERS) {
    const groups = conv.reads === 'own' ? 2 : 1;
    out.push({
      layer: conv.name,
      weight: [conv.kernels, inChannels / groups, conv.kernel, conv.kernel],
      bias: [conv.kernels],
    });
    inChannels = conv.kernels;
  }
  const fcIn = inChannels * pool5 * pool5;
  out.push({ layer: 'fc6', weight: [FC_WIDTH, fcIn], bias: [FC_WIDTH] });
  out.push({ layer: 'fc7', weight: [FC_WIDTH, FC_WIDTH], bias: [FC_WIDTH] });
  out.push({ layer: 'fc8', weight: [classes, FC_WIDTH], bias: [classes] });
  return out;
}

/** The smallest input (conv1 pad 0, 3/2 pooling) whose pool5 maps are `pool5`×`pool5` (6 → 227). */
function inputForPool5(pool5: number): number | undefined {
  for (let input = minimumInput(0, POOLING); input < 32 * pool5 + 256; input++) {
    const { sizes, failed } = spatialSizes(input, 0, POOLING);
    const size = failed === null ? sizes[sizes.length - 1]!.size : 0;
    if (size === pool5) return input;
    if (size > pool5) return undefined;
  }
  return undefined;
}

const showShape = (s: readonly number[]) => `[${s.join(', ')}]`;
/** Shapes equal up to leading 1s (V1 blobs are 4-D: an fc weight is 1×1×out×in, a bias 1×1×1×out). */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  const strip = (s: readonly number[]) => {
    let i = 0;
    while (i < s.length - 1 && s[i] === 1) i++;
    return s.slice(i);
  };
  const x = strip(a);
  const y = strip(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

export interface CaffeAlexNetOptions {
  /** Reverse conv1's input channels (Caffe's BGR → our RGB). Default true. */
  bgrToRgb?: boolean;
  /** The file name for messages. */
  file?: string;
}

export interface CaffeAlexNetWeights {
  /** The network Caffe's bvlc_alexnet is: input 227 (conv1 pad 0), towers 2, LRN 'caffe', classes from fc8. */
  config: AlexNetConfig;
  /** Canonical one-device parameters ('conv1.weight' …), as `writeCanonical` / model.safetensors take them. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** Caffe's net name and format. */
  source: { name: string; format: 'layer' | 'layers' };
}

/**
 * The bvlc_alexnet layers of a decoded caffemodel as canonical parameters and the config they need.
 * Layers are found by name (conv1…conv5, fc6…fc8, each with a weight and a bias blob); every blob
 * shape, and the convolution/LRN/pooling hyper-parameters the file states, are checked against the
 * network this project builds. Throws a CaffeImportError naming the first mismatch.
 */
export function caffeAlexNetWeights(net: CaffeNet, options: CaffeAlexNetOptions = {}): CaffeAlexNetWeights {
  const file = options.file ?? 'caffemodel';
  const byName = new Map(net.layers.map((l) => [l.name, l]));
  const withBlobs = net.layers.filter((l) => l.blobs.length > 0).map((l) => l.name);
  const get = (name: string): CaffeLayer => {
    const layer = byName.get(name);
    if (!layer) {
      throw new CaffeImportError(
        `${file}: no layer '${name}' — the bvlc_alexnet layout has conv1…conv5 and fc6…fc8; this file's layers with weights: ${withBlobs.join(', ') || 'none'}`,
      );
    }
    if (layer.blobs.length !== 2) {
      throw new CaffeImportError(
        `${file}: layer '${name}' has ${layer.blobs.length} blobs, expected 2 (weights and bias)`,
      );
    }
    return layer;
  };
  // classes and input from fc8 and fc6 (227 for bvlc_alexnet's 9216 = 256·6·6 fc6 inputs)
  const fc8 = get('fc8').blobs[0]!;
  const classes = fc8.shape[fc8.shape.length - 2] ?? 0;
  const fc6 = get('fc6').blobs[0]!;
  const fc6In = fc6.shape[fc6.shape.length - 1] ?? 0;
  const pool5 = Math.round(Math.sqrt(fc6In / 256));
  const input = pool5 >= 1 && 256 * pool5 * pool5 === fc6In ? inputForPool5(pool5) : undefined;
  if (input === undefined) {
    throw new CaffeImportError(
      `${file}: fc6's weights ${showShape(fc6.shape)} do not read 256 × s × s pool5 values for any input size`,
    );
  }
  if (classes < 1)
    throw new CaffeImportError(`${file}: fc8's weights ${showShape(fc8.shape)} have no classes`);
  const config = resolveAlexNetConfig({ input, conv1Pad: 0, classes, lrn: 'caffe', towers: 2 });

  // the layers without weights, where the file states them: Caffe's LRN and 3/2 max pooling
  for (const layer of net.layers) {
    if (layer.type === 'LRN') {
      // an LRN layer without lrn_param has Caffe's defaults (alpha 1)
      const l = layer.lrn ?? lrnOf({});
      const ok =
        l.acrossChannels &&
        l.localSize === CAFFE_ALEXNET_LRN.localSize &&
        Math.fround(l.alpha) === Math.fround(CAFFE_ALEXNET_LRN.alpha) &&
        Math.fround(l.beta) === Math.fround(CAFFE_ALEXNET_LRN.beta) &&
        Math.fround(l.k) === Math.fround(CAFFE_ALEXNET_LRN.k);
      if (!ok) {
        throw new CaffeImportError(
          `${file}: LRN layer '${layer.name}' is local_size ${l.localSize} alpha ${l.alpha} beta ${l.beta} k ${l.k} ${l.acrossChannels ? 'ACROSS_CHANNELS' : 'WITHIN_CHANNEL'}; lrn mode 'caffe' is bvlc_alexnet's local_size 5 alpha 0.0001 beta 0.75 k 1 ACROSS_CHANNELS`,
        );
      }
    }
    if (layer.type === 'Pooling' && layer.pooling) {
      const p = layer.pooling;
      if (!p.max || p.kernel !== POOLING.size || p.stride !== POOLING.stride || p.pad !== 0) {
        throw new CaffeImportError(
          `${file}: pooling layer '${layer.name}' is ${p.max ? 'MAX' : 'not MAX'} ${p.kernel}/${p.stride} pad ${p.pad}; the bvlc_alexnet layout is MAX 3/2 pad 0`,
        );
      }
    }
  }
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  const expected = caffeAlexNetShapes(classes, pool5);
  for (const { layer: name, weight, bias } of expected) {
    const layer = get(name);
    const kind = name.startsWith('conv') ? 'Convolution' : 'InnerProduct';
    if (layer.type !== kind) {
      throw new CaffeImportError(`${file}: layer '${name}' is ${layer.type || 'untyped'}, expected ${kind}`);
    }
    const conv = CONV_LAYERS.find((c) => c.name === name);
    if (conv && layer.convolution) {
      const want = {
        kernel: conv.kernel,
        stride: conv.stride,
        pad: conv.pad ?? 0,
        group: conv.reads === 'own' ? 2 : 1,
      };
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        const got = layer.convolution[key];
        if (got !== undefined && got !== want[key]) {
          throw new CaffeImportError(
            `${file}: layer '${name}' has ${key === 'kernel' ? 'kernel_size' : key} ${got}, the bvlc_alexnet layout ${want[key]}`,
          );
        }
      }
    }
    for (const [i, want] of [weight, bias].entries()) {
      const blob = layer.blobs[i]!;
      const what = i === 0 ? 'weights' : 'bias';
      if (!sameShape(blob.shape, want)) {
        throw new CaffeImportError(
          `${file}: layer '${name}' ${what} are ${showShape(blob.shape)}, expected ${showShape(want)}`,
        );
      }
      const size = want.reduce((a, b) => a * b, 1);
      if (blob.data.length !== size) {
        throw new CaffeImportError(
          `${file}: layer '${name}' ${what} hold ${blob.data.length} values, ${showShape(want)} needs ${size}`,
        );
      }
      let data = blob.data;
      if (name === 'conv1' && i === 0 && options.bgrToRgb !== false) data = reverseInputChannels(data, want);
      weights.set(`${name}.${i === 0 ? 'weight' : 'bias'}`, { shape: [...want], data });
    }
  }
  return { config, weights, source: { name: net.name, format: net.format } };
}

/** Reverses the input-channel axis of [out, in, kh, kw] weights (BGR ↔ RGB for conv1). */
export function reverseInputChannels(data: Float32Array, shape: readonly number[]): Float32Array {
  const [out, channels, kh, kw] = shape as [number, number, number, number];
  const plane = kh * kw;
  const result = new Float32Array(data.length);
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < channels; c++) {
      const from = (o * channels + c) * plane;
      const to = (o * channels + (channels - 1 - c)) * plane;
      result.set(data.subarray(from, from + plane), to);
    }
  }
  return result;
}
