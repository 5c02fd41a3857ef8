/**
 * The built-in dataset: ten classes of procedurally drawn shapes and textures ("disc", "ring",
 * "vertical stripes", …), each image a pure function of (seed, split, index). It needs no download
 * and no disk, so the quick start and the tests can train the real network anywhere, and it is hard
 * enough to need the convolutions: colours, position, size, rotation, background and noise are random
 * for every class, so only the geometry tells the classes apart.
 */
import { philoxUniform } from '@alexnet/tensor';

export const SHAPE_CLASSES: readonly string[] = Object.freeze([
  'disc',
  'square',
  'triangle',
  'ring',
  'cross',
  'horizontal stripes',
  'vertical stripes',
  'checkerboard',
  'diamond',
  'four dots',
]);

/** Inside-test of each class in object coordinates (u, v) ∈ [-1, 1]² (v grows downwards). */
const INSIDE: readonly ((u: number, v: number) => boolean)[] = [
  (u, v) => u * u + v * v < 0.9,
  (u, v) => Math.max(Math.abs(u), Math.abs(v)) < 0.8,
  (u, v) => v < 0.75 && v > -0.9 && Math.abs(u) < ((v + 0.9) / 1.65) * 0.95,
  (u, v) => {
    const r = u * u + v * v;
    return r < 0.95 && r > 0.36;
  },
  (u, v) => (Math.abs(u) < 0.28 && Math.abs(v) < 0.95) || (Math.abs(v) < 0.28 && Math.abs(u) < 0.95),
  (u, v) => Math.max(Math.abs(u), Math.abs(v)) < 0.9 && Math.floor((v + 1) * 3) % 2 === 0,
  (u, v) => Math.max(Math.abs(u), Math.abs(v)) < 0.9 && Math.floor((u + 1) * 3) % 2 === 0,
  (u, v) =>
    Math.max(Math.abs(u), Math.abs(v)) < 0.9 && (Math.floor((u + 1) * 3) + Math.floor((v + 1) * 3)) % 2 === 0,
  (u, v) => Math.abs(u) + Math.abs(v) < 0.95,
  (u, v) => {
    const du = Math.abs(u) - 0.5;
    const dv = Math.abs(v) - 0.5;
    return du * du + dv * dv < 0.12;
  },
];

/** Stream values one image consumes (a fixed block per image keeps images independent of each other). */
const DRAWS_PER_IMAGE = 16;
/** Separate Philox streams for the two splits: seed·4 + split. */
const SPLITS = { train: 0, val: 1 } as const;
export type ShapeSplit = keyof typeof SPLITS;

/** Class of image `index` of a split: balanced, a different class order in each run of ten. */
export function shapeLabel(index: number): number {
  return index % SHAPE_CLASSES.length;
}

/**
 * Draws image `index` of `split` as RGB uint8, HWC, size×size, into `out` (size·size·3 bytes) and
 * returns its label. Deterministic: same (seed, split, index, size), same bytes.
 */
export function drawShape(
  seed: number,
  split: ShapeSplit,
  index: number,
  size: number,
  out: Uint8Array,
): number {
  const label = shapeLabel(index);
  const r = philoxUniform(seed * 4 + SPLITS[split], index * DRAWS_PER_IMAGE, DRAWS_PER_IMAGE);
  // background: a vertical gradient between two colours; foreground far enough from both
  const bgTop = [r[0]! * 255, r[1]! * 255, r[2]! * 255];
  const bgBottom = [r[3]! * 255, r[4]! * 255, r[5]! * 255];
  const fg = [r[6]! * 255, r[7]! * 255, r[8]! * 255];
  const bgMean = bgTop.map((c, i) => (c + bgBottom[i]!) / 2);
  const distance = Math.hypot(fg[0]! - bgMean[0]!, fg[1]! - bgMean[1]!, fg[2]! - bgMean[2]!);
  if (distance < 120) for (let c = 0; c < 3; c++) fg[c] = bgMean[c]! < 128 ? 255 - fg[c]! / 3 : fg[c]! / 3;
  // the object: centre within the middle, radius 22–40% of the image, rotation ±15°
  const radius = size * (0.22 + 0.18 * r[9]!);
  const cx = size / 2 + (r[10]! - 0.5) * (size - 2 * radius) * 0.8;
  const cy = size / 2 + (r[11]! - 0.5) * (size - 2 * radius) * 0.8;
  const angle = ((r[12]! - 0.5) * Math.PI) / 6;
  const cos = Math.cos(angle) / radius;
  const sin = Math.sin(angle) / radius;
  const inside = INSIDE[label]!;
  const noiseSeed = Math.floor(r[13]! * 0x7fffffff) | 1;
  let noise = noiseSeed;
  for (let y = 0; y < size; y++) {
    const t = y / (size - 1 || 1);
    const dy = y + 0.5 - cy;
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      const hit = Math.abs(u) <= 1 && Math.abs(v) <= 1 && inside(u, v);
      const p = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        // xorshift noise ±20: cheap, and part of the image's determinism (seeded per image)
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        const jitter = ((noise >>> 0) / 0x100000000 - 0.5) * 40;
        const base = hit ? fg[c]! : bgTop[c]! + (bgBottom[c]! - bgTop[c]!) * t;
        out[p + c] = Math.max(0, Math.min(255, Math.round(base + jitter)));
      }
    }
  }
  return label;
}
