/**
 * Writes the built-in dataset to disk in the ILSVRC-2012 folder layout — `train/<wnid>/<wnid>_<i>.png`,
 * `val/<wnid>/…`, `classes.tsv` and `LOC_synset_mapping.txt` (wnid → name) — so that the whole
 * file pipeline (`alexnet data prepare`, the cache, the loader) can be tried without ImageNet. The
 * wnids `n00000000`…`n00000009` sort in the classes' order, so class indices are the same as in
 * memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { drawShape, SHAPE_CLASSES, type ShapeSplit, shapeLabel } from './shapes.js';

export interface ExportBuiltinOptions {
  outDir: string;
  seed?: number;
  trainSize?: number;
  valSize?: number;
  /** Side of the written images (default 256, ImageNet's record size). */
  size?: number;
  onProgress?: (done: number, total: number) => void;
}

export function builtinWnid(label: number): string {
  return `n${String(label).padStart(8, '0')}`;
}

export async function exportBuiltin(
  options: ExportBuiltinOptions,
): Promise<{ outDir: string; train: number; val: number }> {
  const outDir = resolve(options.outDir);
  const seed = options.seed ?? 1;
  const size = options.size ?? 256;
  const sizes: Record<ShapeSplit, number> = { train: options.trainSize ?? 2560, val: options.valSize ?? 500 };
  const total = sizes.train + sizes.val;
  let done = 0;
  for (const split of ['train', 'val'] as const) {
    for (let c = 0; c < SHAPE_CLASSES.length; c++)
      mkdirSync(join(outDir, split, builtinWnid(c)), { recursive: true });
    const pixels = new Uint8Array(size * size * 3);
    for (let i = 0; i < sizes[split]; i++) {
      drawShape(seed, split, i, size, pixels);
      const wnid = builtinWnid(shapeLabel(i));
      const file = join(outDir, split, wnid, `${wnid}_${String(i).padStart(6, '0')}.png`);
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(file);
      options.onProgress?.(++done, total);
    }
  }
  const names = SHAPE_CLASSES.map((name, c) => `${builtinWnid(c)}\t${name}`).join('\n');
  writeFileSync(join(outDir, 'classes.tsv'), `${names}\n`);
  writeFileSync(
    join(outDir, 'LOC_synset_mapping.txt'),
    `${SHAPE_CLASSES.map((name, c) => `${builtinWnid(c)} ${name}`).join('\n')}\n`,
  );
  return { outDir, train: sizes.train, val: sizes.val };
}
