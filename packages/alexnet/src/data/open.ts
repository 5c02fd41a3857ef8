/**
 * `--data` of the CLI: 'builtin' (the procedural shapes, nothing to download) or the folder of a
 * cache prepared by `@alexnet/imagenet` (`alexnet data prepare`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import { type BuiltinOptions, builtinShapes } from './builtin.js';
import type { DataSource } from './source.js';

export interface OpenDataOptions {
  /** Network input side (crops are this size). */
  input: number;
  /** Multiplies the mean-subtracted pixels (default 1: the paper's 0–255 units). */
  scale?: number;
  /** Built-in dataset only: split sizes and image seed. */
  builtin?: Omit<BuiltinOptions, 'input' | 'scale'>;
}

export async function openData(spec: string, options: OpenDataOptions): Promise<DataSource> {
  if (spec === 'builtin')
    return builtinShapes({ ...options.builtin, input: options.input, scale: options.scale });
  const dir = resolve(spec);
  if (!existsSync(dir)) {
    throw new ArgumentError(
      `--data: ${dir} does not exist; give 'builtin' or a cache folder made by 'alexnet data prepare'`,
    );
  }
  // loaded on demand: sharp and the worker threads only when a cache is used
  const { openImageNetCache } = await import('@alexnet/imagenet');
  return openImageNetCache(dir, { crop: options.input, scale: options.scale });
}

export { type DataSpec, dataSpecMetadata, dataSpecOf } from './spec.js';
