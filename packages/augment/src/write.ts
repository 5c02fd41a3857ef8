/**
 * One pass from a cached source image to network input: crop, mirror, add the PCA-lighting shift,
 * subtract the mean, scale, and write float32 CHW straight into the caller's buffer (a slot of a
 * shared batch), with no intermediate copies.
 */
import { ArgumentError, ShapeError } from '@alexnet/tensor';
import { checkFinite, checkImage, checkInt, checkVec3, show } from './check.js';
import type { CropParams } from './crop.js';
import { PAPER_CROP } from './draw.js';
import { type Lighting, lightingShift } from './lighting.js';
import type { MeanImage } from './stats.js';

/**
 * What to subtract: a per-pixel mean image of the source's size (a `MeanImage`, or its float32 HWC
 * data alone), cropped and mirrored exactly like the image, or a per-channel mean [r, g, b].
 */
export type Mean = MeanImage | Float32Array | readonly [number, number, number];

export interface WriteCropOptions {
  /** Side of the square crop (default 224). */
  crop?: number;
  /** Subtracted from every pixel (default: nothing). */
  mean?: Mean | null;
  /** PCA lighting: adds lightingShift(alpha, eigenvalues, eigenvectors) to every pixel (default: none). */
  lighting?: Lighting | null;
  /** Multiplies the result (default 1: Caffe's 0–255 units minus the mean). */
  scale?: number;
}

/**
 * Writes the crop at (x, y) of `src` (RGB uint8 HWC, srcWidth × srcHeight), mirrored when `flip`,
 * into `out` as float32 CHW (3 × crop × crop) starting at `outOffset`:
 *
 *   out[outOffset + (c·crop + i)·crop + j] = (src[y+i][x+j′][c] + shift[c] − mean[y+i][x+j′][c]) · scale
 *
 * with j′ = crop − 1 − j when mirrored, else j, shift = Σ αᵢλᵢpᵢ (0 without lighting) and mean the
 * mean image (or per-channel mean). Returns the offset just past what it wrote
 * (outOffset + 3·crop²), where the next image of a batch goes. Nothing else in `out` is touched.
 */
export function writeCrop(
  src: Uint8Array | Uint8ClampedArray,
  srcWidth: number,
  srcHeight: number,
  params: CropParams,
  out: Float32Array,
  outOffset: number,
  options: WriteCropOptions = {},
): number {
  const crop = options.crop ?? PAPER_CROP;
  checkInt('srcWidth', srcWidth, 1);
  checkInt('srcHeight', srcHeight, 1);
  checkInt('crop', crop, 1);
  if (crop > srcWidth || crop > srcHeight)
    throw new ArgumentError(
      `crop ${crop} is larger than the ${srcWidth}×${srcHeight} source (width×height); it must be ≤ ${Math.min(srcWidth, srcHeight)}`,
    );
  checkImage('src', src, srcWidth, srcHeight);
  if (params === null || typeof params !== 'object')
    throw new ArgumentError(`params must be { x, y, flip }, got ${show(params)}`);
  const { x, y, flip } = params;
  checkInt('params.x', x, 0, srcWidth - crop);
  checkInt('params.y', y, 0, srcHeight - crop);
  if (typeof flip !== 'boolean') throw new ArgumentError(`params.flip must be a boolean, got ${show(flip)}`);
  if (!(out instanceof Float32Array)) throw new ArgumentError(`out must be a Float32Array, got ${show(out)}`);
  const plane = crop * crop;
  if (out.length < 3 * plane)
    throw new ShapeError(
      `out has ${out.length} elements; a 3×${crop}×${crop} crop needs ${3 * plane} from outOffset`,
    );
  checkInt('outOffset', outOffset, 0, out.length - 3 * plane);
  const scale = checkFinite('scale', options.scale ?? 1);

  let shift: [number, number, number] = [0, 0, 0];
  const lighting = options.lighting;
  if (lighting !== undefined && lighting !== null) {
    if (typeof lighting !== 'object')
      throw new ArgumentError(`lighting must be { alpha, eigenvalues, eigenvectors }, got ${show(lighting)}`);
    shift = lightingShift(lighting.alpha, lighting.eigenvalues, lighting.eigenvectors);
  }

  // Per-channel constants are folded into the shift; a mean image is read at the source index.
  let meanData: Float32Array | null = null;
  const mean = options.mean;
  if (mean !== undefined && mean !== null) {
    if (mean instanceof Float32Array) meanData = mean;
    else if (Array.isArray(mean) || (typeof mean === 'object' && 'length' in mean)) {
      const m = checkVec3('mean', mean);
      shift = [shift[0] - m[0], shift[1] - m[1], shift[2] - m[2]];
    } else if (typeof mean === 'object' && (mean as MeanImage).data instanceof Float32Array) {
      const image = mean as MeanImage;
      if (image.width !== srcWidth || image.height !== srcHeight)
        throw new ShapeError(
          `the mean image is ${show(image.width)}×${show(image.height)} but the source is ${srcWidth}×${srcHeight}; they must match`,
        );
      meanData = image.data;
    } else
      throw new ArgumentError(
        `mean must be a MeanImage, a Float32Array (HWC) or [r, g, b], got ${show(mean)}`,
      );
    if (meanData !== null && meanData.length !== src.length)
      throw new ShapeError(
        `the mean image has ${meanData.length} values; a ${srcWidth}×${srcHeight} RGB image has ${src.length}`,
      );
  }
  for (let c = 0; c < 3; c++)
    if (!Number.isFinite(shift[c]))
      throw new ArgumentError(`lighting shift minus mean is not finite: ${show(shift)}`);

  const s0 = shift[0];
  const s1 = shift[1];
  const s2 = shift[2];
  const rowStride = srcWidth * 3;
  // Source index of output (i, j = 0) and its step per output column (−3 when mirrored).
  const startCol = flip ? x + crop - 1 : x;
  const step = flip ? -3 : 3;
  let o0 = outOffset;
  let o1 = outOffset + plane;
  let o2 = outOffset + 2 * plane;
  for (let i = 0; i < crop; i++) {
    let s = (y + i) * rowStride + startCol * 3;
    const end = o0 + crop;
    if (meanData === null) {
      if (scale === 1) {
        for (; o0 < end; o0++, o1++, o2++, s += step) {
          out[o0] = src[s]! + s0;
          out[o1] = src[s + 1]! + s1;
          out[o2] = src[s + 2]! + s2;
        }
      } else {
        for (; o0 < end; o0++, o1++, o2++, s += step) {
          out[o0] = (src[s]! + s0) * scale;
          out[o1] = (src[s + 1]! + s1) * scale;
          out[o2] = (src[s + 2]! + s2) * scale;
        }
      }
    } else {
      const m = meanData;
      for (; o0 < end; o0++, o1++, o2++, s += step) {
        out[o0] = (src[s]! + s0 - m[s]!) * scale;
        out[o1] = (src[s + 1]! + s1 - m[s + 1]!) * scale;
        out[o2] = (src[s + 2]! + s2 - m[s + 2]!) * scale;
      }
    }
  }
  return outOffset + 3 * plane;
}
