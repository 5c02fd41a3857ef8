/**
 * `alexnet features` and `alexnet neighbours`: the last hidden layer's activations of a split (the
 * 4096-d input of fc8) as a safetensors file, and the paper's Figure 4 (right) — validation images
 * each followed by the training images nearest them in that space.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dataSpecOf, openData } from '../data/open.js';
import type { DataSource } from '../data/source.js';
import { selectDevices } from '../devices.js';
import {
  computeFeatures,
  type Features,
  nearestNeighbours,
  readFeatures,
  writeFeatures,
} from '../interop/features.js';
import { neighboursPng, splitCrops } from '../interop/figure4.js';
import { type LoadedModel, loadAlexNet } from '../train/model-file.js';
import { choiceValue, intValue, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { writeBytesAtomic } from './export.js';

async function openModel(
  checkpoint: string,
  device: string | undefined,
): Promise<{ model: LoadedModel; data: DataSource; scale: number }> {
  const { devices } = await selectDevices(device ?? 'auto', { log: false });
  const model = loadAlexNet(resolve(checkpoint), devices.length === 1 ? devices[0]! : devices);
  const saved = dataSpecOf(model.metadata);
  const scale = saved?.scale ?? 1;
  const data = await openData(saved?.spec ?? 'builtin', {
    input: model.config.input,
    scale,
    builtin: saved?.builtin,
  });
  return { model, data, scale };
}

const FEATURES = 'alexnet features';

const FEATURES_HELP = `Usage: alexnet features --checkpoint <path> --out <file.safetensors> [options]

The last hidden layer's activations — the 4096-d input of fc8 (drop7 after ReLU; dropout is the
identity at inference; concat8 for a network on two devices) — of a split's images (centre crops,
in split order), written as safetensors: features F32 [n, 4096], labels I32 [n], indices I32 [n]
(positions in the split), metadata checkpoint, split, layer.

Options:
  --checkpoint <path>      a run folder, a checkpoint folder or a model.safetensors   (required)
  --out <file>             the safetensors file to write                             (required)
  --split <val|train>      the split                                                   [val]
  --images <n>             the first n images                               [the whole split]
  --device <spec>          auto, native:0, ref:0                                     [auto]
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet features --checkpoint runs/shapes --split train --out train-features.safetensors`;

const FEATURES_OPTIONS = {
  checkpoint: { type: 'string' },
  out: { type: 'string' },
  split: { type: 'string' },
  images: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const featuresCommand: Command = {
  name: 'features',
  summary: "a split's 4096-d fc8 inputs as safetensors (for Figure 4's neighbours)",
  help: FEATURES_HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(FEATURES, args, FEATURES_OPTIONS);
    if (v.help) {
      io.out(`${FEATURES_HELP}\n`);
      return 0;
    }
    if (!v.checkpoint)
      throw new UsageError(`${FEATURES}: --checkpoint is required (see '${FEATURES} --help')`);
    if (!v.out) throw new UsageError(`${FEATURES}: --out <file> is required (see '${FEATURES} --help')`);
    const splitName = choiceValue(FEATURES, 'split', v.split, ['val', 'train'] as const) ?? 'val';
    const limit = intValue(FEATURES, 'images', v.images);
    if (limit === 0) throw new UsageError(`${FEATURES}: --images must be >= 1`);
    const { model, data } = await openModel(v.checkpoint, v.device);
    let f: Features;
    try {
      f = await computeFeatures(model.net, data[splitName], { limit });
    } finally {
      await data.close?.();
      model.net.dispose();
    }
    const out = resolve(v.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFeatures(out, f, {
      checkpoint: model.path,
      split: splitName,
      classes: JSON.stringify(model.classes),
    });
    if (v.json) {
      io.out(
        `${JSON.stringify({ checkpoint: model.path, out, split: splitName, images: f.n, dim: f.dim, layer: f.layer }, null, 2)}\n`,
      );
      return 0;
    }
    io.out(`wrote ${out}: ${f.n} ${splitName} images × ${f.dim} features (${f.layer})\n`);
    return 0;
  },
};

const NEIGHBOURS = 'alexnet neighbours';

const NEIGHBOURS_HELP = `Usage: alexnet neighbours --checkpoint <path> --png <file.png> [options]

The paper's Figure 4 (right): for the first --queries validation images, the --neighbours training
images whose last-hidden-layer features (the 4096-d input of fc8) are nearest in Euclidean
distance. The PNG has one row per query: the query, a thin separator, then its neighbours, nearest
first — each the centre crop the network saw, as RGB. The class names are printed.

Options:
  --checkpoint <path>      a run folder, a checkpoint folder or a model.safetensors   (required)
  --png <file>             the PNG file to write                                     (required)
  --queries <k>            validation images queried                                    [5]
  --neighbours <n>         training images per query                                    [6]
  --features <file>        training features made by 'alexnet features --split train'
                           (default: computed now for the whole training split)
  --device <spec>          auto, native:0, ref:0                                     [auto]
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet neighbours --checkpoint runs/shapes --png figure4.png --queries 5`;

const NEIGHBOURS_OPTIONS = {
  checkpoint: { type: 'string' },
  png: { type: 'string' },
  queries: { type: 'string' },
  neighbours: { type: 'string' },
  features: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const neighboursCommand: Command = {
  name: 'neighbours',
  summary: 'validation images and their nearest training images in feature space (Figure 4)',
  help: NEIGHBOURS_HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NEIGHBOURS, args, NEIGHBOURS_OPTIONS);
    if (v.help) {
      io.out(`${NEIGHBOURS_HELP}\n`);
      return 0;
    }
    if (!v.checkpoint)
      throw new UsageError(`${NEIGHBOURS}: --checkpoint is required (see '${NEIGHBOURS} --help')`);
    if (!v.png)
      throw new UsageError(`${NEIGHBOURS}: --png <file.png> is required (see '${NEIGHBOURS} --help')`);
    const queries = intValue(NEIGHBOURS, 'queries', v.queries) ?? 5;
    const k = intValue(NEIGHBOURS, 'neighbours', v.neighbours) ?? 6;
    if (queries < 1) throw new UsageError(`${NEIGHBOURS}: --queries must be >= 1`);
    if (k < 1) throw new UsageError(`${NEIGHBOURS}: --neighbours must be >= 1`);
    const { model, data, scale } = await openModel(v.checkpoint, v.device);
    const crops = { input: model.config.input, sourceSize: data.sourceSize, scale };
    let result: {
      query: number;
      truth: string;
      neighbours: { index: number; class: string; distance: number }[];
    }[];
    let png: { png: Buffer; width: number; height: number };
    try {
      const q = await computeFeatures(model.net, data.val, { limit: queries });
      const base = v.features
        ? readFeatures(resolve(v.features))
        : await computeFeatures(model.net, data.train);
      if (base.dim !== q.dim) {
        throw new UsageError(
          `${NEIGHBOURS}: --features holds ${base.dim}-d features, the network gives ${q.dim}-d`,
        );
      }
      const near = nearestNeighbours(q.features, base.features, q.dim, Math.min(k, base.n));
      result = near.map((list, i) => ({
        query: q.indices[i]!,
        truth: model.classes[q.labels[i]!]!,
        neighbours: list.map((nb) => ({
          index: base.indices[nb.row]!,
          class: model.classes[base.labels[nb.row]!] ?? String(base.labels[nb.row]),
          distance: nb.distance,
        })),
      }));
      const valCrops = await splitCrops(data.val, [...q.indices], crops);
      const trainCrops = await splitCrops(
        data.train,
        result.flatMap((r) => r.neighbours.map((nb) => nb.index)),
        crops,
      );
      png = await neighboursPng(
        result.map((r) => [valCrops.get(r.query)!, ...r.neighbours.map((nb) => trainCrops.get(nb.index)!)]),
      );
    } finally {
      await data.close?.();
      model.net.dispose();
    }
    const out = resolve(v.png);
    writeBytesAtomic(out, png.png);
    if (v.json) {
      io.out(
        `${JSON.stringify({ checkpoint: model.path, png: out, width: png.width, height: png.height, queries: result }, null, 2)}\n`,
      );
      return 0;
    }
    io.out(`wrote ${out} (${png.width}×${png.height})\n`);
    for (const r of result) {
      io.out(
        `val #${r.query} (${r.truth}): ${r.neighbours.map((nb) => `${nb.class} [train #${nb.index}]`).join(', ')}\n`,
      );
    }
    return 0;
  },
};
