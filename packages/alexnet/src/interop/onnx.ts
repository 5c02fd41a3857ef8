/**
 * ONNX export: the network a config describes, with a checkpoint's weights, as an ONNX model that
 * onnxruntime (or any ONNX runtime) runs for inference.
 *
 * The graph is built from the config — not copied from a Net's node list — with the one-device
 * ("canonical") parameters, so a network trained on one device or two exports the same model:
 *
 * - input `data` [N, 3, input, input] (float32 NCHW, N dynamic); outputs `logits` [N, classes] (fc8)
 *   and `probs` [N, classes] (its softmax);
 * - conv1…conv5 are `Conv` (the two towers' conv2/conv4/conv5 with `group = 2`, the weights
 *   [out, in/groups, k, k] as stored), then `Relu` or `Tanh`;
 * - LRN: ONNX's `LRN` divides α by `size` (y = x / (bias + α/size · Σ x²)^β), so the paper's α = 1e-4
 *   (not divided by n) becomes 5e-4, bias = k = 2, β = 0.75, size 5. ONNX normalises across all
 *   channels, so with two towers (mode 'tower') the channels are `Split` in two, normalised apart and
 *   `Concat`ed back: the window never crosses the tower boundary. Mode 'caffe' is one `LRN` (α = 1e-4
 *   is already Caffe's α, which ONNX also divides by n; bias = k = 1);
 * - `MaxPool` z×z / s, no padding, floor rounding (`ceil_mode` 0), as every backend of the project;
 * - `Flatten` + `Gemm` with transB = 1 (fc weights are [out, in]);
 * - dropout is left out: inverted dropout is the identity at inference.
 *
 * Encoded with `onnx-proto` (the ONNX schema compiled by protobufjs) — no hand-written protobuf.
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError } from '@alexnet/tensor';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { type AlexNetConfig, CONV_LAYERS, FC_WIDTH, resolveAlexNetConfig, spatialSizes } from '../config.js';
import { alexnetConfigOf } from '../network.js';
import { lrnLayerConfig } from '../summary.js';
import { canonicalParams, readCanonical } from '../train/params-io.js';
import { VERSION } from '../version.js';

const { onnx } = onnxProto;

/** The lowest opset exported (Split with a `split` input, Softmax over one axis: opset 13). */
export const ONNX_MIN_OPSET = 13;
/** The highest opset exported (every operator used is checked against onnxruntime up to it). */
export const ONNX_MAX_OPSET = 21;
export const ONNX_DEFAULT_OPSET = 13;

/** ONNX's IR version for each opset (onnx.helper.VERSION_TABLE). */
const IR_VERSION_OF_OPSET: Readonly<Record<number, number>> = {
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
};

/** The names of the exported graph's input and outputs. */
export const ONNX_INPUT = 'data';
export const ONNX_LOGITS = 'logits';
export const ONNX_PROBS = 'probs';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const AttrType = onnx.AttributeProto.AttributeType;

/** A float32 tensor by its one-device name ('conv1.weight'), as `readCanonical` returns them. */
export interface WeightTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface OnnxExportOptions {
  /** The ONNX opset, 13 (default) to 21. */
  opset?: number;
  /** Class names, stored in the model's metadata (`classes`, JSON) when given. */
  classes?: readonly string[];
  /** The graph's name (default 'alexnet'). */
  graphName?: string;
}

/** A network with its config (and classes): `loadAlexNet`'s result or `{ net, config }`. */
export interface ExportableModel {
  net: Net;
  config?: AlexNetConfig;
  classes?: readonly string[];
}

/** The ONNX `LRN` attributes for the config's LRN (after the α/size conversion) and its channel groups. */
export function onnxLrnAttributes(config: AlexNetConfig): {
  size: number;
  alpha: number;
  beta: number;
  bias: number;
  /** Channel groups the window must not cross: one `LRN` per group on a `Split` of the channels. */
  groups: number;
} {
  const towers = config.towers === 2 ? 2 : 1;
  const lrn = lrnLayerConfig(config, towers);
  // ours: α used as given ('paper') or divided by n ('caffe'); ONNX always divides by size
  const alpha =
    'alphaConvention' in lrn && lrn.alphaConvention === 'caffe' ? lrn.alpha : lrn.alpha * lrn.size;
  return { size: lrn.size, alpha, beta: lrn.beta, bias: lrn.k, groups: lrn.groups ?? 1 };
}

/** The one-device parameter shapes of the network a config describes, in parameter order. */
export function expectedWeightShapes(config: AlexNetConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  let channels = 3;
  for (const conv of CONV_LAYERS) {
    const groups = config.towers === 2 && conv.reads === 'own' ? 2 : 1;
    shapes.set(`${conv.name}.weight`, [conv.kernels, channels / groups, conv.kernel, conv.kernel]);
    shapes.set(`${conv.name}.bias`, [conv.kernels]);
    channels = conv.kernels;
  }
  const last = spatialSizes(config.input, config.conv1Pad, config.pooling).sizes.at(-1)!.size;
  let features = channels * last * last;
  for (const [name, out] of [
    ['fc6', FC_WIDTH],
    ['fc7', FC_WIDTH],
    ['fc8', config.classes],
  ] as const) {
    shapes.set(`${name}.weight`, [out, features]);
    shapes.set(`${name}.bias`, [out]);
    features = out;
  }
  return shapes;
}

type AttrValue = number | number[] | { float: number };

function attribute(name: string, value: AttrValue): OnnxTypes.AttributeProto {
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: value });
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttrType.INT, i: value });
  return onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: value.float });
}

function floatInfo(name: string, dims: (number | string)[]): OnnxTypes.ValueInfoProto {
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

function checkOpset(opset: number): number {
  if (!Number.isSafeInteger(opset) || opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET) {
    throw new ArgumentError(
      `ONNX export: opset must be an integer from ${ONNX_MIN_OPSET} to ${ONNX_MAX_OPSET}, got ${String(opset)}`,
    );
  }
  return opset;
}

function checkWeights(config: AlexNetConfig, weights: ReadonlyMap<string, WeightTensor>): void {
  const expected = expectedWeightShapes(config);
  const extra = [...weights.keys()].filter((k) => !expected.has(k));
  if (extra.length > 0) {
    throw new ArgumentError(
      `ONNX export: the weights hold tensors this configuration does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`,
    );
  }
  for (const [name, shape] of expected) {
    const w = weights.get(name);
    if (!w) throw new ArgumentError(`ONNX export: the weights have no tensor '${name}'`);
    if (!(w.data instanceof Float32Array)) {
      throw new ArgumentError(`ONNX export: '${name}' must be float32`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (w.shape.length !== shape.length || w.shape.some((d, k) => d !== shape[k]) || w.data.length !== size) {
      throw new ArgumentError(
        `ONNX export: '${name}' is [${w.shape.join(', ')}] (${w.data.length} values), the configuration needs [${shape.join(', ')}]`,
      );
    }
  }
}

/**
 * The ONNX model (encoded bytes) of the network `config` describes with these one-device weights
 * (`conv1.weight` [96, 3, 11, 11] … `fc8.bias` [classes], as checkpoints store them). Throws an
 * `ArgumentError` for a missing, extra or misshapen tensor or an unsupported opset.
 */
export function onnxFromWeights(
  config: AlexNetConfig,
  weights: ReadonlyMap<string, WeightTensor>,
  options: OnnxExportOptions = {},
): Uint8Array {
  const c = resolveAlexNetConfig(config);
  const opset = checkOpset(options.opset ?? ONNX_DEFAULT_OPSET);
  checkWeights(c, weights);
  if (options.classes !== undefined && options.classes.length !== c.classes) {
    throw new ArgumentError(
      `ONNX export: ${options.classes.length} class names for a ${c.classes}-class network`,
    );
  }

  const nodes: OnnxTypes.NodeProto[] = [];
  const initializers: OnnxTypes.TensorProto[] = [];
  const add = (op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}) => {
    nodes.push(
      onnx.NodeProto.create({
        name: outputs.join('+'),
        opType: op,
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
  };
  const initializer = (name: string): string => {
    const w = weights.get(name)!;
    initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [...w.shape],
        dataType: FLOAT,
        rawData: littleEndianFloats(w.data),
      }),
    );
    return name;
  };
  const int64s = (name: string, values: number[]): string => {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      view.setBigInt64(i * 8, BigInt(v), true);
    });
    initializers.push(
      onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: bytes }),
    );
    return name;
  };

  const act = c.activation === 'relu' ? 'Relu' : 'Tanh';
  const lrn = onnxLrnAttributes(c);
  const lrnAttrs = {
    size: lrn.size,
    alpha: { float: lrn.alpha },
    beta: { float: lrn.beta },
    bias: { float: lrn.bias },
  };
  let x = ONNX_INPUT;
  let channels = 3;
  CONV_LAYERS.forEach((conv, i) => {
    const index = i + 1;
    const pad = conv.pad ?? c.conv1Pad;
    add('Conv', [x, initializer(`${conv.name}.weight`), initializer(`${conv.name}.bias`)], [conv.name], {
      kernel_shape: [conv.kernel, conv.kernel],
      strides: [conv.stride, conv.stride],
      pads: [pad, pad, pad, pad],
      dilations: [1, 1],
      group: c.towers === 2 && conv.reads === 'own' ? 2 : 1,
    });
    channels = conv.kernels;
    x = `${c.activation}${index}`;
    add(act, [conv.name], [x]);
    if (conv.lrn && c.lrn.enabled) {
      const y = `lrn${index}`;
      if (lrn.groups === 1) {
        add('LRN', [x], [y], lrnAttrs);
      } else {
        // one LRN per tower: ONNX's window runs across all channels, the tower's must not
        const part = channels / lrn.groups;
        const parts = Array.from({ length: lrn.groups }, (_, g) => `${y}_split${g}`);
        const normed = parts.map((_, g) => `${y}_tower${g}`);
        add(
          'Split',
          [
            x,
            int64s(
              `${y}_split`,
              parts.map(() => part),
            ),
          ],
          parts,
          { axis: 1 },
        );
        parts.forEach((p, g) => {
          add('LRN', [p], [normed[g]!], lrnAttrs);
        });
        add('Concat', normed, [y], { axis: 1 });
      }
      x = y;
    }
    if (conv.pool) {
      const y = `pool${index}`;
      add('MaxPool', [x], [y], {
        kernel_shape: [c.pooling.size, c.pooling.size],
        strides: [c.pooling.stride, c.pooling.stride],
        pads: [0, 0, 0, 0],
        ceil_mode: 0,
      });
      x = y;
    }
  });
  add('Flatten', [x], ['flatten'], { axis: 1 });
  x = 'flatten';
  for (const index of [6, 7]) {
    const fc = `fc${index}`;
    add('Gemm', [x, initializer(`${fc}.weight`), initializer(`${fc}.bias`)], [fc], { transB: 1 });
    x = `${c.activation}${index}`;
    add(act, [fc], [x]);
    // drop6/drop7: inverted dropout is the identity at inference
  }
  add('Gemm', [x, initializer('fc8.weight'), initializer('fc8.bias')], [ONNX_LOGITS], { transB: 1 });
  add('Softmax', [ONNX_LOGITS], [ONNX_PROBS], { axis: 1 });

  const metadata: Record<string, string> = { config: JSON.stringify(c) };
  if (options.classes) metadata.classes = JSON.stringify(options.classes);
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION_OF_OPSET[opset]!,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'alexnet',
    producerVersion: VERSION,
    docString:
      "AlexNet (Krizhevsky, Sutskever, Hinton 2012) exported by the 'alexnet' package: input 'data' " +
      `[N, 3, ${c.input}, ${c.input}] (float32 NCHW), outputs '${ONNX_LOGITS}' and '${ONNX_PROBS}' [N, ${c.classes}]`,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName ?? 'alexnet',
      node: nodes,
      initializer: initializers,
      input: [floatInfo(ONNX_INPUT, ['N', 3, c.input, c.input])],
      output: [floatInfo(ONNX_LOGITS, ['N', c.classes]), floatInfo(ONNX_PROBS, ['N', c.classes])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** ONNX raw_data is little-endian: a view of the floats where the platform is, a swapped copy where not. */
function littleEndianFloats(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return out;
}

function isNet(value: unknown): value is Net {
  return typeof value === 'object' && value !== null && typeof (value as Net).params === 'function';
}

/**
 * Exports a network built by `createAlexNet` (on one device or two), or a model `loadAlexNet`
 * returned, as ONNX bytes (write them to a `.onnx` file). The config comes from the model, else
 * from `createAlexNet`'s record of the net; `options.classes` defaults to the model's class names.
 * Throws an `ArgumentError` for a net that is not an AlexNet or whose weights do not match its config.
 */
export async function exportOnnx(
  model: Net | ExportableModel,
  options: OnnxExportOptions & { config?: AlexNetConfig } = {},
): Promise<Uint8Array> {
  const net = isNet(model) ? model : model.net;
  if (!isNet(net)) throw new ArgumentError('exportOnnx: expected a Net or { net, config }');
  const config =
    options.config ?? (isNet(model) ? undefined : model.config) ?? alexnetConfigOf(net) ?? undefined;
  if (!config) {
    throw new ArgumentError(
      'exportOnnx: this Net was not built by createAlexNet and no config was given; pass { config } (the AlexNetConfig it was built from)',
    );
  }
  const classes = options.classes ?? (isNet(model) ? undefined : model.classes);
  const weights = await readCanonical(canonicalParams(net.params()));
  return onnxFromWeights(config, weights, { ...options, ...(classes ? { classes } : {}) });
}
