/**
 * AlexNet on real photos: a folder in the ILSVRC-2012 layout (Imagenette's ten ImageNet classes, or
 * ImageNet itself) → `alexnet data prepare` (decoded records, resumable) → `alexnet data stats`
 * (mean image, RGB PCA) → `alexnet train` → `alexnet predict` on a few of the validation JPEG files.
 * Every step is the `alexnet` command line, in process; each can be rerun on its own.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Io, runCli } from 'alexnet';

/**
 * Defaults sized for a few CPU cores: the paper's network at input 127 (crops of 145×145 records,
 * the paper's 224/256 ratio), He init with warm-up and lr 0.003 for batch 32 (see the quick start
 * for why). `--paper` uses alexnet train's defaults instead: 224 crops of 256 records, the paper's
 * init and schedule — days on a CPU for ImageNet, hours for Imagenette.
 */
export const FAST_TRAIN: readonly string[] = Object.freeze([
  '--input',
  '127',
  '--init',
  'he',
  '--warmup',
  '100',
  '--lr',
  '0.003',
  '--batch',
  '32',
  '--schedule',
  'constant',
]);
export const FAST_SIZE = 145;

export const USAGE = `Usage: node examples/imagenette/dist/main.js <dataset folder> [options] [-- alexnet train options]

  <dataset folder>     ILSVRC layout: train/<wnid>/*.JPEG and val/ (val/<wnid>/, or flat with
                       val.txt / LOC_val_solution.csv); e.g. ../shared/data/imagenette2
  --cache <dir>        where the decoded records go                     [runs/imagenette-cache]
  --out <dir>          the training run                                       [runs/imagenette]
  --epochs <n>                                                                            [10]
  --limit <n>          at most n images per split (a quick trial)
  --paper              the paper's recipe (224 crops of 256 records, its init and schedule)
  -h, --help`;

function someValidationImages(root: string, count: number): string[] {
  const val = join(root, 'val');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (out.length >= count) return;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(jpe?g|png|webp)$/i.test(name)) out.push(path);
    }
  };
  // one image from each of the first class folders
  for (const name of readdirSync(val).sort()) {
    if (out.length >= count) break;
    const path = join(val, name);
    if (statSync(path).isDirectory()) {
      const before = out.length;
      walk(path);
      out.splice(before + 1);
    }
  }
  if (out.length === 0) walk(val);
  return out.slice(0, count);
}

export async function imagenette(argv: readonly string[], io: Io): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values: v, positionals } = parseArgs({
    args: [...own],
    allowPositionals: true,
    options: {
      cache: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      limit: { type: 'string' },
      paper: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help || positionals.length !== 1) {
    (v.help ? io.out : io.err)(`${USAGE}\n`);
    return v.help ? 0 : 2;
  }
  const root = resolve(positionals[0]!);
  const cache = resolve(v.cache ?? 'runs/imagenette-cache');
  const out = resolve(v.out ?? 'runs/imagenette');
  const steps: [string, string[]][] = [
    [
      'prepare',
      [
        'data',
        'prepare',
        root,
        '--out',
        cache,
        '--size',
        String(v.paper ? 256 : FAST_SIZE),
        ...(v.limit ? ['--limit', v.limit] : []),
      ],
    ],
    ['stats', ['data', 'stats', cache]],
    [
      'train',
      [
        'train',
        '--data',
        cache,
        '--out',
        out,
        '--epochs',
        v.epochs ?? '10',
        ...(v.paper ? [] : FAST_TRAIN),
        ...extra,
      ],
    ],
    ['predict', ['predict', '--checkpoint', out, ...someValidationImages(root, 4), '--top', '3']],
  ];
  for (const [name, args] of steps) {
    io.out(`\n$ alexnet ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}\n`);
    const code = await runCli(args, io);
    if (code !== 0) {
      io.err(`imagenette: the ${name} step failed (exit code ${code})\n`);
      return code;
    }
  }
  return 0;
}
