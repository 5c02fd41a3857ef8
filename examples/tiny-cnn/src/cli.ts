/**
 * The tiny-cnn example's command line: flags, messages and exit codes. `run` does everything main.ts
 * does, with the output streams injected so the tests can call it.
 */
import { parseArgs } from 'node:util';
import { type DeviceSelection, selectDevice } from '@alexnet/tensor';
import { CLASS_NAMES } from './dataset.js';
import { type EpochReport, NonFiniteLossError, type TrainSummary, train } from './train.js';

/**
 * Measured: ≈ 7–10 s per epoch on two slow shared CPU cores with the reference backend, so the
 * default run takes 40–50 s (see README.md).
 */
export const DEFAULT_EPOCHS = 5;
export const DEFAULT_SEED = 1;
export const TRAIN_IMAGES = 2048;
export const TEST_IMAGES = 512;
export const BATCH = 64;

export const USAGE = `Usage: alexnet-tiny-cnn [options]

Trains a small AlexNet-style CNN (conv 5×5 → ReLU → overlapping max-pool 3/2 → grouped conv 3×3
→ ReLU → max-pool 3/2 → fully connected → softmax) with the raw @alexnet/tensor kernels on a
built-in, seeded dataset of ${TRAIN_IMAGES} training and ${TEST_IMAGES} test images, 16×16 RGB, 4 classes
(${CLASS_NAMES.join(', ')}). Nothing is downloaded.

Options:
  --epochs N      passes over the training set (default ${DEFAULT_EPOCHS})
  --device NAME   'auto' (the fastest installed backend) or a device name such as ref:0,
                  native:0, cuda:0 (default auto)
  --seed N        seed of the data, the initial weights and the shuffling (default ${DEFAULT_SEED})
  --json          print a JSON summary on stdout at the end (progress then goes to stderr)
  -h, --help      show this help

Exit status: 0 on success, 1 if training fails (e.g. the loss becomes NaN), 2 on bad arguments
or an unusable device.`;

export interface Cli {
  epochs: number;
  device: string;
  seed: number;
  json: boolean;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} expects a whole number, got '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${text}`);
  }
  return value;
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        epochs: { type: 'string' },
        device: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    // node:util's messages name the flag ("Unknown option '--epoch'", "Option '--seed <value>' argument missing").
    throw new UsageError((err as Error).message);
  }
}

/** Parses the flags; throws UsageError on anything it does not understand. */
export function parseCli(argv: readonly string[]): Cli {
  const values = parseFlags(argv);
  const device = values.device ?? 'auto';
  if (device.trim() === '') throw new UsageError(`--device expects 'auto' or a device name such as ref:0`);
  return {
    epochs: values.epochs === undefined ? DEFAULT_EPOCHS : parseInteger('epochs', values.epochs, 1, 10_000),
    device,
    seed:
      values.seed === undefined
        ? DEFAULT_SEED
        : parseInteger('seed', values.seed, 0, Number.MAX_SAFE_INTEGER),
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function formatEpoch(r: EpochReport): string {
  const width = String(r.epochs).length;
  return [
    `epoch ${String(r.epoch).padStart(width)}/${r.epochs}`,
    `train loss ${r.trainLoss.toFixed(4)}`,
    `train acc ${pct(r.trainAccuracy).padStart(6)}`,
    `test loss ${r.testLoss.toFixed(4)}`,
    `test acc ${pct(r.testAccuracy).padStart(6)}`,
    `${r.imagesPerSecond.toFixed(0)} img/s`,
    `lr ${Number(r.lr.toPrecision(3))}`,
    `(${r.trainSeconds.toFixed(1)} s train + ${r.evalSeconds.toFixed(1)} s test)`,
  ].join('  ');
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs the example; resolves to the process exit code. */
export async function run(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tiny-cnn: ${err.message}\nRun with --help for the options.`);
      return 2;
    }
    throw err;
  }
  if (cli.help) {
    io.out(USAGE);
    return 0;
  }
  // With --json, stdout carries only the JSON summary; progress goes to stderr.
  const say = cli.json ? io.err : io.out;

  let selection: DeviceSelection;
  try {
    selection = await selectDevice(cli.device, { log: false });
  } catch (err) {
    io.err(`tiny-cnn: cannot use device '${cli.device}': ${(err as Error).message}`);
    return 2;
  }
  const { device, reason } = selection;
  say(`device: ${device.describe()}`);
  say(`  why: ${reason}`);
  if (device.kind === 'ref') {
    say(
      '  note: the reference backend is the exact but slow oracle (single-threaded TypeScript); @alexnet/native or @alexnet/cuda run much faster',
    );
  }
  say(
    `data: built-in, seed ${cli.seed}: ${TRAIN_IMAGES} train / ${TEST_IMAGES} test images, 3×16×16, ` +
      `${CLASS_NAMES.length} classes (chance = ${pct(1 / CLASS_NAMES.length)})`,
  );

  const dropLast = cli.epochs >= 3;
  let summary: TrainSummary;
  try {
    summary = await train({
      device,
      epochs: cli.epochs,
      seed: cli.seed,
      batchSize: BATCH,
      trainCount: TRAIN_IMAGES,
      testCount: TEST_IMAGES,
      // The paper's "divide lr by 10 when progress stops", once, for the last epoch.
      lrDropEpochs: dropLast ? [cli.epochs] : [],
      onStart: (info) =>
        say(
          `model: conv5×5(3→16) relu pool3/2 → conv3×3(16→32, 2 groups) relu pool3/2 → fc(${info.fcIn}→${info.classes}); ` +
            `${info.parameters.toLocaleString('en-US')} parameters; batch ${info.batchSize}, ${info.stepsPerEpoch} steps/epoch; ` +
            `lr ${info.hyper.lr} (linear warm-up over ${info.warmupSteps} steps${dropLast ? ', ÷10 for the last epoch' : ''}), ` +
            `momentum ${info.hyper.momentum}, weight decay ${info.hyper.weightDecay}`,
        ),
      onEpoch: (r) => say(formatEpoch(r)),
    });
  } catch (err) {
    if (err instanceof NonFiniteLossError) {
      io.err(`tiny-cnn: ${err.message}`);
      return 1;
    }
    throw err;
  }
  say(
    `done: ${summary.epochs.length} epoch(s) in ${summary.totalSeconds.toFixed(1)} s on ${summary.device}; ` +
      `final test accuracy ${pct(summary.finalTestAccuracy)} (chance ${pct(1 / CLASS_NAMES.length)})`,
  );
  if (cli.json) io.out(JSON.stringify({ ...summary, deviceReason: reason }, null, 2));
  return 0;
}
