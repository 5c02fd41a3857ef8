#!/usr/bin/env node
// Builds the stub driver (test/stub/libcuda_stub.cpp) as build/stub/libcuda.so.1, for the plumbing
// tests and the dry run of scripts/gpu-check.sh. Needs g++ and the CUDA headers (cuda.h).
// Usage: node test/stub/build-stub.mjs [--if-stale]   (prints the library's path)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..', '..');
const src = join(here, 'libcuda_stub.cpp');
const out = join(pkg, 'build', 'stub', 'libcuda.so.1');
const include = process.env.CUDA_HOME ? join(process.env.CUDA_HOME, 'include') : '/usr/local/cuda/include';

if (
  process.argv.includes('--if-stale') &&
  existsSync(out) &&
  statSync(out).mtimeMs >= statSync(src).mtimeMs
) {
  console.log(out);
} else {
  if (!existsSync(join(include, 'cuda.h'))) {
    console.error(`build-stub: ${join(include, 'cuda.h')} not found (set CUDA_HOME)`);
    process.exit(1);
  }
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(
    'g++',
    [
      '-std=c++20',
      '-O1',
      '-shared',
      '-fPIC',
      `-I${include}`,
      '-Wl,-soname,libcuda.so.1',
      '-o',
      out,
      src,
      '-ldl',
    ],
    { stdio: 'inherit' },
  );
  console.log(out);
}
