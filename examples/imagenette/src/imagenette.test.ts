/**
 * The example end to end on a small ILSVRC-layout folder written by `alexnet data builtin` (PNG
 * files), and, when ../shared/data/imagenette2 is present, its listing of real photos (skipped with
 * a message otherwise: a user's clone does not have it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from 'alexnet';
import { afterAll, describe, expect, it } from 'vitest';
import { imagenette } from './imagenette.js';

const root = mkdtempSync(join(tmpdir(), 'imagenette-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = { out: () => {}, err: () => {} };

describe('the imagenette example', () => {
  it('prepares, computes statistics, trains and predicts files of a folder in the ILSVRC layout', async () => {
    const data = join(root, 'shapes');
    expect(
      await runCli(['data', 'builtin', '--out', data, '--train-images', '30', '--val-images', '10'], quiet),
    ).toBe(0);
    let out = '';
    let err = '';
    const code = await imagenette(
      [
        data,
        '--cache',
        join(root, 'cache'),
        '--out',
        join(root, 'run'),
        '--epochs',
        '1',
        '--',
        '--input',
        '63',
        '--batch',
        '5',
        '--max-steps',
        '2',
      ],
      { out: (t) => (out += t), err: (t) => (err += t) },
    );
    expect(code, err).toBe(0);
    for (const step of ['data prepare', 'data stats', 'train --data', 'predict --checkpoint'])
      expect(out).toContain(`$ alexnet ${step}`);
    expect(out).toMatch(/40 images cached, 0 skipped, 40 seen/);
    expect(out).toMatch(/stopped at --max-steps 2 after 2 steps/);
    expect(out.match(/\.png\n( +[\d.]+% .*\n){3}/g)).toHaveLength(4);
  });

  it('prints its usage', async () => {
    let text = '';
    expect(await imagenette(['--help'], { out: (t) => (text += t), err: () => {} })).toBe(0);
    expect(text).toMatch(/^Usage: node examples\/imagenette/);
    expect(await imagenette([], quiet)).toBe(2);
  });
});
