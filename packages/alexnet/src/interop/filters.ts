/**
 * The paper's Figure 3 as a PNG: the grid of filters-grid.ts upscaled (nearest neighbour, so every
 * weight stays one flat square).
 */
import { ArgumentError } from '@alexnet/tensor';
import sharp from 'sharp';
import { filterGrid } from './filters-grid.js';

export {
  FILTER_BACKGROUND,
  FILTER_COLUMNS,
  FILTER_COUNT,
  FILTER_SIZE,
  FILTER_SPACING,
  FILTERS_PER_TOWER,
  type FilterGrid,
  filterGrid,
  filterPosition,
  normalisedFilter,
  TOWER_GAP,
} from './filters-grid.js';

/** The grid upscaled `scale` times (nearest neighbour, by sharp) as PNG bytes. */
export async function filtersPng(
  weights: Float32Array,
  options: { shape?: readonly number[]; towers?: 1 | 2; scale?: number } = {},
): Promise<{ png: Buffer; width: number; height: number }> {
  const scale = options.scale ?? 4;
  if (!Number.isSafeInteger(scale) || scale < 1 || scale > 64) {
    throw new ArgumentError(`filters: scale must be an integer from 1 to 64, got ${scale}`);
  }
  const grid = filterGrid(weights, options.shape, options.towers ?? 2);
  const width = grid.width * scale;
  const height = grid.height * scale;
  const png = await sharp(grid.rgb, { raw: { width: grid.width, height: grid.height, channels: 3 } })
    .resize(width, height, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return { png, width, height };
}
