/**
 * One decode as a job that never throws: pixels, or the reason the file was rejected. Run in the
 * main thread (sharp's libuv thread pool does the work) or in `prepare-worker` threads.
 */
import { statSync } from 'node:fs';
import { type DecodeSettings, decodeImage, failureReason } from './decode.js';

export interface DecodeTask {
  file: string;
  settings: DecodeSettings;
}

export type DecodeResult = { ok: true; pixels: Uint8Array } | { ok: false; reason: string };

export async function decodeJob(task: DecodeTask): Promise<DecodeResult> {
  try {
    return { ok: true, pixels: await decodeImage(task.file, task.settings) };
  } catch (e) {
    let bytes: number | undefined;
    try {
      bytes = statSync(task.file).size;
    } catch {
      return { ok: false, reason: `cannot read file (${failureReason(e)})` };
    }
    return { ok: false, reason: failureReason(e, bytes) };
  }
}
