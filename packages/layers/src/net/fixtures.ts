/**
 * Test fixtures (not exported by the package): a miniature two-tower AlexNet, as two towers on two
 * devices (split, per-tower conv + ReLU + LRN + pool, both towers read by each tower's conv3, towers
 * joined before dropout and the classifier), and the same network on one device with groups.
 */
import type { Device } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import type { Param } from '../layer.js';
import { Net, type NodeSpec } from './net.js';

export const INPUT: readonly number[] = [3, 6, 6];
export const CLASSES = 5;
const LRN = { type: 'lrn', size: 3, alpha: 0.5, beta: 0.75, k: 2 } as const;

/** conv1 on t0; tower t (conv2_t, relu2_t, lrn2_t, pool2_t, cat3_t, conv3_t, relu3_t) on towers[t]. */
export function towerNet(t0: Device, t1: Device, seed = 7, options: { shuffle?: boolean } = {}): Net {
  const towers = [t0, t1];
  const nodes: NodeSpec[] = [
    { name: 'conv1', layer: { type: 'conv2d', outChannels: 4, kernel: 3, pad: 1 }, inputs: ['data'] },
    { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
    { name: 'split', layer: { type: 'split', parts: 2 }, inputs: ['relu1'] },
  ];
  for (const t of [0, 1]) {
    const device = towers[t]!;
    nodes.push(
      {
        name: `conv2_${t}`,
        layer: { type: 'conv2d', outChannels: 4, kernel: 3, pad: 1 },
        inputs: [`split:${t}`],
        device,
      },
      { name: `relu2_${t}`, layer: { type: 'relu' }, inputs: [`conv2_${t}`], device },
      { name: `lrn2_${t}`, layer: LRN, inputs: [`relu2_${t}`], device },
      { name: `pool2_${t}`, layer: { type: 'maxPool', size: 3, stride: 2 }, inputs: [`lrn2_${t}`], device },
    );
  }
  for (const t of [0, 1]) {
    const device = towers[t]!;
    nodes.push(
      { name: `cat3_${t}`, layer: { type: 'concat' }, inputs: ['pool2_0', 'pool2_1'], device },
      {
        name: `conv3_${t}`,
        layer: { type: 'conv2d', outChannels: 3, kernel: 3, pad: 1 },
        inputs: [`cat3_${t}`],
        device,
      },
      { name: `relu3_${t}`, layer: { type: 'relu' }, inputs: [`conv3_${t}`], device },
    );
  }
  nodes.push(
    { name: 'cat6', layer: { type: 'concat' }, inputs: ['relu3_0', 'relu3_1'] },
    { name: 'drop', layer: { type: 'dropout', p: 0.5 }, inputs: ['cat6'] },
    { name: 'fc', layer: { type: 'linear', outFeatures: CLASSES }, inputs: ['drop'] },
    { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
  );
  if (options.shuffle) nodes.reverse();
  return new Net({ device: t0, inputs: { data: INPUT, labels: [] }, nodes, seed, gradInputs: ['data'] });
}

/** The same network on one device: towers as groups (conv2 groups 2, LRN groups 2), conv3 across both. */
export function groupedNet(device: Device, seed = 7): Net {
  return new Net({
    device,
    seed,
    inputs: { data: INPUT, labels: [] },
    gradInputs: ['data'],
    nodes: [
      { name: 'conv1', layer: { type: 'conv2d', outChannels: 4, kernel: 3, pad: 1 }, inputs: ['data'] },
      { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
      {
        name: 'conv2',
        layer: { type: 'conv2d', outChannels: 8, kernel: 3, pad: 1, groups: 2 },
        inputs: ['relu1'],
      },
      { name: 'relu2', layer: { type: 'relu' }, inputs: ['conv2'] },
      { name: 'lrn2', layer: { ...LRN, groups: 2 }, inputs: ['relu2'] },
      { name: 'pool2', layer: { type: 'maxPool', size: 3, stride: 2 }, inputs: ['lrn2'] },
      { name: 'conv3', layer: { type: 'conv2d', outChannels: 6, kernel: 3, pad: 1 }, inputs: ['pool2'] },
      { name: 'relu3', layer: { type: 'relu' }, inputs: ['conv3'] },
      { name: 'drop', layer: { type: 'dropout', p: 0.5 }, inputs: ['relu3'] },
      { name: 'fc', layer: { type: 'linear', outFeatures: CLASSES }, inputs: ['drop'] },
      { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc', 'labels'] },
    ],
  });
}

/**
 * How the grouped net's parameters are made of the tower net's: each grouped tensor is the towers'
 * tensors stacked along the output channels (tower 0 first).
 */
export const GROUPED_FROM_TOWERS: Readonly<Record<string, readonly string[]>> = {
  'conv1.weight': ['conv1.weight'],
  'conv1.bias': ['conv1.bias'],
  'conv2.weight': ['conv2_0.weight', 'conv2_1.weight'],
  'conv2.bias': ['conv2_0.bias', 'conv2_1.bias'],
  'conv3.weight': ['conv3_0.weight', 'conv3_1.weight'],
  'conv3.bias': ['conv3_0.bias', 'conv3_1.bias'],
  'fc.weight': ['fc.weight'],
  'fc.bias': ['fc.bias'],
};

/** Random parameter values (std 0.5) for every parameter, by name. */
export function randomParams(params: readonly Param[], seed: number): Record<string, Float32Array> {
  const data = new TestData(seed);
  return Object.fromEntries(params.map((p) => [p.name, data.random(p.value.size, 0.5)]));
}

export function writeParams(
  params: readonly Param[],
  values: Readonly<Record<string, ArrayLike<number>>>,
): void {
  for (const p of params) {
    const v = values[p.name];
    if (!v) throw new Error(`no value for ${p.name}`);
    p.value.device.backend.write(p.value.buffer, Float64Array.from(v));
  }
}

/** Concatenates named arrays in order. */
export function stack(
  values: Readonly<Record<string, ArrayLike<number>>>,
  names: readonly string[],
): Float64Array {
  const parts = names.map((n) => Float64Array.from(values[n]!));
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A batch of n random images and labels. */
export function randomBatch(n: number, seed: number): { data: Float32Array; labels: Float32Array } {
  const data = new TestData(seed);
  return { data: data.random(n * 3 * 6 * 6), labels: data.labels(n, CLASSES) };
}
