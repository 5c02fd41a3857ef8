/**
 * The training loop: epochs of shuffled, augmented mini-batches, the paper's SGD, the validation
 * metrics after every epoch (which drive the plateau schedule), checkpoints, a JSONL metrics log,
 * divergence detection, and `resume` continuing exactly where a run stopped — same batches, same
 * dropout masks, same momentum, so the same losses. Works on any Net with inputs 'data' and 'labels'
 * and a softmax-cross-entropy node 'loss' (AlexNet, or the smaller nets of the ablations).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type LearningRateSchedule,
  loadTrainingState,
  type Net,
  Sgd,
  type TrainingState,
  topKCorrect,
  trainingState,
} from '@alexnet/layers';
import { ArgumentError } from '@alexnet/tensor';
import type { DataSource } from '../data/source.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { evaluate, topK } from './evaluate.js';
import { type EpochRecord, MetricsLog } from './metrics-log.js';
import { canonicalParams, readCanonical, writeCanonical } from './params-io.js';

export interface TrainOptions {
  net: Net;
  data: DataSource;
  /** Output folder: checkpoints/, metrics.jsonl. Created when missing. */
  runDir: string;
  /** The learning-rate schedule (e.g. the paper's `new PlateauSchedule({ base: 0.01 })`). */
  schedule: LearningRateSchedule;
  epochs: number;
  /** Default 128 (the paper's). */
  batchSize?: number;
  momentum?: number;
  weightDecay?: number;
  /** Stop after this many steps in total (counted across resumes). */
  maxSteps?: number;
  /** Seed of the data order and augmentation (default 0). */
  dataSeed?: number;
  /** Continue from the run's latest checkpoint (an error when there is none). */
  resume?: boolean;
  /** Also save a checkpoint every this many steps (default 0: at the end of each epoch and of the run only). */
  checkpointEvery?: number;
  /** Checkpoints kept (default 2). */
  keep?: number;
  /** Write a 'step' line to the metrics log every this many steps (default 10). */
  logEvery?: number;
  /** Validation: 'center' (default) or 'tenCrop', at most `evalLimit` images (default: all). */
  evalMode?: 'center' | 'tenCrop';
  evalLimit?: number;
  /** Stored in model.safetensors (what `eval`/`predict` need to rebuild the network). */
  metadata?: Record<string, string>;
  /** Stops cleanly between steps (saving a checkpoint) when aborted, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  onStep?: (report: StepReport) => void;
  onEpoch?: (report: EpochRecord) => void;
  onCheckpoint?: (dir: string, step: number) => void;
  onEvalBatch?: (done: number, total: number) => void;
}

export interface StepReport {
  step: number;
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, and per epoch. */
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  /** Training images per second over the last steps (data loading included). */
  imagesPerSecond: number;
  /** Seconds to the end of the run at the current speed (epochs or maxSteps, whichever is first). */
  etaSeconds: number;
}

/** What state.json of a checkpoint holds. */
export interface TrainerState {
  format: 'alexnet/trainer-state';
  version: 1;
  /** Steps done in total. */
  step: number;
  /** The current epoch (0-based) and the batches of it already done. */
  epoch: number;
  batch: number;
  batchSize: number;
  dataSeed: number;
  /** Optimiser (schedule included) and dropout stream. */
  training: TrainingState;
  /** Sums over the current epoch's batches so far (the epoch's training metrics survive a resume). */
  epochTotals: EpochTotals;
  history: EpochRecord[];
}

interface EpochTotals {
  loss: number;
  correct1: number;
  correctK: number;
  images: number;
  seconds: number;
}

export type StopReason = 'completed' | 'maxSteps' | 'interrupted' | 'lrExhausted';

export interface TrainResult {
  stopped: StopReason;
  step: number;
  epoch: number;
  history: EpochRecord[];
  /** The last checkpoint written (folder). */
  checkpoint: string | null;
}

/** The loss became NaN or infinite; the message names the step and the last good checkpoint. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

const emptyTotals = (): EpochTotals => ({ loss: 0, correct1: 0, correctK: 0, images: 0, seconds: 0 });

function positiveInt(what: string, v: number | undefined, fallback: number, min = 1): number {
  const value = v ?? fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new ArgumentError(`train: ${what} must be an integer >= ${min}, got ${String(v)}`);
  return value;
}

/** Trains `net`; see TrainOptions. Resolves when the run completes, reaches maxSteps or is interrupted. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { net, data, runDir } = options;
  const epochs = positiveInt('epochs', options.epochs, 1);
  const batchSize = positiveInt('batchSize', options.batchSize, 128);
  const maxSteps = options.maxSteps === undefined ? Infinity : positiveInt('maxSteps', options.maxSteps, 1);
  const checkpointEvery = positiveInt('checkpointEvery', options.checkpointEvery, 0, 0);
  const logEvery = positiveInt('logEvery', options.logEvery, 10);
  const classes = data.classes.length;
  const k = topK(classes);
  const batches = Math.floor(data.train.size / batchSize);
  if (batches < 1) {
    throw new ArgumentError(
      `train: the training split has ${data.train.size} images, fewer than one batch of ${batchSize}; lower --batch`,
    );
  }
  mkdirSync(runDir, { recursive: true });
  const log = new MetricsLog(join(runDir, 'metrics.jsonl'));
  const params = net.params();
  const sgd = new Sgd(params, {
    schedule: options.schedule,
    momentum: options.momentum ?? 0.9,
    weightDecay: options.weightDecay ?? 0.0005,
  });
  const weightsIo = canonicalParams(params);
  const momentumIo = canonicalParams(params, (_, i) => sgd.momentumBuffers()[i]!.value);

  let state: TrainerState = {
    format: 'alexnet/trainer-state',
    version: 1,
    step: 0,
    epoch: 0,
    batch: 0,
    batchSize,
    dataSeed: options.dataSeed ?? 0,
    training: trainingState(net, sgd),
    epochTotals: emptyTotals(),
    history: [],
  };
  let lastCheckpoint: string | null = null;

  if (options.resume) {
    const dir = latestCheckpoint(runDir);
    if (!dir) throw new ArgumentError(`train: --resume, but ${runDir} has no checkpoint to resume from`);
    const saved = loadCheckpoint<TrainerState>(dir);
    if (saved.state?.format !== 'alexnet/trainer-state' || saved.state.version !== 1)
      throw new ArgumentError(`train: ${dir}/state.json is not a trainer state of version 1`);
    if (!saved.momentum)
      throw new ArgumentError(`train: ${dir} has no optimizer.safetensors (weights-only export?)`);
    if (saved.state.batchSize !== batchSize) {
      throw new ArgumentError(
        `train: the run was trained with batch ${saved.state.batchSize}; resume with the same batch size (got ${batchSize})`,
      );
    }
    writeCanonical(weightsIo, saved.weights);
    writeCanonical(momentumIo, saved.momentum, 'optimizer checkpoint');
    // the saved parameter names are the layout's (conv1_0.weight on two devices): map to this net's
    const training = saved.state.training;
    const savedCanonical = training.sgd.params.map((n) => n.replace(/^(.+)_([01])\./, '$1.'));
    const ours = params.map((p) => p.name.replace(/^(.+)_([01])\./, '$1.'));
    if ([...new Set(savedCanonical)].join() === [...new Set(ours)].join())
      training.sgd.params = params.map((p) => p.name);
    loadTrainingState(net, sgd, training);
    state = saved.state;
    lastCheckpoint = dir;
    log.truncateAfter(state.step);
  } else if (existsSync(join(runDir, 'checkpoints', 'latest'))) {
    throw new ArgumentError(
      `train: ${runDir} already holds a run; continue it with --resume, or choose another output folder`,
    );
  } else {
    // a run that died before its first checkpoint may have left log lines: they describe nothing kept
    log.truncateAfter(0);
  }

  const save = async (): Promise<void> => {
    state.training = trainingState(net, sgd);
    const [weights, momentum] = [await readCanonical(weightsIo), await readCanonical(momentumIo)];
    lastCheckpoint = saveCheckpoint(
      runDir,
      state.step,
      { weights, momentum, state, metadata: options.metadata ?? {} },
      options.keep ?? 2,
    );
    options.onCheckpoint?.(lastCheckpoint, state.step);
  };

  const totalSteps = Math.min(maxSteps, epochs * batches);
  const speed = { images: 0, seconds: 0 };
  let stopped: StopReason = 'completed';

  try {
    outer: while (state.epoch < epochs) {
      sgd.epoch = state.epoch;
      const epochStart = performance.now() - state.epochTotals.seconds * 1000;
      const iterator = data.train.batches({
        batchSize,
        mode: 'train',
        seed: state.dataSeed,
        epoch: state.epoch,
        shuffle: true,
        dropLast: true,
        startBatch: state.batch,
      });
      let t0 = performance.now();
      if (state.step >= maxSteps) {
        stopped = 'maxSteps';
        break;
      }
      for await (const batch of iterator) {
        const lr = sgd.learningRate;
        const labels = Float32Array.from(batch.labels);
        net.zeroGrads();
        await net.forward({ data: batch.images, labels }, { training: true });
        const loss = await net.loss();
        if (!Number.isFinite(loss)) {
          throw new DivergenceError(
            `the training loss became ${loss} at step ${state.step + 1} (epoch ${state.epoch + 1}, batch ${state.batch + 1}, lr ${lr}); stopped without saving. The last good checkpoint is ${lastCheckpoint ?? '(none yet)'}; try a lower learning rate.`,
          );
        }
        await net.backward();
        sgd.step();
        const probs = await net.read('loss:probs');
        const [c1, ck] = topKCorrect(probs.subarray(0, batch.count * classes), batch.labels, classes, [1, k]);
        const now = performance.now();
        const seconds = (now - t0) / 1000;
        t0 = now;
        state.step++;
        state.batch++;
        const totals = state.epochTotals;
        totals.loss += loss * batch.count;
        totals.correct1 += c1!;
        totals.correctK += ck!;
        totals.images += batch.count;
        totals.seconds = (now - epochStart) / 1000;
        // speed over roughly the last 20 steps (exponential forgetting), for the bar and the ETA
        speed.images = speed.images * 0.95 + batch.count;
        speed.seconds = speed.seconds * 0.95 + seconds;
        const imagesPerSecond = speed.images / speed.seconds;
        options.onStep?.({
          step: state.step,
          epoch: state.epoch,
          epochs,
          batch: state.batch,
          batches,
          loss,
          lr,
          imagesPerSecond,
          etaSeconds: ((totalSteps - state.step) * batchSize) / imagesPerSecond,
        });
        if (state.step % logEvery === 0) {
          log.append({
            type: 'step',
            step: state.step,
            epoch: state.epoch,
            batch: state.batch,
            loss,
            top1Error: 1 - c1! / batch.count,
            lr,
            imagesPerSecond,
            time: new Date().toISOString(),
          });
        }
        if (state.batch >= batches) break;
        if (state.step >= maxSteps) {
          stopped = 'maxSteps';
          break outer;
        }
        if (options.signal?.aborted) {
          stopped = 'interrupted';
          break outer;
        }
        if (checkpointEvery > 0 && state.step % checkpointEvery === 0) await save();
      }

      // end of the epoch: validation, the schedule, the log, a checkpoint
      const totals = state.epochTotals;
      const val =
        data.val.size > 0
          ? await evaluate(net, data.val, classes, {
              mode: options.evalMode ?? 'center',
              batchSize: Math.min(batchSize, 64),
              limit: options.evalLimit,
              onBatch: options.onEvalBatch,
            })
          : null;
      const lrBefore = sgd.learningRate;
      if (val) sgd.observe(val.top1Error);
      const record: EpochRecord = {
        type: 'epoch',
        step: state.step,
        epoch: state.epoch + 1,
        train: {
          loss: totals.loss / totals.images,
          top1Error: 1 - totals.correct1 / totals.images,
          top5Error: 1 - totals.correctK / totals.images,
          images: totals.images,
          seconds: totals.seconds,
        },
        val: val && {
          loss: val.loss,
          top1Error: val.top1Error,
          top5Error: val.top5Error,
          images: val.images,
          mode: val.mode,
        },
        lr: lrBefore,
        lrChanged: sgd.learningRate !== lrBefore,
        time: new Date().toISOString(),
      };
      state.history.push(record);
      state.epoch++;
      state.batch = 0;
      state.epochTotals = emptyTotals();
      log.append(record);
      options.onEpoch?.(record);
      await save();
      if (state.epoch < epochs && (options.schedule as { exhausted?: boolean }).exhausted === true) {
        stopped = 'lrExhausted';
        break;
      }
      if (state.step >= maxSteps && state.epoch < epochs) {
        stopped = 'maxSteps';
        break;
      }
    }
    if (stopped === 'maxSteps' || stopped === 'interrupted') await save();
  } finally {
    sgd.dispose();
  }
  return {
    stopped,
    step: state.step,
    epoch: state.epoch,
    history: state.history,
    checkpoint: lastCheckpoint,
  };
}
