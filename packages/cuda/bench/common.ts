/** Shared by the GPU benchmarks: arguments, the backend(s), JSON output. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CudaBackend } from '../src/backend.js';

export interface BenchArgs {
  out: string;
  batch: number;
  /** Tiny shapes and few repeats: checks the plumbing (e.g. through the stub driver). */
  smoke: boolean;
  tf32: boolean;
}

export function parseArgs(argv = process.argv.slice(2)): BenchArgs {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    out: get('--out') ?? process.env.OUT ?? 'gpu-check-results',
    batch: Number(get('--batch') ?? 128),
    smoke: argv.includes('--smoke'),
    tf32: argv.includes('--tf32'),
  };
}

export function writeJson(dir: string, name: string, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(data, null, 1)}\n`);
  return path;
}

/** Deterministic non-zero values in [-1, 1). */
export function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return a;
}

export function environment(backend: CudaBackend): Record<string, unknown> {
  return {
    gpu: backend.gpu.name,
    computeCapability: backend.gpu.computeCapability.join('.'),
    driverVersion: backend.gpu.driverVersion,
    stubDriver: backend.stubDriver,
    description: backend.capabilities.description,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export { CudaBackend };
