/**
 * Exact FLOP counts for AlexNet's convolution and fully connected layers.
 *
 * Convention (the usual one, and DESIGN.md §5's): 1 multiply-add (MAC) = 2 FLOPs, counting every
 * nominal tap of the kernel window, padding included, and nothing else: bias adds, ReLU, LRN,
 * pooling, dropout and softmax are not counted (together they are well under 1% of the MACs).
 *
 *   conv forward  MACs = n · outC · outH · outW · (c / groups) · kh · kw
 *   conv backward-data and backward-filter: the same taps, so the same MACs each
 *   fc (gemm x·Wᵀ, x: [n, in], W: [out, in]) MACs = n · in · out, the same for each of its three gemms
 *
 * So a training step (forward + backward-data + backward-filter) is exactly 3× the forward count;
 * a real step skips conv1's backward-data (nobody needs the gradient of the input image), which
 * `networkFlops` reports separately as `trainingStepFlops`.
 */
import { type ConvShape, convOutput, type Layer } from './alexnet.js';

export type MacPass = 'forward' | 'backward-data' | 'backward-filter';
export const MAC_PASSES: readonly MacPass[] = ['forward', 'backward-data', 'backward-filter'];

/** MACs of one convolution pass over a batch of n (every pass has the same count). */
export function convMacs(shape: ConvShape, n = 1): number {
  const { outH, outW } = convOutput(shape);
  return n * shape.outC * outH * outW * (shape.c / shape.groups) * shape.kh * shape.kw;
}

/** MACs of C = op(A)·op(B) with op(A): m×k, op(B): k×n. */
export function gemmMacs(m: number, n: number, k: number): number {
  return m * n * k;
}

/** MACs of one fc pass over a batch of n: forward x·Wᵀ (n×in·in×out), dx = dy·W, dW = dyᵀ·x. */
export function fcMacs(inFeatures: number, outFeatures: number, n = 1): number {
  return gemmMacs(n, outFeatures, inFeatures);
}

/** MACs of one pass of a layer over a batch of n; 0 for layers without multiply-adds. */
export function layerMacs(layer: Layer, n = 1): number {
  if (layer.kind === 'conv') return convMacs(layer.shape, n);
  if (layer.kind === 'fc') return fcMacs(layer.in, layer.out, n);
  return 0;
}

export const flopsOfMacs = (macs: number): number => 2 * macs;

export interface LayerFlops {
  name: string;
  kind: 'conv' | 'fc';
  /** MACs of one pass (forward, backward-data or backward-filter) for one image. */
  macsPerImage: number;
  forwardFlopsPerImage: number;
}

export interface NetworkFlops {
  /** conv and fc layers in network order. */
  layers: LayerFlops[];
  forwardMacs: number;
  /** Forward FLOPs per image: 1.449 G for AlexNet at 224 with conv1 pad 2. */
  forwardFlops: number;
  /** Forward + backward-data + backward-filter of every layer: exactly 3 × forward (≈ 4.35 G). */
  trainingFlops: number;
  /** What a training step computes: `trainingFlops` minus the first layer's backward-data. */
  trainingStepFlops: number;
}

/** Per-image FLOPs of a network (the MAC layers of `layers`; everything else counts 0). */
export function networkFlops(layers: readonly Layer[]): NetworkFlops {
  const macLayers: LayerFlops[] = [];
  for (const layer of layers) {
    if (layer.kind !== 'conv' && layer.kind !== 'fc') continue;
    const macs = layerMacs(layer);
    macLayers.push({
      name: layer.name,
      kind: layer.kind,
      macsPerImage: macs,
      forwardFlopsPerImage: flopsOfMacs(macs),
    });
  }
  const forwardMacs = macLayers.reduce((sum, l) => sum + l.macsPerImage, 0);
  const firstLayerMacs = macLayers[0]?.macsPerImage ?? 0;
  return {
    layers: macLayers,
    forwardMacs,
    forwardFlops: flopsOfMacs(forwardMacs),
    trainingFlops: flopsOfMacs(3 * forwardMacs),
    trainingStepFlops: flopsOfMacs(3 * forwardMacs - firstLayerMacs),
  };
}
