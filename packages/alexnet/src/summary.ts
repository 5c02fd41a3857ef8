/**
 * The network's layers, shapes, parameters and multiply-adds, computed from the config alone (no
 * tensors are allocated, so `alexnet info` is instant). `createAlexNet` builds the same layers; the
 * tests check that the built Net agrees with this table node by node.
 *
 * FLOP convention (the usual one, and the benchmarks'): 1 multiply-add (MAC) = 2 FLOPs, counting every
 * nominal tap of a kernel window, zero padding included, and nothing else — bias adds, activations,
 * LRN, pooling, dropout and softmax are not counted (together well under 1% of the MACs). A training
 * step (forward, backward-data, backward-filter) has exactly 3× the forward MACs; conv1's
 * backward-data (the gradient of the image) is never needed, so a real step computes
 * `trainingStepFlops` = 3× forward − conv1's share.
 */
import { LRN } from '@alexnet/layers';
import {
  type AlexNetConfig,
  type AlexNetConfigInput,
  CONV_LAYERS,
  FC_WIDTH,
  resolveAlexNetConfig,
} from './config.js';

export type LayerKind = 'conv' | 'fc' | 'activation' | 'lrn' | 'pool' | 'dropout' | 'loss';

/** What a weight layer of the two-tower network reads: the image, its own tower, or both towers. */
export type TowerReads = 'input' | 'own' | 'both';

export interface LayerSummary {
  /** 'conv1', 'relu1', 'lrn1', 'pool1', …, 'fc8', 'loss' — the node name (towers add `_0` / `_1`). */
  name: string;
  kind: LayerKind;
  /** One line: 'conv 11×11/4 pad 2, 3→96 (2 towers × 48, read the image)'. */
  description: string;
  /** Per-example output shape, [channels, height, width] or [features] (the loss: its probabilities). */
  shape: number[];
  /** Trainable scalars (weights + biases, both towers). */
  params: number;
  /** Multiply-adds per image in the forward pass. */
  multiplyAdds: number;
  /** Two-tower networks: what a conv or fc layer reads; null for other layers and for one tower. */
  reads: TowerReads | null;
  /** Channel groups of a conv layer on one device (2: the towers' own-tower layers), else 1. */
  groups: number;
}

export interface AlexNetSummary {
  config: AlexNetConfig;
  layers: LayerSummary[];
  totals: {
    params: number;
    multiplyAdds: number;
    /** 2 × multiply-adds: 1.449 G for the paper's network. */
    forwardFlops: number;
    /** Forward + backward-data + backward-filter of every layer: 3 × forward (≈ 4.35 G). */
    trainingFlops: number;
    /** What a training step computes: `trainingFlops` without conv1's backward-data (≈ 4.14 G). */
    trainingStepFlops: number;
  };
}

const times = '×';

/** `shape` formatted as the paper writes it: 55×55×96 (height × width × channels), or 4096. */
export function paperShape(shape: readonly number[]): string {
  return shape.length === 3 ? [shape[1], shape[2], shape[0]].join(times) : shape.join(times);
}

const READS: Record<TowerReads, string> = {
  input: 'the image',
  own: 'own tower',
  both: 'both towers',
};

/** The LRN layer config a network uses (the paper's per tower, or Caffe's across all channels). */
export function lrnLayerConfig(config: AlexNetConfig, groups: number) {
  return config.lrn.mode === 'caffe' ? { ...LRN.CAFFE } : { ...LRN.PAPER, groups };
}

/** Every layer of the network the config describes, with shapes, parameters and multiply-adds. */
export function alexnetSummary(input: AlexNetConfigInput | AlexNetConfig = {}): AlexNetSummary {
  const config = resolveAlexNetConfig(input);
  const two = config.towers === 2;
  const layers: LayerSummary[] = [];
  const row = (r: Omit<LayerSummary, 'reads' | 'groups'> & Partial<LayerSummary>) =>
    layers.push({ reads: null, groups: 1, ...r });
  const act = config.activation;
  const lrnAttrs = lrnLayerConfig(config, two ? 2 : 1);
  const lrnText =
    config.lrn.mode === 'caffe'
      ? `LRN n=${lrnAttrs.size} α=${lrnAttrs.alpha}/${lrnAttrs.size} β=${lrnAttrs.beta} k=${lrnAttrs.k}, across all channels (Caffe)`
      : `LRN n=${lrnAttrs.size} α=${lrnAttrs.alpha} β=${lrnAttrs.beta} k=${lrnAttrs.k}, ${two ? 'within each tower' : 'across all channels'}`;

  let c = 3;
  let h = config.input;
  CONV_LAYERS.forEach((conv, i) => {
    const index = i + 1;
    const pad = conv.pad ?? config.conv1Pad;
    const groups = two && conv.reads === 'own' ? 2 : 1;
    const out = Math.floor((h + 2 * pad - conv.kernel) / conv.stride) + 1;
    const k2 = conv.kernel * conv.kernel;
    const towers = two ? ` (2 towers × ${conv.kernels / 2}, read ${READS[conv.reads]})` : '';
    row({
      name: conv.name,
      kind: 'conv',
      description: `conv ${conv.kernel}×${conv.kernel}/${conv.stride} pad ${pad}, ${c}→${conv.kernels}${towers}`,
      shape: [conv.kernels, out, out],
      params: conv.kernels * (c / groups) * k2 + conv.kernels,
      multiplyAdds: conv.kernels * out * out * (c / groups) * k2,
      reads: two ? conv.reads : null,
      groups,
    });
    c = conv.kernels;
    h = out;
    const shape = [c, h, h];
    row({ name: `${act}${index}`, kind: 'activation', description: act, shape, params: 0, multiplyAdds: 0 });
    if (conv.lrn && config.lrn.enabled) {
      row({ name: `lrn${index}`, kind: 'lrn', description: lrnText, shape, params: 0, multiplyAdds: 0 });
    }
    if (conv.pool) {
      const { size, stride } = config.pooling;
      h = Math.floor((h - size) / stride) + 1;
      row({
        name: `pool${index}`,
        kind: 'pool',
        description: `max pool ${size}×${size}/${stride}${size > stride ? ' (overlapping)' : ''}`,
        shape: [c, h, h],
        params: 0,
        multiplyAdds: 0,
      });
    }
  });

  let features = c * h * h;
  for (const index of [6, 7, 8]) {
    const width = index === 8 ? config.classes : FC_WIDTH;
    const towers = two
      ? index === 8
        ? ' (reads both towers)'
        : ` (2 towers × ${width / 2}, read both towers)`
      : '';
    row({
      name: `fc${index}`,
      kind: 'fc',
      description: `fully connected ${features}→${width}${towers}`,
      shape: [width],
      params: features * width + width,
      multiplyAdds: features * width,
      reads: two ? 'both' : null,
    });
    features = width;
    if (index === 8) break;
    row({
      name: `${act}${index}`,
      kind: 'activation',
      description: act,
      shape: [width],
      params: 0,
      multiplyAdds: 0,
    });
    row({
      name: `drop${index}`,
      kind: 'dropout',
      description: `dropout p=${config.dropout} (inverted)`,
      shape: [width],
      params: 0,
      multiplyAdds: 0,
    });
  }
  row({
    name: 'loss',
    kind: 'loss',
    description: 'softmax + cross-entropy',
    shape: [config.classes],
    params: 0,
    multiplyAdds: 0,
  });

  const params = layers.reduce((s, l) => s + l.params, 0);
  const multiplyAdds = layers.reduce((s, l) => s + l.multiplyAdds, 0);
  const conv1 = layers[0]!.multiplyAdds;
  return {
    config,
    layers,
    totals: {
      params,
      multiplyAdds,
      forwardFlops: 2 * multiplyAdds,
      trainingFlops: 6 * multiplyAdds,
      trainingStepFlops: 6 * multiplyAdds - 2 * conv1,
    },
  };
}
