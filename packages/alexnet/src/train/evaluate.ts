/**
 * The paper's test metrics over a split: mean cross-entropy, top-1 and top-5 error, from the centre
 * crop or from 10 crops (4 corners + centre and their mirrors, softmax probabilities averaged, §4.1).
 */
import { type Net, topKCorrect } from '@alexnet/layers';
import { ArgumentError } from '@alexnet/tensor';
import type { DataSplit } from '../data/source.js';

export interface EvalOptions {
  /** 'center' (default) or 'tenCrop'. */
  mode?: 'center' | 'tenCrop';
  /** Images per forward pass (default 64; 10-crop forwards 10× as many inputs). */
  batchSize?: number;
  /** Stop after this many images (default: the whole split). */
  limit?: number;
  /** Called after each batch with images done so far. */
  onBatch?: (done: number, total: number) => void;
}

export interface EvalResult {
  images: number;
  loss: number;
  top1Error: number;
  top5Error: number;
  mode: 'center' | 'tenCrop';
}

/** The k of "top-5": min(5, classes), so a 3-class problem reports top-3. */
export function topK(classes: number): number {
  return Math.min(5, classes);
}

/** Mean over crops of each image's probabilities: probs [n·crops, classes] → [n, classes]. */
export function averageCrops(probs: Float32Array, n: number, crops: number, classes: number): Float32Array {
  if (probs.length < n * crops * classes)
    throw new ArgumentError(`averageCrops: ${probs.length} probabilities for ${n}×${crops}×${classes}`);
  if (crops === 1) return probs.subarray(0, n * classes);
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < crops; c++) {
      const row = (i * crops + c) * classes;
      for (let j = 0; j < classes; j++) out[i * classes + j]! += probs[row + j]!;
    }
    for (let j = 0; j < classes; j++) out[i * classes + j]! /= crops;
  }
  return out;
}

/** Evaluates `net` (inputs 'data' and 'labels', probabilities at 'loss:probs') on `split`. */
export async function evaluate(
  net: Net,
  split: DataSplit,
  classes: number,
  options: EvalOptions = {},
): Promise<EvalResult> {
  const mode = options.mode ?? 'center';
  const batchSize = options.batchSize ?? 64;
  const total = Math.min(split.size, options.limit ?? split.size);
  if (total < 1) throw new ArgumentError('evaluate: the split has no images');
  const crops = mode === 'tenCrop' ? 10 : 1;
  const k = topK(classes);
  let images = 0;
  let lossSum = 0;
  let correct1 = 0;
  let correctK = 0;
  for await (const batch of split.batches({ batchSize, mode, seed: 0, epoch: 0, shuffle: false })) {
    const n = Math.min(batch.count, total - images);
    if (n <= 0) break;
    const labels = new Float32Array(n * crops);
    for (let i = 0; i < n; i++) labels.fill(batch.labels[i]!, i * crops, (i + 1) * crops);
    const inputs = n * crops;
    const perInput = batch.images.length / (batch.count * crops);
    await net.forward({ data: batch.images.subarray(0, inputs * perInput), labels });
    const probs = averageCrops(await net.read('loss:probs'), n, crops, classes);
    const truth = batch.labels.subarray(0, n);
    for (let i = 0; i < n; i++) lossSum += -Math.log(Math.max(probs[i * classes + truth[i]!]!, 1e-30));
    const [c1, ck] = topKCorrect(probs, truth, classes, [1, k]);
    correct1 += c1!;
    correctK += ck!;
    images += n;
    options.onBatch?.(images, total);
    if (images >= total) break;
  }
  return {
    images,
    loss: lossSum / images,
    top1Error: 1 - correct1 / images,
    top5Error: 1 - correctK / images,
    mode,
  };
}
