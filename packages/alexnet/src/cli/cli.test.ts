/**
 * The `alexnet` CLI: in-process through `runCli` (every command, flag and error), and the built
 * executable (dist/cli.js, the package's bin) through a child process for the exit codes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../version.js';
import { runCli } from './main.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

interface InfoJson {
  config: Record<string, unknown>;
  layers: {
    name: string;
    kind: string;
    output: string;
    shape: number[];
    params: number;
    multiplyAdds: number;
    reads: string | null;
  }[];
  totals: {
    params: number;
    multiplyAdds: number;
    forwardFlops: number;
    trainingFlops: number;
    trainingStepFlops: number;
  };
  device: { auto: string | null; reason: string };
}

describe('alexnet info', () => {
  it("prints the layer table, the totals, FLOPs per image and the device 'auto' picks", async () => {
    const { code, out, err } = await cli('info');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(
      /^AlexNet: input 224 \(conv1 pad 2\), 1000 classes, relu, pool 3\/2, LRN within towers, 2 towers/,
    );
    expect(out).toMatch(/^layer +output \(H×W×C\) +parameters +multiply-adds/m);
    expect(out).toMatch(
      /^conv1 +55×55×96 +34,944 +105,415,200 +conv 11×11\/4 pad 2, 3→96 \(2 towers × 48, read the image\)$/m,
    );
    expect(out).toMatch(/^pool1 +27×27×96 +— +— +max pool 3×3\/2 \(overlapping\)$/m);
    expect(out).toMatch(/^conv2 +27×27×256 +307,456 +223,948,800 +.*read own tower\)$/m);
    expect(out).toMatch(/^conv3 +13×13×384 +885,120 +.*read both towers\)$/m);
    expect(out).toMatch(/^pool5 +6×6×256 /m);
    expect(out).toMatch(/^fc6 +4096 +37,752,832 +37,748,736 /m);
    expect(out).toMatch(/^fc8 +1000 +4,097,000 +4,096,000 /m);
    expect(out).toMatch(/^total +60,965,224 +724,406,816$/m);
    expect(out).toMatch(/^forward: +1\.449 GFLOP per image \(724\.4 M multiply-adds × 2\)$/m);
    expect(out).toMatch(/^training step: +4\.346 GFLOP per image \(3× forward; 4\.136 GFLOP without/m);
    expect(out).toMatch(/^device 'auto': +auto picked (native|ref|cuda|gpu):0/m);
  });

  it('prints JSON with --json', async () => {
    const { code, out } = await cli('info', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(out) as InfoJson;
    expect(info.totals).toEqual({
      params: 60_965_224,
      multiplyAdds: 724_406_816,
      forwardFlops: 1_448_813_632,
      trainingFlops: 4_346_440_896,
      trainingStepFlops: 4_346_440_896 - 2 * 105_415_200,
    });
    expect(info.layers).toHaveLength(23);
    expect(info.layers[0]).toMatchObject({
      name: 'conv1',
      kind: 'conv',
      output: '55×55×96',
      shape: [96, 55, 55],
      params: 34_944,
      reads: 'input',
    });
    expect(info.layers.find((l) => l.name === 'fc8')).toMatchObject({ output: '1000', params: 4_097_000 });
    expect(info.config).toMatchObject({ input: 224, conv1Pad: 2, towers: 2, classes: 1000 });
    expect(info.device.auto).toMatch(/^(native|ref|cuda|gpu):0$/);
  });

  it('takes the ablation flags', async () => {
    const caffe = JSON.parse(
      (await cli('info', '--input', '227', '--lrn', 'caffe', '--json')).out,
    ) as InfoJson;
    expect(caffe.config).toMatchObject({ input: 227, conv1Pad: 0, lrn: { enabled: true, mode: 'caffe' } });
    expect(caffe.layers.slice(0, 4).map((l) => l.output)).toEqual([
      '55×55×96',
      '55×55×96',
      '55×55×96',
      '27×27×96',
    ]);
    expect(caffe.totals.params).toBe(60_965_224);

    const { code, out } = await cli(
      'info',
      '--towers=1',
      '--activation',
      'tanh',
      '--pool',
      '2/2',
      '--no-lrn',
      '--classes',
      '10',
      '--dropout',
      '0.3',
      '--json',
    );
    expect(code).toBe(0);
    const info = JSON.parse(out) as InfoJson;
    expect(info.config).toMatchObject({
      towers: 1,
      activation: 'tanh',
      pooling: { size: 2, stride: 2 },
      lrn: { enabled: false },
      classes: 10,
      dropout: 0.3,
    });
    expect(info.totals.params).toBe(62_378_344 - 4_097_000 + 40_970);
    expect(info.layers.map((l) => l.name)).not.toContain('lrn1');
    expect(info.layers.find((l) => l.name === 'pool5')!.output).toBe('6×6×256');
    expect(info.layers.find((l) => l.name === 'tanh7')).toBeDefined();

    const text = (await cli('info', '--towers', '1', '--pool', '2/2')).out;
    expect(text).toMatch(/^pool1 +27×27×96 +— +— +max pool 2×2\/2$/m);
    expect(text).toMatch(/^conv2 +27×27×256 +614,656 /m);
  });

  it('explains bad values and unknown flags with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['info', '--towers', '3'], /^alexnet info: AlexNet config: towers must be 1 or 2 .*got 3$/],
      [['info', '--classes', '0'], /classes must be an integer in \[1, 16777216\], got 0/],
      [['info', '--classes', 'ten'], /^alexnet info: --classes must be a non-negative integer, got 'ten'$/],
      [['info', '--activation', 'sigmoid'], /--activation must be relu or tanh, got 'sigmoid'/],
      [['info', '--input', '32'], /input 32 is too small: .* the smallest input is 63/],
      [['info', '--pool', '3x2'], /--pool must be window\/stride such as 3\/2 or 2\/2, got '3x2'/],
      [['info', '--lrn', 'across'], /--lrn must be tower or caffe, got 'across'/],
      [['info', '--no-lrn', '--lrn', 'caffe'], /--no-lrn and --lrn caffe contradict each other/],
      [['info', '--dropout', 'half'], /--dropout must be a number, got 'half'/],
      [
        ['info', '--frobnicate'],
        /^alexnet info: unknown option '--frobnicate' \(see 'alexnet info --help'\)$/,
      ],
      [['info', '--towers'], /^alexnet info: option '--towers <value>' argument missing/],
      [['info', '--json=yes'], /option '--json' does not take an argument/],
      [['info', 'extra'], /^alexnet info: unexpected argument 'extra'/],
      [
        ['frob'],
        /^alexnet: unknown command 'frob' \(commands: info, train, eval(, \w+)*; see 'alexnet --help'\)$/,
      ],
      [['--verbose'], /^alexnet: unknown option '--verbose'/],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = await cli(...argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(out, argv.join(' ')).toBe('');
      expect(err.trim(), argv.join(' ')).toMatch(message);
    }
  });

  it('has --help on every command, and --version', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const { code, out } = await cli(...argv);
      expect(code).toBe(0);
      expect(out).toMatch(/^Usage: alexnet <command> \[options\]/);
      expect(out).toMatch(/^ {2}info +layers, shapes, parameters and FLOPs/m);
    }
    for (const argv of [
      ['info', '--help'],
      ['info', '-h'],
      ['help', 'info'],
      ['info', '--towers', '1', '--help'],
    ]) {
      const { code, out } = await cli(...argv);
      expect(code, argv.join(' ')).toBe(0);
      expect(out).toMatch(/^Usage: alexnet info \[options\]/);
      for (const flag of [
        '--input',
        '--towers',
        '--classes',
        '--activation',
        '--pool',
        '--no-lrn',
        '--lrn',
        '--json',
      ])
        expect(out).toContain(flag);
    }
    expect((await cli('--version')).out).toBe(`${VERSION}\n`);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      version: string;
      bin: Record<string, string>;
    };
    expect(VERSION).toBe(pkg.version);
    expect(pkg.bin.alexnet).toBe('./dist/cli.js');
  });
});

describe('the built executable (bin)', () => {
  const bin = join(pkgDir, 'dist/cli.js');

  it('runs `alexnet info --json` and exits 2 on a wrong command line', () => {
    expect(existsSync(bin), 'run the build first (pnpm build)').toBe(true);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const info = JSON.parse(
      execFileSync(process.execPath, [bin, 'info', '--json'], { encoding: 'utf8' }),
    ) as InfoJson;
    expect(info.totals.params).toBe(60_965_224);
    // run from the package folder, 'auto' finds the optional @alexnet/native when its library is built
    expect(info.device.reason).toMatch(/^auto picked /);
    const bad = spawnSync(process.execPath, [bin, 'info', '--towers', '3'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/towers must be 1 or 2/);
    const unknown = spawnSync(process.execPath, [bin, 'fit'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'fit'/);
  });
});
