/**
 * The network every peer runs: AlexNet exactly as DESIGN.md §3 and ../alexnet.ts describe it
 * (224×224×3 input, conv1 11×11/4 pad 2 → 55×55×96, the two towers as channel groups), and the FLOPs
 * its throughput is divided by (../flops.ts).
 */
import { alexnetLayers } from '../alexnet.js';
import { networkFlops } from '../flops.js';

/** The paper's LRN (§3.3): b = a / (k + α·Σ a²)^β over n = 5 neighbouring channels; α is not divided by n. */
export const PAPER_LRN = { size: 5, k: 2, alpha: 1e-4, beta: 0.75 } as const;

/** Trainable parameters of AlexNet (conv weights + biases, fc weights + biases). */
export const ALEXNET_PARAMETERS = 60_965_224;

const flops = networkFlops(alexnetLayers());
/** 1.449 GFLOP: 2 × multiply-adds of every conv and fc layer, per image. */
export const FORWARD_FLOPS_PER_IMAGE = flops.forwardFlops;
/** 4.346 GFLOP: forward + backward-data + backward-filter of every layer (3 × forward), per image. */
export const TRAINING_FLOPS_PER_IMAGE = flops.trainingFlops;

/**
 * One convolution of the network (NCHW/OIHW for ONNX; tfjs uses NHWC with the same numbers).
 * `pad` is symmetric zero padding.
 */
export interface PeerConv {
  name: string;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: number;
  groups: number;
  /** Followed by LRN (after ReLU). */
  lrn: boolean;
  /** Followed by 3×3/2 max pooling (after ReLU and LRN). */
  pool: boolean;
}

export const POOL = { size: 3, stride: 2 } as const;

export interface PeerNetwork {
  input: number;
  convs: PeerConv[];
  /** Features after the last pooling: 256 · 6 · 6 = 9216 at full width. */
  flatFeatures: number;
  /** fc6, fc7 (ReLU + dropout) and fc8 (softmax). */
  fcs: { name: string; inF: number; outF: number }[];
  dropout: number;
}

/**
 * AlexNet's layers as the peers build them. `widthDivisor` divides every channel and fc width (as in
 * ../alexnet.ts; 1 = the real network), `classes` defaults to 1000.
 */
export function peerNetwork(options: { widthDivisor?: number; classes?: number } = {}): PeerNetwork {
  const div = options.widthDivisor ?? 1;
  const classes = options.classes ?? 1000;
  const w = (c: number): number => {
    const x = c / div;
    if (!Number.isInteger(x) || x % 2 !== 0) throw new RangeError(`widthDivisor ${div} does not divide ${c}`);
    return x;
  };
  const convs: PeerConv[] = [
    { name: 'conv1', inC: 3, outC: w(96), k: 11, stride: 4, pad: 2, groups: 1, lrn: true, pool: true },
    { name: 'conv2', inC: w(96), outC: w(256), k: 5, stride: 1, pad: 2, groups: 2, lrn: true, pool: true },
    { name: 'conv3', inC: w(256), outC: w(384), k: 3, stride: 1, pad: 1, groups: 1, lrn: false, pool: false },
    { name: 'conv4', inC: w(384), outC: w(384), k: 3, stride: 1, pad: 1, groups: 2, lrn: false, pool: false },
    { name: 'conv5', inC: w(384), outC: w(256), k: 3, stride: 1, pad: 1, groups: 2, lrn: false, pool: true },
  ];
  const flatFeatures = w(256) * 6 * 6;
  return {
    input: 224,
    convs,
    flatFeatures,
    fcs: [
      { name: 'fc6', inF: flatFeatures, outF: w(4096) },
      { name: 'fc7', inF: w(4096), outF: w(4096) },
      { name: 'fc8', inF: w(4096), outF: classes },
    ],
    dropout: 0.5,
  };
}

/** Parameters of a `peerNetwork` (weights + biases). */
export function peerParameters(net: PeerNetwork): number {
  let n = 0;
  for (const c of net.convs) n += c.outC * (c.inC / c.groups) * c.k * c.k + c.outC;
  for (const f of net.fcs) n += f.inF * f.outF + f.outF;
  return n;
}
