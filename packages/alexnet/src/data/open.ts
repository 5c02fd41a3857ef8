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

/** How a run's data was opened, stored in its checkpoints so `eval` and `predict` reopen the same. */
export interface DataSpec {
  /** 'builtin' or the cache folder. */
  spec: string;
  scale: number;
  builtin?: { trainSize?: number; valSize?: number };
}

export function dataSpecMetadata(spec: DataSpec): Record<string, string> {
  return { data: JSON.stringify(spec) };
}

/** The data spec of a model's metadata (undefined for models from elsewhere). */
export function dataSpecOf(metadata: Readonly<Record<string, string>>): DataSpec | undefined {
  try {
    const parsed = JSON.parse(metadata.data ?? 'null') as DataSpec | null;
    if (parsed && typeof parsed.spec === 'string' && typeof parsed.scale === 'number') return parsed;
  } catch {}
  return undefined;
}
