/**
 * The bytes a network's tensors need in theory, from the Net's own node summary (shapes and
 * parameter counts): parameters, their gradients, the momentum, every activation and its gradient at
 * a batch size, and the cross-device copies of the two-device layout. Float32: 4 bytes a value.
 */
import type { NodeSummary } from '@alexnet/layers';

export interface TheoreticalBytes {
  /** Weights and biases. */
  params: number;
  /** One gradient per parameter (training; the Net allocates them for inference too, not counted there). */
  paramGrads: number;
  /** Sgd's momentum: one buffer per parameter (training only). */
  momentum: number;
  /** The network's inputs (images and labels) as the Net holds them. */
  inputs: number;
  /** Every node's outputs at the batch size. */
  activations: number;
  /** The gradient of every node output that backward fills (training only). */
  activationGrads: number;
  /** Two devices: copies of values a node reads on the other device (and their gradients when training). */
  replicas: number;
  /** What the phase needs: inference = params + inputs + activations + replicas; training adds the gradients and momentum. */
  total: number;
  /** What the sum leaves out. */
  notCounted: string;
}

const F32 = 4;
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Per-example sizes of the net's inputs (as `createAlexNet` declares them: data [3, s, s], labels []). */
export function theoreticalBytes(
  summary: readonly NodeSummary[],
  inputShapes: Readonly<Record<string, readonly number[]>>,
  batch: number,
  phase: 'inference' | 'training',
): TheoreticalBytes {
  const training = phase === 'training';
  const params = summary.reduce((s, n) => s + n.params, 0) * F32;
  const inputs = Object.values(inputShapes).reduce((s, shape) => s + size(shape), 0) * batch * F32;
  let activations = 0;
  let activationGrads = 0;
  const producer = new Map<string, { device: string; elements: number }>();
  for (const node of summary) {
    node.outputShapes.forEach((shape, i) => {
      const elements = size(shape) * batch;
      activations += elements * F32;
      // A loss node's outputs (the loss, the probabilities) take no gradient; everything else does.
      if (node.type !== 'softmaxCrossEntropy') activationGrads += elements * F32;
      producer.set(i === 0 ? node.name : `${node.name}:${i}`, { device: node.device, elements });
    });
  }
  const inputElements = new Map(Object.entries(inputShapes).map(([k, s]) => [k, size(s) * batch]));
  let replicas = 0;
  const seen = new Set<string>();
  for (const node of summary) {
    for (const ref of node.inputs) {
      const p = producer.get(ref);
      // Network inputs live on the net's default device (the first node's).
      const from = p?.device ?? summary[0]!.device;
      const elements = p?.elements ?? inputElements.get(ref.split(':')[0]!) ?? 0;
      const key = `${ref}@${node.device}`;
      if (from === node.device || seen.has(key)) continue;
      seen.add(key);
      replicas += elements * F32 * (training && p !== undefined ? 2 : 1);
    }
  }
  const paramGrads = training ? params : 0;
  const momentum = training ? params : 0;
  const grads = training ? activationGrads : 0;
  return {
    params,
    paramGrads,
    momentum,
    inputs,
    activations,
    activationGrads: grads,
    replicas,
    total: params + paramGrads + momentum + inputs + activations + grads + replicas,
    notCounted:
      "layer scratch (LRN's scale, dropout masks, the loss's gradient buffer), the C library's per-thread " +
      'im2col/packing scratch, the JS copy of the input batch, the gradient-staging buffers of the two-device ' +
      'layout, Node/V8 and the loaded libraries (see baselineRssBytes); for inference the parameter gradients ' +
      'the Net allocates anyway are not counted',
  };
}
