/**
 * The random part of the paper's training augmentation — crop position, mirror, PCA-lighting
 * coefficients — as a pure function of (seed, epoch, index), drawn from Philox4x32-10 (the
 * counter-based generator of `@alexnet/tensor`). Any worker can augment any image in any order and
 * get the same result, and a resumed run needs no RNG state beyond the seed.
 *
 * Counter layout (documented because other implementations may want to reproduce it):
 *
 *   key     = [seed mod 2³², ⌊seed / 2³²⌋]
 *   counter = [index, epoch, block, 0x41756731]      ('Aug1'; each word a u32)
 *
 *   block 0 → u0: crop x = ⌊u0 · (srcWidth − crop + 1) / 2³²⌋
 *             u1: crop y = ⌊u1 · (srcHeight − crop + 1) / 2³²⌋
 *             u2: flip   = top bit of u2 (probability exactly ½; false when `flip` is off)
 *             u3: unused
 *   block 1 → Box–Muller, as `philoxNormal`: with a(v) = ((v >>> 8) + 1) · 2⁻²⁴ in (0, 1] and
 *             b(v) = (v >>> 8) · 2⁻²⁴ in [0, 1), r = √(−2 ln a(u0)), r′ = √(−2 ln a(u2)):
 *             α0 = std · r·cos(2π b(u1)), α1 = std · r·sin(2π b(u1)), α2 = std · r′·cos(2π b(u3))
 *
 * The last counter word is never 0 here, while a `PhiloxStream` (dropout masks, initialisation)
 * always uses counters [block, block / 2³², 0, 0]: an augmentation draw never reuses values of any
 * `PhiloxStream`, even one with the same seed. Each image's draw is independent of the others
 * (distinct counters), and the crop's integer mapping is multiply-shift, whose bias is at most
 * (range / 2³²) — below 10⁻⁸ for ImageNet's 33 positions.
 */
import { ArgumentError, philox4x32 } from '@alexnet/tensor';
import { checkCropSize, checkInt, show } from './check.js';
import type { CropParams } from './crop.js';

/** The last counter word of every augmentation draw ('Aug1' in ASCII). */
export const AUGMENT_COUNTER_TAG = 0x41756731;

/** The paper's standard deviation of the PCA-lighting coefficients αᵢ. */
export const PAPER_LIGHTING_STD = 0.1;

/** The paper's crop size (224 out of 256). */
export const PAPER_CROP = 224;

export interface AugmentationRequest {
  /** Seed of the run: an integer in [0, 2⁵³). */
  seed: number;
  /** Epoch (presentation) number, an integer in [0, 2³²): each epoch draws afresh. */
  epoch: number;
  /** Index of the image in the dataset, an integer in [0, 2³²). */
  index: number;
  srcWidth: number;
  srcHeight: number;
  /** Side of the square crop (default 224). */
  crop?: number;
  /** Mirror with probability ½ (default true). */
  flip?: boolean;
  /** Standard deviation of the αᵢ (default 0.1, the paper's); 0 gives α = [0, 0, 0]. */
  lightingStd?: number;
}

/** What to do to one image: crop at (x, y), mirror or not, and the PCA-lighting coefficients α. */
export interface Augmentation extends CropParams {
  alpha: [number, number, number];
}

const TWO32 = 0x1_0000_0000;
const TWO_M24 = 2 ** -24;

/** ⌊v · n / 2³²⌋ for a u32 v: an integer in [0, n) (exact for n < 2²¹; clamped beyond). */
function scaleU32(v: number, n: number): number {
  return Math.min(n - 1, Math.floor((v * n) / TWO32));
}

/** Draws the augmentation of image `index` in epoch `epoch` of run `seed` (see the file comment). */
export function drawAugmentation(request: AugmentationRequest): Augmentation {
  if (request === null || typeof request !== 'object')
    throw new ArgumentError(`drawAugmentation needs a request object, got ${show(request)}`);
  const { seed, epoch, index, srcWidth, srcHeight } = request;
  const crop = request.crop ?? PAPER_CROP;
  const flip = request.flip ?? true;
  const std = request.lightingStd ?? PAPER_LIGHTING_STD;
  checkInt('seed', seed, 0);
  checkInt('epoch', epoch, 0, TWO32 - 1);
  checkInt('index', index, 0, TWO32 - 1);
  checkCropSize(srcWidth, srcHeight, crop);
  if (typeof flip !== 'boolean') throw new ArgumentError(`flip must be a boolean, got ${show(flip)}`);
  if (typeof std !== 'number' || !Number.isFinite(std) || std < 0)
    throw new ArgumentError(`lightingStd must be a finite number ≥ 0, got ${show(std)}`);

  const key = [seed % TWO32, Math.floor(seed / TWO32)];
  const counter = [index, epoch, 0, AUGMENT_COUNTER_TAG];
  const u = philox4x32(counter, key);
  const x = scaleU32(u[0]!, srcWidth - crop + 1);
  const y = scaleU32(u[1]!, srcHeight - crop + 1);
  const mirrored = flip && u[2]! >>> 31 === 1;

  let alpha: [number, number, number] = [0, 0, 0];
  if (std > 0) {
    counter[2] = 1;
    philox4x32(counter, key, u);
    const r0 = Math.sqrt(-2 * Math.log(((u[0]! >>> 8) + 1) * TWO_M24));
    const t0 = 2 * Math.PI * (u[1]! >>> 8) * TWO_M24;
    const r1 = Math.sqrt(-2 * Math.log(((u[2]! >>> 8) + 1) * TWO_M24));
    const t1 = 2 * Math.PI * (u[3]! >>> 8) * TWO_M24;
    alpha = [std * r0 * Math.cos(t0), std * r0 * Math.sin(t0), std * r1 * Math.cos(t1)];
  }
  return { x, y, flip: mirrored, alpha };
}
