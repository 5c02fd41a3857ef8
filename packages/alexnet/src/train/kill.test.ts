/**
 * SIGKILL at random moments of a run that checkpoints after every step — many of them during a
 * checkpoint write: each time the latest checkpoint must load, and a run resumed after every kill
 * must end with exactly the losses and weights of a run that was never interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import type { TrainerState } from './trainer.js';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'kill-child.mjs');
const root = mkdtempSync(join(tmpdir(), 'kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const EPOCHS = '2'; // 16 steps

function losses(run: string): number[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'step')
    .map((r) => r.loss);
}

/** Starts the child and SIGKILLs it after `ms`; resolves to whether it was still running. */
function runAndKill(run: string, resume: boolean, ms: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, run, resume ? '1' : '0', EPOCHS], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`child failed (${code}): ${stderr}`));
    });
  });
}

describe('SIGKILL during training', () => {
  it('always leaves a loadable latest checkpoint, and resuming reproduces the uninterrupted run', async () => {
    const clean = join(root, 'clean');
    const r = spawnSync(process.execPath, [child, clean, '0', EPOCHS], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const expected = losses(clean);
    expect(expected).toHaveLength(16);

    const run = join(root, 'killed');
    let kills = 0;
    let resume = false;
    // kill at spread-out moments (a deterministic sequence, so a failure replays); give up killing
    // after 12 tries and let the run finish
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = attempt < 12 ? 300 + ((attempt * 137) % 700) : 120_000;
      const killed = await runAndKill(run, resume, delay);
      if (!killed) break;
      kills++;
      const dir = latestCheckpoint(run);
      if (dir !== null) {
        // whatever the moment of the kill, the latest checkpoint is complete and self-consistent
        const cp = loadCheckpoint<TrainerState>(dir);
        expect(cp.state.format).toBe('alexnet/trainer-state');
        expect(cp.weights.get('fc7.weight')!.data).toHaveLength(2048 * 8 * 8 * 8);
        expect(cp.momentum!.size).toBe(cp.weights.size);
        resume = true;
      }
    }
    expect(kills).toBeGreaterThan(3);
    const state = loadCheckpoint<TrainerState>(latestCheckpoint(run)!).state;
    expect(state.epoch).toBe(2);
    expect(losses(run)).toEqual(expected);
    const [a, b] = [clean, run].map((d) => loadCheckpoint(latestCheckpoint(d)!).weights);
    for (const [name, w] of a!) expect(b!.get(name)!.data, name).toEqual(w.data);
  });
});
