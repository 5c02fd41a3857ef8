/**
 * The four-layer CIFAR-10 network of the paper's Figure 1 (§3.1: "a four-layer convolutional neural
 * network … on CIFAR-10"), in the style of cuda-convnet's CIFAR-10 nets, as a `Net` of
 * `@alexnet/layers` with a choice of activation:
 *
 * | node | layer | output (C×H×W) | parameters | multiply-adds |
 * |---|---|---|---|---|
 * | conv1 | conv 5×5/1 pad 2, 3→32 | 32×32×32 | 2,432 | 2,457,600 |
 * | act1, pool1 | relu or tanh; max pool 3×3/2 | 32×15×15 | | |
 * | conv2 | conv 5×5/1 pad 2, 32→32 | 32×15×15 | 25,632 | 5,760,000 |
 * | act2, pool2 | relu or tanh; max pool 3×3/2 | 32×7×7 | | |
 * | conv3 | conv 5×5/1 pad 2, 32→64 | 64×7×7 | 51,264 | 2,508,800 |
 * | act3, pool3 | relu or tanh; max pool 3×3/2 | 64×3×3 | | |
 * | fc | fully connected 576→10 | 10 | 5,770 | 5,760 |
 * | loss | softmax + cross-entropy | | | |
 * | **total** | | | **85,098** | **10,732,160** |
 *
 * That is 21.46 MFLOP per image forward (1 multiply-add = 2 FLOPs, padding taps included) and about
 * 3× that, 64.4 MFLOP, per image for a training step. Pooling uses the floor convention (no padding):
 * 32 → 15 → 7 → 3, where cuda-convnet's ceil convention gives 16 → 8 → 4 (its fc reads 1,024 values).
 *
 * "No regularisation": no dropout, no LRN, and the benchmark trains with weight decay 0.
 * Initialisation: every weight N(0, 1/fan-in) (LeCun), biases 0, drawn from one Philox stream in
 * parameter order — **the same initial weights for both activations** at a given seed, so the two
 * runs differ only in the nonlinearity (and their learning rates).
 */

import { initParams, Net, type NodeSpec } from '@alexnet/layers';
import type { Device } from '@alexnet/tensor';
import { PhiloxStream } from '@alexnet/tensor';

export type Activation = 'relu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh'];

/** Max pooling of pool1–pool3: window, stride, zero padding (padding never wins the max). */
export interface CifarPool {
  size: number;
  stride: number;
  pad: number;
}

/** The paper's LRN (§3.3) across channels: b = a / (k + α Σ a²)^β over `size` neighbouring maps. */
export interface CifarLrn {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/** Figure 1's pooling: 3×3/2, no padding (32 → 15 → 7 → 3). */
export const FIGURE1_POOL: CifarPool = Object.freeze({ size: 3, stride: 2, pad: 0 });

export interface CifarNetOptions {
  activation: Activation;
  /** pool1–pool3 (default FIGURE1_POOL). */
  pool?: CifarPool;
  /** LRN after act1 and act2, before pooling, as in AlexNet (default: none, Figure 1's net). */
  lrn?: CifarLrn | null;
  /**
   * Weight init: 'lecun' N(0, 1/fan-in) (default, Figure 1's) or 'he' N(0, 2/fan-in), which keeps the
   * signal's variance through ReLUs (LeCun's halves it at every ReLU layer).
   */
  init?: 'lecun' | 'he';
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Input side (default 32, CIFAR-10's). */
  input?: number;
  /** Classes (default 10). */
  classes?: number;
}

/** The documented totals (checked by the tests against the built Net). */
export const CIFAR_NET_PARAMETERS = 85_098;
export const CIFAR_NET_MULTIPLY_ADDS = 10_732_160;

/**
 * The node list: conv 5×5 32 → act → pool → conv 5×5 32 → act → pool → conv 5×5 64 → act → pool → fc;
 * with `lrn`, norm1/norm2 sit between act1/act2 and pool1/pool2 (AlexNet's order).
 */
export function cifarNetNodes(
  activation: Activation,
  classes = 10,
  variant: { pool?: CifarPool; lrn?: CifarLrn | null } = {},
): NodeSpec[] {
  const act = { type: activation } as const;
  const p = variant.pool ?? FIGURE1_POOL;
  const pool = p.pad
    ? ({ type: 'maxPool', size: p.size, stride: p.stride, pad: p.pad } as const)
    : ({ type: 'maxPool', size: p.size, stride: p.stride } as const);
  const conv = (outChannels: number) => ({ type: 'conv2d', outChannels, kernel: 5, pad: 2 }) as const;
  const lrn = variant.lrn;
  const norm = (i: number): NodeSpec[] =>
    lrn ? [{ name: `norm${i}`, layer: { type: 'lrn', ...lrn }, inputs: [`act${i}`] }] : [];
  const poolInput = (i: number) => (lrn ? `norm${i}` : `act${i}`);
  return [
    { name: 'conv1', layer: conv(32), inputs: ['data'] },
    { name: 'act1', layer: act, inputs: ['conv1'] },
    ...norm(1),
    { name: 'pool1', layer: pool, inputs: [poolInput(1)] },
    { name: 'conv2', layer: conv(32), inputs: ['pool1'] },
    { name: 'act2', layer: act, inputs: ['conv2'] },
    ...norm(2),
    { name: 'pool2', layer: pool, inputs: [poolInput(2)] },
    { name: 'conv3', layer: conv(64), inputs: ['pool2'] },
    { name: 'act3', layer: act, inputs: ['conv3'] },
    { name: 'pool3', layer: pool, inputs: ['act3'] },
    { name: 'fc', layer: { type: 'linear', outFeatures: classes }, inputs: ['pool3'] },
    { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
  ];
}

/** Builds and initialises the network on `device` (see the module comment). */
export function createCifarNet(device: Device, options: CifarNetOptions): Net {
  const input = options.input ?? 32;
  const net = new Net({
    device,
    inputs: { data: [3, input, input], labels: [] },
    nodes: cifarNetNodes(options.activation, options.classes ?? 10, {
      ...(options.pool ? { pool: options.pool } : {}),
      lrn: options.lrn ?? null,
    }),
    seed: 0, // no dropout: the stream is never used
  });
  const rng = new PhiloxStream(options.seed ?? 0);
  for (const p of net.params()) {
    const fanIn = p.value.size / p.value.shape[0]!;
    initParams([p], { rng, weightStd: Math.sqrt((options.init === 'he' ? 2 : 1) / fanIn) });
  }
  return net;
}
