/**
 * Builds what the plumbing tests need, when this machine can: the stub driver (g++ + cuda.h) and
 * the kernel emulator (the package's CUDA C compiled for the CPU, scripts/build-emu.mjs). Tests
 * that need them skip with the reason given here when they could not be built.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const pkg = join(import.meta.dirname, '..');

function run(script: string, args: string[]): string | null {
  try {
    execFileSync(process.execPath, [script, ...args], { cwd: pkg, stdio: 'pipe', timeout: 600_000 });
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `${script} failed: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' ') || err.message}`;
  }
}

export default function setup(project: TestProject): void {
  if (process.env.ALEXNET_CUDA_SKIP_STUB === '1') {
    // scripts/gpu-check.sh on a GPU machine: the plumbing tests do not run there.
    const reason = 'ALEXNET_CUDA_SKIP_STUB=1 (GPU check): the stub driver was not built';
    project.provide('cudaStub', { library: '', stubReason: reason, emuReason: reason });
    return;
  }
  const stub = join(pkg, 'build', 'stub', 'libcuda.so.1');
  const emu = join(pkg, 'build', 'libalexnet_emu.so');
  const stubReason = run(join(pkg, 'test', 'stub', 'build-stub.mjs'), ['--if-stale']);
  const script = join(pkg, 'scripts', 'build-emu.mjs');
  let emuReason: string | null = null;
  if (existsSync(script)) emuReason = run(script, []);
  else if (!existsSync(emu)) emuReason = `${script} does not exist yet (kernel emulator)`;
  if (!emuReason && !existsSync(emu)) emuReason = `${emu} was not built`;
  project.provide('cudaStub', { library: stub, stubReason, emuReason });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The stub driver's path, and why it or the kernel emulator could not be built (null: built). */
    cudaStub: { library: string; stubReason: string | null; emuReason: string | null };
  }
}
