/**
 * The trainer on a tiny net (reference backend, 4 classes of 8×8 images): it learns; a run stopped
 * at --max-steps or by a signal and then resumed gives exactly the losses, metrics and weights of
 * the uninterrupted run; a diverging run stops with a clear error and leaves the last checkpoint.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstantSchedule, initParams, Net, PlateauSchedule } from '@alexnet/layers';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import { TestData } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { epochOrder } from '../data/order.js';
import type { BatchRequest, DataSource, DataSplit, LabelledBatch } from '../data/source.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { MetricsLog, type StepRecord } from './metrics-log.js';
import { DivergenceError, type TrainerState, type TrainOptions, train } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SIZE = 8;
const CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

/** Class c: a bright quadrant c on noise; 'train' mode adds per-(seed, epoch, index) noise. */
function toySplit(size: number, salt: number): DataSplit {
  const base = new TestData(salt);
  const labels = base.labels(size, 4);
  const images = base.uniform(size * SIZE * SIZE, -0.5, 0.5);
  for (let i = 0; i < size; i++) {
    const c = labels[i]!;
    for (let r = 0; r < 4; r++)
      for (let k = 0; k < 4; k++) images[i * 64 + (Math.floor(c / 2) * 4 + r) * SIZE + (c % 2) * 4 + k]! += 1;
  }
  return {
    size,
    inputShape: [1, SIZE, SIZE],
    async *batches(req: BatchRequest): AsyncGenerator<LabelledBatch> {
      const order = epochOrder(size, req.seed, req.epoch, req.shuffle ?? req.mode === 'train');
      const count = req.dropLast ? Math.floor(size / req.batchSize) : Math.ceil(size / req.batchSize);
      for (let b = req.startBatch ?? 0; b < count; b++) {
        const n = Math.min(req.batchSize, size - b * req.batchSize);
        const out = {
          count: n,
          images: new Float32Array(n * 64),
          labels: new Int32Array(n),
          indices: new Int32Array(n),
        };
        for (let i = 0; i < n; i++) {
          const index = order[b * req.batchSize + i]!;
          out.images.set(images.subarray(index * 64, index * 64 + 64), i * 64);
          out.labels[i] = labels[index]!;
          out.indices[i] = index;
          if (req.mode === 'train') {
            const jitter = new TestData(req.seed * 1e6 + req.epoch * 1e3 + index).uniform(64, -0.1, 0.1);
            for (let p = 0; p < 64; p++) out.images[i * 64 + p]! += jitter[p]!;
          }
        }
        yield out;
      }
    },
  };
}

const data: DataSource = {
  classes: CLASSES,
  train: toySplit(96, 1),
  val: toySplit(32, 2),
  description: 'toy',
};

function toyNet(seed: number): Net {
  const device = new Device(new ReferenceBackend());
  const net = new Net({
    device,
    seed: seed + 1000,
    inputs: { data: [1, SIZE, SIZE], labels: [] },
    nodes: [
      { name: 'conv1', layer: { type: 'conv2d', outChannels: 6, kernel: 3, pad: 1 }, inputs: ['data'] },
      { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
      { name: 'pool1', layer: { type: 'maxPool', size: 3, stride: 2, pad: 1 }, inputs: ['relu1'] },
      { name: 'drop', layer: { type: 'dropout', p: 0.5 }, inputs: ['pool1'] },
      { name: 'fc8', layer: { type: 'linear', outFeatures: 4 }, inputs: ['drop'] },
      { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc8', 'labels'] },
    ],
  });
  initParams(net.params(), { rng: seed, weightStd: 0.1 });
  return net;
}

function options(runDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    net: toyNet(3),
    data,
    runDir,
    schedule: new PlateauSchedule({ base: 0.05, patience: 1 }),
    epochs: 3,
    batchSize: 16,
    dataSeed: 5,
    logEvery: 1,
    ...extra,
  };
}

function stepLosses(runDir: string): number[] {
  return new MetricsLog(join(runDir, 'metrics.jsonl'))
    .read()
    .filter((r): r is StepRecord => r.type === 'step')
    .map((r) => r.loss);
}

async function weightsOf(runDir: string): Promise<Float32Array[]> {
  return [...loadCheckpoint(latestCheckpoint(runDir)!).weights.values()].map((w) => w.data);
}

describe('train', () => {
  it('learns, logs every step and epoch, and checkpoints each epoch', async () => {
    const run = join(root, 'full');
    const epochs: number[] = [];
    const result = await train(options(run, { onEpoch: (r) => epochs.push(r.val!.top1Error) }));
    expect(result.stopped).toBe('completed');
    expect(result.step).toBe(18);
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    const losses = stepLosses(run);
    expect(losses).toHaveLength(18);
    expect(losses.slice(-6).reduce((a, b) => a + b) / 6).toBeLessThan(
      (0.7 * losses.slice(0, 6).reduce((a, b) => a + b)) / 6,
    );
    expect(epochs.at(-1)!).toBeLessThan(0.3);
    const state = loadCheckpoint<TrainerState>(latestCheckpoint(run)!).state;
    expect(state).toMatchObject({ step: 18, epoch: 3, batch: 0, batchSize: 16, dataSeed: 5 });
    expect(state.history).toHaveLength(3);
    await expect(train(options(run))).rejects.toThrow(/already holds a run; continue it with --resume/);
  });

  it('resumed from --max-steps mid-epoch, gives the same losses, metrics and weights as the uninterrupted run', async () => {
    const full = join(root, 'full');
    const split = join(root, 'split');
    const first = await train(options(split, { maxSteps: 8 }));
    expect(first).toMatchObject({ stopped: 'maxSteps', step: 8 });
    const second = await train(options(split, { resume: true, net: toyNet(99) }));
    expect(second.step).toBe(18);
    expect(stepLosses(split)).toEqual(stepLosses(full));
    expect(second.history.map((h) => h.val)).toEqual(
      (await train(options(join(root, 'again')))).history.map((h) => h.val),
    );
    const [a, b] = [await weightsOf(full), await weightsOf(split)];
    a.forEach((w, i) => {
      expect(b[i]).toEqual(w);
    });
  });

  it('stops on a signal between steps with a checkpoint, and the resumed run matches too', async () => {
    const run = join(root, 'signal');
    const controller = new AbortController();
    const stopped = await train(
      options(run, {
        signal: controller.signal,
        onStep: (s) => {
          if (s.step === 11) controller.abort();
        },
      }),
    );
    expect(stopped).toMatchObject({ stopped: 'interrupted', step: 11 });
    await train(options(run, { resume: true }));
    expect(stepLosses(run)).toEqual(stepLosses(join(root, 'full')));
  });

  it('drops the log lines a crashed run wrote after its last checkpoint', async () => {
    const run = join(root, 'crash');
    await train(options(run, { maxSteps: 8, checkpointEvery: 4 }));
    // the "crash": lines past the checkpoint at step 8 that the resumed run will write again
    const log = new MetricsLog(join(run, 'metrics.jsonl'));
    log.append({
      type: 'step',
      step: 9,
      epoch: 1,
      batch: 3,
      loss: 123,
      top1Error: 0,
      lr: 0,
      imagesPerSecond: 0,
      time: '',
    });
    await train(options(run, { resume: true }));
    expect(stepLosses(run)).toEqual(stepLosses(join(root, 'full')));
  });

  it('starts a fresh log when the folder has lines but no checkpoint (a run killed before its first)', async () => {
    const run = join(root, 'early-crash');
    mkdirSync(run, { recursive: true });
    const log = new MetricsLog(join(run, 'metrics.jsonl'));
    log.append({
      type: 'step',
      step: 1,
      epoch: 0,
      batch: 1,
      loss: 99,
      top1Error: 1,
      lr: 0,
      imagesPerSecond: 0,
      time: '',
    });
    await train(options(run));
    expect(stepLosses(run)).toEqual(stepLosses(join(root, 'full')));
  });

  it('stops on a NaN/inf loss with a message, keeping the last good checkpoint', async () => {
    const run = join(root, 'diverge');
    const error = await train(
      options(run, { schedule: new ConstantSchedule(1e30), checkpointEvery: 1 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect(String(error.message)).toMatch(
      /loss became (NaN|Infinity|-Infinity) at step 2 .*lr 1e\+30.*last good checkpoint is .*step-00000001/,
    );
    expect(loadCheckpoint<TrainerState>(latestCheckpoint(run)!).state.step).toBe(1);
    for (const w of await weightsOf(run)) expect(w.every(Number.isFinite)).toBe(true);
  });

  it('refuses bad settings clearly', async () => {
    await expect(train(options(join(root, 'x'), { batchSize: 200 }))).rejects.toThrow(
      /fewer than one batch of 200/,
    );
    await expect(train(options(join(root, 'y'), { resume: true }))).rejects.toThrow(
      /has no checkpoint to resume from/,
    );
    await expect(train(options(join(root, 'z'), { epochs: 0 }))).rejects.toThrow(
      /epochs must be an integer >= 1/,
    );
  });
});
