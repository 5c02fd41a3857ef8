/**
 * AlexNet for TensorFlow.js (layers API, NHWC), shared by the `@tensorflow/tfjs` pure-JS CPU peer and
 * the `@tensorflow/tfjs-backend-wasm` peer.
 *
 * tfjs has neither grouped convolutions nor an LRN layer nor explicit conv padding, so:
 * - a grouped conv (conv2, conv4, conv5: the two towers) is two `ChannelSlice` layers, two ordinary
 *   `conv2d` layers and a `concatenate` — the same arithmetic and parameters as `groups: 2`;
 * - LRN is a small custom layer around `tf.localResponseNormalization`, whose α is *not* divided by
 *   the window (sqr_sum over depthRadius = 2 each side, i.e. n = 5), exactly the paper's convention;
 * - conv1's pad 2 is a `zeroPadding2d` layer before a 'valid' conv (tfjs 'same' would give 56×56);
 *   the other convs' pads (2 for 5×5, 1 for 3×3, stride 1) are exactly 'same'.
 * LRN runs over all the layer's channels (as in Caffe's and ONNX's AlexNet), not within each tower:
 * the arithmetic is the same; only the two channels at the tower boundary see different neighbours.
 */
import type * as TF from '@tensorflow/tfjs';
import { PAPER_LRN, type PeerNetwork, POOL, peerNetwork } from './spec.js';

type Tf = typeof TF;

interface CustomLayers {
  channelSlice: (begin: number, size: number, name: string) => TF.layers.Layer;
  lrn: (name: string) => TF.layers.Layer;
}

const customLayers = new WeakMap<Tf, CustomLayers>();

/** The two custom layers, defined once per tfjs instance (they must extend that instance's Layer). */
function defineCustomLayers(tf: Tf): CustomLayers {
  const cached = customLayers.get(tf);
  if (cached) return cached;

  const single = (inputs: TF.Tensor | TF.Tensor[]): TF.Tensor =>
    Array.isArray(inputs) ? inputs[0]! : inputs;
  const singleShape = (s: TF.Shape | TF.Shape[]): TF.Shape => (Array.isArray(s[0]) ? s[0] : s) as TF.Shape;

  /** Channels [begin, begin + size) of an NHWC tensor. */
  class ChannelSlice extends tf.layers.Layer {
    static readonly className = 'AlexNetChannelSlice';
    readonly begin: number;
    readonly size: number;
    constructor(config: { begin: number; size: number; name?: string }) {
      super(config.name === undefined ? {} : { name: config.name });
      this.begin = config.begin;
      this.size = config.size;
    }
    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const shape = [...singleShape(inputShape)];
      shape[shape.length - 1] = this.size;
      return shape;
    }
    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const x = single(inputs) as TF.Tensor4D;
      return tf.slice(x, [0, 0, 0, this.begin], [-1, -1, -1, this.size]);
    }
    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), begin: this.begin, size: this.size };
    }
  }

  /** The paper's local response normalisation across channels. */
  class LocalResponseNorm extends tf.layers.Layer {
    static readonly className = 'AlexNetLocalResponseNorm';
    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }
    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const x = single(inputs) as TF.Tensor4D;
      return tf.localResponseNormalization(
        x,
        tfjsLrnArgs.depthRadius,
        tfjsLrnArgs.bias,
        tfjsLrnArgs.alpha,
        tfjsLrnArgs.beta,
      );
    }
  }

  tf.serialization.registerClass(ChannelSlice);
  tf.serialization.registerClass(LocalResponseNorm);
  const layers: CustomLayers = {
    channelSlice: (begin, size, name) => new ChannelSlice({ begin, size, name }),
    lrn: (name) => new LocalResponseNorm({ name }),
  };
  customLayers.set(tf, layers);
  return layers;
}

/**
 * `tf.localResponseNormalization(x, depthRadius, bias, alpha, beta)`:
 * out = x / (bias + alpha · Σ_{|d'−d| ≤ depthRadius} x²)^beta — the paper's formula with n = 2·depthRadius + 1.
 */
export const tfjsLrnArgs = {
  depthRadius: (PAPER_LRN.size - 1) / 2,
  bias: PAPER_LRN.k,
  alpha: PAPER_LRN.alpha,
  beta: PAPER_LRN.beta,
} as const;

export interface TfjsAlexNetOptions {
  /** Divides every width (default 1 = the real network, 60,965,224 parameters). */
  widthDivisor?: number;
  classes?: number;
}

/** AlexNet as a tfjs functional `LayersModel`: [n, 224, 224, 3] → softmax [n, classes]. */
export function buildTfjsAlexNet(tf: Tf, options: TfjsAlexNetOptions = {}): TF.LayersModel {
  const custom = defineCustomLayers(tf);
  const net: PeerNetwork = peerNetwork(options);
  const input = tf.input({ shape: [net.input, net.input, 3], name: 'image' });
  let x: TF.SymbolicTensor = input;
  for (const c of net.convs) {
    let padding: 'same' | 'valid' = 'same';
    if (c.stride !== 1 || 2 * c.pad !== c.k - 1) {
      x = tf.layers.zeroPadding2d({ padding: c.pad, name: `${c.name}_pad` }).apply(x) as TF.SymbolicTensor;
      padding = 'valid';
    }
    const conv = (name: string, filters: number) =>
      tf.layers.conv2d({
        filters,
        kernelSize: c.k,
        strides: c.stride,
        padding,
        activation: 'relu',
        name,
      });
    if (c.groups === 1) {
      x = conv(c.name, c.outC).apply(x) as TF.SymbolicTensor;
    } else {
      const inPer = c.inC / c.groups;
      const towers: TF.SymbolicTensor[] = [];
      for (let g = 0; g < c.groups; g++) {
        const slice = custom.channelSlice(g * inPer, inPer, `${c.name}_in${g}`).apply(x) as TF.SymbolicTensor;
        towers.push(conv(`${c.name}_g${g}`, c.outC / c.groups).apply(slice) as TF.SymbolicTensor);
      }
      x = tf.layers.concatenate({ axis: -1, name: `${c.name}_concat` }).apply(towers) as TF.SymbolicTensor;
    }
    if (c.lrn) x = custom.lrn(`${c.name.replace('conv', 'lrn')}`).apply(x) as TF.SymbolicTensor;
    if (c.pool) {
      x = tf.layers
        .maxPooling2d({
          poolSize: POOL.size,
          strides: POOL.stride,
          padding: 'valid',
          name: `${c.name.replace('conv', 'pool')}`,
        })
        .apply(x) as TF.SymbolicTensor;
    }
  }
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as TF.SymbolicTensor;
  net.fcs.forEach((f, i) => {
    const last = i === net.fcs.length - 1;
    x = tf.layers
      .dense({ units: f.outF, activation: last ? 'softmax' : 'relu', name: f.name })
      .apply(x) as TF.SymbolicTensor;
    if (!last)
      x = tf.layers
        .dropout({ rate: net.dropout, name: `drop${f.name.slice(2)}` })
        .apply(x) as TF.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x, name: 'alexnet' });
}
