/**
 * `alexnet train`: trains AlexNet (any configuration) on the built-in dataset or a prepared
 * ImageNet-layout cache, with the paper's SGD and schedule by default, a progress line, checkpoints
 * and a JSONL log in --out, --resume, and a clean stop (with a checkpoint) on Ctrl-C.
 */
import { join, resolve } from 'node:path';
import {
  ConstantSchedule,
  type LearningRateSchedule,
  PlateauSchedule,
  StepSchedule,
  scheduleFromState,
  WarmupSchedule,
} from '@alexnet/layers';
import { ArgumentError } from '@alexnet/tensor';
import { type AlexNetConfig, describeConfig, resolveAlexNetConfig } from '../config.js';
import { type DataSpec, dataSpecMetadata, dataSpecOf, openData } from '../data/open.js';
import { selectDevices } from '../devices.js';
import { createAlexNet, HE_INPUT_SCALE, INIT_SCHEMES } from '../network.js';
import { alexnetSummary } from '../summary.js';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint.js';
import type { EpochRecord } from '../train/metrics-log.js';
import { modelMetadata } from '../train/model-file.js';
import { DivergenceError, type TrainerState, train } from '../train/trainer.js';
import { choiceValue, intValue, numberValue, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { si, table } from './format.js';
import { configFromFlags, NETWORK_OPTIONS } from './info.js';
import { duration, ProgressLine } from './progress.js';

const NAME = 'alexnet train';

const HELP = `Usage: alexnet train [options]

Trains AlexNet with the paper's recipe (SGD, batch 128, momentum 0.9, weight decay 0.0005,
lr 0.01 divided by 10 when the validation error stops improving, at most 3 times; random 224
crops + mirrors + PCA lighting) and writes checkpoints and a metrics log to --out.

Data:
  --data <builtin|dir>     'builtin': 10 classes of procedural shapes, nothing to download;
                           or a cache folder made by 'alexnet data prepare'           [builtin]
  --train-images <n>       built-in data: training images                              [2560]
  --val-images <n>         built-in data: validation images                             [500]
  --data-seed <n>          seed of the data order and augmentation                        [0]

Network (defaults: the paper's; the number of classes comes from the data):
  --input <n> --conv1-pad <n> --towers <1|2> --activation <relu|tanh> --pool <z/s>
  --lrn <tower|caffe> --no-lrn --dropout <p>   (see 'alexnet info --help')
  --seed <n>               seed of the initial weights and the dropout masks             [0]
  --init <paper|he>        paper: N(0, 0.01²), biases 1 on conv2/4/5, fc6/7 (sits near chance
                           for many steps at first); he: N(0, 2/fan-in), biases 0      [paper]
  --input-scale <s>        multiplies the mean-subtracted pixels (0–255 units): 1 for the
                           paper's init, 1/64 (unit variance) with --init he   [1, he: 0.015625]

Where it runs:
  --device <spec>          auto, native:0, ref:0, or two devices for the two towers:
                           native:0,native:1                                          [auto]

Optimisation:
  --epochs <n>             passes over the training set                                 [90]
  --batch <n>              images per step                                             [128]
  --lr <rate>              initial learning rate                                      [0.01]
  --momentum <m>                                                                        [0.9]
  --weight-decay <w>                                                                 [0.0005]
  --schedule <name>        plateau (the paper's), step, or constant                  [plateau]
  --patience <n>           plateau: epochs without a better validation error         [2]
  --step-every <n>         step: divide the rate by 10 every n epochs                    [30]
  --warmup <n>             ramp the rate up linearly over the first n steps (not in the
                           paper; helps short runs from --init he)                         [0]
  --max-steps <n>          stop after n steps in total (a checkpoint is written)

Output:
  --out <dir>              run folder: checkpoints/, metrics.jsonl             [runs/alexnet]
  --resume                 continue the run in --out from its latest checkpoint
  --checkpoint-every <n>   also checkpoint every n steps (always: each epoch's end)      [0]
  --eval <center|ten-crop> validation crops                                         [center]
  --eval-images <n>        validate on at most n images                                [all]
  --json                   print a JSON summary on stdout at the end
  -h, --help               show this help

Ctrl-C stops after the current step and writes a checkpoint (press it twice to quit at once).

Examples:
  alexnet train --epochs 4 --out runs/shapes
  alexnet train --out runs/shapes --resume --epochs 6
  alexnet train --data ~/imagenet-cache --device native:0,native:1 --out runs/imagenet`;

const OPTIONS = {
  data: { type: 'string' },
  'train-images': { type: 'string' },
  'val-images': { type: 'string' },
  'data-seed': { type: 'string' },
  ...NETWORK_OPTIONS,
  seed: { type: 'string' },
  init: { type: 'string' },
  'input-scale': { type: 'string' },
  device: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  patience: { type: 'string' },
  'step-every': { type: 'string' },
  warmup: { type: 'string' },
  'max-steps': { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  'checkpoint-every': { type: 'string' },
  eval: { type: 'string' },
  'eval-images': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SCHEDULES = ['plateau', 'step', 'constant'] as const;

function schedule(
  kind: (typeof SCHEDULES)[number],
  lr: number,
  patience: number,
  every: number,
  warmup: number,
): LearningRateSchedule {
  const base =
    kind === 'plateau'
      ? new PlateauSchedule({ base: lr, patience })
      : kind === 'step'
        ? new StepSchedule({ base: lr, every })
        : new ConstantSchedule(lr);
  return warmup > 0 ? new WarmupSchedule(base, warmup) : base;
}

function epochRow(r: EpochRecord): string[] {
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
  return [
    String(r.epoch),
    r.train.loss.toFixed(4),
    pct(r.train.top1Error),
    r.val ? r.val.loss.toFixed(4) : '—',
    pct(r.val?.top1Error),
    pct(r.val?.top5Error),
    r.lr.toPrecision(3),
    duration(r.train.seconds),
    (r.train.images / r.train.seconds).toFixed(1),
  ];
}

/** Wide enough for every value, so rows printed one at a time line up under one header. */
const EPOCH_HEADER = [
  'epoch',
  'train loss',
  'train top-1 err',
  'val loss',
  'val top-1 err',
  'val top-5 err',
  '       lr',
  '  time',
  '  img/s',
];

export const trainCommand: Command = {
  name: 'train',
  summary: 'train AlexNet (built-in data or a prepared ImageNet cache); checkpoints, --resume',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    const int = (flag: keyof typeof OPTIONS, fallback: number) =>
      intValue(NAME, flag, v[flag] as string | undefined) ?? fallback;
    const num = (flag: keyof typeof OPTIONS, fallback: number) =>
      numberValue(NAME, flag, v[flag] as string | undefined) ?? fallback;
    const runDir = resolve(v.out ?? join('runs', 'alexnet'));
    const epochs = int('epochs', 90);
    const batchSize = int('batch', 128);
    const lr = num('lr', 0.01);
    const kind = choiceValue(NAME, 'schedule', v.schedule, SCHEDULES) ?? 'plateau';
    const evalMode = choiceValue(NAME, 'eval', v.eval, ['center', 'ten-crop'] as const) ?? 'center';
    const maxSteps = intValue(NAME, 'max-steps', v['max-steps']);
    const init = choiceValue(NAME, 'init', v.init, INIT_SCHEMES) ?? 'paper';
    const inputScale = num('input-scale', init === 'he' ? HE_INPUT_SCALE : 1);
    if (!(inputScale > 0)) throw new UsageError(`${NAME}: --input-scale must be > 0, got ${inputScale}`);
    if (epochs < 1) throw new UsageError(`${NAME}: --epochs must be >= 1, got ${epochs}`);
    if (batchSize < 1) throw new UsageError(`${NAME}: --batch must be >= 1, got ${batchSize}`);
    if (!(lr > 0)) throw new UsageError(`${NAME}: --lr must be > 0, got ${lr}`);
    if (maxSteps === 0) throw new UsageError(`${NAME}: --max-steps must be >= 1`);

    // the network: flags, or on --resume the run's own config (flags that differ are an error)
    let config: AlexNetConfig;
    const flagged = configFromFlags(NAME, { ...v, classes: undefined });
    const seed = intValue(NAME, 'seed', v.seed);
    if (seed !== undefined) flagged.seed = seed;
    let resumeState: TrainerState | undefined;
    let initUsed: string = init;
    let dataSpec: DataSpec = {
      spec: v.data ?? 'builtin',
      scale: inputScale,
      builtin: {
        trainSize: intValue(NAME, 'train-images', v['train-images']),
        valSize: intValue(NAME, 'val-images', v['val-images']),
      },
    };
    if (v.resume) {
      const dir = latestCheckpoint(runDir);
      if (!dir) throw new UsageError(`${NAME}: --resume, but ${runDir} has no checkpoint (see --out)`);
      const saved = loadCheckpoint<TrainerState>(dir);
      config = resolveAlexNetConfig(JSON.parse(saved.metadata.config ?? '{}'));
      resumeState = saved.state;
      initUsed = saved.metadata.init ?? 'unknown';
      // the run's data as it was opened, unless the flags say otherwise
      const savedSpec = dataSpecOf(saved.metadata);
      if (savedSpec) {
        dataSpec = {
          spec: v.data ?? savedSpec.spec,
          scale: v['input-scale'] === undefined ? savedSpec.scale : inputScale,
          builtin: {
            trainSize: dataSpec.builtin?.trainSize ?? savedSpec.builtin?.trainSize,
            valSize: dataSpec.builtin?.valSize ?? savedSpec.builtin?.valSize,
          },
        };
      }
      const given = resolveAlexNetConfig({ ...config, ...flagged });
      if (JSON.stringify(given) !== JSON.stringify(config)) {
        throw new UsageError(
          `${NAME}: --resume continues the run's network (${describeConfig(config)}); leave out the network flags that change it`,
        );
      }
    }

    const data = await openData(dataSpec.spec, {
      input: v.resume ? config!.input : (flagged.input ?? 224),
      scale: dataSpec.scale,
      builtin: dataSpec.builtin,
    });
    try {
      try {
        config ??= resolveAlexNetConfig({ ...flagged, classes: data.classes.length });
      } catch (error) {
        if (error instanceof ArgumentError) throw new UsageError(`${NAME}: ${error.message}`);
        throw error;
      }
      if (config.classes !== data.classes.length) {
        throw new UsageError(
          `${NAME}: the run has ${config.classes} classes, the data ${data.classes.length}`,
        );
      }
      const { devices, reason } = await selectDevices(v.device ?? 'auto', { log: false });
      const summary = alexnetSummary(config);
      const json = v.json === true;
      const say = (text: string) => (json ? io.err(`${text}\n`) : io.out(`${text}\n`));
      say(`AlexNet: ${describeConfig(config)}`);
      say(
        `  ${si(summary.totals.params, 2)} parameters, ${si(summary.totals.trainingFlops)}FLOP per training image`,
      );
      say(`data:    ${data.description}`);
      if (data.sourceSize && data.sourceSize > Math.ceil((config.input * 8) / 7) + 1) {
        io.err(
          `warning: crops of ${config.input} from ${data.sourceSize}×${data.sourceSize} images see ${((100 * config.input ** 2) / data.sourceSize ** 2).toFixed(0)}% of each image (the paper: 224 of 256); prepare the cache with --size ${Math.round((config.input * 8) / 7)} for this input\n`,
        );
      }
      say(`device:  ${reason}`);
      say(
        `run:     ${runDir}${v.resume ? ` (resuming at step ${resumeState!.step}, epoch ${resumeState!.epoch + 1})` : ''}`,
      );
      const net = createAlexNet(config, {
        devices: devices.length === 1 ? devices[0]! : devices,
        init: v.resume ? false : init,
      });

      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        io.err('\nstopping after this step (a checkpoint will be written; Ctrl-C again to quit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const progress = new ProgressLine(io, io.errIsTTY === true);
      let headerShown = false;
      try {
        const result = await train({
          net,
          data,
          runDir,
          // a resumed run continues its own schedule (rates, decays, warm-up) from the checkpoint
          schedule: resumeState
            ? scheduleFromState(resumeState.training.sgd.schedule)
            : schedule(kind, lr, int('patience', 2), int('step-every', 30), int('warmup', 0)),
          epochs,
          batchSize,
          momentum: num('momentum', 0.9),
          weightDecay: num('weight-decay', 0.0005),
          maxSteps,
          dataSeed: int('data-seed', 0),
          resume: v.resume === true,
          checkpointEvery: int('checkpoint-every', 0),
          evalMode: evalMode === 'ten-crop' ? 'tenCrop' : 'center',
          evalLimit: intValue(NAME, 'eval-images', v['eval-images']),
          metadata: modelMetadata(config, data.classes, {
            ...dataSpecMetadata(dataSpec),
            'data.description': data.description,
            init: initUsed,
          }),
          signal: controller.signal,
          onStep: (s) => progress.update(s),
          onEpoch: (r) => {
            progress.clear();
            // the header once, then one row per epoch, in fixed columns
            const lines = table(EPOCH_HEADER, [epochRow(r)], Array(9).fill('right')).split('\n');
            if (!headerShown) say(`${lines[0]}\n${lines[1]}`);
            headerShown = true;
            say(lines[2]!);
          },
        });
        progress.clear();
        const last = result.history.at(-1);
        const why = {
          completed: `completed ${epochs} epochs`,
          maxSteps: `stopped at --max-steps ${maxSteps}`,
          interrupted: 'interrupted',
          lrExhausted:
            'stopped: the validation error stopped improving at the last learning rate (the paper stopped there)',
        }[result.stopped];
        say(`\n${why} after ${result.step} steps`);
        if (result.history.length > 0) {
          say(table(EPOCH_HEADER, result.history.map(epochRow), Array(9).fill('right')));
        }
        say(`checkpoint: ${result.checkpoint}`);
        say(`evaluate:   alexnet eval --checkpoint ${runDir}`);
        if (json) {
          io.out(
            `${JSON.stringify({ runDir, stopped: result.stopped, step: result.step, epoch: result.epoch, checkpoint: result.checkpoint, config, history: result.history, final: last ?? null }, null, 2)}\n`,
          );
        }
        return 0;
      } catch (error) {
        progress.clear();
        if (error instanceof DivergenceError) {
          io.err(`${NAME}: ${error.message}\n`);
          return 1;
        }
        throw error;
      } finally {
        process.off('SIGINT', onSigint);
        net.dispose();
      }
    } finally {
      await data.close?.();
    }
  },
};
