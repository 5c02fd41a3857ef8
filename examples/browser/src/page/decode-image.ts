/**
 * An image file → `size`² RGB uint8, as @alexnet/imagenet's decodeImage does with sharp: EXIF
 * orientation applied, transparency flattened onto white, the shortest side scaled to `size` and the
 * centre square kept ("cover"). The resampling differs: the canvas's 'high' quality filter instead
 * of sharp's Lanczos-3, so a resized image differs by a few levels per pixel; an image already
 * `size`² is copied exactly (no resampling on either side).
 */
export interface DecodedImage {
  rgb: Uint8Array;
  /** The size² picture, for showing. */
  canvas: HTMLCanvasElement;
  /** The file's own size. */
  width: number;
  height: number;
}

export async function decodeImageFile(file: Blob, size: number): Promise<DecodedImage> {
  const bitmap = await createImageBitmap(file, {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
    imageOrientation: 'from-image',
  });
  const { width, height } = bitmap;
  const side = Math.min(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!ctx) throw new Error('no 2D canvas');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const rgb = new Uint8Array(size * size * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return { rgb, canvas, width, height };
}
