/** Runs one measurement in a child process (a clean heap and a clean peak RSS), with a hard time cap. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type ChildOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Starts `node script ...args --worker-out FILE`, waits up to `capMs` (then SIGKILL), and returns the
 * JSON the child wrote to FILE, or why there is none (exit code, signal, time-out, last stderr lines).
 */
export async function runChild<T>(
  script: string,
  args: readonly string[],
  capMs: number,
): Promise<ChildOutcome<T>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alexnet-e2e-'));
  const out = path.join(dir, 'result.json');
  let stderrTail = '';
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>(
      (resolve) => {
        const child = spawn(process.execPath, [script, ...args, '--worker-out', out], {
          stdio: ['ignore', 'inherit', 'pipe'],
        });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, capMs);
        child.stderr.on('data', (chunk: Buffer) => {
          process.stderr.write(chunk);
          stderrTail = (stderrTail + chunk.toString()).slice(-2000);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, timedOut });
        });
        child.on('error', () => {
          clearTimeout(timer);
          resolve({ code: null, signal: null, timedOut });
        });
      },
    );
    if (exit.code === 0) return { ok: true, value: JSON.parse(await readFile(out, 'utf8')) as T };
    const why = exit.timedOut
      ? `stopped at its time cap of ${(capMs / 1000).toFixed(0)} s`
      : `worker exited with ${exit.signal ?? `code ${exit.code}`}`;
    // The last lines of stderr, without tfjs's "install tfjs-node" banner.
    const tail = stderrTail
      .trim()
      .split('\n')
      .filter(
        (l) => l.trim() !== '' && !/^=+$/.test(l.trim()) && !l.includes('running TensorFlow.js in Node.js'),
      )
      .slice(-3)
      .join(' / ');
    return { ok: false, error: `${why}${tail ? `: ${tail}` : ''}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
