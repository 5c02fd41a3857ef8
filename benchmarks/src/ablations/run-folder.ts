/**
 * What every ablation runner does around its training runs: a runs folder that belongs to one
 * setting (mixing runs of different settings would be dishonest), the device, the epoch records a
 * crashed or diverged run left behind, and Ctrl-C that finishes the step and saves a checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Device } from '@alexnet/tensor';
import { type EpochRecord, selectDevices } from 'alexnet';

/**
 * Creates `runsDir` (gitignored), records `settings` in it the first time, and refuses a folder that
 * holds runs of other settings. `settings` is compared as its JSON text.
 */
export function claimRunsFolder(runsDir: string, settings: unknown): void {
  mkdirSync(runsDir, { recursive: true });
  const ignore = path.join(runsDir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const file = path.join(runsDir, 'settings.json');
  const text = JSON.stringify(settings);
  if (!existsSync(file)) {
    writeFileSync(file, `${text}\n`);
    return;
  }
  const saved = readFileSync(file, 'utf8').trim();
  if (saved !== text)
    throw new Error(`${runsDir} holds runs of other settings (${saved}); use --runs with another folder`);
}

/** The device of `--device` (first of a list), logged; a warning when it is not the native backend. */
export async function ablationDevice(
  flag: string,
  smoke: boolean,
  log: (line: string) => void,
): Promise<Device> {
  const { devices, reason } = await selectDevices(flag);
  const device = Array.isArray(devices) ? devices[0]! : (devices as Device);
  log(`device: ${reason}`);
  if (!smoke && !device.name.startsWith('native'))
    log('warning: not the native backend; the time budget assumes @alexnet/native');
  return device;
}

/** The trainer's `epoch` lines in `<runDir>/metrics.jsonl` (a torn last line is ignored). */
export function readEpochRecords(runDir: string): EpochRecord[] {
  const file = path.join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  const records: EpochRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as { type: string };
      if (r.type === 'epoch') records.push(r as EpochRecord);
    } catch {
      // a line cut by a crash: the trainer rewrites from the checkpoint on resume
    }
  }
  return records;
}

/**
 * Ctrl-C aborts `signal` (the trainer finishes the step and saves a checkpoint); a second Ctrl-C quits
 * at once. `dispose()` removes the handler.
 */
export function interruptOnSigint(log: (line: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    log('interrupted: finishing the step and saving a checkpoint (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
