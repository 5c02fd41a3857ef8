/**
 * The paper's Figure 4 (right): the last hidden layer's activations (the 4096-d input of fc8) of a
 * split's images, and the training images nearest a query in that space (Euclidean distance).
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError } from '@alexnet/tensor';
import type { DataSplit } from '../data/source.js';
import { readSafetensors, writeSafetensors } from '../train/safetensors.js';

/** The node whose value is the input of fc8: `drop7` on one device, `concat8` on two. */
export function featureNode(net: Net): string {
  const names = new Set(net.summary().map((n) => n.name));
  if (names.has('concat8')) return 'concat8';
  if (names.has('drop7')) return 'drop7';
  throw new ArgumentError('featureNode: the network has neither a concat8 nor a drop7 node');
}

export interface Features {
  /** n × dim, row-major. */
  features: Float32Array;
  labels: Int32Array;
  /** Position of each image in its split. */
  indices: Int32Array;
  n: number;
  dim: number;
  /** The node read. */
  layer: string;
}

/** The fc8 inputs of the first `limit` images of `split` (centre crops, in split order). */
export async function computeFeatures(
  net: Net,
  split: DataSplit,
  options: { limit?: number; batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<Features> {
  const layer = featureNode(net);
  const total = Math.min(split.size, options.limit ?? split.size);
  if (total < 1) throw new ArgumentError('computeFeatures: no images');
  const batchSize = options.batchSize ?? 64;
  const labels = new Int32Array(total);
  const indices = new Int32Array(total);
  let features: Float32Array | undefined;
  let dim = 0;
  let done = 0;
  for await (const batch of split.batches({ batchSize, mode: 'center', seed: 0, epoch: 0, shuffle: false })) {
    const n = Math.min(batch.count, total - done);
    if (n <= 0) break;
    const per = batch.images.length / batch.count;
    await net.forward({ data: batch.images.subarray(0, n * per) }, { outputs: [layer] });
    const values = await net.read(layer);
    if (!features) {
      dim = values.length / n;
      features = new Float32Array(total * dim);
    }
    features.set(values.subarray(0, n * dim), done * dim);
    labels.set(batch.labels.subarray(0, n), done);
    indices.set(batch.indices.subarray(0, n), done);
    done += n;
    options.onBatch?.(done, total);
    if (done >= total) break;
  }
  if (!features || done < total) throw new ArgumentError(`computeFeatures: the split gave ${done} images`);
  return { features, labels, indices, n: total, dim, layer };
}

/** Writes features as safetensors: `features` F32 [n, dim], `labels` and `indices` I32 [n]. */
export function writeFeatures(
  path: string,
  f: Features,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeSafetensors(
    path,
    new Map([
      ['features', { shape: [f.n, f.dim], data: f.features }],
      ['labels', { shape: [f.n], data: f.labels }],
      ['indices', { shape: [f.n], data: f.indices }],
    ]),
    { layer: f.layer, ...metadata },
  );
}

/** Reads what `writeFeatures` wrote, with its metadata. */
export function readFeatures(path: string): Features & { metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(path);
  const features = tensors.get('features');
  const labels = tensors.get('labels');
  const indices = tensors.get('indices');
  if (
    !features ||
    !(features.data instanceof Float32Array) ||
    features.shape.length !== 2 ||
    !(labels?.data instanceof Int32Array) ||
    !(indices?.data instanceof Int32Array) ||
    labels.data.length !== features.shape[0] ||
    indices.data.length !== features.shape[0]
  ) {
    throw new ArgumentError(
      `${path}: not a features file (features F32 [n, d], labels and indices I32 [n] expected)`,
    );
  }
  return {
    features: features.data,
    labels: labels.data,
    indices: indices.data,
    n: features.shape[0]!,
    dim: features.shape[1]!,
    layer: metadata.layer ?? '',
    metadata,
  };
}

export interface Neighbour {
  /** Row in the base set. */
  row: number;
  distance: number;
}

/**
 * For each of the `queries` rows (dim floats each), the `k` rows of `base` nearest in Euclidean
 * distance, nearest first (ties: the lower row first).
 */
export function nearestNeighbours(
  queries: Float32Array,
  base: Float32Array,
  dim: number,
  k: number,
): Neighbour[][] {
  if (!Number.isSafeInteger(dim) || dim < 1 || queries.length % dim !== 0 || base.length % dim !== 0) {
    throw new ArgumentError(
      `nearestNeighbours: ${queries.length} and ${base.length} values are not rows of ${dim}`,
    );
  }
  const nq = queries.length / dim;
  const nb = base.length / dim;
  const out: Neighbour[][] = [];
  for (let q = 0; q < nq; q++) {
    const dist: Neighbour[] = [];
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const d = queries[q * dim + j]! - base[b * dim + j]!;
        s += d * d;
      }
      dist.push({ row: b, distance: Math.sqrt(s) });
    }
    dist.sort((x, y) => x.distance - y.distance || x.row - y.row);
    out.push(dist.slice(0, k));
  }
  return out;
}
