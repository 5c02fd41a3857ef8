/**
 * The paper's Figure 4 as PNGs: validation images with their top-5 classes as bars (left), and
 * query images each followed by their nearest training images in feature space (right). Images are
 * shown as the centre crop the network saw, as RGB; text is an SVG overlay composited by sharp.
 */
import { centerCrop } from '@alexnet/augment';
import { ArgumentError } from '@alexnet/tensor';
import sharp, { type OverlayOptions } from 'sharp';
import type { DataSplit } from '../data/source.js';

/** An RGB picture, row-major, width × height × 3. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** The mean that is added back when only mean-subtracted inputs are available (ImageNet's RGB mean). */
export const DISPLAY_MEAN: readonly [number, number, number] = [123.68, 116.78, 103.94];

/** The centre `crop`×`crop` of a square RGB image of side `size`. */
export function centreCropRgb(rgb: Uint8Array, size: number, crop: number): RgbImage {
  const { x, y } = centerCrop(size, size, crop);
  const out = new Uint8Array(crop * crop * 3);
  for (let r = 0; r < crop; r++) {
    out.set(rgb.subarray(((y + r) * size + x) * 3, ((y + r) * size + x + crop) * 3), r * crop * 3);
  }
  return { width: crop, height: crop, rgb: out };
}

/** A network input (CHW, mean subtracted, × scale) back to RGB: x / scale + mean, clamped. */
export function denormalise(
  input: Float32Array,
  side: number,
  scale = 1,
  mean: readonly number[] = DISPLAY_MEAN,
): RgbImage {
  const area = side * side;
  const rgb = new Uint8Array(area * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < area; p++) {
      rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round(input[c * area + p]! / scale + mean[c]!)));
    }
  }
  return { width: side, height: side, rgb };
}

/**
 * The centre crops of the split images at `indices` as RGB: cut from the source pixels when the
 * split exposes them (the built-in data's `image(index)`), else the centre-crop inputs denormalised.
 */
export async function splitCrops(
  split: DataSplit,
  indices: readonly number[],
  options: { input: number; sourceSize?: number; scale?: number },
): Promise<Map<number, RgbImage>> {
  const out = new Map<number, RgbImage>();
  const source = (split as { image?: (index: number) => Uint8Array }).image;
  if (typeof source === 'function' && options.sourceSize) {
    for (const i of indices)
      out.set(i, centreCropRgb(source.call(split, i), options.sourceSize, options.input));
    return out;
  }
  const wanted = new Set(indices);
  const per = 3 * options.input * options.input;
  for await (const batch of split.batches({
    batchSize: 32,
    mode: 'center',
    seed: 0,
    epoch: 0,
    shuffle: false,
  })) {
    for (let i = 0; i < batch.count; i++) {
      const index = batch.indices[i]!;
      if (!wanted.has(index)) continue;
      out.set(
        index,
        denormalise(batch.images.subarray(i * per, (i + 1) * per), options.input, options.scale),
      );
    }
    if (out.size >= wanted.size) break;
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Pixels around and between cells, and the extra separator after each row's query. */
export const GRID_MARGIN = 2;
export const QUERY_SEPARATOR = 6;
const BACKGROUND = { r: 255, g: 255, b: 255 };

/** Size of the neighbours grid: `rows` rows of a query and `k` neighbours, cells of `cell` pixels. */
export function neighbourGridSize(rows: number, k: number, cell: number): { width: number; height: number } {
  return {
    width: GRID_MARGIN + (1 + k) * (cell + GRID_MARGIN) + QUERY_SEPARATOR,
    height: GRID_MARGIN + rows * (cell + GRID_MARGIN),
  };
}

async function rawPng(image: RgbImage): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Each row: the query, a thin grey separator, then its neighbours (all images `cell`×`cell`). */
export async function neighboursPng(rows: readonly (readonly RgbImage[])[]): Promise<{
  png: Buffer;
  width: number;
  height: number;
}> {
  if (rows.length === 0 || rows[0]!.length === 0) throw new ArgumentError('neighboursPng: no images');
  const cell = rows[0]![0]!.width;
  const k = Math.max(...rows.map((r) => r.length)) - 1;
  const { width, height } = neighbourGridSize(rows.length, k, cell);
  const composites: OverlayOptions[] = [];
  const separator = await sharp({
    create: { width: 2, height: cell, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .png()
    .toBuffer();
  for (const [r, row] of rows.entries()) {
    const top = GRID_MARGIN + r * (cell + GRID_MARGIN);
    for (const [c, image] of row.entries()) {
      if (image.width !== cell || image.height !== cell)
        throw new ArgumentError(`neighboursPng: images must all be ${cell}×${cell}`);
      const left = GRID_MARGIN + c * (cell + GRID_MARGIN) + (c > 0 ? QUERY_SEPARATOR : 0);
      composites.push({ input: await rawPng(image), left, top });
    }
    const sepLeft = GRID_MARGIN + cell + GRID_MARGIN + Math.floor((QUERY_SEPARATOR - 2) / 2);
    composites.push({ input: separator, left: sepLeft, top });
  }
  const png = await sharp({ create: { width, height, channels: 3, background: BACKGROUND } })
    .composite(composites)
    .png()
    .toBuffer();
  return { png, width, height };
}

/** Width of the bars panel right of each image in the predictions picture. */
export const BARS_WIDTH = 240;
/** Height of one bar row (the image is scaled up to at least five of them). */
export const BAR_HEIGHT = 16;

export interface PredictionPanel {
  image: RgbImage;
  top: readonly { class: string; probability: number }[];
  /** The true class when known: its bar is drawn red. */
  truth: string | null;
}

/** Size of the predictions picture: one row per image, the image left, its top-k bars right. */
export function predictionsGridSize(
  count: number,
  cell: number,
  k = 5,
): { width: number; height: number; side: number } {
  const side = Math.max(cell, k * BAR_HEIGHT);
  return {
    width: GRID_MARGIN + side + GRID_MARGIN + BARS_WIDTH + GRID_MARGIN,
    height: GRID_MARGIN + count * (side + GRID_MARGIN),
    side,
  };
}

/** Figure 4 (left): each image with its top-k classes as horizontal bars, the true class's bar red. */
export async function predictionsPng(panels: readonly PredictionPanel[]): Promise<{
  png: Buffer;
  width: number;
  height: number;
}> {
  if (panels.length === 0) throw new ArgumentError('predictionsPng: no images');
  const cell = panels[0]!.image.width;
  const k = Math.max(...panels.map((p) => p.top.length));
  const { width, height, side } = predictionsGridSize(panels.length, cell, k);
  const composites: OverlayOptions[] = [];
  const svg: string[] = [];
  const barsLeft = GRID_MARGIN + side + GRID_MARGIN;
  for (const [i, p] of panels.entries()) {
    const top = GRID_MARGIN + i * (side + GRID_MARGIN);
    const input =
      p.image.width === side
        ? await rawPng(p.image)
        : await sharp(p.image.rgb, { raw: { width: p.image.width, height: p.image.height, channels: 3 } })
            .resize(side, side, { kernel: 'nearest' })
            .png()
            .toBuffer();
    composites.push({ input, left: GRID_MARGIN, top });
    const rowHeight = side / k;
    for (const [j, t] of p.top.entries()) {
      const y = top + j * rowHeight;
      const barWidth = Math.max(0, Math.min(1, t.probability)) * BARS_WIDTH;
      const colour = p.truth === t.class ? '#d62728' : '#1f77b4';
      svg.push(
        `<rect x="${barsLeft}" y="${(y + 1).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(rowHeight - 2).toFixed(1)}" fill="${colour}" fill-opacity="0.45"/>`,
        `<text x="${barsLeft + 3}" y="${(y + rowHeight / 2).toFixed(1)}" dominant-baseline="central" font-family="sans-serif" font-size="${Math.min(12, rowHeight - 3).toFixed(0)}" fill="${p.truth === t.class ? '#a00000' : '#000000'}">${escapeXml(`${t.class} ${(100 * t.probability).toFixed(1)}%`)}</text>`,
      );
    }
  }
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`,
  );
  composites.push({ input: overlay, left: 0, top: 0 });
  const png = await sharp({ create: { width, height, channels: 3, background: BACKGROUND } })
    .composite(composites)
    .png()
    .toBuffer();
  return { png, width, height };
}
