#!/usr/bin/env node
/**
 * Compiles csrc/*.c into dist/native/libalexnet_native.<so|dylib> with the system C compiler ($CC, else
 * cc/gcc/clang). The library is built for the baseline of the architecture; the GEMM micro-kernels
 * carry their own target attributes and are chosen at run time from the CPU's features, so one
 * binary runs on every x86-64 machine.
 *
 * No compiler: the package still installs, and dist/native/UNAVAILABLE.txt says why; the backend's
 * probe reports that reason and `selectDevice('auto')` falls back to the reference backend with a
 * warning. A compiler that fails on our sources is an error (exit 1), never silently skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'native');
const lib = join(out, process.platform === 'darwin' ? 'libalexnet_native.dylib' : 'libalexnet_native.so');
const unavailable = join(out, 'UNAVAILABLE.txt');
mkdirSync(out, { recursive: true });
rmSync(unavailable, { force: true });

function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  for (const cc of candidates) {
    const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return cc;
  }
  return null;
}

const cc = findCompiler();
if (!cc) {
  const why =
    'no C compiler found (tried $CC, cc, gcc, clang): install one (e.g. `apt install gcc`) and rebuild @alexnet/native';
  writeFileSync(unavailable, `${why}\n`);
  console.warn(`@alexnet/native: ${why}`);
  process.exit(0);
}

const sources = readdirSync(join(root, 'csrc'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(root, 'csrc', f));
const flags = ['-O3', '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-Werror'];
const started = Date.now();
try {
  execFileSync(cc, [...flags, ...sources, '-lm', '-lpthread', '-o', lib], { stdio: 'inherit' });
} catch {
  console.error(`@alexnet/native: ${cc} failed to compile csrc/ (see above)`);
  process.exit(1);
}
console.log(`@alexnet/native: built ${lib} with ${cc} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
