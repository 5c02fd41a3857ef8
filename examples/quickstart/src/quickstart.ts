/**
 * The quick start: trains the paper's AlexNet (8 layers, two towers; 10 output classes) on the
 * built-in shapes dataset with `alexnet train`, then shows what it predicts for a few validation
 * images. Everything it does is the `alexnet` command line, in process — the same run can be
 * continued (`alexnet train --resume --out runs/quickstart --epochs 12`), evaluated and inspected.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Io, runCli } from 'alexnet';

/**
 * The recipe, chosen to learn visibly in a few minutes on two CPU cores (measured: see README.md).
 * The paper's network — 8 layers, two towers, LRN, overlapping pooling, dropout 0.5 — at its
 * smallest input, 63×63 (conv1 → 15×15 maps instead of 55×55: about a twelfth of the FLOPs; `--input
 * 224` for the paper's size). He initialisation with a 30-step warm-up, because the paper's
 * N(0, 0.01²) sits near chance for hundreds of steps (alexnet's DIFFERENCES.md). The paper's SGD
 * (momentum 0.9, weight decay 0.0005) with lr 0.003 for batch 32 (its 0.01 is for batch 128), held
 * constant: the paper's ÷10 on a validation plateau is for 90 epochs, and in a short run it fires
 * during the first epochs at chance, before the network has started to learn (measured).
 */
export const QUICK_FLAGS: readonly string[] = Object.freeze([
  '--input',
  '63',
  '--init',
  'he',
  '--warmup',
  '30',
  '--lr',
  '0.003',
  '--batch',
  '32',
  '--epochs',
  '8',
  '--schedule',
  'constant',
  '--train-images',
  '1920',
  '--val-images',
  '320',
]);

export const DEFAULT_OUT = 'runs/quickstart';

const USAGE = `Usage: npx -y pnpm@10.34.9 start [-- train options]

Trains AlexNet on the built-in shapes dataset (${QUICK_FLAGS.join(' ')}) into
${DEFAULT_OUT} (replacing an earlier quick-start run there), then predicts a few validation images.
Any 'alexnet train' option given after '--' overrides these (see 'alexnet train --help'), e.g.
  npx -y pnpm@10.34.9 start -- --epochs 12
  npx -y pnpm@10.34.9 start -- --device native:0,native:1      (the two towers on two devices)`;

/** Runs the quick start with extra `alexnet train` arguments; resolves to the exit code. */
export async function quickstart(args: readonly string[], io: Io): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const outIndex = args.lastIndexOf('--out');
  const out = resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1]! : DEFAULT_OUT);
  const resuming = args.includes('--resume');
  if (!resuming && existsSync(out)) {
    io.out(`replacing the earlier quick-start run in ${out}\n`);
    rmSync(out, { recursive: true, force: true });
  }
  const trainArgs = resuming ? ['--out', out, ...args] : [...QUICK_FLAGS, '--out', out, ...args];
  const code = await runCli(['train', ...trainArgs], io);
  if (code !== 0) return code;
  io.out('\nWhat the trained network sees in five validation images:\n');
  const predicted = await runCli(['predict', '--checkpoint', out, '--images', '5', '--top', '3'], io);
  if (predicted !== 0) return predicted;
  io.out(
    [
      '',
      'Next:',
      `  alexnet eval --checkpoint ${out} --crops ten       # the paper's 10-crop test error`,
      `  alexnet train --resume --out ${out} --epochs 12   # continue training`,
      "  alexnet train --help                                # every option (the paper's recipe is the default)",
      '',
    ].join('\n'),
  );
  return 0;
}
