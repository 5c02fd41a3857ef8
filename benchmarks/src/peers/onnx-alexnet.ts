/**
 * AlexNet as an ONNX model (opset 13, NCHW) with random weights, for the `onnxruntime-node` peer.
 *
 * Encoded with `onnx-proto` (the ONNX schema compiled by protobufjs; IR version 8) — no hand-written
 * protobuf. The towers are `Conv` with `group = 2` (conv2, conv4, conv5). ONNX's LRN divides α by the
 * window size (y = x / (bias + α/size · Σ x²)^β), so the paper's α = 1e-4 becomes 5e-4 here. Dropout
 * is the identity at inference and is left out of the graph; the fc layers are `Gemm` with transB = 1
 * (W stored [out, in], as PyTorch and our backends store it).
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { uniformFiller } from '../timing.js';
import { PAPER_LRN, type PeerNetwork, POOL, peerNetwork } from './spec.js';

export const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
/** The IR version of the onnx-proto schema (ONNX 1.10), which onnxruntime 1.x reads. */
export const ONNX_IR_VERSION = onnx.Version.IR_VERSION;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const AttrType = onnx.AttributeProto.AttributeType;

/** ONNX LRN attributes for the paper's LRN: ONNX divides α by `size`, so multiply by it here. */
export const onnxLrnAttrs = {
  size: PAPER_LRN.size,
  alpha: PAPER_LRN.alpha * PAPER_LRN.size,
  beta: PAPER_LRN.beta,
  bias: PAPER_LRN.k,
} as const;

type AttrValue = number | number[] | { float: number };

/** An attribute: integers as INT / INTS, `{ float }` as FLOAT. */
export function attribute(name: string, value: AttrValue): OnnxTypes.AttributeProto {
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: value });
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttrType.INT, i: value });
  return onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: value.float });
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  name: string = outputs[0]!,
): OnnxTypes.NodeProto {
  return onnx.NodeProto.create({
    name,
    opType,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

/** A float tensor's type; string dims are symbolic (e.g. the batch 'N'). */
export function floatValueInfo(name: string, dims: (number | string)[]): OnnxTypes.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

/** A float32 initializer, stored as little-endian raw_data. */
export function floatInitializer(name: string, dims: number[], data: Float32Array): OnnxTypes.TensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected)
    throw new RangeError(`${name}: ${data.length} values for dims ${dims.join('×')}`);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

/** A single-graph opset-13 model, encoded to bytes. */
export function encodeModel(graph: OnnxTypes.IGraphProto): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: '@alexnet/benchmarks',
    producerVersion: '0.0.0',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface OnnxAlexNetOptions {
  /** Divides every width (default 1 = the real network). */
  widthDivisor?: number;
  classes?: number;
  /** Seed of the uniform weight filler. */
  seed?: number;
}

export interface OnnxAlexNet {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  parameters: number;
  nodes: number;
}

/**
 * AlexNet with random weights (He-uniform, bound √(6 / fan-in), zero biases), input 'image'
 * [N, 3, 224, 224] with a symbolic batch, output 'prob' [N, classes] (softmax).
 */
export function buildOnnxAlexNet(options: OnnxAlexNetOptions = {}): OnnxAlexNet {
  const net: PeerNetwork = peerNetwork(options);
  const fill = uniformFiller(options.seed ?? 0x5eed);
  const nodes: OnnxTypes.NodeProto[] = [];
  const initializers: OnnxTypes.TensorProto[] = [];
  let parameters = 0;
  const weights = (name: string, dims: number[], fanIn: number): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    const bound = Math.sqrt(6 / fanIn);
    initializers.push(floatInitializer(name, dims, fill(n, -bound, bound)));
    parameters += n;
    return name;
  };
  const bias = (name: string, n: number): string => {
    initializers.push(floatInitializer(name, [n], new Float32Array(n)));
    parameters += n;
    return name;
  };

  let x = 'image';
  for (const c of net.convs) {
    const inPer = c.inC / c.groups;
    const w = weights(`${c.name}.weight`, [c.outC, inPer, c.k, c.k], inPer * c.k * c.k);
    const b = bias(`${c.name}.bias`, c.outC);
    nodes.push(
      node('Conv', [x, w, b], [c.name], {
        kernel_shape: [c.k, c.k],
        strides: [c.stride, c.stride],
        pads: [c.pad, c.pad, c.pad, c.pad],
        dilations: [1, 1],
        group: c.groups,
      }),
    );
    x = c.name.replace('conv', 'relu');
    nodes.push(node('Relu', [c.name], [x]));
    if (c.lrn) {
      const y = c.name.replace('conv', 'lrn');
      nodes.push(
        node('LRN', [x], [y], {
          size: onnxLrnAttrs.size,
          alpha: { float: onnxLrnAttrs.alpha },
          beta: { float: onnxLrnAttrs.beta },
          bias: { float: onnxLrnAttrs.bias },
        }),
      );
      x = y;
    }
    if (c.pool) {
      const y = c.name.replace('conv', 'pool');
      nodes.push(
        node('MaxPool', [x], [y], {
          kernel_shape: [POOL.size, POOL.size],
          strides: [POOL.stride, POOL.stride],
          pads: [0, 0, 0, 0],
        }),
      );
      x = y;
    }
  }
  nodes.push(node('Flatten', [x], ['flatten'], { axis: 1 }));
  x = 'flatten';
  net.fcs.forEach((f, i) => {
    const w = weights(`${f.name}.weight`, [f.outF, f.inF], f.inF);
    const b = bias(`${f.name}.bias`, f.outF);
    nodes.push(node('Gemm', [x, w, b], [f.name], { transB: 1 }));
    x = i === net.fcs.length - 1 ? 'prob' : f.name.replace('fc', 'relu');
    nodes.push(
      i === net.fcs.length - 1 ? node('Softmax', [f.name], [x], { axis: -1 }) : node('Relu', [f.name], [x]),
    );
  });

  const classes = net.fcs[net.fcs.length - 1]!.outF;
  const bytes = encodeModel({
    name: 'alexnet',
    node: nodes,
    initializer: initializers,
    input: [floatValueInfo('image', ['N', 3, net.input, net.input])],
    output: [floatValueInfo('prob', ['N', classes])],
  });
  return { bytes, inputName: 'image', outputName: 'prob', parameters, nodes: nodes.length };
}
