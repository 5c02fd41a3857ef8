/**
 * The paper's Figure 3: conv1's 96 kernels (11×11×3) as one RGB picture — tower 1's 48 kernels above
 * tower 2's 48, a gap between the towers — each kernel contrast-normalised on its own (min–max of
 * its 363 weights to 0–255). Pure (no sharp): the browser demo draws it too; filters.ts upscales it
 * to a PNG.
 */
import { ArgumentError } from '@alexnet/tensor';
import { CONV_LAYERS } from '../config.js';

const CONV1 = CONV_LAYERS[0];
/** conv1's kernels, the kernels per tower and the kernel size (11). */
export const FILTER_COUNT = CONV1.kernels;
export const FILTERS_PER_TOWER = CONV1.kernels / 2;
export const FILTER_SIZE = CONV1.kernel;
/** Kernels per row of the grid (3 rows per tower). */
export const FILTER_COLUMNS = 16;
/** Pixels (before upscaling) around and between kernels, and the extra gap between the towers. */
export const FILTER_SPACING = 1;
export const TOWER_GAP = 4;
/** The grid's background (white). */
export const FILTER_BACKGROUND = 255;

export interface FilterGrid {
  /** Size before upscaling. */
  width: number;
  height: number;
  /** RGB, row-major, width × height × 3. */
  rgb: Uint8Array;
}

/** Kernel k's top-left corner in the grid before upscaling (tower 1 = kernels 0–47 above tower 2). */
export function filterPosition(k: number, towers: 1 | 2 = 2): { x: number; y: number } {
  const tower = Math.floor(k / FILTERS_PER_TOWER);
  const j = k % FILTERS_PER_TOWER;
  const cell = FILTER_SIZE + FILTER_SPACING;
  const rows = FILTERS_PER_TOWER / FILTER_COLUMNS;
  const towerHeight = rows * cell + (towers === 2 ? TOWER_GAP : 0);
  return {
    x: FILTER_SPACING + (j % FILTER_COLUMNS) * cell,
    y: FILTER_SPACING + tower * towerHeight + Math.floor(j / FILTER_COLUMNS) * cell,
  };
}

/**
 * Kernel k contrast-normalised: its 11×11×3 weights min–max scaled to 0–255 (rounded), as RGB
 * pixels in row-major order (y, x, channel). A constant kernel is mid-grey (128).
 */
export function normalisedFilter(weights: Float32Array, k: number): Uint8Array {
  const area = FILTER_SIZE * FILTER_SIZE;
  const w = weights.subarray(k * 3 * area, (k + 1) * 3 * area);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of w) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const out = new Uint8Array(3 * area);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < area; p++) {
      out[p * 3 + c] = max > min ? Math.round((255 * (w[c * area + p]! - min)) / (max - min)) : 128;
    }
  }
  return out;
}

function checkWeights(weights: Float32Array, shape: readonly number[]): void {
  const want = [FILTER_COUNT, 3, FILTER_SIZE, FILTER_SIZE];
  if (
    shape.length !== 4 ||
    shape.some((d, i) => d !== want[i]) ||
    weights.length !== FILTER_COUNT * 3 * FILTER_SIZE * FILTER_SIZE
  ) {
    throw new ArgumentError(`conv1.weight must be [${want.join(', ')}], got [${shape.join(', ')}]`);
  }
  const bad = weights.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ArgumentError(`conv1.weight holds a non-finite value (${weights[bad]}) at ${bad}`);
}

/** conv1's weights [96, 3, 11, 11] as the Figure-3 grid, before upscaling. */
export function filterGrid(
  weights: Float32Array,
  shape: readonly number[] = [FILTER_COUNT, 3, FILTER_SIZE, FILTER_SIZE],
  towers: 1 | 2 = 2,
): FilterGrid {
  checkWeights(weights, shape);
  const cell = FILTER_SIZE + FILTER_SPACING;
  const width = FILTER_SPACING + FILTER_COLUMNS * cell;
  const last = filterPosition(FILTER_COUNT - 1, towers);
  const height = last.y + cell;
  const rgb = new Uint8Array(width * height * 3).fill(FILTER_BACKGROUND);
  for (let k = 0; k < FILTER_COUNT; k++) {
    const { x, y } = filterPosition(k, towers);
    const px = normalisedFilter(weights, k);
    for (let r = 0; r < FILTER_SIZE; r++) {
      rgb.set(px.subarray(r * FILTER_SIZE * 3, (r + 1) * FILTER_SIZE * 3), ((y + r) * width + x) * 3);
    }
  }
  return { width, height, rgb };
}
