/**
 * `alexnet plot`: a training run's `metrics.jsonl` as a picture (SVG, or PNG through sharp) — loss
 * and top-1 / top-5 error per epoch, train and validation, with the per-step training loss.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import sharp from 'sharp';
import { summarizeCurves, trainingCurvesSvg } from '../interop/plot.js';
import { MetricsLog } from '../train/metrics-log.js';
import { parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { writeBytesAtomic } from './export.js';

const NAME = 'alexnet plot';

/** A PNG is rendered at this many pixels per SVG pixel (144 dpi). */
export const PNG_SCALE = 2;

const HELP = `Usage: alexnet plot --run <run folder> --out <file.svg|file.png> [options]

Draws a training run's curves from its metrics.jsonl (written by 'alexnet train'): the loss per
epoch, train and validation, with the training loss of every logged step as a faint line, and the
top-1 and top-5 error per epoch, train and validation. Steps sit at their fraction of the epoch
(epoch 1 ends at x = 1). A run with no finished epoch yet is drawn from its steps only (against the
step number), with a note. The picture is an SVG (Vega-Lite, rendered headlessly) or, for a .png
file, that SVG rasterised at ${PNG_SCALE}× its size.

Options:
  --run <folder>           the training run's folder (holding metrics.jsonl)        (required)
  --out <file>             the picture to write: .svg or .png                        (required)
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet plot --run runs/shapes --out curves.svg`;

const OPTIONS = {
  run: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const plotCommand: Command = {
  name: 'plot',
  summary: 'training curves of a run (loss, top-1/top-5 error) as SVG or PNG',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.run) throw new UsageError(`${NAME}: --run <run folder> is required (see '${NAME} --help')`);
    if (!v.out) throw new UsageError(`${NAME}: --out <file.svg|file.png> is required (see '${NAME} --help')`);
    const format = extname(v.out).toLowerCase();
    if (format !== '.svg' && format !== '.png') {
      throw new UsageError(`${NAME}: --out must end in .svg or .png, got '${v.out}'`);
    }

    const run = resolve(v.run);
    if (!existsSync(run)) throw new ArgumentError(`${run}: no such run folder`);
    if (!statSync(run).isDirectory())
      throw new ArgumentError(`${run}: not a folder (--run takes a run folder)`);
    const metrics = join(run, 'metrics.jsonl');
    if (!existsSync(metrics)) {
      throw new ArgumentError(
        `${run}: no metrics.jsonl (not a training run, or it has not logged anything yet)`,
      );
    }
    const records = new MetricsLog(metrics)
      .read()
      .filter((r) => r !== null && typeof r === 'object' && (r.type === 'step' || r.type === 'epoch'));
    if (records.length === 0) throw new ArgumentError(`${metrics}: no step or epoch records yet`);
    const summary = summarizeCurves(records);

    const svg = await trainingCurvesSvg(records, { title: `Training curves: ${basename(run)}` });
    const size = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
    let width = size ? Number(size[1]) : 0;
    let height = size ? Number(size[2]) : 0;
    let bytes: Uint8Array;
    if (format === '.png') {
      const { data, info } = await sharp(Buffer.from(svg), { density: 72 * PNG_SCALE })
        .png()
        .toBuffer({ resolveWithObject: true });
      bytes = data;
      width = info.width;
      height = info.height;
    } else {
      bytes = Buffer.from(svg);
    }
    const out = resolve(v.out);
    writeBytesAtomic(out, bytes);

    if (v.json) {
      io.out(
        `${JSON.stringify(
          {
            run,
            out,
            format: format.slice(1),
            width,
            height,
            epochs: summary.epochs,
            steps: summary.steps,
            validated: summary.validated,
            note: summary.note,
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (summary.note) io.err(`${NAME}: note: ${summary.note}\n`);
    io.out(
      `wrote ${out} (${width}×${height}): ${summary.epochs} epoch${summary.epochs === 1 ? '' : 's'} ` +
        `(${summary.validated} validated), ${summary.steps} logged step${summary.steps === 1 ? '' : 's'}\n`,
    );
    return 0;
  },
};
