/**
 * The run's metrics as JSON Lines (`<run>/metrics.jsonl`): one object per line, `type` 'step' or
 * 'epoch', each with the global `step` it was written at. Appended with a flush per line, so a
 * crash loses nothing written; on resume, lines after the checkpoint's step (written by the crashed
 * run past its last checkpoint, and about to be produced again) are dropped first.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './checkpoint.js';

export interface StepRecord {
  type: 'step';
  step: number;
  epoch: number;
  batch: number;
  loss: number;
  top1Error: number;
  lr: number;
  imagesPerSecond: number;
  time: string;
}

export interface EpochRecord {
  type: 'epoch';
  step: number;
  epoch: number;
  train: { loss: number; top1Error: number; top5Error: number; images: number; seconds: number };
  val: { loss: number; top1Error: number; top5Error: number; images: number; mode: string } | null;
  lr: number;
  /** The learning rate for the next epoch changed (the plateau schedule divided it). */
  lrChanged: boolean;
  time: string;
}

export type MetricsRecord = StepRecord | EpochRecord;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every record (a torn last line from a crash is ignored). */
  read(): MetricsRecord[] {
    if (!existsSync(this.path)) return [];
    const out: MetricsRecord[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as MetricsRecord);
      } catch {
        // only the last line can be torn (appends are sequential); skipping it is the recovery
      }
    }
    return out;
  }

  /** Keeps the records written at or before `step` (resume), rewriting the file atomically. */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = this.read().filter((r) => r.step <= step);
    writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
