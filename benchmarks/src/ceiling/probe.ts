/**
 * The ceiling probe itself (no CLI, no side effects on import): compiles csrc/gemm_ceiling.c with the
 * native backend's C sources (and OpenBLAS when `-lopenblas` links) and runs it. Used by
 * gemm-ceiling.ts and by the end-to-end benchmark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nativeSrc = path.resolve(packageRoot, '..', 'packages', 'native', 'csrc');

export interface CeilingRow {
  shape: string;
  m: number;
  n: number;
  k: number;
  transA: number;
  transB: number;
  threads: number;
  /** Best of the rounds. */
  nativeGflops: number;
  openblasGflops: number | null;
  /** Median over rounds of (OpenBLAS time ÷ native time), the two taking turns; null without OpenBLAS. */
  pairedRatio: number | null;
  rounds: number;
}
export interface CeilingOutput {
  simd: string;
  nativeSimdPath: string;
  openblas: boolean;
  peak: { threads: number; gflops: number }[];
  gemm: CeilingRow[];
}

/** Compiles the probe; links OpenBLAS when the system has it. Returns the binary and whether it linked. */
function build(dir: string): { binary: string; openblas: boolean } {
  const binary = path.join(dir, 'gemm_ceiling');
  const sources = readdirSync(nativeSrc)
    .filter((f) => /^(gemm|pool|ukernel_.*)\.c$/.test(f))
    .map((f) => path.join(nativeSrc, f));
  const base = [
    '-O3',
    '-std=gnu11',
    `-I${nativeSrc}`,
    path.join(packageRoot, 'csrc', 'gemm_ceiling.c'),
    ...sources,
  ];
  const blasInclude = '/usr/include/x86_64-linux-gnu/openblas-pthread';
  const withBlas = spawnSync(
    'cc',
    [
      ...base,
      '-DHAVE_OPENBLAS',
      ...(existsSync(blasInclude) ? [`-I${blasInclude}`] : []),
      '-lopenblas',
      '-lpthread',
      '-lm',
      '-o',
      binary,
    ],
    { encoding: 'utf8' },
  );
  if (withBlas.status === 0) return { binary, openblas: true };
  execFileSync('cc', [...base, '-lpthread', '-lm', '-o', binary], { stdio: 'inherit' });
  return { binary, openblas: false };
}

/** Builds and runs the probe (FMA peak with 1…threads threads, then the GEMM shapes); writes nothing. */
export function measureCeiling(options: { smoke: boolean; threads: number }): CeilingOutput {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gemm-ceiling-'));
  try {
    const { binary } = build(dir);
    const stdout = execFileSync(binary, [String(options.threads), ...(options.smoke ? ['smoke'] : [])], {
      encoding: 'utf8',
      // OpenBLAS's idle threads spin for ~2^28 cycles (≈ 0.1 s) after each call; with the two
      // libraries taking turns, they took a core from the native call that followed (conv2's shape
      // measured 45% of OpenBLAS instead of 70%). 2^4 cycles: they sleep at once, as ours do after
      // 200 µs; waking them costs microseconds against GEMMs of milliseconds.
      env: { ...process.env, OPENBLAS_THREAD_TIMEOUT: '4' },
    });
    return JSON.parse(stdout) as CeilingOutput;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
