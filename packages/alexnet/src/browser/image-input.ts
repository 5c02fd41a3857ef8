/**
 * From an image to the network input, as `alexnet predict <file>` prepares it: the image has been
 * decoded to `sourceSize`² RGB (shortest side resized, centre cut — the caller's job: sharp in Node,
 * a canvas in the browser), then its centre crop is mean-subtracted and scaled exactly as the
 * model's training data was. The built-in data's mean is measured here from its own images, as
 * `openData('builtin')` does; a cache's mean image lives in the cache, so it must be passed.
 */
import { centerCrop, type Mean, writeCrop } from '@alexnet/augment';
import { ArgumentError } from '@alexnet/tensor';
import type { AlexNetConfig } from '../config.js';
import { builtinShapes } from '../data/builtin.js';
import { dataSpecOf } from '../data/spec.js';

export interface ImageInput {
  /** Side of the square RGB image `toInput` takes. */
  sourceSize: number;
  /** RGB uint8 HWC, sourceSize² → float32 [3, input, input] (the centre crop, prepared). */
  toInput(rgb: Uint8Array | Uint8ClampedArray): Float32Array;
  /** Where the mean came from, for the page. */
  description: string;
}

export interface CacheMean {
  /** The cache's record side (its images' size before cropping). */
  sourceSize: number;
  /** Its mean image (float32 HWC, sourceSize² × 3) or per-channel mean [r, g, b]. */
  mean: Mean;
}

/**
 * How the model's images are prepared, from its metadata. `cache`: the mean of the cache a model
 * was trained on (required for such models; the built-in data needs nothing).
 */
export function imageInput(
  config: AlexNetConfig,
  metadata: Readonly<Record<string, string>>,
  cache?: CacheMean,
): ImageInput {
  const saved = dataSpecOf(metadata);
  const spec = saved?.spec ?? 'builtin';
  const scale = saved?.scale ?? 1;
  const crop = config.input;
  if (spec === 'builtin') {
    const data = builtinShapes({ ...saved?.builtin, input: crop, scale });
    const sourceSize = data.sourceSize!;
    return {
      sourceSize,
      toInput: (rgb) => data.toInput!(Uint8Array.from(rgb), 'center'),
      description: `built-in shapes: ${sourceSize}² images, centre ${crop}² crop, their mean subtracted, × ${scale}`,
    };
  }
  if (!cache) {
    throw new ArgumentError(
      `this model was trained on the cache ${spec}: its mean image is needed to prepare images (serve it with the model)`,
    );
  }
  const { sourceSize, mean } = cache;
  if (!Number.isSafeInteger(sourceSize) || sourceSize < crop)
    throw new ArgumentError(`the cache's image size must be an integer >= ${crop}, got ${sourceSize}`);
  const position = { ...centerCrop(sourceSize, sourceSize, crop), flip: false };
  return {
    sourceSize,
    toInput(rgb) {
      const out = new Float32Array(3 * crop * crop);
      writeCrop(rgb, sourceSize, sourceSize, position, out, 0, { crop, mean, scale });
      return out;
    },
    description: `cache ${spec}: ${sourceSize}² images, centre ${crop}² crop, its mean subtracted, × ${scale}`,
  };
}
