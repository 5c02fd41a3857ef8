#!/usr/bin/env node
// Compiles every CUDA kernel in csrc/ as host C++ (g++, -DALEXNET_EMU, see csrc/emu/cuda_emu.h)
// into build/libalexnet_emu.so: the CPU emulation that the kernel tests and the stub driver use.
// This is NOT a GPU build; the fatbin (build-fatbin.mjs) is what runs on NVIDIA GPUs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const csrc = join(pkg, 'csrc');
const out = join(pkg, 'build', 'libalexnet_emu.so');
const cxx = process.env.CXX || 'g++';

/** Newest modification time of the emulation's inputs, to skip an up-to-date build. */
function newestSource() {
  const files = [
    ...readdirSync(csrc).map((f) => join(csrc, f)),
    ...readdirSync(join(csrc, 'emu')).map((f) => join(csrc, 'emu', f)),
  ].filter((f) => /\.(cu|cuh|h|cpp)$/.test(f));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

let upToDate = false;
try {
  upToDate = statSync(out).mtimeMs >= newestSource() && !process.argv.includes('--force');
} catch {
  upToDate = false;
}
if (upToDate) {
  console.log(`build-emu: ${out} is up to date`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  const args = [
    '-O2',
    '-std=c++20',
    '-shared',
    '-fPIC',
    '-DALEXNET_EMU',
    '-Wall',
    '-Wno-unknown-pragmas',
    '-pthread',
    join(csrc, 'emu', 'registry.cpp'),
    '-o',
    out,
  ];
  const t0 = Date.now();
  execFileSync(cxx, args, { stdio: 'inherit' });
  console.log(
    `build-emu: ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s, CPU emulation, not a GPU build)`,
  );
}
