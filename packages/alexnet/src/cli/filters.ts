/**
 * `alexnet filters`: conv1's 96 kernels of a checkpoint as one PNG — the paper's Figure 3.
 */
import { resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import { resolveAlexNetConfig } from '../config.js';
import { FILTERS_PER_TOWER, filtersPng } from '../interop/filters.js';
import { resolveCheckpoint } from '../train/checkpoint.js';
import { MODEL_FORMAT } from '../train/model-file.js';
import { readSafetensors } from '../train/safetensors.js';
import { intValue, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { writeBytesAtomic } from './export.js';

const NAME = 'alexnet filters';

const HELP = `Usage: alexnet filters --checkpoint <path> --png <file.png> [options]

Draws the 96 conv1 kernels (11×11×3, as RGB) of a checkpoint as one picture, as the paper's
Figure 3: tower 1's ${FILTERS_PER_TOWER} kernels (3 rows of 16) above tower 2's ${FILTERS_PER_TOWER}, with a gap between the
towers (a one-tower network: kernels 0–47 above 48–95, no gap), on white. Each kernel is
contrast-normalised on its own: its 363 weights are scaled min–max to 0–255, so colours compare
within a kernel, not between kernels. The picture is then upscaled --scale times (nearest neighbour:
each weight is a flat square of --scale × --scale pixels).

Options:
  --checkpoint <path>      a run folder, a checkpoint folder or a model.safetensors   (required)
  --png <file>             the PNG file to write                                     (required)
  --scale <n>              pixels per weight, 1–64                                       [4]
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet filters --checkpoint runs/imagenet --png figure3.png --scale 6`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  png: { type: 'string' },
  scale: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const filtersCommand: Command = {
  name: 'filters',
  summary: "conv1's 96 kernels as a PNG (the paper's Figure 3)",
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.checkpoint) throw new UsageError(`${NAME}: --checkpoint is required (see '${NAME} --help')`);
    if (!v.png) throw new UsageError(`${NAME}: --png <file.png> is required (see '${NAME} --help')`);
    const scale = intValue(NAME, 'scale', v.scale) ?? 4;
    if (scale < 1 || scale > 64) throw new UsageError(`${NAME}: --scale must be from 1 to 64, got ${scale}`);

    // only conv1.weight and the metadata are read: no network is built
    const file = resolveCheckpoint(resolve(v.checkpoint));
    const { tensors, metadata } = readSafetensors(file, (name) => name === 'conv1.weight');
    if (metadata.format !== MODEL_FORMAT) {
      throw new ArgumentError(
        `${file}: not an alexnet model (metadata format ${JSON.stringify(metadata.format)}, expected '${MODEL_FORMAT}')`,
      );
    }
    let towers: 1 | 2;
    try {
      towers = resolveAlexNetConfig(JSON.parse(metadata.config ?? 'null')).towers;
    } catch (error) {
      throw new ArgumentError(`${file}: unreadable config in the metadata (${(error as Error).message})`);
    }
    const conv1 = tensors.get('conv1.weight');
    if (!conv1) throw new ArgumentError(`${file}: no tensor 'conv1.weight'`);
    if (!(conv1.data instanceof Float32Array))
      throw new ArgumentError(`${file}: 'conv1.weight' is not float32`);
    const { png, width, height } = await filtersPng(conv1.data, { shape: conv1.shape, towers, scale });
    const out = resolve(v.png);
    writeBytesAtomic(out, png);
    if (v.json) {
      io.out(`${JSON.stringify({ checkpoint: file, png: out, width, height, scale, towers }, null, 2)}\n`);
      return 0;
    }
    io.out(
      `wrote ${out} (${width}×${height}): conv1's 96 kernels, ${towers === 2 ? 'tower 1 above tower 2' : 'one tower'}, each contrast-normalised, ×${scale}\n`,
    );
    return 0;
  },
};
