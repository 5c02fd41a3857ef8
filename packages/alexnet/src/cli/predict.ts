/**
 * `alexnet predict`: the top classes of images — image files given on the command line (any format
 * sharp reads; decoded, resized and cropped as the training data was), or images of the data's
 * validation split with their true class; `--png` draws them with their top-k bars (Figure 4, left).
 */
import { resolve } from 'node:path';
import { topClasses } from '../browser/top-classes.js';
import { dataSpecOf, openData } from '../data/open.js';
import { selectDevices } from '../devices.js';
import { centreCropRgb, predictionsPng, type RgbImage, splitCrops } from '../interop/figure4.js';
import { averageCrops } from '../train/evaluate.js';
import { loadAlexNet } from '../train/model-file.js';
import { choiceValue, intValue, parseWithPositionals, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { writeBytesAtomic } from './export.js';

const NAME = 'alexnet predict';

const HELP = `Usage: alexnet predict --checkpoint <path> [image files…] [options]

The most probable classes of each image, from a trained checkpoint. Image files (JPEG, PNG, WebP,
…) are decoded, their shortest side resized and centre-cropped as the training data was; without
files, the first --images images of the validation split are used and their true class shown.

Options:
  --checkpoint <path>      a run folder, a checkpoint folder or a model.safetensors   (required)
  --top <k>                classes shown per image                                      [5]
  --crops <center|ten>     centre crop, or the 10-crop average                      [center]
  --images <n>             without files: how many validation images                    [8]
  --png <file>             also draw the images with their top-k bars as a PNG, the true
                           class's bar red (the paper's Figure 4, left)
  --device <spec>          auto, native:0, ref:0                                     [auto]
  --json                   print JSON
  -h, --help               show this help

Examples:
  alexnet predict --checkpoint runs/shapes
  alexnet predict --checkpoint runs/imagenet cat.jpg dog.png --crops ten`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  top: { type: 'string' },
  crops: { type: 'string' },
  images: { type: 'string' },
  png: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface Prediction {
  image: string;
  /** The true class when known (validation images). */
  truth: string | null;
  top: { class: string; index: number; probability: number }[];
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'top-5 classes of image files (or validation images) with a checkpoint',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values: v, positionals: files } = parseWithPositionals(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.checkpoint) throw new UsageError(`${NAME}: --checkpoint is required (see '${NAME} --help')`);
    const crops = choiceValue(NAME, 'crops', v.crops, ['center', 'ten'] as const) ?? 'center';
    const mode = crops === 'ten' ? 'tenCrop' : 'center';
    const nCrops = crops === 'ten' ? 10 : 1;
    const { devices } = await selectDevices(v.device ?? 'auto', { log: false });
    const model = loadAlexNet(resolve(v.checkpoint), devices.length === 1 ? devices[0]! : devices);
    const k = Math.min(intValue(NAME, 'top', v.top) ?? 5, model.classes.length);
    if (k < 1) throw new UsageError(`${NAME}: --top must be >= 1`);
    const saved = dataSpecOf(model.metadata);
    const data = await openData(saved?.spec ?? 'builtin', {
      input: model.config.input,
      scale: saved?.scale ?? 1,
      builtin: saved?.builtin,
    });
    const predictions: Prediction[] = [];
    /** The centre crops shown in --png, by prediction. */
    const shown: RgbImage[] = [];
    const valIndices: number[] = [];
    const forward = async (inputs: Float32Array, n: number): Promise<Float32Array> => {
      // the loss node computes the probabilities; its labels only enter the loss, unused here
      await model.net.forward({ data: inputs, labels: new Float32Array(n * nCrops) });
      return averageCrops(await model.net.read('loss:probs'), n, nCrops, model.classes.length);
    };
    try {
      if (files.length > 0) {
        if (!data.toInput || !data.sourceSize) {
          throw new UsageError(
            `${NAME}: the model's data source (${data.description}) cannot prepare image files`,
          );
        }
        const decode = await import('@alexnet/imagenet');
        for (const file of files) {
          let rgb: Uint8Array;
          try {
            rgb = await decode.decodeImage(resolve(file), {
              ...decode.DEFAULT_DECODE,
              size: data.sourceSize,
            });
          } catch (error) {
            throw new Error(`${file}: cannot decode (${(error as Error).message})`);
          }
          const probs = await forward(data.toInput(rgb, mode), 1);
          predictions.push({ image: file, truth: null, top: topClasses(probs, model.classes, k) });
          if (v.png) shown.push(centreCropRgb(rgb, data.sourceSize, model.config.input));
        }
      } else {
        const wanted = Math.min(intValue(NAME, 'images', v.images) ?? 8, data.val.size);
        for await (const batch of data.val.batches({
          batchSize: Math.min(wanted, 16),
          mode,
          seed: 0,
          epoch: 0,
        })) {
          const n = Math.min(batch.count, wanted - predictions.length);
          const probs = await forward(batch.images.subarray(0, (batch.images.length / batch.count) * n), n);
          for (let i = 0; i < n; i++) {
            const row = probs.subarray(i * model.classes.length, (i + 1) * model.classes.length);
            valIndices.push(batch.indices[i]!);
            predictions.push({
              image: `val #${batch.indices[i]}`,
              truth: model.classes[batch.labels[i]!]!,
              top: topClasses(row, model.classes, k),
            });
          }
          if (predictions.length >= wanted) break;
        }
        if (v.png) {
          const crops = await splitCrops(data.val, valIndices, {
            input: model.config.input,
            sourceSize: data.sourceSize,
            scale: saved?.scale ?? 1,
          });
          for (const i of valIndices) shown.push(crops.get(i)!);
        }
      }
    } finally {
      await data.close?.();
      model.net.dispose();
    }
    let png: { path: string; width: number; height: number } | undefined;
    if (v.png && predictions.length > 0) {
      const drawn = await predictionsPng(
        predictions.map((p, i) => ({ image: shown[i]!, top: p.top, truth: p.truth })),
      );
      png = { path: resolve(v.png), width: drawn.width, height: drawn.height };
      writeBytesAtomic(png.path, drawn.png);
    }
    if (v.json) {
      io.out(
        `${JSON.stringify({ checkpoint: model.path, crops, predictions, ...(png ? { png } : {}) }, null, 2)}\n`,
      );
      return 0;
    }
    for (const p of predictions) {
      const mark = p.truth === null ? '' : p.top[0]!.class === p.truth ? '  ✓' : `  ✗ (true: ${p.truth})`;
      io.out(`${p.image}${mark}\n`);
      for (const t of p.top) {
        const bar = '█'.repeat(Math.round(t.probability * 30));
        const truth = p.truth === t.class ? ' ←' : '';
        io.out(`  ${(100 * t.probability).toFixed(1).padStart(5)}%  ${bar.padEnd(30)}  ${t.class}${truth}\n`);
      }
    }
    if (png) io.out(`wrote ${png.path} (${png.width}×${png.height})\n`);
    return 0;
  },
};
