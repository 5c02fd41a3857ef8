/**
 * The file pipeline end to end through the CLI: the built-in dataset written as PNG files in the
 * ILSVRC layout, `data prepare` into a cache, `data stats`, `data verify`, training from the cache
 * and `predict` on image files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-data-'));
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

describe('alexnet data', () => {
  it('writes the built-in data as files, prepares, verifies, trains from the cache and predicts files', async () => {
    const files = join(root, 'shapes');
    const w = await cli('data', 'builtin', '--out', files, '--train-images', '40', '--val-images', '10');
    expect(w.code, w.err).toBe(0);
    expect(readdirSync(join(files, 'train')).sort()).toEqual(
      [...Array(10).keys()].map((c) => `n0000000${c}`),
    );
    expect(readFileSync(join(files, 'classes.tsv'), 'utf8')).toMatch(/^n00000000\tdisc\nn00000001\tsquare\n/);
    // one broken file, to be reported by name and skipped
    writeFileSync(join(files, 'train', 'n00000002', 'broken.png'), 'not a picture');

    const cache = join(root, 'cache');
    const p = await cli('data', 'prepare', files, '--out', cache, '--size', '72', '--json');
    expect(p.code, p.err).toBe(0);
    const report = JSON.parse(p.out);
    expect(report).toMatchObject({ seen: 51, accepted: 50 });
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0].path).toMatch(/broken\.png$/);
    expect(report.classes.map((c: { name: string }) => c.name).slice(0, 3)).toEqual([
      'disc',
      'square',
      'triangle',
    ]);

    const s = await cli('data', 'stats', cache);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/40 training images\nmean RGB: +[\d.]+, [\d.]+, [\d.]+\nPCA λ \(std\):/);
    const v = await cli('data', 'verify', cache);
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/: ok/);

    const run = join(root, 'run');
    const t = await cli(
      'train',
      '--data',
      cache,
      '--input',
      '63',
      '--batch',
      '4',
      '--epochs',
      '1',
      '--max-steps',
      '2',
      '--init',
      'he',
      '--out',
      run,
    );
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/data: +.*cache of .*40 train \/ 10 val, 72px records, 63px crops/);
    expect(t.err).not.toMatch(/warning: crops/);

    const image = join(files, 'val', 'n00000004', 'n00000004_000004.png');
    const q = await cli('predict', '--checkpoint', run, image, '--json');
    expect(q.code, q.err).toBe(0);
    const prediction = JSON.parse(q.out).predictions[0];
    expect(prediction.image).toBe(image);
    expect(prediction.top).toHaveLength(5);
    const e = await cli('eval', '--checkpoint', run, '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).images).toBe(10);
  });

  it('reports bad input clearly', async () => {
    const none = await cli('data', 'prepare', join(root, 'missing'), '--out', join(root, 'x'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/missing' is not a folder/);
    expect((await cli('data', 'frobnicate')).err).toMatch(/unknown subcommand 'frobnicate'/);
    expect((await cli('data', 'prepare', '--out', join(root, 'y'))).err).toMatch(
      /expects one dataset folder/,
    );
    const bad = await cli('data', 'verify', join(root, 'nothing-here'));
    expect(bad.code).toBe(1);
    expect(existsSync(join(root, 'nothing-here'))).toBe(false);
  });
});
