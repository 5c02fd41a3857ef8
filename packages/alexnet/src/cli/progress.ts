/**
 * The training progress line: redrawn in place on a terminal, one line per ~10% of an epoch when
 * stderr is a file or a pipe (CI logs stay readable).
 */
import type { Io } from './command.js';

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * width);
  return `[${'='.repeat(full)}${full < width ? '>' : ''}${' '.repeat(Math.max(0, width - full - 1))}]`;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export class ProgressLine {
  private drawn = false;
  private lastBucket = -1;

  constructor(
    private readonly io: Io,
    private readonly tty: boolean,
  ) {}

  update(p: ProgressState): void {
    const text = `epoch ${p.epoch + 1}/${p.epochs} ${bar(p.batch / p.batches)} ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toPrecision(3)}  ${p.imagesPerSecond.toFixed(1)} img/s  ETA ${duration(p.etaSeconds)}`;
    if (this.tty) {
      this.io.err(`\r\x1b[2K${text}`);
      this.drawn = true;
      return;
    }
    const bucket = Math.floor((p.batch / p.batches) * 10);
    if (bucket !== this.lastBucket || p.batch === 1) {
      this.lastBucket = bucket;
      this.io.err(`${text}\n`);
    }
  }

  /** Ends the in-place line before other output. */
  clear(): void {
    if (this.tty && this.drawn) this.io.err('\r\x1b[2K');
    this.drawn = false;
    this.lastBucket = -1;
  }
}
