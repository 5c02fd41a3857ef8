import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownReport } from '../report.js';
import { runIfMain } from '../run-main.js';
import { runReferenceKernels } from './reference.js';

const USAGE = `usage: node dist/kernels/reference-kernels.js [--backend ref|native|gpu] [--mode M] [--smoke] [--batch N] [--repeats R] [--out DIR]

  --backend B   ref (default), native (@alexnet/native, every core) or gpu (@alexnet/gpu); results are
                named <backend>-kernels, and gpu-kernels-<mode> for gpu
  --mode M      gpu.js mode for --backend gpu: webasm (default), cpu, headlessgl, webgl2, webgl, webgpu
                or auto (the mode that actually ran names the results)
  --smoke       tiny setting for CI: AlexNet with every width divided by 8, one timed repeat
  --batch N     images per kernel call (default 1)
  --repeats R   timed repeats per kernel after one warm-up; the median is reported (default 3, smoke 1)
  --out DIR     output folder (default results/, or results/smoke/ with --smoke)`;

export interface CliOptions {
  smoke: boolean;
  batch: number;
  repeats: number | undefined;
  outDir: string;
  help: boolean;
  backend: 'ref' | 'native' | 'gpu';
  /** gpu.js mode, only with --backend gpu. */
  mode: GpuModeOption | undefined;
}

const GPU_MODE_OPTIONS = ['cpu', 'webasm', 'headlessgl', 'webgl2', 'webgl', 'webgpu', 'auto'] as const;
type GpuModeOption = (typeof GPU_MODE_OPTIONS)[number];

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** The package root: this file is dist/kernels/reference-kernels.js (or src/kernels/… under vitest). */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      batch: { type: 'string' },
      repeats: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'ref' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const smoke = values.smoke ?? false;
  const backend = values.backend ?? 'ref';
  if (backend !== 'ref' && backend !== 'native' && backend !== 'gpu')
    throw new Error(`--backend must be ref, native or gpu, got '${backend}'`);
  if (values.mode !== undefined && backend !== 'gpu') throw new Error('--mode needs --backend gpu');
  const mode = values.mode ?? (backend === 'gpu' ? 'webasm' : undefined);
  if (mode !== undefined && !(GPU_MODE_OPTIONS as readonly string[]).includes(mode)) {
    throw new Error(`--mode must be one of ${GPU_MODE_OPTIONS.join(', ')}, got '${mode}'`);
  }
  return {
    backend,
    mode: mode as GpuModeOption | undefined,
    smoke,
    batch: positiveInt('batch', values.batch) ?? 1,
    repeats: positiveInt('repeats', values.repeats),
    outDir: path.resolve(values.out ?? path.join(packageRoot, 'results', ...(smoke ? ['smoke'] : []))),
    help: values.help ?? false,
  };
}

async function main(): Promise<void> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const native = cli.backend === 'native' ? await import('@alexnet/native') : null;
  // gpu.js checks its mode asynchronously, so the backend is created before the run starts.
  const gpu =
    cli.backend === 'gpu'
      ? await (await import('@alexnet/gpu')).createGpuBackend({ mode: cli.mode ?? 'webasm' })
      : null;
  const { result, files } = await runReferenceKernels({
    ...(native ? { backend: () => new native.NativeBackend() } : {}),
    ...(gpu ? { backend: () => gpu, name: `gpu-kernels-${gpu.mode}` } : {}),
    smoke: cli.smoke,
    batch: cli.batch,
    ...(cli.repeats === undefined ? {} : { repeats: cli.repeats }),
    outDir: cli.outDir,
    log: (line) => console.log(line),
  });
  console.log(`\n${markdownReport(result)}\n`);
  console.log(`wrote ${files!.json}\n      ${files!.svg}\n(${result.totalWallSeconds.toFixed(1)} s)`);
}

runIfMain(import.meta.url, main);
