/** Test fixtures: small datasets written with sharp into temporary folders. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** A temporary folder, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `alexnet-imagenet-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pixels: channel c of pixel (x, y) from a seed (smooth enough to survive JPEG). */
export function pattern(width: number, height: number, channels: number, seed = 1): Buffer {
  const b = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        b[(y * width + x) * channels + c] = (seed * 53 + x * (3 + c) + y * (5 - c) + c * 70) & 255;
  return b;
}

/** Four solid quadrants (red, green / blue, white): orientation is obvious, JPEG keeps it well. */
export function quadrants(width: number, height: number): Buffer {
  const b = Buffer.alloc(width * height * 3);
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      b.set(colours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!, (y * width + x) * 3);
  return b;
}

/** A solid-colour image (raw). */
export function solid(width: number, height: number, rgb: number[]): Buffer {
  const b = Buffer.alloc(width * height * rgb.length);
  for (let i = 0; i < width * height; i++)
    for (let c = 0; c < rgb.length; c++) b[i * rgb.length + c] = rgb[c]!;
  return b;
}

export const raw = (data: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4) =>
  sharp(data, { raw: { width, height, channels } });

function ensureDir(file: string): void {
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true });
}

/** Writes an RGB JPEG (quality 95) of a pattern. */
export async function writeJpeg(file: string, width: number, height: number, seed = 1): Promise<void> {
  ensureDir(file);
  await raw(pattern(width, height, 3, seed), width, height, 3)
    .jpeg({ quality: 95 })
    .toFile(file);
}

/** Writes a lossless PNG of a pattern. */
export async function writePng(file: string, width: number, height: number, seed = 1): Promise<void> {
  ensureDir(file);
  await raw(pattern(width, height, 3, seed), width, height, 3)
    .png()
    .toFile(file);
}

/**
 * The unusual-but-valid and the undecodable files of the brief, in `dir`. Returns the file names
 * that must decode and those that must be skipped.
 */
export async function writeOddImages(dir: string): Promise<{ good: string[]; bad: string[] }> {
  mkdirSync(dir, { recursive: true });
  const p = (n: string) => join(dir, n);
  await raw(pattern(40, 30, 1), 40, 30, 1)
    .toColourspace('b-w')
    .jpeg()
    .toFile(p('grey.JPEG'));
  await raw(pattern(40, 30, 3), 40, 30, 3)
    .toColourspace('cmyk')
    .jpeg()
    .toFile(p('cmyk.JPEG'));
  // RGBA: left half opaque red, right half fully transparent (its colour must not leak).
  const rgba = Buffer.alloc(40 * 30 * 4);
  for (let y = 0; y < 30; y++)
    for (let x = 0; x < 40; x++) rgba.set(x < 20 ? [255, 0, 0, 255] : [0, 0, 255, 0], (y * 40 + x) * 4);
  await raw(rgba, 40, 30, 4).png().toFile(p('rgba.png'));
  await raw(pattern(40, 30, 3), 40, 30, 3)
    .toColourspace('rgb16')
    .png()
    .toFile(p('deep16.png'));
  await raw(pattern(40, 30, 3), 40, 30, 3)
    .png()
    .toFile(p('png-inside.JPEG'));
  await raw(solid(1, 1, [10, 200, 30]), 1, 1, 3)
    .png()
    .toFile(p('one-pixel.png'));
  await raw(pattern(1000, 3, 3), 1000, 3, 3)
    .jpeg()
    .toFile(p('wide.jpeg'));
  await raw(quadrants(40, 30), 40, 30, 3)
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toFile(p('exif-rotated.jpg'));
  writeFileSync(p('empty.JPEG'), '');
  const full = await raw(pattern(300, 200, 3), 300, 200, 3)
    .jpeg()
    .toBuffer();
  writeFileSync(p('truncated.JPEG'), full.subarray(0, full.length >> 1));
  writeFileSync(p('text.JPEG'), 'this is not an image\n');
  return {
    good: [
      'cmyk.JPEG',
      'deep16.png',
      'exif-rotated.jpg',
      'grey.JPEG',
      'one-pixel.png',
      'png-inside.JPEG',
      'rgba.png',
      'wide.jpeg',
    ],
    bad: ['empty.JPEG', 'text.JPEG', 'truncated.JPEG'],
  };
}

/** Fills a Float32Array with NaN (poison before a call that must overwrite every element). */
export function poison(a: Float32Array): Float32Array {
  return a.fill(Number.NaN);
}
