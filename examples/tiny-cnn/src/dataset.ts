/**
 * A built-in image dataset, generated deterministically from a seed (no download, no files), so the
 * example runs anywhere in seconds and always sees the same data.
 *
 * Four classes of small RGB images, each a pattern painted in a random colour over a random
 * background tint, plus Gaussian pixel noise:
 *   0  horizontal stripes  sin(2π·f·y + φ)
 *   1  vertical stripes    sin(2π·f·x + φ)
 *   2  diagonal stripes    sin(2π·f·(x ± y)/√2 + φ), either diagonal
 *   3  centred blob        a bright or dark Gaussian blob near the centre, random radius
 * Frequency, phase, contrast, colour, tint, blob position and radius are all random, and the noise
 * (σ = 0.5 by default) is comparable to the pattern's amplitude, so a single pixel says little:
 * the network has to learn oriented filters, which is the point of the exercise.
 *
 * Every random number comes from the Philox stream of `@alexnet/tensor`, in a fixed order, so the
 * same (seed, split, count, size, noise) gives the same images bit for bit on every machine.
 */
import { PhiloxStream } from '@alexnet/tensor';
import { STREAM_OFFSET } from './streams.js';

export const CLASS_NAMES = [
  'horizontal stripes',
  'vertical stripes',
  'diagonal stripes',
  'centred blob',
] as const;
export const NUM_CLASSES = CLASS_NAMES.length;
export const CHANNELS = 3;

export type Split = 'train' | 'test';

/** The two splits draw from far-apart parts of the same Philox stream, so they never share an image. */
const SPLIT_OFFSET: Readonly<Record<Split, number>> = {
  train: STREAM_OFFSET.trainData,
  test: STREAM_OFFSET.testData,
};

export interface DatasetOptions {
  /** Number of images; a multiple of 4 keeps the classes exactly balanced (otherwise they differ by at most 1). */
  count: number;
  seed: number;
  split?: Split;
  /** Image side in pixels (default 16). */
  size?: number;
  /** Standard deviation of the additive pixel noise (default 0.5). */
  noise?: number;
}

/** Images [count, 3, size, size] (NCHW, float32) and labels (class indices stored as floats, as the kernels want). */
export interface Dataset {
  readonly images: Float32Array;
  readonly labels: Float32Array;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classes: number;
}

function checkInt(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`dataset: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Generates one split of the built-in dataset. */
export function generateDataset(options: DatasetOptions): Dataset {
  const { count, seed } = options;
  const split = options.split ?? 'train';
  const size = options.size ?? 16;
  const noise = options.noise ?? 0.5;
  checkInt(count, 'count', 1);
  checkInt(seed, 'seed', 0);
  checkInt(size, 'size', 4);
  if (!Number.isFinite(noise) || noise < 0) throw new RangeError(`dataset: noise must be ≥ 0, got ${noise}`);

  const rng = new PhiloxStream(seed, SPLIT_OFFSET[split]);
  const plane = size * size;
  const images = new Float32Array(count * CHANNELS * plane);
  const labels = new Float32Array(count);

  // Exactly balanced labels (i mod 4), shuffled with Fisher–Yates.
  for (let i = 0; i < count; i++) labels[i] = i % NUM_CLASSES;
  const swaps = rng.uniform(count);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(swaps[i]! * (i + 1));
    const t = labels[i]!;
    labels[i] = labels[j]!;
    labels[j] = t;
  }

  const centre = (size - 1) / 2;
  const pattern = new Float64Array(plane);
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    // A fixed number of draws per image keeps the stream layout independent of the class.
    const u = rng.uniform(12);
    const freq = 0.1 + 0.2 * u[0]!; // cycles per pixel: periods of 3.3 to 10 pixels
    const phase = 2 * Math.PI * u[1]!;
    const diagonal = u[2]! < 0.5 ? 1 : -1;
    const contrast = 0.4 + 0.6 * u[3]!;
    const blobX = centre + (u[4]! - 0.5) * 0.25 * size;
    const blobY = centre + (u[5]! - 0.5) * 0.25 * size;
    const blobSigma = (0.12 + 0.13 * u[6]!) * size;
    const blobSign = u[7]! < 0.5 ? 1 : -1;
    const signBits = Math.floor(u[11]! * 8); // one random sign per channel
    const colour = [0, 1, 2].map((c) => (0.3 + 0.7 * u[8 + c]!) * ((signBits >> c) & 1 ? -1 : 1));
    const tint = rng.uniform(3);
    const pixelNoise = rng.normal(CHANNELS * plane, 0, noise);

    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let p: number;
        switch (label) {
          case 0:
            p = Math.sin(2 * Math.PI * freq * y + phase);
            break;
          case 1:
            p = Math.sin(2 * Math.PI * freq * x + phase);
            break;
          case 2:
            p = Math.sin((2 * Math.PI * freq * (x + diagonal * y)) / Math.SQRT2 + phase);
            break;
          default: {
            const r2 = (x - blobX) ** 2 + (y - blobY) ** 2;
            p = blobSign * (2 * Math.exp(-r2 / (2 * blobSigma * blobSigma)) - 1);
          }
        }
        pattern[y * size + x] = p;
      }
    }
    const base = i * CHANNELS * plane;
    for (let c = 0; c < CHANNELS; c++) {
      const amp = contrast * colour[c]!;
      const offset = 0.6 * (tint[c]! - 0.5);
      for (let k = 0; k < plane; k++) {
        images[base + c * plane + k] = offset + amp * pattern[k]! + pixelNoise[c * plane + k]!;
      }
    }
  }
  return { images, labels, count, channels: CHANNELS, height: size, width: size, classes: NUM_CLASSES };
}

/** How many images of each class a label array holds. */
export function classCounts(labels: Float32Array, classes = NUM_CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}
