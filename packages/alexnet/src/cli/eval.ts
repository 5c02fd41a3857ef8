/**
 * `alexnet eval`: top-1 / top-5 error and loss of a checkpoint on a split of the data, from the
 * centre crop or the paper's 10 crops.
 */
import { resolve } from 'node:path';
import { describeConfig } from '../config.js';
import { dataSpecOf, openData } from '../data/open.js';
import { selectDevices } from '../devices.js';
import { evaluate } from '../train/evaluate.js';
import { loadAlexNet } from '../train/model-file.js';
import { choiceValue, intValue, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { bar } from './progress.js';

const NAME = 'alexnet eval';

const HELP = `Usage: alexnet eval --checkpoint <path> [options]

Top-1 and top-5 error (and the mean cross-entropy) of a trained network on the validation split
(or the training split), from the centre crop or the paper's 10 crops (4 corners + centre and
their mirrors, softmax averaged).

Options:
  --checkpoint <path>      a run folder (its latest checkpoint), a checkpoint folder, or a
                           model.safetensors file                                  (required)
  --data <builtin|dir>     the data                     [the training run's, from the checkpoint]
  --split <val|train>      which split                                                  [val]
  --crops <center|ten>     centre crop, or the 10-crop average                      [center]
  --images <n>             evaluate at most n images                                    [all]
  --batch <n>              images per forward pass                                       [64]
  --device <spec>          auto, native:0, ref:0, native:0,native:1                    [auto]
  --train-images <n> --val-images <n>   built-in data: split sizes     [the training run's]
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet eval --checkpoint runs/shapes --crops ten`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  data: { type: 'string' },
  split: { type: 'string' },
  crops: { type: 'string' },
  images: { type: 'string' },
  batch: { type: 'string' },
  device: { type: 'string' },
  'train-images': { type: 'string' },
  'val-images': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1/top-5 error of a checkpoint (centre crop or 10 crops)',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.checkpoint) throw new UsageError(`${NAME}: --checkpoint is required (see '${NAME} --help')`);
    const split = choiceValue(NAME, 'split', v.split, ['val', 'train'] as const) ?? 'val';
    const crops = choiceValue(NAME, 'crops', v.crops, ['center', 'ten'] as const) ?? 'center';
    const batchSize = intValue(NAME, 'batch', v.batch) ?? 64;
    if (batchSize < 1) throw new UsageError(`${NAME}: --batch must be >= 1`);
    const { devices, reason } = await selectDevices(v.device ?? 'auto', { log: false });
    const model = loadAlexNet(resolve(v.checkpoint), devices.length === 1 ? devices[0]! : devices);
    // the data as the training run opened it (stored in the checkpoint), unless the flags say otherwise
    const saved = dataSpecOf(model.metadata);
    const data = await openData(v.data ?? saved?.spec ?? 'builtin', {
      input: model.config.input,
      scale: saved?.scale ?? 1,
      builtin: {
        trainSize: intValue(NAME, 'train-images', v['train-images']) ?? saved?.builtin?.trainSize,
        valSize: intValue(NAME, 'val-images', v['val-images']) ?? saved?.builtin?.valSize,
      },
    });
    try {
      if (data.classes.length !== model.classes.length) {
        throw new UsageError(
          `${NAME}: the checkpoint has ${model.classes.length} classes, the data ${data.classes.length} (another dataset?)`,
        );
      }
      const say = (text: string) => (v.json ? io.err(`${text}\n`) : io.out(`${text}\n`));
      say(`model:  ${model.path}`);
      say(`        ${describeConfig(model.config)}`);
      say(`data:   ${data.description}, ${split} split`);
      say(`device: ${reason}`);
      const started = performance.now();
      const result = await evaluate(model.net, data[split], model.classes.length, {
        mode: crops === 'ten' ? 'tenCrop' : 'center',
        batchSize,
        limit: intValue(NAME, 'images', v.images),
        onBatch: (done, total) => {
          if (io.errIsTTY) io.err(`\r\x1b[2K${bar(done / total)} ${done}/${total} images`);
        },
      });
      if (io.errIsTTY) io.err('\r\x1b[2K');
      const seconds = (performance.now() - started) / 1000;
      if (v.json) {
        io.out(`${JSON.stringify({ checkpoint: model.path, split, ...result, seconds }, null, 2)}\n`);
      } else {
        const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
        io.out(
          `${result.images} images (${crops === 'ten' ? '10 crops' : 'centre crop'}): top-1 error ${pct(result.top1Error)}, top-5 error ${pct(result.top5Error)}, loss ${result.loss.toFixed(4)}  (${seconds.toFixed(1)} s)\n`,
        );
      }
      return 0;
    } finally {
      model.net.dispose();
      await data.close?.();
    }
  },
};
