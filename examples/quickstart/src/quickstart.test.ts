/**
 * The quick start end to end at a toy size (the real network at its smallest input, a few steps):
 * it trains, replaces an earlier run, predicts, and passes extra options on to `alexnet train`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_FLAGS, quickstart } from './quickstart.js';

const root = mkdtempSync(join(tmpdir(), 'quickstart-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await quickstart(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

const TOY = [
  '--input',
  '63',
  '--train-images',
  '16',
  '--val-images',
  '5',
  '--batch',
  '4',
  '--epochs',
  '1',
  '--max-steps',
  '2',
];

describe('the quick start', () => {
  it('trains AlexNet with the quick recipe, then predicts validation images', async () => {
    const out = join(root, 'run');
    mkdirSync(out);
    writeFileSync(join(out, 'stale.txt'), 'from an earlier run');
    const r = await run(...TOY, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/replacing the earlier quick-start run/);
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    expect(r.out).toMatch(
      /AlexNet: input 63 \(conv1 pad 2\), 10 classes, relu, pool 3\/2, LRN within towers, 2 towers/,
    );
    expect(r.out).toMatch(/stopped at --max-steps 2 after 2 steps/);
    expect(r.out).toMatch(/What the trained network sees/);
    expect(r.out.match(/^val #\d+ {2}(✓|✗)/gm)).toHaveLength(5);
    const model = readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim();
    expect(model).toBe('step-00000002');
    // the quick recipe's flags reached the trainer (later flags override earlier ones)
    const meta = readFileSync(join(out, 'checkpoints', model, 'state.json'), 'utf8');
    expect(JSON.parse(meta).training.sgd.schedule).toMatchObject({ type: 'warmup', steps: 30 });
    expect(QUICK_FLAGS).toContain('--init');
  });

  it('prints its usage', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: npx -y pnpm@10\.34\.9 start/);
  });
});
