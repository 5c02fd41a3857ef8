/**
 * Crop positions: random (training), centre and the ten crops of the paper's test-time averaging.
 * A position is the top-left corner (x = column, y = row) of a square crop inside the source; with
 * `flip` the crop is mirrored left–right (output column j reads crop column crop − 1 − j).
 */
import { ArgumentError, PhiloxStream } from '@alexnet/tensor';
import { checkCropSize, show } from './check.js';

/** Top-left corner of a crop: x is the column offset, y the row offset (pixels from the source's top-left). */
export interface CropPosition {
  x: number;
  y: number;
}

/** A crop position and whether the crop is mirrored left–right. */
export interface CropParams extends CropPosition {
  flip: boolean;
}

/**
 * Where `randomCrop` gets its randomness: a `PhiloxStream` (two uniforms are taken from it, x's
 * first) or a function returning uniforms in [0, 1) (called twice, x first).
 */
export type UniformSource = PhiloxStream | (() => number);

function uniformFrom(rng: UniformSource): () => number {
  if (rng instanceof PhiloxStream) return () => rng.uniform(1)[0]!;
  if (typeof rng === 'function')
    return () => {
      const u = rng();
      if (typeof u !== 'number' || !(u >= 0 && u < 1))
        throw new ArgumentError(
          `randomCrop: the uniform source must return a number in [0, 1), got ${show(u)}`,
        );
      return u;
    };
  throw new ArgumentError(
    `randomCrop: rng must be a PhiloxStream or a function returning uniforms in [0, 1), got ${show(rng)}`,
  );
}

/** ⌊u·n⌋ for u in [0, 1): an integer in [0, n) (clamped against rounding up to n). */
export function uniformInt(u: number, n: number): number {
  return Math.min(n - 1, Math.floor(u * n));
}

/**
 * A crop position drawn uniformly over every valid offset: x in 0…srcWidth − crop and y in
 * 0…srcHeight − crop, both inclusive (33 × 33 positions for 224 out of 256).
 */
export function randomCrop(
  rng: UniformSource,
  srcWidth: number,
  srcHeight: number,
  crop: number,
): CropPosition {
  checkCropSize(srcWidth, srcHeight, crop);
  const next = uniformFrom(rng);
  const x = uniformInt(next(), srcWidth - crop + 1);
  const y = uniformInt(next(), srcHeight - crop + 1);
  return { x, y };
}

/**
 * The centre crop: x = ⌊(srcWidth − crop)/2⌋, y = ⌊(srcHeight − crop)/2⌋ (rounded down, as Caffe's
 * test-time crop; 16, 16 for 224 out of 256).
 */
export function centerCrop(srcWidth: number, srcHeight: number, crop: number): CropPosition {
  checkCropSize(srcWidth, srcHeight, crop);
  return { x: Math.floor((srcWidth - crop) / 2), y: Math.floor((srcHeight - crop) / 2) };
}

/** The order of `tenCrops`, by name. */
export const TEN_CROP_NAMES = [
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
  'centre',
  'top-left mirrored',
  'top-right mirrored',
  'bottom-left mirrored',
  'bottom-right mirrored',
  'centre mirrored',
] as const;

/**
 * The paper's ten test crops, in this fixed order (the order an evaluator averages over):
 * 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right, 4 centre (`centerCrop`), then 5–9 the
 * same five positions mirrored (`flip: true`). Corners touch the source's edges: top-right is
 * x = srcWidth − crop, y = 0.
 */
export function tenCrops(srcWidth: number, srcHeight: number, crop: number): CropParams[] {
  const centre = centerCrop(srcWidth, srcHeight, crop);
  const right = srcWidth - crop;
  const bottom = srcHeight - crop;
  const five: CropPosition[] = [
    { x: 0, y: 0 },
    { x: right, y: 0 },
    { x: 0, y: bottom },
    { x: right, y: bottom },
    centre,
  ];
  return [...five.map((p) => ({ ...p, flip: false })), ...five.map((p) => ({ ...p, flip: true }))];
}
