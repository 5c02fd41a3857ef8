/**
 * `alexnet import --caffe`: a bvlc_alexnet-layout Caffe `.caffemodel` as a checkpoint folder
 * (model.safetensors with the config and class names in its metadata) that `eval`, `predict`,
 * `export` and `loadAlexNet` accept.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readSynsetNames } from '@alexnet/imagenet';
import { describeConfig } from '../config.js';
import { caffeAlexNetWeights, readCaffeModel } from '../interop/caffe.js';
import { MODEL_FILE } from '../train/checkpoint.js';
import { modelMetadata } from '../train/model-file.js';
import { writeSafetensors } from '../train/safetensors.js';
import { parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';

const NAME = 'alexnet import';

const HELP = `Usage: alexnet import --caffe <model.caffemodel> --out <checkpoint folder> [options]

Reads the weights of a Caffe model with the bvlc_alexnet layout (layers conv1…conv5, fc6…fc8, each
with weights and a bias; the current 'layer' or the old V1 'layers' format) and writes a checkpoint
folder (${MODEL_FILE}) that 'alexnet eval', 'predict' and 'export' accept. The network is Caffe's:
input 227 with conv1 pad 0, the two towers as channel groups (conv2/conv4/conv5 group 2), LRN mode
'caffe' (across all channels, k = 1, alpha 1e-4 divided by n = 5, beta 0.75), classes from fc8.
Blob layouts are used as stored ([out, in/groups, kh, kw], fc [out, in]); conv1's input channels are
reversed (Caffe's BGR → our RGB), so the checkpoint takes this project's RGB images. Caffe's other
preprocessing — subtract the ImageNet mean image, pixels in 0–255 — is the data cache's with
input scale 1 (the default for an imported model).

Options:
  --caffe <file>       the binary .caffemodel (not the .prototxt)                      (required)
  --out <dir>          the checkpoint folder to write                                  (required)
  --classes <file>     class names, one per fc8 output in order: synset_words.txt,
                       LOC_synset_mapping.txt, classes.tsv or imagenet_class_index.json
                                                                       [class_0, class_1, …]
  --force              overwrite an existing ${MODEL_FILE} in --out
  --json               print JSON
  -h, --help           show this help

Example:
  alexnet import --caffe bvlc_alexnet.caffemodel --out models/bvlc_alexnet --classes synset_words.txt
  alexnet eval --checkpoint models/bvlc_alexnet --data /data/imagenet --crops ten`;

const OPTIONS = {
  caffe: { type: 'string' },
  out: { type: 'string' },
  classes: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const importCommand: Command = {
  name: 'import',
  summary: 'a Caffe bvlc_alexnet .caffemodel as a checkpoint',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.caffe)
      throw new UsageError(`${NAME}: --caffe <model.caffemodel> is required (see '${NAME} --help')`);
    if (!v.out) throw new UsageError(`${NAME}: --out <checkpoint folder> is required (see '${NAME} --help')`);
    const source = resolve(v.caffe);
    if (!existsSync(source)) throw new UsageError(`${NAME}: no file ${source}`);
    const outDir = resolve(v.out);
    const target = join(outDir, MODEL_FILE);
    if (existsSync(target) && !v.force) {
      throw new UsageError(`${NAME}: ${target} exists (use --force to overwrite)`);
    }
    const file = basename(source);
    const net = readCaffeModel(readFileSync(source), file);
    const { config, weights, source: caffe } = caffeAlexNetWeights(net, { file });
    let classes: string[];
    if (v.classes) {
      const names = readSynsetNames(resolve(v.classes));
      classes = [...names.values()];
      if (classes.length !== config.classes) {
        throw new UsageError(
          `${NAME}: ${v.classes} names ${classes.length} classes, the model's fc8 has ${config.classes}`,
        );
      }
    } else {
      classes = Array.from({ length: config.classes }, (_, i) => `class_${i}`);
    }
    const metadata = modelMetadata(config, classes, {
      source: 'caffe',
      'caffe.file': file,
      'caffe.net': caffe.name,
      'caffe.format': caffe.format,
      'input.channels': 'RGB (conv1 input channels reversed from Caffe BGR on import)',
    });
    mkdirSync(outDir, { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    try {
      writeSafetensors(tmp, weights, metadata);
      renameSync(tmp, target);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    const parameters = [...weights.values()].reduce((n, w) => n + w.data.length, 0);
    if (v.json) {
      const result = {
        caffe: source,
        format: caffe.format,
        checkpoint: outDir,
        model: target,
        parameters,
        config,
        classes,
      };
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    io.out(
      `wrote ${target}\n` +
        `  from:       ${source} (Caffe '${caffe.name}', ${caffe.format === 'layer' ? 'layer' : 'V1 layers'} format)\n` +
        `  model:      AlexNet: ${describeConfig(config)}\n` +
        `  parameters: ${parameters.toLocaleString('en-US')}\n` +
        `  classes:    ${config.classes} (${classes.slice(0, 3).join('; ')}${classes.length > 3 ? '; …' : ''})\n` +
        `  input:      RGB (conv1 reversed from Caffe's BGR), mean-subtracted pixels in 0–255\n`,
    );
    return 0;
  },
};
