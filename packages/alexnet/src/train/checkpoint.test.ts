import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestData } from '@alexnet/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointsDir,
  latestCheckpoint,
  loadCheckpoint,
  MODEL_FILE,
  OPTIMIZER_FILE,
  resolveCheckpoint,
  saveCheckpoint,
  type TensorMap,
} from './checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const rnd = new TestData(11);

function weights(): TensorMap {
  return new Map([
    ['conv1.weight', { shape: [2, 3], data: rnd.uniform(6, -1, 1) }],
    ['conv1.bias', { shape: [2], data: rnd.uniform(2, -1, 1) }],
  ]);
}

describe('checkpoints', () => {
  it('saves weights, momentum, state and metadata, and loads them back', () => {
    const run = join(root, 'a');
    const w = weights();
    const m = weights();
    const dir = saveCheckpoint(run, 12, {
      weights: w,
      momentum: m,
      state: { step: 12 },
      metadata: { config: '{}' },
    });
    expect(dir).toBe(join(run, 'checkpoints', 'step-00000012'));
    expect(latestCheckpoint(run)).toBe(dir);
    const back = loadCheckpoint<{ step: number }>(dir);
    expect(back.state).toEqual({ step: 12 });
    expect(back.metadata).toEqual({ config: '{}' });
    expect(back.weights.get('conv1.weight')!.data).toEqual(w.get('conv1.weight')!.data);
    expect(back.momentum!.get('conv1.bias')!.data).toEqual(m.get('conv1.bias')!.data);
    expect(resolveCheckpoint(run)).toBe(join(dir, MODEL_FILE));
    expect(resolveCheckpoint(dir)).toBe(join(dir, MODEL_FILE));
    expect(resolveCheckpoint(join(dir, MODEL_FILE))).toBe(join(dir, MODEL_FILE));
    expect(() => resolveCheckpoint(join(root, 'nope'))).toThrow(/no checkpoint at/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => resolveCheckpoint(empty)).toThrow(/neither a checkpoint folder/);
  });

  it('keeps the newest `keep` checkpoints and never loses the latest', () => {
    const run = join(root, 'b');
    for (const step of [1, 2, 3, 4])
      saveCheckpoint(run, step, { weights: weights(), state: { step }, metadata: {} }, 2);
    expect(readdirSync(checkpointsDir(run)).sort()).toEqual(['latest', 'step-00000003', 'step-00000004']);
    expect(loadCheckpoint<{ step: number }>(latestCheckpoint(run)!).state.step).toBe(4);
    expect(existsSync(join(latestCheckpoint(run)!, OPTIMIZER_FILE))).toBe(false);
  });

  it('a writer that crashed half-way leaves the previous checkpoint as the latest, and its debris is cleaned up', () => {
    const run = join(root, 'c');
    saveCheckpoint(run, 5, { weights: weights(), state: { step: 5 }, metadata: {} });
    // what a crash during the next save leaves: a temporary folder with a partial file, and a
    // complete-looking folder that `latest` was never switched to
    const dirs = checkpointsDir(run);
    mkdirSync(join(dirs, 'step-00000009.tmp-99999'));
    writeFileSync(join(dirs, 'step-00000009.tmp-99999', MODEL_FILE), 'partial');
    mkdirSync(join(dirs, 'step-00000010'));
    writeFileSync(join(dirs, 'step-00000010', MODEL_FILE), 'garbage');
    expect(latestCheckpoint(run)).toBe(join(dirs, 'step-00000005'));
    expect(loadCheckpoint<{ step: number }>(latestCheckpoint(run)!).state.step).toBe(5);
    // the resumed run saves step 10 again: the stale folder is replaced, the temporary one removed
    saveCheckpoint(run, 10, { weights: weights(), state: { step: 10 }, metadata: {} });
    expect(loadCheckpoint<{ step: number }>(latestCheckpoint(run)!).state.step).toBe(10);
    expect(readdirSync(dirs).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readFileSync(join(dirs, 'latest'), 'utf8').trim()).toBe('step-00000010');
  });

  it('says so when `latest` names a missing checkpoint', () => {
    const run = join(root, 'd');
    mkdirSync(checkpointsDir(run), { recursive: true });
    writeFileSync(join(checkpointsDir(run), 'latest'), 'step-00000007\n');
    expect(() => latestCheckpoint(run)).toThrow(/names 'step-00000007', which is missing or incomplete/);
    expect(latestCheckpoint(join(root, 'never'))).toBeNull();
  });
});
