/**
 * Decoding one image into a cache record with sharp (libvips): the paper's preprocessing —
 * shortest side → `size`, centre crop `size`×`size` — as RGB uint8 in HWC order.
 */
import sharp from 'sharp';

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';
export type FailOn = 'none' | 'truncated' | 'error' | 'warning';

export interface DecodeSettings {
  /** Side of the square record (256 as in the paper). */
  size: number;
  /**
   * Background an alpha channel is flattened onto, [r, g, b] in 0–255. Default white: a transparent
   * PNG is shown on white by browsers and viewers, which is what its author saw.
   */
  background: [number, number, number];
  /** sharp's resampling kernel (default 'lanczos3', sharp's own default). */
  kernel: ResizeKernel;
  /**
   * How strict decoding is (sharp's `failOn`). Default 'truncated': truncated files are rejected
   * (and reported), but JPEGs with harmless libjpeg warnings (a few real ImageNet files have
   * "extraneous bytes before marker") are kept, as PIL/Caffe keep them.
   */
  failOn: FailOn;
}

export const DEFAULT_DECODE: DecodeSettings = {
  size: 256,
  background: [255, 255, 255],
  kernel: 'lanczos3',
  failOn: 'truncated',
};

/**
 * Decodes an image file (or its bytes) into `size`×`size`×3 RGB uint8, HWC: EXIF orientation
 * applied, alpha flattened onto `background`, CMYK/greyscale/16-bit converted to 8-bit sRGB, the
 * shortest side scaled to `size` and the centre `size`×`size` cut out (sharp's `fit: 'cover'`).
 * The format is sniffed from the bytes, so a PNG named `.JPEG` decodes. Rejects (throws) empty,
 * truncated and non-image inputs.
 */
export async function decodeImage(input: string | Uint8Array, settings: DecodeSettings): Promise<Uint8Array> {
  const { size, background, kernel, failOn } = settings;
  if (typeof input !== 'string' && input.length === 0) throw new Error('empty file');
  const [r, g, b] = background;
  const { data, info } = await sharp(input, { failOn })
    .autoOrient()
    .flatten({ background: { r, g, b } })
    .resize(size, size, { fit: 'cover', position: 'centre', kernel })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3)
    throw new Error(
      `decoded to ${info.width}×${info.height}×${info.channels} instead of ${size}×${size}×3 (sharp ${sharp.versions.sharp})`,
    );
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** A short reason for a decode failure: the first line of sharp's message, or "empty file". */
export function failureReason(error: unknown, bytes?: number): string {
  if (bytes === 0) return 'empty file';
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0]!.trim();
  if (/unsupported image format/i.test(first)) return `not a decodable image (${first})`;
  return first;
}
