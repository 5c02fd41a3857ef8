/**
 * `alexnet train` and `alexnet eval` end to end on the real AlexNet (at its smallest input, 63, so
 * a step takes a fraction of a second on the native backend): a run stopped by --max-steps and
 * resumed equals an uninterrupted one; eval reads the checkpoint back and agrees with the trainer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint.js';
import { runCli } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** A few steps of the real network on a few built-in images: input 63, batch 4. */
const SMALL = ['--input', '63', '--batch', '4', '--train-images', '12', '--val-images', '6', '--init', 'he'];

function stepLosses(run: string): number[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'step')
    .map((r) => r.loss);
}

describe('alexnet train / eval', () => {
  it('trains, resumes exactly, and eval reproduces the validation metrics', async () => {
    const full = join(root, 'full');
    const a = await cli('train', ...SMALL, '--epochs', '2', '--out', full, '--json');
    expect(a.code, a.err).toBe(0);
    const summary = JSON.parse(a.out);
    expect(summary).toMatchObject({ stopped: 'completed', step: 6, epoch: 2 });
    expect(summary.history).toHaveLength(2);
    expect(a.err).toMatch(/AlexNet: input 63 \(conv1 pad 2\), 10 classes/);

    const split = join(root, 'split');
    const b1 = await cli('train', ...SMALL, '--epochs', '2', '--max-steps', '4', '--out', split);
    expect(b1.code, b1.err).toBe(0);
    expect(b1.out).toMatch(/stopped at --max-steps 4 after 4 steps/);
    const b2 = await cli(
      'train',
      '--resume',
      '--epochs',
      '2',
      '--batch',
      '4',
      '--train-images',
      '12',
      '--val-images',
      '6',
      '--out',
      split,
    );
    expect(b2.code, b2.err).toBe(0);
    expect(b2.out).toMatch(/resuming at step 4, epoch 2/);
    expect(stepLosses(split)).toEqual(stepLosses(full));

    const e = await cli('eval', '--checkpoint', full, '--json');
    expect(e.code, e.err).toBe(0);
    const result = JSON.parse(e.out);
    const last = summary.history.at(-1).val;
    expect(result.images).toBe(6);
    expect(result.top1Error).toBeCloseTo(last.top1Error, 10);
    expect(result.loss).toBeCloseTo(last.loss, 5);
    // predict on the same 6 validation images: its top-1 agrees with eval's error
    const p = await cli('predict', '--checkpoint', full, '--images', '6', '--json');
    expect(p.code, p.err).toBe(0);
    const predictions = JSON.parse(p.out).predictions as {
      truth: string;
      top: { class: string; probability: number }[];
    }[];
    expect(predictions).toHaveLength(6);
    for (const q of predictions) {
      expect(q.top).toHaveLength(5);
      const probs = q.top.map((t) => t.probability);
      expect(probs).toEqual([...probs].sort((x, y) => y - x));
      expect(probs.reduce((x, y) => x + y)).toBeLessThanOrEqual(1 + 1e-6);
    }
    const wrong = predictions.filter((q) => q.top[0]!.class !== q.truth).length;
    expect(wrong / 6).toBeCloseTo(result.top1Error, 10);
    const text = await cli('predict', '--checkpoint', full, '--images', '2', '--top', '3');
    expect(text.out).toMatch(/^val #0 {2}(✓|✗ \(true: [a-z ]+\))\n( +[\d.]+% +█* +[a-z ]+( ←)?\n){3}val #1/);
    const ten = await cli('eval', '--checkpoint', full, '--crops', 'ten');
    expect(ten.code, ten.err).toBe(0);
    expect(ten.out).toMatch(/6 images \(10 crops\): top-1 error [\d.]+%, top-5 error [\d.]+%, loss [\d.]+/);
  });

  it('initialises as --init says (the paper: N(0, 0.01²); he: N(0, 2/fan-in)) and records it', async () => {
    for (const [init, std] of [
      ['paper', 0.01],
      ['he', Math.sqrt(2 / (3 * 11 * 11))],
    ] as const) {
      const run = join(root, `init-${init}`);
      const r = await cli(
        'train',
        ...SMALL,
        '--init',
        init,
        '--lr',
        '1e-12',
        '--max-steps',
        '1',
        '--out',
        run,
      );
      expect(r.code, r.err).toBe(0);
      const cp = loadCheckpoint(latestCheckpoint(run)!);
      expect(cp.metadata.init).toBe(init);
      const w = cp.weights.get('conv1.weight')!.data;
      const measured = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
      expect(measured / std, init).toBeGreaterThan(0.95);
      expect(measured / std, init).toBeLessThan(1.05);
    }
  });

  it('refuses what it cannot do, with the reason', async () => {
    const run = join(root, 'refuse');
    expect((await cli('train', ...SMALL, '--epochs', '1', '--max-steps', '1', '--out', run)).code).toBe(0);
    const again = await cli('train', ...SMALL, '--epochs', '1', '--out', run);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds a run; continue it with --resume/);
    const changed = await cli('train', '--resume', '--activation', 'tanh', '--out', run);
    expect(changed.code).toBe(2);
    expect(changed.err).toMatch(/--resume continues the run's network .*leave out the network flags/);
    const none = await cli('train', '--resume', '--out', join(root, 'none'));
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/has no checkpoint/);
    const bad = await cli('train', '--lr=-1');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--lr must be > 0/);
    const zero = await cli('train', '--batch', '0');
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/--batch must be >= 1, got 0/);
    const nan = await cli('train', '--lr', 'NaN');
    expect(nan.code).toBe(2);
    expect(nan.err).toMatch(/--lr must be a number, got 'NaN'/);
    const device = await cli('train', ...SMALL, '--device', 'warp:0', '--out', join(root, 'warp'));
    expect(device.code).toBe(1);
    expect(device.err).toMatch(/warp/);
    const wrongCheckpoint = await cli('eval', '--checkpoint', join(root, 'refuse', 'checkpoints', 'latest'));
    expect(wrongCheckpoint.code).toBe(1);
    expect(wrongCheckpoint.err).toMatch(/header length|not a safetensors|does not fit/);
    const missing = await cli('eval');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--checkpoint is required/);
    const noData = await cli('train', '--data', join(root, 'nowhere'), '--out', join(root, 'x'));
    expect(noData.code).toBe(1);
    expect(noData.err).toMatch(/does not exist; give 'builtin' or a cache folder/);
  });
});
